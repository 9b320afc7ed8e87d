/// MountainCar-v0, identical to Gymnasium 1.4's `MountainCarEnv` under
/// `gymnasium.make("MountainCar-v0")`.
///
/// ## Description
/// A car in a valley must build momentum to reach the flag on the right hill
/// (Moore 1990).
///
/// ## Action Space
/// `Discrete(3)`: 0 accelerate left, 1 do nothing, 2 accelerate right.
///
/// ## Observation Space
/// | index | observation | min | max |
/// |---|---|---|---|
/// | 0 | position | −1.2 | 0.6 |
/// | 1 | velocity | −0.07 | 0.07 |
///
/// ## Rewards
/// −1 per step, including the terminating step.
///
/// ## Starting State
/// Position uniform in [−0.6, −0.4], velocity 0.
///
/// ## Episode End
/// Termination: position ≥ 0.5 and velocity ≥ `goal_velocity`.
/// Truncation: step 200.
///
/// ## Arguments
/// Parameters: `goal_velocity` 0, `force` 0.001, `gravity` 0.0025,
/// `max_episode_steps` 200. Semi-implicit Euler: velocity first (from the old
/// position), then position with the new velocity; velocity clipped to
/// ±0.07, position to [−1.2, 0.6]; hitting the left wall stops the car.
public struct MountainCar: MountainCarValley {
  public struct State: MountainCarState, Sendable, Equatable {
    public var position, velocity: Double
  }
  public typealias Action = Int32

  public static let id = "MountainCar-v0"
  public static let parallelChunk = 2048
  public static let stateSize = 2
  public var observationSize: Int { 2 }
  public static let rewardThreshold: Double? = -110.0
  /// Termination is reaching the goal.
  public static let terminationIsSuccess: Bool? = true
  public var maxEpisodeSteps = 200

  public let goalPosition = 0.5
  public var goalVelocity = 0.0
  public var force = 0.001
  public var gravity = 0.0025

  public init() {}

  public var actionSpace: ActionSpace { .discrete(3) }

  public static let parameterTable: [DynamicsParameter<MountainCar>] = [
    .init("goal_velocity", \.goalVelocity), .init("force", \.force, .nonNegative),
    .init("gravity", \.gravity, .nonNegative),
  ] + effectParameters
  /// Observation noise and action delay (off by default).
  public var effects = PhysicsEffects()

  public func initialState(using rng: inout PCG64) -> State {
    State(position: startPosition(using: &rng), velocity: 0)
  }

  public func step(_ s: inout State, action: UnsafePointer<Int32>, using rng: inout PCG64)
    -> (reward: Double, terminated: Bool)
  {
    var velocity = s.velocity
    var position = s.position
    velocity += Double(action.pointee - 1) * force + _cos(3 * position) * (-gravity)
    velocity = Swift.min(Swift.max(velocity, -maxSpeed), maxSpeed)
    position += velocity
    position = Swift.min(Swift.max(position, minPosition), maxPosition)
    if position == minPosition && velocity < 0 { velocity = 0 }
    s = State(position: position, velocity: velocity)
    return (-1.0, position >= goalPosition && velocity >= goalVelocity)
  }

  @inline(__always)
  public func load(_ c: UnsafePointer<Double>, _ i: Int, stride n: Int) -> State {
    State(position: c[i], velocity: c[n + i])
  }

  @inline(__always)
  public func store(_ s: State, _ c: UnsafeMutablePointer<Double>, _ i: Int, stride n: Int) {
    c[i] = s.position
    c[n + i] = s.velocity
  }
}

/// The valley both mountain cars drive in (Moore 1990; Gymnasium's
/// `mountain_car.py` and `continuous_mountain_car.py` share it): positions
/// in [−1.2, 0.6], speeds within ±0.07, observations (position, velocity)
/// with those bounds, and episodes that start at rest at a position drawn
/// uniformly from [−0.6, −0.4] (one draw).
public protocol MountainCarValley: EnvironmentDynamics where State: MountainCarState {}

/// A car's state in the valley.
public protocol MountainCarState {
  var position: Double { get }
  var velocity: Double { get }
}

extension MountainCarValley {
  public var minPosition: Double { -1.2 }
  public var maxPosition: Double { 0.6 }
  public var maxSpeed: Double { 0.07 }
  public var observationLow: [Double] { [minPosition, -maxSpeed] }
  public var observationHigh: [Double] { [maxPosition, maxSpeed] }

  /// The observation is the state: (position, velocity).
  @inline(__always)
  public func observe(_ s: State, into out: UnsafeMutablePointer<Double>) {
    out[0] = s.position
    out[1] = s.velocity
  }

  /// The start position, uniform in [−0.6, −0.4].
  public func startPosition(using rng: inout PCG64) -> Double { rng.uniform(-0.6, -0.4) }
}
