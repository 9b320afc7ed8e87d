/// The action space of an environment.
public enum ActionSpace: Sendable, Equatable {
  /// Actions are `Int32` values in `0..<n`.
  case discrete(Int)
  /// Actions are `Double` vectors of length `low.count`, nominally in
  /// `[low, high]`; how out-of-range values are treated is the
  /// environment's business (Gymnasium clips them).
  case box(low: [Double], high: [Double])

  /// Number of scalars per instance in an action buffer.
  public var width: Int {
    switch self {
    case .discrete: 1
    case .box(let low, _): low.count
    }
  }
}

/// N instances of one environment stepped together.
///
/// Buffers are caller-owned and row-major: observations `[N, observationSize]`,
/// rewards `[N]`, flags `[N]` (0 or 1), states `[N, stateSize]`.
/// Instances reset automatically in the step that ends them (Gymnasium's
/// `AutoresetMode.SAME_STEP`): the ended instance's last observation goes to
/// `finalObservations` (whose other rows are set to 0) and `observations`
/// receives the first observation of its next episode, while the reward and
/// flags describe the ending step.
///
/// Implementations validate nothing in `step`; callers check actions first
/// with `validateActions` (the C ABI and `step(actions:)` do).
public protocol BatchedEnvironment: AnyObject {
  var id: String { get }
  /// N, the number of instances.
  var count: Int { get }
  var observationSize: Int { get }
  var stateSize: Int { get }
  var actionSpace: ActionSpace { get }
  /// The time limit of instance 0 (0: none).
  var maxEpisodeSteps: Int { get }
  var rewardThreshold: Double? { get }
  /// Whether a terminated episode reached the goal (nil: no success defined).
  var terminationIsSuccess: Bool? { get }
  var observationKind: ObservationKind { get }
  var observationLow: [Double] { get }
  var observationHigh: [Double] { get }

  /// Names of the scalar parameters (physical constants, horizons, ...).
  var parameterNames: [String] { get }
  /// Sets parameter `name` of every instance to `value` now, and stops
  /// randomising it.
  func setParameter(_ name: String, _ value: Double) throws(SwiftPGError)
  /// Draws parameter `name` of each instance uniformly from [low, high] at
  /// every reset (from a generator separate from the state's). low == high
  /// fixes it at that value from the next reset on.
  func randomizeParameter(_ name: String, low: Double, high: Double) throws(SwiftPGError)
  /// The current value of parameter `name` in each instance (`count` values).
  func parameterValues(_ name: String, into out: UnsafeMutablePointer<Double>) throws(SwiftPGError)
  /// The ranges currently drawn at each reset.
  var randomizedParameters: [(name: String, low: Double, high: Double)] { get }
  /// The most steps the `action_delay` parameter may take (0: none; see
  /// `PhysicsEffects`).
  var actionDelayCapacity: Int { get }
  /// Sets `actionDelayCapacity` and allocates the action history that the
  /// state then includes (see `VectorEnvironment.setActionDelayCapacity`).
  func setActionDelayCapacity(_ capacity: Int) throws(SwiftPGError)
  /// How finished episodes restart (Gymnasium's autoreset modes).
  var autoresetMode: AutoresetMode { get }
  /// Chooses the autoreset mode (no instance is then waiting for a reset).
  func setAutoresetMode(_ mode: AutoresetMode)
  /// Automatic domain randomisation (see `AutomaticDomainRandomization`):
  /// starts it over the parameters of `specs` (nominal values: instance
  /// 0's current ones), replacing any earlier ADR.
  func enableADR(_ specs: [ADRSpec], settings: AutomaticDomainRandomization.Settings) throws(SwiftPGError)
  /// Stops ADR; returns its final state (nil when it was off).
  @discardableResult func disableADR() -> AutomaticDomainRandomization?
  /// ADR's state (nil when off).
  var adr: AutomaticDomainRandomization? { get }
  /// Per instance, the boundary tag and return of its last finished
  /// episode (−1 and 0 before any, or without ADR).
  func lastEpisodes(tags: UnsafeMutablePointer<Int32>, returns: UnsafeMutablePointer<Double>)

  /// A text picture of instance `i` (gridworlds), or nil if the
  /// environment has none.
  func renderText(instance i: Int) -> String?
  /// The finite MDP behind the environment (tabular environments).
  var tabularModel: TabularModel? { get }
  /// Threads used by `step` for large batches (1: the calling thread).
  var threadCount: Int { get set }

  /// Reseeds instance i from `seed + i` (numpy's PCG64 via SeedSequence).
  func reseed(_ seed: UInt64)
  /// Reseeds instance i from `seeds[i]` (Gymnasium's per-environment
  /// `reset(seed=...)`), leaving those with nil as they are.
  /// - Throws: `.invalidArgument` unless there is one seed per instance.
  func reseed(instances seeds: [UInt64?]) throws(SwiftPGError)
  /// Resets every instance, continuing each instance's random stream.
  func reset(observations: UnsafeMutablePointer<Double>)
  /// Throws if any action is outside the action space (discrete) or not
  /// finite (continuous). `actions` holds `count * actionSpace.width` values
  /// of `Int32` (discrete) or `Double` (continuous).
  func validateActions(_ actions: UnsafeRawPointer) throws(SwiftPGError)
  /// Steps every instance; actions must have passed `validateActions`.
  /// Returns the number of instances whose episode ended.
  @discardableResult
  func step(
    actions: UnsafeRawPointer,
    observations: UnsafeMutablePointer<Double>,
    rewards: UnsafeMutablePointer<Double>,
    terminated: UnsafeMutablePointer<UInt8>,
    truncated: UnsafeMutablePointer<UInt8>,
    finalObservations: UnsafeMutablePointer<Double>?) -> Int
  func getStates(_ out: UnsafeMutablePointer<Double>)
  /// Overwrites every state (finite values required); step counters stay.
  func setStates(_ states: UnsafePointer<Double>) throws(SwiftPGError)
  func observe(into observations: UnsafeMutablePointer<Double>)
  func elapsedSteps(into out: UnsafeMutablePointer<Int32>)
  /// The physics state `[count, stateSize]` and step count each instance
  /// was in when its last episode ended (terminated or truncated), before
  /// the same-step reset; zeros for an instance that has not ended one.
  func getFinalStates(_ out: UnsafeMutablePointer<Double>)
  func finalElapsedSteps(into out: UnsafeMutablePointer<Int32>)

  /// The seed of the last `reseed` (or of creation).
  var seed: UInt64 { get }
  /// A fresh batch of the same environment (the same id, tabular model or
  /// arms, with the parameters it was created with) of `count` instances
  /// seeded from `seed`.
  func spawn(count: Int, seed: UInt64) throws(SwiftPGError) -> any BatchedEnvironment
  /// The environment as a bundle section: how to rebuild it and its exact
  /// state (`EnvironmentRecord.swift`). Throws `.notSupported` for
  /// dynamics that cannot be rebuilt from a file.
  func record() throws(SwiftPGError) -> Record
  /// Validates a section written by `record()` of an environment of the
  /// same definition and size and returns what restores it; nothing
  /// changes until the returned closure runs (`.badFormat` otherwise).
  func prepareRestore(_ r: RecordReader) throws(SwiftPGError) -> () -> Void
  /// `prepareRestore` that may also change the action-delay capacity (and
  /// with it the state size) to the file's: for an environment built from
  /// the file itself, whose callers learn the sizes afterwards. Restoring
  /// into an existing environment (`prepareRestore`) refuses another
  /// capacity, which would change the state size under its users.
  func prepareRestore(_ r: RecordReader, adoptingCapacity: Bool) throws(SwiftPGError) -> () -> Void
}

/// Swift-friendly buffers for one batch, owned by the caller and reused.
public struct StepBuffers {
  public var observations: [Double]
  public var rewards: [Double]
  public var terminated: [UInt8]
  public var truncated: [UInt8]
  public var finalObservations: [Double]

  public init(for env: some BatchedEnvironment) {
    observations = Array(repeating: 0, count: env.count * env.observationSize)
    rewards = Array(repeating: 0, count: env.count)
    terminated = Array(repeating: 0, count: env.count)
    truncated = Array(repeating: 0, count: env.count)
    finalObservations = observations
  }
}

extension BatchedEnvironment {
  /// Resets (reseeding first if `seed` is given) into `buffers.observations`.
  public func reset(seed: UInt64? = nil, into buffers: inout StepBuffers) {
    if let seed { reseed(seed) }
    buffers.observations.withUnsafeMutableBufferPointer { o in
      if let base = o.baseAddress { reset(observations: base) }
    }
  }

  /// Validates and applies discrete actions (`count` of them).
  public func step(actions: [Int32], into b: inout StepBuffers) throws(SwiftPGError) {
    guard case .discrete = actionSpace else {
      throw .invalid("\(id) has a continuous action space; pass Double actions")
    }
    try stepRaw(actions, elementCount: actions.count, into: &b)
  }

  /// Validates and applies continuous actions (`count * width` of them).
  public func step(actions: [Double], into b: inout StepBuffers) throws(SwiftPGError) {
    guard case .box = actionSpace else {
      throw .invalid("\(id) has a discrete action space; pass Int32 actions")
    }
    try stepRaw(actions, elementCount: actions.count, into: &b)
  }

  private func stepRaw<T>(_ actions: [T], elementCount: Int, into b: inout StepBuffers)
    throws(SwiftPGError)
  {
    let expected = count * actionSpace.width
    try require(elementCount == expected, "expected \(expected) actions, got \(elementCount)")
    try require(
      b.observations.count == count * observationSize && b.rewards.count == count,
      "StepBuffers were made for another environment")
    let result: SwiftPGError? = actions.withUnsafeBytes { a -> SwiftPGError? in
      guard let ap = a.baseAddress else { return .invalid("empty action buffer") }
      do throws(SwiftPGError) { try validateActions(ap) } catch { return error }
      b.observations.withUnsafeMutableBufferPointer { o in
        b.rewards.withUnsafeMutableBufferPointer { r in
          b.terminated.withUnsafeMutableBufferPointer { te in
            b.truncated.withUnsafeMutableBufferPointer { tr in
              b.finalObservations.withUnsafeMutableBufferPointer { f in
                guard let op = o.baseAddress, let rp = r.baseAddress,
                  let tep = te.baseAddress, let trp = tr.baseAddress
                else { return }
                step(
                  actions: ap, observations: op, rewards: rp, terminated: tep,
                  truncated: trp, finalObservations: f.baseAddress)
              }
            }
          }
        }
      }
      return nil
    }
    if let result { throw result }
  }

  /// The physics states as a Swift array, `[count * stateSize]`.
  public func states() -> [Double] {
    var out = Array(repeating: 0.0, count: count * stateSize)
    out.withUnsafeMutableBufferPointer { p in
      if let base = p.baseAddress { getStates(base) }
    }
    return out
  }

  public func setStates(_ states: [Double]) throws(SwiftPGError) {
    try require(
      states.count == count * stateSize,
      "expected \(count * stateSize) state values, got \(states.count)")
    let result: SwiftPGError? = states.withUnsafeBufferPointer { p -> SwiftPGError? in
      guard let base = p.baseAddress else { return nil }
      do throws(SwiftPGError) { try setStates(base) } catch { return error }
      return nil
    }
    if let result { throw result }
  }
}

/// How a batch restarts finished episodes (Gymnasium's `AutoresetMode`).
public enum AutoresetMode: Int32, Sendable {
  /// The step that ends an episode starts the next one and returns its first
  /// observation (the final one separately). swiftpg's default; the
  /// learners require it.
  case sameStep = 0
  /// The step that ends an episode returns its final observation; the next
  /// step ignores the instance's action, resets it and returns the first
  /// observation with reward 0 (Gymnasium 1.x's default).
  case nextStep = 1
}

/// Learners, collectors and evaluations step batches with same-step
/// autoreset (their transitions assume it).
/// - Throws: `.invalidArgument` for a batch in next-step mode.
public func requireSameStepAutoreset(_ env: any BatchedEnvironment) throws(SwiftPGError) {
  try require(
    env.autoresetMode == .sameStep,
    "this \(env.id) batch uses next-step autoreset (Gymnasium's NEXT_STEP); swiftpg's learners, collectors and "
      + "evaluations need same-step autoreset (the default): use a batch created with autoreset_mode='same_step'")
}
