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

  /// Copies whole episodes into one lane (T = M, N = 1).
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
    nextObservations.pointer.update(repeating: 0, count: d)
    finalObservations.pointer.update(repeating: 0, count: m * d)
    episodeReturns = batch.episodeReturns
    episodeLengths = batch.episodeLengths
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
    return c
  }
}

/// Running mean and variance of vectors (Chan et al.'s parallel update, as
/// SB3's `RunningMeanStd`), starting from a pseudo-count of 1e-4.
public struct RunningMeanStd: Sendable {
  public private(set) var mean: [Double]
  public private(set) var variance: [Double]
  public private(set) var count: Double

  public init(width: Int) {
    mean = Array(repeating: 0, count: width)
    variance = Array(repeating: 1, count: width)
    count = 1e-4
  }

  /// Restores saved statistics (checkpoints).
  public init(mean: [Double], variance: [Double], count: Double) throws(SwiftPGError) {
    try require(mean.count == variance.count, "normaliser mean and variance sizes differ")
    try require(
      mean.allFinite && variance.allFinite && variance.allSatisfy { $0 >= 0 } && count > 0
        && count.isFinite,
      "normaliser statistics must be finite, variances >= 0 and count > 0", code: .notFinite)
    self.mean = mean
    self.variance = variance
    self.count = count
  }

  public var width: Int { mean.count }

  /// Folds in `rows` vectors of `width` values.
  public mutating func update(_ x: UnsafePointer<Double>, rows: Int) {
    guard rows > 0 else { return }
    let w = width
    let n = Double(rows)
    for j in 0..<w {
      var m = 0.0
      for r in 0..<rows { m += x[r * w + j] }
      m /= n
      var v = 0.0
      for r in 0..<rows {
        let e = x[r * w + j] - m
        v += e * e
      }
      v /= n
      let delta = m - mean[j]
      let total = count + n
      mean[j] += delta * n / total
      variance[j] = (variance[j] * count + v * n + delta * delta * count * n / total) / total
    }
    count += n
  }

  /// x ← clip((x − mean) / √(var + 1e-8), −clip, clip) row by row, in place.
  public func normalize(_ x: UnsafeMutablePointer<Double>, rows: Int, clip: Double) {
    let w = width
    for j in 0..<w {
      let s = 1 / (variance[j] + 1e-8).squareRoot()
      for r in 0..<rows {
        let k = r * w + j
        x[k] = Swift.min(Swift.max((x[k] - mean[j]) * s, -clip), clip)
      }
    }
  }
}

/// Runs N lanes of a batched environment for T steps per call, continuing
/// episodes across calls (fixed-length segments, PPO/A2C style), recording
/// actions, log β(a|s), rewards, flags and final observations. Observation
/// normalisation (and reward scaling by the running std of the discounted
/// return, SB3's VecNormalize) is applied to what is stored, statistics
/// updated as the data arrive; episode statistics use the raw rewards.
public final class RolloutCollector {
  public let env: any BatchedEnvironment
  private let obsBuffer = Store<Double>()
  private let rewardBuffer = Store<Double>()
  private let terminatedBuffer = Store<UInt8>()
  private let truncatedBuffer = Store<UInt8>()
  private let finalBuffer = Store<Double>()
  private var started = false
  private var runningReturn: [Double]
  private var runningLength: [Int]
  private var discountedReturn: [Double]
  private let normalized = Store<Double>()
  private let actionBuffer: UnsafeMutableRawPointer
  private let lanes: Int

  public init(env: any BatchedEnvironment) {
    self.env = env
    lanes = env.count
    obsBuffer.reserve(env.count * env.observationSize)
    rewardBuffer.reserve(env.count)
    terminatedBuffer.reserve(env.count)
    truncatedBuffer.reserve(env.count)
    finalBuffer.reserve(env.count * env.observationSize)
    runningReturn = Array(repeating: 0, count: env.count)
    runningLength = Array(repeating: 0, count: env.count)
    discountedReturn = Array(repeating: 0, count: env.count)
    actionBuffer = .allocate(
      byteCount: Swift.max(8, env.count * env.actionSpace.width * 8), alignment: 8)
  }

  deinit { actionBuffer.deallocate() }

  /// Starts over: resets the environment (reseeded when `seed` is given).
  public func restart(seed: UInt64?) {
    if let seed { env.reseed(seed) }
    env.reset(observations: obsBuffer.pointer)
    for i in 0..<lanes {
      runningReturn[i] = 0
      runningLength[i] = 0
      discountedReturn[i] = 0
    }
    started = true
  }

  /// Observation rows as the policy sees them (normalised copy if asked).
  private func view(
    _ raw: UnsafePointer<Double>, rows: Int, normalizer: RunningMeanStd?, clip: Double
  ) -> UnsafePointer<Double> {
    guard let normalizer else { return raw }
    let d = env.observationSize
    let out = normalized.reserve(rows * d)
    out.update(from: raw, count: rows * d)
    normalizer.normalize(out, rows: rows, clip: clip)
    return UnsafePointer(out)
  }

  /// Collects `steps` steps of every lane into `data` with actions from
  /// `policy`. Returns false if the environment rejected an action
  /// (non-finite continuous actions from a diverged policy).
  public func collect(
    steps: Int, policy: any Policy, using rng: inout PCG64, into data: Trajectories,
    observationNormalizer: inout RunningMeanStd?, rewardScaler: inout RunningMeanStd?,
    gamma: Double, clipObservations: Double, clipRewards: Double
  ) -> Bool {
    if !started { restart(seed: nil) }
    let n = lanes
    let d = env.observationSize
    let w = env.actionSpace.width
    data.resize(steps: steps, lanes: n)
    let obs = obsBuffer.pointer
    let rew = rewardBuffer.pointer
    let term = terminatedBuffer.pointer
    let trunc = truncatedBuffer.pointer
    let fin = finalBuffer.pointer
    for t in 0..<steps {
      observationNormalizer?.update(obs, rows: n)
      let x = view(obs, rows: n, normalizer: observationNormalizer, clip: clipObservations)
      let row = t * n
      (data.observations.pointer + row * d).update(from: x, count: n * d)
      policy.sample(x, batch: n, greedy: false, rawActions: actionBuffer, using: &rng)
      policy.logProbabilities(
        x, actions: UnsafeRawPointer(actionBuffer), batch: n,
        into: data.behaviorLogProbs.pointer + row)
      if data.isDiscrete {
        (data.discreteActions.pointer + row).update(
          from: actionBuffer.assumingMemoryBound(to: Int32.self), count: n)
      } else {
        (data.continuousActions.pointer + row * w).update(
          from: actionBuffer.assumingMemoryBound(to: Double.self), count: n * w)
      }
      do throws(SwiftPGError) { try env.validateActions(UnsafeRawPointer(actionBuffer)) } catch {
        return false
      }
      env.step(
        actions: UnsafeRawPointer(actionBuffer), observations: obs, rewards: rew, terminated: term,
        truncated: trunc, finalObservations: fin)
      for i in 0..<n {
        let k = row + i
        data.terminated[k] = term[i]
        data.truncated[k] = trunc[i]
        runningReturn[i] += rew[i]
        runningLength[i] += 1
        if term[i] != 0 || trunc[i] != 0 {
          data.episodeReturns.append(runningReturn[i])
          data.episodeLengths.append(runningLength[i])
          runningReturn[i] = 0
          runningLength[i] = 0
        }
      }
      // Rewards: raw, or scaled by the std of the discounted return.
      if rewardScaler != nil {
        for i in 0..<n { discountedReturn[i] = discountedReturn[i] * gamma + rew[i] }
        discountedReturn.withUnsafeBufferPointer { dr in
          if let base = dr.baseAddress { rewardScaler?.update(base, rows: n) }
        }
        let s = 1 / ((rewardScaler?.variance[0] ?? 1) + 1e-8).squareRoot()
        for i in 0..<n {
          data.rewards[row + i] = Swift.min(Swift.max(rew[i] * s, -clipRewards), clipRewards)
          if term[i] != 0 || trunc[i] != 0 { discountedReturn[i] = 0 }
        }
      } else {
        (data.rewards.pointer + row).update(from: rew, count: n)
      }
      // Final observations of truncated episodes (for bootstrapping).
      for i in 0..<n where trunc[i] != 0 && term[i] == 0 {
        let fx = view(
          fin + i * d, rows: 1, normalizer: observationNormalizer, clip: clipObservations)
        (data.finalObservations.pointer + (row + i) * d).update(from: fx, count: d)
      }
    }
    let x = view(obs, rows: n, normalizer: observationNormalizer, clip: clipObservations)
    data.nextObservations.pointer.update(from: x, count: n * d)
    return true
  }
}
