/// Contiguous storage with a stable base pointer between `reserve` calls
/// (no closures needed to reach the memory). Contents are unspecified after
/// growth unless `keep` elements are asked to be kept.
public final class Store<T: BitwiseCopyable> {
  public private(set) var pointer: UnsafeMutablePointer<T>
  public private(set) var capacity: Int

  public init() {
    capacity = 1
    pointer = .allocate(capacity: 1)
  }

  deinit { pointer.deallocate() }

  /// Room for at least `count` elements; the first `keep` survive growth.
  @discardableResult
  public func reserve(_ count: Int, keep: Int = 0) -> UnsafeMutablePointer<T> {
    if count > capacity {
      let grown = Swift.max(count, 2 * capacity)
      let fresh = UnsafeMutablePointer<T>.allocate(capacity: grown)
      if keep > 0 { fresh.update(from: pointer, count: Swift.min(keep, capacity)) }
      pointer.deallocate()
      pointer = fresh
      capacity = grown
    }
    return pointer
  }

  public subscript(i: Int) -> T {
    get { pointer[i] }
    set { pointer[i] = newValue }
  }
}

/// A time-major batch of transitions `[T, N]` (T steps of N lanes), the one
/// format every policy-gradient update reads, whether Swift collected it
/// (fixed-length rollouts, or whole episodes concatenated in one lane) or
/// Python did (any Gymnasium env).
///
/// Row `t·N + i` is step t of lane i: the observation the action was taken
/// in, the action, its reward, and whether the step terminated or truncated
/// the episode. `finalObservations` holds the last observation of episodes
/// truncated at that row (other rows are ignored), `nextObservations` the
/// observation after row T − 1 of each lane (for bootstrapping), and
/// `behaviorLogProbs` log β(a|s) of the policy that acted.
public final class Trajectories {
  public let observationSize: Int
  public let actionSpace: ActionSpace
  public private(set) var steps = 0
  public private(set) var lanes = 0
  public let observations = Store<Double>()
  public let discreteActions = Store<Int32>()
  public let continuousActions = Store<Double>()
  public let rewards = Store<Double>()
  public let terminated = Store<UInt8>()
  public let truncated = Store<UInt8>()
  public let finalObservations = Store<Double>()
  public let nextObservations = Store<Double>()
  public let behaviorLogProbs = Store<Double>()
  /// Undiscounted return and length of the episodes that ended in the batch
  /// (raw rewards, before any reward scaling).
  public var episodeReturns: [Double] = []
  public var episodeLengths: [Int] = []
  /// Whether each of those episodes terminated (true) or was truncated.
  public var episodeTerminated: [Bool] = []

  public init(observationSize: Int, actionSpace: ActionSpace) {
    self.observationSize = observationSize
    self.actionSpace = actionSpace
  }

  public var count: Int { steps * lanes }
  public var isDiscrete: Bool {
    if case .discrete = actionSpace { return true }
    return false
  }

  /// Sizes every column for `steps × lanes` rows and clears the flags.
  public func resize(steps: Int, lanes: Int) {
    self.steps = steps
    self.lanes = lanes
    let m = steps * lanes
    let d = observationSize
    observations.reserve(m * d)
    if isDiscrete {
      discreteActions.reserve(m)
    } else {
      continuousActions.reserve(m * actionSpace.width)
    }
    rewards.reserve(m)
    terminated.reserve(m).update(repeating: 0, count: m)
    truncated.reserve(m).update(repeating: 0, count: m)
    finalObservations.reserve(m * d)
    nextObservations.reserve(lanes * d)
    behaviorLogProbs.reserve(m)
    episodeReturns.removeAll(keepingCapacity: true)
    episodeLengths.removeAll(keepingCapacity: true)
    episodeTerminated.removeAll(keepingCapacity: true)
  }

  /// The actions as the policy reads them (`Int32` or `Double` rows).
  public var actions: UnsafeMutableRawPointer {
    isDiscrete
      ? UnsafeMutableRawPointer(discreteActions.pointer)
      : UnsafeMutableRawPointer(continuousActions.pointer)
  }

  /// Row `k`'s action, for gathering minibatches.
  func copyAction(from k: Int, to dst: UnsafeMutableRawPointer, row: Int) {
    if isDiscrete {
      dst.assumingMemoryBound(to: Int32.self)[row] = discreteActions[k]
    } else {
      let w = actionSpace.width
      (dst.assumingMemoryBound(to: Double.self) + row * w).update(
        from: continuousActions.pointer + k * w, count: w)
    }
  }

  /// The estimator view of the rewards and flags with the given values
  /// (`[T + 1, N]`) and final values (`[T, N]`).
  public func rollout(values: UnsafePointer<Double>?, finalValues: UnsafePointer<Double>?)
    -> Rollout
  {
    Rollout(
      steps: steps, count: lanes, rewards: rewards.pointer, terminated: terminated.pointer,
      truncated: truncated.pointer, values: values, finalValues: finalValues)
  }

  /// Copies whole episodes into one lane (T = M, N = 1), with the behaviour
  /// log-probabilities when the batch kept them.
  public func load(_ batch: EpisodeBatch) {
    let m = batch.count
    resize(steps: m, lanes: 1)
    let d = observationSize
    batch.observations.withUnsafeBufferPointer { src in
      if let base = src.baseAddress { observations.pointer.update(from: base, count: m * d) }
    }
    if isDiscrete {
      batch.actions.withUnsafeBufferPointer { src in
        if let base = src.baseAddress { discreteActions.pointer.update(from: base, count: m) }
      }
    } else {
      batch.continuousActions.withUnsafeBufferPointer { src in
        if let base = src.baseAddress {
          continuousActions.pointer.update(from: base, count: m * actionSpace.width)
        }
      }
    }
    for t in 0..<m {
      rewards[t] = batch.rewards[t]
      terminated[t] = batch.terminated[t]
      truncated[t] = batch.truncated[t]
    }
    if batch.logProbabilities.count == m {
      batch.logProbabilities.withUnsafeBufferPointer { src in
        if let base = src.baseAddress { behaviorLogProbs.pointer.update(from: base, count: m) }
      }
    }
    nextObservations.pointer.update(repeating: 0, count: d)
    finalObservations.pointer.update(repeating: 0, count: m * d)
    episodeReturns = batch.episodeReturns
    episodeLengths = batch.episodeLengths
    for t in 0..<m where batch.terminated[t] != 0 || batch.truncated[t] != 0 {
      episodeTerminated.append(batch.terminated[t] != 0)
    }
  }

  /// A deep copy (off-policy reuse keeps past batches).
  public func copy() -> Trajectories {
    let c = Trajectories(observationSize: observationSize, actionSpace: actionSpace)
    c.resize(steps: steps, lanes: lanes)
    let m = count
    let d = observationSize
    c.observations.pointer.update(from: observations.pointer, count: m * d)
    if isDiscrete {
      c.discreteActions.pointer.update(from: discreteActions.pointer, count: m)
    } else {
      c.continuousActions.pointer.update(
        from: continuousActions.pointer, count: m * actionSpace.width)
    }
    c.rewards.pointer.update(from: rewards.pointer, count: m)
    c.terminated.pointer.update(from: terminated.pointer, count: m)
    c.truncated.pointer.update(from: truncated.pointer, count: m)
    c.finalObservations.pointer.update(from: finalObservations.pointer, count: m * d)
    c.nextObservations.pointer.update(from: nextObservations.pointer, count: lanes * d)
    c.behaviorLogProbs.pointer.update(from: behaviorLogProbs.pointer, count: m)
    c.episodeReturns = episodeReturns
    c.episodeLengths = episodeLengths
    c.episodeTerminated = episodeTerminated
    return c
  }
}
