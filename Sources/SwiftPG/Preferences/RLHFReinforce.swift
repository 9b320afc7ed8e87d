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
public final class RLHFReinforce: OnlineLearnerBase<RLHFReinforce.Config>, AdvantageLearner {
  public static let algorithm = "reinforce"

  public enum Baseline: Int32, Sendable {
    case none = 0
    case movingAverage = 1
  }

  public struct Config: OnlineLearnerConfig {
    public var online = OnlineSettings()
    public var baseline = Baseline.movingAverage
    /// d ∈ [0, 1) of the moving-average baseline.
    public var baselineDecay = 0.9
    public init() {}

    public func validate() throws(SwiftPGError) {
      try online.validate()
      try require(
        baselineDecay.isFinite && baselineDecay >= 0 && baselineDecay < 1,
        "baseline_decay must be in [0, 1), got \(baselineDecay)")
    }
  }

  /// The moving-average baseline b (0 before the first update).
  public private(set) var baselineValue = 0.0

  /// The advantages R̂_i − b of a filled rollout, `[N]`.
  public func advantages(_ r: RLHFRollout) -> [Double] {
    let b = config.baseline == .movingAverage ? baselineValue : 0
    return core.regularizedRewards(r).map { $0 - b }
  }

  public func step(_ r: RLHFRollout) throws(SwiftPGError) -> OnlineStats {
    var s = try core.baseStats(r)
    try core.sequenceUpdate(r, advantages: advantages(r), epochs: 1, clipRange: 0, stats: &s)
    if config.baseline == .movingAverage {
      let d = config.baselineDecay
      baselineValue = d * baselineValue + (1 - d) * s.meanRegularizedReward
    }
    return s
  }

  /// The moving-average baseline (`baseline_value`), when configured.
  public var methodState: Record? {
    guard config.baseline == .movingAverage else { return nil }
    var r = Record()
    r.set("baseline_value", double: baselineValue)
    return r
  }

  public func prepareRestoreMethodState(_ r: RecordReader?) throws(SwiftPGError) -> () -> Void {
    guard config.baseline == .movingAverage else {
      if let r { throw r.fail("a moving-average baseline for a REINFORCE learner without one") }
      return {}
    }
    guard let r else {
      throw SwiftPGError(.badFormat, "the checkpoint has no baseline for a REINFORCE learner with a moving average")
    }
    let b = try r.finiteDouble("baseline_value")
    try r.finish()
    return { [self] in baselineValue = b }
  }
}
