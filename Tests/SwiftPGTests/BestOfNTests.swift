import Testing

@testable import SwiftPG

#if canImport(Glibc)
  import Glibc
#endif

@Suite struct BestOfNTests {
  @Test func selectPicksTheArgmax() throws {
    let picks = try BestOfN.select(scores: [1, 5, 2, -1, -3, -2, 7, 7.5, 7.25], rows: 3, n: 3, seed: 1)
    #expect(picks == [1, 0, 1])
    #expect(try BestOfN.select(scores: [4, 2], rows: 2, n: 1, seed: 1) == [0, 0])
  }

  /// Row [1, 3, 3, 0, 3]: each of the three tied candidates is picked with
  /// probability 1/3 (within 5 SE over 30 000 rows); the same seed gives
  /// the same picks, and a batch split in two (with `firstRow`) the same.
  @Test func tiesAreBrokenUniformlyAndReproducibly() throws {
    let rows = 30_000
    let row: [Double] = [1, 3, 3, 0, 3]
    let scores = Array((0..<rows).map { _ in row }.joined())
    let picks = try BestOfN.select(scores: scores, rows: rows, n: 5, seed: 42)
    var counts = [Int](repeating: 0, count: 5)
    for p in picks { counts[Int(p)] += 1 }
    #expect(counts[0] == 0 && counts[3] == 0)
    let se = (1.0 / 3 * (2.0 / 3) / Double(rows)).squareRoot()
    for j in [1, 2, 4] { #expect(Swift.abs(Double(counts[j]) / Double(rows) - 1.0 / 3) < 5 * se) }
    #expect(try BestOfN.select(scores: scores, rows: rows, n: 5, seed: 42) == picks)
    #expect(try BestOfN.select(scores: scores, rows: rows, n: 5, seed: 43) != picks)
    let half = rows / 2
    let a = try BestOfN.select(scores: Array(scores[0..<(half * 5)]), rows: half, n: 5, seed: 42)
    let b = try BestOfN.select(scores: Array(scores[(half * 5)...]), rows: rows - half, n: 5, seed: 42, firstRow: half)
    #expect(a + b == picks)
  }

  let base: [Double] = [0.1, 0.25, 0.05, 0.3, 0.2, 0.1]
  let scores: [Double] = [0.5, 2.0, 2.0, -1.0, 0.5, 3.0]  // two tie groups

  @Test func distributionSumsToOneAndNEqualsOneIsTheBase() throws {
    for n in [1, 2, 3, 10, 1000, 1_000_000] {
      let q = try BestOfN.distribution(base: base, scores: scores, n: n)
      #expect(Swift.abs(q.reduce(0, +) - 1) < 1e-12)
      #expect(q.allSatisfy { $0 >= 0 })
    }
    let one = try BestOfN.distribution(base: base, scores: scores, n: 1)
    #expect(maxAbsDifference(one, base) < 1e-15)
    // Hand values for n = 2: top response (p = 0.1): 1 − 0.9² = 0.19. The
    // tie group {1, 2} (P = 0.3, F = 0.9, F⁻ = 0.6): 0.81 − 0.36 = 0.45,
    // shared 0.25 : 0.05 → 0.375 and 0.075. The group {0, 4} (P = 0.3,
    // F = 0.6, F⁻ = 0.3): 0.36 − 0.09 = 0.27 → 0.09 and 0.18; the lowest:
    // 0.3² = 0.09.
    let two = try BestOfN.distribution(base: base, scores: scores, n: 2)
    #expect(maxAbsDifference(two, [0.09, 0.375, 0.075, 0.09, 0.18, 0.19]) < 1e-15)
  }

  /// The exact distribution against best-of-n simulated with `select`
  /// (base draws from `p`, their scores, the argmax with random ties):
  /// every response's frequency within 5 standard errors.
  @Test func distributionMatchesMonteCarlo() throws {
    let n = 3
    let trials = 60_000
    var rng = PCG64(seed: 7)
    var cdf: [Double] = []
    var acc = 0.0
    for v in base {
      acc += v
      cdf.append(acc)
    }
    var draws = [Int](repeating: 0, count: trials * n)
    var candidateScores = [Double](repeating: 0, count: trials * n)
    for t in 0..<(trials * n) {
      let u = rng.nextUnitDouble()
      let y = cdf.firstIndex { u < $0 } ?? (base.count - 1)
      draws[t] = y
      candidateScores[t] = scores[y]
    }
    let picks = try BestOfN.select(scores: candidateScores, rows: trials, n: n, seed: 3)
    var counts = [Double](repeating: 0, count: base.count)
    for r in 0..<trials { counts[draws[r * n + Int(picks[r])]] += 1 }
    let q = try BestOfN.distribution(base: base, scores: scores, n: n)
    for i in base.indices {
      let se = (q[i] * (1 - q[i]) / Double(trials)).squareRoot()
      #expect(Swift.abs(counts[i] / Double(trials) - q[i]) < 5 * se, "response \(i)")
    }
  }

  /// n = 10⁶ with a top response of probability 1e-7: the kept response is
  /// the top one with probability 1 − (1 − 1e-7)^10⁶ = −expm1(10⁶ log1p(−1e-7))
  /// ≈ 0.0951626 (≈ 1 − e^{−0.1}); naive pow(1 − G, n) differences lose
  /// digits, the log-space form does not.
  @Test func largeNStaysAccurate() throws {
    let p: [Double] = [1e-7, 0.5 - 1e-7, 0.5]
    let s: [Double] = [2, 1, 0]
    let n = 1_000_000
    let q = try BestOfN.distribution(base: p, scores: s, n: n)
    let top = -expm1(Double(n) * log1p(-1e-7))
    #expect(Swift.abs(q[0] - top) < 1e-13)
    #expect(Swift.abs(top - (1 - exp(-0.1))) < 1e-8)
    // The bottom response is kept only if all draws hit it: 0.5^10⁶ = 0.
    #expect(q[2] == 0)
    #expect(Swift.abs(q.reduce(0, +) - 1) < 1e-12)
  }

  /// Continuous-like: 20 000 equally likely responses with distinct scores;
  /// the exact KL equals log n − (n−1)/n to O(1/M) (a Riemann sum of the
  /// continuous integral), for several n.
  @Test func klMeetsTheBoundForContinuousLikeScores() throws {
    let m = 20_000
    let p = [Double](repeating: 1 / Double(m), count: m)
    let s = (0..<m).map { Double(($0 * 7919) % m) }  // a permutation: distinct
    for n in [1, 2, 4, 16, 64] {
      let exact = try BestOfN.klExact(base: p, scores: s, n: n)
      let bound = try BestOfN.klBound(n: n)
      #expect(exact <= bound + 1e-12)
      #expect(Swift.abs(exact - bound) < 1e-5, "n = \(n): \(exact) vs \(bound)")
    }
    #expect(try BestOfN.klBound(n: 1) == 0)
  }

  /// With ties or few responses the bound is strict.
  @Test func klIsStrictlyBelowTheBoundWithTiesOrFewResponses() throws {
    // Two equally likely responses, n = 2: q = (0.75, 0.25);
    // KL = 0.75 ln 1.5 + 0.25 ln 0.5 = 0.130812035941137 (by hand:
    // 0.75 · 0.405465108108164 − 0.25 · 0.693147180559945);
    // the bound ln 2 − ½ = 0.193147180559945.
    let kl = try BestOfN.klExact(base: [0.5, 0.5], scores: [1, 0], n: 2)
    #expect(Swift.abs(kl - 0.130812035941137) < 1e-14)
    #expect(try BestOfN.klBound(n: 2) - kl > 0.06)
    // All scores tied: best-of-n is the base policy, KL = 0.
    #expect(try BestOfN.klExact(base: base, scores: [Double](repeating: 1, count: 6), n: 50) == 0)
    // Ties in a random instance: exact KL from the distribution itself, below the bound.
    for n in [2, 5, 100] {
      let q = try BestOfN.distribution(base: base, scores: scores, n: n)
      var direct = 0.0
      for i in base.indices where q[i] > 0 { direct += q[i] * log(q[i] / base[i]) }
      let exact = try BestOfN.klExact(base: base, scores: scores, n: n)
      #expect(Swift.abs(direct - exact) < 1e-12)
      #expect(exact < (try BestOfN.klBound(n: n)) - 1e-3)
    }
  }

  @Test func badInputsThrow() {
    #expect(throws: SwiftPGError.self) { try BestOfN.select(scores: [], rows: 0, n: 1, seed: 0) }
    #expect(throws: SwiftPGError.self) { try BestOfN.select(scores: [1, 2, 3], rows: 2, n: 2, seed: 0) }
    #expect(throws: SwiftPGError.self) { try BestOfN.select(scores: [1, .nan], rows: 1, n: 2, seed: 0) }
    #expect(throws: SwiftPGError.self) { try BestOfN.select(scores: [1], rows: 1, n: 1, seed: 0, firstRow: -1) }
    #expect(throws: SwiftPGError.self) { try BestOfN.distribution(base: [0.5, 0.5], scores: [1], n: 2) }
    #expect(throws: SwiftPGError.self) { try BestOfN.distribution(base: [0.5, 0.6], scores: [1, 2], n: 2) }
    #expect(throws: SwiftPGError.self) { try BestOfN.distribution(base: [1.5, -0.5], scores: [1, 2], n: 2) }
    #expect(throws: SwiftPGError.self) { try BestOfN.distribution(base: [0.5, 0.5], scores: [1, .infinity], n: 2) }
    #expect(throws: SwiftPGError.self) { try BestOfN.distribution(base: [0.5, 0.5], scores: [1, 2], n: 0) }
    #expect(throws: SwiftPGError.self) { try BestOfN.distribution(base: [], scores: [], n: 1) }
    #expect(throws: SwiftPGError.self) { try BestOfN.klExact(base: [1], scores: [0], n: -3) }
    #expect(throws: SwiftPGError.self) { try BestOfN.klBound(n: 0) }
  }
}
