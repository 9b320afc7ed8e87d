/// The physics of one environment: named constants, reset, step and the
/// observation. Batching, time limits, seeding, automatic reset and buffers
/// are written once, in `VectorEnvironment`.
public protocol EnvironmentDynamics: Sendable {
  /// The physics state of one instance.
  associatedtype State
  /// `Int32` for discrete action spaces, `Double` for continuous ones.
  associatedtype Action

  static var id: String { get }
  static var stateSize: Int { get }
  static var observationSize: Int { get }
  /// The time limit; the step that reaches it is truncated.
  static var maxEpisodeSteps: Int { get }
  static var rewardThreshold: Double? { get }

  var actionSpace: ActionSpace { get }
  var observationLow: [Double] { get }
  var observationHigh: [Double] { get }

  /// A starting state drawn from the environment's start distribution.
  func initialState(using rng: inout PCG64) -> State
  /// Advances `state` by one step under `action` (a pointer to this
  /// instance's `actionSpace.width` action values).
  func step(_ state: inout State, action: UnsafePointer<Action>)
    -> (reward: Double, terminated: Bool)
  /// Writes the observation of `state` (`observationSize` values).
  func observe(_ state: State, into out: UnsafeMutablePointer<Double>)

  /// Reads one state from structure-of-arrays storage: component k of
  /// instance i is `columns[k * stride + i]`.
  func load(_ columns: UnsafePointer<Double>, _ i: Int, stride: Int) -> State
  func store(_ state: State, _ columns: UnsafeMutablePointer<Double>, _ i: Int, stride: Int)
}
