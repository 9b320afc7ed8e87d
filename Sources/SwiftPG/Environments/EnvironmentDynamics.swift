/// The physics of one environment: named constants, reset, step and the
/// observation. Batching, time limits, seeding, automatic reset and buffers
/// are written once: the batch kernels in the extension below and the
/// storage in `VectorEnvironment`.
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

  /// Resets every instance of `batch` (implemented once, below).
  func resetBatch(_ batch: BatchStorage, observations: UnsafeMutablePointer<Double>)
  /// Steps every instance of `batch` (implemented once, below); returns the
  /// number of instances whose episode ended.
  func stepBatch(
    _ batch: BatchStorage, actions: UnsafeRawPointer,
    observations: UnsafeMutablePointer<Double>, rewards: UnsafeMutablePointer<Double>,
    terminated: UnsafeMutablePointer<UInt8>, truncated: UnsafeMutablePointer<UInt8>,
    finalObservations: UnsafeMutablePointer<Double>?) -> Int
}

/// The storage of a batch of N instances: states in structure-of-arrays
/// layout (`states[k * count + i]`), per-instance step counters and generators.
public struct BatchStorage {
  public let count: Int
  public let states: UnsafeMutablePointer<Double>
  public let elapsed: UnsafeMutablePointer<Int32>
  public let generators: UnsafeMutablePointer<PCG64>
}

// The batch kernels are protocol requirements implemented here once: each
// environment's conformance is a concrete call site, so the compiler
// specialises the loop for it and inlines its physics (one dynamic dispatch
// per batch, none per instance).
extension EnvironmentDynamics {
  @inlinable
  public func resetBatch(_ b: BatchStorage, observations: UnsafeMutablePointer<Double>) {
    let n = b.count
    for i in 0..<n {
      let s = initialState(using: &b.generators[i])
      store(s, b.states, i, stride: n)
      b.elapsed[i] = 0
      observe(s, into: observations + i * Self.observationSize)
    }
  }

  /// One step of every instance, with the time limit and same-step autoreset:
  /// an instance that terminates or reaches `maxEpisodeSteps` writes its last
  /// observation to `finalObservations`, then starts a new episode; the rows
  /// of the other instances in `finalObservations` are set to 0.
  @inlinable
  public func stepBatch(
    _ b: BatchStorage, actions: UnsafeRawPointer,
    observations: UnsafeMutablePointer<Double>, rewards: UnsafeMutablePointer<Double>,
    terminated: UnsafeMutablePointer<UInt8>, truncated: UnsafeMutablePointer<UInt8>,
    finalObservations: UnsafeMutablePointer<Double>?
  ) -> Int {
    let n = b.count
    var ended = 0
    let width = Self.observationSize
    let actionWidth = actionSpace.width
    let limit = Int32(clamping: Self.maxEpisodeSteps)
    let a = actions.assumingMemoryBound(to: Action.self)
    for i in 0..<n {
      var s = load(b.states, i, stride: n)
      let (reward, term) = step(&s, action: a + i * actionWidth)
      let steps = b.elapsed[i] &+ 1
      let trunc = steps >= limit
      rewards[i] = reward
      terminated[i] = term ? 1 : 0
      truncated[i] = trunc ? 1 : 0
      if term || trunc {
        ended &+= 1
        if let finalObservations {
          observe(s, into: finalObservations + i * width)
        }
        s = initialState(using: &b.generators[i])
        b.elapsed[i] = 0
      } else {
        b.elapsed[i] = steps
        if let finalObservations {
          (finalObservations + i * width).update(repeating: 0, count: width)
        }
      }
      store(s, b.states, i, stride: n)
      observe(s, into: observations + i * width)
    }
    return ended
  }
}
