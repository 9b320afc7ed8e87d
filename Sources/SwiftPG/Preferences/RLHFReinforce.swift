/// REINFORCE for RLHF (Williams 1992; as in Ahmadian et al. 2024, "Back to
/// Basics: Revisiting REINFORCE-style optimization for learning from human
/// feedback"): each response is one action; its reward is the
/// KL-regularised sequence reward R̂ = r − β k1 with k1 the sampled
/// log-ratio Σ_t log(π_old/π_ref)(y_t) (no gradient through it), and the
/// policy ascends (1/N) Σ_i (R̂_i − b) ∇log π(y_i | x_i), with the baseline
/// b = 0 (`.none`) or a moving average of the mean R̂ of past iterations
/// (`.movingAverage`: b ← d·b + (1 − d)·mean R̂ after each update, starting
/// at 0 — independent of the current samples, so the estimator stays
/// unbiased). One sample per prompt by default.
public final class RLHFReinforce: AdvantageLearner {
  public enum Baseline: Int32, Sendable {
    case none = 0
    case movingAverage = 1
  }

  public struct Config: Sendable, Equatable {
    public var online = OnlineSettings()
    public var baseline = Baseline.movingAverage
    /// d ∈ [0, 1) of the moving-average baseline.
    public var baselineDecay = 0.9
    public init() {}

    func validate() throws(SwiftPGError) {
      try online.validate()
      try require(
        baselineDecay.isFinite && baselineDecay >= 0 && baselineDecay < 1,
        "baseline_decay must be in [0, 1), got \(baselineDecay)")
    }
  }

  public let config: Config
  public let core: OnlineCore
  /// The moving-average baseline b (0 before the first update).
  public private(set) var baselineValue = 0.0

  public init(
    policy: SequencePolicy, reference: SequencePolicy, task: any SequenceTask, reward: SequenceRewardFunction,
    config: Config = Config()
  ) throws(SwiftPGError) {
    try config.validate()
    self.config = config
    core = try OnlineCore(policy: policy, reference: reference, task: task, reward: reward, settings: config.online)
  }

  /// The advantages R̂_i − b of a filled rollout, `[N]`.
  public func advantages(_ r: RLHFRollout) -> [Double] {
    let b = config.baseline == .movingAverage ? baselineValue : 0
    return core.regularizedRewards(r).map { $0 - b }
  }

  public func step(_ r: RLHFRollout) throws(SwiftPGError) -> OnlineStats {
    var s = core.baseStats(r)
    let a = advantages(r)
    (s.loss, s.gradNorm) = try core.sequenceUpdate(r, advantages: a, epochs: 1, clipRange: 0)
    if config.baseline == .movingAverage {
      let d = config.baselineDecay
      baselineValue = d * baselineValue + (1 - d) * s.meanRegularizedReward
    }
    return s
  }
}
