/// A multi-armed bandit with Gaussian or Bernoulli arms.
///
/// ## Description
/// K arms with configurable means (and standard deviations for Gaussian
/// arms). Each step pulls one arm.
///
/// ## Action Space
/// `Discrete(K)`.
///
/// ## Observation Space
/// The constant [1.0].
///
/// ## Rewards
/// Gaussian: N(means[a], stds[a]²). Bernoulli: 1 with probability means[a].
///
/// ## Episode End
/// Finite horizon: the `max_episode_steps`-th pull (default 1) terminates.
public struct Bandit: EnvironmentDynamics {
  public enum Kind: Int32, Sendable {
    case gaussian = 0
    case bernoulli = 1
  }
  public struct State: Sendable, Equatable {}
  public typealias Action = Int32

  public static let id = "Bandit"
  public static let stateSize = 0
  public var observationSize: Int { 1 }
  public var maxEpisodeSteps: Int
  public var horizonTerminates: Bool { true }
  public let kind: Kind
  public let means: [Double]
  public let stds: [Double]

  public init(kind: Kind, means: [Double], stds: [Double]? = nil, horizon: Int = 1) throws(SwiftPGError) {
    try require(means.count >= 1 && means.count <= 1 << 16, "a bandit needs 1 to 65536 arms, got \(means.count)")
    try require(horizon >= 1, "the horizon must be >= 1, got \(horizon)")
    for (i, m) in means.enumerated() where !m.isFinite {
      throw SwiftPGError(.notFinite, "means[\(i)] is \(m)")
    }
    switch kind {
    case .bernoulli:
      for (i, m) in means.enumerated() where m < 0 || m > 1 {
        throw SwiftPGError.invalid("Bernoulli arm \(i) has mean \(m); it must be a probability in [0, 1]")
      }
      self.stds = means.map { ($0 * (1 - $0)).squareRoot() }
    case .gaussian:
      let sd = stds ?? Array(repeating: 1, count: means.count)
      try require(sd.count == means.count, "stds must have \(means.count) entries, got \(sd.count)")
      for (i, v) in sd.enumerated() where !(v >= 0 && v.isFinite) {
        throw SwiftPGError.invalid("stds[\(i)] = \(v); standard deviations must be finite and >= 0")
      }
      self.stds = sd
    }
    self.kind = kind
    self.means = means
    maxEpisodeSteps = horizon
  }

  public var actionSpace: ActionSpace { .discrete(means.count) }
  public var observationLow: [Double] { [1] }
  public var observationHigh: [Double] { [1] }

  public func initialState(using rng: inout PCG64) -> State { State() }

  public func step(_ s: inout State, action: UnsafePointer<Int32>, using rng: inout PCG64)
    -> (reward: Double, terminated: Bool)
  {
    let a = Int(action.pointee)
    switch kind {
    case .gaussian: return (means[a] + stds[a] * rng.standardNormal(), false)
    case .bernoulli: return (rng.nextUnitDouble() < means[a] ? 1 : 0, false)
    }
  }

  public func observe(_ s: State, into out: UnsafeMutablePointer<Double>) { out[0] = 1 }
  public func load(_ c: UnsafePointer<Double>, _ i: Int, stride n: Int) -> State { State() }
  public func store(_ s: State, _ c: UnsafeMutablePointer<Double>, _ i: Int, stride n: Int) {}
}
