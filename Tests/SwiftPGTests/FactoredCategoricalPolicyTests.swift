import Testing

@testable import SwiftPG

/// The factored categorical policy (MultiDiscrete actions, issue 21).
@Suite struct FactoredCategoricalPolicyTests {
  static let factors = [3, 2, 2]

  func policy(_ factors: [Int] = factors, seed: UInt64 = 3) throws(SwiftPGError) -> SoftmaxPolicy {
    try SoftmaxPolicy(observationSize: 3, factorSizes: factors, hidden: [5], headGain: 1, seed: seed)
  }

  func batch(_ p: SoftmaxPolicy, _ b: Int) -> (obs: [Double], actions: [Int32], ws: [Double], we: [Double]) {
    var g = PCG64(seed: 17)
    let obs = (0..<(b * 3)).map { _ in g.standardNormal() }
    let actions = (0..<b).map { _ in Int32(g.next() % UInt64(p.actionCount)) }
    return (obs, actions, (0..<b).map { _ in g.standardNormal() }, (0..<b).map { _ in g.standardNormal() })
  }

  func surrogate(_ p: SoftmaxPolicy, _ x: (obs: [Double], actions: [Int32], ws: [Double], we: [Double]))
    -> (value: Double, gradient: [Double])
  {
    let b = x.actions.count
    var grad = [Double](repeating: .nan, count: p.parameterCount)
    var lp = [Double](repeating: 0, count: b)
    var h = lp
    x.obs.withUnsafeBufferPointer { o in
      x.actions.withUnsafeBytes { a in
        p.surrogateGradient(
          o.baseAddress!, rawActions: a.baseAddress!, batch: b, logProbabilities: &lp, entropies: &h,
          weigh: { _, _, s, e in
            for i in 0..<b {
              s[i] = x.ws[i]
              e[i] = x.we[i]
            }
          }, into: &grad)
      }
    }
    var value = 0.0
    for i in 0..<b { value += x.ws[i] * lp[i] + x.we[i] * h[i] }
    return (value, grad)
  }

  /// The one-pass surrogate gradient Σ ws ∇log π + we ∇H (per-factor
  /// entropies in ∂H/∂z_k) equals central finite differences.
  @Test func surrogateGradientMatchesFiniteDifferences() throws {
    let p = try policy()
    #expect(p.actionCount == 12 && p.family == .factoredSoftmax)
    let x = batch(p, 6)
    let grad = surrogate(p, x).gradient
    let numeric = try centralDifferences(p.parameters, set: { try p.setParameters($0) }) { surrogate(p, x).value }
    for k in grad.indices {
      #expect(abs(numeric[k] - grad[k]) <= 1e-6 * Swift.max(1, abs(numeric[k])), "parameter \(k)")
    }
  }

  /// One factor: the same numbers, bit for bit, as the plain softmax policy.
  @Test func oneFactorIsThePlainSoftmax() throws {
    let f = try policy([4], seed: 9)
    let s = try SoftmaxPolicy(observationSize: 3, actionCount: 4, hidden: [5], headGain: 1, seed: 9)
    #expect(f.parameters == s.parameters)
    let x = batch(s, 8)
    let a = surrogate(f, x)
    let b = surrogate(s, x)
    #expect(a.value == b.value && a.gradient == b.gradient)
  }

  /// Checkpoints keep the factors; a specification whose factors do not sum
  /// to the logit count is a format error.
  @Test func checkpointRoundTripAndBadSpecification() throws {
    let p = try policy()
    let q = try PolicyRecord.deserialize(PolicyRecord.serialize(p))
    let r = try #require(q as? SoftmaxPolicy)
    #expect(r.factorSizes == Self.factors && r.parameters == p.parameters && r.specification == p.specification)
    var spec = p.specification
    spec[spec.count - 2] = 3  // factors 3, 2, 3: 8 logits for an MLP of 7
    for bad in [spec, [], [1], Array(p.specification.dropLast()) + [9]] {
      let c = Checkpoint.Contents(
        kind: .policy, family: UInt32(PolicyFamily.factoredSoftmax.rawValue), specification: bad,
        parameters: p.parameters)
      #expect(throws: SwiftPGError.self) { try Checkpoint.policy(from: c, source: "test") }
    }
  }

  @Test func badFactorsAreRefused() {
    for (factors, code) in [([], StatusCode.invalidArgument), ([1], .invalidArgument), ([2, 0], .invalidArgument),
      (Array(repeating: 2, count: 31), .tooLarge), ([70000], .invalidArgument)] as [([Int], StatusCode)]
    {
      #expect(throws: SwiftPGError.self) { try policy(factors) }
      do throws(SwiftPGError) { _ = try policy(factors) } catch { #expect(error.code == code, "\(factors)") }
    }
  }
}
