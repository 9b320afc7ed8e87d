import CSwiftPG
import Testing

@testable import SwiftPG

/// A named policy constructor, for tests parameterised over families.
struct PolicyCase: Sendable, CustomStringConvertible {
  let name: String
  let make: @Sendable () throws -> any Policy
  var description: String { name }
}

/// The contract of `Policy` that every family's tests check: each
/// hand-written gradient against central finite differences at random
/// parameters, and the Fisher-vector product against the KL Hessian.
enum PolicyChecks {
  /// Observations and actions suited to the policy.
  static func batch(_ p: any Policy, _ b: Int, _ g: inout PCG64) -> (obs: [Double], actions: [UInt8]) {
    var obs = [Double](repeating: 0, count: b * p.observationSize)
    if p.family == .tabularSoftmax {
      for r in 0..<b { obs[r * p.observationSize + Int(g.next() % UInt64(p.observationSize))] = 1 }
    } else {
      for i in obs.indices { obs[i] = g.standardNormal() }
    }
    var actions: [UInt8]
    switch p.actionSpace {
    case .discrete(let n):
      let a = (0..<b).map { _ in Int32(g.next() % UInt64(n)) }
      actions = a.withUnsafeBytes { Array($0) }
    case .box(let low, _):
      let a = (0..<(b * low.count)).map { _ in g.standardNormal() }
      actions = a.withUnsafeBytes { Array($0) }
    }
    return (obs, actions)
  }

  /// Random parameters (the clamp policy keeps its interior θ).
  static func randomize(_ p: any Policy, _ g: inout PCG64) throws {
    if p.family != .clamp { try p.setParameters(p.parameters.map { _ in 0.5 * g.standardNormal() }) }
  }

  /// A policy of case `c` at random parameters, a batch of `b`
  /// observations and actions for it, and the generator after those draws.
  static func setUp(_ c: PolicyCase, seed: UInt128, batch b: Int) throws
    -> (policy: any Policy, rng: PCG64, obs: [Double], actions: [UInt8])
  {
    let p = try c.make()
    var g = PCG64(seed: seed)
    try randomize(p, &g)
    let (obs, actions) = batch(p, b, &g)
    return (p, g, obs, actions)
  }

  /// Every derivative of the policy against finite differences: the
  /// gradients and the Fisher-vector product (the two checks below).
  static func derivativesMatchFiniteDifferences(_ c: PolicyCase) throws {
    try gradientsMatchFiniteDifferences(c)
    try fisherVectorProductIsTheKLHessian(c)
  }

  /// Central finite differences of f at the policy's parameters.
  static func numericGradient(_ p: any Policy, _ f: () -> Double) throws -> [Double] {
    try centralDifferences(p.parameters, set: { try p.setParameters($0) }, f)
  }

  static func expectClose(_ a: [Double], _ b: [Double], _ what: String, tolerance: Double = 1e-5) {
    #expect(a.count == b.count)
    for (k, (x, y)) in zip(a, b).enumerated() {
      #expect(abs(x - y) <= tolerance * Swift.max(1, abs(y)), "\(what): parameter \(k): \(x) vs \(y)")
    }
  }

  /// Score, score vectors, entropy and KL gradients against finite
  /// differences; KL(π ‖ π) = 0 and KL ≥ 0.
  static func gradientsMatchFiniteDifferences(_ c: PolicyCase) throws {
    let b = 5
    let setup = try setUp(c, seed: 77, batch: b)
    let (p, obs, actions) = (setup.policy, setup.obs, setup.actions)
    var g = setup.rng
    let weights = (0..<b).map { _ in g.standardNormal() }
    let old = p.parameters.map { $0 + 0.3 * g.standardNormal() }
    let n = p.parameterCount

    func sum(_ values: [Double]) -> Double { zip(values, weights).map(*).reduce(0, +) }
    func logps() -> [Double] {
      var out = [Double](repeating: 0, count: b)
      actions.withUnsafeBytes { a in p.logProbabilities(obs, actions: a.baseAddress!, batch: b, into: &out) }
      return out
    }
    func entropies() -> [Double] {
      var out = [Double](repeating: 0, count: b)
      p.entropies(obs, batch: b, into: &out)
      return out
    }
    func kls() -> [Double] {
      var out = [Double](repeating: 0, count: b)
      p.klDivergences(obs, batch: b, oldParameters: old, into: &out)
      return out
    }

    var score = [Double](repeating: .nan, count: n)
    actions.withUnsafeBytes { a in
      p.scoreGradient(obs, rawActions: a.baseAddress!, weights: weights, batch: b, into: &score)
    }
    expectClose(score, try numericGradient(p) { sum(logps()) }, "\(c.name) score")

    var vectors = [Double](repeating: .nan, count: b * n)
    actions.withUnsafeBytes { a in p.scoreVectors(obs, actions: a.baseAddress!, batch: b, into: &vectors) }
    let combined = (0..<n).map { k in (0..<b).map { weights[$0] * vectors[$0 * n + k] }.reduce(0, +) }
    expectClose(combined, score, "\(c.name) score vectors")

    var entropy = [Double](repeating: .nan, count: n)
    p.entropyGradient(obs, weights: weights, batch: b, into: &entropy)
    expectClose(entropy, try numericGradient(p) { sum(entropies()) }, "\(c.name) entropy")

    var kl = [Double](repeating: .nan, count: n)
    p.klGradient(obs, oldParameters: old, weights: weights, batch: b, into: &kl)
    expectClose(kl, try numericGradient(p) { sum(kls()) }, "\(c.name) KL")

    var self_ = [Double](repeating: .nan, count: b)
    p.klDivergences(obs, batch: b, oldParameters: p.parameters, into: &self_)
    #expect(self_.allSatisfy { abs($0) < 1e-12 })
    #expect(kls().allSatisfy { $0 >= -1e-12 })
  }

  /// F v equals the Hessian of (1/B) Σ KL(π_θ0 ‖ π_θ) at θ = θ0 times v:
  /// the directional derivative of the KL gradient along v.
  static func fisherVectorProductIsTheKLHessian(_ c: PolicyCase) throws {
    let b = 4
    let setup = try setUp(c, seed: 5, batch: b)
    let (p, obs) = (setup.policy, setup.obs)
    var g = setup.rng
    let n = p.parameterCount
    let v = (0..<n).map { _ in g.standardNormal() }
    var fv = [Double](repeating: .nan, count: n)
    p.fisherVectorProduct(obs, batch: b, vector: v, into: &fv)
    let theta0 = p.parameters
    let weights = [Double](repeating: 1 / Double(b), count: b)
    let h = 1e-5
    func klGrad(_ t: Double) throws -> [Double] {
      try p.setParameters(zip(theta0, v).map { $0 + t * $1 })
      var out = [Double](repeating: 0, count: n)
      p.klGradient(obs, oldParameters: theta0, weights: weights, batch: b, into: &out)
      return out
    }
    let plus = try klGrad(h)
    let minus = try klGrad(-h)
    try p.setParameters(theta0)
    let hv = zip(plus, minus).map { ($0 - $1) / (2 * h) }
    expectClose(fv, hv, "\(c.name) Fisher")
  }
}

/// The protocol's shared pieces: the surrogate gradient (generic and the
/// families' one-pass versions), temporary parameters, scratch buffers.
@Suite struct PolicyTests {
  static let allFamilies =
    LogitModelsTests.cases + MLPTests.policyCases + GaussianPolicyTests.cases + ClampPolicyTests.cases

  /// `surrogateGradient` writes log π and H, and the gradient
  /// Σ ws_i ∇log π_i + we_i ∇H_i with the weights `weigh` derives from them.
  @Test(arguments: allFamilies)
  func surrogateGradientIsScorePlusEntropy(_ c: PolicyCase) throws {
    let b = 6
    let (p, _, obs, actions) = try PolicyChecks.setUp(c, seed: 31, batch: b)
    let n = p.parameterCount
    func weigh(_ lp: UnsafePointer<Double>, _ en: UnsafePointer<Double>, _ ws: UnsafeMutablePointer<Double>,
      _ we: UnsafeMutablePointer<Double>)
    {
      for i in 0..<b {
        ws[i] = 0.5 + 0.1 * lp[i]
        we[i] = i % 3 == 0 ? 0 : 0.2 * en[i] - 0.1
      }
    }
    var lp = [Double](repeating: .nan, count: b)
    var en = [Double](repeating: .nan, count: b)
    var surrogate = [Double](repeating: .nan, count: n)
    actions.withUnsafeBytes { a in
      p.surrogateGradient(
        obs, rawActions: a.baseAddress!, batch: b, logProbabilities: &lp, entropies: &en, weigh: weigh,
        into: &surrogate)
    }
    var lpRef = [Double](repeating: 0, count: b)
    var enRef = [Double](repeating: 0, count: b)
    actions.withUnsafeBytes { a in p.logProbabilities(obs, actions: a.baseAddress!, batch: b, into: &lpRef) }
    p.entropies(obs, batch: b, into: &enRef)
    PolicyChecks.expectClose(lp, lpRef, "\(c.name) log π", tolerance: 1e-12)
    PolicyChecks.expectClose(en, enRef, "\(c.name) entropy", tolerance: 1e-12)
    var ws = [Double](repeating: 0, count: b)
    var we = [Double](repeating: 0, count: b)
    weigh(lpRef, enRef, &ws, &we)
    var score = [Double](repeating: 0, count: n)
    var entropy = [Double](repeating: 0, count: n)
    actions.withUnsafeBytes { a in
      p.scoreGradient(obs, rawActions: a.baseAddress!, weights: ws, batch: b, into: &score)
    }
    p.entropyGradient(obs, weights: we, batch: b, into: &entropy)
    PolicyChecks.expectClose(surrogate, zip(score, entropy).map(+), "\(c.name) surrogate", tolerance: 1e-10)
  }

  @Test func withParametersRestoresThem() throws {
    let p = try GaussianPolicy(observationSize: 2, actionSize: 1, hidden: [3], seed: 1)
    let theta = p.parameters
    let other = theta.map { $0 + 1 }
    let seen = other.withUnsafeBufferPointer { o in p.withParameters(o.baseAddress!) { p.parameters } }
    #expect(seen == other && p.parameters == theta)
  }

  @Test func scratchBufferGrowsAndIsReused() {
    let s = ScratchBuffer()
    let small = s.reserve(4)
    #expect(s.reserve(16) == small)
    let big = s.reserve(1000)
    big[999] = 1
    #expect(s.pointer == big && s.reserve(10) == big)
  }

  @Test func familyCodesMatchTheHeader() {
    #expect(PolicyFamily.softmaxMLP.rawValue == SWIFTPG_POLICY_SOFTMAX_MLP)
    #expect(PolicyFamily.tabularSoftmax.rawValue == SWIFTPG_POLICY_TABULAR)
    #expect(PolicyFamily.linearFeatures.rawValue == SWIFTPG_POLICY_LINEAR_FEATURES)
    #expect(PolicyFamily.gaussian.rawValue == SWIFTPG_POLICY_GAUSSIAN)
    #expect(PolicyFamily.clamp.rawValue == SWIFTPG_POLICY_CLAMP)
  }
}
