import Testing

@testable import SwiftPG

@Suite struct LabellerTests {
  /// σ(1) = 0.7310585786300049, σ(2) = 0.8807970779778823.
  @Test func preferenceProbabilityGolden() {
    #expect(abs(Labeller.preferenceProbability(1, 0, scale: 1) - 0.7310585786300049) < 1e-15)
    #expect(abs(Labeller.preferenceProbability(2, 1, scale: 0.5) - 0.8807970779778823) < 1e-15)
    #expect(abs(Labeller.preferenceProbability(0, 2, scale: 2) - (1 - 0.7310585786300049)) < 1e-15)
    #expect(Labeller.preferenceProbability(1, 0, scale: 0) == 1)
    #expect(Labeller.preferenceProbability(0, 1, scale: 0) == 0)
    #expect(Labeller.preferenceProbability(1, 1, scale: 0) == 0.5)
    #expect(Labeller.preferenceProbability(-800, 800, scale: 1) == 0)
  }

  /// Pair frequencies match σ((r₁ − r₂)/s) within 5 standard errors:
  /// (0.3, 0), s = 0.5 → σ(0.6) = 0.6456563062257954; (1, 1), s = 0 → ½ (fair coin);
  /// (−1, 1), s = 2 → σ(−1).
  @Test func pairFrequencies() throws {
    let n = 20_000
    for (r0, r1, s) in [(0.3, 0.0, 0.5), (1.0, 1.0, 0.0), (-1.0, 1.0, 2.0)] {
      let rewards = (0..<n).flatMap { _ in [r0, r1] }
      let preferred = try Labeller.comparePairs(rewards: rewards, scale: s, seed: 17)
      let f = Double(preferred.filter { $0 == 0 }.count) / Double(n)
      let p = Labeller.preferenceProbability(r0, r1, scale: s)
      let se = (p * (1 - p) / Double(n)).squareRoot()
      #expect(abs(f - p) < 5 * se, "(\(r0), \(r1), s \(s)): \(f) vs \(p)")
    }
    #expect(try Labeller.comparePairs(rewards: [1, 0, 0, 1, 5, -5], scale: 0, seed: 1) == [0, 1, 0])
  }

  /// Plackett–Luce with rewards (0, 0.5, 1, −1) and s = 1: the first place is
  /// i w.p. eⁱ/Σ (softmax of r/s), and the full ranking (2, 1, 0, 3) has
  /// probability e¹/Z · e^0.5/(Z − e¹) · e⁰/(e⁰ + e⁻¹).
  @Test func plackettLuceFrequencies() throws {
    let n = 20_000
    let r = [0.0, 0.5, 1.0, -1.0]
    let rankings = try Labeller.rank(rewards: (0..<n).flatMap { _ in r }, candidates: 4, scale: 1, seed: 23)
    let w = r.map { _exp($0) }
    let z = w.reduce(0, +)
    for i in 0..<4 {
      let p = w[i] / z
      let f = Double(stride(from: 0, to: 4 * n, by: 4).filter { rankings[$0] == Int32(i) }.count) / Double(n)
      let se = (p * (1 - p) / Double(n)).squareRoot()
      #expect(abs(f - p) < 5 * se, "first place \(i): \(f) vs \(p)")
    }
    let p = w[2] / z * w[1] / (z - w[2]) * w[0] / (w[0] + w[3])
    let f =
      Double(stride(from: 0, to: 4 * n, by: 4).filter { Array(rankings[$0..<($0 + 4)]) == [2, 1, 0, 3] }.count)
      / Double(n)
    let se = (p * (1 - p) / Double(n)).squareRoot()
    #expect(abs(f - p) < 5 * se, "ranking (2, 1, 0, 3): \(f) vs \(p)")
    // Each row is a permutation.
    for b in stride(from: 0, to: 4 * n, by: 4 * 97) { #expect(Set(rankings[b..<(b + 4)]) == [0, 1, 2, 3]) }
  }

  /// s = 0 sorts by reward; tied candidates are in uniformly random order:
  /// with rewards (1, 3, 3, 3, 0) the top three are a permutation of {1, 2, 3}
  /// (each of the 6 orders w.p. 1/6) and then 0, 4.
  @Test func zeroScaleSorts() throws {
    let n = 12_000
    let rankings = try Labeller.rank(rewards: (0..<n).flatMap { _ in [1.0, 3, 3, 3, 0] }, candidates: 5, scale: 0, seed: 5)
    var orders: [[Int32]: Int] = [:]
    for b in 0..<n {
      let row = Array(rankings[(5 * b)..<(5 * b + 5)])
      #expect(Array(row.suffix(2)) == [0, 4])
      orders[Array(row.prefix(3)), default: 0] += 1
    }
    #expect(orders.count == 6)
    let se = (1.0 / 6 * 5 / 6 / Double(n)).squareRoot()
    for (order, c) in orders { #expect(abs(Double(c) / Double(n) - 1.0 / 6) < 5 * se, "\(order)") }
    // Distinct random rewards: exactly sorted.
    var rng = SplitMix64(seed: 3)
    let rewards = (0..<(50 * 7)).map { _ in rng.nextUnitDouble() }
    let sorted = try Labeller.rank(rewards: rewards, candidates: 7, scale: 0, seed: 1)
    for b in 0..<50 {
      let want = (0..<7).sorted { rewards[7 * b + $0] > rewards[7 * b + $1] }.map(Int32.init)
      #expect(Array(sorted[(7 * b)..<(7 * b + 7)]) == want)
    }
    // A tiny positive scale behaves as the limit s → 0 (keys −∞ stay ordered by reward).
    let tiny = try Labeller.rank(rewards: rewards, candidates: 7, scale: 0x1p-1063, seed: 1)  // ≈ 1.1e-320, a subnormal
    #expect(tiny == sorted)
  }

  /// A batch split in parts (each with its first row) gives the same rankings;
  /// the pair labels equal the first place of k = 2 rankings.
  @Test func splitBatchesAgree() throws {
    var rng = SplitMix64(seed: 8)
    let rewards = (0..<(50 * 3)).map { _ in rng.nextUnitDouble() * 2 }
    let whole = try Labeller.rank(rewards: rewards, candidates: 3, scale: 0.7, seed: 99)
    let a = try Labeller.rank(rewards: Array(rewards[0..<60]), candidates: 3, scale: 0.7, seed: 99)
    let b = try Labeller.rank(rewards: Array(rewards[60...]), candidates: 3, scale: 0.7, seed: 99, firstRow: 20)
    #expect(whole == a + b)
    #expect(try Labeller.rank(rewards: rewards, candidates: 3, scale: 0.7, seed: 98) != whole)
    let pairRewards = Array(rewards[0..<100])
    let pairs = try Labeller.comparePairs(rewards: pairRewards, scale: 0.7, seed: 4)
    let ranks = try Labeller.rank(rewards: pairRewards, candidates: 2, scale: 0.7, seed: 4)
    #expect(pairs == stride(from: 0, to: 100, by: 2).map { ranks[$0] })
    let tail = try Labeller.comparePairs(rewards: Array(pairRewards[40...]), scale: 0.7, seed: 4, firstRow: 20)
    #expect(Array(pairs[20...]) == tail)
  }

  /// Pairs (1, 0), (0, 0), (2, −1) with s = 1: (σ(1) + ½ + σ(3))/3 =
  /// (0.7310585786300049 + 0.5 + 0.9525741268224334)/3 = 0.727877568484146;
  /// s = 0: (1 + ½ + 1)/3.
  @Test func accuracyCeilingGolden() throws {
    let r: [Double] = [1, 0, 0, 0, 2, -1]
    #expect(abs(try Labeller.accuracyCeiling(rewards: r, scale: 1) - 0.727877568484146) < 1e-15)
    #expect(abs(try Labeller.accuracyCeiling(rewards: r, scale: 0) - 2.5 / 3) < 1e-15)
    #expect(try Labeller.accuracyCeiling(rewards: [0, 1], scale: 0) == 1)
  }

  /// The predictor "the higher reward wins" agrees with the sampled labels as
  /// often as the ceiling says (within 5 SE), on rewards from a task.
  @Test func ceilingIsTheBestAgreement() throws {
    let task = try Summarise()
    let demos = try task.expertDemonstrations(count: 8000, noise: 0.6, seed: 2)
    let g = try task.labelRewards(prompts: demos.prompts, tokens: demos.tokens, lengths: demos.lengths)
    let s = 0.5
    let ceiling = try Labeller.accuracyCeiling(rewards: g, scale: s)
    let labels = try Labeller.comparePairs(rewards: g, scale: s, seed: 6)
    let n = g.count / 2
    var agree = 0.0
    for i in 0..<n {
      let predicted: Int32 = g[2 * i] > g[2 * i + 1] ? 0 : 1
      agree += g[2 * i] == g[2 * i + 1] ? 0.5 : (predicted == labels[i] ? 1 : 0)
    }
    let f = agree / Double(n)
    let se = (ceiling * (1 - ceiling) / Double(n)).squareRoot()
    #expect(ceiling > 0.55 && ceiling < 0.99)
    #expect(abs(f - ceiling) < 5 * se, "\(f) vs \(ceiling)")
  }

  /// Ranking [2, 0, 1] gives (2, 0), (2, 1), (0, 1); C(4, 2) = 6 pairs per row.
  @Test func rankingsToPairs() throws {
    let (c, r) = try Labeller.rankingPairs(rankings: [2, 0, 1, 0, 1, 2], candidates: 3)
    #expect(c == [2, 2, 0, 0, 0, 1] && r == [0, 1, 1, 1, 2, 2])
    #expect(Labeller.pairCount(candidates: 4) == 6)
    let (c4, _) = try Labeller.rankingPairs(rankings: [3, 1, 0, 2], candidates: 4)
    #expect(c4 == [3, 3, 3, 1, 1, 0])
    for bad: [Int32] in [[0, 0, 1], [0, 1, 3], [0, -1, 2], [0, 1]] {
      #expect(throws: SwiftPGError.self) { try Labeller.rankingPairs(rankings: bad, candidates: 3) }
    }
    #expect(throws: SwiftPGError.self) { try Labeller.rankingPairs(rankings: [0], candidates: 1) }
  }

  @Test func rejectsBadInputs() throws {
    for k in [0, 1, -2, Labeller.maxCandidates + 1] {
      #expect(throws: SwiftPGError.self) { try Labeller.rank(rewards: [1, 2], candidates: k, scale: 1, seed: 0) }
    }
    for s in [-1.0, .nan, .infinity, -0.0 - 1e-300] {
      #expect(throws: SwiftPGError.self) { try Labeller.rank(rewards: [1, 2], candidates: 2, scale: s, seed: 0) }
      #expect(throws: SwiftPGError.self) { try Labeller.comparePairs(rewards: [1, 2], scale: s, seed: 0) }
      #expect(throws: SwiftPGError.self) { try Labeller.accuracyCeiling(rewards: [1, 2], scale: s) }
    }
    for bad in [Double.nan, .infinity] {
      #expect(throws: SwiftPGError.self) { try Labeller.rank(rewards: [1, bad], candidates: 2, scale: 1, seed: 0) }
      #expect(throws: SwiftPGError.self) { try Labeller.accuracyCeiling(rewards: [bad, 1], scale: 1) }
    }
    #expect(throws: SwiftPGError.self) { try Labeller.rank(rewards: [1, 2, 3], candidates: 2, scale: 1, seed: 0) }
    #expect(throws: SwiftPGError.self) { try Labeller.comparePairs(rewards: [1, 2, 3], scale: 1, seed: 0) }
    #expect(throws: SwiftPGError.self) { try Labeller.accuracyCeiling(rewards: [], scale: 1) }
    #expect(throws: SwiftPGError.self) {
      try Labeller.rank(rewards: [1, 2], candidates: 2, scale: 1, seed: 0, firstRow: -1)
    }
    do {
      _ = try Labeller.rank(rewards: [1, .nan], candidates: 2, scale: 1, seed: 0)
      Issue.record("expected a throw")
    } catch { #expect(error.message.contains("rewards[0, 1]")) }
    do {
      _ = try Labeller.rank(rewards: [1, 2], candidates: 2, scale: -3, seed: 0)
      Issue.record("expected a throw")
    } catch { #expect(error.message.contains("scale") && error.message.contains("-3")) }
    // Overflow-checked sizes.
    var out: Int32 = 0
    var r = 0.0
    #expect(throws: SwiftPGError.self) {
      try Labeller.rank(rewards: &r, count: Int.max / 2, candidates: 4, scale: 1, seed: 0, into: &out)
    }
    #expect(try Labeller.rank(rewards: [], candidates: 3, scale: 1, seed: 0) == [])
  }
}
