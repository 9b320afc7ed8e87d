/// Labellers: turn the rewards a labeller judges (a task's label rewards)
/// into comparisons, and the best agreement any predictor can reach with
/// them.
///
/// **Pairs** (Bradley & Terry 1952): a labeller shown (y₁, y₂) with rewards
/// (r₁, r₂) prefers y₁ with probability P(y₁ ≻ y₂) = σ((r₁ − r₂)/s), s ≥ 0
/// the noise scale. s = 0 is a deterministic labeller: the higher reward
/// wins and a tie is broken by a fair coin.
///
/// **k-way rankings** (Plackett–Luce; Plackett 1975, Luce 1959): the first
/// place goes to candidate i with probability exp(rᵢ/s) / Σⱼ exp(rⱼ/s), the
/// second to one of the rest with the same rule among them, and so on. With
/// k = 2 this is the pair model. It is sampled exactly by the Gumbel-max
/// trick (Yellott 1977): with gᵢ i.i.d. standard Gumbel, the ranking is the
/// order of rᵢ/s + gᵢ, best first. s = 0 sorts by reward, ties broken
/// uniformly at random (by the order of the gᵢ).
///
/// **Streams.** Row `firstRow + i` of a batch draws its k Gumbels from
/// `PCG64.laneStream(seed:lane: firstRow + i)`, gᵢ = −log(−log uᵢ) with
/// uᵢ = (⌊w/2¹¹⌋ + ½)·2⁻⁵³ from the stream's i-th 64-bit word w; so a batch
/// split into parts (each with its `firstRow`) gives the same rankings.
///
/// **Layout.** `rewards` [N, k] row-major; `rankings` [N, k] hold candidate
/// indices 0..<k, best first. Pairs are the k = 2 case: `comparePairs`
/// writes the index (0 or 1) of the preferred candidate.
public enum Labeller {
  /// The largest k accepted.
  public static let maxCandidates = 1 << 16

  /// P(y₁ ≻ y₂) = σ((r₁ − r₂)/s); for s = 0: 1, 0, or ½ on a tie.
  public static func preferenceProbability(_ r1: Double, _ r2: Double, scale s: Double) -> Double {
    let d = r1 - r2
    if s == 0 { return d > 0 ? 1 : (d < 0 ? 0 : 0.5) }
    return sigmoid(d / s)
  }

  @inline(__always)
  static func sigmoid(_ z: Double) -> Double {
    z >= 0 ? 1 / (1 + _exp(-z)) : _exp(z) / (1 + _exp(z))
  }

  /// s must be finite and ≥ 0.
  public static func validateScale(_ s: Double) throws(SwiftPGError) {
    try require(s.isFinite && s >= 0, "scale (the labeller's noise s) must be finite and >= 0, got \(s)")
  }

  static func validateRewards(_ r: UnsafePointer<Double>, count n: Int, candidates k: Int) throws(SwiftPGError) {
    for i in 0..<n {
      for j in 0..<k where !r[i * k + j].isFinite {
        throw SwiftPGError(.notFinite, "rewards[\(i), \(j)] must be finite, got \(r[i * k + j])")
      }
    }
  }

  static func validateSizes(count n: Int, candidates k: Int, firstRow: Int) throws(SwiftPGError) -> Int {
    try require(n >= 0, "count must be >= 0, got \(n)")
    try require(k >= 2 && k <= maxCandidates, "candidates k must be in [2, \(maxCandidates)], got \(k)")
    try require(firstRow >= 0, "first_row must be >= 0, got \(firstRow)")
    let (_, o) = firstRow.addingReportingOverflow(n)
    try require(!o, "first_row \(firstRow) + count \(n) overflows", code: .tooLarge)
    return try Limits.product([n, k], limit: Limits.maxScratchElements, "rewards [count, k]")
  }

  // MARK: Rankings

  /// Plackett–Luce rankings of N rows of k candidates (`rewards` [N, k]) into
  /// `rankings` [N, k] (candidate indices, best first). Validates everything
  /// before writing.
  public static func rank(
    rewards: UnsafePointer<Double>, count n: Int, candidates k: Int, scale s: Double, seed: UInt64,
    firstRow: Int = 0, into rankings: UnsafeMutablePointer<Int32>
  ) throws(SwiftPGError) {
    _ = try validateSizes(count: n, candidates: k, firstRow: firstRow)
    try validateScale(s)
    try validateRewards(rewards, count: n, candidates: k)
    var keys = [Double](repeating: 0, count: k)
    var gumbels = [Double](repeating: 0, count: k)
    var order = [Int](repeating: 0, count: k)
    for i in 0..<n {
      let r = rewards + i * k
      var rng = PCG64.laneStream(seed: seed, lane: firstRow + i)
      var rmax = -Double.infinity
      for j in 0..<k { rmax = max(rmax, r[j]) }
      for j in 0..<k {
        let u = (Double(rng.next() >> 11) + 0.5) * 0x1.0p-53
        let g = -_log(-_log(u))
        gumbels[j] = g
        // s = 0: the reward orders, the Gumbel breaks ties (key is the reward).
        // s > 0: (r − max)/s ≤ 0 cannot overflow; it may be −∞ for tiny s,
        // where the reward then the Gumbel order the tied −∞ keys (the s → 0 limit).
        keys[j] = s == 0 ? r[j] : (r[j] - rmax) / s + g
        order[j] = j
      }
      order.sort { a, b in
        if keys[a] != keys[b] { return keys[a] > keys[b] }
        if r[a] != r[b] { return r[a] > r[b] }
        if gumbels[a] != gumbels[b] { return gumbels[a] > gumbels[b] }
        return a < b
      }
      for j in 0..<k { rankings[i * k + j] = Int32(order[j]) }
    }
  }

  /// Array convenience: `rewards` [N, k] → rankings [N, k].
  public static func rank(
    rewards: [Double], candidates k: Int, scale s: Double, seed: UInt64, firstRow: Int = 0
  ) throws(SwiftPGError) -> [Int32] {
    try require(k >= 2 && k <= maxCandidates, "candidates k must be in [2, \(maxCandidates)], got \(k)")
    try require(rewards.count % k == 0, "rewards must have a multiple of k = \(k) entries, got \(rewards.count)")
    let n = rewards.count / k
    var out = [Int32](repeating: 0, count: rewards.count)
    guard n > 0 else {
      try validateScale(s)
      return out
    }
    try rewards.withBase("rewards") { (r) throws(SwiftPGError) in
      try out.withMutableBase("rankings") { (o) throws(SwiftPGError) in
        try rank(rewards: r, count: n, candidates: k, scale: s, seed: seed, firstRow: firstRow, into: o)
      }
    }
    return out
  }

  // MARK: Pairs

  /// Pairwise comparisons (`rewards` [N, 2]): `preferred[i]` is 0 when the
  /// labeller prefers candidate 0 of row i, 1 otherwise — the first place of
  /// the k = 2 ranking (same streams), so P(0 preferred) = σ((r₀ − r₁)/s).
  public static func comparePairs(
    rewards: UnsafePointer<Double>, count n: Int, scale s: Double, seed: UInt64, firstRow: Int = 0,
    into preferred: UnsafeMutablePointer<Int32>
  ) throws(SwiftPGError) {
    _ = try validateSizes(count: n, candidates: 2, firstRow: firstRow)
    try validateScale(s)
    try validateRewards(rewards, count: n, candidates: 2)
    var pair: [Int32] = [0, 0]
    for i in 0..<n {
      try pair.withMutableBase("pair") { (p) throws(SwiftPGError) in
        try rank(rewards: rewards + 2 * i, count: 1, candidates: 2, scale: s, seed: seed, firstRow: firstRow + i, into: p)
      }
      preferred[i] = pair[0]
    }
  }

  /// Array convenience: `rewards` [N, 2] → preferred index [N].
  public static func comparePairs(rewards: [Double], scale s: Double, seed: UInt64, firstRow: Int = 0)
    throws(SwiftPGError) -> [Int32]
  {
    try require(rewards.count % 2 == 0, "rewards must be [N, 2] (an even count), got \(rewards.count) entries")
    let rankings = try rank(rewards: rewards, candidates: 2, scale: s, seed: seed, firstRow: firstRow)
    return stride(from: 0, to: rankings.count, by: 2).map { rankings[$0] }
  }

  // MARK: Accuracy ceiling

  /// The labeller's accuracy ceiling on pairs (`rewards` [N, 2], the rewards
  /// the labeller judges): the best expected agreement any predictor can
  /// have with the labeller's choices, the mean over pairs of max(p, 1 − p)
  /// with p = σ((r₁ − r₂)/s) — i.e. of σ(|r₁ − r₂|/s); for s = 0, 1 on
  /// unequal rewards and ½ on ties. Exact (no sampling). N ≥ 1.
  public static func accuracyCeiling(rewards: UnsafePointer<Double>, count n: Int, scale s: Double)
    throws(SwiftPGError) -> Double
  {
    _ = try validateSizes(count: n, candidates: 2, firstRow: 0)
    try require(n >= 1, "count must be >= 1 for an accuracy ceiling, got \(n)")
    try validateScale(s)
    try validateRewards(rewards, count: n, candidates: 2)
    var total = 0.0
    for i in 0..<n {
      let d = abs(rewards[2 * i] - rewards[2 * i + 1])
      total += s == 0 ? (d > 0 ? 1 : 0.5) : sigmoid(d / s)
    }
    return total / Double(n)
  }

  /// Array convenience: `rewards` [N, 2].
  public static func accuracyCeiling(rewards: [Double], scale s: Double) throws(SwiftPGError) -> Double {
    try require(rewards.count % 2 == 0, "rewards must be [N, 2] (an even count), got \(rewards.count) entries")
    try require(!rewards.isEmpty, "rewards must hold at least one pair")
    return try rewards.withBase("rewards") { (r) throws(SwiftPGError) in
      try accuracyCeiling(rewards: r, count: rewards.count / 2, scale: s)
    }
  }

  // MARK: Rankings → pairs

  /// C(k, 2) = k (k − 1) / 2: the pairs one k-way ranking gives.
  public static func pairCount(candidates k: Int) -> Int { k * (k - 1) / 2 }

  /// The C(k, 2) (chosen, rejected) pairs of each ranking (`rankings` [N, k],
  /// candidate indices best first): for row i and ranking positions p < q,
  /// (rankings[i, p], rankings[i, q]), rows in order, then p, then q.
  /// `chosen` and `rejected` are [N · C(k, 2)]. Each row must be a
  /// permutation of 0..<k.
  public static func rankingPairs(
    rankings: UnsafePointer<Int32>, count n: Int, candidates k: Int,
    chosen: UnsafeMutablePointer<Int32>, rejected: UnsafeMutablePointer<Int32>
  ) throws(SwiftPGError) {
    _ = try validateSizes(count: n, candidates: k, firstRow: 0)
    let c = pairCount(candidates: k)
    _ = try Limits.product([n, c], limit: Limits.maxScratchElements, "pairs [count, C(k, 2)]")
    var seen = [Bool](repeating: false, count: k)
    for i in 0..<n {
      for j in 0..<k { seen[j] = false }
      for p in 0..<k {
        let v = rankings[i * k + p]
        guard v >= 0 && Int(v) < k && !seen[Int(v)] else {
          throw SwiftPGError.invalid(
            "rankings[\(i), \(p)] = \(v): each row must be a permutation of the candidate indices 0..<\(k)")
        }
        seen[Int(v)] = true
      }
    }
    var m = 0
    for i in 0..<n {
      let row = rankings + i * k
      for p in 0..<k {
        for q in (p + 1)..<k {
          chosen[m] = row[p]
          rejected[m] = row[q]
          m += 1
        }
      }
    }
  }

  /// Array convenience: `rankings` [N, k] → (chosen, rejected), each [N · C(k, 2)].
  public static func rankingPairs(rankings: [Int32], candidates k: Int) throws(SwiftPGError)
    -> (chosen: [Int32], rejected: [Int32])
  {
    try require(k >= 2 && k <= maxCandidates, "candidates k must be in [2, \(maxCandidates)], got \(k)")
    try require(rankings.count % k == 0, "rankings must have a multiple of k = \(k) entries, got \(rankings.count)")
    let n = rankings.count / k
    let total = try Limits.product([n, pairCount(candidates: k)], limit: Limits.maxScratchElements, "pairs")
    var chosen = [Int32](repeating: 0, count: total)
    var rejected = [Int32](repeating: 0, count: total)
    guard n > 0 else { return (chosen, rejected) }
    try rankings.withBase("rankings") { (r) throws(SwiftPGError) in
      try chosen.withMutableBase("chosen") { (c) throws(SwiftPGError) in
        try rejected.withMutableBase("rejected") { (j) throws(SwiftPGError) in
          try rankingPairs(rankings: r, count: n, candidates: k, chosen: c, rejected: j)
        }
      }
    }
    return (chosen, rejected)
  }
}
