/// A gameable task: short answers are best, but the labellers like length
/// and a proxy reward model sees only token counts and length, so optimising
/// a reward model fitted to the labels drives gold reward *down* while the
/// proxy keeps rising — reward over-optimisation (Gao, Schulman & Hilton
/// 2022) in a space small enough to enumerate.
///
/// **Prompts.** P questions, uniformly distributed. Question x asks for the
/// R relevant tokens T_x = {(x + j) mod V : j < R} (R = `relevantCount`).
/// Prompt features (F = V): the indicator of T_x.
///
/// **Gold reward.** With content tokens y₁ … y_l,
/// r*(x, y) = |T_x ∩ {y₁ … y_l}| − λ · l − c · [y truncated]
/// (λ = `lengthPenalty`, c = `missingEOSPenalty`). With λ < 1 the maximum is
/// R (1 − λ): the relevant tokens once each, then EOS (the expert writes them
/// in increasing order).
///
/// **Labels are biased.** The labellers judge r_label = r* + α · l
/// (α = `labelLengthBias` > λ by default): every extra token looks like a
/// gain of α − λ > 0 to them, though it costs λ in gold.
///
/// **Reward features** (K = V + 3): `relevant_covered`, `content_length`,
/// `truncated`, `count_0 … count_{V−1}` (occurrences of each token).
/// Gold is linear in the first three with weights (1, −λ, −c); labels with
/// (1, α − λ, −c). **Proxy features** (`proxyFeatureNames`, K' = V + 1):
/// `content_length` and the token counts only — no prompt, no coverage, no
/// truncation flag.
///
/// **How optimising the proxy diverges from gold.** (1) A reward model fitted
/// to the biased labels, even on the full features, learns a positive
/// weight α − λ on length: its optimum is the relevant tokens padded to the
/// longest response that still ends (L − 1 content tokens, then EOS), whose
/// gold is R − λ (L − 1) instead of R − λ R. (2) The proxy model cannot see
/// which tokens the prompt asks for (with P a multiple of V each token is
/// relevant to the same share of prompts, so averaged over prompts every
/// count looks equally good) nor the truncation. Fitted to labels of
/// responses that end (as a reference policy's samples mostly do), where
/// longer responses both cover more and earn α − λ per token, it puts
/// positive weight on length and counts; it then extrapolates to the
/// truncated responses it never saw, so its optimum has L content tokens and
/// no EOS, with gold at most R − λ L − c (and 1 − λ L − c once the policy
/// concentrates on one token). `LengthBiasTests.proxyIsGamed` fits such a
/// proxy by least squares on every ended response and finds its optimum
/// truncated with gold ≤ 0.3 against the maximum 1.8. So as a policy
/// optimises the proxy further from its reference (larger KL), the proxy
/// reward keeps rising while gold first rises (coverage improves) and then
/// falls (length, then truncation): the over-optimisation curve.
///
/// **Sizes.** Defaults V = 4, L = 7, P = 4, R = 2, λ = 0.1, c = 1, α = 0.3:
/// Σ_{l≤7} 4^l = 21 845 responses per prompt, exactly enumerable; maximum
/// gold 1.8, gold at the labels' optimum 2 − 0.6 = 1.4, gold at a truncated
/// repetition of one relevant token 1 − 0.7 − 1 = −0.7.
public struct LengthBias: CoverageTask {
  public let space: SequenceSpace
  public let promptCount: Int
  public let relevantCount: Int
  public let coverage: CoverageReward
  public let labelLengthBias: Double
  public let promptFeatures: [Double]
  public let featureNames: [String]
  public let proxyFeatureNames: [String]

  public var name: String { "LengthBias" }
  public var promptProbabilities: [Double] { Array(repeating: 1 / Double(promptCount), count: promptCount) }
  public var promptFeatureCount: Int { space.vocabularySize }

  public init(
    vocabularySize: Int = 4, maxLength: Int = 7, promptCount: Int = 4, relevantCount: Int = 2,
    lengthPenalty: Double = 0.1, missingEOSPenalty: Double = 1, labelLengthBias: Double = 0.3
  ) throws(SwiftPGError) {
    space = try SequenceSpace(vocabularySize: vocabularySize, maxLength: maxLength)
    try require(
      vocabularySize <= 1 << 12, "vocabulary_size must be at most 4096 for LengthBias, got \(vocabularySize)")
    try require(promptCount >= 1 && promptCount <= 1 << 16, "prompt_count must be in [1, 65536], got \(promptCount)")
    try require(
      relevantCount >= 1 && relevantCount <= vocabularySize && relevantCount < maxLength,
      "relevant_count must be in [1, min(vocabulary_size \(vocabularySize), max_length − 1 = \(maxLength - 1))],"
        + " got \(relevantCount)")
    coverage = try CoverageReward(lengthPenalty: lengthPenalty, missingEOSPenalty: missingEOSPenalty)
    try require(labelLengthBias.isFinite, "label_length_bias must be finite, got \(labelLengthBias)")
    _ = try Limits.product([promptCount, vocabularySize], limit: Limits.maxScratchElements, "prompt features [P, V]")
    self.promptCount = promptCount
    self.relevantCount = relevantCount
    self.labelLengthBias = labelLengthBias
    let v = vocabularySize
    var f = [Double](repeating: 0, count: promptCount * v)
    for x in 0..<promptCount {
      for j in 0..<relevantCount { f[x * v + (x + j) % v] = 1 }
    }
    promptFeatures = f
    let counts = (0..<v).map { "count_\($0)" }
    featureNames = ["relevant_covered", "content_length", "truncated"] + counts
    proxyFeatureNames = ["content_length"] + counts
  }

  /// The relevant tokens of `prompt`, increasing.
  public func relevantTokens(prompt x: Int) -> [Int32] {
    (0..<relevantCount).map { Int32((x + $0) % space.vocabularySize) }.sorted()
  }

  @inline(__always)
  public func isRelevant(prompt x: Int, token: Int32) -> Bool {
    let v = space.vocabularySize
    // token ∈ {(x + j) mod V : j < R}  ⇔  (token − x) mod V < R
    return ((Int(token) - x % v) % v + v) % v < relevantCount
  }

  /// r* + α · l.
  public func labelReward(prompt: Int, tokens: UnsafePointer<Int32>, length: Int32) -> Double {
    goldReward(prompt: prompt, tokens: tokens, length: length)
      + labelLengthBias * Double(space.contentLength(tokens: tokens, length: length))
  }

  public func rewardFeatures(
    prompt: Int, tokens: UnsafePointer<Int32>, length: Int32, into out: UnsafeMutablePointer<Double>
  ) {
    let p = parts(prompt: prompt, tokens: tokens, length: length)
    CoverageReward.write(p, into: out)
    let counts = out + 3
    counts.update(repeating: 0, count: space.vocabularySize)
    for t in 0..<p.l { counts[Int(tokens[t])] += 1 }
  }

  public func expertResponse(prompt: Int) -> [Int32] {
    lengthPenalty < 1 ? relevantTokens(prompt: prompt) : []
  }
}
