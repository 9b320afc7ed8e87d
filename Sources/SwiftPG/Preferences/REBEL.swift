/// REBEL (Gao et al. 2024, "REBEL: Reinforcement learning via regressing
/// relative rewards"): two responses y, y′ per prompt (k = 2), and each
/// iteration regresses the difference of their log-ratios to the old
/// policy onto the difference of their rewards,
///
///   L(θ) = (1/G) Σ_pairs [ (log π/π_old)(y) − (log π/π_old)(y′) − η (R̂(y) − R̂(y′)) ]²,
///
/// R̂ = r − β k1 (sequence level), minimised by `epochs` Adam steps on the
/// same batch. Its exact solution is the mirror-descent step π_new ∝
/// π_old exp(η R̂), whose fixed point with the KL-regularised reward is
/// π* ∝ π_ref exp(r/β) (for 0 < ηβ < 2).
public final class REBEL: OnlineLearnerBase<REBEL.Config>, OnlineLearner {
  public static let algorithm = "rebel"

  public struct Config: OnlineLearnerConfig {
    /// k = 2, fixed.
    public var online = OnlineSettings(samplesPerPrompt: 2)
    /// η > 0, the step of the regressed mirror-descent update.
    public var eta = 1.0
    /// Adam steps on each batch (≥ 1).
    public var epochs = 4
    public init() {}

    public func validate() throws(SwiftPGError) {
      try online.validate()
      try require(online.samplesPerPrompt == 2, "REBEL takes k = 2 samples per prompt, got \(online.samplesPerPrompt)")
      try require(eta.isFinite && eta > 0, "eta must be finite and > 0, got \(eta)")
      try require(epochs >= 1 && epochs <= 1000, "epochs must be in [1, 1000], got \(epochs)")
    }
  }

  /// The regression loss of a filled rollout at the current parameters and
  /// its descent gradient `[parameterCount]`.
  /// `logRatios` `[N]`: log π/π_old of each response.
  public func lossAndGradient(_ r: RLHFRollout) throws(SwiftPGError)
    -> (loss: Double, gradient: [Double], logRatios: [Double])
  {
    try require(r.groupSize == 2, "REBEL needs pairs (groups of 2), got groups of \(r.groupSize)")
    let l = core.policy.space.maxLength
    let old = r.oldSequenceLogProbabilities(maxLength: l)
    let now = try core.policy.sequenceLogProbabilities(prompts: r.prompts, tokens: r.tokens, lengths: r.lengths)
    let rhat = core.regularizedRewards(r)
    let pairs = Double(r.groupCount)
    var loss = 0.0
    var w = [Double](repeating: 0, count: r.count)
    for g in stride(from: 0, to: r.count, by: 2) {
      let e = (now[g] - old[g]) - (now[g + 1] - old[g + 1]) - config.eta * (rhat[g] - rhat[g + 1])
      loss += e * e / pairs
      w[g] = 2 * e / pairs
      w[g + 1] = -2 * e / pairs
    }
    try OnlineCore.requireFinite(w, "the regression residuals")
    let grad = try core.policy.scoreGradient(prompts: r.prompts, tokens: r.tokens, lengths: r.lengths, sequenceWeights: w)
    return (loss, grad, now.indices.map { now[$0] - old[$0] })
  }

  /// −∇L at the current parameters.
  public func gradientEstimate(_ r: RLHFRollout) throws(SwiftPGError) -> [Double] {
    try lossAndGradient(r).gradient.map { -$0 }
  }

  public func step(_ r: RLHFRollout) throws(SwiftPGError) -> OnlineStats {
    var s = try core.baseStats(r)
    var ratios = RatioStatistics()
    for e in 0..<config.epochs {
      let (loss, g, logRatios) = try lossAndGradient(r)
      if e == 0 { s.loss = loss } else { for x in logRatios { ratios.add(logRatio: x, clipped: false) } }
      s.gradNorm = try core.ascend(g.map { -$0 })
    }
    ratios.write(into: &s)
    return s
  }
}
