/// CartPole-v1, identical to Gymnasium 1.4's `CartPoleEnv` under
/// `gymnasium.make("CartPole-v1")`.
///
/// ## Description
/// A pole is attached by an unactuated joint to a cart moving along a
/// frictionless track (Barto, Sutton & Anderson 1983). The goal is to keep
/// the pole upright by pushing the cart left or right.
///
/// ## Action Space
/// `Discrete(2)`: 0 pushes the cart left (force −10 N), 1 pushes it right.
///
/// ## Observation Space
/// | index | observation           | min                | max               |
/// |-------|-----------------------|--------------------|-------------------|
/// | 0     | cart position x       | −4.8               | 4.8               |
/// | 1     | cart velocity         | −inf               | inf               |
/// | 2     | pole angle θ (rad)    | −0.41887902 (−24°) | 0.41887902 (24°)  |
/// | 3     | pole angular velocity | −inf               | inf               |
/// The state is kept in double precision; Gymnasium returns its float32 cast.
///
/// ## Rewards
/// +1 for every step, including the step that terminates.
///
/// ## Starting State
/// Each of the four components uniform in [−0.05, 0.05], drawn in the order
/// x, ẋ, θ, θ̇ (as numpy's `uniform(size=(4,))`).
///
/// ## Episode End
/// Termination: |x| > 2.4 or |θ| > 12° (0.2095 rad), on the post-step state.
/// Truncation: the 500th step of an episode.
///
/// ## Arguments
/// Parameters (settable and randomisable per instance, Gymnasium's attribute
/// names): `gravity` 9.8, `masscart` 1.0, `masspole` 0.1, `length` 0.5 (half
/// the pole), `force_mag` 10.0, `tau` 0.02 s, `sutton_barto_reward` 0 (1: reward
/// 0 per step and −1 on the terminating step), and `max_episode_steps` 500.
/// Integration is explicit Euler (`semiImplicitEuler` switches it).
///
/// ## Differences from Gymnasium
/// None in the dynamics. Gymnasium keeps returning observations after
/// termination if you keep stepping; here the instance resets automatically
/// in the same step (see `VectorEnvironment`).
public struct CartPole: EnvironmentDynamics {
  public struct State: Sendable, Equatable {
    public var x, xDot, theta, thetaDot: Double
    public init(x: Double, xDot: Double, theta: Double, thetaDot: Double) {
      self.x = x
      self.xDot = xDot
      self.theta = theta
      self.thetaDot = thetaDot
    }
  }
  public typealias Action = Int32

  public static let id = "CartPole-v1"
  public static let parallelChunk = 2048
  public static let stateSize = 4
  public var observationSize: Int { 4 }
  public static let rewardThreshold: Double? = 475.0
  public var maxEpisodeSteps = 500

  public var gravity = 9.8
  public var massCart = 1.0
  public var massPole = 0.1
  /// Half the pole's length.
  public var length = 0.5
  public var forceMagnitude = 10.0
  /// Seconds between state updates.
  public var tau = 0.02
  /// `false`: explicit Euler (Gymnasium's default); `true`: semi-implicit.
  public var semiImplicitEuler = false
  public var thetaThreshold = 12 * 2 * Double.pi / 360
  public var xThreshold = 2.4
  /// Sutton & Barto's reward: 0 per step, −1 on the terminating step.
  public var suttonBartoReward = false

  public init() {}

  public static let parameterTable: [DynamicsParameter<CartPole>] = [
    .init("gravity", \.gravity), .init("masscart", \.massCart, .positive), .init("masspole", \.massPole, .positive),
    .init("length", \.length, .positive), .init("force_mag", \.forceMagnitude, .nonNegative),
    .init("tau", \.tau, .positive), .init("sutton_barto_reward", \.suttonBartoRewardFlag, .flag),
  ] + effectParameters
  /// Observation noise and action delay (off by default).
  public var effects = PhysicsEffects()

  /// `suttonBartoReward` as the parameter's value, 0 or 1.
  public var suttonBartoRewardFlag: Double {
    get { suttonBartoReward ? 1 : 0 }
    set { suttonBartoReward = newValue != 0 }
  }

  public var totalMass: Double { massPole + massCart }
  public var poleMassLength: Double { massPole * length }

  public var actionSpace: ActionSpace { .discrete(2) }
  public var observationHigh: [Double] {
    [xThreshold * 2, .infinity, thetaThreshold * 2, .infinity]
  }
  public var observationLow: [Double] { observationHigh.map { -$0 } }

  public func initialState(using rng: inout PCG64) -> State {
    let x = rng.uniform(-0.05, 0.05)
    let xDot = rng.uniform(-0.05, 0.05)
    let theta = rng.uniform(-0.05, 0.05)
    let thetaDot = rng.uniform(-0.05, 0.05)
    return State(x: x, xDot: xDot, theta: theta, thetaDot: thetaDot)
  }

  @inlinable @inline(__always)
  public func step(_ s: inout State, action: UnsafePointer<Int32>, using rng: inout PCG64)
    -> (reward: Double, terminated: Bool)
  {
    let force = action.pointee == 1 ? forceMagnitude : -forceMagnitude
    let (sinTheta, cosTheta) = _sincos(s.theta)
    // The same operation order as Gymnasium, so results are bit-identical.
    let temp = (force + poleMassLength * (s.thetaDot * s.thetaDot) * sinTheta) / totalMass
    let thetaAcc =
      (gravity * sinTheta - cosTheta * temp)
      / (length * (4.0 / 3.0 - massPole * (cosTheta * cosTheta) / totalMass))
    let xAcc = temp - poleMassLength * thetaAcc * cosTheta / totalMass
    if semiImplicitEuler {
      s.xDot = s.xDot + tau * xAcc
      s.x = s.x + tau * s.xDot
      s.thetaDot = s.thetaDot + tau * thetaAcc
      s.theta = s.theta + tau * s.thetaDot
    } else {
      s.x = s.x + tau * s.xDot
      s.xDot = s.xDot + tau * xAcc
      s.theta = s.theta + tau * s.thetaDot
      s.thetaDot = s.thetaDot + tau * thetaAcc
    }
    let terminated =
      s.x < -xThreshold || s.x > xThreshold || s.theta < -thetaThreshold
      || s.theta > thetaThreshold
    if suttonBartoReward { return (terminated ? -1 : 0, terminated) }
    return (1.0, terminated)
  }

  @inlinable @inline(__always)
  public func observe(_ s: State, into out: UnsafeMutablePointer<Double>) {
    out[0] = s.x
    out[1] = s.xDot
    out[2] = s.theta
    out[3] = s.thetaDot
  }

  @inlinable @inline(__always)
  public func load(_ c: UnsafePointer<Double>, _ i: Int, stride n: Int) -> State {
    State(x: c[i], xDot: c[n + i], theta: c[2 * n + i], thetaDot: c[3 * n + i])
  }

  @inlinable @inline(__always)
  public func store(_ s: State, _ c: UnsafeMutablePointer<Double>, _ i: Int, stride n: Int) {
    c[i] = s.x
    c[n + i] = s.xDot
    c[2 * n + i] = s.theta
    c[3 * n + i] = s.thetaDot
  }
}
