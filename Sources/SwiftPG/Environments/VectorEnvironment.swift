/// The batched environment for any `EnvironmentDynamics`: N instances with
/// states in structure-of-arrays storage, one numpy-compatible PCG64 per
/// instance, a per-instance step counter for the time limit, and automatic
/// reset in the step that ends an episode.
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
  private var rngs: [PCG64]

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
    rngs = (0..<count).map { PCG64(seed: UInt128(seed) + UInt128($0)) }
    for i in 0..<count {
      dynamics.store(dynamics.initialState(using: &rngs[i]), states, i, stride: count)
    }
  }

  deinit {
    states.deallocate()
    elapsed.deallocate()
  }

  public func reseed(_ seed: UInt64) {
    for i in 0..<count { rngs[i] = PCG64(seed: UInt128(seed) + UInt128(i)) }
  }

  public func reset(observations: UnsafeMutablePointer<Double>) {
    let n = count
    let width = D.observationSize
    rngs.withUnsafeMutableBufferPointer { g in
      for i in 0..<n {
        let s = dynamics.initialState(using: &g[i])
        dynamics.store(s, states, i, stride: n)
        elapsed[i] = 0
        dynamics.observe(s, into: observations + i * width)
      }
    }
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

  public func step(
    actions: UnsafeRawPointer,
    observations: UnsafeMutablePointer<Double>,
    rewards: UnsafeMutablePointer<Double>,
    terminated: UnsafeMutablePointer<UInt8>,
    truncated: UnsafeMutablePointer<UInt8>,
    finalObservations: UnsafeMutablePointer<Double>?
  ) {
    let n = count
    let width = D.observationSize
    let actionWidth = dynamics.actionSpace.width
    let limit = Int32(clamping: D.maxEpisodeSteps)
    let a = actions.assumingMemoryBound(to: D.Action.self)
    rngs.withUnsafeMutableBufferPointer { g in
      for i in 0..<n {
        var s = dynamics.load(states, i, stride: n)
        let (reward, term) = dynamics.step(&s, action: a + i * actionWidth)
        let steps = elapsed[i] &+ 1
        let trunc = steps >= limit
        rewards[i] = reward
        terminated[i] = term ? 1 : 0
        truncated[i] = trunc ? 1 : 0
        if term || trunc {
          if let finalObservations {
            dynamics.observe(s, into: finalObservations + i * width)
          }
          s = dynamics.initialState(using: &g[i])
          elapsed[i] = 0
        } else {
          elapsed[i] = steps
        }
        dynamics.store(s, states, i, stride: n)
        dynamics.observe(s, into: observations + i * width)
      }
    }
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
  public func generator(_ i: Int) -> PCG64? { rngs.indices.contains(i) ? rngs[i] : nil }
}
