import Synchronization
import SwiftPG

/// An object reachable through a handle, with a flag that rejects a second
/// thread while one thread is using it (`SWIFTPG_ERR_BUSY`).
final class Guarded<T>: @unchecked Sendable {
  let object: T
  private let busy = Atomic<Bool>(false)

  init(_ object: T) { self.object = object }

  func tryAcquire() -> Bool {
    busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
  }

  func release() { busy.store(false, ordering: .releasing) }
}

/// The kinds of handle; the kind is stored in the handle's top byte.
enum HandleKind: UInt64, CaseIterable {
  case env = 1
  case policy = 2
  case algorithm = 3
  case value = 4
  case sequenceTask = 5
  case sequencePolicy = 6
  case rewardModel = 7
  case preferenceTrainer = 8
  case rlhfLearner = 9
  case game = 10
  case gamePlayer = 11
  case dqn = 12
  case boardNetwork = 13
  case boardLearner = 14
  case selfplayPipeline = 16

  var name: String {
    switch self {
    case .env: "environment"
    case .policy: "policy"
    case .algorithm: "algorithm"
    case .value: "value function"
    case .sequenceTask: "sequence task"
    case .sequencePolicy: "sequence policy"
    case .rewardModel: "reward model"
    case .preferenceTrainer: "preference trainer"
    case .rlhfLearner: "RLHF learner"
    case .game: "game"
    case .gamePlayer: "game player"
    case .dqn: "DQN learner"
    case .boardNetwork: "board network"
    case .boardLearner: "board learner"
    case .selfplayPipeline: "AlphaGo pipeline"
    }
  }

  /// "an environment handle", "a policy handle".
  var article: String { self == .env || self == .algorithm ? "an" : "a" }
}

/// A table of live objects addressed by 64-bit handles:
/// bits 56–63 the kind, 20–55 a 36-bit generation (never 0), 0–19 the slot.
/// Destroying an object bumps its slot's generation, so a stale handle no
/// longer matches. A slot whose generation would wrap is retired for the
/// life of the process instead of being reused, so a destroyed handle is
/// never valid again (2^36 − 1 lives per slot, 2^20 slots). All operations
/// take the table's mutex.
final class HandleTable<T>: @unchecked Sendable {
  private struct Slot {
    var generation: UInt64 = 1
    var object: Guarded<T>?
  }
  private struct Storage {
    var slots: [Slot] = []
    var free: [Int] = []
    var live = 0
    var retired = 0
  }

  static var slotBits: UInt64 { 20 }
  static var generationBits: UInt64 { 36 }
  let kind: HandleKind
  /// The largest generation a slot reaches before it is retired
  /// (2^36 − 1; tests pass a small value to exercise retirement).
  let maxGeneration: UInt64
  private let storage = Mutex(Storage())
  static var maxLive: Int { 1 << 20 }
  static var maxSlots: Int { 1 << Int(slotBits) }

  init(kind: HandleKind, maxGeneration: UInt64 = (1 << 36) - 1) {
    self.kind = kind
    self.maxGeneration = max(1, min(maxGeneration, (1 << Self.generationBits) - 1))
  }

  func insert(_ object: T) throws(SwiftPGError) -> UInt64 {
    let guarded = Guarded(object)
    let result: UInt64? = storage.withLock { s in
      if s.live >= Self.maxLive { return nil }
      let index: Int
      if let reused = s.free.popLast() {
        index = reused
      } else {
        guard s.slots.count < Self.maxSlots else { return nil }
        s.slots.append(Slot())
        index = s.slots.count - 1
      }
      s.slots[index].object = guarded
      s.live += 1
      return kind.rawValue << 56 | s.slots[index].generation << Self.slotBits | UInt64(index)
    }
    guard let result else {
      throw SwiftPGError(
        .tooLarge, "too many \(kind.name) handles (at most \(Self.maxLive) live and \(Self.maxSlots) slots per process)")
    }
    return result
  }

  private func decode(_ handle: UInt64) throws(SwiftPGError) -> (index: Int, generation: UInt64) {
    if handle == 0 {
      throw SwiftPGError(.badHandle, "handle 0 is never valid (expected \(kind.article) \(kind.name) handle)")
    }
    let tag = handle >> 56
    if tag != kind.rawValue {
      let other = HandleKind(rawValue: tag).map { "\($0.article) \($0.name) handle" } ?? "not a swiftpg handle"
      throw SwiftPGError(
        .badHandle, "handle \(hex(handle)) is \(other), expected \(kind.article) \(kind.name) handle")
    }
    let slotMask: UInt64 = (1 << Self.slotBits) - 1
    let generationMask: UInt64 = (1 << Self.generationBits) - 1
    return (Int(handle & slotMask), (handle >> Self.slotBits) & generationMask)
  }

  func get(_ handle: UInt64) throws(SwiftPGError) -> Guarded<T> {
    let (index, generation) = try decode(handle)
    let found: Guarded<T>? = storage.withLock { s in
      guard index < s.slots.count, s.slots[index].generation == generation else { return nil }
      return s.slots[index].object
    }
    guard let found else {
      throw SwiftPGError(.badHandle, "\(kind.name) handle \(hex(handle)) is destroyed or was never created")
    }
    return found
  }

  func remove(_ handle: UInt64) throws(SwiftPGError) {
    let (index, generation) = try decode(handle)
    let removed: Bool = storage.withLock { s in
      guard index < s.slots.count, s.slots[index].generation == generation,
        s.slots[index].object != nil
      else { return false }
      s.slots[index].object = nil
      s.live -= 1
      if generation >= maxGeneration {
        // Retired: the generation would wrap, so no handle of this slot is reused.
        s.slots[index].generation = 0
        s.retired += 1
      } else {
        s.slots[index].generation = generation + 1
        s.free.append(index)
      }
      return true
    }
    if !removed {
      throw SwiftPGError(.badHandle, "\(kind.name) handle \(hex(handle)) is destroyed or was never created")
    }
  }

  /// Slots retired because their generation reached `maxGeneration`.
  var retiredCount: Int { storage.withLock { $0.retired } }

  var liveCount: Int { storage.withLock { $0.live } }
}

func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }

/// Everything the C ABI reaches.
final class EnvObject {
  let env: any BatchedEnvironment
  /// Set by `swiftpg_cancel` on the env handle; evaluations on this env check it.
  let cancellation = CancellationFlag()
  init(_ env: any BatchedEnvironment) { self.env = env }
}

final class PolicyObject {
  let policy: any Policy
  /// Continuous samples before they are checked and copied out (reused).
  let sampleScratch = ScratchBuffer()
  init(_ policy: any Policy) { self.policy = policy }
}

final class ValueObject {
  let value: ValueFunction
  init(_ value: ValueFunction) { self.value = value }
}

final class AlgorithmObject {
  enum Learner {
    case policyGradient(any PolicyGradientLearner)
    case search(ZerothOrderPolicySearch)
  }
  let learner: Learner
  /// The environment, policy (and critic) the learner uses, guarded so that
  /// a user using them from another thread during an iteration gets BUSY.
  let env: Guarded<EnvObject>?
  let policy: Guarded<PolicyObject>
  let value: Guarded<ValueObject>?
  init(
    _ learner: Learner, env: Guarded<EnvObject>?, policy: Guarded<PolicyObject>, value: Guarded<ValueObject>? = nil
  ) {
    self.learner = learner
    self.env = env
    self.policy = policy
    self.value = value
    switch learner {
    case .policyGradient(let p): p.cancellation = cancellation
    case .search(let s): s.cancellation = cancellation
    }
  }

  /// Set by `swiftpg_cancel` on the algorithm handle; the learner checks it.
  let cancellation = CancellationFlag()

  func policyGradient() throws(SwiftPGError) -> any PolicyGradientLearner {
    guard case .policyGradient(let r) = learner else {
      throw .invalid("this algorithm handle is not a policy-gradient learner")
    }
    return r
  }

  func search() throws(SwiftPGError) -> ZerothOrderPolicySearch {
    guard case .search(let s) = learner else { throw .invalid("this algorithm handle is not a policy search") }
    return s
  }

  /// Runs `body` with the environment and policy acquired (BUSY otherwise).
  func exclusive(_ body: () throws(SwiftPGError) -> Void) throws(SwiftPGError) {
    var objects: [(acquire: () -> Bool, release: () -> Void, name: String)] = [
      (policy.tryAcquire, policy.release, "policy")
    ]
    if let env { objects.append((env.tryAcquire, env.release, "environment")) }
    if let value { objects.append((value.tryAcquire, value.release, "value function")) }
    try usingAll(objects, body)
  }
}

let envTable = HandleTable<EnvObject>(kind: .env)
let policyTable = HandleTable<PolicyObject>(kind: .policy)
let algorithmTable = HandleTable<AlgorithmObject>(kind: .algorithm)
let valueTable = HandleTable<ValueObject>(kind: .value)
let sequenceTaskTable = HandleTable<SequenceTaskObject>(kind: .sequenceTask)
let sequencePolicyTable = HandleTable<SequencePolicyObject>(kind: .sequencePolicy)
let rewardModelTable = HandleTable<RewardModelObject>(kind: .rewardModel)
let preferenceTrainerTable = HandleTable<PreferenceTrainerObject>(kind: .preferenceTrainer)
let rlhfLearnerTable = HandleTable<RLHFLearnerObject>(kind: .rlhfLearner)
let gameTable = HandleTable<any BatchedGame>(kind: .game)
let playerTable = HandleTable<any ErasedGamePlayer>(kind: .gamePlayer)
let dqnTable = HandleTable<DQNObject>(kind: .dqn)

/// A sequence task (issue 15) behind a handle.
final class SequenceTaskObject {
  let task: any SequenceTask
  init(_ task: any SequenceTask) { self.task = task }
}

/// A sequence policy (issue 15) behind a handle.
final class SequencePolicyObject {
  let policy: SequencePolicy
  init(_ policy: SequencePolicy) { self.policy = policy }
}
