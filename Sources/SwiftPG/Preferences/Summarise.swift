/// A toy summarisation task: the prompt is a "post" (a token sequence) with a
/// few salient tokens, and a good summary mentions every salient token once,
/// is short, and ends (emits EOS) before running out of positions.
///
/// **Prompts.** P posts generated from `seed`: post x draws its salient set
/// S_x (`salientCount` distinct tokens, uniformly) and then `postLength`
/// tokens holding each salient token once plus uniform tokens, shuffled.
/// Post x uses `PCG64.laneStream(seed:lane: x)`, so the first posts do not
/// depend on P. The prompt distribution is uniform. Prompt features
/// (F = 2V): the salient indicator of each token, then each token's
/// frequency in the post (count / `postLength`).
///
/// **Gold reward.** With y's content tokens y₁ … y_l,
/// r*(x, y) = |S_x ∩ {y₁ … y_l}| − λ · l − c · [y truncated],
/// λ = `lengthPenalty`, c = `missingEOSPenalty` (a response is truncated when
/// it used all L positions without EOS: the missing-EOS penalty of practice).
/// Repeating a salient token earns nothing more. Labels are gold.
/// With λ < 1 the maximum is |S_x| (1 − λ), reached exactly by the responses
/// that write each salient token once (any order) and then EOS; the expert
/// writes them in increasing token order. (With λ ≥ 1 the empty response is
/// optimal and the expert writes it.)
///
/// **Reward features** (K = 3): `salient_covered` (|S_x ∩ y|),
/// `content_length` (l), `truncated` (0/1). The gold reward is linear in them
/// with weights (1, −λ, −c), so a linear reward model can recover it.
///
/// **Sizes.** Defaults V = 6, L = 6, P = 8, post length 8, 3 salient tokens,
/// λ = 0.1, c = 1: Σ_{l≤6} 6^l = 55 987 responses per prompt, exactly
/// enumerable; maximum gold reward 2.7 for every prompt.
public struct Summarise: CoverageTask {
  public let space: SequenceSpace
  public let promptCount: Int
  public let postLength: Int
  public let salientCount: Int
  public let coverage: CoverageReward
  public let seed: UInt64
  /// The posts [P, postLength], row-major.
  public let posts: [Int32]
  /// The salient tokens of each post, increasing.
  public let salientTokens: [[Int32]]
  /// `isSalient[x * V + v]`.
  private let isSalient: [Bool]
  public let promptFeatures: [Double]

  public var name: String { "Summarise" }
  public var promptProbabilities: [Double] { Array(repeating: 1 / Double(promptCount), count: promptCount) }
  public var promptFeatureCount: Int { 2 * space.vocabularySize }
  public var featureNames: [String] { ["salient_covered", "content_length", "truncated"] }

  public init(
    vocabularySize: Int = 6, maxLength: Int = 6, promptCount: Int = 8, postLength: Int = 8, salientCount: Int = 3,
    lengthPenalty: Double = 0.1, missingEOSPenalty: Double = 1, seed: UInt64 = 0
  ) throws(SwiftPGError) {
    space = try SequenceSpace(vocabularySize: vocabularySize, maxLength: maxLength)
    try require(promptCount >= 1 && promptCount <= 1 << 16, "prompt_count must be in [1, 65536], got \(promptCount)")
    try require(
      salientCount >= 1 && salientCount <= vocabularySize && salientCount < maxLength,
      "salient_count must be in [1, min(vocabulary_size \(vocabularySize), max_length − 1 = \(maxLength - 1))],"
        + " got \(salientCount)")
    try require(
      postLength >= salientCount && postLength <= 1 << 12,
      "post_length must be in [salient_count \(salientCount), 4096], got \(postLength)")
    coverage = try CoverageReward(lengthPenalty: lengthPenalty, missingEOSPenalty: missingEOSPenalty)
    _ = try Limits.product(
      [promptCount, max(postLength, 2 * vocabularySize)], limit: Limits.maxScratchElements,
      "posts and prompt features [P, max(post_length, 2V)]")
    self.promptCount = promptCount
    self.postLength = postLength
    self.salientCount = salientCount
    self.seed = seed
    let v = vocabularySize
    var posts = [Int32](repeating: 0, count: promptCount * postLength)
    var salient: [[Int32]] = []
    var isSalient = [Bool](repeating: false, count: promptCount * v)
    var features = [Double](repeating: 0, count: promptCount * 2 * v)
    for x in 0..<promptCount {
      var rng = PCG64.laneStream(seed: seed, lane: x)
      // Salient set: the first `salientCount` of a partial Fisher–Yates shuffle of 0..<V.
      var pool = (0..<v).map { Int32($0) }
      for i in 0..<salientCount {
        let j = i + TaskSupport.uniformInt(v - i, &rng)
        pool.swapAt(i, j)
      }
      let s = Array(pool[0..<salientCount]).sorted()
      salient.append(s)
      var post = s
      for _ in salientCount..<postLength { post.append(Int32(TaskSupport.uniformInt(v, &rng))) }
      var i = postLength - 1
      while i > 0 {
        post.swapAt(i, TaskSupport.uniformInt(i + 1, &rng))
        i -= 1
      }
      for (t, tok) in post.enumerated() {
        posts[x * postLength + t] = tok
        features[x * 2 * v + v + Int(tok)] += 1 / Double(postLength)
      }
      for tok in s {
        isSalient[x * v + Int(tok)] = true
        features[x * 2 * v + Int(tok)] = 1
      }
    }
    self.posts = posts
    self.salientTokens = salient
    self.isSalient = isSalient
    self.promptFeatures = features
  }

  /// The salient tokens of the post count.
  public func isRelevant(prompt x: Int, token: Int32) -> Bool { isSalient[x * space.vocabularySize + Int(token)] }

  public func rewardFeatures(
    prompt: Int, tokens: UnsafePointer<Int32>, length: Int32, into out: UnsafeMutablePointer<Double>
  ) {
    CoverageReward.write(parts(prompt: prompt, tokens: tokens, length: length), into: out)
  }

  public func expertResponse(prompt: Int) -> [Int32] {
    lengthPenalty < 1 ? salientTokens[prompt] : []
  }
}
