#if canImport(Glibc)
  import Glibc
#endif
/// Acrobot-v1, identical to Gymnasium 1.4's `AcrobotEnv` ("book" dynamics)
/// under `gymnasium.make("Acrobot-v1")`.
///
/// ## Description
/// Two links connected by an actuated joint hang from a fixed pivot
/// (Sutton 1996; Sutton & Barto 1998). The goal is to swing the free end
/// above a height of one link length above the pivot.
///
/// ## Action Space
/// `Discrete(3)`: torque −1, 0 or +1 N·m on the joint between the links.
///
/// ## Observation Space
/// | index | observation | min | max |
/// |---|---|---|---|
/// | 0–1 | cos θ₁, sin θ₁ | −1 | 1 |
/// | 2–3 | cos θ₂, sin θ₂ (θ₂ relative to link 1) | −1 | 1 |
/// | 4 | θ̇₁ | −4π | 4π |
/// | 5 | θ̇₂ | −9π | 9π |
/// The state is (θ₁, θ₂, θ̇₁, θ̇₂); θ₁ = 0 means link 1 points down.
///
/// ## Rewards
/// −1 per step; 0 on the terminating step.
///
/// ## Starting State
/// Each state component uniform in [−0.1, 0.1], rounded to float32 (as
/// Gymnasium's `.astype(np.float32)`); later states are double.
///
/// ## Episode End
/// Termination: −cos θ₁ − cos(θ₂ + θ₁) > 1. Truncation: step 500.
///
/// ## Arguments
/// Parameters: `link_length_1` 1.0, `link_mass_1` 1.0, `link_mass_2` 1.0,
/// `link_com_pos_1` 0.5, `link_com_pos_2` 0.5, `link_moi` 1.0, and
/// `max_episode_steps` 500. One RK4 step of dt = 0.2 s per action; θ wrapped
/// into [−π, π]; velocities clipped to ±4π and ±9π.
public struct Acrobot: EnvironmentDynamics {
  public struct State: Sendable, Equatable {
    public var theta1, theta2, dtheta1, dtheta2: Double
  }
  public typealias Action = Int32

  public static let id = "Acrobot-v1"
  public static let parallelChunk = 128
  public static let stateSize = 4
  public var observationSize: Int { 6 }
  public static let rewardThreshold: Double? = -100.0
  /// Termination is reaching the goal.
  public static let terminationIsSuccess: Bool? = true
  public var maxEpisodeSteps = 500

  public var dt = 0.2
  public var linkLength1 = 1.0
  public var linkMass1 = 1.0
  public var linkMass2 = 1.0
  public var linkComPos1 = 0.5
  public var linkComPos2 = 0.5
  public var linkMoi = 1.0
  public let maxVel1 = 4 * Double.pi
  public let maxVel2 = 9 * Double.pi
  public let gravity = 9.8

  public init() {}

  public var actionSpace: ActionSpace { .discrete(3) }
  public var observationHigh: [Double] { [1, 1, 1, 1, maxVel1, maxVel2] }
  public var observationLow: [Double] { observationHigh.map { -$0 } }

  public static let parameterTable: [DynamicsParameter<Acrobot>] = [
    .init("link_length_1", \.linkLength1, .positive), .init("link_mass_1", \.linkMass1, .positive),
    .init("link_mass_2", \.linkMass2, .positive), .init("link_com_pos_1", \.linkComPos1, .positive),
    .init("link_com_pos_2", \.linkComPos2, .positive), .init("link_moi", \.linkMoi, .positive),
  ] + effectParameters
  /// Observation noise and action delay (off by default).
  public var effects = PhysicsEffects()

  public func initialState(using rng: inout PCG64) -> State {
    func draw() -> Double { Double(Float(rng.uniform(-0.1, 0.1))) }
    let a = draw()
    let b = draw()
    let c = draw()
    let d = draw()
    return State(theta1: a, theta2: b, dtheta1: c, dtheta2: d)
  }

  /// Gymnasium's `_dsdt` ("book" variant), in its operation order.
  /// Squares of the link constants (Python's `lc1**2` etc.), once per step.
  struct Squares {
    let lc1, l1, lc2: Double
  }

  @inline(__always)
  func derivatives(_ y: (Double, Double, Double, Double), torque a: Double, _ sq: Squares)
    -> (Double, Double, Double, Double)
  {
    let (theta1, theta2, dtheta1, dtheta2) = y
    let m1 = linkMass1
    let m2 = linkMass2
    let l1 = linkLength1
    let lc1 = linkComPos1
    let lc2 = linkComPos2
    let i1 = linkMoi
    let i2 = linkMoi
    let g = gravity
    let (sinTheta2, cosTheta2) = _sincos(theta2)
    let d1 = m1 * sq.lc1 + m2 * (sq.l1 + sq.lc2 + 2 * l1 * lc2 * cosTheta2) + i1 + i2
    let d2 = m2 * (sq.lc2 + l1 * lc2 * cosTheta2) + i2
    let phi2 = m2 * lc2 * g * _cos(theta1 + theta2 - Double.pi / 2.0)
    let phi1a = -m2 * l1 * lc2 * pySquare(dtheta2) * sinTheta2
    let phi1b = 2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sinTheta2
    let phi1 = phi1a - phi1b + (m1 * lc1 + m2 * l1) * g * _cos(theta1 - Double.pi / 2) + phi2
    let numerator = a + d2 / d1 * phi1 - m2 * l1 * lc2 * pySquare(dtheta1) * sinTheta2 - phi2
    let ddtheta2 = numerator / (m2 * sq.lc2 + i2 - pySquare(d2) / d1)
    let ddtheta1 = -(d2 * ddtheta2 + phi1) / d1
    return (dtheta1, dtheta2, ddtheta1, ddtheta2)
  }

  /// Gymnasium's `wrap` into [−π, π] (its loop, so results are bit for bit
  /// the same) for |x| up to 1024 turns; beyond that, where the loop would
  /// take ~|x|/2π iterations (forever once x − 2π rounds to x), the IEEE
  /// remainder. Non-finite values are returned as they are (the loop never
  /// ends on ±∞).
  static func wrap(_ x: Double) -> Double {
    let diff = Double.pi - -Double.pi
    guard x.isFinite else { return x }
    guard Swift.abs(x) <= 1024 * diff else { return Glibc.remainder(x, diff) }
    var v = x
    while v > Double.pi { v = v - diff }
    while v < -Double.pi { v = v + diff }
    return v
  }

  public func step(_ s: inout State, action: UnsafePointer<Int32>, using rng: inout PCG64)
    -> (reward: Double, terminated: Bool)
  {
    let torque: Double = action.pointee == 0 ? -1.0 : (action.pointee == 1 ? 0.0 : 1.0)
    // One classical RK4 step over [0, dt], in Gymnasium's `rk4` order.
    let h = dt - 0
    let h2 = h / 2.0
    let y0 = (s.theta1, s.theta2, s.dtheta1, s.dtheta2)
    let sq = Squares(lc1: pySquare(linkComPos1), l1: pySquare(linkLength1), lc2: pySquare(linkComPos2))
    let k1 = derivatives(y0, torque: torque, sq)
    let k2 = derivatives(
      (y0.0 + h2 * k1.0, y0.1 + h2 * k1.1, y0.2 + h2 * k1.2, y0.3 + h2 * k1.3), torque: torque, sq)
    let k3 = derivatives(
      (y0.0 + h2 * k2.0, y0.1 + h2 * k2.1, y0.2 + h2 * k2.2, y0.3 + h2 * k2.3), torque: torque, sq)
    let k4 = derivatives(
      (y0.0 + h * k3.0, y0.1 + h * k3.1, y0.2 + h * k3.2, y0.3 + h * k3.3), torque: torque, sq)
    let c = h / 6.0
    let t1 = y0.0 + c * (k1.0 + 2 * k2.0 + 2 * k3.0 + k4.0)
    let t2 = y0.1 + c * (k1.1 + 2 * k2.1 + 2 * k3.1 + k4.1)
    let w1 = y0.2 + c * (k1.2 + 2 * k2.2 + 2 * k3.2 + k4.2)
    let w2 = y0.3 + c * (k1.3 + 2 * k2.3 + 2 * k3.3 + k4.3)
    s.theta1 = Self.wrap(t1)
    s.theta2 = Self.wrap(t2)
    s.dtheta1 = Swift.min(Swift.max(w1, -maxVel1), maxVel1)
    s.dtheta2 = Swift.min(Swift.max(w2, -maxVel2), maxVel2)
    let terminated = -_cos(s.theta1) - _cos(s.theta2 + s.theta1) > 1.0
    return (terminated ? 0.0 : -1.0, terminated)
  }

  @inline(__always)
  public func observe(_ s: State, into out: UnsafeMutablePointer<Double>) {
    let (sin1, cos1) = _sincos(s.theta1)
    let (sin2, cos2) = _sincos(s.theta2)
    out[0] = cos1
    out[1] = sin1
    out[2] = cos2
    out[3] = sin2
    out[4] = s.dtheta1
    out[5] = s.dtheta2
  }

  @inline(__always)
  public func load(_ c: UnsafePointer<Double>, _ i: Int, stride n: Int) -> State {
    State(theta1: c[i], theta2: c[n + i], dtheta1: c[2 * n + i], dtheta2: c[3 * n + i])
  }

  @inline(__always)
  public func store(_ s: State, _ c: UnsafeMutablePointer<Double>, _ i: Int, stride n: Int) {
    c[i] = s.theta1
    c[n + i] = s.theta2
    c[2 * n + i] = s.dtheta1
    c[3 * n + i] = s.dtheta2
  }
}
