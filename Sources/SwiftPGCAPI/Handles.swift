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

  var name: String {
    switch self {
    case .env: "environment"
    case .policy: "policy"
    case .algorithm: "algorithm"
    case .value: "value function"
    }
  }

  /// "an environment handle", "a policy handle".
  var article: String { self == .env || self == .algorithm ? "an" : "a" }
}

/// A table of live objects addressed by 64-bit handles:
/// bits 56–63 the kind, 32–55 a generation (never 0), 0–31 the slot.
/// Destroying an object bumps its slot's generation, so a stale handle no
/// longer matches. All operations take the table's mutex.
final class HandleTable<T>: @unchecked Sendable {
  private struct Slot {
    var generation: UInt64 = 1
    var object: Guarded<T>?
  }
  private struct Storage {
    var slots: [Slot] = []
    var free: [Int] = []
    var live = 0
  }

  let kind: HandleKind
  private let storage = Mutex(Storage())
  static var maxLive: Int { 1 << 20 }

  init(kind: HandleKind) { self.kind = kind }

  func insert(_ object: T) throws(SwiftPGError) -> UInt64 {
    let guarded = Guarded(object)
    let result: UInt64? = storage.withLock { s in
      if s.live >= Self.maxLive { return nil }
      let index: Int
      if let reused = s.free.popLast() {
        index = reused
      } else {
        s.slots.append(Slot())
        index = s.slots.count - 1
      }
      s.slots[index].object = guarded
      s.live += 1
      return kind.rawValue << 56 | s.slots[index].generation << 32 | UInt64(index)
    }
    guard let result else {
      throw SwiftPGError(.tooLarge, "too many live \(kind.name) handles (limit \(Self.maxLive))")
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
    return (Int(handle & 0xFFFF_FFFF), (handle >> 32) & 0xFF_FFFF)
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
      // 24-bit generation that skips 0 when it wraps.
      let next = (generation + 1) & 0xFF_FFFF
      s.slots[index].generation = next == 0 ? 1 : next
      s.free.append(index)
      s.live -= 1
      return true
    }
    if !removed {
      throw SwiftPGError(.badHandle, "\(kind.name) handle \(hex(handle)) is destroyed or was never created")
    }
  }

  var liveCount: Int { storage.withLock { $0.live } }
}

func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }

/// Everything the C ABI reaches.
final class EnvObject {
  let env: any BatchedEnvironment
  init(_ env: any BatchedEnvironment) { self.env = env }
}

final class PolicyObject {
  let policy: any Policy
  init(_ policy: any Policy) { self.policy = policy }
}

final class ValueObject {
  let value: ValueFunction
  init(_ value: ValueFunction) { self.value = value }
}

final class AlgorithmObject {
  enum Learner {
    case policyGradient(PolicyGradient)
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
  }

  func policyGradient() throws(SwiftPGError) -> PolicyGradient {
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
