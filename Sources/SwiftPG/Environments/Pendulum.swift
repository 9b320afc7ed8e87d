/// Pendulum-v1, identical to Gymnasium 1.4's `PendulumEnv` under
/// `gymnasium.make("Pendulum-v1")`, including its float32 torque arithmetic.
///
/// ## Description
/// Swing a pendulum up and keep it upright with a limited torque.
///
/// ## Action Space
/// `Box(-2, 2, (1,))`: the torque (N·m), used as float32 and clipped to
/// [−`max_torque`, `max_torque`].
///
/// ## Observation Space
/// | index | observation | min | max |
/// |---|---|---|---|
/// | 0 | cos θ | −1 | 1 |
/// | 1 | sin θ | −1 | 1 |
/// | 2 | θ̇ | −8 | 8 |
/// θ = 0 is upright; the state (θ, θ̇) keeps θ unwrapped.
///
/// ## Rewards
/// −(normalize(θ)² + 0.1 θ̇² + 0.001 u²) from the state before the step and
/// the clipped torque u; in [−16.27, 0].
///
/// ## Starting State
/// θ uniform in [−π, π], θ̇ uniform in [−1, 1].
///
/// ## Episode End
/// Never terminates. Truncation: step 200.
///
/// ## Arguments
/// Parameters: `g` 10.0, `m` 1.0, `l` 1.0, `max_speed` 8, `max_torque` 2.0,
/// `dt` 0.05, `max_episode_steps` 200. Semi-implicit Euler.
///
/// ## Precision
/// As in Gymnasium under numpy 2, `0.001 * u**2` and `3/(m l²) * u` are
/// float32 operations (u is a float32 scalar); the rest is double.
public struct Pendulum: EnvironmentDynamics {
  public struct State: Sendable, Equatable {
    public var theta, thetaDot: Double
  }
  public typealias Action = Double

  public static let id = "Pendulum-v1"
  public static let stateSize = 2
  public var observationSize: Int { 3 }
  public var maxEpisodeSteps = 200

  public var maxSpeed = 8.0
  public var maxTorque = 2.0
  public var dt = 0.05
  public var g = 10.0
  public var m = 1.0
  public var l = 1.0

  public init() {}

  public var actionSpace: ActionSpace { .box(low: [-maxTorque], high: [maxTorque]) }
  public var observationHigh: [Double] { [1, 1, maxSpeed] }
  public var observationLow: [Double] { observationHigh.map { -$0 } }

  public static let parameterTable: [DynamicsParameter<Pendulum>] = [
    .init("g", \.g, .nonNegative), .init("m", \.m, .positive), .init("l", \.l, .positive),
    .init("max_speed", \.maxSpeed, .positive), .init("max_torque", \.maxTorque, .positive),
    .init("dt", \.dt, .positive),
  ] + effectParameters
  /// Observation noise and action delay (off by default).
  public var effects = PhysicsEffects()

  public func initialState(using rng: inout PCG64) -> State {
    let theta = rng.uniform(-Double.pi, Double.pi)
    let thetaDot = rng.uniform(-1.0, 1.0)
    return State(theta: theta, thetaDot: thetaDot)
  }

  static func angleNormalize(_ x: Double) -> Double {
    pythonModulo(x + Double.pi, 2 * Double.pi) - Double.pi
  }

  public func step(_ s: inout State, action: UnsafePointer<Double>, using rng: inout PCG64)
    -> (reward: Double, terminated: Bool)
  {
    let th = s.theta
    let thdot = s.thetaDot
    let limit = Float(maxTorque)
    let u = Swift.min(Swift.max(Float(action.pointee), -limit), limit)
    let torqueCost = Float(0.001) * _powf(u, 2)
    let costs = pySquare(Self.angleNormalize(th)) + 0.1 * pySquare(thdot) + Double(torqueCost)
    let drive = Float(3.0 / (m * pySquare(l))) * u
    var newThDot = thdot + (3 * g / (2 * l) * _sin(th) + Double(drive)) * dt
    newThDot = Swift.min(Swift.max(newThDot, -maxSpeed), maxSpeed)
    let newTh = th + newThDot * dt
    s = State(theta: newTh, thetaDot: newThDot)
    return (-costs, false)
  }

  @inline(__always)
  public func observe(_ s: State, into out: UnsafeMutablePointer<Double>) {
    let (sine, cosine) = _sincos(s.theta)
    out[0] = cosine
    out[1] = sine
    out[2] = s.thetaDot
  }

  @inline(__always)
  public func load(_ c: UnsafePointer<Double>, _ i: Int, stride n: Int) -> State {
    State(theta: c[i], thetaDot: c[n + i])
  }

  @inline(__always)
  public func store(_ s: State, _ c: UnsafeMutablePointer<Double>, _ i: Int, stride n: Int) {
    c[i] = s.theta
    c[n + i] = s.thetaDot
  }
}
