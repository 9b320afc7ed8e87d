/// The configuration fields several learners share, each declared and
/// documented once: `CommonFields` (every policy-gradient learner),
/// `SegmentFields` (the N × T learners A2C, NPG, TRPO, PPO) and
/// `NaturalStepFields` (NPG, TRPO). A learner's `Config` holds the groups it
/// reads plus its own fields, and reads like one flat struct
/// (`config.gamma`, `config.stepsPerEnv`) through dynamic member lookup.

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

/// When a normalising segment learner (`normalizeObservations`,
/// `normalizeRewards`) folds its collection into the running statistics.
public enum NormalizationUpdate: Int32, Sendable {
  /// At every step of the collection, before the policy sees the step's
  /// observations (SB3's VecNormalize, CleanRL's wrappers): the statistics
  /// move within a segment.
  case perStep = 0
  /// Once per segment: the policy sees the observations normalised with
  /// the statistics frozen at the start of the segment; the raw segment is
  /// folded in afterwards, step by step in time order (N rows a step), and
  /// the batch is normalised with the frozen statistics and its rewards
  /// scaled as it is folded (`LearnerCore.normalizeExternal`). This is what
  /// a distributed run does (its workers cannot share statistics that move
  /// at every step), so a learner set so trains bit-identically alone and
  /// on any number of rollout workers (swiftpg.distributed).
  case perSegment = 1
}

/// The fields of every policy-gradient learner.
public struct CommonFields: Sendable, Equatable {
  /// Discount γ ∈ [0, 1].
  public var gamma = 0.99
  /// Adam or SGD, for the policy and the critic.
  public var optimizer = OptimizerKind.adam
  /// The policy's step size (> 0; NPG/TRPO: the critic's, the policy takes the natural step).
  public var learningRate = 3e-4
  /// Adam's ε (> 0).
  public var adamEpsilon = 1e-5
  /// Rescale the gradient to this L2 norm (0: off; A2C, PPO: jointly over policy and critic).
  public var maxGradNorm = 0.0
  /// Clamp each gradient component to ±this before the step (Kochenderfer's
  /// `clip_gradient`; 0: off; not NPG/TRPO's natural step).
  public var maxGradValue = 0.0
  /// Entropy bonus coefficient c_H (≥ 0).
  public var entropyCoef = 0.0
  /// Seeds the per-lane action streams and minibatch shuffling.
  public var seed: UInt64 = 0

  public init(
    gamma: Double = 0.99, optimizer: OptimizerKind = .adam, learningRate: Double = 3e-4, adamEpsilon: Double = 1e-5,
    maxGradNorm: Double = 0, maxGradValue: Double = 0, entropyCoef: Double = 0, seed: UInt64 = 0
  ) {
    self.gamma = gamma
    self.optimizer = optimizer
    self.learningRate = learningRate
    self.adamEpsilon = adamEpsilon
    self.maxGradNorm = maxGradNorm
    self.maxGradValue = maxGradValue
    self.entropyCoef = entropyCoef
    self.seed = seed
  }

  public func validate() throws(SwiftPGError) {
    try Check.unit(gamma, "gamma")
    try Check.positive(learningRate, "learning_rate")
    try Check.positive(adamEpsilon, "adam_epsilon")
    try Check.off(maxGradNorm, "max_grad_norm")
    try Check.off(maxGradValue, "max_grad_value")
    try Check.nonNegative(entropyCoef, "entropy_coef")
  }
}

/// The fields of the segment learners, which collect N × T segments, fit a
/// critic and estimate advantages with it.
public struct SegmentFields: Sendable, Equatable {
  /// Steps T of every environment per iteration.
  public var stepsPerEnv = 128
  public var advantage = AdvantageKind.gae
  /// GAE λ ∈ [0, 1] (Schulman et al. 2016).
  public var gaeLambda = 0.95
  /// n of n-step advantages (≥ 1).
  public var nSteps = 5
  public var valueTarget = ValueTarget.bootstrap
  /// Critic passes over each batch.
  public var valueEpochs = 1
  /// Standardise the advantages (PPO: per minibatch).
  public var normalizeAdvantages = true
  /// Rows per minibatch; must divide N·T (0: the whole batch).
  public var minibatchSize = 0
  /// The critic's step size; 0: `learningRate`.
  public var valueLearningRate = 0.0
  /// Decay the learning rates linearly to 0 over `totalEnvSteps`.
  public var annealLearningRate = false
  /// Horizon of the annealing schedules (needed when annealing).
  public var totalEnvSteps = 0
  /// Running mean/std observation normalisation (saved in checkpoints).
  public var normalizeObservations = false
  /// Divide rewards by the running std of the discounted return (SB3's VecNormalize).
  public var normalizeRewards = false
  /// Clip normalised observations to ±this.
  public var clipObservations = 10.0
  /// Clip scaled rewards to ±this.
  public var clipRewards = 10.0
  /// When the normalisers take in the collection (see `NormalizationUpdate`).
  public var normalizationUpdate = NormalizationUpdate.perStep
  /// V-trace's ρ̄ (finite, > 0): truncates the importance weights of the
  /// temporal differences; the targets are the values of the policy
  /// between β and π that ρ̄ selects (π for ρ̄ = ∞; Espeholt et al. 2018,
  /// §4.1). Read only with `advantage = .vtrace`.
  public var vtraceRhoBar = 1.0
  /// V-trace's c̄ (finite, > 0): truncates the trace coefficients, which
  /// set how fast the operator contracts (its variance), not its fixed
  /// point (§4.1). The paper assumes c̄ ≤ ρ̄ (its contraction result,
  /// Theorem 1, is proved under it); it is not required here.
  public var vtraceCBar = 1.0

  public init(
    stepsPerEnv: Int = 128, gaeLambda: Double = 0.95, valueEpochs: Int = 1, normalizeAdvantages: Bool = true,
    minibatchSize: Int = 0
  ) {
    self.stepsPerEnv = stepsPerEnv
    self.gaeLambda = gaeLambda
    self.valueEpochs = valueEpochs
    self.normalizeAdvantages = normalizeAdvantages
    self.minibatchSize = minibatchSize
  }

  public func validate() throws(SwiftPGError) {
    try Check.range(stepsPerEnv, 1, 1 << 20, "steps_per_env")
    try Check.unit(gaeLambda, "gae_lambda")
    try require(nSteps >= 1, "n_steps must be >= 1, got \(nSteps)")
    try Check.range(valueEpochs, 0, 10_000, "value_epochs")
    try require(minibatchSize >= 0, "minibatch_size must be >= 0 (0: the whole batch), got \(minibatchSize)")
    try Check.nonNegative(valueLearningRate, "value_learning_rate")
    try require(totalEnvSteps >= 0, "total_env_steps must be >= 0, got \(totalEnvSteps)")
    if annealLearningRate {
      try require(totalEnvSteps > 0, "annealing needs total_env_steps > 0 (the schedule's horizon)")
    }
    try Check.positive(clipObservations, "clip_observations")
    try Check.positive(clipRewards, "clip_rewards")
    try Check.positive(vtraceRhoBar, "vtrace_rho_bar")
    try Check.positive(vtraceCBar, "vtrace_c_bar")
  }
}

/// The natural step's fields (NPG, TRPO).
public struct NaturalStepFields: Sendable, Equatable {
  /// KL budget δ of the step.
  public var maxKL = 0.01
  /// Conjugate-gradient iterations (1…1000).
  public var cgIterations = 15
  /// Damping added to the Fisher matrix (≥ 0).
  public var cgDamping = 0.1

  public init() {}

  public func validate() throws(SwiftPGError) {
    try Check.positive(maxKL, "max_kl")
    try Check.range(cgIterations, 1, 1000, "cg_iterations")
    try Check.nonNegative(cgDamping, "cg_damping")
  }
}

/// A policy-gradient learner's configuration.
public protocol PolicyGradientSettings: Sendable {
  /// The learner's defaults (its reference implementation's values).
  init()
  var common: CommonFields { get set }
  /// Refuses a configuration with a field out of range, naming the field.
  func validate() throws(SwiftPGError)
  /// Every field, named in snake_case as in C and Python, for the config
  /// section of checkpoints (`ConfigRecord.swift`): the shared groups
  /// (`commonFields`, `segmentFields`, `naturalFields`) plus the config's own.
  static var recordFields: [ConfigField<Self>] { get }
}

/// The configuration of a learner that is not a segment learner
/// (REINFORCE, off-policy PG, actor-critic): it states what the core does.
public protocol DirectSettings: PolicyGradientSettings {
  /// What each iteration collects, whether the core fits a critic, and
  /// the critic's learning rate.
  var coreShape: (collection: LearnerCore.Collection, needsCritic: Bool, valueLearningRate: Double) { get }
}

/// A segment learner's configuration.
public protocol SegmentSettings: PolicyGradientSettings {
  var segments: SegmentFields { get set }
}

/// NPG's and TRPO's configuration.
public protocol NaturalGradientSettings: SegmentSettings {
  var natural: NaturalStepFields { get set }
}

extension DirectSettings {
  /// Builds the core after validating the config.
  func makeCore(
    _ algorithm: PGAlgorithm, env: (any BatchedEnvironment)?, policy: any Policy, critic: ValueFunction?
  ) throws(SwiftPGError) -> LearnerCore {
    try validate()
    let shape = coreShape
    var fields = SegmentFields()
    fields.valueLearningRate = shape.valueLearningRate
    return try LearnerCore(
      env: env, policy: policy, critic: critic,
      settings: LearnerCore.Settings(
        algorithm: algorithm, collection: shape.collection, needsCritic: shape.needsCritic, common: common,
        segments: fields))
  }
}

// The groups' fields read and written as the config's own (`config.gamma`).
extension PolicyGradientSettings {
  public subscript<T>(dynamicMember field: WritableKeyPath<CommonFields, T>) -> T {
    get { common[keyPath: field] }
    set { common[keyPath: field] = newValue }
  }
}

extension SegmentSettings {
  public subscript<T>(dynamicMember field: WritableKeyPath<SegmentFields, T>) -> T {
    get { segments[keyPath: field] }
    set { segments[keyPath: field] = newValue }
  }

  /// The core's settings for a segment learner.
  func coreSettings(_ algorithm: PGAlgorithm, adaptiveCoefficient: Double = 1) -> LearnerCore.Settings {
    LearnerCore.Settings(
      algorithm: algorithm, collection: .segments(stepsPerEnv: segments.stepsPerEnv), needsCritic: true,
      common: common, segments: segments, adaptiveCoefficient: adaptiveCoefficient)
  }

  /// Builds the core of a segment learner after validating the config and
  /// the minibatch size against the collected batch.
  func makeCore(
    _ algorithm: PGAlgorithm, env: (any BatchedEnvironment)?, policy: any Policy, critic: ValueFunction?,
    adaptiveCoefficient: Double = 1
  ) throws(SwiftPGError) -> LearnerCore {
    try validate()
    if let env { try LearnerCore.checkMinibatch(segments.minibatchSize, batch: env.count * segments.stepsPerEnv) }
    return try LearnerCore(
      env: env, policy: policy, critic: critic,
      settings: coreSettings(algorithm, adaptiveCoefficient: adaptiveCoefficient))
  }
}

extension NaturalGradientSettings {
  public subscript<T>(dynamicMember field: WritableKeyPath<NaturalStepFields, T>) -> T {
    get { natural[keyPath: field] }
    set { natural[keyPath: field] = newValue }
  }
}

/// Range checks naming the field (snake_case, as in C and Python).
enum Check {
  static func unit(_ x: Double, _ name: String) throws(SwiftPGError) {
    try require(x >= 0 && x <= 1, "\(name) must be in [0, 1], got \(x)")
  }
  static func positive(_ x: Double, _ name: String) throws(SwiftPGError) {
    try require(x.isFinite && x > 0, "\(name) must be finite and > 0, got \(x)")
  }
  static func nonNegative(_ x: Double, _ name: String) throws(SwiftPGError) {
    try require(x.isFinite && x >= 0, "\(name) must be finite and >= 0, got \(x)")
  }
  static func off(_ x: Double, _ name: String) throws(SwiftPGError) {
    try require(x.isFinite && x >= 0, "\(name) must be finite and >= 0 (0: off), got \(x)")
  }
  static func range(_ x: Int, _ low: Int, _ high: Int, _ name: String) throws(SwiftPGError) {
    try require(x >= low && x <= high, "\(name) must be in [\(low), \(high)], got \(x)")
  }
}

extension ValueEstimates {
  /// A segment learner's first step on the batch `d`: the critic's values
  /// (when the core has a critic), the advantages and value targets that
  /// `config` chooses, and their explained variance into `s`.
  func estimate(_ d: Trajectories, core: LearnerCore, config: some SegmentSettings, _ s: inout TrainStats)
    throws(SwiftPGError)
  {
    if let critic = core.critic { try predict(critic: critic, d, failure: core.numerical) }
    let f = config.segments
    if f.advantage == .vtrace {
      // log ρ = log π − log β with π the policy before this update.
      let m = d.count
      let lr = logRhos.reserve(m)
      core.policy.logProbabilities(d.observations.pointer, actions: d.actions, batch: m, into: lr)
      for k in 0..<m { lr[k] -= d.behaviorLogProbs[k] }
    }
    estimate(
      d, advantage: f.advantage, gamma: config.common.gamma, gaeLambda: f.gaeLambda, nSteps: f.nSteps,
      target: f.valueTarget, rhoBar: f.vtraceRhoBar, cBar: f.vtraceCBar)
    s.explainedVariance = explainedVariance(count: d.count)
  }
}
