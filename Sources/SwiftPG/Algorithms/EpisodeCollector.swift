/// Whole episodes gathered from a batched environment, concatenated in the
/// order they finished. Step arrays have one entry per transition.
public struct EpisodeBatch: Sendable {
  public var observationSize: Int
  /// `[M, observationSize]`: the observation each action was taken in.
  public var observations: [Double] = []
  /// Discrete actions `[M]` (empty for continuous action spaces).
  public var actions: [Int32] = []
  /// Continuous actions `[M, width]` (empty for discrete action spaces).
  public var continuousActions: [Double] = []
  public var rewards: [Double] = []
  /// 1 on the last step of an episode that terminated.
  public var terminated: [UInt8] = []
  /// 1 on the last step of an episode cut by the time limit.
  public var truncated: [UInt8] = []
  /// log π(a_t|s_t) `[M]` from the pass that sampled each action, when the
  /// collection was given a sampler that reports them (else empty).
  public var logProbabilities: [Double] = []
  /// Undiscounted return and length of each episode.
  public var episodeReturns: [Double] = []
  public var episodeLengths: [Int] = []

  public init(observationSize: Int) { self.observationSize = observationSize }

  /// Number of transitions M.
  public var count: Int { rewards.count }

  public mutating func removeAll() {
    observations.removeAll(keepingCapacity: true)
    actions.removeAll(keepingCapacity: true)
    continuousActions.removeAll(keepingCapacity: true)
    rewards.removeAll(keepingCapacity: true)
    logProbabilities.removeAll(keepingCapacity: true)
    terminated.removeAll(keepingCapacity: true)
    truncated.removeAll(keepingCapacity: true)
    episodeReturns.removeAll(keepingCapacity: true)
    episodeLengths.removeAll(keepingCapacity: true)
  }
}

/// Runs a batched environment (discrete or continuous actions) until a set
/// of whole episodes is complete.
///
/// Unbiased stopping: whether an instance starts another episode depends
/// only on what was collected before that moment, and every started episode
/// is completed, so long episodes are not cut off (cutting them would favour
/// short ones).
public final class EpisodeCollector {
  public enum Budget: Sendable {
    /// Start episodes while fewer than this many transitions were collected
    /// (finished plus in progress).
    case steps(Int)
    /// Start exactly this many episodes.
    case episodes(Int)
  }

  public let env: any BatchedEnvironment
  /// Checked at every step; a request makes the collection throw `.cancelled`.
  public var cancellation: CancellationFlag?
  private var buffers: StepBuffers
  private let width: Int
  private let discrete: Bool
  private var intActions: [Int32]
  private var realActions: [Double]
  /// log π of this step's actions, per instance (filled by a sampler that reports them).
  private var stepLogProbs: [Double]
  private var episodeObs: [[Double]]
  /// Actions as Doubles (exact for Int32 action indices).
  private var episodeActions: [[Double]]
  private var episodeRewards: [[Double]]
  private var episodeLogProbs: [[Double]]
  private var active: [Bool]
  private var startIndex: [Int]

  public init(env: any BatchedEnvironment) throws(SwiftPGError) {
    self.env = env
    width = env.actionSpace.width
    if case .discrete = env.actionSpace { discrete = true } else { discrete = false }
    buffers = StepBuffers(for: env)
    intActions = Array(repeating: 0, count: env.count)
    realActions = Array(repeating: 0, count: env.count * width)
    stepLogProbs = Array(repeating: 0, count: env.count)
    episodeObs = Array(repeating: [], count: env.count)
    episodeActions = Array(repeating: [], count: env.count)
    episodeRewards = Array(repeating: [], count: env.count)
    episodeLogProbs = Array(repeating: [], count: env.count)
    active = Array(repeating: false, count: env.count)
    startIndex = Array(repeating: 0, count: env.count)
  }

  /// Resets the environment (reseeding it if `seed` is given) and collects
  /// episodes into `batch` (cleared first). `act` writes one action per
  /// instance for the observations `[N, observationSize]`.
  /// With `.episodes(k)` the episodes are stored in the order they started.
  /// Discrete environments only (see the raw-action variant).
  public func collect(
    _ budget: Budget, seed: UInt64? = nil, into batch: inout EpisodeBatch,
    act: (UnsafePointer<Double>, UnsafeMutablePointer<Int32>) -> Void
  ) throws(SwiftPGError) {
    try collect(budget, seed: seed, into: &batch) { (obs: UnsafePointer<Double>, raw: UnsafeMutableRawPointer) in
      act(obs, raw.assumingMemoryBound(to: Int32.self))
    }
  }

  /// As above for any action space: `act` writes `count × width` actions,
  /// `Int32` (discrete) or `Double` (continuous), to the raw buffer.
  public func collect(
    _ budget: Budget, seed: UInt64? = nil, into batch: inout EpisodeBatch,
    act: (UnsafePointer<Double>, UnsafeMutableRawPointer) -> Void
  ) throws(SwiftPGError) {
    try collect(budget, seed: seed, into: &batch, keepingLogProbabilities: false) { (obs, raw, _) in act(obs, raw) }
  }

  /// As above, with `sample` also writing log π(a_i|s_i) of the actions it
  /// drew (`[count]`, the third buffer) from the same forward pass; they
  /// are kept in `batch.logProbabilities` (one policy pass per step).
  public func collect(
    _ budget: Budget, seed: UInt64? = nil, into batch: inout EpisodeBatch,
    sample: (UnsafePointer<Double>, UnsafeMutableRawPointer, UnsafeMutablePointer<Double>) -> Void
  ) throws(SwiftPGError) {
    try collect(budget, seed: seed, into: &batch, keepingLogProbabilities: true, act: sample)
  }

  private func collect(
    _ budget: Budget, seed: UInt64?, into batch: inout EpisodeBatch, keepingLogProbabilities keep: Bool,
    act: (UnsafePointer<Double>, UnsafeMutableRawPointer, UnsafeMutablePointer<Double>) -> Void
  ) throws(SwiftPGError) {
    try requireEpisodicBatch()
    let w = width
    let n = env.count
    let d = env.observationSize
    batch.removeAll()
    env.reset(seed: seed, into: &buffers)
    var started = 0
    var inProgress = 0
    var collected = 0
    func mayStart() -> Bool {
      switch budget {
      case .steps(let k): collected + inProgress < k
      case .episodes(let k): started < k
      }
    }
    var ordered: [(start: Int, episode: Episode)] = []
    for i in 0..<n {
      clearEpisode(i)
      active[i] = mayStart()
      if active[i] {
        startIndex[i] = started
        started += 1
      }
    }
    var activeCount = active.filter { $0 }.count
    while activeCount > 0 {
      try cancellation?.check("episode collection")
      try step(act) {
        // Record the observations the actions were taken in, before the step.
        for i in 0..<n where active[i] {
          episodeObs[i].append(contentsOf: buffers.observations[(i * d)..<((i + 1) * d)])
          if discrete {
            episodeActions[i].append(Double(intActions[i]))
          } else {
            episodeActions[i].append(contentsOf: realActions[(i * w)..<((i + 1) * w)])
          }
          if keep { episodeLogProbs[i].append(stepLogProbs[i]) }
        }
      }
      for i in 0..<n where active[i] {
        episodeRewards[i].append(buffers.rewards[i])
        inProgress += 1
        let term = buffers.terminated[i] != 0
        let trunc = buffers.truncated[i] != 0
        guard term || trunc else { continue }
        let length = episodeRewards[i].count
        inProgress -= length
        collected += length
        let episode = Episode(
          obs: episodeObs[i], actions: episodeActions[i], rewards: episodeRewards[i], logProbs: episodeLogProbs[i],
          term: term, trunc: trunc)
        switch budget {
        case .steps: append(&batch, episode)
        case .episodes: ordered.append((startIndex[i], episode))
        }
        clearEpisode(i)
        if mayStart() {
          startIndex[i] = started
          started += 1
        } else {
          active[i] = false
          activeCount -= 1
        }
      }
    }
    ordered.sort { $0.start < $1.start }
    for e in ordered { append(&batch, e.episode) }
  }

  /// One finished episode of one instance.
  private struct Episode {
    var obs: [Double], actions: [Double], rewards: [Double], logProbs: [Double]
    var term: Bool, trunc: Bool
  }

  private func clearEpisode(_ i: Int) {
    episodeObs[i].removeAll(keepingCapacity: true)
    episodeActions[i].removeAll(keepingCapacity: true)
    episodeRewards[i].removeAll(keepingCapacity: true)
    episodeLogProbs[i].removeAll(keepingCapacity: true)
  }

  /// One step of every instance: `act` writes the actions for the current
  /// observations, `beforeStep` sees them, then the environment steps.
  private func step(
    _ act: (UnsafePointer<Double>, UnsafeMutableRawPointer, UnsafeMutablePointer<Double>) -> Void,
    beforeStep: () -> Void = {}
  ) throws(SwiftPGError) {
    buffers.observations.withUnsafeBufferPointer { o in
      intActions.withUnsafeMutableBufferPointer { ia in
        realActions.withUnsafeMutableBufferPointer { ra in
          stepLogProbs.withUnsafeMutableBufferPointer { lp in
            guard let op = o.baseAddress, let iap = ia.baseAddress, let rap = ra.baseAddress, let lpp = lp.baseAddress
            else { return }
            act(op, discrete ? UnsafeMutableRawPointer(iap) : UnsafeMutableRawPointer(rap), lpp)
          }
        }
      }
    }
    beforeStep()
    do throws(SwiftPGError) {
      if discrete { try env.step(actions: intActions, into: &buffers) } else {
        try env.step(actions: realActions, into: &buffers)
      }
    } catch {
      // Actions come from a policy with the env's action count; an invalid
      // one is a bug. Stop rather than loop forever.
      throw SwiftPGError(.internalError, "the environment refused a policy's action: \(error.message)")
    }
  }

  /// Episodic work needs episodes that end, each counted once: refuses an
  /// environment without a time limit (`maxEpisodeSteps` 0), where a policy
  /// that never reaches a terminal state would loop forever, and a
  /// next-step batch, whose reset steps would count as transitions.
  func requireEpisodicBatch() throws(SwiftPGError) {
    try requireSameStepAutoreset(env)
    try require(
      env.maxEpisodeSteps > 0,
      "\(env.id) has no time limit (max_episode_steps = 0), so an episode may never end; set max_episode_steps "
        + "(a cap on steps per episode) before collecting or evaluating whole episodes")
  }

  /// Runs exactly `episodes` episodes keeping only their returns and lengths:
  /// `record(k, return, length)` for episode k (numbered in the order the
  /// episodes started), called as each one ends. Memory O(N).
  public func summarize(
    episodes: Int, seed: UInt64? = nil, record: (Int, Double, Int) -> Void,
    act: (UnsafePointer<Double>, UnsafeMutableRawPointer) -> Void
  ) throws(SwiftPGError) {
    try requireEpisodicBatch()
    let n = env.count
    env.reset(seed: seed, into: &buffers)
    var started = 0
    var returns = [Double](repeating: 0, count: n)
    var lengths = [Int](repeating: 0, count: n)
    var activeCount = 0
    for i in 0..<n {
      active[i] = started < episodes
      if active[i] {
        startIndex[i] = started
        started += 1
        activeCount += 1
      }
    }
    while activeCount > 0 {
      try cancellation?.check("evaluation")
      try step { (obs, raw, _) in act(obs, raw) }
      for i in 0..<n where active[i] {
        returns[i] += buffers.rewards[i]
        lengths[i] += 1
        guard buffers.terminated[i] != 0 || buffers.truncated[i] != 0 else { continue }
        record(startIndex[i], returns[i], lengths[i])
        returns[i] = 0
        lengths[i] = 0
        if started < episodes {
          startIndex[i] = started
          started += 1
        } else {
          active[i] = false
          activeCount -= 1
        }
      }
    }
  }

  private func append(_ batch: inout EpisodeBatch, _ e: Episode) {
    batch.observations.append(contentsOf: e.obs)
    if discrete {
      for a in e.actions { batch.actions.append(Int32(a)) }
    } else {
      batch.continuousActions.append(contentsOf: e.actions)
    }
    batch.rewards.append(contentsOf: e.rewards)
    batch.logProbabilities.append(contentsOf: e.logProbs)
    let length = e.rewards.count
    for t in 0..<length {
      let last = t == length - 1
      batch.terminated.append(last && e.term ? 1 : 0)
      batch.truncated.append(last && e.trunc ? 1 : 0)
    }
    batch.episodeReturns.append(e.rewards.reduce(0, +))
    batch.episodeLengths.append(length)
  }
}
