/// The policy-gradient algorithms. Raw values are the C ABI's SWIFTPG_ALGO_*.
public enum PGAlgorithm: Int32, Sendable, CaseIterable {
  case reinforce = 0
  case actorCritic = 1
  case a2c = 2
  case offPolicy = 3
  case npg = 4
  case trpo = 5
  case ppo = 6

  public var name: String {
    switch self {
    case .reinforce: "reinforce"
    case .actorCritic: "actor-critic"
    case .a2c: "a2c"
    case .offPolicy: "offpolicy-pg"
    case .npg: "npg"
    case .trpo: "trpo"
    case .ppo: "ppo"
    }
  }

  /// Whole episodes (REINFORCE, off-policy PG) or fixed-length N × T segments.
  public var collectsEpisodes: Bool { self == .reinforce || self == .offPolicy }
  /// Uses a learned state-value function.
  public var usesCritic: Bool { !collectsEpisodes }
}

/// What multiplies ∇log π(a_t|s_t) in REINFORCE (Kochenderfer §11.4–11.5).
public enum ReturnWeighting: Int32, Sendable {
  /// R(τ) = Σ_k γ^k r_k for every step of the episode.
  case fullReturn = 0
  /// G_t = Σ_{k≥t} γ^{k−t} r_k (the usual implementation; drops γ^t).
  case rewardToGo = 1
  /// γ^t G_t, the unbiased discounted policy gradient.
  case discountedRewardToGo = 2
}

/// Baselines of REINFORCE and off-policy PG.
public enum BaselineKind: Int32, Sendable {
  case none = 0
  /// The batch mean of the weights.
  case mean = 1
  /// The per-parameter optimal constant baseline E[(∇log p)² R] / E[(∇log p)²].
  case optimal = 2
  /// A learned V(s_t) fitted to the returns (REINFORCE with baseline).
  case value = 3
}

public enum AdvantageKind: Int32, Sendable {
  /// GAE(γ, λ).
  case gae = 0
  /// n-step advantages.
  case nStep = 1
}

public enum ValueTarget: Int32, Sendable {
  /// λ-returns (GAE) or n-step returns: bootstrapped from V.
  case bootstrap = 0
  /// Discounted returns to the end of the segment, bootstrapping only where
  /// a segment or a truncated episode stops.
  case monteCarlo = 1
}

public enum OptimizerKind: Int32, Sendable {
  case adam = 0
  case sgd = 1
}

/// Configuration of every policy-gradient algorithm (one flat struct so the
/// C ABI has one type; `PolicyGradientConfig.defaults(for:)` gives each
/// algorithm's own defaults and each field says which algorithms read it).
public struct PolicyGradientConfig: Sendable {
  public var algorithm = PGAlgorithm.ppo
  // Collection
  /// Rollout algorithms: steps T per environment per iteration.
  public var stepsPerEnv = 128
  /// REINFORCE, off-policy PG: minimum transitions of whole episodes per iteration.
  public var stepsPerIteration = 5000
  /// Discount γ ∈ [0, 1].
  public var gamma = 0.99
  // REINFORCE / off-policy
  public var weighting = ReturnWeighting.rewardToGo
  public var baseline = BaselineKind.mean
  // Advantages and the critic
  public var advantage = AdvantageKind.gae
  /// GAE λ ∈ [0, 1].
  public var gaeLambda = 0.95
  /// n of n-step advantages.
  public var nSteps = 5
  public var valueTarget = ValueTarget.bootstrap
  /// Critic passes over each batch (A2C, TRPO, NPG, REINFORCE's value baseline).
  public var valueEpochs = 1
  /// Divide advantages (or REINFORCE weights) by their std after centring
  /// (PPO: per minibatch).
  public var normalizeAdvantages = true
  // Optimisation
  public var optimizer = OptimizerKind.adam
  /// Step size of the policy (and, with `valueLearningRate` 0, of the critic).
  public var learningRate = 3e-4
  /// Step size of the critic; 0 uses `learningRate`.
  public var valueLearningRate = 0.0
  public var adamEpsilon = 1e-5
  /// Rescale the joint (policy + critic) gradient to this L2 norm; ≤ 0: off.
  public var maxGradNorm = 0.5
  /// Clamp every gradient component to ±this before the optimiser step
  /// (Kochenderfer's `clip_gradient`; after the norm scaling); 0: off. Not
  /// applied to the natural-gradient step of NPG/TRPO (their critic: yes).
  public var maxGradValue = 0.0
  /// Decay the learning rate (and PPO's clip range) linearly to 0 over `totalEnvSteps`.
  public var annealLearningRate = false
  public var annealClipRange = false
  /// The horizon of annealing schedules (needed when annealing).
  public var totalEnvSteps = 0
  // PPO
  public var epochs = 10
  /// Minibatch size; must divide N·T (PPO, and the critic of TRPO/NPG).
  public var minibatchSize = 64
  /// ε of the clipped surrogate.
  public var clipRange = 0.2
  /// Clip V − V_old to ±this (≤ 0: no value clipping).
  public var valueClipRange = 0.0
  public var entropyCoef = 0.0
  public var valueCoef = 0.5
  /// Stop the epochs once approx KL > 1.5 × this (≤ 0: never).
  public var targetKL = 0.0
  /// KL-penalty PPO: maximise ρÂ − β KL(π_old ‖ π) with adaptive β.
  public var klPenalty = false
  public var klBeta = 1.0
  public var klTarget = 0.01
  /// PPO: policy and critic share their hidden layers (one network with a
  /// policy head and a value head; the value loss, weighted by
  /// `valueCoef`, trains the shared layers too). Needs a policy and an MLP
  /// critic with the same hidden sizes and activation.
  public var sharedNetwork = false
  /// PPO: threads for each minibatch's passes; 2 runs the policy's and the
  /// critic's forward/backward at the same time (results are identical:
  /// the two computations are independent until the joint step).
  public var updateThreads = 1
  // NPG / TRPO
  /// KL budget δ of the natural step.
  public var maxKL = 0.01
  public var cgIterations = 10
  public var cgDamping = 0.1
  /// TRPO line search: step fractions c^j, j < `lineSearchSteps`.
  public var backtrackRatio = 0.8
  public var lineSearchSteps = 10
  // Off-policy PG
  /// Batches reused per update (the current one included).
  public var reuseBatches = 4
  /// Per-decision (else trajectory-level) importance weights.
  public var perDecision = true
  /// Truncate importance weights at this value (∞: none).
  public var importanceClip = Double.infinity
  // Normalisation
  public var normalizeObservations = false
  public var normalizeRewards = false
  /// REINFORCE, off-policy: average the summed gradient over episodes
  /// (Sutton & Barto's update, the Monte Carlo estimate of ∇J) instead of
  /// over steps.
  public var episodeAverage = false
  public var clipObservations = 10.0
  public var clipRewards = 10.0
  /// Seeds action sampling and minibatch shuffling.
  public var seed: UInt64 = 0

  public init() {}

  /// The defaults of `algorithm` (the values of its reference implementation
  /// named in REFERENCE.md §4 unless noted).
  public static func defaults(for algorithm: PGAlgorithm) -> PolicyGradientConfig {
    var c = PolicyGradientConfig()
    c.algorithm = algorithm
    switch algorithm {
    case .reinforce, .offPolicy:
      c.learningRate = 0.01
      c.adamEpsilon = 1e-8
      c.maxGradNorm = 0
      c.valueLearningRate = 1e-3
      c.valueEpochs = 5
      c.minibatchSize = 0
    case .actorCritic:
      // The lecture's loop: one step of every env, then one SGD step each.
      c.stepsPerEnv = 1
      c.optimizer = .sgd
      c.learningRate = 0.01
      c.valueLearningRate = 0.05
      c.gaeLambda = 0
      c.normalizeAdvantages = false
      c.maxGradNorm = 0
      c.minibatchSize = 0
    case .a2c:
      c.stepsPerEnv = 5
      c.learningRate = 7e-4
      c.gaeLambda = 1
      c.normalizeAdvantages = false
      c.minibatchSize = 0
    case .npg, .trpo:
      c.stepsPerEnv = 256
      c.learningRate = 1e-3
      c.gaeLambda = 0.95
      c.valueEpochs = 10
      c.minibatchSize = 128
      c.maxGradNorm = 0
      c.cgIterations = 15
      if algorithm == .npg { c.lineSearchSteps = 0 }
    case .ppo:
      break
    }
    return c
  }

  public func validate() throws(SwiftPGError) {
    func unit(_ x: Double, _ name: String) throws(SwiftPGError) {
      try require(x >= 0 && x <= 1, "\(name) must be in [0, 1], got \(x)")
    }
    func positive(_ x: Double, _ name: String) throws(SwiftPGError) {
      try require(x.isFinite && x > 0, "\(name) must be finite and > 0, got \(x)")
    }
    func nonNegative(_ x: Double, _ name: String) throws(SwiftPGError) {
      try require(x.isFinite && x >= 0, "\(name) must be finite and >= 0, got \(x)")
    }
    try unit(gamma, "gamma")
    try unit(gaeLambda, "gae_lambda")
    try positive(learningRate, "learning_rate")
    try nonNegative(valueLearningRate, "value_learning_rate")
    try positive(adamEpsilon, "adam_epsilon")
    try require(
      maxGradNorm.isFinite && maxGradNorm >= 0, "max_grad_norm must be finite and >= 0 (0: off), got \(maxGradNorm)")
    try require(
      maxGradValue.isFinite && maxGradValue >= 0, "max_grad_value must be finite and >= 0 (0: off), got \(maxGradValue)")
    try require(stepsPerEnv >= 1 && stepsPerEnv <= 1 << 20, "steps_per_env must be in [1, 2^20], got \(stepsPerEnv)")
    try require(
      stepsPerIteration >= 1 && stepsPerIteration <= 1 << 26,
      "steps_per_iteration must be in [1, 2^26], got \(stepsPerIteration)")
    try require(nSteps >= 1, "n_steps must be >= 1, got \(nSteps)")
    try require(valueEpochs >= 0 && valueEpochs <= 10_000, "value_epochs must be in [0, 10000], got \(valueEpochs)")
    try require(epochs >= 1 && epochs <= 10_000, "epochs must be in [1, 10000], got \(epochs)")
    try require(minibatchSize >= 0, "minibatch_size must be >= 0 (0: the whole batch), got \(minibatchSize)")
    try nonNegative(clipRange, "clip_range")
    try require(!valueClipRange.isNaN && valueClipRange.isFinite, "value_clip_range must be finite")
    try nonNegative(entropyCoef, "entropy_coef")
    try nonNegative(valueCoef, "value_coef")
    try require(!targetKL.isNaN && targetKL.isFinite, "target_kl must be finite, got \(targetKL)")
    try nonNegative(klBeta, "kl_beta")
    try positive(klTarget, "kl_target")
    try positive(maxKL, "max_kl")
    try require(cgIterations >= 1 && cgIterations <= 1000, "cg_iterations must be in [1, 1000], got \(cgIterations)")
    try nonNegative(cgDamping, "cg_damping")
    try require(backtrackRatio > 0 && backtrackRatio < 1, "backtrack_ratio must be in (0, 1), got \(backtrackRatio)")
    try require(lineSearchSteps >= 0 && lineSearchSteps <= 100, "line_search_steps must be in [0, 100]")
    try require(reuseBatches >= 1 && reuseBatches <= 1000, "reuse_batches must be in [1, 1000], got \(reuseBatches)")
    try require(!importanceClip.isNaN && importanceClip > 0, "importance_clip must be > 0 (inf: none)")
    try positive(clipObservations, "clip_observations")
    try positive(clipRewards, "clip_rewards")
    try require(updateThreads >= 1 && updateThreads <= 2, "update_threads must be 1 or 2, got \(updateThreads)")
    if sharedNetwork {
      try require(algorithm == .ppo, "shared_network applies to PPO, not \(algorithm.name)")
      try require(
        valueLearningRate == 0 || valueLearningRate == learningRate,
        "shared_network steps the shared layers once: value_learning_rate must be 0 or equal learning_rate")
    }
    try require(totalEnvSteps >= 0, "total_env_steps must be >= 0, got \(totalEnvSteps)")
    if annealLearningRate || annealClipRange {
      try require(totalEnvSteps > 0, "annealing needs total_env_steps > 0 (the schedule's horizon)")
    }
    if algorithm.collectsEpisodes {
      try require(
        weighting != .fullReturn || baseline != .value,
        "a learned value baseline needs per-step weights (weighting reward_to_go or discounted_reward_to_go)")
    }
  }

  /// Checks the minibatch size against a batch of `batch` rows.
  func checkMinibatch(batch: Int) throws(SwiftPGError) {
    guard minibatchSize > 0 else { return }
    try require(
      minibatchSize <= batch && batch % minibatchSize == 0,
      "minibatch_size \(minibatchSize) must divide the batch of \(batch) transitions (num_envs × steps_per_env)")
  }
}

/// Statistics of one iteration. Zero where an algorithm has no such quantity.
public struct TrainStats: Sendable {
  public var iteration = 0
  public var envSteps = 0
  public var totalEnvSteps = 0
  public var episodes = 0
  public var meanReturn = Double.nan
  public var stdReturn = Double.nan
  public var minReturn = Double.nan
  public var maxReturn = Double.nan
  public var meanLength = Double.nan
  /// Policy objective (surrogate) at the start of the update.
  public var policyLoss = 0.0
  public var valueLoss = 0.0
  public var entropy = 0.0
  /// k3 estimate of KL(π_old ‖ π_new) over the batch after the update.
  public var approxKL = 0.0
  public var clipFraction = 0.0
  public var explainedVariance = 0.0
  public var gradNorm = 0.0
  public var learningRate = 0.0
  /// PPO: epochs run (target-KL stop); TRPO: line-search steps taken (−1: rejected).
  public var updateSteps = 0
  /// PPO-KL: β after adaptation; off-policy: effective sample size fraction.
  public var extra = 0.0
  public var seconds = 0.0
  public init() {}
}

/// An optimiser chosen by configuration.
enum AnyOptimizer {
  case adam(Adam)
  case sgd(SGD)

  init(_ kind: OptimizerKind, count: Int, learningRate: Double, epsilon: Double) throws(SwiftPGError) {
    switch kind {
    case .adam: self = .adam(try Adam(parameterCount: count, learningRate: learningRate, epsilon: epsilon))
    case .sgd: self = .sgd(try SGD(parameterCount: count, learningRate: learningRate))
    }
  }

  mutating func step(_ p: inout [Double], gradient: [Double], ascend: Bool, learningRate: Double) {
    switch self {
    case .adam(var a):
      a.learningRate = learningRate
      a.step(&p, gradient: gradient, ascend: ascend)
      self = .adam(a)
    case .sgd(var s):
      s.learningRate = learningRate
      s.step(&p, gradient: gradient, ascend: ascend)
      self = .sgd(s)
    }
  }
}

/// One learner for REINFORCE, actor-critic, A2C, off-policy PG, NPG, TRPO
/// and PPO: the shared state (environment, policy, critic, optimisers,
/// normalisers, generator) and the shared steps (collect, values,
/// advantages, critic fitting, guarded parameter updates). Each algorithm's
/// update lives in its own file and reads in the algorithm's order.
public final class PolicyGradient {
  /// The environment `iterate` collects from; nil for a learner that only
  /// updates on externally collected data (`update(external:)`).
  public let env: (any BatchedEnvironment)?
  public let observationSize: Int
  public let actionSpace: ActionSpace
  public let policy: any Policy
  public let critic: ValueFunction?
  public let config: PolicyGradientConfig
  public var algorithm: PGAlgorithm { config.algorithm }
  public internal(set) var iteration = 0
  public internal(set) var totalEnvSteps = 0
  /// Checked between episode steps of collection and evaluation; a request
  /// makes `iterate`/`evaluate` throw `.cancelled` (the iteration is rolled back).
  public var cancellation: CancellationFlag?
  var policyOptimizer: AnyOptimizer
  var criticOptimizer: AnyOptimizer?
  public internal(set) var observationNormalizer: RunningMeanStd?
  public internal(set) var rewardScaler: RunningMeanStd?
  public internal(set) var klBeta: Double
  var rng: PCG64
  let rollouts: RolloutCollector?
  let episodes: EpisodeCollector?
  var episodeBatch: EpisodeBatch
  let data: Trajectories
  /// Off-policy PG: the last `reuseBatches` batches with their behaviour log-probs.
  var replay: [Trajectories] = []

  // Scratch columns shared by the updates.
  let values = Store<Double>()
  let finalValues = Store<Double>()
  let advantages = Store<Double>()
  let targets = Store<Double>()
  let weights = Store<Double>()
  let logProbs = Store<Double>()
  let entropies = Store<Double>()
  let mbObs = Store<Double>()
  let mbActions = Store<Double>()
  let mbIndex = Store<Int>()
  let mbScratch = Store<Double>()
  var policyGradient: [Double]
  var valueGradient: [Double]
  /// Shared network: the leading parameters (the hidden layers) that the
  /// policy and the critic hold as identical copies; 0 when not shared.
  let sharedCount: Int

  public init(
    env: (any BatchedEnvironment)?, policy: any Policy, critic: ValueFunction?, config: PolicyGradientConfig
  ) throws(SwiftPGError) {
    try config.validate()
    if let env { try checkActionSpaces(policy: policy, env: env) }
    let observationSize = policy.observationSize
    let space = env?.actionSpace ?? policy.actionSpace
    let needsCritic = config.algorithm.usesCritic || config.baseline == .value
    if needsCritic {
      guard let critic else {
        throw .invalid("\(config.algorithm.name) needs a value function (critic)")
      }
      try require(
        critic.observationSize == observationSize,
        "critic observation size \(critic.observationSize) does not match the policy's \(observationSize)")
    }
    if let env, !config.algorithm.collectsEpisodes {
      try config.checkMinibatch(batch: env.count * config.stepsPerEnv)
    }
    self.env = env
    self.observationSize = observationSize
    self.actionSpace = space
    self.policy = policy
    self.critic = needsCritic ? critic : nil
    self.config = config
    policyOptimizer = try AnyOptimizer(
      config.optimizer, count: policy.parameterCount, learningRate: config.learningRate,
      epsilon: config.adamEpsilon)
    if needsCritic, let critic {
      criticOptimizer = try AnyOptimizer(
        config.optimizer, count: critic.parameterCount,
        learningRate: config.valueLearningRate > 0 ? config.valueLearningRate : config.learningRate,
        epsilon: config.adamEpsilon)
    }
    observationNormalizer = config.normalizeObservations ? RunningMeanStd(width: observationSize) : nil
    rewardScaler = config.normalizeRewards ? RunningMeanStd(width: 1) : nil
    klBeta = config.klBeta
    rng = PCG64(seed: UInt128(config.seed) | (UInt128(7) << 64))
    if let env, config.algorithm.collectsEpisodes {
      episodes = try EpisodeCollector(env: env)
      rollouts = nil
    } else if let env {
      rollouts = RolloutCollector(env: env)
      episodes = nil
    } else {
      rollouts = nil
      episodes = nil
    }
    episodeBatch = EpisodeBatch(observationSize: observationSize)
    data = Trajectories(observationSize: observationSize, actionSpace: space)
    policyGradient = Array(repeating: 0, count: policy.parameterCount)
    valueGradient = Array(repeating: 0, count: critic?.parameterCount ?? 0)
    sharedCount = config.sharedNetwork ? try Self.tieHiddenLayers(policy: policy, critic: critic) : 0
  }

  /// Shared network: checks that the policy's MLP and the critic's have the
  /// same hidden layers, copies the policy's into the critic, and returns
  /// their parameter count (a prefix of both parameter vectors).
  private static func tieHiddenLayers(policy: any Policy, critic: ValueFunction?) throws(SwiftPGError) -> Int {
    guard let net = policy.mlp, let critic, let valueNet = critic.network else {
      throw .invalid("shared_network needs an MLP policy (softmax or Gaussian) and an MLP critic")
    }
    try require(
      net.sizes.count >= 3 && Array(net.sizes.dropLast()) == Array(valueNet.sizes.dropLast())
        && net.activation == valueNet.activation,
      "shared_network: the policy's hidden layers \(Array(net.sizes.dropLast())) (\(net.activation)) and the "
        + "critic's \(Array(valueNet.sizes.dropLast())) (\(valueNet.activation)) must be the same, with at least one")
    let count = net.offsets[net.offsets.count - 1]
    var values = critic.parameters
    let trunk = policy.parameters
    for k in 0..<count { values[k] = trunk[k] }
    try critic.setParameters(values)
    return count
  }

  /// Shared network: the loss to minimise is −(policy objective) + value
  /// loss, so the shared layers' descent gradient is g = ∇value − ∇policy.
  /// Both copies get it (the policy ascends −g), so with the same optimiser
  /// settings their parameters and moments stay identical.
  func tieSharedGradients() {
    for k in 0..<sharedCount {
      let g = valueGradient[k] - policyGradient[k]
      valueGradient[k] = g
      policyGradient[k] = -g
    }
  }

  // MARK: The iteration

  /// Collects a batch with the current policy and updates on it.
  /// Throws `.numerical` naming the iteration and the quantity when a loss,
  /// gradient or parameter becomes non-finite; the learner is then left as
  /// it was before the iteration.
  public func iterate() throws(SwiftPGError) -> TrainStats {
    let start = monotonicSeconds()
    try collect()
    var stats = try update(data, collected: true)
    stats.seconds = monotonicSeconds() - start
    return stats
  }

  /// Updates on externally collected trajectories (Python stepping any
  /// Gymnasium environment). Observations must already be what the policy
  /// sees; `behaviorLogProbs` are recomputed from the current policy.
  public func update(external d: Trajectories) throws(SwiftPGError) -> TrainStats {
    let start = monotonicSeconds()
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
    if !algorithm.collectsEpisodes { try config.checkMinibatch(batch: d.count) }
    policy.logProbabilities(d.observations.pointer, actions: d.actions, batch: d.count, into: d.behaviorLogProbs.pointer)
    var stats = try update(d, collected: false)
    stats.seconds = monotonicSeconds() - start
    return stats
  }

  func collect() throws(SwiftPGError) {
    guard let env else {
      throw .invalid("this learner has no environment; pass collected transitions to update")
    }
    if let episodes {
      let p = policy
      var g = rng
      let n = env.count
      episodes.cancellation = cancellation
      try episodes.collect(.steps(config.stepsPerIteration), into: &episodeBatch) {
        (obs: UnsafePointer<Double>, actions: UnsafeMutableRawPointer) in
        p.sample(obs, batch: n, greedy: false, rawActions: actions, using: &g)
      }
      rng = g
      data.load(episodeBatch)
      policy.logProbabilities(
        data.observations.pointer, actions: data.actions, batch: data.count, into: data.behaviorLogProbs.pointer)
    } else if let rollouts {
      var g = rng
      let ok = rollouts.collect(
        steps: config.stepsPerEnv, policy: policy, using: &g, into: data,
        observationNormalizer: &observationNormalizer, rewardScaler: &rewardScaler, gamma: config.gamma,
        clipObservations: config.clipObservations, clipRewards: config.clipRewards)
      rng = g
      if !ok {
        throw SwiftPGError(.numerical, "iteration \(iteration + 1): the policy produced non-finite actions")
      }
    }
  }

  private func update(_ d: Trajectories, collected: Bool) throws(SwiftPGError) -> TrainStats {
    let saved = snapshot()
    iteration += 1
    totalEnvSteps += d.count
    var stats = TrainStats()
    stats.iteration = iteration
    stats.envSteps = d.count
    stats.totalEnvSteps = totalEnvSteps
    summarizeEpisodes(d, into: &stats)
    stats.learningRate = currentLearningRate
    do throws(SwiftPGError) {
      switch algorithm {
      case .reinforce: try reinforceUpdate(d, &stats)
      case .actorCritic: try actorCriticUpdate(d, &stats)
      case .a2c: try a2cUpdate(d, &stats)
      case .offPolicy: try offPolicyUpdate(d, &stats)
      case .npg, .trpo: try naturalGradientUpdate(d, &stats)
      case .ppo: try ppoUpdate(d, &stats)
      }
    } catch {
      restore(saved)
      throw error
    }
    return stats
  }

  // MARK: Shared steps

  /// Fraction of the schedule left (1 → 0) at the current iteration.
  var scheduleRemaining: Double {
    guard config.totalEnvSteps > 0 else { return 1 }
    let done = Double(totalEnvSteps - data.count) / Double(config.totalEnvSteps)
    return Swift.max(0, 1 - done)
  }

  var currentLearningRate: Double {
    config.annealLearningRate ? config.learningRate * scheduleRemaining : config.learningRate
  }

  var currentValueLearningRate: Double {
    let base = config.valueLearningRate > 0 ? config.valueLearningRate : config.learningRate
    return config.annealLearningRate ? base * scheduleRemaining : base
  }

  func numerical(_ what: String) -> SwiftPGError {
    SwiftPGError(.numerical, "iteration \(iteration): \(what) is not finite")
  }

  /// V(s_t) for t = 0...T into `values` ([T + 1, N]) and V of truncated
  /// episodes' final observations into `finalValues` ([T, N]).
  func computeValues(_ d: Trajectories) throws(SwiftPGError) {
    guard let critic else { return }
    let m = d.count
    let n = d.lanes
    let dim = d.observationSize
    let v = values.reserve(m + n)
    critic.predict(d.observations.pointer, batch: m, into: v)
    critic.predict(d.nextObservations.pointer, batch: n, into: v + m)
    let f = finalValues.reserve(m)
    // Every row is set: the vectorised kernels read all of them branch-free.
    f.update(repeating: 0, count: m)
    for k in 0..<m where d.truncated[k] != 0 && d.terminated[k] == 0 {
      critic.predict(d.finalObservations.pointer + k * dim, batch: 1, into: f + k)
    }
    for k in 0..<(m + n) where !v[k].isFinite { throw numerical("the value estimate V(s)") }
  }

  /// Advantages (GAE or n-step) into `advantages` and value targets into
  /// `targets`, from the current `values`.
  func computeAdvantages(_ d: Trajectories) {
    let r = d.rollout(values: values.pointer, finalValues: finalValues.pointer)
    let m = d.count
    let a = advantages.reserve(m)
    let y = targets.reserve(m)
    switch config.advantage {
    case .gae:
      generalizedAdvantages(r, gamma: config.gamma, lambda: config.gaeLambda, into: a)
      if config.valueTarget == .bootstrap {
        for k in 0..<m { y[k] = a[k] + values[k] }
      }
    case .nStep:
      nStepAdvantages(r, gamma: config.gamma, n: config.nSteps, into: a)
      if config.valueTarget == .bootstrap {
        for k in 0..<m { y[k] = a[k] + values[k] }
      }
    }
    if config.valueTarget == .monteCarlo { discountedReturns(r, gamma: config.gamma, into: y) }
  }

  /// Explained variance 1 − Var[y − V] / Var[y] of the critic's predictions.
  func explainedVariance(count m: Int) -> Double {
    guard m > 1 else { return 0 }
    var my = 0.0
    var me = 0.0
    for k in 0..<m {
      my += targets[k]
      me += targets[k] - values[k]
    }
    my /= Double(m)
    me /= Double(m)
    var vy = 0.0
    var ve = 0.0
    for k in 0..<m {
      vy += (targets[k] - my) * (targets[k] - my)
      let e = targets[k] - values[k] - me
      ve += e * e
    }
    return vy > 0 ? 1 - ve / vy : 0
  }

  /// Gathers rows `index[0..<b]` of observations and actions into the
  /// minibatch buffers; returns (obs, actions).
  func gather(_ d: Trajectories, rows index: UnsafePointer<Int>, count b: Int)
    -> (UnsafePointer<Double>, UnsafeRawPointer)
  {
    let dim = d.observationSize
    let o = mbObs.reserve(b * dim)
    let a = UnsafeMutableRawPointer(mbActions.reserve(b * d.actionSpace.width))
    for r in 0..<b {
      let k = index[r]
      (o + r * dim).update(from: d.observations.pointer + k * dim, count: dim)
      d.copyAction(from: k, to: a, row: r)
    }
    return (UnsafePointer(o), UnsafeRawPointer(a))
  }

  /// A fresh random permutation of 0..<m in `mbIndex`.
  func shuffledIndices(_ m: Int) -> UnsafeMutablePointer<Int> {
    let p = mbIndex.reserve(m)
    for k in 0..<m { p[k] = k }
    if m > 1 {
      for k in stride(from: m - 1, to: 0, by: -1) {
        let j = Int(rng.next() % UInt64(k + 1))
        let t = p[k]
        p[k] = p[j]
        p[j] = t
      }
    }
    return p
  }

  /// Gradient of ½·c·mean (V − y)² (optionally PPO-clipped around the old
  /// values) on the rows `index`, into `valueGradient`. Returns the loss.
  func valueLossGradient(
    obs: UnsafePointer<Double>, targets y: (Int) -> Double, oldValues: ((Int) -> Double)?,
    count b: Int, coefficient c: Double
  ) -> Double {
    guard let critic else { return 0 }
    let pred = mbScratch.reserve(2 * b)
    var loss = 0.0
    let eps = config.valueClipRange
    valueGradient.withUnsafeMutableBufferPointer { g in
      guard let base = g.baseAddress else { return }
      critic.lossGradient(
        obs, batch: b, predictions: pred, weights: pred + b,
        weigh: { pred, w in
          for r in 0..<b {
            let e = pred[r] - y(r)
            if let oldValues, eps > 0 {
              let old = oldValues(r)
              let clipped = old + Swift.min(Swift.max(pred[r] - old, -eps), eps)
              let ec = clipped - y(r)
              if ec * ec > e * e {
                loss += 0.5 * ec * ec
                w[r] = abs(pred[r] - old) < eps ? c * ec / Double(b) : 0
                continue
              }
            }
            loss += 0.5 * e * e
            w[r] = c * e / Double(b)
          }
        }, into: base)
    }
    return loss / Double(b)
  }

  /// Fits the critic to `targets` with `valueEpochs` passes of (shuffled
  /// mini)batches (the whole batch when `minibatchSize` is 0). Returns the
  /// mean loss of the last pass.
  /// `scale` multiplies the loss (REINFORCE's `episodeAverage` sums over
  /// each episode's steps instead of averaging).
  func fitCritic(_ d: Trajectories, epochs: Int, scale: Double = 1) throws(SwiftPGError) -> Double {
    guard critic != nil, epochs > 0 else { return 0 }
    let m = d.count
    let size = config.minibatchSize > 0 && config.minibatchSize < m ? config.minibatchSize : m
    var last = 0.0
    for _ in 0..<epochs {
      let index = shuffledIndices(m)
      var total = 0.0
      var batches = 0
      var start = 0
      while start < m {
        let b = Swift.min(size, m - start)
        let rows = index + start
        let (obs, _) = gather(d, rows: rows, count: b)
        let y = targets.pointer
        total += valueLossGradient(
          obs: obs, targets: { y[rows[$0]] }, oldValues: nil, count: b, coefficient: scale)
        scaleGradient(&valueGradient, maxNorm: config.maxGradNorm)
        try stepCritic()
        batches += 1
        start += b
      }
      last = total / Double(Swift.max(batches, 1))
    }
    guard last.isFinite else { throw numerical("the value loss") }
    return last
  }

  /// θ ← θ + α g (ascent) with the policy's optimiser; refuses non-finite results.
  func stepPolicy() throws(SwiftPGError) {
    guard policyGradient.allFinite else { throw numerical("the policy gradient") }
    if config.maxGradValue > 0 { clipGradient(&policyGradient, low: -config.maxGradValue, high: config.maxGradValue) }
    var p = policy.parameters
    policyOptimizer.step(&p, gradient: policyGradient, ascend: true, learningRate: currentLearningRate)
    guard p.allFinite else { throw numerical("the updated policy parameters") }
    try policy.setParameters(p)
  }

  /// φ ← φ − α ∇L with the critic's optimiser; refuses non-finite results.
  func stepCritic() throws(SwiftPGError) {
    guard let critic, var opt = criticOptimizer else { return }
    guard valueGradient.allFinite else { throw numerical("the value-function gradient") }
    if config.maxGradValue > 0 { clipGradient(&valueGradient, low: -config.maxGradValue, high: config.maxGradValue) }
    var p = critic.parameters
    opt.step(&p, gradient: valueGradient, ascend: false, learningRate: currentValueLearningRate)
    guard p.allFinite else { throw numerical("the updated value-function parameters") }
    try critic.setParameters(p)
    criticOptimizer = opt
  }

  /// Rescales policy and critic gradients together to `maxGradNorm`
  /// (PPO's global norm clipping). Returns the norm before.
  func clipJointNorm() -> Double {
    var s = 0.0
    for x in policyGradient { s += x * x }
    for x in valueGradient { s += x * x }
    for k in 0..<sharedCount { s -= valueGradient[k] * valueGradient[k] }  // one network: count the copy once
    var norm = Swift.max(s, 0).squareRoot()
    if !norm.isFinite || norm < 0x1p-450 {
      // Overflow or underflow of the plain sum: the norm of the two parts (Statistics.norm).
      let p = Statistics.norm(policyGradient)
      let v = valueGradient.withUnsafeBufferPointer { b in
        b.baseAddress.map { Statistics.norm($0 + sharedCount, b.count - sharedCount) } ?? 0
      }
      norm = Statistics.hypot(p, v)
    }
    if config.maxGradNorm > 0 && norm > config.maxGradNorm {
      let k = config.maxGradNorm / norm
      for i in policyGradient.indices { policyGradient[i] *= k }
      for i in valueGradient.indices { valueGradient[i] *= k }
    }
    return norm
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

  // MARK: Snapshots (restored when an update fails)

  struct Snapshot {
    var policy: [Double]
    var critic: [Double]?
    var policyOptimizer: AnyOptimizer
    var criticOptimizer: AnyOptimizer?
    var iteration: Int
    var totalEnvSteps: Int
    var klBeta: Double
  }

  func snapshot() -> Snapshot {
    Snapshot(
      policy: policy.parameters, critic: critic?.parameters, policyOptimizer: policyOptimizer,
      criticOptimizer: criticOptimizer, iteration: iteration, totalEnvSteps: totalEnvSteps, klBeta: klBeta)
  }

  func restore(_ s: Snapshot) {
    _ = try? policy.setParameters(s.policy)
    if let c = s.critic { _ = try? critic?.setParameters(c) }
    policyOptimizer = s.policyOptimizer
    criticOptimizer = s.criticOptimizer
    iteration = s.iteration
    totalEnvSteps = s.totalEnvSteps
    klBeta = s.klBeta
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
    return try SwiftPG.evaluate(
      policy: policy, env: evalEnv, episodes: episodes, greedy: greedy, seed: seed,
      observationTransform: { obs in
        let x = scratch.reserve(n * dim)
        x.update(from: obs, count: n * dim)
        normalizer.normalize(x, rows: n, clip: self.config.clipObservations)
        return UnsafePointer(x)
      }, cancellation: cancellation)
  }
}

/// Fills the episode statistics of `stats` from the episodes that ended in `d`.
func summarizeEpisodes(_ d: Trajectories, into stats: inout TrainStats) {
  let returns = d.episodeReturns
  stats.episodes = returns.count
  guard !returns.isEmpty else { return }
  let (mean, std) = returns.withUnsafeBufferPointer { b in
    b.baseAddress.map { Statistics.meanAndStd($0, b.count) } ?? (0, 0)
  }
  let k = Double(returns.count)
  stats.meanReturn = mean
  stats.stdReturn = std
  stats.minReturn = returns.min() ?? 0
  stats.maxReturn = returns.max() ?? 0
  stats.meanLength = Double(d.episodeLengths.reduce(0, +)) / k
}
