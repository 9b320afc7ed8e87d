import Testing

@testable import SwiftPG

/// The clamp policy of the two-action example: π(L) = clamp(θ, 0, 1).
@Suite struct ClampPolicyTests {
  static let cases: [PolicyCase] = [
    PolicyCase(name: "clamp") { try ClampPolicy(theta: 0.3) },
    PolicyCase(name: "clamp near 1") { try ClampPolicy(theta: 0.85) },
  ]

  /// Score, entropy and KL gradients and the Fisher-vector product
  /// against finite differences (`PolicyChecks`).
  @Test(arguments: cases)
  func derivativesMatchFiniteDifferences(_ c: PolicyCase) throws {
    try PolicyChecks.derivativesMatchFiniteDifferences(c)
  }

  /// At θ = 0.3: scores 1/θ and −1/(1 − θ), H = −θ log θ − (1 − θ) log(1 − θ),
  /// ∂H/∂θ = log((1 − θ)/θ), KL(0.6 ‖ 0.3), Fisher 1/(θ(1 − θ)).
  @Test func closedFormsByHand() throws {
    let p = try ClampPolicy(theta: 0.3)
    let obs: [Double] = [0, 0]
    let actions: [Int32] = [0, 1]
    var lp = [0.0, 0.0]
    p.logProbabilities(obs, actions: actions, batch: 2, into: &lp)
    let logs: [Double] = [_log(0.3), _log(1 - 0.3)]
    #expect(lp == logs)
    var vectors = [0.0, 0.0]
    p.scoreVectors(obs, actions: actions, batch: 2, into: &vectors)
    let scores: [Double] = [1 / 0.3, -1 / (1 - 0.3)]
    #expect(vectors == scores)
    var h = [0.0]
    p.entropies([0], batch: 1, into: &h)
    #expect(abs(h[0] - (-0.3 * _log(0.3) - 0.7 * _log(0.7))) < 1e-15)
    var dh = [0.0]
    p.entropyGradient([0, 0], weights: [1, 2], batch: 2, into: &dh)
    #expect(abs(dh[0] - 3 * _log(0.7 / 0.3)) < 1e-14)
    var kl = [0.0]
    p.klDivergences([0], batch: 1, oldParameters: [0.6], into: &kl)
    #expect(abs(kl[0] - (0.6 * _log(0.6 / 0.3) + 0.4 * _log(0.4 / 0.7))) < 1e-15)
    var fv = [0.0]
    p.fisherVectorProduct([0], batch: 1, vector: [2], into: &fv)
    #expect(abs(fv[0] - 2 / (0.3 * 0.7)) < 1e-13)
  }

  @Test func clampPolicyEdges() throws {
    let p = try ClampPolicy(theta: 1.5)
    var lp = [0.0, 0.0]
    let actions: [Int32] = [0, 1]
    p.logProbabilities([0, 0], actions: actions, batch: 2, into: &lp)
    #expect(lp[0] == 0 && lp[1] == -.infinity)
    var grad = [Double.nan]
    p.scoreGradient([0, 0], rawActions: actions, weights: [1, 1], batch: 2, into: &grad)
    #expect(grad == [0])
    var dh = [Double.nan]
    p.entropyGradient([0], weights: [1], batch: 1, into: &dh)
    var h = [Double.nan]
    p.entropies([0], batch: 1, into: &h)
    #expect(dh == [0] && h == [0])
    var fv = [Double.nan]
    p.fisherVectorProduct([0], batch: 1, vector: [1], into: &fv)
    #expect(fv == [0])
  }

  /// π(L) = θ: frequencies of 20 000 draws within 5 standard errors; the
  /// greedy action is the likelier one.
  @Test func sampling() throws {
    let p = try ClampPolicy(theta: 0.3)
    let n = 20_000
    var a = [Int32](repeating: -1, count: n)
    var g = PCG64(seed: 2)
    let obs = [Double](repeating: 0, count: n)
    a.withUnsafeMutableBytes { raw in p.sample(obs, batch: n, greedy: false, rawActions: raw.baseAddress!, using: &g) }
    let left = Double(a.filter { $0 == 0 }.count) / Double(n)
    #expect(abs(left - 0.3) < 5 * (0.21 / Double(n)).squareRoot() && a.allSatisfy { $0 == 0 || $0 == 1 })
    var greedy: [Int32] = [-1]
    greedy.withUnsafeMutableBytes { raw in p.sample([0], batch: 1, greedy: true, rawActions: raw.baseAddress!, using: &g) }
    #expect(greedy == [1])
  }

  @Test func validation() throws {
    #expect(throws: SwiftPGError.self) { try ClampPolicy(theta: .nan) }
    let p = try ClampPolicy()
    #expect(p.parameters == [0.5] && p.probabilityLeft == 0.5)
    #expect(throws: SwiftPGError.self) { try p.setParameters([0.1, 0.2]) }
    #expect(throws: SwiftPGError.self) { try p.setParameters([.infinity]) }
    try p.setParameters([-0.2])
    #expect(p.probabilityLeft == 0)
  }
}
