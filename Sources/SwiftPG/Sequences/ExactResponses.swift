/// Exact figures over the whole response space of one prompt, by
/// enumeration (responses in canonical order, `SequenceSpace`), and pure
/// helpers over such arrays: expectations, KL and win rates.
public enum ExactResponses {
  /// The most contexts of one forward pass of the enumeration.
  public static let chunkSize = 1 << 16
  /// The default enumeration limit (responses per prompt).
  public static let defaultLimit = 1 << 20

  /// log π(y | prompt) for every response y, in canonical order
  /// (`[responseCount]`), level by level: for l = 0 ..< L the V^l prefixes
  /// of content length l are run forward in chunks of at most 65 536
  /// contexts; response (prefix, EOS) gets log π(prefix) + log π(EOS |
  /// prefix) and each prefix is extended by every content token; at level L
  /// the truncated responses are the length-L prefixes. Throws `.tooLarge`
  /// when the space has more than `limit` responses.
  public static func logProbabilities(_ policy: SequencePolicy, prompt: Int, limit: Int = defaultLimit)
    throws(SwiftPGError) -> [Double]
  {
    let space = policy.space
    try require(
      prompt >= 0 && prompt < policy.promptCount, "prompt must be in [0, \(policy.promptCount)), got \(prompt)",
      code: .outOfRange)
    let m = try space.enumerableResponseCount(limit: Swift.min(limit, Limits.maxScratchElements))
    let v = space.vocabularySize
    let k = space.tokenCount
    let l = space.maxLength
    var out = [Double](repeating: 0, count: m)
    var level: [Double] = [0]  // log π(prefix) of the V^depth prefixes of this depth
    // The widest level has V^(L−1) prefixes.
    let widest = (space.offset(contentLength: l) ?? 1) - (space.offset(contentLength: l - 1) ?? 0)
    let chunk = Swift.max(1, Swift.min(chunkSize, widest))
    var tokens = [Int32](repeating: 0, count: chunk * l)
    let prompts = [Int32](repeating: Int32(prompt), count: chunk)
    var positions = [Int32](repeating: 0, count: chunk)
    var rowLogProbs = [Double](repeating: 0, count: chunk * k)
    for depth in 0..<l {
      let count = level.count
      let base = space.offset(contentLength: depth) ?? 0
      var next = [Double](repeating: 0, count: count * v)
      for i in 0..<chunk { positions[i] = Int32(depth) }
      var start = 0
      while start < count {
        let n = Swift.min(chunk, count - start)
        // The prefix j (base-V digits, most significant first) in row j − start.
        for r in 0..<n {
          var digits = start + r
          var i = depth - 1
          while i >= 0 {
            tokens[r * l + i] = Int32(digits % v)
            digits /= v
            i -= 1
          }
        }
        tokens.withUnsafeBufferPointer { tb in
          prompts.withUnsafeBufferPointer { pb in
            positions.withUnsafeBufferPointer { qb in
              rowLogProbs.withUnsafeMutableBufferPointer { ob in
                if let t = tb.baseAddress, let p = pb.baseAddress, let q = qb.baseAddress, let o = ob.baseAddress {
                  policy.nextTokenLogProbabilities(prompts: p, tokens: t, rows: nil, positions: q, count: n, into: o)
                }
              }
            }
          }
        }
        for r in 0..<n {
          let j = start + r
          let prefix = level[j]
          out[base + j] = prefix + rowLogProbs[r * k + v]
          for y in 0..<v { next[j * v + y] = prefix + rowLogProbs[r * k + y] }
        }
        start += n
      }
      level = next
    }
    let truncated = space.offset(contentLength: l) ?? 0
    for j in level.indices { out[truncated + j] = level[j] }
    return out
  }

  /// The responses with canonical indices in `range`, as token rows
  /// `[range.count, L]` (EOS at and beyond each length) and lengths.
  public static func responses(_ space: SequenceSpace, range: Range<Int>) throws(SwiftPGError)
    -> (tokens: [Int32], lengths: [Int32])
  {
    guard let count = space.responseCount, range.lowerBound >= 0, range.upperBound <= count else {
      throw SwiftPGError(.outOfRange, "response range \(range) is out of range for \(space)")
    }
    let cells = try Limits.product(
      [range.count, space.maxLength], limit: Limits.maxScratchElements, "response token rows")
    var tokens = [Int32](repeating: space.endToken, count: cells)
    var lengths = [Int32](repeating: 0, count: range.count)
    try tokens.withUnsafeMutableBufferPointer { (tb) throws(SwiftPGError) in
      guard let t = tb.baseAddress else { return }
      for (r, index) in range.enumerated() {
        lengths[r] = try space.response(index, into: t + r * space.maxLength)
      }
    }
    return (tokens, lengths)
  }

  /// The tolerance on Σ_y exp(log p(y)) − 1 of a distribution passed to
  /// `expectation`, `kl` and `winRate`.
  public static let normalizationTolerance = 1e-6

  /// Refuses log-probabilities that are not one whole distribution
  /// (Σ exp ≠ 1 beyond `normalizationTolerance`), e.g. a top-k subset or
  /// unnormalised scores: every exact figure assumes the whole response
  /// space.
  static func checkDistribution(_ logProbabilities: [Double], _ name: String) throws(SwiftPGError) {
    var total = 0.0
    for lp in logProbabilities { total += _exp(lp) }
    try require(
      abs(total - 1) <= normalizationTolerance,
      "the probabilities exp(\(name)) sum to \(total), not 1: pass log-probabilities of the whole response space")
  }

  /// E_p[f] = Σ_y p(y) f(y) from log-probabilities of one whole
  /// distribution (`checkDistribution`).
  public static func expectation(logProbabilities: [Double], values: [Double]) throws(SwiftPGError) -> Double {
    try require(
      logProbabilities.count == values.count,
      "log-probabilities (\(logProbabilities.count)) and values (\(values.count)) differ in length")
    try checkDistribution(logProbabilities, "log_probs")
    var s = 0.0
    for i in values.indices {
      let p = _exp(logProbabilities[i])
      if p > 0 { s += p * values[i] }
    }
    return s
  }

  /// KL(p ‖ q) = Σ_{p(y) > 0} p(y) (log p(y) − log q(y)) from
  /// log-probabilities; terms with p = 0 contribute 0 and the result is +∞
  /// when q(y) = 0 < p(y). p and q must each be one whole distribution
  /// (`checkDistribution`); the sum is clamped at 0 against rounding.
  public static func kl(logP: [Double], logQ: [Double]) throws(SwiftPGError) -> Double {
    try require(logP.count == logQ.count, "logP (\(logP.count)) and logQ (\(logQ.count)) differ in length")
    try checkDistribution(logP, "log_p")
    try checkDistribution(logQ, "log_q")
    var s = 0.0
    for i in logP.indices {
      let p = _exp(logP[i])
      if p > 0 {
        if logQ[i] == -.infinity { return .infinity }
        s += p * (logP[i] - logQ[i])
      }
    }
    return Swift.max(s, 0)
  }

  /// The win rate P(r(y) > r(y′)) + ½ P(r(y) = r(y′)) of y ~ p against
  /// y′ ~ q, in O(M log M): the responses are sorted by reward and ties
  /// (equal Double values) grouped exactly. With A = P(r(y) > r(y′)) and
  /// B = P(r(y) < r(y′)) it is computed as ½ + ½ (A − B), equal to
  /// A + ½ P(tie) when p and q each sum to 1; so the win rate of p against
  /// itself is exactly ½ and winRate(p, q) + winRate(q, p) = 1 up to one
  /// rounding.
  public static func winRate(logP: [Double], logQ: [Double], rewards: [Double]) throws(SwiftPGError) -> Double {
    try require(
      logP.count == logQ.count && logP.count == rewards.count,
      "logP (\(logP.count)), logQ (\(logQ.count)) and rewards (\(rewards.count)) differ in length")
    for (i, r) in rewards.enumerated() where r.isNaN {
      throw SwiftPGError(.notFinite, "rewards[\(i)] is NaN")
    }
    try checkDistribution(logP, "log_p")
    try checkDistribution(logQ, "log_q")
    let order = rewards.indices.sorted { rewards[$0] < rewards[$1] }
    var pBelow = 0.0
    var qBelow = 0.0
    var above = 0.0  // A
    var below = 0.0  // B
    var g = 0
    while g < order.count {
      let r = rewards[order[g]]
      var pg = 0.0
      var qg = 0.0
      var e = g
      while e < order.count && rewards[order[e]] == r {
        pg += _exp(logP[order[e]])
        qg += _exp(logQ[order[e]])
        e += 1
      }
      above += pg * qBelow
      below += qg * pBelow
      pBelow += pg
      qBelow += qg
      g = e
    }
    return 0.5 + 0.5 * (above - below)
  }

  /// Σ_x w_x winRate(p_x, q_x) over prompts with probabilities w (which
  /// must be finite, ≥ 0 and sum to 1 within 1e-9).
  public static func winRate(
    promptProbabilities w: [Double], logP: [[Double]], logQ: [[Double]], rewards: [[Double]]
  ) throws(SwiftPGError) -> Double {
    try require(
      logP.count == w.count && logQ.count == w.count && rewards.count == w.count,
      "one row of logP, logQ and rewards per prompt (\(w.count)) is needed")
    try require(w.allFinite && w.allSatisfy { $0 >= 0 }, "prompt probabilities must be finite and >= 0")
    let total = w.reduce(0, +)
    try require(abs(total - 1) <= 1e-9, "prompt probabilities must sum to 1, got \(total)")
    var s = 0.0
    for x in w.indices where w[x] > 0 {
      s += w[x] * (try winRate(logP: logP[x], logQ: logQ[x], rewards: rewards[x]))
    }
    return s
  }
}
