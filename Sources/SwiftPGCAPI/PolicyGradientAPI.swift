import CSwiftPG
import SwiftPG

// The mapping between each learner's C config struct and its Swift
// `Config`. The C structs share field groups (Include/swiftpg.h); the
// protocols below name those groups so one function reads or writes each
// group for every struct that has it.

/// Fields every C policy-gradient config struct has.
protocol CCommonFields {
  var size: UInt32 { get set }
  var optimizer: Int32 { get set }
  var gamma: Double { get set }
  var learning_rate: Double { get set }
  var adam_epsilon: Double { get set }
  var max_grad_norm: Double { get set }
  var max_grad_value: Double { get set }
  var entropy_coef: Double { get set }
  var seed: UInt64 { get set }
  init()
}

/// The SWIFTPG_SEGMENT_CONFIG_FIELDS group of A2C, NPG, TRPO and PPO.
protocol CSegmentFields: CCommonFields {
  var steps_per_env: Int32 { get set }
  var advantage: Int32 { get set }
  var n_steps: Int32 { get set }
  var value_target: Int32 { get set }
  var value_epochs: Int32 { get set }
  var normalize_advantages: Int32 { get set }
  var minibatch_size: Int32 { get set }
  var anneal_learning_rate: Int32 { get set }
  var normalize_observations: Int32 { get set }
  var normalize_rewards: Int32 { get set }
  var total_env_steps: Int64 { get set }
  var gae_lambda: Double { get set }
  var value_learning_rate: Double { get set }
  var clip_observations: Double { get set }
  var clip_rewards: Double { get set }
  var normalization_update: Int32 { get set }
  var vtrace_rho_bar: Double { get set }
  var vtrace_c_bar: Double { get set }
}

/// NPG's and TRPO's natural-step fields.
protocol CNaturalFields: CSegmentFields {
  var cg_iterations: Int32 { get set }
  var max_kl: Double { get set }
  var cg_damping: Double { get set }
}

extension swiftpg_reinforce_config: CCommonFields {}
extension swiftpg_actor_critic_config: CCommonFields {}
extension swiftpg_offpolicy_pg_config: CCommonFields {}
extension swiftpg_a2c_config: CSegmentFields {}
extension swiftpg_ppo_config: CSegmentFields {}
extension swiftpg_npg_config: CNaturalFields {}
extension swiftpg_trpo_config: CNaturalFields {}

/// Reads C config fields into Swift values, naming the field on error.
struct FieldReader {
  func flag(_ v: Int32, _ name: String) throws(SwiftPGError) -> Bool {
    try require(v == 0 || v == 1, "\(name) must be 0 or 1, got \(v)")
    return v == 1
  }
  func pick<E: RawRepresentable<Int32>>(_ v: Int32, _ name: String, _ options: String) throws(SwiftPGError) -> E {
    guard let e = E(rawValue: v) else { throw .invalid("unknown \(name) \(v); expected \(options)") }
    return e
  }
}

extension CommonFields {
  init<C: CCommonFields>(_ c: C) throws(SwiftPGError) {
    self.init(
      gamma: c.gamma, optimizer: try FieldReader().pick(c.optimizer, "optimizer", "0 (Adam) or 1 (SGD)"),
      learningRate: c.learning_rate, adamEpsilon: c.adam_epsilon, maxGradNorm: c.max_grad_norm,
      maxGradValue: c.max_grad_value, entropyCoef: c.entropy_coef, seed: c.seed)
  }

  func write<C: CCommonFields>(_ c: inout C) {
    c.size = UInt32(MemoryLayout<C>.size)
    c.optimizer = optimizer.rawValue
    c.gamma = gamma
    c.learning_rate = learningRate
    c.adam_epsilon = adamEpsilon
    c.max_grad_norm = maxGradNorm
    c.max_grad_value = maxGradValue
    c.entropy_coef = entropyCoef
    c.seed = seed
  }
}

/// Converts a count read from C (`Int32`) back, saturating.
private func c32(_ x: Int) -> Int32 { Int32(clamping: x) }

extension SegmentFields {
  init<C: CSegmentFields>(_ c: C) throws(SwiftPGError) {
    let r = FieldReader()
    self.init(
      stepsPerEnv: Int(c.steps_per_env), gaeLambda: c.gae_lambda, valueEpochs: Int(c.value_epochs),
      normalizeAdvantages: try r.flag(c.normalize_advantages, "normalize_advantages"),
      minibatchSize: Int(c.minibatch_size))
    advantage = try r.pick(c.advantage, "advantage", "0 (GAE), 1 (n-step) or 2 (V-trace)")
    nSteps = Int(c.n_steps)
    valueTarget = try r.pick(c.value_target, "value_target", "0 (bootstrap) or 1 (Monte Carlo)")
    annealLearningRate = try r.flag(c.anneal_learning_rate, "anneal_learning_rate")
    normalizeObservations = try r.flag(c.normalize_observations, "normalize_observations")
    normalizeRewards = try r.flag(c.normalize_rewards, "normalize_rewards")
    totalEnvSteps = Int(c.total_env_steps)
    valueLearningRate = c.value_learning_rate
    clipObservations = c.clip_observations
    clipRewards = c.clip_rewards
    normalizationUpdate = try r.pick(c.normalization_update, "normalization_update", "0 (per step) or 1 (per segment)")
    vtraceRhoBar = c.vtrace_rho_bar
    vtraceCBar = c.vtrace_c_bar
  }

  func write<C: CSegmentFields>(_ c: inout C) {
    c.steps_per_env = c32(stepsPerEnv)
    c.advantage = advantage.rawValue
    c.n_steps = c32(nSteps)
    c.value_target = valueTarget.rawValue
    c.value_epochs = c32(valueEpochs)
    c.normalize_advantages = normalizeAdvantages ? 1 : 0
    c.minibatch_size = c32(minibatchSize)
    c.anneal_learning_rate = annealLearningRate ? 1 : 0
    c.normalize_observations = normalizeObservations ? 1 : 0
    c.normalize_rewards = normalizeRewards ? 1 : 0
    c.total_env_steps = Int64(totalEnvSteps)
    c.gae_lambda = gaeLambda
    c.value_learning_rate = valueLearningRate
    c.clip_observations = clipObservations
    c.clip_rewards = clipRewards
    c.normalization_update = normalizationUpdate.rawValue
    c.vtrace_rho_bar = vtraceRhoBar
    c.vtrace_c_bar = vtraceCBar
  }
}

extension NaturalStepFields {
  init<C: CNaturalFields>(_ c: C) {
    self.init()
    cgIterations = Int(c.cg_iterations)
    maxKL = c.max_kl
    cgDamping = c.cg_damping
  }

  func write<C: CNaturalFields>(_ c: inout C) {
    c.cg_iterations = c32(cgIterations)
    c.max_kl = maxKL
    c.cg_damping = cgDamping
  }
}

extension SegmentSettings {
  /// A segment learner's config from its C struct: the common and segment groups.
  init<C: CSegmentFields>(segments c: C) throws(SwiftPGError) {
    self.init()
    common = try CommonFields(c)
    segments = try SegmentFields(c)
  }

  /// The C struct of a segment learner with the common and segment groups written.
  func segmentStruct<C: CSegmentFields>() -> C {
    var c = C()
    common.write(&c)
    segments.write(&c)
    return c
  }
}

/// A learner's C struct and its Swift configuration, both ways.
protocol CConfigurable: PolicyGradientLearner {
  associatedtype CConfig: CCommonFields
  static var cName: String { get }
  static func read(_ c: CConfig) throws(SwiftPGError) -> Config
  static func write(_ config: Config) -> CConfig
}

extension Reinforce: CConfigurable {
  static let cName = "swiftpg_reinforce_config"
  static func read(_ c: swiftpg_reinforce_config) throws(SwiftPGError) -> Config {
    let r = FieldReader()
    var s = Config()
    s.common = try CommonFields(c)
    s.stepsPerIteration = Int(c.steps_per_iteration)
    s.weighting = try r.pick(c.weighting, "weighting", "0..2 (SWIFTPG_WEIGHTING_*)")
    s.baseline = try r.pick(c.baseline, "baseline", "0..3 (SWIFTPG_BASELINE_*)")
    s.normalizeAdvantages = try r.flag(c.normalize_advantages, "normalize_advantages")
    s.episodeAverage = try r.flag(c.episode_average, "episode_average")
    s.valueEpochs = Int(c.value_epochs)
    s.valueLearningRate = c.value_learning_rate
    return s
  }
  static func write(_ s: Config) -> swiftpg_reinforce_config {
    var c = swiftpg_reinforce_config()
    s.common.write(&c)
    c.steps_per_iteration = c32(s.stepsPerIteration)
    c.weighting = s.weighting.rawValue
    c.baseline = s.baseline.rawValue
    c.normalize_advantages = s.normalizeAdvantages ? 1 : 0
    c.episode_average = s.episodeAverage ? 1 : 0
    c.value_epochs = c32(s.valueEpochs)
    c.value_learning_rate = s.valueLearningRate
    return c
  }
}

extension ActorCritic: CConfigurable {
  static let cName = "swiftpg_actor_critic_config"
  static func read(_ c: swiftpg_actor_critic_config) throws(SwiftPGError) -> Config {
    var s = Config()
    s.common = try CommonFields(c)
    s.stepsPerEnv = Int(c.steps_per_env)
    s.valueEpochs = Int(c.value_epochs)
    s.normalizeAdvantages = try FieldReader().flag(c.normalize_advantages, "normalize_advantages")
    s.valueLearningRate = c.value_learning_rate
    return s
  }
  static func write(_ s: Config) -> swiftpg_actor_critic_config {
    var c = swiftpg_actor_critic_config()
    s.common.write(&c)
    c.steps_per_env = c32(s.stepsPerEnv)
    c.value_epochs = c32(s.valueEpochs)
    c.normalize_advantages = s.normalizeAdvantages ? 1 : 0
    c.value_learning_rate = s.valueLearningRate
    return c
  }
}

extension OffPolicyPG: CConfigurable {
  static let cName = "swiftpg_offpolicy_pg_config"
  static func read(_ c: swiftpg_offpolicy_pg_config) throws(SwiftPGError) -> Config {
    let r = FieldReader()
    var s = Config()
    s.common = try CommonFields(c)
    s.stepsPerIteration = Int(c.steps_per_iteration)
    s.baseline = try r.pick(c.baseline, "baseline", "0 (none) or 1 (mean)")
    s.normalizeAdvantages = try r.flag(c.normalize_advantages, "normalize_advantages")
    s.reuseBatches = Int(c.reuse_batches)
    s.perDecision = try r.flag(c.per_decision, "per_decision")
    s.importanceClip = c.importance_clip
    return s
  }
  static func write(_ s: Config) -> swiftpg_offpolicy_pg_config {
    var c = swiftpg_offpolicy_pg_config()
    s.common.write(&c)
    c.steps_per_iteration = c32(s.stepsPerIteration)
    c.baseline = s.baseline.rawValue
    c.normalize_advantages = s.normalizeAdvantages ? 1 : 0
    c.reuse_batches = c32(s.reuseBatches)
    c.per_decision = s.perDecision ? 1 : 0
    c.importance_clip = s.importanceClip
    return c
  }
}

extension A2C: CConfigurable {
  static let cName = "swiftpg_a2c_config"
  static func read(_ c: swiftpg_a2c_config) throws(SwiftPGError) -> Config {
    var s = try Config(segments: c)
    s.valueCoef = c.value_coef
    return s
  }
  static func write(_ s: Config) -> swiftpg_a2c_config {
    var c: swiftpg_a2c_config = s.segmentStruct()
    c.value_coef = s.valueCoef
    return c
  }
}

extension NPG: CConfigurable {
  static let cName = "swiftpg_npg_config"
  static func read(_ c: swiftpg_npg_config) throws(SwiftPGError) -> Config {
    var s = try Config(segments: c)
    s.natural = NaturalStepFields(c)
    return s
  }
  static func write(_ s: Config) -> swiftpg_npg_config {
    var c: swiftpg_npg_config = s.segmentStruct()
    s.natural.write(&c)
    return c
  }
}

extension TRPO: CConfigurable {
  static let cName = "swiftpg_trpo_config"
  static func read(_ c: swiftpg_trpo_config) throws(SwiftPGError) -> Config {
    var s = try Config(segments: c)
    s.natural = NaturalStepFields(c)
    s.lineSearchSteps = Int(c.line_search_steps)
    s.backtrackRatio = c.backtrack_ratio
    return s
  }
  static func write(_ s: Config) -> swiftpg_trpo_config {
    var c: swiftpg_trpo_config = s.segmentStruct()
    s.natural.write(&c)
    c.line_search_steps = c32(s.lineSearchSteps)
    c.backtrack_ratio = s.backtrackRatio
    return c
  }
}

extension PPO: CConfigurable {
  static let cName = "swiftpg_ppo_config"
  static func read(_ c: swiftpg_ppo_config) throws(SwiftPGError) -> Config {
    let r = FieldReader()
    var s = try Config(segments: c)
    s.epochs = Int(c.epochs)
    s.annealClipRange = try r.flag(c.anneal_clip_range, "anneal_clip_range")
    s.klPenalty = try r.flag(c.kl_penalty, "kl_penalty")
    s.sharedNetwork = try r.flag(c.shared_network, "shared_network")
    s.updateThreads = Int(c.update_threads)
    s.clipRange = c.clip_range
    s.valueClipRange = c.value_clip_range
    s.valueCoef = c.value_coef
    s.targetKL = c.target_kl
    s.klBeta = c.kl_beta
    s.klTarget = c.kl_target
    return s
  }
  static func write(_ s: Config) -> swiftpg_ppo_config {
    var c: swiftpg_ppo_config = s.segmentStruct()
    c.epochs = c32(s.epochs)
    c.anneal_clip_range = s.annealClipRange ? 1 : 0
    c.kl_penalty = s.klPenalty ? 1 : 0
    c.shared_network = s.sharedNetwork ? 1 : 0
    c.update_threads = c32(s.updateThreads)
    c.clip_range = s.clipRange
    c.value_clip_range = s.valueClipRange
    c.value_coef = s.valueCoef
    c.target_kl = s.targetKL
    c.kl_beta = s.klBeta
    c.kl_target = s.klTarget
    return c
  }
}

// MARK: Defaults and creation, one pair per learner

func defaultConfig<L: CConfigurable>(_: L.Type, _ out: UnsafeMutablePointer<L.CConfig>?) -> Int32 {
  entry { () throws(SwiftPGError) in
    try need(out, "config_out").pointee = L.write(L.Config())
  }
}

func createLearner<L: CConfigurable>(
  _: L.Type, _ env: UInt64, _ policy: UInt64, _ value: UInt64, _ config: UnsafePointer<L.CConfig>?,
  _ learner_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(learner_out, "learner_out")
    let c = try readConfig(config, L.cName)
    let cfg = try L.read(c)
    let envBox: Guarded<EnvObject>? = env == 0 ? nil : try envTable.get(env)
    let policyBox = try policyTable.get(policy)
    let valueBox: Guarded<ValueObject>? = value == 0 ? nil : try valueTable.get(value)
    let learner = try L(
      env: envBox?.object.env, policy: policyBox.object.policy, critic: valueBox?.object.value, config: cfg)
    out.pointee = try algorithmTable.insert(
      AlgorithmObject(
        .policyGradient(learner), env: envBox, policy: policyBox, value: learner.critic == nil ? nil : valueBox))
  }
}

@c @implementation
public func swiftpg_reinforce_default_config(_ config_out: UnsafeMutablePointer<swiftpg_reinforce_config>?) -> Int32 {
  defaultConfig(Reinforce.self, config_out)
}
@c @implementation
public func swiftpg_actor_critic_default_config(_ config_out: UnsafeMutablePointer<swiftpg_actor_critic_config>?) -> Int32 {
  defaultConfig(ActorCritic.self, config_out)
}
@c @implementation
public func swiftpg_a2c_default_config(_ config_out: UnsafeMutablePointer<swiftpg_a2c_config>?) -> Int32 {
  defaultConfig(A2C.self, config_out)
}
@c @implementation
public func swiftpg_npg_default_config(_ config_out: UnsafeMutablePointer<swiftpg_npg_config>?) -> Int32 {
  defaultConfig(NPG.self, config_out)
}
@c @implementation
public func swiftpg_trpo_default_config(_ config_out: UnsafeMutablePointer<swiftpg_trpo_config>?) -> Int32 {
  defaultConfig(TRPO.self, config_out)
}
@c @implementation
public func swiftpg_ppo_default_config(_ config_out: UnsafeMutablePointer<swiftpg_ppo_config>?) -> Int32 {
  defaultConfig(PPO.self, config_out)
}
@c @implementation
public func swiftpg_offpolicy_pg_default_config(_ config_out: UnsafeMutablePointer<swiftpg_offpolicy_pg_config>?) -> Int32 {
  defaultConfig(OffPolicyPG.self, config_out)
}

@c @implementation
public func swiftpg_reinforce_create(
  _ env: UInt64, _ policy: UInt64, _ value: UInt64, _ config: UnsafePointer<swiftpg_reinforce_config>?,
  _ learner_out: UnsafeMutablePointer<UInt64>?
) -> Int32 { createLearner(Reinforce.self, env, policy, value, config, learner_out) }
@c @implementation
public func swiftpg_actor_critic_create(
  _ env: UInt64, _ policy: UInt64, _ value: UInt64, _ config: UnsafePointer<swiftpg_actor_critic_config>?,
  _ learner_out: UnsafeMutablePointer<UInt64>?
) -> Int32 { createLearner(ActorCritic.self, env, policy, value, config, learner_out) }
@c @implementation
public func swiftpg_a2c_create(
  _ env: UInt64, _ policy: UInt64, _ value: UInt64, _ config: UnsafePointer<swiftpg_a2c_config>?,
  _ learner_out: UnsafeMutablePointer<UInt64>?
) -> Int32 { createLearner(A2C.self, env, policy, value, config, learner_out) }
@c @implementation
public func swiftpg_npg_create(
  _ env: UInt64, _ policy: UInt64, _ value: UInt64, _ config: UnsafePointer<swiftpg_npg_config>?,
  _ learner_out: UnsafeMutablePointer<UInt64>?
) -> Int32 { createLearner(NPG.self, env, policy, value, config, learner_out) }
@c @implementation
public func swiftpg_trpo_create(
  _ env: UInt64, _ policy: UInt64, _ value: UInt64, _ config: UnsafePointer<swiftpg_trpo_config>?,
  _ learner_out: UnsafeMutablePointer<UInt64>?
) -> Int32 { createLearner(TRPO.self, env, policy, value, config, learner_out) }
@c @implementation
public func swiftpg_ppo_create(
  _ env: UInt64, _ policy: UInt64, _ value: UInt64, _ config: UnsafePointer<swiftpg_ppo_config>?,
  _ learner_out: UnsafeMutablePointer<UInt64>?
) -> Int32 { createLearner(PPO.self, env, policy, value, config, learner_out) }
@c @implementation
public func swiftpg_offpolicy_pg_create(
  _ env: UInt64, _ policy: UInt64, _ value: UInt64, _ config: UnsafePointer<swiftpg_offpolicy_pg_config>?,
  _ learner_out: UnsafeMutablePointer<UInt64>?
) -> Int32 { createLearner(OffPolicyPG.self, env, policy, value, config, learner_out) }

// MARK: Every policy-gradient learner

extension TrainStats {
  var c: swiftpg_train_stats {
    var c = swiftpg_train_stats()
    c.size = UInt32(MemoryLayout<swiftpg_train_stats>.size)
    c.iteration = Int64(iteration)
    c.env_steps = Int64(envSteps)
    c.total_env_steps = Int64(totalEnvSteps)
    c.episodes = Int32(clamping: episodes.count)
    c.epochs = Int32(clamping: epochs)
    c.line_search_step = Int32(clamping: lineSearchStep)
    c.mean_return = meanReturn
    c.std_return = stdReturn
    c.min_return = minReturn
    c.max_return = maxReturn
    c.mean_length = meanLength
    c.success_rate = successRate
    c.policy_loss = policyLoss
    c.value_loss = valueLoss
    c.entropy = entropy
    c.approx_kl = approxKL
    c.clip_fraction = clipFraction
    c.explained_variance = explainedVariance
    c.grad_norm = gradNorm
    c.learning_rate = learningRate
    c.kl_coef = klCoef
    c.effective_sample_size = effectiveSampleSize
    c.seconds = seconds
    return c
  }
}

@c @implementation
public func swiftpg_pg_algorithm(_ learner: UInt64, _ algorithm_out: UnsafeMutablePointer<Int32>?) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(algorithm_out, "algorithm_out")
    try using(algorithmTable, learner) { (a) throws(SwiftPGError) in
      out.pointee = try a.policyGradient().algorithm.rawValue
    }
  }
}

@c @implementation
public func swiftpg_pg_iterate(_ learner: UInt64, _ stats_out: UnsafeMutablePointer<swiftpg_train_stats>?) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(stats_out, "stats_out")
    try using(algorithmTable, learner) { (a) throws(SwiftPGError) in
      let l = try a.policyGradient()
      try a.exclusive { () throws(SwiftPGError) in out.pointee = try l.iterate().c }
    }
  }
}

@c @implementation
public func swiftpg_pg_collect(
  _ learner: UInt64, _ steps: Int64, _ num_envs: Int64, _ observations: UnsafeMutablePointer<Double>?,
  _ actions: UnsafeMutableRawPointer?, _ log_probs: UnsafeMutablePointer<Double>?,
  _ values: UnsafeMutablePointer<Double>?, _ rewards: UnsafeMutablePointer<Double>?,
  _ terminated: UnsafeMutablePointer<UInt8>?, _ truncated: UnsafeMutablePointer<UInt8>?,
  _ final_observations: UnsafeMutablePointer<Double>?, _ next_observations: UnsafeMutablePointer<Double>?,
  _ stats_out: UnsafeMutablePointer<swiftpg_train_stats>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let obsOut = try need(observations, "observations")
    guard let actionsOut = actions else { throw SwiftPGError(.nullPointer, "actions is NULL") }
    let logProbsOut = try need(log_probs, "log_probs")
    let valuesOut = try needIfPresent(values, "values")
    let rewardsOut = try need(rewards, "rewards")
    let terminatedOut = try need(terminated, "terminated")
    let truncatedOut = try need(truncated, "truncated")
    let finalOut = try need(final_observations, "final_observations")
    let nextOut = try need(next_observations, "next_observations")
    let statsOut = try need(stats_out, "stats_out")
    try using(algorithmTable, learner) { (a) throws(SwiftPGError) in
      let core = try a.policyGradient().core
      guard case .segments(let t) = core.settings.collection, let env = core.env else {
        throw SwiftPGError(
          .notSupported, "collect takes segments of steps_per_env steps; this learner collects whole episodes")
      }
      try require(
        steps == Int64(t) && num_envs == Int64(env.count),
        "steps and num_envs must be the learner's steps_per_env (\(t)) and environment count (\(env.count)), "
          + "got \(steps) and \(num_envs)")
      try requireActionAlignment(UnsafeRawPointer(actionsOut), core.actionSpace, "actions")
      try require(valuesOut == nil || core.critic != nil, "values: this learner has no critic (pass NULL)")
      try a.exclusive { () throws(SwiftPGError) in
        let (d, stats) = try core.collectSegment()
        let m = d.count
        let dim = d.observationSize
        obsOut.update(from: d.observations.pointer, count: m * dim)
        if d.isDiscrete {
          actionsOut.assumingMemoryBound(to: Int32.self).update(from: d.discreteActions.pointer, count: m)
        } else {
          actionsOut.assumingMemoryBound(to: Double.self).update(
            from: d.continuousActions.pointer, count: m * d.actionSpace.width)
        }
        logProbsOut.update(from: d.behaviorLogProbs.pointer, count: m)
        if let valuesOut, let critic = core.critic { critic.predict(d.observations.pointer, batch: m, into: valuesOut) }
        rewardsOut.update(from: d.rewards.pointer, count: m)
        terminatedOut.update(from: d.terminated.pointer, count: m)
        truncatedOut.update(from: d.truncated.pointer, count: m)
        for k in 0..<m {
          let row = finalOut + k * dim
          if d.truncated[k] != 0 && d.terminated[k] == 0 {
            row.update(from: d.finalObservations.pointer + k * dim, count: dim)
          } else {
            row.update(repeating: 0, count: dim)
          }
        }
        nextOut.update(from: d.nextObservations.pointer, count: d.lanes * dim)
        statsOut.pointee = stats.c
      }
    }
  }
}

@c @implementation
public func swiftpg_pg_train_together(
  _ learners: UnsafePointer<UInt64>?, _ count: Int32, _ total_env_steps: Int64, _ threads: Int32,
  _ stats_out: UnsafeMutablePointer<swiftpg_train_stats>?, _ stats_capacity: Int64,
  _ iterations_out: UnsafeMutablePointer<Int64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    try require((1...4096).contains(count), "count must be in [1, 4096], got \(count)")
    try require(total_env_steps >= 1, "total_env_steps must be >= 1, got \(total_env_steps)")
    try require((1...Int32(WorkerPool.maxThreads)).contains(threads), "threads must be in [1, 64], got \(threads)")
    try require(stats_capacity >= 0, "stats_capacity must be >= 0, got \(stats_capacity)")
    let handles = try need(learners, "learners")
    let iterations = try need(iterations_out, "iterations_out")
    let n = Int(count)
    let capacity = Int(stats_capacity)
    let statsOut: UnsafeMutablePointer<swiftpg_train_stats>?
    if capacity > 0 {
      _ = try checkedProduct(n, capacity, "count × stats_capacity")
      statsOut = try need(stats_out, "stats_out")
    } else {
      statsOut = nil
    }
    // Distinct learners on distinct objects, checked before anything is held.
    var guarded: [Guarded<AlgorithmObject>] = []
    var learnersOf: [any PolicyGradientLearner] = []
    var owner: [ObjectIdentifier: (Int, String)] = [:]
    for k in 0..<n {
      let g = try algorithmTable.get(handles[k])
      let a = g.object
      let l = try a.policyGradient()
      try require(l.env != nil, "learner \(k) has no environment to collect from (updates on outside data only)")
      learnersOf.append(l)
      var objects: [(AnyObject, String)] = [(a, "learner"), (a.policy.object, "policy")]
      if let e = a.env { objects.append((e.object, "environment")) }
      if let v = a.value { objects.append((v.object, "critic")) }
      for (object, name) in objects {
        if let (j, _) = owner[ObjectIdentifier(object)] {
          throw .invalid(
            name == "learner"
              ? "learners \(j) and \(k) are the same learner (listed twice)"
              : "learners \(j) and \(k) share their \(name): learners trained together must be independent")
        }
        owner[ObjectIdentifier(object)] = (k, name)
      }
      guarded.append(g)
    }
    var holds: [(acquire: () -> Bool, release: () -> Void, name: String)] = []
    for (k, g) in guarded.enumerated() {
      let a = g.object
      holds.append((g.tryAcquire, g.release, "learner \(k)"))
      holds.append((a.policy.tryAcquire, a.policy.release, "policy of learner \(k)"))
      if let e = a.env { holds.append((e.tryAcquire, e.release, "environment of learner \(k)")) }
      if let v = a.value { holds.append((v.tryAcquire, v.release, "critic of learner \(k)")) }
    }
    try usingAll(holds) { () throws(SwiftPGError) in
      for k in 0..<n { iterations[k] = 0 }
      let group = guarded[0].object.cancellation
      let errors = trainTogether(
        learnersOf, totalEnvSteps: Int(total_env_steps), threads: Int(threads), cancellation: group
      ) { k, stats in
        let i = Int(iterations[k])
        if let statsOut, i < capacity { statsOut[k * capacity + i] = stats.c }
        iterations[k] = Int64(i + 1)
      }
      if errors.contains(where: { $0?.code == .cancelled }) {
        group.withdraw()
        throw SwiftPGError(.cancelled, "training together was cancelled")
      }
      if let k = errors.firstIndex(where: { $0 != nil }), let error = errors[k] {
        throw SwiftPGError(error.code, "learner \(k): \(error.message)")
      }
    }
  }
}

/// `swiftpg_pg_update` and `swiftpg_pg_update_behavior`: the batch checked
/// and copied, behaviour log-probabilities taken from `log_probs` when
/// `behaviorGiven` (else computed from the current policy), then one update.
private func externalUpdate(
  _ learner: UInt64, _ steps: Int64, _ num_envs: Int64, _ observations: UnsafePointer<Double>?,
  _ actions: UnsafeRawPointer?, _ behaviorGiven: Bool, _ log_probs: UnsafePointer<Double>?,
  _ rewards: UnsafePointer<Double>?, _ terminated: UnsafePointer<UInt8>?,
  _ truncated: UnsafePointer<UInt8>?, _ final_observations: UnsafePointer<Double>?,
  _ next_observations: UnsafePointer<Double>?, _ stats_out: UnsafeMutablePointer<swiftpg_train_stats>?,
  raw: Bool = false, obsMean: UnsafePointer<Double>? = nil, obsVariance: UnsafePointer<Double>? = nil,
  obsSize: Int64 = 0
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(stats_out, "stats_out")
    try require(steps >= 1 && steps <= 1 << 24, "steps must be in [1, 2^24], got \(steps)")
    try require(num_envs >= 1 && num_envs <= 1 << 16, "num_envs must be in [1, 65536], got \(num_envs)")
    let t = Int(steps)
    let n = Int(num_envs)
    let m = t * n
    try require(m <= 1 << 24, "steps × num_envs = \(m) exceeds 2^24", code: .tooLarge)
    let obs = try need(observations, "observations")
    let act = try need(actions.map { $0.assumingMemoryBound(to: UInt8.self) }, "actions")
    let rew = try need(rewards, "rewards")
    let term = try need(terminated, "terminated")
    let trunc = try need(truncated, "truncated")
    let next = try need(next_observations, "next_observations")
    let behavior: UnsafePointer<Double>? = behaviorGiven ? try need(log_probs, "log_probs") : nil
    try require(obsSize >= 0 && obsSize <= 1 << 24, "obs_size must be in [0, 2^24], got \(obsSize)")
    try using(algorithmTable, learner) { (a) throws(SwiftPGError) in
      let l = try a.policyGradient()
      // The observation statistics a stale raw batch was normalised with (nil: the learner's).
      var seen: [RunningMeanStd]?
      if obsMean != nil || obsVariance != nil || obsSize != 0 {
        try require(
          l.core.settings.segments.normalizeObservations,
          "this learner does not normalise observations: pass obs_mean = obs_variance = NULL and obs_size 0")
        try require(
          obsSize == Int64(l.core.observationSize),
          "obs_size is \(obsSize) but the learner normalises \(l.core.observationSize) observation entries")
        let mp = try need(obsMean, "obs_mean")
        let vp = try need(obsVariance, "obs_variance")
        let dim = Int(obsSize)
        // [num_envs, obs_size] each: lane i's statistics.
        try requireFinite(mp, n * dim, "obs_mean")
        try requireFinite(vp, n * dim, "obs_variance")
        for j in 0..<(n * dim) { try require(vp[j] >= 0, "obs_variance[\(j)] = \(vp[j]) is negative") }
        var lanes: [RunningMeanStd] = []
        lanes.reserveCapacity(n)
        for i in 0..<n {
          lanes.append(try RunningMeanStd(
            mean: (0..<dim).map { mp[i * dim + $0] }, variance: (0..<dim).map { vp[i * dim + $0] }, count: 1))
        }
        seen = lanes
      }
      try require(
        raw || (!l.core.settings.segments.normalizeObservations && !l.core.settings.segments.normalizeRewards),
        "updates on external data need normalize_observations = normalize_rewards = 0 (normalise in the environment, e.g. gymnasium.wrappers.NormalizeObservation, or pass raw batches with swiftpg_pg_update_raw)")
      let dim = l.core.observationSize
      let space = l.core.actionSpace
      try requireFinite(obs, m * dim, "observations")
      try requireFinite(rew, m, "rewards")
      try requireFinite(next, n * dim, "next_observations")
      if let behavior { try requireFinite(behavior, m, "log_probs") }
      let d = Trajectories(observationSize: dim, actionSpace: space)
      d.resize(steps: t, lanes: n)
      d.observations.pointer.update(from: obs, count: m * dim)
      switch space {
      case .discrete(let count):
        let ints = UnsafeRawPointer(act).assumingMemoryBound(to: Int32.self)
        for k in 0..<m {
          try require(ints[k] >= 0 && Int(ints[k]) < count, "action \(ints[k]) at row \(k) is outside 0..<\(count)")
        }
        d.discreteActions.pointer.update(from: ints, count: m)
      case .box(let low, _):
        let reals = UnsafeRawPointer(act).assumingMemoryBound(to: Double.self)
        try requireFinite(reals, m * low.count, "actions")
        d.continuousActions.pointer.update(from: reals, count: m * low.count)
      }
      var anyTruncated = false
      for k in 0..<m {
        try require(term[k] <= 1 && trunc[k] <= 1, "terminated and truncated must be 0 or 1 (row \(k))")
        d.rewards[k] = rew[k]
        d.terminated[k] = term[k]
        d.truncated[k] = trunc[k]
        if trunc[k] == 1 && term[k] == 0 { anyTruncated = true }
      }
      if anyTruncated {
        let fin = try need(final_observations, "final_observations (some episodes are truncated)")
        for k in 0..<m where trunc[k] == 1 && term[k] == 0 {
          try requireFinite(fin + k * dim, dim, "final_observations")
          (d.finalObservations.pointer + k * dim).update(from: fin + k * dim, count: dim)
        }
      }
      d.nextObservations.pointer.update(from: next, count: n * dim)
      if let behavior { d.behaviorLogProbs.pointer.update(from: behavior, count: m) }
      // Episode statistics of the episodes that both start and end inside the batch.
      for i in 0..<n {
        var total = 0.0
        var length = 0
        var seenStart = false
        for s in 0..<t {
          let k = s * n + i
          total += rew[k]
          length += 1
          if term[k] == 1 || trunc[k] == 1 {
            if seenStart {
              d.episodeReturns.append(total)
              d.episodeLengths.append(length)
              d.episodeTerminated.append(term[k] == 1)
            }
            seenStart = true
            total = 0
            length = 0
          }
        }
      }
      try a.exclusive { () throws(SwiftPGError) in
        out.pointee = try (raw
          ? l.update(externalRaw: d, normalizedWith: seen)
          : l.update(external: d, behaviorGiven: behavior != nil)).c
      }
    }
  }
}

@c @implementation
public func swiftpg_pg_update(
  _ learner: UInt64, _ steps: Int64, _ num_envs: Int64, _ observations: UnsafePointer<Double>?,
  _ actions: UnsafeRawPointer?, _ rewards: UnsafePointer<Double>?, _ terminated: UnsafePointer<UInt8>?,
  _ truncated: UnsafePointer<UInt8>?, _ final_observations: UnsafePointer<Double>?,
  _ next_observations: UnsafePointer<Double>?, _ stats_out: UnsafeMutablePointer<swiftpg_train_stats>?
) -> Int32 {
  externalUpdate(
    learner, steps, num_envs, observations, actions, false, nil, rewards, terminated, truncated, final_observations,
    next_observations, stats_out)
}

@c @implementation
public func swiftpg_pg_update_behavior(
  _ learner: UInt64, _ steps: Int64, _ num_envs: Int64, _ observations: UnsafePointer<Double>?,
  _ actions: UnsafeRawPointer?, _ log_probs: UnsafePointer<Double>?, _ rewards: UnsafePointer<Double>?,
  _ terminated: UnsafePointer<UInt8>?, _ truncated: UnsafePointer<UInt8>?,
  _ final_observations: UnsafePointer<Double>?, _ next_observations: UnsafePointer<Double>?,
  _ stats_out: UnsafeMutablePointer<swiftpg_train_stats>?
) -> Int32 {
  externalUpdate(
    learner, steps, num_envs, observations, actions, true, log_probs, rewards, terminated, truncated,
    final_observations, next_observations, stats_out)
}

@c @implementation
public func swiftpg_pg_update_raw(
  _ learner: UInt64, _ steps: Int64, _ num_envs: Int64, _ observations: UnsafePointer<Double>?,
  _ actions: UnsafeRawPointer?, _ log_probs: UnsafePointer<Double>?, _ rewards: UnsafePointer<Double>?,
  _ terminated: UnsafePointer<UInt8>?, _ truncated: UnsafePointer<UInt8>?,
  _ final_observations: UnsafePointer<Double>?, _ next_observations: UnsafePointer<Double>?,
  _ obs_mean: UnsafePointer<Double>?, _ obs_variance: UnsafePointer<Double>?, _ obs_size: Int64,
  _ stats_out: UnsafeMutablePointer<swiftpg_train_stats>?
) -> Int32 {
  externalUpdate(
    learner, steps, num_envs, observations, actions, true, log_probs, rewards, terminated, truncated,
    final_observations, next_observations, stats_out, raw: true, obsMean: obs_mean, obsVariance: obs_variance,
    obsSize: obs_size)
}

@c @implementation
public func swiftpg_pg_set_worker_normalization(
  _ learner: UInt64, _ mean: UnsafePointer<Double>?, _ variance: UnsafePointer<Double>?, _ size: Int64,
  _ count: Double
) -> Int32 {
  entry { () throws(SwiftPGError) in
    try require(size >= 0 && size <= 1 << 24, "size must be in [0, 2^24], got \(size)")
    try using(algorithmTable, learner) { (a) throws(SwiftPGError) in
      let l = try a.policyGradient()
      var m: [Double]?
      var v: [Double]?
      if l.core.settings.segments.normalizeObservations {
        try require(
          size == Int64(l.core.observationSize),
          "size is \(size) but the learner normalises \(l.core.observationSize) observation entries")
        let mp = try need(mean, "mean")
        let vp = try need(variance, "variance")
        m = (0..<Int(size)).map { mp[$0] }
        v = (0..<Int(size)).map { vp[$0] }
      } else {
        try require(size == 0, "this learner does not normalise observations: size must be 0, got \(size)")
      }
      try a.exclusive { () throws(SwiftPGError) in try l.core.setWorkerNormalization(mean: m, variance: v, count: count) }
    }
  }
}

@c @implementation
public func swiftpg_pg_set_lane_offset(_ learner: UInt64, _ first_lane: Int64) -> Int32 {
  entry { () throws(SwiftPGError) in
    try require(first_lane >= 0 && first_lane <= 1 << 40, "first_lane must be in [0, 2^40], got \(first_lane)")
    try using(algorithmTable, learner) { (a) throws(SwiftPGError) in
      let l = try a.policyGradient()
      try require(l.core.env != nil, "this learner has no environment lanes (it updates on outside data only)")
      try a.exclusive { () throws(SwiftPGError) in l.core.setLaneOffset(Int(first_lane)) }
    }
  }
}

@c @implementation
public func swiftpg_pg_episodes(
  _ learner: UInt64, _ returns_out: UnsafeMutablePointer<Double>?, _ lengths_out: UnsafeMutablePointer<Int32>?,
  _ successes_out: UnsafeMutablePointer<Int8>?, _ capacity: Int64, _ count_out: UnsafeMutablePointer<Int64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    try writeEpisodes(
      returns: returns_out, lengths: lengths_out, successes: successes_out, capacity: capacity, count: count_out
    ) { () throws(SwiftPGError) in
      var episodes: [EpisodeRecord] = []
      try using(algorithmTable, learner) { (o) throws(SwiftPGError) in episodes = try o.policyGradient().core.lastEpisodes }
      return episodes
    }
  }
}

@c @implementation
public func swiftpg_pg_set_permutations(
  _ learner: UInt64, _ permutations: UnsafePointer<Int64>?, _ count: Int64, _ rows: Int64
) -> Int32 {
  entry { () throws(SwiftPGError) in
    try require(count >= 0 && count <= 1 << 20, "count must be in [0, 2^20], got \(count)")
    try require(rows >= 1 && rows <= 1 << 24, "rows must be in [1, 2^24], got \(rows)")
    try require(count * rows <= 1 << 26, "count × rows = \(count * rows) exceeds 2^26", code: .tooLarge)
    var given: [[Int]] = []
    if count > 0 {
      let p = try need(permutations, "permutations")
      let n = Int(rows)
      for e in 0..<Int(count) { given.append((0..<n).map { Int(p[e * n + $0]) }) }
      try Minibatches.validate(given, count: n)
    }
    try using(algorithmTable, learner) { (a) throws(SwiftPGError) in
      let l = try a.policyGradient()
      try a.exclusive { () throws(SwiftPGError) in l.core.minibatches.permutations = given }
    }
  }
}

@c @implementation
public func swiftpg_pg_evaluate(
  _ learner: UInt64, _ env: UInt64, _ episodes: Int32, _ greedy: Int32, _ seed: UInt64,
  _ returns_out: UnsafeMutablePointer<Double>?, _ lengths_out: UnsafeMutablePointer<Int32>?
) -> Int32 {
  evaluationEntry(returns_out, lengths_out) { (write) throws(SwiftPGError) in
    let envBox = try envTable.get(env)
    try using(algorithmTable, learner) { (a) throws(SwiftPGError) in
      let l = try a.policyGradient()
      try usingAll(
        [(a.policy.tryAcquire, a.policy.release, "policy"), (envBox.tryAcquire, envBox.release, "environment")]
      ) { () throws(SwiftPGError) in
        let result = try l.evaluate(env: envBox.object.env, episodes: Int(episodes), greedy: greedy != 0, seed: seed)
        for (k, r) in result.returns.enumerated() { write(k, r, result.lengths[k]) }
      }
    }
  }
}

@c @implementation
public func swiftpg_pg_save(_ learner: UInt64, _ path: UnsafePointer<CChar>?) -> Int32 {
  learnerFileEntry(learner, path, .save) { (a) throws(SwiftPGError) in try a.policyGradient() }
}

@c @implementation
public func swiftpg_pg_load(_ learner: UInt64, _ path: UnsafePointer<CChar>?) -> Int32 {
  learnerFileEntry(learner, path, .load) { (a) throws(SwiftPGError) in try a.policyGradient() }
}

@c @implementation
public func swiftpg_algorithm_destroy(_ algorithm: UInt64) -> Int32 {
  entry { () throws(SwiftPGError) in try algorithmTable.remove(algorithm) }
}
