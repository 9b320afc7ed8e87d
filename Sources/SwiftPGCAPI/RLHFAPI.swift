import CSwiftPG
import SwiftPG

// The C ABI of issue 16's online RLHF learners (Include/swiftpg.h, "Online
// RLHF learners"): one wire config for every method, mapped here to each
// learner's typed Swift config.

/// The method codes of `swiftpg_rlhf_config.algorithm`.
enum RLHFAlgorithm: Int32 {
  case reinforce = 0, rloo, remax, grpo, rebel, ppo
}

/// An online learner of any method, behind a handle, with the objects it
/// reads and trains held (BUSY to other threads) while it works.
final class RLHFLearnerObject {
  let learner: any OnlineLearner
  let algorithm: RLHFAlgorithm
  let held: [(acquire: () -> Bool, release: () -> Void, name: String)]
  let cancellation = CancellationFlag()

  init(
    _ learner: any OnlineLearner, algorithm: RLHFAlgorithm,
    held: [(acquire: () -> Bool, release: () -> Void, name: String)]
  ) {
    self.learner = learner
    self.algorithm = algorithm
    self.held = held
    learner.core.cancellation = cancellation
  }

  var core: OnlineCore { learner.core }

  func exclusive<T>(_ body: () throws(SwiftPGError) -> T) throws(SwiftPGError) -> T {
    var out: T? = nil
    try usingAll(held) { () throws(SwiftPGError) in out = try body() }
    guard let out else { throw SwiftPGError(.internalError, "no result") }
    return out
  }
}

extension OnlineStats {
  /// The Double statistics and their C fields, one table for the conversion.
  private static var doubleFields: [(KeyPath<OnlineStats, Double>, WritableKeyPath<swiftpg_rlhf_stats, Double>)] {
    [
      (\.meanReward, \.mean_reward), (\.meanKL, \.mean_kl), (\.meanKLk3, \.mean_kl_k3),
      (\.meanRegularizedReward, \.mean_regularized_reward), (\.meanLength, \.mean_length), (\.eosRate, \.eos_rate),
      (\.loss, \.loss), (\.gradNorm, \.grad_norm), (\.meanGoldReward, \.mean_gold_reward),
      (\.clipFraction, \.clip_fraction), (\.approxKL, \.approx_kl), (\.valueLoss, \.value_loss),
    ]
  }

  var c: swiftpg_rlhf_stats {
    var s = swiftpg_rlhf_stats()
    s.size = UInt32(MemoryLayout<swiftpg_rlhf_stats>.size)
    (s.iteration, s.samples, s.total_samples) = (Int64(iteration), Int64(samples), Int64(totalSamples))
    s.clamped_tokens = Int64(clampedTokens)
    for (field, cField) in Self.doubleFields { s[keyPath: cField] = self[keyPath: field] }
    return s
  }
}

private func method(_ code: Int32) throws(SwiftPGError) -> RLHFAlgorithm {
  guard let a = RLHFAlgorithm(rawValue: code) else {
    throw .invalid("unknown RLHF algorithm \(code); expected 0 (REINFORCE) … 5 (PPO)")
  }
  return a
}

/// A method's typed config ↔ the wire config: one table of its own fields
/// (besides the shared `online` ones) serves both directions; `choices`
/// reads and writes its enum and flag fields, checked.
private protocol RLHFWireConfig: OnlineLearnerConfig {
  static var doubles: [(WritableKeyPath<Self, Double>, WritableKeyPath<swiftpg_rlhf_config, Double>)] { get }
  static var ints: [(WritableKeyPath<Self, Int>, WritableKeyPath<swiftpg_rlhf_config, Int32>)] { get }
  mutating func readChoices(_ c: swiftpg_rlhf_config) throws(SwiftPGError)
  func writeChoices(into c: inout swiftpg_rlhf_config)
}

extension RLHFWireConfig {
  static var doubles: [(WritableKeyPath<Self, Double>, WritableKeyPath<swiftpg_rlhf_config, Double>)] { [] }
  static var ints: [(WritableKeyPath<Self, Int>, WritableKeyPath<swiftpg_rlhf_config, Int32>)] { [] }
  mutating func readChoices(_ c: swiftpg_rlhf_config) throws(SwiftPGError) {}
  func writeChoices(into c: inout swiftpg_rlhf_config) {}

  /// The method's config of a wire config (validated by the learner).
  init(wire c: swiftpg_rlhf_config) throws(SwiftPGError) {
    self.init()
    guard let estimator = OnlineSettings.KLEstimator(rawValue: c.kl_estimator) else {
      throw .invalid("kl_estimator must be 1 (k1) or 3 (k3), got \(c.kl_estimator)")
    }
    online.klEstimator = estimator
    online.seed = c.seed
    for (field, wire) in OnlineSettings.doubles { online[keyPath: field] = c[keyPath: wire] }
    for (field, wire) in OnlineSettings.ints { online[keyPath: field] = Int(c[keyPath: wire]) }
    for (field, wire) in Self.doubles { self[keyPath: field] = c[keyPath: wire] }
    for (field, wire) in Self.ints { self[keyPath: field] = Int(c[keyPath: wire]) }
    try readChoices(c)
  }

  /// Writes the config's fields into `c` (the others are left as they are).
  func write(into c: inout swiftpg_rlhf_config) {
    c.kl_estimator = online.klEstimator.rawValue
    c.seed = online.seed
    for (field, wire) in OnlineSettings.doubles { c[keyPath: wire] = online[keyPath: field] }
    for (field, wire) in OnlineSettings.ints { c[keyPath: wire] = Int32(clamping: online[keyPath: field]) }
    for (field, wire) in Self.doubles { c[keyPath: wire] = self[keyPath: field] }
    for (field, wire) in Self.ints { c[keyPath: wire] = Int32(clamping: self[keyPath: field]) }
    writeChoices(into: &c)
  }
}

extension OnlineSettings {
  fileprivate static var doubles: [(WritableKeyPath<Self, Double>, WritableKeyPath<swiftpg_rlhf_config, Double>)] {
    [
      (\.beta, \.beta), (\.temperature, \.temperature), (\.learningRate, \.learning_rate),
      (\.missingEOSPenalty, \.missing_eos_penalty),
    ]
  }
  fileprivate static var ints: [(WritableKeyPath<Self, Int>, WritableKeyPath<swiftpg_rlhf_config, Int32>)] {
    [(\.promptsPerIteration, \.prompts_per_iteration), (\.samplesPerPrompt, \.samples_per_prompt)]
  }
}

extension RLHFReinforce.Config: RLHFWireConfig {
  fileprivate static var doubles: [(WritableKeyPath<Self, Double>, WritableKeyPath<swiftpg_rlhf_config, Double>)] {
    [(\.baselineDecay, \.baseline_decay)]
  }
  fileprivate mutating func readChoices(_ c: swiftpg_rlhf_config) throws(SwiftPGError) {
    guard let b = RLHFReinforce.Baseline(rawValue: c.baseline) else {
      throw .invalid("baseline must be 0 (none) or 1 (moving average), got \(c.baseline)")
    }
    baseline = b
  }
  fileprivate func writeChoices(into c: inout swiftpg_rlhf_config) { c.baseline = baseline.rawValue }
}

extension RLOO.Config: RLHFWireConfig {
  fileprivate static var doubles: [(WritableKeyPath<Self, Double>, WritableKeyPath<swiftpg_rlhf_config, Double>)] {
    [(\.clipRange, \.clip_range)]
  }
  fileprivate static var ints: [(WritableKeyPath<Self, Int>, WritableKeyPath<swiftpg_rlhf_config, Int32>)] {
    [(\.epochs, \.epochs)]
  }
}

extension ReMax.Config: RLHFWireConfig {}

extension GRPO.Config: RLHFWireConfig {
  fileprivate static var doubles: [(WritableKeyPath<Self, Double>, WritableKeyPath<swiftpg_rlhf_config, Double>)] {
    [(\.epsilon, \.epsilon)]
  }
  fileprivate mutating func readChoices(_ c: swiftpg_rlhf_config) throws(SwiftPGError) {
    guard let s = GRPO.Scaling(rawValue: c.scaling), let g = GRPO.Aggregation(rawValue: c.aggregation) else {
      throw .invalid(
        "scaling must be 0 (group), 1 (batch) or 2 (none) and aggregation 0 (sequence) or 1 (token), got"
          + " \(c.scaling) and \(c.aggregation)")
    }
    (scaling, aggregation) = (s, g)
  }
  fileprivate func writeChoices(into c: inout swiftpg_rlhf_config) {
    (c.scaling, c.aggregation) = (scaling.rawValue, aggregation.rawValue)
  }
}

extension REBEL.Config: RLHFWireConfig {
  fileprivate static var doubles: [(WritableKeyPath<Self, Double>, WritableKeyPath<swiftpg_rlhf_config, Double>)] {
    [(\.eta, \.eta)]
  }
  fileprivate static var ints: [(WritableKeyPath<Self, Int>, WritableKeyPath<swiftpg_rlhf_config, Int32>)] {
    [(\.epochs, \.epochs)]
  }
}

extension RLHFPPO.Config: RLHFWireConfig {
  fileprivate static var doubles: [(WritableKeyPath<Self, Double>, WritableKeyPath<swiftpg_rlhf_config, Double>)] {
    [
      (\.clipRange, \.clip_range), (\.valueClipRange, \.value_clip_range), (\.gamma, \.gamma), (\.lambda, \.lambda),
      (\.valueLearningRate, \.value_learning_rate),
    ]
  }
  fileprivate static var ints: [(WritableKeyPath<Self, Int>, WritableKeyPath<swiftpg_rlhf_config, Int32>)] {
    [(\.epochs, \.epochs), (\.minibatchSize, \.minibatch_size)]
  }
  fileprivate mutating func readChoices(_ c: swiftpg_rlhf_config) throws(SwiftPGError) {
    try require(c.whiten_advantages == 0 || c.whiten_advantages == 1, "whiten_advantages must be 0 or 1")
    whitenAdvantages = c.whiten_advantages == 1
  }
  fileprivate func writeChoices(into c: inout swiftpg_rlhf_config) { c.whiten_advantages = whitenAdvantages ? 1 : 0 }
}

@c @implementation
public func swiftpg_rlhf_default_config(_ algorithm: Int32, _ config_out: UnsafeMutablePointer<swiftpg_rlhf_config>?)
  -> Int32
{
  defaultConfigEntry(config_out) { (size) throws(SwiftPGError) in
    let a = try method(algorithm)
    var c = swiftpg_rlhf_config()
    (c.size, c.algorithm) = (size, algorithm)
    switch a {
    case .reinforce: RLHFReinforce.Config().write(into: &c)
    case .rloo: RLOO.Config().write(into: &c)
    case .remax: ReMax.Config().write(into: &c)
    case .grpo: GRPO.Config().write(into: &c)
    case .rebel: REBEL.Config().write(into: &c)
    case .ppo: RLHFPPO.Config().write(into: &c)
    }
    return c
  }
}

/// The reward of a create / exact call: gold (handle 0) or a reward model.
private func rewardFunction(
  _ task: any SequenceTask, _ model: Guarded<RewardModelObject>?, proxy: Int32
) throws(SwiftPGError) -> SequenceRewardFunction {
  try require(proxy == 0 || proxy == 1, "proxy_features must be 0 or 1, got \(proxy)")
  guard let model else {
    try require(proxy == 0, "proxy_features applies to a reward model; the gold reward (reward_model 0) has none")
    return .gold(task)
  }
  return try .model(model.object.model, task: task, proxy: proxy == 1)
}

@c @implementation
public func swiftpg_rlhf_create(
  _ policy: UInt64, _ reference: UInt64, _ task: UInt64, _ reward_model: UInt64, _ proxy_features: Int32,
  _ critic: UInt64, _ config: UnsafePointer<swiftpg_rlhf_config>?, _ learner_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let c = try readConfig(config)
    let a = try method(c.algorithm)
    try require(policy != reference, "the reference must be another sequence policy (e.g. a copy), not the policy")
    let p = try sequencePolicyTable.get(policy)
    let r = try sequencePolicyTable.get(reference)
    let t = try sequenceTaskTable.get(task)
    let m: Guarded<RewardModelObject>? = reward_model == 0 ? nil : try rewardModelTable.get(reward_model)
    try require(critic == 0 || a == .ppo, "critic applies to PPO only (pass 0)")
    try require(critic == 0 || (critic != policy && critic != reference), "the critic must be its own sequence policy")
    let v: Guarded<SequencePolicyObject>? = critic == 0 ? nil : try sequencePolicyTable.get(critic)
    var held: [(acquire: () -> Bool, release: () -> Void, name: String)] = [
      (p.tryAcquire, p.release, "sequence policy"), (r.tryAcquire, r.release, "reference policy"),
    ]
    if let m { held.append((m.tryAcquire, m.release, "reward model")) }
    if let v { held.append((v.tryAcquire, v.release, "critic")) }
    try register(rlhfLearnerTable, learner_out, "learner_out") { () throws(SwiftPGError) in
      var made: (any OnlineLearner)? = nil
      try usingAll(held) { () throws(SwiftPGError) in
        let (pol, ref, tk) = (p.object.policy, r.object.policy, t.object.task)
        let reward = try rewardFunction(tk, m, proxy: proxy_features)
        func make<L: OnlineLearnerBase<C> & OnlineLearner, C: RLHFWireConfig>(_: L.Type, _: C.Type) throws(SwiftPGError)
          -> any OnlineLearner
        { try L(policy: pol, reference: ref, task: tk, reward: reward, config: try C(wire: c)) }
        switch a {
        case .reinforce: made = try make(RLHFReinforce.self, RLHFReinforce.Config.self)
        case .rloo: made = try make(RLOO.self, RLOO.Config.self)
        case .remax: made = try make(ReMax.self, ReMax.Config.self)
        case .grpo: made = try make(GRPO.self, GRPO.Config.self)
        case .rebel: made = try make(REBEL.self, REBEL.Config.self)
        case .ppo:
          let criticModel: SequenceCritic
          if let v { criticModel = SequenceCritic(model: v.object.policy.model) } else {
            criticModel = try SequenceCritic.tabular(for: pol)
          }
          made = try RLHFPPO(
            policy: pol, reference: ref, critic: criticModel, task: tk, reward: reward,
            config: try RLHFPPO.Config(wire: c))
        }
      }
      guard let made else { throw SwiftPGError(.internalError, "the learner was not made") }
      return RLHFLearnerObject(made, algorithm: a, held: held)
    }
  }
}

@c @implementation
public func swiftpg_rlhf_destroy(_ learner: UInt64) -> Int32 {
  entry { () throws(SwiftPGError) in try rlhfLearnerTable.remove(learner) }
}

@c @implementation
public func swiftpg_rlhf_get_info(
  _ learner: UInt64, _ algorithm_out: UnsafeMutablePointer<Int32>?, _ iteration_out: UnsafeMutablePointer<Int64>?,
  _ total_samples_out: UnsafeMutablePointer<Int64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let (a, i, n) = (
      try need(algorithm_out, "algorithm_out"), try need(iteration_out, "iteration_out"),
      try need(total_samples_out, "total_samples_out")
    )
    try using(rlhfLearnerTable, learner) { (o) throws(SwiftPGError) in
      (a.pointee, i.pointee, n.pointee) = (o.algorithm.rawValue, Int64(o.core.iteration), Int64(o.core.totalSamples))
    }
  }
}

@c @implementation
public func swiftpg_rlhf_iterate(_ learner: UInt64, _ stats_out: UnsafeMutablePointer<swiftpg_rlhf_stats>?) -> Int32 {
  entry(output: stats_out, "stats_out") { (out) throws(SwiftPGError) in
    try using(rlhfLearnerTable, learner) { (o) throws(SwiftPGError) in
      out.pointee = try o.exclusive { () throws(SwiftPGError) in try o.learner.iterate() }.c
    }
  }
}

extension RLHFLearnerObject {
  /// The rollout of external samples (validated), for `body` while the learner's objects are held.
  func withRollout<T>(
    _ prompts: UnsafePointer<Int32>?, _ tokens: UnsafePointer<Int32>?, _ lengths: UnsafePointer<Int32>?,
    _ rewards: UnsafePointer<Double>?, _ count: Int64, _ groupSize: Int32,
    _ body: (RLHFRollout) throws(SwiftPGError) -> T
  ) throws(SwiftPGError) -> T {
    let l = core.policy.space.maxLength
    let b = try ResponseBatch(prompts, tokens, lengths, count, maxLength: l, names: ("prompts", "tokens", "lengths", "count"))
    let (x, y, n) = b.arrays(maxLength: l)
    let r = Array(UnsafeBufferPointer(start: try need(rewards, "rewards"), count: b.count))
    return try exclusive { () throws(SwiftPGError) in
      try body(
        try RLHFRollout(prompts: x, tokens: y, lengths: n, rewards: r, groupSize: Int(groupSize), policy: core.policy))
    }
  }
}

@c @implementation
public func swiftpg_rlhf_update(
  _ learner: UInt64, _ prompts: UnsafePointer<Int32>?, _ tokens: UnsafePointer<Int32>?,
  _ lengths: UnsafePointer<Int32>?, _ rewards: UnsafePointer<Double>?, _ count: Int64, _ group_size: Int32,
  _ stats_out: UnsafeMutablePointer<swiftpg_rlhf_stats>?
) -> Int32 {
  entry(output: stats_out, "stats_out") { (out) throws(SwiftPGError) in
    try using(rlhfLearnerTable, learner) { (o) throws(SwiftPGError) in
      out.pointee = try o.withRollout(prompts, tokens, lengths, rewards, count, group_size) {
        (r) throws(SwiftPGError) in try o.learner.update(r)
      }.c
    }
  }
}

@c @implementation
public func swiftpg_rlhf_gradient_estimate(
  _ learner: UInt64, _ prompts: UnsafePointer<Int32>?, _ tokens: UnsafePointer<Int32>?,
  _ lengths: UnsafePointer<Int32>?, _ rewards: UnsafePointer<Double>?, _ count: Int64, _ group_size: Int32,
  _ gradient_out: UnsafeMutablePointer<Double>?, _ gradient_count: Int64
) -> Int32 {
  entry(output: gradient_out, "gradient_out") { (out) throws(SwiftPGError) in
    try using(rlhfLearnerTable, learner) { (o) throws(SwiftPGError) in
      let p = o.core.policy.parameterCount
      try require(gradient_count == Int64(p), "gradient_count must be the policy's \(p) parameters, got \(gradient_count)")
      let g = try o.withRollout(prompts, tokens, lengths, rewards, count, group_size) { (rollout) throws(SwiftPGError) in
        var r = rollout
        try o.core.fillLogProbabilities(&r)
        return try o.learner.gradientEstimate(r)
      }
      try require(g.allFinite, "the gradient estimate is not finite", code: .numerical)
      copyOut(g, out)
    }
  }
}

/// `body(learner, path)` with the learner's objects held: a save or a load.
private func withLearnerFile(
  _ learner: UInt64, _ path: UnsafePointer<CChar>?, _ body: (any OnlineLearner, String) throws(SwiftPGError) -> Void
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let file = try cString(path, "path", limit: 4096)
    try using(rlhfLearnerTable, learner) { (o) throws(SwiftPGError) in
      try o.exclusive { () throws(SwiftPGError) in try body(o.learner, file) }
    }
  }
}

@c @implementation
public func swiftpg_rlhf_save(_ learner: UInt64, _ path: UnsafePointer<CChar>?) -> Int32 {
  withLearnerFile(learner, path) { (l, file) throws(SwiftPGError) in try l.save(to: file) }
}

@c @implementation
public func swiftpg_rlhf_load(_ learner: UInt64, _ path: UnsafePointer<CChar>?) -> Int32 {
  withLearnerFile(learner, path) { (l, file) throws(SwiftPGError) in try l.load(from: file) }
}

/// The objects of an exact call, held while it runs.
private func exactCall(
  _ policy: UInt64?, _ reference: UInt64, _ task: UInt64, _ reward_model: UInt64, _ proxy: Int32,
  _ body: (SequencePolicy?, SequencePolicy, SequenceRewardFunction, any SequenceTask) throws(SwiftPGError) -> Void
) throws(SwiftPGError) {
  let p = try policy.map { (h) throws(SwiftPGError) in try sequencePolicyTable.get(h) }
  let r = try sequencePolicyTable.get(reference)
  let t = try sequenceTaskTable.get(task)
  let m: Guarded<RewardModelObject>? = reward_model == 0 ? nil : try rewardModelTable.get(reward_model)
  var held: [(acquire: () -> Bool, release: () -> Void, name: String)] = [(r.tryAcquire, r.release, "reference policy")]
  if let p, policy != reference { held.append((p.tryAcquire, p.release, "sequence policy")) }
  if let m { held.append((m.tryAcquire, m.release, "reward model")) }
  try usingAll(held) { () throws(SwiftPGError) in
    let tk = t.object.task
    try require(
      tk.space == r.object.policy.space && tk.promptCount == r.object.policy.promptCount,
      "the task is over \(tk.space) with \(tk.promptCount) prompts; the policies over \(r.object.policy.space)"
        + " with \(r.object.policy.promptCount)")
    try body(p?.object.policy, r.object.policy, try rewardFunction(tk, m, proxy: proxy), tk)
  }
}

@c @implementation
public func swiftpg_rlhf_exact_objective(
  _ policy: UInt64, _ reference: UInt64, _ task: UInt64, _ reward_model: UInt64, _ proxy_features: Int32,
  _ beta: Double, _ value_out: UnsafeMutablePointer<Double>?, _ gradient_out: UnsafeMutablePointer<Double>?,
  _ count: Int64
) -> Int32 {
  entry(output: value_out, "value_out") { (out) throws(SwiftPGError) in
    try require(beta.isFinite && beta >= 0, "beta must be finite and >= 0, got \(beta)")
    try exactCall(policy, reference, task, reward_model, proxy_features) { (p, r, reward, tk) throws(SwiftPGError) in
      guard let p else { throw SwiftPGError(.internalError, "no policy") }
      try require(
        p.space == r.space && p.promptCount == r.promptCount, "the policy and the reference differ in space or prompts")
      let w = tk.promptProbabilities
      if let g = gradient_out {
        try require(count == Int64(p.parameterCount), "count must be the policy's \(p.parameterCount) parameters, got \(count)")
        let grad = try KLRegularizedObjective.gradient(
          policy: p, reference: r, promptProbabilities: w, reward: reward, beta: beta)
        let value = try KLRegularizedObjective.value(
          policy: p, reference: r, promptProbabilities: w, reward: reward, beta: beta)
        try require(value.isFinite && grad.allFinite, "the exact objective is not finite", code: .numerical)
        copyOut(grad, g)
        out.pointee = value
      } else {
        let value = try KLRegularizedObjective.value(
          policy: p, reference: r, promptProbabilities: w, reward: reward, beta: beta)
        try require(value.isFinite, "the exact objective is not finite", code: .numerical)
        out.pointee = value
      }
    }
  }
}

@c @implementation
public func swiftpg_rlhf_exact_optimum(
  _ reference: UInt64, _ task: UInt64, _ reward_model: UInt64, _ proxy_features: Int32, _ beta: Double,
  _ prompt: Int32, _ log_probs_out: UnsafeMutablePointer<Double>?, _ capacity: Int64,
  _ count_out: UnsafeMutablePointer<Int64>?
) -> Int32 {
  entry(output: count_out, "count_out") { (countOut) throws(SwiftPGError) in
    try require(beta.isFinite && beta > 0, "beta must be finite and > 0, got \(beta)")
    try exactCall(nil, reference, task, reward_model, proxy_features) { (_, r, reward, _) throws(SwiftPGError) in
      try exactPromptTable(r.space, promptCount: r.promptCount, prompt, log_probs_out, capacity, countOut, "log_probs_out") {
        (x) throws(SwiftPGError) in
        let lq = try ExactResponses.logProbabilities(r, prompt: x)
        let (y, n) = try ExactResponses.responses(r.space, range: 0..<lq.count)
        let rewards = try reward(prompts: Array(repeating: Int32(x), count: lq.count), tokens: y, lengths: n)
        return try KLRegularizedObjective.optimum(referenceLogProbabilities: lq, rewards: rewards, beta: beta)
      }
    }
  }
}
