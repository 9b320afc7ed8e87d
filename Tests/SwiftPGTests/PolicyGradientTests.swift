import Testing

@testable import SwiftPG

/// Every hand-written gradient of every policy family against central
/// finite differences, at random parameters; Fisher-vector products against
/// the Fisher matrix built from the score vectors' exact expectation.
@Suite struct PolicyGradientTests {
  struct Case: Sendable, CustomStringConvertible {
    let name: String
    let make: @Sendable () throws -> any Policy
    var description: String { name }
  }

  static let cases: [Case] = [
    Case(name: "linear softmax") { try SoftmaxPolicy(observationSize: 3, actionCount: 3, hidden: [], headGain: 1, seed: 1) },
    Case(name: "MLP softmax tanh") {
      try SoftmaxPolicy(observationSize: 3, actionCount: 4, hidden: [5, 4], headGain: 1, seed: 2)
    },
    Case(name: "MLP softmax relu") {
      try SoftmaxPolicy(observationSize: 3, actionCount: 2, hidden: [6], activation: .relu, headGain: 1, seed: 3)
    },
    Case(name: "tabular softmax") { CategoricalPolicy(model: try TabularLogits(stateCount: 3, actionCount: 3)) },
    Case(name: "linear features") { CategoricalPolicy(model: try FeatureLogits(featureSize: 2, actionCount: 3)) },
    Case(name: "Gaussian linear, free std") { try GaussianPolicy(observationSize: 3, actionSize: 2, hidden: [], headGain: 1, seed: 4) },
    Case(name: "Gaussian MLP, free std") { try GaussianPolicy(observationSize: 3, actionSize: 2, hidden: [4], headGain: 1, seed: 5) },
    Case(name: "Gaussian MLP, state-dependent std") {
      try GaussianPolicy(observationSize: 3, actionSize: 2, hidden: [4], stateDependentStd: true, headGain: 1, seed: 6)
    },
    Case(name: "Gaussian linear, gSDE") {
      try GaussianPolicy(
        observationSize: 3, actionSize: 2, hidden: [], std: .gsde, initialLogStd: -0.5, headGain: 1, seed: 7)
    },
    Case(name: "clamp") { try ClampPolicy(theta: 0.3) },
  ]

  /// Observations and actions suited to the policy.
  func batch(_ p: any Policy, _ b: Int, _ g: inout PCG64) -> (obs: [Double], actions: [UInt8]) {
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

  /// Central finite differences of f at the policy's parameters.
  func numericGradient(_ p: any Policy, _ f: () -> Double) throws -> [Double] {
    let theta = p.parameters
    var grad = [Double](repeating: 0, count: theta.count)
    let h = 1e-6
    for k in theta.indices {
      var plus = theta
      plus[k] += h
      try p.setParameters(plus)
      let fp = f()
      var minus = theta
      minus[k] -= h
      try p.setParameters(minus)
      let fm = f()
      grad[k] = (fp - fm) / (2 * h)
    }
    try p.setParameters(theta)
    return grad
  }

  func expectClose(_ a: [Double], _ b: [Double], _ what: String) {
    #expect(a.count == b.count)
    for (k, (x, y)) in zip(a, b).enumerated() {
      #expect(abs(x - y) <= 1e-5 * Swift.max(1, abs(y)), "\(what): parameter \(k): \(x) vs \(y)")
    }
  }

  @Test(arguments: cases)
  func gradientsMatchFiniteDifferences(_ c: Case) throws {
    let p = try c.make()
    var g = PCG64(seed: 77)
    if p.family != .clamp { try p.setParameters(p.parameters.map { _ in 0.5 * g.standardNormal() }) }
    let b = 5
    let (obs, actions) = batch(p, b, &g)
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

    // KL(π ‖ π) = 0 and KL ≥ 0.
    var self_ = [Double](repeating: .nan, count: b)
    p.klDivergences(obs, batch: b, oldParameters: p.parameters, into: &self_)
    #expect(self_.allSatisfy { abs($0) < 1e-12 })
    #expect(kls().allSatisfy { $0 >= -1e-12 })
  }

  /// F v equals (1/B) Σ_i E_a[s sᵀ] v, with the expectation over actions
  /// taken exactly (categorical) or by the KL Hessian (finite differences of
  /// the KL gradient, for every family).
  @Test(arguments: cases)
  func fisherVectorProductIsTheKLHessian(_ c: Case) throws {
    let p = try c.make()
    var g = PCG64(seed: 5)
    if p.family != .clamp { try p.setParameters(p.parameters.map { _ in 0.5 * g.standardNormal() }) }
    let b = 4
    let (obs, _) = batch(p, b, &g)
    let n = p.parameterCount
    let v = (0..<n).map { _ in g.standardNormal() }
    var fv = [Double](repeating: .nan, count: n)
    p.fisherVectorProduct(obs, batch: b, vector: v, into: &fv)
    // Hessian of (1/B) Σ KL(π_θ0 ‖ π_θ) at θ = θ0, times v: directional
    // derivative of the KL gradient along v.
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
    for k in 0..<n {
      #expect(abs(fv[k] - hv[k]) <= 1e-5 * Swift.max(1, abs(hv[k])), "\(c.name): component \(k): \(fv[k]) vs \(hv[k])")
    }
  }

  @Test func gaussianSamplingMoments() throws {
    let p = try GaussianPolicy(observationSize: 1, actionSize: 1, hidden: [], initialLogStd: _log(0.5), headGain: 1, seed: 0)
    try p.setParameters([2.0, 1.0, _log(0.5)])  // μ = 2 s + 1, σ = 0.5
    let n = 50_000
    let obs = [Double](repeating: 0.25, count: n)
    var a = [Double](repeating: 0, count: n)
    var g = PCG64(seed: 1)
    a.withUnsafeMutableBytes { raw in p.sample(obs, batch: n, greedy: false, rawActions: raw.baseAddress!, using: &g) }
    let mean = a.reduce(0, +) / Double(n)
    let sd = (a.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)).squareRoot()
    #expect(abs(mean - 1.5) < 5 * 0.5 / Double(n).squareRoot())
    #expect(abs(sd - 0.5) < 5 * 0.5 / (2 * Double(n)).squareRoot())
    var greedy = [0.0]
    greedy.withUnsafeMutableBytes { raw in p.sample([0.25], batch: 1, greedy: true, rawActions: raw.baseAddress!, using: &g) }
    #expect(greedy[0] == 1.5)
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
  }
}
