/// Group Relative Policy Optimization (GRPO; Shao et al. 2024,
/// "DeepSeekMath", §4.1): k ≥ 2 responses per prompt, the raw rewards r
/// normalised within the group,
///
///   A_i = (r_i − mean_g r) / (s + ε),
///
/// with s the sample standard deviation (k − 1 denominator, as torch's
/// `std`) of the group (`.group`), of the whole batch (`.batch`), or 1
/// (`.none`; Liu et al. 2025, "Dr. GRPO", show the division biases the
/// gradient); and the KL in the loss, not the reward: the per-token k3
/// estimate of KL(π ‖ π_ref) at the sampled tokens, with its gradient,
///
///   J = agg_{i,t} [ A_i − β k3_it ],  k3 = ρ − 1 − log ρ,  ρ = π_ref(y_t)/π(y_t),
///
/// ∇k3 = (1 − ρ) ∇log π(y_t). `agg` is the mean over each response's
/// tokens, then over responses (`.sequence`, the paper's) or the mean over
/// all tokens of the batch (`.token`, DAPO's). log ρ is clamped to
/// [−20, 20] before k3 (so k3 cannot overflow); a clamped token's k3 is
/// constant, so it contributes no KL gradient (`clampedTokens` counts
/// them). One on-policy step per batch (ratio 1).
///
/// GRPO does not converge to π* ∝ π_ref exp(r/β): the k3 term's expected
/// gradient is Σ_t E_{s_t∼π} ∇KL(π_ref(·|s_t) ‖ π(·|s_t)) — a reverse KL per
/// context, weighted by the aggregation (for one-token responses, the
/// gradient of the reverse KL(π_ref ‖ π)) — and the group-std division
/// reweights prompts.
public final class GRPO: OnlineLearnerBase<GRPO.Config>, OnlineLearner {
  public static let algorithm = "grpo"

  public enum Scaling: Int32, Sendable {
    case group = 0
    case batch = 1
    case none = 2
  }

  public enum Aggregation: Int32, Sendable {
    case sequence = 0
    case token = 1
  }

  public struct Config: OnlineLearnerConfig {
    /// k = `online.samplesPerPrompt`, 4 by default; β = `online.beta`.
    public var online = OnlineSettings(samplesPerPrompt: 4)
    public var scaling = Scaling.group
    public var aggregation = Aggregation.sequence
    /// ε added to the standard deviation (> 0).
    public var epsilon = 1e-4
    public init() {}

    public func validate() throws(SwiftPGError) {
      try online.validate()
      try require(
        online.samplesPerPrompt >= 2, "GRPO needs k >= 2 samples per prompt, got \(online.samplesPerPrompt)")
      try require(epsilon.isFinite && epsilon > 0, "epsilon must be finite and > 0, got \(epsilon)")
    }
  }

  /// The bound on |log(π_ref/π)| before k3.
  public static let logRatioClamp = OnlineSettings.logRatioClamp

  /// Tokens whose log-ratio was clamped in the last update.
  public private(set) var clampedTokens = 0

  /// The normalised advantages of a rollout, `[N]`.
  public func advantages(_ r: RLHFRollout) throws(SwiftPGError) -> [Double] {
    let k = r.groupSize
    try require(k >= 2, "GRPO needs groups of k >= 2 samples, got \(k)")
    func std(_ xs: ArraySlice<Double>) -> Double {
      let m = xs.reduce(0, +) / Double(xs.count)
      return (xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count - 1)).squareRoot()
    }
    let batchStd = std(r.rewards[...])
    var a = r.rewards
    for g in stride(from: 0, to: r.count, by: k) {
      let group = r.rewards[g..<(g + k)]
      let mean = group.reduce(0, +) / Double(k)
      let s: Double =
        switch config.scaling {
        case .group: std(group) + config.epsilon
        case .batch: batchStd + config.epsilon
        case .none: 1
        }
      for i in g..<(g + k) { a[i] = (r.rewards[i] - mean) / s }
    }
    try require(
      a.allFinite && batchStd.isFinite, "the group-normalised advantages overflow (rewards beyond about 1e154)",
      code: .numerical)
    return a
  }

  /// The ascent direction ∇J of a filled rollout, J itself and the number
  /// of clamped tokens (no step).
  public func gradientAndObjective(_ r: RLHFRollout) throws(SwiftPGError)
    -> (gradient: [Double], objective: Double, clamped: Int)
  {
    let l = core.policy.space.maxLength
    let a = try advantages(r)
    let beta = core.settings.beta
    let tokens = Double(r.lengths.reduce(0) { $0 + Int($1) })
    var w = [Double](repeating: 0, count: r.tokens.count)
    var objective = 0.0
    var clamped = 0
    for (b, len) in r.lengths.enumerated() {
      let agg = config.aggregation == .sequence ? 1 / (Double(len) * Double(r.count)) : 1 / tokens
      for t in 0..<Int(len) {
        let i = b * l + t
        let (logRho, isClamped) = OnlineSettings.clampedLogRatio(
          r.referenceLogProbabilities[i] - r.oldLogProbabilities[i])
        if isClamped { clamped += 1 }
        w[i] = agg * (a[b] - (isClamped ? 0 : beta * (1 - _exp(logRho))))
        objective += agg * (a[b] - beta * KLEstimates.k3(logR: logRho))
      }
    }
    let g = try core.policy.scoreGradient(prompts: r.prompts, tokens: r.tokens, lengths: r.lengths, tokenWeights: w)
    return (g, objective, clamped)
  }

  public func step(_ r: RLHFRollout) throws(SwiftPGError) -> OnlineStats {
    var s = try core.baseStats(r)
    let (g, j, clamped) = try gradientAndObjective(r)
    s.loss = -j
    s.gradNorm = try core.ascend(g)
    s.clampedTokens = clamped
    clampedTokens = clamped
    return s
  }

  public func gradientEstimate(_ r: RLHFRollout) throws(SwiftPGError) -> [Double] {
    try gradientAndObjective(r).gradient
  }
}
