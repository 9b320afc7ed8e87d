/// MountainCarContinuous-v0, identical to Gymnasium 1.4's
/// `Continuous_MountainCarEnv` under `gymnasium.make("MountainCarContinuous-v0")`,
/// including its float32 arithmetic.
///
/// ## Description
/// The mountain car with a continuous force (Moore 1990).
///
/// ## Action Space
/// `Box(-1, 1, (1,))`: the force. Actions are used as float32, as Gymnasium's
/// float32 action space delivers them; values outside [−1, 1] are clipped for
/// the dynamics, while the energy penalty uses the unclipped action.
///
/// ## Observation Space
/// | index | observation | min | max |
/// |---|---|---|---|
/// | 0 | position | −1.2 | 0.6 |
/// | 1 | velocity | −0.07 | 0.07 |
///
/// ## Rewards
/// 100 on reaching the goal, minus 0.1·a² every step (a unclipped).
///
/// ## Starting State
/// Position uniform in [−0.6, −0.4], velocity 0 (double precision).
///
/// ## Episode End
/// Termination: position ≥ 0.45 and velocity ≥ `goal_velocity`.
/// Truncation: step 999.
///
/// ## Arguments
/// Parameters: `goal_velocity` 0, `power` 0.0015, `max_episode_steps` 999.
///
/// ## Precision
/// Gymnasium stores the state as float32 after every step, so from the
/// second step on its arithmetic follows numpy's promotion rules (NEP 50):
/// `force * power` and the velocity and position updates are float32
/// operations, and comparisons with Python floats (0.45, 0.07, …) happen in
/// float32. This implementation follows the same types (`Num`) and is
/// bit-identical; `set_state` values count as float64 (as a float64 array
/// assigned to Gymnasium's `env.state`).
public struct MountainCarContinuous: MountainCarValley {
  public struct State: MountainCarState, Sendable, Equatable {
    public var position, velocity: Double
    /// Whether the state is numpy float32 (after a step) or float64.
    public var float32: Bool
  }
  public typealias Action = Double

  public static let id = "MountainCarContinuous-v0"
  public static let stateSize = 2
  public static let storageSize = 3
  public var observationSize: Int { 2 }
  public static let rewardThreshold: Double? = 90.0
  /// Termination is reaching the goal.
  public static let terminationIsSuccess: Bool? = true
  public var maxEpisodeSteps = 999

  public let minAction = -1.0
  public let maxAction = 1.0
  public let goalPosition = 0.45
  public var goalVelocity = 0.0
  public var power = 0.0015

  public init() {}

  public var actionSpace: ActionSpace { .box(low: [minAction], high: [maxAction]) }

  public static let parameterTable: [DynamicsParameter<MountainCarContinuous>] = [
    .init("goal_velocity", \.goalVelocity), .init("power", \.power, .nonNegative),
  ] + effectParameters
  /// Observation noise and action delay (off by default).
  public var effects = PhysicsEffects()

  public func initialState(using rng: inout PCG64) -> State {
    State(position: startPosition(using: &rng), velocity: 0, float32: false)
  }

  public func step(_ s: inout State, action: UnsafePointer<Double>, using rng: inout PCG64)
    -> (reward: Double, terminated: Bool)
  {
    let stored: Num.Kind = s.float32 ? .f32 : .f64
    var position = Num(s.position, stored)
    var velocity = Num(s.velocity, stored)
    let a = Float(action.pointee)
    // min(max(action[0], -1.0), 1.0): a float32 when inside, else a Python float.
    let force =
      Double(a) < minAction ? Num(minAction, .py) : Double(a) > maxAction ? Num(maxAction, .py) : Num(Double(a), .f32)
    let cosine = Num(0.0025 * _cos(Num.mul(Num(3, .py), position).value), .py)
    velocity = Num.add(velocity, Num.sub(Num.mul(force, Num(power, .py)), cosine))
    if velocity.greater(maxSpeed) { velocity = Num(maxSpeed, .py) }
    if velocity.less(-maxSpeed) { velocity = Num(-maxSpeed, .py) }
    position = Num.add(position, velocity)
    if position.greater(maxPosition) { position = Num(maxPosition, .py) }
    if position.less(minPosition) { position = Num(minPosition, .py) }
    if position.equal(minPosition) && velocity.less(0) { velocity = Num(0, .py) }
    let terminated = position.greaterOrEqual(goalPosition) && velocity.greaterOrEqual(goalVelocity)
    var reward = terminated ? 100.0 : 0.0
    reward -= _pow(Double(a), 2) * 0.1
    s = State(position: Double(Float(position.value)), velocity: Double(Float(velocity.value)), float32: true)
    return (reward, terminated)
  }

  @inline(__always)
  public func load(_ c: UnsafePointer<Double>, _ i: Int, stride n: Int) -> State {
    State(position: c[i], velocity: c[n + i], float32: c[2 * n + i] != 0)
  }

  @inline(__always)
  public func store(_ s: State, _ c: UnsafeMutablePointer<Double>, _ i: Int, stride n: Int) {
    c[i] = s.position
    c[n + i] = s.velocity
    c[2 * n + i] = s.float32 ? 1 : 0
  }
}

/// A number with numpy's scalar type (NEP 50 promotion): float32, float64,
/// or a Python float (double precision, but "weak": it adopts the other
/// operand's type).
public struct Num: Sendable {
  public enum Kind: Sendable { case f32, f64, py }
  public var value: Double
  public var kind: Kind

  public init(_ value: Double, _ kind: Kind) {
    self.value = value
    self.kind = kind
  }

  static func resultKind(_ a: Num, _ b: Num) -> Kind {
    if a.kind == .f64 || b.kind == .f64 { return .f64 }
    if a.kind == .f32 || b.kind == .f32 { return .f32 }
    return .py
  }

  static func apply(_ a: Num, _ b: Num, _ f32: (Float, Float) -> Float, _ f64: (Double, Double) -> Double)
    -> Num
  {
    let kind = resultKind(a, b)
    if kind == .f32 { return Num(Double(f32(Float(a.value), Float(b.value))), .f32) }
    return Num(f64(a.value, b.value), kind)
  }

  public static func add(_ a: Num, _ b: Num) -> Num { apply(a, b, +, +) }
  public static func sub(_ a: Num, _ b: Num) -> Num { apply(a, b, -, -) }
  public static func mul(_ a: Num, _ b: Num) -> Num { apply(a, b, *, *) }

  /// Comparisons with a Python float: in float32 when `self` is float32.
  public func greater(_ c: Double) -> Bool { kind == .f32 ? Float(value) > Float(c) : value > c }
  public func less(_ c: Double) -> Bool { kind == .f32 ? Float(value) < Float(c) : value < c }
  public func equal(_ c: Double) -> Bool { kind == .f32 ? Float(value) == Float(c) : value == c }
  public func greaterOrEqual(_ c: Double) -> Bool {
    kind == .f32 ? Float(value) >= Float(c) : value >= c
  }
}
