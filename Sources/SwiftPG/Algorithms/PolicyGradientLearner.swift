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
/// `SegmentSettings`, `init(config:core:)` storing the two, `makeCore`
/// unless the config's default suits, and `update(_:_:)`), its test file, and its C config
/// struct and create function in SwiftPGCAPI (README.md of this folder).
/// What every policy-gradient learner stores — its typed configuration and
/// the shared core — and the initialiser `PolicyGradientLearner` requires.
/// A learner is `final class X: PolicyGradientLearnerBase<X.Config>,
/// PolicyGradientLearner` with its own scratch and `update`.
public class PolicyGradientLearnerBase<Config> {
  public let config: Config
  public let core: LearnerCore

  public required init(config: Config, core: LearnerCore) throws(SwiftPGError) {
    self.config = config
    self.core = core
  }
}

public protocol PolicyGradientLearner: Learner where Stats == TrainStats {
  associatedtype Config: PolicyGradientSettings
  /// The learner's algorithm (its checkpoint family and C ABI kind).
  static var algorithm: PGAlgorithm { get }
  /// Validates `config` and builds the shared core: what to collect,
  /// whether a critic is needed, the core's optimiser settings. Segment
  /// learners get it from their config (`SegmentSettings.makeCore`);
  /// the episodic ones and PPO state theirs.
  static func makeCore(
    _ config: Config, env: (any BatchedEnvironment)?, policy: any Policy, critic: ValueFunction?
  ) throws(SwiftPGError) -> LearnerCore
  /// The learner over a core that `makeCore` built for `config`; the
  /// public entry is `init(env:policy:critic:config:)` below.
  init(config: Config, core: LearnerCore) throws(SwiftPGError)
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
  /// A learner training `policy` on `env` (nil: updates on outside data
  /// only) with the critic `critic` where the algorithm uses one.
  public init(
    env: (any BatchedEnvironment)?, policy: any Policy, critic: ValueFunction?, config: Config = Config()
  ) throws(SwiftPGError) {
    try self.init(config: config, core: Self.makeCore(config, env: env, policy: policy, critic: critic))
  }

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

  /// Updates on externally collected trajectories whose
  /// `behaviorLogProbs` the caller filled with log β(a|s) of the policy
  /// that acted (a rollout worker's, possibly older than the current one:
  /// PPO's ratio and the KL statistics are then taken against it). With the
  /// log-probabilities an iteration's collection records, the update is
  /// the one `iterate` makes on the same batch.
  public func update(external d: Trajectories, behaviorGiven: Bool) throws(SwiftPGError) -> TrainStats {
    let start = monotonicSeconds()
    try core.prepareExternal(d, minibatchSize: externalMinibatchSize, behaviorGiven: behaviorGiven)
    return try core.run(d, start: start) { (d, s) throws(SwiftPGError) in try update(d, &s) }
  }

  /// Updates on a rollout worker's raw batch (observations and rewards as
  /// the environments gave them, behaviour log-probabilities filled): the
  /// learner normalises and scales it with its statistics and folds it into
  /// them (`LearnerCore.normalizeExternal`), then updates as
  /// `update(external:behaviorGiven: true)`. `normalizedWith`: per lane,
  /// the observation statistics the acting policy saw when they are not
  /// the learner's before this batch (the stale segments of an
  /// asynchronous run, each collected with the statistics sent with its
  /// parameters); nil: the learner's. A failure restores the statistics too.
  public func update(externalRaw d: Trajectories, normalizedWith seen: [RunningMeanStd]? = nil)
    throws(SwiftPGError) -> TrainStats
  {
    if let seen {
      try require(core.observationNormalizer != nil, "this learner does not normalise observations")
      try require(seen.count == d.lanes, "\(seen.count) lanes of statistics for a batch of \(d.lanes) lanes")
      for s in seen {
        try require(s.width == core.observationSize, "statistics of \(s.width) entries, observations of \(core.observationSize)")
      }
    }
    let saved = core.normalizationState()
    core.normalizeExternal(d, seen: seen, discounted: &core.externalDiscountedReturn)
    do throws(SwiftPGError) {
      return try update(external: d, behaviorGiven: true)
    } catch {
      core.restoreNormalization(saved)
      throw error
    }
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

extension PolicyGradientLearner where Config: DirectSettings {
  public static func makeCore(
    _ config: Config, env: (any BatchedEnvironment)?, policy: any Policy, critic: ValueFunction?
  ) throws(SwiftPGError) -> LearnerCore {
    try config.makeCore(algorithm, env: env, policy: policy, critic: critic)
  }
}

extension PolicyGradientLearner where Config: NaturalGradientSettings {
  /// A batch from outside must split into whole minibatches for the critic fit.
  public var externalMinibatchSize: Int? { config.segments.minibatchSize }
}

extension PolicyGradientLearner where Config: SegmentSettings {
  public static func makeCore(
    _ config: Config, env: (any BatchedEnvironment)?, policy: any Policy, critic: ValueFunction?
  ) throws(SwiftPGError) -> LearnerCore {
    try config.makeCore(algorithm, env: env, policy: policy, critic: critic)
  }
}
