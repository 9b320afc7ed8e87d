/// REINFORCE Leave-One-Out (RLOO; Kool et al. 2019, "Buy 4 REINFORCE
/// samples, get a baseline for free!"; Ahmadian et al. 2024 for RLHF): k ≥ 2
/// responses per prompt, each one's baseline the mean KL-regularised reward
/// of the other k − 1,
///
///   A_i = R̂_i − (1/(k − 1)) Σ_{j ≠ i} R̂_j,   R̂ = r − β k1 (sequence level),
///
/// unbiased (the baseline does not depend on y_i), and the policy ascends
/// (1/N) Σ_i A_i ∇log π(y_i | x_i). With `epochs` > 1 the batch is reused
/// with the sequence-level ratio clipped to [1 − ε, 1 + ε] (TRL's
/// `RLOOTrainer` reuses its batch the same way). k = 1 is an error.
public final class RLOO: OnlineLearnerBase<RLOO.Config>, AdvantageLearner {
  public static let algorithm = "rloo"

  public struct Config: OnlineLearnerConfig {
    /// k = `online.samplesPerPrompt`, 4 by default.
    public var online = OnlineSettings(samplesPerPrompt: 4)
    /// Ascent steps per batch (≥ 1).
    public var epochs = 1
    /// ε of the clipped ratio of epochs after the first, in (0, 1).
    public var clipRange = 0.2
    public init() {}

    public func validate() throws(SwiftPGError) {
      try online.validate()
      try require(
        online.samplesPerPrompt >= 2,
        "RLOO needs k >= 2 samples per prompt (a leave-one-out baseline), got \(online.samplesPerPrompt)")
      try require(epochs >= 1 && epochs <= 1000, "epochs must be in [1, 1000], got \(epochs)")
      try require(clipRange.isFinite && clipRange > 0 && clipRange < 1, "clip_range must be in (0, 1), got \(clipRange)")
    }
  }

  /// The leave-one-out advantages of a filled rollout, `[N]`.
  public func advantages(_ r: RLHFRollout) throws(SwiftPGError) -> [Double] {
    let k = r.groupSize
    try require(k >= 2, "RLOO needs groups of k >= 2 samples, got \(k)")
    var a = core.regularizedRewards(r)
    a.withUnsafeMutableBufferPointer { v in
      guard let base = v.baseAddress else { return }
      for g in stride(from: 0, to: r.count, by: k) { subtractLeaveOneOutMean(base + g, count: k) }
    }
    return a
  }

  public func step(_ r: RLHFRollout) throws(SwiftPGError) -> OnlineStats {
    var s = try core.baseStats(r)
    try core.sequenceUpdate(
      r, advantages: try advantages(r), epochs: config.epochs, clipRange: config.clipRange, stats: &s)
    return s
  }
}
