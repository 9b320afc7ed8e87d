/// The shared blocks of the online RLHF learners (REINFORCE, RLOO, ReMax,
/// GRPO, REBEL; issue 16): where rewards come from, one iteration's samples
/// (`RLHFRollout`), the settings every learner shares, and the guarded Adam
/// ascent step. Each learner is one file with its own `Config` and an
/// `iterate()` that reads collect → estimate → update.
///
/// Every method treats a response as one action of a contextual bandit:
/// the objective is the KL-regularised reward of RLHF (Ziegler et al. 2019;
/// Stiennon et al. 2020 eq. 1),
///
///   J(θ) = E_x E_{y∼π_θ(·|x)} [ r(x, y) ] − β KL(π_θ(·|x) ‖ π_ref(·|x)),
///
/// whose exact value, gradient and optimum π* ∝ π_ref exp(r/β) are
/// `KLRegularizedObjective`'s when the response space can be enumerated.

/// A reward r(x, y) for a batch of responses (prompt ids `[B]`, tokens
/// `[B, L]`, lengths `[B]`, validated by the caller) → `[B]`.
public struct SequenceRewardFunction {
  public let name: String
  let compute: ([Int32], [Int32], [Int32]) throws(SwiftPGError) -> [Double]
  /// Whether this is a task's gold reward (`gold(_:)`): a learner trained on
  /// it takes its samples' rewards as their gold reward instead of scoring
  /// them twice.
  public let isGold: Bool

  public init(name: String, _ compute: @escaping ([Int32], [Int32], [Int32]) throws(SwiftPGError) -> [Double]) {
    self.init(name: name, isGold: false, compute)
  }

  init(
    name: String, isGold: Bool, _ compute: @escaping ([Int32], [Int32], [Int32]) throws(SwiftPGError) -> [Double]
  ) {
    self.name = name
    self.isGold = isGold
    self.compute = compute
  }

  /// The rewards, refused (`.numerical`, naming the sample) unless finite:
  /// a NaN reward never reaches a group's mean or standard deviation.
  public func callAsFunction(prompts: [Int32], tokens: [Int32], lengths: [Int32]) throws(SwiftPGError) -> [Double] {
    let r = try compute(prompts, tokens, lengths)
    try require(r.count == prompts.count, "the \(name) reward gave \(r.count) values for \(prompts.count) responses")
    for (i, v) in r.enumerated() where !v.isFinite {
      throw SwiftPGError(.notFinite, "the \(name) reward of sample \(i) is \(v)")
    }
    return r
  }

  /// The task's gold reward r*(x, y) (the "human").
  public static func gold(_ task: any SequenceTask) -> SequenceRewardFunction {
    SequenceRewardFunction(name: "gold", isGold: true) { (x, y, n) throws(SwiftPGError) in
      try task.goldRewards(prompts: x, tokens: y, lengths: n)
    }
  }

  /// A reward model r_φ over the task's reward features (`proxy`: the
  /// features the task's proxy sees, for the gameable task).
  public static func model(_ m: RewardModel, task: any SequenceTask, proxy: Bool = false) throws(SwiftPGError)
    -> SequenceRewardFunction
  {
    let width = proxy ? task.proxyFeatureNames.count : task.featureNames.count
    try require(
      m.featureCount == width,
      "the reward model reads \(m.featureCount) features; the task's \(proxy ? "proxy " : "")features are \(width)")
    return SequenceRewardFunction(name: "reward-model") { (x, y, n) throws(SwiftPGError) in
      let f =
        proxy
        ? try task.proxyRewardFeatures(prompts: x, tokens: y, lengths: n)
        : try task.rewardFeatures(prompts: x, tokens: y, lengths: n)
      return try m.predict(f, rows: x.count)
    }
  }
}

/// One iteration's samples: `prompts` `[N]` with the `groupSize` samples of
/// a prompt adjacent (N = prompts × groupSize), responses (`tokens`
/// `[N, L]`, `lengths` `[N]`), their rewards r `[N]`, and — filled by the
/// learner — the per-token log-probabilities of the sampling policy π_old
/// and of the reference `[N, L]` (0 beyond each length).
public struct RLHFRollout {
  public var prompts: [Int32]
  public var tokens: [Int32]
  public var lengths: [Int32]
  public var rewards: [Double]
  public var groupSize: Int
  public internal(set) var oldLogProbabilities: [Double] = []
  public internal(set) var referenceLogProbabilities: [Double] = []
  /// The task's gold rewards of the responses when already computed (the
  /// learner's own samples scored by the gold reward), else nil.
  var goldRewards: [Double]?

  /// Checks the shapes, the responses against `policy`'s space and prompts,
  /// the grouping and the rewards' finiteness (`.notFinite` naming the
  /// sample).
  public init(
    prompts: [Int32], tokens: [Int32], lengths: [Int32], rewards: [Double], groupSize: Int, policy: SequencePolicy
  ) throws(SwiftPGError) {
    let n = prompts.count
    try require(n >= 1, "the rollout is empty")
    try require(groupSize >= 1, "group size must be >= 1, got \(groupSize)")
    try require(n % groupSize == 0, "\(n) samples are not whole groups of \(groupSize)")
    try require(rewards.count == n, "rewards must have \(n) entries, got \(rewards.count)")
    for (i, v) in rewards.enumerated() where !v.isFinite {
      throw SwiftPGError(.notFinite, "rewards[\(i)] (sample \(i)) is \(v)")
    }
    _ = try SequenceExamples(
      space: policy.space, promptCount: policy.promptCount, prompts: prompts, tokens: tokens, lengths: lengths)
    for g in stride(from: 0, to: n, by: groupSize) where prompts[g..<(g + groupSize)].contains(where: { $0 != prompts[g] })
    {
      throw SwiftPGError.invalid("the samples \(g)..<\(g + groupSize) of one group answer different prompts")
    }
    self.prompts = prompts
    self.tokens = tokens
    self.lengths = lengths
    self.rewards = rewards
    self.groupSize = groupSize
  }

  public var count: Int { prompts.count }
  public var groupCount: Int { prompts.count / groupSize }

  /// Σ_t per-token values of each response, `[N]`.
  func sums(_ perToken: [Double], maxLength l: Int) -> [Double] {
    lengths.enumerated().map { (b, n) in
      var s = 0.0
      for t in 0..<Int(n) { s += perToken[b * l + t] }
      return s
    }
  }

  /// log π_old(y|x) per sequence `[N]`.
  func oldSequenceLogProbabilities(maxLength l: Int) -> [Double] { sums(oldLogProbabilities, maxLength: l) }

  /// The sequence-level k1 estimate of KL(π_old ‖ π_ref) per sample,
  /// Σ_t (log π_old − log π_ref)(y_t) `[N]` (Ziegler et al. 2019: the
  /// log-ratio of the sampled response; unbiased, can be negative).
  func sequenceK1(maxLength l: Int) -> [Double] { sequenceKL(.k1, maxLength: l) }

  /// Σ_t of `estimator`'s per-token penalties of each response, `[N]`.
  func sequenceKL(_ estimator: OnlineSettings.KLEstimator, maxLength l: Int) -> [Double] {
    sums(tokenPenalties(estimator, maxLength: l).values, maxLength: l)
  }

  /// The per-token KL penalties `[N, L]` (0 beyond the lengths) of
  /// `estimator` at the sampled tokens: k1 = log π_old − log π_ref, or k3 =
  /// (ρ − 1) − log ρ with log ρ = log π_ref − log π_old clamped to
  /// ±`OnlineSettings.logRatioClamp` first (k3 grows like e^{|log ρ|}, so
  /// the clamp keeps it finite; `clamped` counts the clamped tokens).
  func tokenPenalties(_ estimator: OnlineSettings.KLEstimator, maxLength l: Int) -> (values: [Double], clamped: Int) {
    var out = [Double](repeating: 0, count: tokens.count)
    var clamped = 0
    for (b, n) in lengths.enumerated() {
      for t in 0..<Int(n) {
        let i = b * l + t
        switch estimator {
        case .k1: out[i] = oldLogProbabilities[i] - referenceLogProbabilities[i]
        case .k3:
          let (logRho, isClamped) = OnlineSettings.clampedLogRatio(referenceLogProbabilities[i] - oldLogProbabilities[i])
          if isClamped { clamped += 1 }
          out[i] = KLEstimates.k3(logR: logRho)
        }
      }
    }
    return (out, clamped)
  }
}

/// Statistics of one iteration of an online RLHF learner (means over the
/// rollout's N samples unless said otherwise).
public struct OnlineStats: Sendable, Equatable {
  public var iteration = 0
  /// Samples (responses) in the rollout and in all iterations so far.
  public var samples = 0
  public var totalSamples = 0
  /// Mean reward r (the reward function's, before any KL term).
  public var meanReward = 0.0
  /// Mean sequence-level k1 estimate of KL(π_old ‖ π_ref) (always the
  /// sampled log-ratio, whichever estimator the method uses).
  public var meanKL = 0.0
  /// Mean over the samples of Σ_t k3_t, k3 = (ρ − 1) − log ρ with ρ =
  /// π_ref/π_old per token (log ρ clamped to ±20): an estimate of the
  /// sequence KL(π_old ‖ π_ref) that is unbiased (chain rule: each token's
  /// k3 has the context's KL as its mean) and never negative — the one to
  /// report, where the k1 batch mean can be negative while the KL is not.
  public var meanKLk3 = 0.0
  /// Mean KL-regularised reward r − β·KL̂, KL̂ the sequence sum of the
  /// configured estimator (`OnlineSettings.klEstimator`: k1 by default, so
  /// r − β k1) — what the methods with the KL in the reward optimise.
  public var meanRegularizedReward = 0.0
  public var meanLength = 0.0
  /// Fraction of responses ended by EOS (the others are truncated at L).
  public var eosRate = 0.0
  /// The method's surrogate loss (its meaning per method), before the step.
  public var loss = 0.0
  /// ‖g‖₂ of the (ascent) gradient of the last step.
  public var gradNorm = 0.0
  /// Mean gold reward r*(x, y) of the samples (the task's; equal to
  /// `meanReward` when the learner trains on the gold reward, without a
  /// missing-EOS penalty): what a reward model's over-optimisation hides.
  /// When the learner trains on a gold reward (`SequenceRewardFunction.gold`),
  /// its samples' rewards before the penalty are taken as their gold reward
  /// (not scored twice): give it the learner's own task, as the C and Python
  /// layers do.
  public var meanGoldReward = 0.0
  /// Of the ratio evaluations of the steps that reuse the batch (RLOO's
  /// epochs after the first: per sample; PPO: per token, every minibatch),
  /// the fraction where the clip is active (no gradient); 0 when none.
  public var clipFraction = 0.0
  /// Mean k3 estimate (ρ − 1) − log ρ, ρ = π_θ/π_old, of KL(π_old ‖ π_θ)
  /// over the same ratio evaluations (REBEL: its epochs after the first):
  /// how far the reused batch's policy moved; 0 when none.
  public var approxKL = 0.0
  /// PPO: the clipped value loss, mean over the minibatch steps; else 0.
  public var valueLoss = 0.0
  /// Tokens whose log-ratio was clamped before k3 (GRPO's loss, or the
  /// `.k3` reward estimator); else 0.
  public var clampedTokens = 0
}

/// Running sums of the ratio statistics of a reused batch (`clipFraction`, `approxKL`).
struct RatioStatistics {
  private var count = 0
  private var clipped = 0
  private var k3 = 0.0

  /// One ratio evaluation: log ρ = log π_θ − log π_old, and whether the clip was active.
  mutating func add(logRatio: Double, clipped isClipped: Bool) {
    count += 1
    if isClipped { clipped += 1 }
    k3 += KLEstimates.k3(logR: logRatio)
  }

  func write(into s: inout OnlineStats) {
    guard count > 0 else { return }
    s.clipFraction = Double(clipped) / Double(count)
    s.approxKL = k3 / Double(count)
  }
}

/// The settings every online learner has.
public struct OnlineSettings: Sendable, Equatable {
  /// KL coefficient β ≥ 0 (0: no KL regularisation).
  public var beta = 0.05
  /// Prompts drawn from the task's prompt distribution per iteration.
  public var promptsPerIteration = 64
  /// Samples per prompt k (the methods fix or bound it: RLOO ≥ 2, REBEL 2).
  public var samplesPerPrompt = 1
  /// Sampling temperature of the responses. Only 1 is accepted for now:
  /// every ratio, k1 and advantage uses the policy's own (temperature-1)
  /// log-probabilities, so sampling at another temperature would bias the
  /// estimators and move the fixed point off π*.
  public var temperature = 1.0
  /// Adam step size (ascent on the method's objective).
  public var learningRate = 0.01
  /// Seeds the prompts and responses: iteration i draws prompts from rows
  /// i·P… and responses from the lanes i·N… of this seed's streams.
  public var seed: UInt64 = 0
  /// Subtracted from the reward of each of the learner's own samples that
  /// ends without EOS (truncated at L; TRL's `missing_eos_penalty`), ≥ 0.
  /// Applies to `iterate`'s samples and ReMax's greedy baselines, not to
  /// rewards given to `update`; the exact objective does not include it.
  public var missingEOSPenalty = 0.0
  /// The per-token estimator of the KL term of the methods that put it in
  /// the reward (REINFORCE, RLOO, ReMax, REBEL: summed over the response;
  /// PPO: per token). `.k1` (the default) is the sampled log-ratio: unbiased,
  /// can be negative, and with it the learners' fixed point is π*. `.k3` is
  /// never negative with the same expectation, but its per-sample value is
  /// not the log-ratio, so the estimators target another objective (TRL's
  /// `kl_estimator` option). GRPO ignores it (k3 is in its loss).
  public var klEstimator = KLEstimator.k1

  public enum KLEstimator: Int32, Sendable {
    case k1 = 1
    case k3 = 3
  }

  /// The bound on |log(π_ref/π)| before k3 (GRPO's loss, the `.k3` reward).
  public static let logRatioClamp = 20.0

  /// `logRho` clamped to ±`logRatioClamp`, and whether it was.
  static func clampedLogRatio(_ logRho: Double) -> (Double, Bool) {
    guard abs(logRho) > logRatioClamp else { return (logRho, false) }
    return (logRho > 0 ? logRatioClamp : -logRatioClamp, true)
  }

  /// The defaults, with k = `samplesPerPrompt` (the methods that fix or
  /// bound k start from theirs).
  public init(samplesPerPrompt: Int = 1) { self.samplesPerPrompt = samplesPerPrompt }

  func validate() throws(SwiftPGError) {
    try require(beta.isFinite && beta >= 0, "beta must be finite and >= 0, got \(beta)")
    try require(
      promptsPerIteration >= 1 && promptsPerIteration <= 1 << 20,
      "prompts per iteration must be in [1, 2^20], got \(promptsPerIteration)")
    try require(
      samplesPerPrompt >= 1 && samplesPerPrompt <= 1 << 12,
      "samples per prompt must be in [1, 4096], got \(samplesPerPrompt)")
    try require(
      promptsPerIteration * samplesPerPrompt <= 1 << 20,
      "prompts per iteration × samples per prompt must be at most 2^20, got \(promptsPerIteration) × "
        + "\(samplesPerPrompt)", code: .tooLarge)
    try require(
      temperature == 1,
      "temperature must be 1 (the online learners' log-probabilities and ratios are the policy's own; another "
        + "temperature would bias them), got \(temperature)")
    try require(learningRate.isFinite && learningRate > 0, "learning rate must be finite and > 0, got \(learningRate)")
    try require(
      missingEOSPenalty.isFinite && missingEOSPenalty >= 0,
      "missing_eos_penalty must be finite and >= 0, got \(missingEOSPenalty)")
  }
}

/// What every online learner owns and does the same way: the policy, the
/// frozen reference, the task's prompts, the reward, Adam, counters;
/// sampling a rollout and scoring it; filling the log-probabilities of a
/// rollout; the guarded ascent step.
public final class OnlineCore {
  public let policy: SequencePolicy
  public let reference: SequencePolicy
  public let task: any SequenceTask
  public let reward: SequenceRewardFunction
  public let settings: OnlineSettings
  public internal(set) var optimizer: Adam
  public internal(set) var iteration = 0
  public internal(set) var totalSamples = 0
  /// Checked before each iteration's update: a request stops the call with
  /// `.cancelled`, and the call changes nothing.
  public var cancellation: CancellationFlag?

  public init(
    policy: SequencePolicy, reference: SequencePolicy, task: any SequenceTask, reward: SequenceRewardFunction,
    settings: OnlineSettings
  ) throws(SwiftPGError) {
    try settings.validate()
    try policy.requireFrozenReference(reference)
    try policy.requireSameSpace("the task", task.space, task.promptCount)
    // Sizes before allocating: an iteration's arrays hold samples × L values each.
    _ = try Limits.product(
      [settings.promptsPerIteration, settings.samplesPerPrompt, policy.space.maxLength],
      limit: Limits.maxScratchElements, "the tokens of one iteration (prompts × samples per prompt × max length)")
    self.policy = policy
    self.reference = reference
    self.task = task
    self.reward = reward
    self.settings = settings
    optimizer = try Adam(parameterCount: policy.parameterCount, learningRate: settings.learningRate)
  }

  /// Samples this iteration's rollout: P prompts from the task, k responses
  /// each (adjacent), scored by the reward; log-probabilities filled.
  ///
  /// π_old's per-token log-probabilities are the sampler's own: the same
  /// model and parameters, log-softmax at temperature 1 of the drawn token
  /// (`SequencePolicy.sample` returns the policy's log-probabilities
  /// whatever the temperature), so a teacher-forced pass would compute the
  /// same numbers — up to rounding: the sampler runs the network on the
  /// rows still generating at each position, the teacher-forced pass on
  /// every position at once, and BLAS may round the two batch shapes
  /// differently (measured: ≤ 4.5e-16 in a few entries in float64, ≤ 1.5e-7
  /// in float32 networks). That is the rounding any two evaluations of π_old
  /// already carry (PPO's minibatch passes against the full batch's): the
  /// sequence-level methods' first epoch weighs by the advantages alone
  /// (ratio 1 by construction); a ratio exp(now − old) with a teacher-forced
  /// `now` (their later epochs, PPO's and REBEL's every step) moves by that
  /// relative amount, the k1 KL by that absolute amount — far below
  /// anything they are compared with (clip ranges, sampling noise). It
  /// saves one teacher-forced pass per iteration. `update()` (external
  /// samples) fills them with `fillLogProbabilities`.
  public func collect(samplesPerPrompt k: Int? = nil) throws(SwiftPGError) -> RLHFRollout {
    let k = k ?? settings.samplesPerPrompt
    let p = settings.promptsPerIteration
    let n = try checkedProduct(p, k, "samples per iteration")
    let drawn = try task.samplePrompts(count: p, seed: settings.seed, firstRow: iteration * p)
    var prompts = [Int32]()
    prompts.reserveCapacity(n)
    for x in drawn { for _ in 0..<k { prompts.append(x) } }
    let s = try policy.sample(
      prompts: prompts, temperature: settings.temperature, seed: settings.seed ^ 0x5EED_5A3F_1E5,
      firstLane: iteration * n)
    let raw = try reward(prompts: prompts, tokens: s.tokens, lengths: s.lengths)
    var rollout = try RLHFRollout(
      prompts: prompts, tokens: s.tokens, lengths: s.lengths,
      rewards: penalized(raw, tokens: s.tokens, lengths: s.lengths), groupSize: k, policy: policy)
    if reward.isGold { rollout.goldRewards = raw }
    rollout.oldLogProbabilities = s.logProbabilities
    rollout.referenceLogProbabilities = try reference.tokenLogProbabilities(
      prompts: rollout.prompts, tokens: rollout.tokens, lengths: rollout.lengths)
    return rollout
  }

  /// The reward of the learner's own samples: the reward function's, minus
  /// `missingEOSPenalty` for each response that ends without EOS.
  public func score(prompts: [Int32], tokens: [Int32], lengths: [Int32]) throws(SwiftPGError) -> [Double] {
    penalized(try reward(prompts: prompts, tokens: tokens, lengths: lengths), tokens: tokens, lengths: lengths)
  }

  /// `rewards` minus `missingEOSPenalty` for each response without EOS.
  func penalized(_ rewards: [Double], tokens: [Int32], lengths: [Int32]) -> [Double] {
    var r = rewards
    let c = settings.missingEOSPenalty
    guard c > 0 else { return r }
    let l = policy.space.maxLength
    let eos = policy.space.endToken
    for b in r.indices where tokens[b * l + Int(lengths[b]) - 1] != eos { r[b] -= c }
    return r
  }

  /// π_old's (the current policy's) and the reference's per-token
  /// log-probabilities of the rollout's responses.
  public func fillLogProbabilities(_ rollout: inout RLHFRollout) throws(SwiftPGError) {
    rollout.oldLogProbabilities = try policy.tokenLogProbabilities(
      prompts: rollout.prompts, tokens: rollout.tokens, lengths: rollout.lengths)
    rollout.referenceLogProbabilities = try reference.tokenLogProbabilities(
      prompts: rollout.prompts, tokens: rollout.tokens, lengths: rollout.lengths)
  }

  /// The statistics every method reports, from a filled rollout (with the
  /// task's gold reward of the samples, whatever reward the learner trains on).
  public func baseStats(_ r: RLHFRollout) throws(SwiftPGError) -> OnlineStats {
    let l = policy.space.maxLength
    let k1 = r.sequenceK1(maxLength: l)
    let n = Double(r.count)
    var s = OnlineStats()
    s.iteration = iteration + 1
    s.samples = r.count
    s.totalSamples = totalSamples + r.count
    s.meanReward = r.rewards.reduce(0, +) / n
    s.meanKL = k1.reduce(0, +) / n
    let k3 = r.tokenPenalties(.k3, maxLength: l)
    s.meanKLk3 = k3.values.reduce(0, +) / n
    s.meanRegularizedReward =
      settings.klEstimator == .k1 ? s.meanReward - settings.beta * s.meanKL : regularizedRewards(r).reduce(0, +) / n
    s.meanLength = Double(r.lengths.reduce(0) { $0 + Int($1) }) / n
    let eos = policy.space.endToken
    var ended = 0
    for (b, len) in r.lengths.enumerated() where r.tokens[b * l + Int(len) - 1] == eos { ended += 1 }
    s.eosRate = Double(ended) / n
    let gold: [Double]
    if let known = r.goldRewards { gold = known } else {
      gold = try task.goldRewards(prompts: r.prompts, tokens: r.tokens, lengths: r.lengths)
    }
    s.meanGoldReward = gold.reduce(0, +) / n
    if settings.klEstimator == .k3 { s.clampedTokens = k3.clamped }
    return s
  }

  /// The KL-regularised sequence rewards R̂ = r − β Σ_t kl_t `[N]` with
  /// the configured estimator (k1: the sequence log-ratio) — the methods
  /// with the KL in the reward; no gradient flows through it.
  public func regularizedRewards(_ r: RLHFRollout) -> [Double] {
    let kl = r.sequenceKL(settings.klEstimator, maxLength: policy.space.maxLength)
    return r.rewards.indices.map { r.rewards[$0] - settings.beta * kl[$0] }
  }

  /// Refuses values that overflowed (`.numerical`, naming `what`): finite
  /// rewards near the Double range, or a huge η or β, can make advantages
  /// or residuals infinite — the learner's arithmetic, not the caller's data.
  public static func requireFinite(_ values: [Double], _ what: String) throws(SwiftPGError) {
    try require(
      values.allFinite, "\(what) overflow (rewards or options beyond the Double range)", code: .numerical)
  }

  /// One guarded Adam ascent step along `gradient` (refused, nothing
  /// changed, if the gradient or the result is not finite), then the
  /// cancellation check; returns ‖g‖₂.
  @discardableResult
  public func ascend(_ gradient: [Double]) throws(SwiftPGError) -> Double {
    var params = policy.parameters
    var descent = gradient.map { -$0 }
    try SupervisedTrainer.descend(&params, gradient: &descent, weightDecay: 0, optimizer: &optimizer, what: "the policy")
    try policy.setParameters(params)
    // Between steps: a request stops the iteration here (the transaction
    // undoes the steps already taken).
    try cancellation?.check("RLHF training")
    return Statistics.norm(gradient)
  }

  /// The sequence-level policy-gradient update shared by REINFORCE, RLOO
  /// and ReMax: `epochs` ascent steps on the rollout with advantages A
  /// `[N]`. Epoch 1 (the sampling policy itself, ratio 1) steps along
  /// (1/N) Σ A_i ∇log π(y_i); later epochs reuse the batch with the
  /// sequence-level ratio ρ = π(y)/π_old(y) clipped to [1 − ε, 1 + ε]
  /// (PPO's pessimistic surrogate min(ρA, clip(ρ)A): a clipped sample gives
  /// no gradient). Returns the surrogate −(1/N) Σ A_i log π(y_i) before the
  /// first step (`stats.loss`), ‖g‖₂ of the last (`stats.gradNorm`) and
  /// the reused epochs' clip fraction and approximate KL.
  public func sequenceUpdate(
    _ r: RLHFRollout, advantages a: [Double], epochs: Int, clipRange: Double, stats: inout OnlineStats
  ) throws(SwiftPGError) {
    let l = policy.space.maxLength
    let n = Double(r.count)
    try Self.requireFinite(a, "the advantages")
    let old = r.oldSequenceLogProbabilities(maxLength: l)
    var loss = 0.0
    for i in a.indices { loss -= a[i] * old[i] / n }
    var ratios = RatioStatistics()
    for e in 0..<epochs {
      var w = a.map { $0 / n }
      if e > 0 {
        let now = try policy.sequenceLogProbabilities(prompts: r.prompts, tokens: r.tokens, lengths: r.lengths)
        for i in w.indices {
          let rho = _exp(now[i] - old[i])
          let clipped = (a[i] > 0 && rho > 1 + clipRange) || (a[i] < 0 && rho < 1 - clipRange)
          ratios.add(logRatio: now[i] - old[i], clipped: clipped)
          w[i] = clipped ? 0 : rho * w[i]
        }
      }
      let g = try policy.scoreGradient(prompts: r.prompts, tokens: r.tokens, lengths: r.lengths, sequenceWeights: w)
      stats.gradNorm = try ascend(g)
    }
    stats.loss = loss
    ratios.write(into: &stats)
  }

  /// Runs one iteration's `body` all or nothing: on any error the policy,
  /// Adam and the counters are as before; on success the counters advance.
  public func transaction(_ body: () throws(SwiftPGError) -> OnlineStats) throws(SwiftPGError) -> OnlineStats {
    try cancellation?.check("RLHF training")
    let saved = (policy.parameters, optimizer)
    let stats = try SupervisedTrainer.rollingBack({
      try? policy.setParameters(saved.0)
      optimizer = saved.1
    }) { () throws(SwiftPGError) in try body() }
    iteration += 1
    totalSamples += stats.samples
    return stats
  }
}

/// What every online learner offers: `iterate()` (collect → estimate →
/// update, all or nothing) and `update(_:)` on externally scored samples,
/// both through the learner's `step` on a filled rollout.
public protocol OnlineLearner: AnyObject {
  /// The method's name in checkpoints ("reinforce", "rloo", "remax",
  /// "grpo", "rebel", "ppo").
  static var algorithm: String { get }
  var core: OnlineCore { get }
  /// The method's estimate and update on a filled rollout (inside a transaction).
  func step(_ r: RLHFRollout) throws(SwiftPGError) -> OnlineStats
  /// The ascent direction of the method's first step on a filled rollout,
  /// `[parameterCount]`, without taking it (nothing changes): what the
  /// estimator lab compares with the exact gradient.
  func gradientEstimate(_ r: RLHFRollout) throws(SwiftPGError) -> [Double]
  /// The method's own training state beyond the core's (nil: none), for checkpoints.
  var methodState: Record? { get }
  /// Validates a checkpoint's method state and returns what restores it.
  func prepareRestoreMethodState(_ r: RecordReader?) throws(SwiftPGError) -> () -> Void
  /// Collect → estimate → update; all or nothing.
  func iterate() throws(SwiftPGError) -> OnlineStats
  /// One update on externally scored samples (groups of `groupSize`
  /// adjacent samples per prompt, their rewards given); the log-probabilities
  /// are filled from the current policy and the reference.
  func update(_ rollout: RLHFRollout) throws(SwiftPGError) -> OnlineStats
}

extension OnlineLearner {
  public var methodState: Record? { nil }

  public func prepareRestoreMethodState(_ r: RecordReader?) throws(SwiftPGError) -> () -> Void {
    if let r { throw r.fail("\(Self.algorithm) has no method state") }
    return {}
  }

  public func iterate() throws(SwiftPGError) -> OnlineStats {
    try core.transaction { () throws(SwiftPGError) in try step(try core.collect()) }
  }

  public func update(_ rollout: RLHFRollout) throws(SwiftPGError) -> OnlineStats {
    var r = rollout
    try core.fillLogProbabilities(&r)
    return try core.transaction { () throws(SwiftPGError) in try step(r) }
  }
}

/// A typed configuration of an online learner.
public protocol OnlineLearnerConfig: Sendable, Equatable {
  /// The settings every online learner has.
  var online: OnlineSettings { get set }
  /// The method's defaults.
  init()
  /// Refuses out-of-range settings (`.invalid` naming the field).
  func validate() throws(SwiftPGError)
}

/// What every online learner stores and how it is made: its typed `config`
/// (validated first) and the `OnlineCore` over the policy, the frozen
/// reference, the task's prompts and the reward. Every method can be made
/// generically through this initialiser (`L(policy:reference:task:reward:config:)`).
public class OnlineLearnerBase<Config: OnlineLearnerConfig> {
  public let config: Config
  public let core: OnlineCore

  public required init(
    policy: SequencePolicy, reference: SequencePolicy, task: any SequenceTask, reward: SequenceRewardFunction,
    config: Config = Config()
  ) throws(SwiftPGError) {
    try config.validate()
    self.config = config
    core = try OnlineCore(policy: policy, reference: reference, task: task, reward: reward, settings: config.online)
  }
}

/// The learners whose gradient is the sequence-level policy gradient
/// (1/N) Σ_i A_i ∇log π(y_i | x_i) with per-sample advantages A.
public protocol AdvantageLearner: OnlineLearner {
  /// The advantages of a filled rollout, `[N]`.
  func advantages(_ r: RLHFRollout) throws(SwiftPGError) -> [Double]
}

extension AdvantageLearner {
  /// The gradient estimate (1/N) Σ A_i ∇log π(y_i) of a filled rollout (no
  /// step), for checks against `KLRegularizedObjective.gradient`.
  public func gradientEstimate(_ r: RLHFRollout) throws(SwiftPGError) -> [Double] {
    let n = Double(r.count)
    let a = try advantages(r)
    try OnlineCore.requireFinite(a, "the advantages")
    return try core.policy.scoreGradient(
      prompts: r.prompts, tokens: r.tokens, lengths: r.lengths, sequenceWeights: a.map { $0 / n })
  }
}

/// The exact KL-regularised objective of a policy by enumeration of the
/// responses (spaces of at most `ExactResponses.defaultLimit` responses per
/// prompt): value, gradient and the optimum, to check the learners'
/// estimators and their convergence.
public enum KLRegularizedObjective {
  /// Per prompt x: the log-probabilities of π and π_ref over the canonical
  /// responses, and the reward table r(x, ·).
  static func tables(
    policy: SequencePolicy, reference: SequencePolicy, prompt x: Int, reward: SequenceRewardFunction
  ) throws(SwiftPGError) -> (logP: [Double], logRef: [Double], rewards: [Double], tokens: [Int32], lengths: [Int32]) {
    let lp = try ExactResponses.logProbabilities(policy, prompt: x)
    let lq = try ExactResponses.logProbabilities(reference, prompt: x)
    let (tokens, lengths) = try ExactResponses.responses(policy.space, range: 0..<lp.count)
    let r = try reward(prompts: Array(repeating: Int32(x), count: lp.count), tokens: tokens, lengths: lengths)
    return (lp, lq, r, tokens, lengths)
  }

  /// J = Σ_x w_x [Σ_y π(y|x) r(x, y) − β KL(π(·|x) ‖ π_ref(·|x))].
  public static func value(
    policy: SequencePolicy, reference: SequencePolicy, promptProbabilities w: [Double], reward: SequenceRewardFunction,
    beta: Double
  ) throws(SwiftPGError) -> Double {
    try require(w.count == policy.promptCount, "one prompt probability per prompt (\(policy.promptCount)) is needed")
    var j = 0.0
    for x in w.indices where w[x] > 0 {
      let t = try tables(policy: policy, reference: reference, prompt: x, reward: reward)
      let expected = try ExactResponses.expectation(logProbabilities: t.logP, values: t.rewards)
      j += w[x] * (expected - beta * (try ExactResponses.kl(logP: t.logP, logQ: t.logRef)))
    }
    return j
  }

  /// ∇θ J = Σ_x w_x Σ_y π(y|x) [r(x, y) − β log(π(y|x)/π_ref(y|x))] ∇θ log π(y|x)
  /// (the −β Σ π ∇log π term is 0), `[parameterCount]`.
  public static func gradient(
    policy: SequencePolicy, reference: SequencePolicy, promptProbabilities w: [Double], reward: SequenceRewardFunction,
    beta: Double
  ) throws(SwiftPGError) -> [Double] {
    try require(w.count == policy.promptCount, "one prompt probability per prompt (\(policy.promptCount)) is needed")
    var g = [Double](repeating: 0, count: policy.parameterCount)
    for x in w.indices where w[x] > 0 {
      let t = try tables(policy: policy, reference: reference, prompt: x, reward: reward)
      let weights = t.logP.indices.map { y in
        t.logP[y] == -.infinity ? 0 : w[x] * _exp(t.logP[y]) * (t.rewards[y] - beta * (t.logP[y] - t.logRef[y]))
      }
      let part = try policy.scoreGradient(
        prompts: Array(repeating: Int32(x), count: weights.count), tokens: t.tokens, lengths: t.lengths,
        sequenceWeights: weights)
      for i in g.indices { g[i] += part[i] }
    }
    return g
  }

  /// The maximiser of J per prompt, π*(y|x) ∝ π_ref(y|x) exp(r(x, y)/β)
  /// (β > 0), as log-probabilities over the canonical responses.
  public static func optimum(referenceLogProbabilities lq: [Double], rewards: [Double], beta: Double)
    throws(SwiftPGError) -> [Double]
  {
    try require(beta.isFinite && beta > 0, "the optimum needs beta > 0, got \(beta)")
    try require(lq.count == rewards.count, "reference log-probabilities and rewards differ in length")
    let a = lq.indices.map { lq[$0] + rewards[$0] / beta }
    let m = a.max() ?? 0
    let lse = m + _log(a.reduce(0) { $0 + _exp($1 - m) })
    return a.map { $0 - lse }
  }
}
