/// The simple regulator of Kochenderfer, Wheeler & Wray, *Algorithms for
/// Decision Making* (2022), `DecisionMakingProblems.jl` `LQR`.
///
/// ## Description
/// Drive a scalar state to 0: s' ~ N(s + a, 0.1²) truncated to [−10, 10].
///
/// ## Action Space
/// `Box(-inf, inf, (1,))`: the action a (double precision).
///
/// ## Observation Space
/// The state s, in [−10, 10].
///
/// ## Rewards
/// r = −s², from the state before the transition.
///
/// ## Starting State
/// s₀ ~ N(0.3, 0.1²) (`initial_mean`, `initial_std`).
///
/// ## Episode End
/// A finite-horizon problem: the `max_episode_steps`-th step (the depth d,
/// default 10) terminates. A depth-d rollout collects −(s₀² + … + s_{d−1}²).
///
/// ## Arguments
/// `gamma` (1.0; the discount of the objective U = Σ γᵗ rₜ, carried for the
/// estimators, the dynamics do not use it), `initial_mean` 0.3,
/// `initial_std` 0.1, `transition_std` 0.1, `max_episode_steps` (depth) 10.
public struct SimpleRegulator: EnvironmentDynamics {
  public struct State: Sendable, Equatable {
    public var s: Double
  }
  public typealias Action = Double

  public static let id = "SimpleRegulator-v0"
  public static let stateSize = 1
  public var observationSize: Int { 1 }
  public var maxEpisodeSteps = 10
  public var horizonTerminates: Bool { true }

  public var gamma = 1.0
  public var initialMean = 0.3
  public var initialStd = 0.1
  public var transitionStd = 0.1
  public let bound = 10.0

  public init() {}

  public var actionSpace: ActionSpace { .box(low: [-.infinity], high: [.infinity]) }
  public var observationLow: [Double] { [-bound] }
  public var observationHigh: [Double] { [bound] }

  public static let parameterTable: [DynamicsParameter<SimpleRegulator>] = [
    .init("gamma", \.gamma, .unitInterval), .init("initial_mean", \.initialMean),
    .init("initial_std", \.initialStd, .positive), .init("transition_std", \.transitionStd, .positive),
  ]

  public func initialState(using rng: inout PCG64) -> State {
    State(s: initialMean + initialStd * rng.standardNormal())
  }

  public func step(_ st: inout State, action: UnsafePointer<Double>, using rng: inout PCG64)
    -> (reward: Double, terminated: Bool)
  {
    let reward = -(st.s * st.s)
    st.s = rng.truncatedNormal(mean: st.s + action.pointee, std: transitionStd, low: -bound, high: bound)
    return (reward, false)
  }

  public func observe(_ st: State, into out: UnsafeMutablePointer<Double>) { out[0] = st.s }
  public func load(_ c: UnsafePointer<Double>, _ i: Int, stride n: Int) -> State { State(s: c[i]) }
  public func store(_ st: State, _ c: UnsafeMutablePointer<Double>, _ i: Int, stride n: Int) { c[i] = st.s }
}
