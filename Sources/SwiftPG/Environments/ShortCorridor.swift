/// The short corridor with switched actions, Sutton & Barto (2018),
/// Example 13.1.
///
/// ## Description
/// Three non-terminal states S1, S2, S3 and the goal G. In S1 "left" does
/// not move and "right" goes to S2; in S2 the actions are reversed (right
/// goes to S1, left to S3); in S3 right reaches G and left goes back to S2.
/// With identical features in every state the best stochastic policy is
/// π(right) = 2 − √2 ≈ 0.586, with v(S1) = −(6 + 4√2) ≈ −11.657.
///
/// ## Action Space
/// `Discrete(2)`: 0 = right, 1 = left (the book's feature order, so θ[0] is
/// the preference for right).
///
/// ## Observation Space
/// The constant [1.0]: "the same features in every state". The true state
/// (0, 1, 2 for S1–S3) is `get_state`.
///
/// ## Rewards
/// −1 per step (γ = 1).
///
/// ## Starting State
/// S1.
///
/// ## Episode End
/// Termination: reaching G. Truncation: `max_episode_steps` (default 1000,
/// a safety limit; the book has none).
public struct ShortCorridor: EnvironmentDynamics {
  public struct State: Sendable, Equatable {
    public var index: Int
  }
  public typealias Action = Int32

  public static let id = "ShortCorridor-v0"
  /// Termination is reaching the goal.
  public static let terminationIsSuccess: Bool? = true
  public static let stateSize = 1
  public var observationSize: Int { 1 }
  public var maxEpisodeSteps = 1000

  public init() {}

  public var actionSpace: ActionSpace { .discrete(2) }
  public var observationLow: [Double] { [1] }
  public var observationHigh: [Double] { [1] }

  /// The MDP as a table: states S1, S2, S3, G (terminal); actions right, left.
  public var tabularModel: TabularModel? {
    // next[s][a]
    let next = [[1, 0], [0, 2], [3, 1]]
    var p = [Double](repeating: 0, count: 4 * 2 * 4)
    for s in 0..<3 {
      for a in 0..<2 { p[(s * 2 + a) * 4 + next[s][a]] = 1 }
    }
    for a in 0..<2 { p[(3 * 2 + a) * 4 + 3] = 1 }
    return try? TabularModel(
      stateCount: 4, actionCount: 2, transitions: p, rewards: Array(repeating: -1, count: 8),
      rewardsPerNextState: false, initial: [1, 0, 0, 0], terminal: [false, false, false, true], gamma: 1)
  }

  public func initialState(using rng: inout PCG64) -> State { State(index: 0) }

  public func step(_ s: inout State, action: UnsafePointer<Int32>, using rng: inout PCG64)
    -> (reward: Double, terminated: Bool)
  {
    let right = action.pointee == 0
    switch s.index {
    case 0: s.index = right ? 1 : 0
    case 1: s.index = right ? 0 : 2
    default:
      if right { return (-1, true) }
      s.index = 1
    }
    return (-1, false)
  }

  public func observe(_ s: State, into out: UnsafeMutablePointer<Double>) { out[0] = 1 }

  public func load(_ c: UnsafePointer<Double>, _ i: Int, stride n: Int) -> State {
    State(index: Int(Swift.max(0, Swift.min(c[i], 2))))
  }

  public func store(_ s: State, _ c: UnsafeMutablePointer<Double>, _ i: Int, stride n: Int) {
    c[i] = Double(s.index)
  }

  public func checkState(_ values: UnsafePointer<Double>) -> String? {
    let v = values[0]
    return v == 0 || v == 1 || v == 2 ? nil : "the state must be 0, 1 or 2 (S1–S3), got \(v)"
  }
}
