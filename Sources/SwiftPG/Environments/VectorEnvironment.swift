/// The batched environment for any `EnvironmentDynamics`: owns the storage of
/// N instances (states in structure-of-arrays layout, one numpy-compatible
/// PCG64 per instance, a per-instance step counter for the time limit) and
/// runs the dynamics' batch kernels on it.
///
/// - Complexity: `step` is O(N) with no allocation.
public final class VectorEnvironment<D: EnvironmentDynamics>: BatchedEnvironment {
  public let dynamics: D
  public let count: Int
  public var id: String { D.id }
  public var observationSize: Int { D.observationSize }
  public var stateSize: Int { D.stateSize }
  public var actionSpace: ActionSpace { dynamics.actionSpace }
  public var maxEpisodeSteps: Int { D.maxEpisodeSteps }
  public var rewardThreshold: Double? { D.rewardThreshold }
  public var observationLow: [Double] { dynamics.observationLow }
  public var observationHigh: [Double] { dynamics.observationHigh }

  /// Largest batch accepted (keeps every buffer size far from overflow).
  public static var maxCount: Int { 1 << 24 }

  private let states: UnsafeMutablePointer<Double>  // [stateSize][count]
  private let elapsed: UnsafeMutablePointer<Int32>
  private let generators: UnsafeMutablePointer<PCG64>
  private var storage: BatchStorage {
    BatchStorage(count: count, states: states, elapsed: elapsed, generators: generators)
  }

  /// Creates `count` instances seeded from `seed + i` and resets them.
  public init(_ dynamics: D, count: Int, seed: UInt64) throws(SwiftPGError) {
    try require(count >= 1, "num_envs must be at least 1, got \(count)")
    try require(
      count <= Self.maxCount, "num_envs \(count) exceeds the limit \(Self.maxCount)",
      code: .tooLarge)
    self.dynamics = dynamics
    self.count = count
    states = .allocate(capacity: D.stateSize * count)
    states.initialize(repeating: 0, count: D.stateSize * count)
    elapsed = .allocate(capacity: count)
    elapsed.initialize(repeating: 0, count: count)
    generators = .allocate(capacity: count)
    for i in 0..<count {
      (generators + i).initialize(to: PCG64(seed: UInt128(seed) + UInt128(i)))
    }
    for i in 0..<count {
      dynamics.store(dynamics.initialState(using: &generators[i]), states, i, stride: count)
    }
  }

  deinit {
    states.deallocate()
    elapsed.deallocate()
    generators.deinitialize(count: count)
    generators.deallocate()
  }

  public func reseed(_ seed: UInt64) {
    for i in 0..<count { generators[i] = PCG64(seed: UInt128(seed) + UInt128(i)) }
  }

  public func reset(observations: UnsafeMutablePointer<Double>) {
    dynamics.resetBatch(storage, observations: observations)
  }

  public func validateActions(_ actions: UnsafeRawPointer) throws(SwiftPGError) {
    switch dynamics.actionSpace {
    case .discrete(let n):
      let a = actions.assumingMemoryBound(to: Int32.self)
      for i in 0..<count where a[i] < 0 || Int(a[i]) >= n {
        throw SwiftPGError(
          .outOfRange,
          "action \(a[i]) of instance \(i) is outside the action space {0, ..., \(n - 1)}")
      }
    case .box(let low, _):
      let a = actions.assumingMemoryBound(to: Double.self)
      let total = count * low.count
      for j in 0..<total where !a[j].isFinite {
        throw SwiftPGError(
          .notFinite,
          "action component \(j % low.count) of instance \(j / low.count) is \(a[j]); actions must be finite"
        )
      }
    }
  }

  @discardableResult
  public func step(
    actions: UnsafeRawPointer,
    observations: UnsafeMutablePointer<Double>,
    rewards: UnsafeMutablePointer<Double>,
    terminated: UnsafeMutablePointer<UInt8>,
    truncated: UnsafeMutablePointer<UInt8>,
    finalObservations: UnsafeMutablePointer<Double>?
  ) -> Int {
    dynamics.stepBatch(
      storage, actions: actions, observations: observations, rewards: rewards,
      terminated: terminated, truncated: truncated, finalObservations: finalObservations)
  }

  public func getStates(_ out: UnsafeMutablePointer<Double>) {
    let n = count
    let k = D.stateSize
    for i in 0..<n {
      for c in 0..<k { out[i * k + c] = states[c * n + i] }
    }
  }

  public func setStates(_ input: UnsafePointer<Double>) throws(SwiftPGError) {
    let n = count
    let k = D.stateSize
    for j in 0..<(n * k) where !input[j].isFinite {
      throw SwiftPGError(
        .notFinite, "state component \(j % k) of instance \(j / k) is \(input[j]); states must be finite")
    }
    for i in 0..<n {
      for c in 0..<k { states[c * n + i] = input[i * k + c] }
    }
  }

  public func observe(into observations: UnsafeMutablePointer<Double>) {
    let n = count
    for i in 0..<n {
      dynamics.observe(dynamics.load(states, i, stride: n), into: observations + i * D.observationSize)
    }
  }

  public func elapsedSteps(into out: UnsafeMutablePointer<Int32>) {
    for i in 0..<count { out[i] = elapsed[i] }
  }

  /// The generator of instance `i` (for tests and checkpoints).
  public func generator(_ i: Int) -> PCG64? { i >= 0 && i < count ? generators[i] : nil }
}
