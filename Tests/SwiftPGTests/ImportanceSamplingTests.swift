import Testing

@testable import SwiftPG

/// Estimators/ImportanceSampling.swift on its own: ratios, PPO's clipped
/// surrogate and its gradient weights, the k1/k3 KL estimators — golden
/// numbers and identities (issue 12: estimators tested not only through
/// Python).
@Suite struct ImportanceSamplingTests {
  @Test func ratiosAreExpOfLogDifferencesTruncatedAtClip() {
    let lp: [Double] = [0, _log(3), _log(0.5)]
    let blp: [Double] = [0, 0, 0]
    var out = [Double](repeating: 0, count: 3)
    importanceRatios(logProbs: lp, behaviorLogProbs: blp, count: 3, clip: 2, into: &out)
    #expect(out[0] == 1 && out[1] == 2 && Swift.abs(out[2] - 0.5) < 1e-15)
  }

  /// L = min(ρÂ, clip(ρ, 1−ε, 1+ε)Â); the gradient weight is ρÂ where the
  /// unclipped term is the minimum, else 0 (Schulman et al. 2017, eq. 7).
  @Test func clippedSurrogateGoldenNumbers() {
    let eps = 0.2
    // ρ = 1.5, 1.5, 0.5, 0.5, 1.1 with Â = +1, −1, +1, −1, +2.
    let lp = [1.5, 1.5, 0.5, 0.5, 1.1].map { _log($0) }
    let old = [Double](repeating: 0, count: 5)
    let adv: [Double] = [1, -1, 1, -1, 2]
    var objectives = [Double](repeating: 0, count: 5)
    var weights = [Double](repeating: 0, count: 5)
    let s = clippedSurrogate(
      logProbs: lp, oldLogProbs: old, advantages: adv, count: 5, epsilon: eps, objectives: &objectives,
      weights: &weights)
    let expected: [Double] = [1.2, -1.5, 0.5, -0.8, 2.2]
    for k in 0..<5 { #expect(Swift.abs(objectives[k] - expected[k]) < 1e-12, "L[\(k)]") }
    let expectedWeights: [Double] = [0, -1.5, 0.5, 0, 2.2]
    for k in 0..<5 { #expect(Swift.abs(weights[k] - expectedWeights[k]) < 1e-12, "w[\(k)]") }
    #expect(Swift.abs(s.objective - expected.reduce(0, +) / 5) < 1e-12)
    #expect(s.clipFraction == 0.8)  // |ρ − 1| > ε for all but ρ = 1.1
    // With ε = ∞ it is the importance-weighted surrogate ρÂ.
    let plain = clippedSurrogate(
      logProbs: lp, oldLogProbs: old, advantages: adv, count: 5, epsilon: .infinity, objectives: nil, weights: nil)
    #expect(Swift.abs(plain.objective - (1.5 - 1.5 + 0.5 - 0.5 + 2.2) / 5) < 1e-12 && plain.clipFraction == 0)
  }

  /// k1 = −log ρ, k3 = (ρ − 1) − log ρ ≥ 0; both unbiased for KL(π_old ‖ π):
  /// on the exact distribution of a two-action example their π_old-weighted
  /// means equal the KL.
  @Test func klEstimatorsAreUnbiasedOnAnEnumeratedExample() {
    let pOld = [0.3, 0.7]
    let p = [0.6, 0.4]
    let lp = p.map { _log($0) }
    let old = pOld.map { _log($0) }
    var k1 = [0.0, 0.0]
    var k3 = [0.0, 0.0]
    klEstimates(logProbs: lp, oldLogProbs: old, count: 2, k1: &k1, k3: &k3)
    let kl = pOld[0] * _log(pOld[0] / p[0]) + pOld[1] * _log(pOld[1] / p[1])
    #expect(Swift.abs(pOld[0] * k1[0] + pOld[1] * k1[1] - kl) < 1e-15)
    #expect(Swift.abs(pOld[0] * k3[0] + pOld[1] * k3[1] - kl) < 1e-15)
    #expect(k3.allSatisfy { $0 >= 0 } && k1.contains { $0 < 0 })
  }
}
