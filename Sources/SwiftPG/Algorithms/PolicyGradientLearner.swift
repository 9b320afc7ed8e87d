/// A policy-gradient learner: one algorithm in one file (Reinforce.swift,
/// ActorCritic.swift, A2C.swift, OffPolicyPG.swift, NPG.swift, TRPO.swift,
/// PPO.swift), each with its own `Config`, its own scratch buffers, and an
/// update that reads estimate → update on a batch. The shared state and
/// steps live in its `LearnerCore`; this protocol supplies what is the same
/// for all of them (iterate = collect then update, updates on outside data,
/// evaluation, checkpoints, counters).
///
/// Adding an algorithm: a file with a `final class` conforming to this
/// protocol (a `Config` conforming to `PolicyGradientSettings` or
/// `SegmentSettings`, `init(env:policy:critic:config:)` building a
/// `LearnerCore`, and `update(_:_:)`), its test file, and its C config
/// struct and create function in SwiftPGCAPI (README.md of this folder).
public protocol PolicyGradientLearner: Learner where Stats == TrainStats {
  associatedtype Config: PolicyGradientSettings
  /// The learner's algorithm (its checkpoint family and C ABI kind).
  static var algorithm: PGAlgorithm { get }
  /// A learner training `policy` on `env` (nil: updates on outside data
  /// only) with the critic `critic` where the algorithm uses one.
  init(env: (any BatchedEnvironment)?, policy: any Policy, critic: ValueFunction?, config: Config)
    throws(SwiftPGError)
  var config: Config { get }
  var core: LearnerCore { get }
  /// Estimate and update on the batch `d` (collected, or passed from
  /// outside), filling the algorithm's statistics. A throw rolls back
  /// everything (`LearnerCore.run`).
  func update(_ d: Trajectories, _ stats: inout TrainStats) throws(SwiftPGError)
  /// The minibatch size a batch from outside must be divisible by (nil:
  /// none; the episodic learners take any batch).
  var externalMinibatchSize: Int? { get }
  /// State of the algorithm beyond its core that a resumed run needs, as a
  /// record of the checkpoint's learner section (off-policy PG's replay);
  /// nil (the default) for the others.
  var algorithmState: Record? { get }
  /// Validates `algorithmState` as saved (nil when the file has none) and
  /// returns what restores it.
  func prepareRestoreAlgorithmState(_ r: RecordReader?) throws(SwiftPGError) -> () -> Void
}

extension PolicyGradientLearner {
  public var iteration: Int { core.iteration }
  public var totalEnvSteps: Int { core.totalEnvSteps }
  public var cancellation: CancellationFlag? {
    get { core.cancellation }
    set { core.cancellation = newValue }
  }
  public var policy: any Policy { core.policy }
  public var critic: ValueFunction? { core.critic }
  public var env: (any BatchedEnvironment)? { core.env }
  public var observationNormalizer: RunningMeanStd? { core.observationNormalizer }
  public var algorithm: PGAlgorithm { Self.algorithm }
  public var externalMinibatchSize: Int? { nil }

  /// Collects a batch with the current policy and updates on it.
  /// Throws `.numerical` naming the iteration and the quantity when a loss,
  /// gradient or parameter becomes non-finite; the learner is then left as
  /// it was before the iteration.
  public func iterate() throws(SwiftPGError) -> TrainStats {
    let start = monotonicSeconds()
    try core.collect()
    return try core.run(core.data, start: start) { (d, s) throws(SwiftPGError) in try update(d, &s) }
  }

  /// Updates on externally collected trajectories (Python stepping any
  /// Gymnasium environment). Observations must already be what the policy
  /// sees; `behaviorLogProbs` are recomputed from the current policy.
  public func update(external d: Trajectories) throws(SwiftPGError) -> TrainStats {
    let start = monotonicSeconds()
    try core.prepareExternal(d, minibatchSize: externalMinibatchSize)
    return try core.run(d, start: start) { (d, s) throws(SwiftPGError) in try update(d, &s) }
  }

  public func evaluate(env: any BatchedEnvironment, episodes: Int, greedy: Bool, seed: UInt64)
    throws(SwiftPGError) -> (returns: [Double], lengths: [Int])
  {
    try core.evaluate(env: env, episodes: episodes, greedy: greedy, seed: seed)
  }

  public var algorithmState: Record? { nil }
  public func prepareRestoreAlgorithmState(_ r: RecordReader?) throws(SwiftPGError) -> () -> Void {
    if let r { throw r.fail("\(Self.algorithm.name) keeps no algorithm state") }
    return {}
  }
}

// MARK: Configuration fields shared by several learners

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

/// The fields every policy-gradient configuration has.
public protocol PolicyGradientSettings: Sendable {
  /// The learner's defaults (its reference implementation's values).
  init()
  /// Discount γ ∈ [0, 1].
  var gamma: Double { get set }
  var optimizer: OptimizerKind { get set }
  /// The policy's step size (> 0).
  var learningRate: Double { get set }
  /// Adam's ε (> 0).
  var adamEpsilon: Double { get set }
  /// Rescale the gradient to this L2 norm; 0: off.
  var maxGradNorm: Double { get set }
  /// Clamp each gradient component to ±this before the step; 0: off.
  var maxGradValue: Double { get set }
  /// Entropy bonus coefficient (≥ 0).
  var entropyCoef: Double { get set }
  /// Seeds action sampling and minibatch shuffling.
  var seed: UInt64 { get set }
  /// Refuses a configuration with a field out of range, naming the field.
  func validate() throws(SwiftPGError)
  /// Every field, named in snake_case as in C and Python, for the config
  /// section of checkpoints (`ConfigRecord.swift`): the shared groups
  /// (`commonFields`, `segmentFields`, `naturalFields`) plus the config's own.
  static var recordFields: [ConfigField<Self>] { get }
}

/// The fields of the segment learners (A2C, NPG, TRPO, PPO), which collect
/// N × T segments, fit a critic and estimate advantages with it.
public protocol SegmentSettings: PolicyGradientSettings {
  /// Steps T of every environment per iteration.
  var stepsPerEnv: Int { get set }
  var advantage: AdvantageKind { get set }
  /// GAE λ ∈ [0, 1].
  var gaeLambda: Double { get set }
  /// n of n-step advantages (≥ 1).
  var nSteps: Int { get set }
  var valueTarget: ValueTarget { get set }
  /// Critic passes over each batch.
  var valueEpochs: Int { get set }
  var normalizeAdvantages: Bool { get set }
  /// Must divide N·T; 0: the whole batch.
  var minibatchSize: Int { get set }
  /// The critic's step size; 0: `learningRate`.
  var valueLearningRate: Double { get set }
  var annealLearningRate: Bool { get set }
  /// Horizon of the annealing schedules (needed when annealing).
  var totalEnvSteps: Int { get set }
  var normalizeObservations: Bool { get set }
  var normalizeRewards: Bool { get set }
  var clipObservations: Double { get set }
  var clipRewards: Double { get set }
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

extension PolicyGradientSettings {
  /// Checks the fields of `PolicyGradientSettings`.
  public func validateCommon() throws(SwiftPGError) {
    try Check.unit(gamma, "gamma")
    try Check.positive(learningRate, "learning_rate")
    try Check.positive(adamEpsilon, "adam_epsilon")
    try Check.off(maxGradNorm, "max_grad_norm")
    try Check.off(maxGradValue, "max_grad_value")
    try Check.nonNegative(entropyCoef, "entropy_coef")
  }
}

extension SegmentSettings {
  /// Checks the fields of `SegmentSettings` (and the common ones).
  public func validateSegments() throws(SwiftPGError) {
    try validateCommon()
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
  }

  /// The core's settings for a segment learner.
  func coreSettings(_ algorithm: PGAlgorithm, adaptiveCoefficient: Double = 1) -> LearnerCore.Settings {
    LearnerCore.Settings(
      algorithm: algorithm, collection: .segments(stepsPerEnv: stepsPerEnv), needsCritic: true, gamma: gamma,
      optimizer: optimizer, learningRate: learningRate, valueLearningRate: valueLearningRate,
      adamEpsilon: adamEpsilon, maxGradValue: maxGradValue, annealLearningRate: annealLearningRate,
      totalEnvSteps: totalEnvSteps, normalizeObservations: normalizeObservations,
      normalizeRewards: normalizeRewards, clipObservations: clipObservations, clipRewards: clipRewards,
      adaptiveCoefficient: adaptiveCoefficient, seed: seed)
  }

  /// Builds the core of a segment learner, checking the minibatch size
  /// against the collected batch.
  func makeCore(
    _ algorithm: PGAlgorithm, env: (any BatchedEnvironment)?, policy: any Policy, critic: ValueFunction?,
    adaptiveCoefficient: Double = 1
  ) throws(SwiftPGError) -> LearnerCore {
    try validate()
    if let env { try LearnerCore.checkMinibatch(minibatchSize, batch: env.count * stepsPerEnv) }
    return try LearnerCore(
      env: env, policy: policy, critic: critic,
      settings: coreSettings(algorithm, adaptiveCoefficient: adaptiveCoefficient))
  }
}
