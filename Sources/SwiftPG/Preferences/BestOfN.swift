#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Best-of-n against a reward model: draw n responses from the base policy,
/// keep the one the reward model scores highest (ties broken uniformly at
/// random among the tied draws).
///
/// - `select`: the sampler's argmax over given candidate scores.
/// - `distribution`: the exact law of the kept response over a finite
///   response set.
/// - `klExact` and `klBound`: KL(π_bon ‖ π_base), exactly and the often
///   quoted log n − (n − 1)/n, which Beirami et al. (2024, "Theoretical
///   guarantees on the best-of-n alignment policy") show is only an upper
///   bound: equal in the continuous limit (all scores distinct, every
///   response improbable), strictly larger with ties or few likely responses.
public enum BestOfN {
  /// The largest n accepted (the exact formulas work in log space and stay
  /// accurate far beyond this; the bound is only a guard on input).
  public static let maxSamples = 1 << 40

  // MARK: - Sampling

  /// For each of `rows` rows of `scores` (`[rows, n]`, row-major), the
  /// index in 0..<n of the highest score, ties broken uniformly at random
  /// with row r's own stream `PCG64.laneStream(seed: seed, lane: firstRow + r)`
  /// (so a batch split into parts, each called with its `firstRow`, picks
  /// the same as the whole). The stream is read only
  /// when the maximum is tied: the c-th tied candidate seen replaces the
  /// current pick with probability 1/c (`next() % c == 0`), a uniform
  /// choice among the tied.
  public static func select(
    scores: [Double], rows: Int, n: Int, seed: UInt64, firstRow: Int = 0
  ) throws(SwiftPGError) -> [Int32] {
    try require(firstRow >= 0, "firstRow must be >= 0, got \(firstRow)")
    try require(rows >= 1, "best-of-n needs at least one row, got \(rows)")
    try require(n >= 1 && n <= Int(Int32.max), "best-of-n needs n in [1, 2^31), got \(n)")
    let total = try checkedProduct(rows, n, "scores")
    try require(scores.count == total, "scores has \(scores.count) entries, expected \(rows) × \(n)")
    try PreferenceLosses.checkFinite(scores, "scores")
    var picks = [Int32](repeating: 0, count: rows)
    for r in 0..<rows {
      let base = r * n
      var best = 0
      var tied: UInt64 = 1
      var rng: PCG64? = nil
      for j in 1..<Swift.max(n, 1) {
        let s = scores[base + j]
        if s > scores[base + best] {
          best = j
          tied = 1
        } else if s == scores[base + best] {
          tied += 1
          if rng == nil { rng = PCG64.laneStream(seed: seed, lane: firstRow &+ r) }
          if var g = rng {
            if g.next() % tied == 0 { best = j }
            rng = g
          }
        }
      }
      picks[r] = Int32(best)
    }
    return picks
  }

  // MARK: - Exact distribution

  /// The exact distribution of best-of-n over a finite response set with
  /// base probabilities `p` (`[M]`, ≥ 0, summing to 1 within 1e-9; they
  /// are renormalised) and reward-model scores `s` (`[M]`):
  ///
  /// Group the responses by equal score; with F(s) = P(S ≤ s) and
  /// F⁻(s) = P(S < s) under the base policy, the kept response lands in tie
  /// group g with probability F(s_g)ⁿ − F⁻(s_g)ⁿ (all n draws score at most
  /// s_g, not all below it). Within the group it is member i with
  /// probability p_i / P_g: the draws are i.i.d., so given which draws fall
  /// in group g (that event depends on group membership only), each of
  /// them is member i with probability p_i / P_g independently, and the
  /// uniform tie-break among those draws picks one of them whatever its
  /// identity. (A tie-break uniform over distinct responses instead would
  /// not give this; `select` breaks ties over draws.)
  ///
  /// Numerics: Fⁿ is computed as exp(n·log1p(−G)) with G = P(S > s) summed
  /// from the top, and the group mass as exp(n·a)·(−expm1(n(b − a))),
  /// a = log F, b = log F⁻: no cancellation when F is near 1, accurate for n
  /// up to `maxSamples`. Responses with p = 0 get 0.
  public static func distribution(base p: [Double], scores s: [Double], n: Int) throws(SwiftPGError) -> [Double] {
    let p = try normalisedBase(p, scores: s, n: n)
    var out = [Double](repeating: 0, count: p.count)
    for group in tieGroups(p, s) {
      let mass = groupMass(group, n: n)
      guard group.probability > 0 else { continue }
      for i in group.members { out[i] = mass * p[i] / group.probability }
    }
    return out
  }

  /// A tie group: members (response indices), their total base probability
  /// P_g, and G = P(S > s_g) (the base mass strictly above the group).
  struct TieGroup {
    var members: [Int]
    var probability: Double
    var above: Double
  }

  /// `p` checked (finite, ≥ 0, sum 1 ± 1e-9) and renormalised; `s` finite
  /// and as long; n in range.
  static func normalisedBase(_ p: [Double], scores s: [Double], n: Int) throws(SwiftPGError) -> [Double] {
    try require(!p.isEmpty, "best-of-n needs at least one response")
    try require(p.count == s.count, "base has \(p.count) probabilities but scores has \(s.count)")
    try require(n >= 1 && n <= maxSamples, "best-of-n needs n in [1, 2^40], got \(n)")
    try PreferenceLosses.checkFinite(p, "base")
    try PreferenceLosses.checkFinite(s, "scores")
    var total = 0.0
    for (i, v) in p.enumerated() {
      try require(v >= 0, "base[\(i)] is negative (\(v))")
      total += v
    }
    try require(Swift.abs(total - 1) <= 1e-9, "base probabilities sum to \(total), not 1")
    return p.map { $0 / total }
  }

  /// Tie groups from the highest score down, each with the mass above it.
  static func tieGroups(_ p: [Double], _ s: [Double]) -> [TieGroup] {
    let order = s.indices.sorted { s[$0] > s[$1] || (s[$0] == s[$1] && $0 < $1) }
    var groups: [TieGroup] = []
    var above = 0.0
    var k = 0
    while k < order.count {
      var members: [Int] = []
      var mass = 0.0
      let score = s[order[k]]
      while k < order.count && s[order[k]] == score {
        members.append(order[k])
        mass += p[order[k]]
        k += 1
      }
      groups.append(TieGroup(members: members, probability: mass, above: Swift.min(above, 1)))
      above += mass
    }
    return groups
  }

  /// F(s_g)ⁿ − F⁻(s_g)ⁿ with F = 1 − G, F⁻ = 1 − G − P_g, in log space.
  static func groupMass(_ g: TieGroup, n: Int) -> Double {
    guard g.probability > 0 else { return 0 }
    let nd = Double(n)
    let a = nd * log1p(-g.above)  // n log F
    let below = g.above + g.probability
    if below >= 1 { return exp(a) }  // F⁻ = 0: the lowest group
    let b = nd * log1p(-below)  // n log F⁻
    return exp(a) * -expm1(b - a)
  }

  // MARK: - KL

  /// KL(π_bon ‖ π_base) = Σ_y π_bon(y) log(π_bon(y) / p(y)), exactly (over
  /// the responses with p > 0). Within a tie group the ratio π_bon/p is
  /// the same for every member, q_g / P_g, so this equals
  /// Σ_g q_g log(q_g / P_g) and is computed that way. Arguments as
  /// `distribution`.
  public static func klExact(base p: [Double], scores s: [Double], n: Int) throws(SwiftPGError) -> Double {
    let p = try normalisedBase(p, scores: s, n: n)
    var kl = 0.0
    for group in tieGroups(p, s) {
      let q = groupMass(group, n: n)
      if q > 0 && group.probability > 0 { kl += q * log(q / group.probability) }
    }
    return Swift.max(kl, 0)
  }

  /// log n − (n − 1)/n: the KL of best-of-n for a continuous reward
  /// distribution, quoted as the KL of best-of-n in general (Stiennon et
  /// al. 2020; Gao et al. 2023). Beirami et al. (2024) prove it is an upper
  /// bound of `klExact` for every base distribution and scoring.
  public static func klBound(n: Int) throws(SwiftPGError) -> Double {
    try require(n >= 1 && n <= maxSamples, "best-of-n needs n in [1, 2^40], got \(n)")
    let nd = Double(n)
    return log(nd) - (nd - 1) / nd
  }
}
