/// ReMax (Li et al. 2023, "ReMax: A simple, effective, and efficient
/// reinforcement learning method for aligning large language models"):
/// REINFORCE whose baseline for prompt x is the KL-regularised reward of
/// the policy's own greedy response ŷ(x) (temperature 0, lowest id on ties),
///
///   A_i = R̂(x_i, y_i) − R̂(x_i, ŷ(x_i)),   R̂ = r − β k1 (sequence level),
///
/// unbiased (ŷ is a function of x and θ only) at the cost of one extra
/// decoding and scoring per prompt; the policy ascends (1/N) Σ A_i ∇log π(y_i).
public final class ReMax: OnlineLearnerBase<ReMax.Config>, AdvantageLearner {
  public static let algorithm = "remax"

  public struct Config: OnlineLearnerConfig {
    public var online = OnlineSettings()
    public init() {}
    public func validate() throws(SwiftPGError) { try online.validate() }
  }

  /// R̂ of the greedy response to each sample's prompt, `[N]`: one greedy
  /// decoding and scoring per group (the k samples of a prompt share it).
  public func baselines(_ r: RLHFRollout) throws(SwiftPGError) -> [Double] {
    let prompts = stride(from: 0, to: r.count, by: r.groupSize).map { r.prompts[$0] }
    let greedy = try core.policy.sample(prompts: prompts, temperature: 0, seed: 0)
    let rewards = try core.score(prompts: prompts, tokens: greedy.tokens, lengths: greedy.lengths)
    var g = try RLHFRollout(
      prompts: prompts, tokens: greedy.tokens, lengths: greedy.lengths, rewards: rewards, groupSize: 1,
      policy: core.policy)
    try core.fillLogProbabilities(&g)
    let perGroup = core.regularizedRewards(g)
    return (0..<r.count).map { perGroup[$0 / r.groupSize] }
  }

  /// The advantages R̂(y_i) − R̂(ŷ) of a filled rollout, `[N]`.
  public func advantages(_ r: RLHFRollout) throws(SwiftPGError) -> [Double] {
    let b = try baselines(r)
    return zip(core.regularizedRewards(r), b).map { $0 - $1 }
  }

  /// (In `update`, the greedy responses are scored by the learner's reward function.)
  public func step(_ r: RLHFRollout) throws(SwiftPGError) -> OnlineStats {
    var s = try core.baseStats(r)
    try core.sequenceUpdate(r, advantages: try advantages(r), epochs: 1, clipRange: 0, stats: &s)
    return s
  }
}
