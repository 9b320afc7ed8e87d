import Testing

@testable import SwiftPG

#if canImport(Glibc)
  import Glibc
#endif

/// Central finite differences of `f` at `x`, step `h`.
func numericGradient(_ x: [Double], h: Double = 1e-5, _ f: ([Double]) throws -> Double) rethrows -> [Double] {
  var g = [Double](repeating: 0, count: x.count)
  for i in x.indices {
    var up = x, down = x
    up[i] += h
    down[i] -= h
    g[i] = (try f(up) - f(down)) / (2 * h)
  }
  return g
}

/// max |a − b| over the entries.
func maxAbsDifference(_ a: [Double], _ b: [Double]) -> Double {
  zip(a, b).map { Swift.abs($0 - $1) }.max() ?? 0
}

@Suite struct PreferenceLossesTests {
  typealias P = PreferenceLosses

  /// Scores with a spread that exercises both tails of σ.
  let chosen: [Double] = [0.3, -1.2, 2.5, 0.0, 4.0, -3.0]
  let rejected: [Double] = [0.1, 0.4, -0.5, 0.0, -2.0, 1.5]

  @Test func stableScalarPieces() {
    #expect(Swift.abs(P.softplus(0) - log(2.0)) < 1e-15)
    #expect(P.softplus(1e4) == 1e4 && P.softplus(-1e4) == 0)
    #expect(P.logSigmoid(-1e4) == -1e4 && P.logSigmoid(1e4) == 0)
    #expect(P.sigmoid(1e4) == 1 && P.sigmoid(-1e4) == 0 && P.sigmoid(0) == 0.5)
    for x in [-30.0, -2.5, -0.1, 0.7, 3, 25] {
      #expect(Swift.abs(P.sigmoid(x) - 1 / (1 + exp(-x))) < 1e-15)
      #expect(Swift.abs(P.softplus(x) - log1p(exp(x))) < 1e-13)
    }
  }

  /// At r_c = r_r the loss is log 2 and the derivative ∓½/N.
  @Test func bradleyTerryGoldenValues() throws {
    var dc: [Double] = [], dr: [Double] = []
    let r = try P.bradleyTerry(chosen: [1, 2], rejected: [1, 2], dChosen: &dc, dRejected: &dr)
    #expect(Swift.abs(r.loss - log(2.0)) < 1e-15)
    #expect(r.accuracy == 0.5 && r.meanMargin == 0)
    #expect(dc == [-0.25, -0.25] && dr == [0.25, 0.25])
    // One pair, r_c − r_r = 1, margin 1 → log 2 again; c = 0.5, (r_c + r_r)² = 9:
    // loss = log 2 + 4.5, ∂/∂r_c = −½ + 2·0.5·3 = 2.5, ∂/∂r_r = ½ + 3 = 3.5.
    let m = try P.bradleyTerry(
      chosen: [2], rejected: [1], margins: [1], centring: 0.5, dChosen: &dc, dRejected: &dr)
    #expect(Swift.abs(m.loss - (log(2.0) + 4.5)) < 1e-14)
    #expect(Swift.abs(dc[0] - 2.5) < 1e-14 && Swift.abs(dr[0] - 3.5) < 1e-14)
    #expect(m.accuracy == 1)  // accuracy ignores the margin
    // ln(1 + e^{-2}) = 0.12692801104297263 (by hand: e^{-2} = 0.1353352832366127).
    let g = try P.bradleyTerry(chosen: [2], rejected: [0], dChosen: &dc, dRejected: &dr)
    #expect(Swift.abs(g.loss - 0.12692801104297263) < 1e-15)
  }

  @Test func bradleyTerryDerivativesMatchFiniteDifferences() throws {
    let margins: [Double] = [0.5, 0, 1, 0.2, 0, 2]
    for (m, c) in [(nil, 0.0), (margins, 0.0), (margins, 0.3)] as [([Double]?, Double)] {
      var dc: [Double] = [], dr: [Double] = []
      _ = try P.bradleyTerry(chosen: chosen, rejected: rejected, margins: m, centring: c, dChosen: &dc, dRejected: &dr)
      var s1: [Double] = [], s2: [Double] = []
      let fc = try numericGradient(chosen) {
        try P.bradleyTerry(chosen: $0, rejected: rejected, margins: m, centring: c, dChosen: &s1, dRejected: &s2).loss
      }
      let fr = try numericGradient(rejected) {
        try P.bradleyTerry(chosen: chosen, rejected: $0, margins: m, centring: c, dChosen: &s1, dRejected: &s2).loss
      }
      #expect(maxAbsDifference(dc, fc) < 1e-9)
      #expect(maxAbsDifference(dr, fr) < 1e-9)
    }
  }

  @Test func noOverflowAtLargeScores() throws {
    var dc: [Double] = [], dr: [Double] = []
    let r = try P.bradleyTerry(chosen: [1e4, -1e4], rejected: [-1e4, 1e4], dChosen: &dc, dRejected: &dr)
    #expect(Swift.abs(r.loss - 1e4) < 1e-9)  // (0 + 2e4)/2
    #expect(dc == [0, -0.5] && dr == [0, 0.5])
    var ds: [Double] = []
    let k = try P.ranking(scores: [1e4, -1e4, 0], rankings: [1, 0, 2], k: 3, dScores: &ds)
    #expect(k.loss.isFinite && ds.allSatisfy(\.isFinite))
    var dw: [Double] = [], dl: [Double] = []
    let d = try P.dpo(
      policyChosen: [-1e4, 1e4], policyRejected: [1e4, -1e4], referenceChosen: [0, 0], referenceRejected: [0, 0],
      beta: 1, labelSmoothing: 0.1, dPolicyChosen: &dw, dPolicyRejected: &dl)
    #expect(d.loss.isFinite && dw.allSatisfy(\.isFinite))
  }

  @Test func badInputsThrow() {
    var a: [Double] = [], b: [Double] = []
    #expect(throws: SwiftPGError.self) { try P.bradleyTerry(chosen: [], rejected: [], dChosen: &a, dRejected: &b) }
    #expect(throws: SwiftPGError.self) { try P.bradleyTerry(chosen: [1], rejected: [1, 2], dChosen: &a, dRejected: &b) }
    #expect(throws: SwiftPGError.self) { try P.bradleyTerry(chosen: [.nan], rejected: [1], dChosen: &a, dRejected: &b) }
    #expect(throws: SwiftPGError.self) {
      try P.bradleyTerry(chosen: [1], rejected: [.infinity], dChosen: &a, dRejected: &b)
    }
    #expect(throws: SwiftPGError.self) {
      try P.bradleyTerry(chosen: [1], rejected: [0], margins: [1, 2], dChosen: &a, dRejected: &b)
    }
    #expect(throws: SwiftPGError.self) {
      try P.bradleyTerry(chosen: [1], rejected: [0], centring: -1, dChosen: &a, dRejected: &b)
    }
    #expect(throws: SwiftPGError.self) { try P.ranking(scores: [1, 2], rankings: [0], k: 1, dScores: &a) }
    #expect(throws: SwiftPGError.self) { try P.ranking(scores: [1, 2, 3], rankings: [0, 0, 1], k: 3, dScores: &a) }
    #expect(throws: SwiftPGError.self) { try P.ranking(scores: [1, 2, 3], rankings: [0, 3, 1], k: 3, dScores: &a) }
    #expect(throws: SwiftPGError.self) { try P.ranking(scores: [1, 2, 3, 4], rankings: [0, 1, 2], k: 3, dScores: &a) }
    #expect(throws: SwiftPGError.self) { try P.ranking(scores: [], rankings: [], k: 2, dScores: &a) }
    for beta in [0.0, -1, .nan, .infinity] {
      #expect(throws: SwiftPGError.self) {
        try P.dpo(
          policyChosen: [0], policyRejected: [0], referenceChosen: [0], referenceRejected: [0], beta: beta,
          dPolicyChosen: &a, dPolicyRejected: &b)
      }
      #expect(throws: SwiftPGError.self) {
        try P.ipo(
          policyChosen: [0], policyRejected: [0], referenceChosen: [0], referenceRejected: [0], tau: beta,
          dPolicyChosen: &a, dPolicyRejected: &b)
      }
    }
    #expect(throws: SwiftPGError.self) {
      try P.dpo(
        policyChosen: [0], policyRejected: [0], referenceChosen: [0], referenceRejected: [0], beta: 1,
        labelSmoothing: 0.5, dPolicyChosen: &a, dPolicyRejected: &b)
    }
    #expect(throws: SwiftPGError.self) {
      try P.dpo(
        policyChosen: [], policyRejected: [], referenceChosen: [], referenceRejected: [], beta: 1,
        dPolicyChosen: &a, dPolicyRejected: &b)
    }
    #expect(throws: SwiftPGError.self) {
      try P.dpo(
        policyChosen: [0], policyRejected: [0], referenceChosen: [0, 1], referenceRejected: [0], beta: 1,
        dPolicyChosen: &a, dPolicyRejected: &b)
    }
    #expect(throws: SwiftPGError.self) {
      try P.ipo(
        policyChosen: [0], policyRejected: [-.infinity], referenceChosen: [0], referenceRejected: [0], tau: 1,
        dPolicyChosen: &a, dPolicyRejected: &b)
    }
    #expect(a.isEmpty && b.isEmpty)  // nothing was written by a refused call
  }

  /// With k = 2 the ranking loss is the pairwise loss (C(2,2) = 1).
  @Test func rankingWithTwoCandidatesIsPairwise() throws {
    var scores: [Double] = [], rankings: [Int32] = []
    for i in chosen.indices {
      // Alternate the candidate order so the ranking is not always [0, 1].
      if i % 2 == 0 {
        scores += [chosen[i], rejected[i]]
        rankings += [0, 1]
      } else {
        scores += [rejected[i], chosen[i]]
        rankings += [1, 0]
      }
    }
    var ds: [Double] = [], dc: [Double] = [], dr: [Double] = []
    let k = try P.ranking(scores: scores, rankings: rankings, k: 2, dScores: &ds)
    let p = try P.bradleyTerry(chosen: chosen, rejected: rejected, dChosen: &dc, dRejected: &dr)
    #expect(Swift.abs(k.loss - p.loss) < 1e-15 && k.accuracy == p.accuracy)
    for i in chosen.indices {
      let (c, r) = i % 2 == 0 ? (2 * i, 2 * i + 1) : (2 * i + 1, 2 * i)
      #expect(Swift.abs(ds[c] - dc[i]) < 1e-15 && Swift.abs(ds[r] - dr[i]) < 1e-15)
    }
  }

  @Test func rankingDerivativesMatchFiniteDifferences() throws {
    let k = 4
    let scores: [Double] = [0.5, -1, 2, 0.1, 3, 0, -2, 1.5, -0.3, -0.3, 0.8, 4]
    let rankings: [Int32] = [2, 0, 3, 1, 0, 3, 1, 2, 3, 1, 0, 2]
    var ds: [Double] = []
    let r = try P.ranking(scores: scores, rankings: rankings, k: k, dScores: &ds)
    var scratch: [Double] = []
    let fd = try numericGradient(scores) { try P.ranking(scores: $0, rankings: rankings, k: k, dScores: &scratch).loss }
    #expect(maxAbsDifference(ds, fd) < 1e-9)
    // Row 0 is ordered exactly (2 > 0.5 > 0.1 > −1): all 6 pairs right.
    // Row 1 ranks 3,0 wrong... count by hand: candidates 0..3 = [3, 0, −2, 1.5],
    // ranking 0 > 3 > 1 > 2: scores 3 > 1.5 > 0 > −2, all 6 right.
    // Row 2: [−0.3, −0.3, 0.8, 4], ranking 3 > 1 > 0 > 2: pairs (3,1) ✓ (3,0) ✓ (3,2) ✓
    // (1,0) tie ½, (1,2) ✗, (0,2) ✗ → 3.5. Total (6 + 6 + 3.5)/18.
    #expect(Swift.abs(r.accuracy - 15.5 / 18) < 1e-15)
    // Hand value of one row: k = 3, scores [0, 0, 0] → loss log 2.
    let flat = try P.ranking(scores: [0, 0, 0], rankings: [2, 1, 0], k: 3, dScores: &scratch)
    #expect(Swift.abs(flat.loss - log(2.0)) < 1e-15)
  }

  let pc: [Double] = [-3.1, -7.5, -2.0, -10.2, -4.4]
  let pr: [Double] = [-4.0, -6.5, -2.5, -9.0, -4.4]
  let rc: [Double] = [-3.5, -7.0, -2.2, -10.0, -5.0]
  let rr: [Double] = [-3.9, -7.2, -2.1, -9.5, -4.0]

  @Test func dpoDerivativesMatchFiniteDifferences() throws {
    for (beta, eps) in [(0.1, 0.0), (1.0, 0.0), (0.5, 0.2)] {
      var dw: [Double] = [], dl: [Double] = [], s1: [Double] = [], s2: [Double] = []
      _ = try P.dpo(
        policyChosen: pc, policyRejected: pr, referenceChosen: rc, referenceRejected: rr, beta: beta,
        labelSmoothing: eps, dPolicyChosen: &dw, dPolicyRejected: &dl)
      let fw = try numericGradient(pc) {
        try P.dpo(
          policyChosen: $0, policyRejected: pr, referenceChosen: rc, referenceRejected: rr, beta: beta,
          labelSmoothing: eps, dPolicyChosen: &s1, dPolicyRejected: &s2
        ).loss
      }
      let fl = try numericGradient(pr) {
        try P.dpo(
          policyChosen: pc, policyRejected: $0, referenceChosen: rc, referenceRejected: rr, beta: beta,
          labelSmoothing: eps, dPolicyChosen: &s1, dPolicyRejected: &s2
        ).loss
      }
      #expect(maxAbsDifference(dw, fw) < 1e-9)
      #expect(maxAbsDifference(dl, fl) < 1e-9)
    }
  }

  /// Rafailov et al. §4: ∇L = −β σ(r̂_l − r̂_w)[∇log π(y_w) − ∇log π(y_l)]
  /// per pair (mean over N), with r̂ = β log π/π_ref; and the statistics.
  @Test func dpoGradientWeightAndStatistics() throws {
    let beta = 0.3
    var dw: [Double] = [], dl: [Double] = []
    let r = try P.dpo(
      policyChosen: pc, policyRejected: pr, referenceChosen: rc, referenceRejected: rr, beta: beta,
      dPolicyChosen: &dw, dPolicyRejected: &dl)
    let n = Double(pc.count)
    var loss = 0.0, acc = 0.0
    for i in pc.indices {
      let rw = beta * (pc[i] - rc[i]), rl = beta * (pr[i] - rr[i])
      let weight = beta / (1 + exp(rw - rl))  // β σ(r̂_l − r̂_w)
      #expect(Swift.abs(dw[i] - (-weight / n)) < 1e-15 && dl[i] == -dw[i])
      loss += -log(1 / (1 + exp(-(rw - rl))))
      acc += rw > rl ? 1 : (rw == rl ? 0.5 : 0)
    }
    #expect(Swift.abs(r.loss - loss / n) < 1e-14)
    #expect(r.rewardAccuracy == acc / n)
    // Pair 4: h = (−4.4 + 5) − (−4.4 + 4) = 1.0; pairs 0..3 by hand:
    // 0: 0.4 − (−0.1) = 0.5; 1: −0.5 − 0.7 = −1.2; 2: 0.2 − (−0.4) = 0.6; 3: −0.2 − 0.5 = −0.7.
    let margin = beta * (0.5 - 1.2 + 0.6 - 0.7 + 1.0) / n
    #expect(Swift.abs(r.rewardMargin - margin) < 1e-14)
    #expect(Swift.abs(r.chosenReward - r.rejectedReward - margin) < 1e-14)
    #expect(r.rewardAccuracy == 3.0 / 5)
    // At h = 0 the loss is log 2.
    let zero = try P.dpo(
      policyChosen: [-1], policyRejected: [-2], referenceChosen: [-1], referenceRejected: [-2], beta: 5,
      dPolicyChosen: &dw, dPolicyRejected: &dl)
    #expect(Swift.abs(zero.loss - log(2.0)) < 1e-15 && dw == [-2.5])
  }

  @Test func ipoDerivativesAndMinimiser() throws {
    let tau = 0.25
    var dw: [Double] = [], dl: [Double] = [], s1: [Double] = [], s2: [Double] = []
    _ = try P.ipo(
      policyChosen: pc, policyRejected: pr, referenceChosen: rc, referenceRejected: rr, tau: tau,
      dPolicyChosen: &dw, dPolicyRejected: &dl)
    let fw = try numericGradient(pc) {
      try P.ipo(
        policyChosen: $0, policyRejected: pr, referenceChosen: rc, referenceRejected: rr, tau: tau,
        dPolicyChosen: &s1, dPolicyRejected: &s2
      ).loss
    }
    #expect(maxAbsDifference(dw, fw) < 1e-8)
    #expect(maxAbsDifference(dl, fw.map { -$0 }) < 1e-8)
    // The minimiser: h = 1/(2τ) = 2 gives zero loss and zero derivative;
    // h = 2 ± 0.5 gives 0.25 and ±1.
    let at = try P.ipo(
      policyChosen: [-1], policyRejected: [-3], referenceChosen: [0], referenceRejected: [0], tau: tau,
      dPolicyChosen: &dw, dPolicyRejected: &dl)
    #expect(at.loss == 0 && dw == [0] && dl == [0])
    let above = try P.ipo(
      policyChosen: [-0.5], policyRejected: [-3], referenceChosen: [0], referenceRejected: [0], tau: tau,
      dPolicyChosen: &dw, dPolicyRejected: &dl)
    #expect(above.loss == 0.25 && dw == [1] && dl == [-1])
    // Gradient descent on h alone converges to 1/(2τ) from either side.
    for start in [-3.0, 10.0] {
      var h = start
      for _ in 0..<200 {
        _ = try P.ipo(
          policyChosen: [h], policyRejected: [0], referenceChosen: [0], referenceRejected: [0], tau: tau,
          dPolicyChosen: &dw, dPolicyRejected: &dl)
        h -= 0.1 * dw[0]
      }
      #expect(Swift.abs(h - 2) < 1e-9)
    }
  }

  /// A pair weight of 2 is the pair listed twice (DPO and IPO: loss,
  /// derivatives up to the split between the copies, statistics).
  @Test func pairWeightEqualsRepetition() throws {
    let pc = [-1.0, -2.5, -0.3], pr = [-1.5, -2.0, -0.9], rc = [-1.2, -2.2, -0.5], rr = [-1.1, -2.4, -0.7]
    var dcW: [Double] = [], drW: [Double] = [], dcR: [Double] = [], drR: [Double] = []
    let rep = { (x: [Double]) in x + [x[1]] }
    for ipo in [false, true] {
      let weighted = ipo
        ? try PreferenceLosses.ipo(policyChosen: pc, policyRejected: pr, referenceChosen: rc, referenceRejected: rr,
          tau: 0.4, weights: [1, 2, 1], dPolicyChosen: &dcW, dPolicyRejected: &drW)
        : try PreferenceLosses.dpo(policyChosen: pc, policyRejected: pr, referenceChosen: rc, referenceRejected: rr,
          beta: 0.4, weights: [1, 2, 1], dPolicyChosen: &dcW, dPolicyRejected: &drW)
      let repeated = ipo
        ? try PreferenceLosses.ipo(policyChosen: rep(pc), policyRejected: rep(pr), referenceChosen: rep(rc),
          referenceRejected: rep(rr), tau: 0.4, dPolicyChosen: &dcR, dPolicyRejected: &drR)
        : try PreferenceLosses.dpo(policyChosen: rep(pc), policyRejected: rep(pr), referenceChosen: rep(rc),
          referenceRejected: rep(rr), beta: 0.4, dPolicyChosen: &dcR, dPolicyRejected: &drR)
      #expect(abs(weighted.loss - repeated.loss) < 1e-15)
      #expect(abs(weighted.rewardMargin - repeated.rewardMargin) < 1e-15)
      #expect(abs(dcW[1] - (dcR[1] + dcR[3])) < 1e-15 && abs(dcW[0] - dcR[0]) < 1e-15)
    }
    #expect(throws: SwiftPGError.self) {
      try PreferenceLosses.dpo(policyChosen: pc, policyRejected: pr, referenceChosen: rc, referenceRejected: rr,
        beta: 0.4, weights: [0, 0, 0], dPolicyChosen: &dcW, dPolicyRejected: &drW)
    }
  }
}
