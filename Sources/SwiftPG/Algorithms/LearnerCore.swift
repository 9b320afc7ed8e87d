/// The state every policy-gradient learner shares and the steps around its
/// update: the environment and how batches are collected from it, the
/// policy and critic with their guarded parameter steps, observation and
/// reward normalisers, the generator, counters, the learning-rate
/// schedule, the rollback of a failed iteration, evaluation, checkpoints
/// and critic fitting. Each algorithm (Algorithms/<Name>.swift) owns one and
/// calls these by name; none of them holds algorithm-specific logic.
public final class LearnerCore {
  /// How batches are collected.
  public enum Collection: Sendable {
    /// Whole episodes, at least this many transitions (REINFORCE, off-policy PG).
    case episodes(minimumSteps: Int)
    /// Fixed-length segments of this many steps of every lane, episodes
    /// continuing across iterations (actor-critic, A2C, NPG, TRPO, PPO).
    case segments(stepsPerEnv: Int)
  }

  /// What the core needs from a learner's configuration.
  public struct Settings: Sendable {
    public var algorithm: PGAlgorithm
    public var collection: Collection
    public var needsCritic: Bool
    public var common: CommonFields
    /// The critic's learning rate, the schedule's horizon and the
    /// normalisation settings (the defaults, but for the critic's learning
    /// rate, for learners that are not segment learners).
    public var segments: SegmentFields
    /// The adaptive coefficient's initial value (PPO's KL β).
    public var adaptiveCoefficient = 1.0
    /// The global index of this learner's first lane: lane i samples its
    /// actions from `PCG64.laneStream(seed:lane: laneOffset + i)`, so lanes
    /// split across processes draw what one process would.
    public var laneOffset = 0
  }

  /// The environment `iterate` collects from; nil for a learner that only
  /// updates on externally collected data (`update(external:)`).
  public let env: (any BatchedEnvironment)?
  public let observationSize: Int
  public let actionSpace: ActionSpace
  public let policy: any Policy
  public let critic: ValueFunction?
  public let settings: Settings
  public internal(set) var iteration = 0
  public internal(set) var totalEnvSteps = 0
  public var cancellation: CancellationFlag?
  public internal(set) var observationNormalizer: RunningMeanStd?
  public internal(set) var rewardScaler: RunningMeanStd?
  /// The bound of normalised observations: the policy sees
  /// clip((x − mean) / √(var + 1e-8), −bound, bound).
  public var observationClip: Double { settings.segments.clipObservations }
  /// An algorithm's adaptive coefficient, saved and rolled back with the
  /// rest of the state (PPO's KL-penalty β; unused by the others).
  public internal(set) var adaptiveCoefficient: Double
  /// The episodes that ended in the last iteration or update.
  public internal(set) var lastEpisodes: [EpisodeRecord] = []
  /// Rollout-worker mode (`setWorkerNormalization`): collection normalises
  /// with the statistics as set, does not update them, and records raw
  /// observations and rewards.
  public internal(set) var frozenNormalization = false
  /// A normalising learner of `NormalizationUpdate.perSegment` collecting
  /// for itself (not a rollout worker): collection as a worker's (frozen
  /// statistics, raw data), then the segment folded in and normalised as
  /// `update(externalRaw:)` does.
  var foldsPerSegment: Bool {
    settings.segments.normalizationUpdate == .perSegment && !frozenNormalization
      && (observationNormalizer != nil || rewardScaler != nil)
  }
  /// The reward scaler's per-lane discounted returns for batches passed raw
  /// (`normalizeExternal`), kept across batches (not saved in checkpoints).
  var externalDiscountedReturn: [Double] = []
  /// Transitions in the batch of the current (or last) iteration or update,
  /// collected or passed from outside: the schedules count the steps before it.
  public internal(set) var batchSize = 0
  var policyStep: ParameterStep
  var criticStep: ParameterStep?
  /// Minibatch shuffling's generator.
  var rng: PCG64
  /// Lane i's action-sampling stream (`PCG64.laneStream`).
  var laneGenerators: [PCG64]
  let rollouts: RolloutCollector?
  let episodeCollector: EpisodeCollector?
  var episodeBatch: EpisodeBatch
  /// The batch of the current iteration.
  let data: Trajectories
  /// The gradients the steps read ([policy parameters], [critic parameters]).
  var policyGradient: [Double]
  var valueGradient: [Double]
  /// Scratch of the critic's loss (predictions and weights).
  let valueScratch = Store<Double>()
  /// The minibatch permutations of every learner that shuffles (PPO's
  /// epochs, the critic passes of `fitCritic`); permutations can be
  /// injected here (`Minibatches.permutations`) to reproduce an update.
  public let minibatches = Minibatches()
  private let logProbs = Store<Double>()
  private let entropies = Store<Double>()
  private let stateKL = Store<Double>()

  public init(
    env: (any BatchedEnvironment)?, policy: any Policy, critic: ValueFunction?, settings s: Settings
  ) throws(SwiftPGError) {
    if let env { try checkActionSpaces(policy: policy, env: env) }
    let observationSize = policy.observationSize
    let space = env?.actionSpace ?? policy.actionSpace
    if s.needsCritic {
      guard let critic else { throw .invalid("\(s.algorithm.name) needs a value function (critic)") }
      try require(
        critic.observationSize == observationSize,
        "critic observation size \(critic.observationSize) does not match the policy's \(observationSize)")
    }
    self.env = env
    self.observationSize = observationSize
    actionSpace = space
    self.policy = policy
    self.critic = s.needsCritic ? critic : nil
    settings = s
    policyStep = ParameterStep(
      optimizer: try AnyOptimizer(
        s.common.optimizer, count: policy.parameterCount, learningRate: s.common.learningRate, epsilon: s.common.adamEpsilon),
      maxGradValue: s.common.maxGradValue)
    if s.needsCritic, let critic {
      criticStep = ParameterStep(
        optimizer: try AnyOptimizer(
          s.common.optimizer, count: critic.parameterCount,
          learningRate: s.segments.valueLearningRate > 0 ? s.segments.valueLearningRate : s.common.learningRate, epsilon: s.common.adamEpsilon),
        maxGradValue: s.common.maxGradValue)
    }
    observationNormalizer = s.segments.normalizeObservations ? RunningMeanStd(width: observationSize) : nil
    rewardScaler = s.segments.normalizeRewards ? RunningMeanStd(width: 1) : nil
    adaptiveCoefficient = s.adaptiveCoefficient
    rng = PCG64(seed: UInt128(s.common.seed) | (UInt128(7) << 64))
    laneGenerators = (0..<(env?.count ?? 0)).map { PCG64.laneStream(seed: s.common.seed, lane: s.laneOffset + $0) }
    switch (env, s.collection) {
    case (let env?, .episodes):
      episodeCollector = try EpisodeCollector(env: env)
      rollouts = nil
    case (let env?, .segments):
      rollouts = RolloutCollector(env: env)
      episodeCollector = nil
    case (nil, _):
      rollouts = nil
      episodeCollector = nil
    }
    episodeBatch = EpisodeBatch(observationSize: observationSize)
    data = Trajectories(observationSize: observationSize, actionSpace: space)
    policyGradient = Array(repeating: 0, count: policy.parameterCount)
    valueGradient = Array(repeating: 0, count: self.critic?.parameterCount ?? 0)
  }

  // MARK: The iteration

  /// Collects a batch with the current policy into `data`.
  func collect() throws(SwiftPGError) {
    guard let env else {
      throw .invalid("this learner has no environment; pass collected transitions to update")
    }
    try requireSameStepAutoreset(env)
    switch settings.collection {
    case .episodes(let minimum):
      guard let episodeCollector else { return }
      let p = policy
      let n = env.count
      episodeCollector.cancellation = cancellation
      var lanes = laneGenerators
      defer { laneGenerators = lanes }
      try lanes.withUnsafeMutableBufferPointer { (g) throws(SwiftPGError) in
        guard let base = g.baseAddress else { return }
        // One policy pass a step: the action and its log-probability together.
        try episodeCollector.collect(.steps(minimum), into: &episodeBatch) {
          (obs: UnsafePointer<Double>, actions: UnsafeMutableRawPointer, logProbs: UnsafeMutablePointer<Double>) in
          p.sample(obs, batch: n, rawActions: actions, generators: base, logProbabilities: logProbs)
        }
      }
      data.load(episodeBatch)
    case .segments(let steps):
      guard let rollouts else { return }
      var lanes = laneGenerators
      var normalizer = observationNormalizer
      var scaler = rewardScaler
      let ok = lanes.withUnsafeMutableBufferPointer { g in
        guard let base = g.baseAddress else { return false }
        return rollouts.collect(
          steps: steps, policy: policy, generators: base, into: data, observationNormalizer: &normalizer,
          rewardScaler: &scaler, gamma: settings.common.gamma, clipObservations: settings.segments.clipObservations,
          clipRewards: settings.segments.clipRewards, frozen: frozenNormalization || foldsPerSegment)
      }
      laneGenerators = lanes
      observationNormalizer = normalizer
      rewardScaler = scaler
      if !ok {
        throw SwiftPGError(.numerical, "iteration \(iteration + 1): the policy produced non-finite actions")
      }
      if foldsPerSegment {
        // The raw segment folded in as a rollout worker's is (the per-lane
        // discounted returns are the collector's, saved with its state).
        var discounted = rollouts.discountedReturn
        normalizeExternal(data, discounted: &discounted)
        rollouts.discountedReturn = discounted
      }
    }
  }

  /// Collects one segment without updating (`swiftpg_pg_collect`): the
  /// environments, sampling generators and normalisers advance exactly as
  /// in an iteration's collection; the counters and parameters do not.
  /// Returns the learner's batch (overwritten by the next collection) and
  /// statistics of the episodes that ended in it (also `lastEpisodes`).
  public func collectSegment() throws(SwiftPGError) -> (Trajectories, TrainStats) {
    guard case .segments = settings.collection else {
      throw SwiftPGError(
        .notSupported,
        "collect() takes segments of steps_per_env steps; this learner collects whole episodes (iterate instead)")
    }
    try collect()
    let stats = batchStats(data)
    lastEpisodes = stats.episodes
    return (data, stats)
  }

  /// The counters and the episodes that ended in `d` (success as the
  /// environment defines it), the start of an iteration's statistics.
  private func batchStats(_ d: Trajectories) -> TrainStats {
    var stats = TrainStats()
    stats.iteration = iteration
    stats.envSteps = d.count
    stats.totalEnvSteps = totalEnvSteps
    let goal = env?.terminationIsSuccess
    stats.summarizeEpisodes(d) { terminated in goal.map { $0 && terminated } }
    return stats
  }

  /// Runs `update` on `d` as one iteration: counters and episode statistics
  /// first; on any error everything the update may have changed (parameters,
  /// optimiser moments, counters, the adaptive coefficient) is restored.
  func run(
    _ d: Trajectories, start: Double, update: (Trajectories, inout TrainStats) throws(SwiftPGError) -> Void
  ) throws(SwiftPGError) -> TrainStats {
    let saved = snapshot()
    iteration += 1
    batchSize = d.count
    totalEnvSteps += d.count
    var stats = batchStats(d)
    stats.learningRate = currentLearningRate
    do throws(SwiftPGError) {
      try update(d, &stats)
    } catch {
      restore(saved)
      throw error
    }
    lastEpisodes = stats.episodes
    stats.seconds = monotonicSeconds() - start
    return stats
  }

  /// Makes lane i sample from `PCG64.laneStream(seed:lane: firstLane + i)`
  /// from now on (the streams start over): a worker holding lanes
  /// firstLane ..< firstLane + count of a run split across processes draws
  /// what those lanes draw in one process.
  public func setLaneOffset(_ firstLane: Int) {
    let seed = settings.common.seed
    laneGenerators = (0..<laneGenerators.count).map { PCG64.laneStream(seed: seed, lane: firstLane + $0) }
  }

  /// Enters rollout-worker mode (a distributed run's worker): the
  /// observation statistics become `mean`, `variance`, `count` (nil: the
  /// learner does not normalise observations) and stay so while collecting;
  /// collections record raw observations and raw rewards.
  public func setWorkerNormalization(mean: [Double]?, variance: [Double]?, count: Double) throws(SwiftPGError) {
    try require(
      settings.segments.normalizeObservations || settings.segments.normalizeRewards,
      "this learner normalises neither observations nor rewards")
    if settings.segments.normalizeObservations {
      guard let mean, let variance else { throw .invalid("this learner normalises observations: pass mean and variance") }
      try require(mean.count == observationSize, "mean has \(mean.count) entries, the observations \(observationSize)")
      observationNormalizer = try RunningMeanStd(mean: mean, variance: variance, count: count)
    } else {
      try require(mean == nil && variance == nil, "this learner does not normalise observations: pass no statistics")
    }
    frozenNormalization = true
  }

  /// The learner's side of a rollout worker's raw batch, in place: rewards
  /// scaled as collection scales them (the running std of each lane's
  /// discounted return, updated step by step in time order, then clipped);
  /// observations (and final and next ones) normalised with the statistics
  /// before this batch — what the workers' policies saw — and the raw rows
  /// folded into the statistics step by step (N rows per step), so the
  /// result does not depend on how the lanes were split over workers.
  /// `seen`: per lane (`d.lanes` entries), the observation statistics the
  /// acting policy saw for that lane, when they are not the learner's
  /// before this batch (the stale segments of an asynchronous run, each
  /// worker's collected with the statistics of its parameters). `discounted`: each lane's running discounted return
  /// of the reward scaler (kept across batches).
  func normalizeExternal(_ d: Trajectories, seen: [RunningMeanStd]? = nil, discounted: inout [Double]) {
    let n = d.lanes
    let m = d.count
    let dim = observationSize
    if var scaler = rewardScaler {
      if discounted.count != n { discounted = Array(repeating: 0, count: n) }
      let gamma = settings.common.gamma
      let clip = settings.segments.clipRewards
      for t in 0..<(m / Swift.max(n, 1)) {
        for i in 0..<n { discounted[i] = discounted[i] * gamma + d.rewards[t * n + i] }
        discounted.withUnsafeBufferPointer { dr in
          if let base = dr.baseAddress { scaler.update(base, rows: n) }
        }
        let s = 1 / (scaler.variance[0] + 1e-8).squareRoot()
        for i in 0..<n {
          let k = t * n + i
          d.rewards[k] = Swift.min(Swift.max(d.rewards[k] * s, -clip), clip)
          if d.terminated[k] != 0 || d.truncated[k] != 0 { discounted[i] = 0 }
        }
      }
      rewardScaler = scaler
    }
    if var normalizer = observationNormalizer {
      let before = normalizer
      let clip = observationClip
      for t in 0..<(m / Swift.max(n, 1)) { normalizer.update(d.observations.pointer + t * n * dim, rows: n) }
      if let seen, seen.count == n {
        for k in 0..<m { seen[k % n].normalize(d.observations.pointer + k * dim, rows: 1, clip: clip) }
        for k in 0..<m where d.truncated[k] != 0 && d.terminated[k] == 0 {
          seen[k % n].normalize(d.finalObservations.pointer + k * dim, rows: 1, clip: clip)
        }
        for i in 0..<n { seen[i].normalize(d.nextObservations.pointer + i * dim, rows: 1, clip: clip) }
      } else {
        before.normalize(d.observations.pointer, rows: m, clip: clip)
        for k in 0..<m where d.truncated[k] != 0 && d.terminated[k] == 0 {
          before.normalize(d.finalObservations.pointer + k * dim, rows: 1, clip: clip)
        }
        before.normalize(d.nextObservations.pointer, rows: n, clip: clip)
      }
      observationNormalizer = normalizer
    }
  }

  /// What `normalizeExternal` changes, to restore after a failed update.
  func normalizationState() -> (RunningMeanStd?, RunningMeanStd?, [Double]) {
    (observationNormalizer, rewardScaler, externalDiscountedReturn)
  }

  func restoreNormalization(_ s: (RunningMeanStd?, RunningMeanStd?, [Double])) {
    (observationNormalizer, rewardScaler, externalDiscountedReturn) = s
  }

  /// Checks externally collected transitions against the learner and
  /// computes their behaviour log-probabilities with the current policy
  /// (unless `behaviorGiven`: the caller filled them, e.g. a worker's
  /// `swiftpg_pg_collect` under the same or older parameters).
  func prepareExternal(_ d: Trajectories, minibatchSize: Int?, behaviorGiven: Bool = false) throws(SwiftPGError) {
    try require(
      d.observationSize == observationSize,
      "observation size \(d.observationSize) does not match the learner's \(observationSize)")
    try require(
      d.actionSpace.width == actionSpace.width && d.isDiscrete == data.isDiscrete,
      "the actions do not match the learner's action space")
    try require(d.count >= 1, "the batch is empty")
    if let reason = policy.checkObservations(d.observations.pointer, batch: d.count) {
      throw .invalid(reason)
    }
    if let minibatchSize { try Self.checkMinibatch(minibatchSize, batch: d.count) }
    if behaviorGiven { return }
    policy.logProbabilities(d.observations.pointer, actions: d.actions, batch: d.count, into: d.behaviorLogProbs.pointer)
  }

  /// A minibatch size must divide the batch (0: the whole batch).
  static func checkMinibatch(_ size: Int, batch: Int) throws(SwiftPGError) {
    guard size > 0 else { return }
    try require(
      size <= batch && batch % size == 0,
      "minibatch_size \(size) must divide the batch of \(batch) transitions (num_envs × steps_per_env)")
  }

  // MARK: Schedules and steps

  /// Fraction of the schedule left (1 → 0) at the current iteration.
  public var scheduleRemaining: Double {
    guard settings.segments.totalEnvSteps > 0 else { return 1 }
    let done = Double(totalEnvSteps - batchSize) / Double(settings.segments.totalEnvSteps)
    return Swift.max(0, 1 - done)
  }

  public var currentLearningRate: Double {
    settings.segments.annealLearningRate ? settings.common.learningRate * scheduleRemaining : settings.common.learningRate
  }

  public var currentValueLearningRate: Double {
    let base = settings.segments.valueLearningRate > 0 ? settings.segments.valueLearningRate : settings.common.learningRate
    return settings.segments.annealLearningRate ? base * scheduleRemaining : base
  }

  func numerical(_ what: String) -> SwiftPGError {
    SwiftPGError(.numerical, "iteration \(iteration): \(what) is not finite")
  }

  /// θ ← θ + α g (ascent) along `policyGradient`, guarded (`ParameterStep`).
  func stepPolicy() throws(SwiftPGError) {
    let p = policy
    try policyStep.apply(
      gradient: &policyGradient, ascend: true, learningRate: currentLearningRate, what: "policy",
      get: { p.parameters }, set: { (x: [Double]) throws(SwiftPGError) in try p.setParameters(x) },
      failure: numerical)
  }

  /// φ ← φ − α ∇L along `valueGradient`, guarded.
  func stepCritic() throws(SwiftPGError) {
    guard let critic else { return }
    // In place (optional chaining), not on a copy: a copy would share the
    // optimiser's arrays and every step would copy them.
    try criticStep?.apply(
      gradient: &valueGradient, ascend: false, learningRate: currentValueLearningRate, what: "value-function",
      get: { critic.parameters }, set: { (x: [Double]) throws(SwiftPGError) in try critic.setParameters(x) },
      failure: numerical)
  }

  /// Fits the critic to `targets` with `epochs` passes of shuffled
  /// minibatches of `minibatchSize` rows (0: the whole batch), each pass's
  /// gradient norm-clipped to `maxGradNorm`. `scale` multiplies the loss.
  /// Returns the mean loss of the last pass.
  func fitCritic(
    _ d: Trajectories, targets: UnsafePointer<Double>, epochs: Int, minibatchSize: Int, maxGradNorm: Double,
    scale: Double = 1
  ) throws(SwiftPGError) -> Double {
    guard let critic, epochs > 0 else { return 0 }
    let m = d.count
    let size = minibatchSize > 0 && minibatchSize < m ? minibatchSize : m
    var last = 0.0
    for _ in 0..<epochs {
      let index = try minibatches.shuffled(m, using: &rng)
      var total = 0.0
      var batches = 0
      var start = 0
      while start < m {
        let b = Swift.min(size, m - start)
        let rows = index + start
        let (obs, _) = minibatches.gather(d, rows: rows, count: b)
        total += valueLossGradient(
          critic: critic, observations: obs, count: b, targets: { targets[rows[$0]] }, oldValues: nil,
          clipRange: 0, coefficient: scale, scratch: valueScratch, into: &valueGradient)
        scaleGradient(&valueGradient, maxNorm: maxGradNorm)
        try stepCritic()
        batches += 1
        start += b
      }
      last = total / Double(Swift.max(batches, 1))
    }
    guard last.isFinite else { throw numerical("the value loss") }
    return last
  }

  /// Mean entropy and mean k3 KL(β ‖ π) over the batch (statistics).
  func entropyAndKL(_ d: Trajectories) -> (entropy: Double, kl: Double) {
    let m = d.count
    guard m > 0 else { return (0, 0) }
    let lp = logProbs.reserve(m)
    let h = entropies.reserve(m)
    policy.logProbabilities(d.observations.pointer, actions: d.actions, batch: m, into: lp)
    policy.entropies(d.observations.pointer, batch: m, into: h)
    var e = 0.0
    var kl = 0.0
    for k in 0..<m {
      e += h[k]
      let logRatio = lp[k] - d.behaviorLogProbs[k]
      kl += _exp(logRatio) - 1 - logRatio
    }
    return (e / Double(m), kl / Double(m))
  }

  /// Mean over the batch's states of KL(π_old ‖ π_θ) (exact, per state) of
  /// the policy against `oldParameters` (TRPO's line search, PPO's adaptive β).
  func meanKL(_ d: Trajectories, oldParameters: [Double]) -> Double {
    let m = d.count
    let kl = stateKL.reserve(m)
    oldParameters.withUnsafeBufferPointer { op in
      if let base = op.baseAddress {
        policy.klDivergences(d.observations.pointer, batch: m, oldParameters: base, into: kl)
      }
    }
    var total = 0.0
    for k in 0..<m { total += kl[k] }
    return total / Double(m)
  }

  // MARK: Snapshots (restored when an update fails)

  struct Snapshot {
    var policy: [Double]
    var critic: [Double]?
    var policyStep: ParameterStep
    var criticStep: ParameterStep?
    var iteration: Int
    var totalEnvSteps: Int
    var batchSize: Int
    var adaptiveCoefficient: Double
  }

  func snapshot() -> Snapshot {
    Snapshot(
      policy: policy.parameters, critic: critic?.parameters, policyStep: policyStep, criticStep: criticStep,
      iteration: iteration, totalEnvSteps: totalEnvSteps, batchSize: batchSize, adaptiveCoefficient: adaptiveCoefficient)
  }

  func restore(_ s: Snapshot) {
    _ = try? policy.setParameters(s.policy)
    if let c = s.critic { _ = try? critic?.setParameters(c) }
    policyStep = s.policyStep
    criticStep = s.criticStep
    iteration = s.iteration
    totalEnvSteps = s.totalEnvSteps
    batchSize = s.batchSize
    adaptiveCoefficient = s.adaptiveCoefficient
  }

  /// Evaluates the policy on fresh episodes of `env` with the learner's
  /// (frozen) observation normalisation.
  public func evaluate(
    env evalEnv: any BatchedEnvironment, episodes: Int, greedy: Bool, seed: UInt64
  ) throws(SwiftPGError) -> (returns: [Double], lengths: [Int]) {
    guard let normalizer = observationNormalizer else {
      return try SwiftPG.evaluate(
        policy: policy, env: evalEnv, episodes: episodes, greedy: greedy, seed: seed, cancellation: cancellation)
    }
    let scratch = Store<Double>()
    let n = evalEnv.count
    let dim = evalEnv.observationSize
    let clip = settings.segments.clipObservations
    return try SwiftPG.evaluate(
      policy: policy, env: evalEnv, episodes: episodes, greedy: greedy, seed: seed,
      observationTransform: { obs in
        let x = scratch.reserve(n * dim)
        x.update(from: obs, count: n * dim)
        normalizer.normalize(x, rows: n, clip: clip)
        return UnsafePointer(x)
      }, cancellation: cancellation)
  }
}
