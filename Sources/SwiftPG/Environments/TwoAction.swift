/// The two-action example of the policy-gradient lecture: one state, two
/// actions, a policy π(L) = clamp(θ, 0, 1) (see `ClampPolicy`).
///
/// ## Description
/// Every step the agent picks L or R and receives that action's reward
/// (plus optional Gaussian noise). J(θ) = H·[π(L) r_L + π(R) r_R].
///
/// ## Action Space
/// `Discrete(2)`: 0 = L, 1 = R.
///
/// ## Observation Space
/// The constant [1.0] (there is one state).
///
/// ## Rewards
/// `reward_left` (default 1.0) or `reward_right` (default 0.0), plus
/// N(0, `reward_std`²) noise (default 0).
///
/// ## Starting State
/// The single state.
///
/// ## Episode End
/// Finite horizon: the `max_episode_steps`-th step (H, default 1) terminates.
public struct TwoAction: EnvironmentDynamics {
  public struct State: Sendable, Equatable {}
  public typealias Action = Int32

  public static let id = "TwoAction-v0"
  public static let stateSize = 0
  public var observationSize: Int { 1 }
  public var maxEpisodeSteps = 1
  public var horizonTerminates: Bool { true }
  public var rewardLeft = 1.0
  public var rewardRight = 0.0
  public var rewardStd = 0.0

  public init() {}

  public var actionSpace: ActionSpace { .discrete(2) }
  public var observationLow: [Double] { [1] }
  public var observationHigh: [Double] { [1] }

  public static let parameterTable: [DynamicsParameter<TwoAction>] = [
    .init("reward_left", \.rewardLeft), .init("reward_right", \.rewardRight),
    .init("reward_std", \.rewardStd, .nonNegative),
  ]

  public func initialState(using rng: inout PCG64) -> State { State() }

  public func step(_ s: inout State, action: UnsafePointer<Int32>, using rng: inout PCG64)
    -> (reward: Double, terminated: Bool)
  {
    let mean = action.pointee == 0 ? rewardLeft : rewardRight
    return (rewardStd > 0 ? mean + rewardStd * rng.standardNormal() : mean, false)
  }

  public func observe(_ s: State, into out: UnsafeMutablePointer<Double>) { out[0] = 1 }
  public func load(_ c: UnsafePointer<Double>, _ i: Int, stride n: Int) -> State { State() }
  public func store(_ s: State, _ c: UnsafeMutablePointer<Double>, _ i: Int, stride n: Int) {}
}
