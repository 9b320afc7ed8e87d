/// A value function of prefixes for token-level RLHF: V(x, y_<t) is output 0
/// of any `SequenceModel` (tabular: one value per prompt and prefix; neural:
/// the n-gram MLP), read at every generated position t < n of a response.
/// (The model's other V outputs are unused: the sequence models' code —
/// forward, backward, checkpoints — serves the critic unchanged.)
public final class SequenceCritic {
  /// The most positions one call evaluates (2^20).
  public static let maxPositions = 1 << 20
  public let model: any SequenceModel
  private let dLogits = ScratchBuffer()

  public init(model: any SequenceModel) { self.model = model }

  /// A tabular critic (values 0) over `policy`'s space and prompts.
  public static func tabular(for policy: SequencePolicy) throws(SwiftPGError) -> SequenceCritic {
    SequenceCritic(model: try TabularSequenceModel(space: policy.space, promptCount: policy.promptCount))
  }

  /// V(x_b, y_b,<t) `[B, L]` (0 at t ≥ lengths[b]); the batch validated by the caller.
  public func values(prompts: [Int32], tokens: [Int32], lengths: [Int32]) throws(SwiftPGError) -> [Double] {
    var out = [Double](repeating: 0, count: tokens.count)
    try pass(prompts, tokens, lengths) { (z, cells, k) in
      for (i, c) in cells.enumerated() { out[c] = z[i * k] }
    }
    return out
  }

  /// Σ_{b, t < n_b} dValues[b, t] ∇θ V(x_b, y_b,<t), `[parameterCount]`.
  public func gradient(prompts: [Int32], tokens: [Int32], lengths: [Int32], dValues: [Double]) throws(SwiftPGError)
    -> [Double]
  {
    var g = [Double](repeating: 0, count: model.parameterCount)
    try pass(prompts, tokens, lengths) { (_, cells, k) in
      let d = dLogits.reserve(Swift.max(1, cells.count * k))
      d.update(repeating: 0, count: cells.count * k)
      for (i, c) in cells.enumerated() { d[i * k] = dValues[c] }
      g.withUnsafeMutableBufferPointer { gb in if let p = gb.baseAddress { model.backward(d, into: p) } }
    }
    return g
  }

  /// One forward pass over every generated position; `body(outputs, cells, V + 1)`.
  private func pass(
    _ prompts: [Int32], _ tokens: [Int32], _ lengths: [Int32],
    _ body: (UnsafePointer<Double>, [Int], Int) -> Void
  ) throws(SwiftPGError) {
    let (rows, positions) = SequenceSpace.positions(lengths: lengths)
    try require(
      rows.count <= Self.maxPositions, "\(rows.count) positions exceed the critic's 2^20 per call", code: .tooLarge)
    guard !rows.isEmpty else { return }
    let l = model.space.maxLength
    let cells = zip(rows, positions).map { Int($0) * l + Int($1) }
    let contextPrompts = rows.map { prompts[Int($0)] }
    try rows.withBase("rows") { (r) throws(SwiftPGError) in
      try positions.withBase("positions") { (q) throws(SwiftPGError) in
        try contextPrompts.withBase("prompts") { (p) throws(SwiftPGError) in
          try tokens.withBase("tokens") { (y) throws(SwiftPGError) in
            let z = model.forward(prompts: p, tokens: y, rows: r, positions: q, count: rows.count)
            body(z, cells, model.space.tokenCount)
          }
        }
      }
    }
  }
}

/// PPO for RLHF, the InstructGPT / TRL recipe (Ziegler et al. 2019;
/// Stiennon et al. 2020; Ouyang et al. 2022): token-level rewards
/// R_t = −β kl_t with the per-token k1 estimate kl_t = log π_old(y_t) −
/// log π_ref(y_t) (or k3, `OnlineSettings.klEstimator`), plus the score
/// r(x, y) at the last real token t = n − 1
/// (`KLRegularizedReward.tokenRewards`); a critic V on prefixes; GAE(γ, λ)
/// (`generalizedAdvantages`, the response ending at t = n − 1 whether by EOS
/// or at L); advantages whitened over the batch's tokens; then `epochs`
/// passes over shuffled minibatches of responses, each a clipped-ratio
/// policy step (per-token ratio ρ_t = π(y_t)/π_old(y_t), loss
/// −mean_t min(ρ_t A_t, clip(ρ_t, 1 ± ε) A_t)) and a clipped value step
/// (½ mean_t max((V − G)², (V_old + clip(V − V_old, ±ε_v) − G)²), G = A + V_old),
/// each with its own Adam. With γ = 1 (the default) and an exact critic its
/// fixed point is π*; γ < 1 discounts the final score by γ^{n−1} and so
/// favours short responses.
public final class RLHFPPO: OnlineLearnerBase<RLHFPPO.Config>, OnlineLearner {
  public static let algorithm = "ppo"

  public struct Config: OnlineLearnerConfig {
    public var online = OnlineSettings()
    /// Passes over each batch (≥ 1) and responses per minibatch (≥ 1).
    public var epochs = 4
    public var minibatchSize = 64
    /// ε of the policy ratio and ε_v of the value clipping, in (0, 1) and > 0.
    public var clipRange = 0.2
    public var valueClipRange = 0.2
    /// γ and λ of GAE, each in [0, 1].
    public var gamma = 1.0
    public var lambda = 0.95
    public var whitenAdvantages = true
    /// The critic's Adam step size (> 0).
    public var valueLearningRate = 0.01
    public init() {}

    public func validate() throws(SwiftPGError) {
      try online.validate()
      try require(epochs >= 1 && epochs <= 1000, "epochs must be in [1, 1000], got \(epochs)")
      try require(minibatchSize >= 1, "minibatch_size must be >= 1, got \(minibatchSize)")
      try require(clipRange.isFinite && clipRange > 0 && clipRange < 1, "clip_range must be in (0, 1), got \(clipRange)")
      try require(
        valueClipRange.isFinite && valueClipRange > 0, "value_clip_range must be finite and > 0, got \(valueClipRange)")
      try require(gamma >= 0 && gamma <= 1, "gamma must be in [0, 1], got \(gamma)")
      try require(lambda >= 0 && lambda <= 1, "lambda must be in [0, 1], got \(lambda)")
      try require(
        valueLearningRate.isFinite && valueLearningRate > 0,
        "value_learning_rate must be finite and > 0, got \(valueLearningRate)")
    }
  }

  public let critic: SequenceCritic
  public private(set) var criticOptimizer: Adam
  private let minibatches = Minibatches()

  public init(
    policy: SequencePolicy, reference: SequencePolicy, critic: SequenceCritic, task: any SequenceTask,
    reward: SequenceRewardFunction, config: Config = Config()
  ) throws(SwiftPGError) {
    try config.validate()
    try policy.requireSameSpace("the critic", critic.model.space, critic.model.promptCount)
    _ = try Limits.product(
      [config.online.promptsPerIteration, config.online.samplesPerPrompt, policy.space.maxLength],
      limit: SequenceCritic.maxPositions,
      "the critic's positions of one iteration (prompts × samples per prompt × max length)")
    try require(critic.model !== policy.model, "the critic must be its own model, not the policy's")
    self.critic = critic
    criticOptimizer = try Adam(parameterCount: critic.model.parameterCount, learningRate: config.valueLearningRate)
    try super.init(policy: policy, reference: reference, task: task, reward: reward, config: config)
  }

  /// With a tabular critic (`SequenceCritic.tabular`, values 0).
  public required convenience init(
    policy: SequencePolicy, reference: SequencePolicy, task: any SequenceTask, reward: SequenceRewardFunction,
    config: Config = Config()
  ) throws(SwiftPGError) {
    try self.init(
      policy: policy, reference: reference, critic: try .tabular(for: policy), task: task, reward: reward,
      config: config)
  }

  /// Advantages Â (whitened if configured) and value targets G = Â_raw + V
  /// of a filled rollout, each `[N, L]` (0 beyond the lengths), with V the
  /// critic's values.
  public func estimate(_ r: RLHFRollout) throws(SwiftPGError) -> (advantages: [Double], targets: [Double], values: [Double]) {
    let l = core.policy.space.maxLength
    let n = r.count
    let kl = r.tokenPenalties(core.settings.klEstimator, maxLength: l).values
    let tokenRewards = try KLRegularizedReward.tokenRewards(
      rewards: r.rewards, penalties: kl, lengths: r.lengths, maxLength: l, beta: core.settings.beta)
    let values = try critic.values(prompts: r.prompts, tokens: r.tokens, lengths: r.lengths)
    // Time-major [L, N] for the shared estimator; a response ends (terminal) at t = n − 1.
    var rewardsT = [Double](repeating: 0, count: l * n)
    var valuesT = [Double](repeating: 0, count: (l + 1) * n)
    var terminatedT = [UInt8](repeating: 0, count: l * n)
    let truncatedT = [UInt8](repeating: 0, count: l * n)
    for b in 0..<n {
      for t in 0..<l {
        rewardsT[t * n + b] = tokenRewards[b * l + t]
        valuesT[t * n + b] = values[b * l + t]
        terminatedT[t * n + b] = t >= Int(r.lengths[b]) - 1 ? 1 : 0
      }
    }
    var advT = [Double](repeating: 0, count: l * n)
    try rewardsT.withBase("rewards") { (rw) throws(SwiftPGError) in
      try valuesT.withBase("values") { (v) throws(SwiftPGError) in
        try terminatedT.withBase("terminated") { (te) throws(SwiftPGError) in
          try truncatedT.withBase("truncated") { (tr) throws(SwiftPGError) in
            try advT.withMutableBase("advantages") { (out) throws(SwiftPGError) in
              let rollout = Rollout(
                steps: l, count: n, rewards: rw, terminated: te, truncated: tr, values: v, finalValues: nil)
              generalizedAdvantages(rollout, gamma: config.gamma, lambda: config.lambda, into: out)
            }
          }
        }
      }
    }
    // The generated positions' advantages, contiguous (whitened by the shared
    // `standardize` when configured), and the value targets Â + V.
    var cells: [Int] = []
    var valid: [Double] = []
    var targets = [Double](repeating: 0, count: n * l)
    for b in 0..<n {
      for t in 0..<Int(r.lengths[b]) {
        let a = advT[t * n + b]
        cells.append(b * l + t)
        valid.append(a)
        targets[b * l + t] = a + values[b * l + t]
      }
    }
    if config.whitenAdvantages && valid.count > 1 { standardize(&valid, count: valid.count, center: true) }
    var adv = [Double](repeating: 0, count: n * l)
    for (c, a) in zip(cells, valid) { adv[c] = a }
    try require(adv.allFinite && targets.allFinite, "the advantages or value targets are not finite", code: .numerical)
    return (adv, targets, values)
  }

  /// Collect → estimate → update; all or nothing (policy, critic, both Adams).
  public func iterate() throws(SwiftPGError) -> OnlineStats {
    try withCriticRollback { () throws(SwiftPGError) in
      try core.transaction { () throws(SwiftPGError) in try step(try core.collect()) }
    }
  }

  /// One update on externally scored samples (their rewards given).
  public func update(_ rollout: RLHFRollout) throws(SwiftPGError) -> OnlineStats {
    var r = rollout
    try core.fillLogProbabilities(&r)
    return try withCriticRollback { () throws(SwiftPGError) in
      try core.transaction { () throws(SwiftPGError) in try step(r) }
    }
  }

  private func withCriticRollback(_ body: () throws(SwiftPGError) -> OnlineStats) throws(SwiftPGError) -> OnlineStats {
    let saved = (critic.model.parameters, criticOptimizer)
    return try SupervisedTrainer.rollingBack({
      try? critic.model.setParameters(saved.0)
      criticOptimizer = saved.1
    }, body)
  }

  /// The gradient of the first step's surrogate with the whole batch as one
  /// minibatch (ratio 1): (1/T) Σ_{b,t} Â_bt ∇log π(y_bt), T the batch's tokens.
  public func gradientEstimate(_ r: RLHFRollout) throws(SwiftPGError) -> [Double] {
    let (adv, _, _) = try estimate(r)
    let tokens = Double(r.lengths.reduce(0) { $0 + Int($1) })
    return try core.policy.scoreGradient(
      prompts: r.prompts, tokens: r.tokens, lengths: r.lengths, tokenWeights: adv.map { $0 / tokens })
  }

  /// The critic (`critic`: its model as a sequence-model record) and its
  /// Adam state (`critic_optimizer`).
  public var methodState: Record? {
    var r = Record()
    r.set("critic", record: SequencePolicyRecord.encode(SequencePolicy(model: critic.model)))
    r.set("critic_optimizer", record: criticOptimizer.record)
    return r
  }

  public func prepareRestoreMethodState(_ r: RecordReader?) throws(SwiftPGError) -> () -> Void {
    guard let r else { throw SwiftPGError(.badFormat, "the checkpoint has no critic for a PPO learner") }
    let saved = try SequencePolicyRecord.decode(try r.record("critic"))
    guard
      saved.family == critic.model.family
        && saved.specification.map(\.bitPattern) == critic.model.specification.map(\.bitPattern)
    else { throw r.fail("the file's critic has another architecture than this learner's") }
    let optimizer = try Adam(
      record: try r.record("critic_optimizer"), count: critic.model.parameterCount,
      learningRate: config.valueLearningRate)
    try r.finish()
    let params = saved.parameters
    return { [self] in
      try? critic.model.setParameters(params)
      criticOptimizer = optimizer
    }
  }

  public func step(_ r: RLHFRollout) throws(SwiftPGError) -> OnlineStats {
    var s = try core.baseStats(r)
    let l = core.policy.space.maxLength
    let (adv, targets, oldValues) = try estimate(r)
    var rng = PCG64.laneStream(seed: core.settings.seed ^ 0x9E37_79B9, lane: core.iteration)
    var first = true
    var ratios = RatioStatistics()
    var valueLoss = 0.0
    var steps = 0
    for _ in 0..<config.epochs {
      let order = try minibatches.shuffled(r.count, using: &rng)
      var start = 0
      while start < r.count {
        let rows = (start..<Swift.min(start + config.minibatchSize, r.count)).map { order[$0] }
        start += rows.count
        let x = rows.map { r.prompts[$0] }
        var y = [Int32](), n = [Int32]()
        y.reserveCapacity(rows.count * l)
        for b in rows {
          y += r.tokens[(b * l)..<(b * l + l)]
          n.append(r.lengths[b])
        }
        let tokens = Double(n.reduce(0) { $0 + Int($1) })
        // Policy: the clipped per-token surrogate.
        let now = try core.policy.tokenLogProbabilities(prompts: x, tokens: y, lengths: n)
        var w = [Double](repeating: 0, count: y.count)
        var loss = 0.0
        for (i, b) in rows.enumerated() {
          for t in 0..<Int(n[i]) {
            let a = adv[b * l + t]
            let rho = _exp(now[i * l + t] - r.oldLogProbabilities[b * l + t])
            let clipped = Swift.min(Swift.max(rho, 1 - config.clipRange), 1 + config.clipRange)
            loss -= Swift.min(rho * a, clipped * a) / tokens
            let active = !((a > 0 && rho > 1 + config.clipRange) || (a < 0 && rho < 1 - config.clipRange))
            ratios.add(logRatio: now[i * l + t] - r.oldLogProbabilities[b * l + t], clipped: !active)
            w[i * l + t] = active ? rho * a / tokens : 0
          }
        }
        if first { s.loss = loss }
        first = false
        let g = try core.policy.scoreGradient(prompts: x, tokens: y, lengths: n, tokenWeights: w)
        s.gradNorm = try core.ascend(g)
        // Critic: the clipped value loss.
        let v = try critic.values(prompts: x, tokens: y, lengths: n)
        var dv = [Double](repeating: 0, count: y.count)
        for (i, b) in rows.enumerated() {
          for t in 0..<Int(n[i]) {
            let old = oldValues[b * l + t], target = targets[b * l + t], now = v[i * l + t]
            let delta = Swift.min(Swift.max(now - old, -config.valueClipRange), config.valueClipRange)
            let a = now - target, c = old + delta - target
            valueLoss += 0.5 * Swift.max(a * a, c * c) / tokens
            dv[i * l + t] = (a * a >= c * c ? a : (abs(now - old) <= config.valueClipRange ? c : 0)) / tokens
          }
        }
        var cg = try critic.gradient(prompts: x, tokens: y, lengths: n, dValues: dv)
        var params = critic.model.parameters
        try SupervisedTrainer.descend(
          &params, gradient: &cg, weightDecay: 0, optimizer: &criticOptimizer, what: "the critic")
        try critic.model.setParameters(params)
        steps += 1
      }
    }
    ratios.write(into: &s)
    s.valueLoss = valueLoss / Double(steps)
    return s
  }
}
