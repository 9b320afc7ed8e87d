import Testing

@testable import SwiftPG

/// Algorithms/PolicySurrogate.swift: ĝ = Σ ψ_t ∇log π + Σ c_t ∇H in one
/// pass, returning Σ ψ_t log π; and the policies' fused surrogate pass it
/// runs on.
@Suite struct PolicySurrogateTests {
  /// A batch for `policy`: observations, raw actions, and the log π / score
  /// helpers that read them.
  struct Batch {
    let obs: [Double]
    let actions: [UInt8]
    let b: Int
    func logProbs(_ p: any Policy) -> [Double] {
      var out = [Double](repeating: 0, count: b)
      actions.withUnsafeBytes { a in p.logProbabilities(obs, actions: a.baseAddress!, batch: b, into: &out) }
      return out
    }
    func score(_ p: any Policy, _ w: [Double]) -> [Double] {
      var out = [Double](repeating: 0, count: p.parameterCount)
      actions.withUnsafeBytes { a in p.scoreGradient(obs, rawActions: a.baseAddress!, weights: w, batch: b, into: &out) }
      return out
    }
  }

  func batch(_ p: any Policy, _ b: Int, _ g: inout PCG64) -> Batch {
    let obs = (0..<(b * p.observationSize)).map { _ in g.standardNormal() }
    switch p.actionSpace {
    case .discrete(let n):
      let a: [Int32] = (0..<b).map { _ in Int32(g.next() % UInt64(n)) }
      return Batch(obs: obs, actions: a.withUnsafeBytes { Array($0) }, b: b)
    case .box(let low, _):
      let a = (0..<(b * low.count)).map { _ in g.standardNormal() }
      return Batch(obs: obs, actions: a.withUnsafeBytes { Array($0) }, b: b)
    }
  }

  static let policies: [@Sendable () throws -> any Policy] = [
    { try SoftmaxPolicy(observationSize: 3, actionCount: 4, hidden: [5], headGain: 1, seed: 2) },
    { try GaussianPolicy(observationSize: 3, actionSize: 2, hidden: [4], headGain: 1, seed: 3) },
  ]

  /// PolicySurrogate.gradient = scoreGradient(ψ) + entropyGradient(c)
  /// computed separately, and its value = Σ ψ_t log π(a_t|s_t).
  @Test(arguments: 0..<2)
  func gradientIsScorePlusEntropyAndValueIsWeightedLogProbs(_ which: Int) throws {
    let policy = try Self.policies[which]()
    var g = PCG64(seed: 5)
    let b = 7
    let x = batch(policy, b, &g)
    let psi = (0..<b).map { _ in g.standardNormal() }
    let c = (0..<b).map { _ in g.standardNormal() }
    var fused = [Double](repeating: .nan, count: policy.parameterCount)
    let value = x.obs.withUnsafeBufferPointer { o in
      x.actions.withUnsafeBytes { a in
        psi.withUnsafeBufferPointer { w in
          PolicySurrogate().gradient(
            policy, observations: o.baseAddress!, actions: a.baseAddress!, count: b, weights: w.baseAddress!,
            entropyWeight: { c[$0] }, into: &fused)
        }
      }
    }
    let score = x.score(policy, psi)
    let entropy = policy.entropyGrad(x.obs, weights: c)
    expectClose(fused, zip(score, entropy).map(+), 1e-12, "ĝ")
    let lp = x.logProbs(policy)
    #expect(abs(value - zip(psi, lp).map(*).reduce(0, +)) < 1e-12)
  }

  /// The on-policy form: ψ_t = Â_t / M and c_t = c_H / M.
  @Test func onPolicyFormAveragesOverTheBatch() throws {
    let policy = try SoftmaxPolicy(observationSize: 2, actionCount: 3, hidden: [], headGain: 1, seed: 4)
    var g = PCG64(seed: 6)
    let m = 5
    let obs = (0..<(m * 2)).map { _ in g.standardNormal() }
    let actions: [Int32] = [0, 2, 1, 1, 0]
    let adv = (0..<m).map { _ in g.standardNormal() }
    let d = makeTrajectories(
      observationSize: 2, actionSpace: .discrete(3), steps: m, observations: obs, actions: actions,
      rewards: [Double](repeating: 0, count: m))
    var grad = [Double](repeating: .nan, count: policy.parameterCount)
    let value = adv.withUnsafeBufferPointer { a in
      PolicySurrogate().gradient(policy, d, advantages: a.baseAddress!, entropyCoef: 0.3, into: &grad)
    }
    let expected = zip(
      policy.score(obs, actions, weights: adv.map { $0 / 5 }),
      policy.entropyGrad(obs, weights: [Double](repeating: 0.3 / 5, count: m))
    ).map(+)
    expectClose(grad, expected, 1e-12, "(1/M) Σ Â ∇log π + (c_H/M) Σ ∇H")
    let lp = policy.logProbs(obs, actions)
    #expect(abs(value - zip(adv, lp).map { $0 * $1 / 5 }.reduce(0, +)) < 1e-12)
  }

  /// The policies' one-pass surrogate gradients equal the generic composition
  /// (separate score and entropy passes).
  @Test func surrogateGradientMatchesSeparatePasses() throws {
    let policy = try SoftmaxPolicy(observationSize: 3, actionCount: 4, hidden: [5], seed: 2)
    var g = PCG64(seed: 5)
    let b = 7
    let obs = (0..<(b * 3)).map { _ in g.standardNormal() }
    let actions: [Int32] = (0..<b).map { _ in Int32(g.next() % 4) }
    let ws = (0..<b).map { _ in g.standardNormal() }
    let we = (0..<b).map { _ in g.standardNormal() }
    var fused = [Double](repeating: 0, count: policy.parameterCount)
    var lp = [Double](repeating: 0, count: b)
    var h = lp
    obs.withUnsafeBufferPointer { o in
      actions.withUnsafeBytes { a in
        policy.surrogateGradient(
          o.baseAddress!, rawActions: a.baseAddress!, batch: b, logProbabilities: &lp, entropies: &h,
          weigh: { _, _, s, e in
            for i in 0..<b {
              s[i] = ws[i]
              e[i] = we[i]
            }
          }, into: &fused)
      }
    }
    var score = [Double](repeating: 0, count: policy.parameterCount)
    var ent = score
    obs.withUnsafeBufferPointer { o in
      actions.withUnsafeBytes { a in
        policy.scoreGradient(o.baseAddress!, rawActions: a.baseAddress!, weights: ws, batch: b, into: &score)
        policy.entropyGradient(o.baseAddress!, weights: we, batch: b, into: &ent)
      }
    }
    for k in fused.indices { #expect(abs(fused[k] - (score[k] + ent[k])) < 1e-12) }
  }
}
