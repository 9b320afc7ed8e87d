import Testing

@testable import SwiftPG

@Suite struct CategoricalPolicyTests {
  /// Σ_i w_i log π(a_i|s_i) at the policy's current parameters.
  func objective(_ p: SoftmaxPolicy, _ obs: [Double], _ actions: [Int32], _ weights: [Double]) -> Double {
    var lp = [Double](repeating: 0, count: actions.count)
    p.logProbabilities(obs, actions: actions, batch: actions.count, into: &lp)
    return zip(lp, weights).map(*).reduce(0, +)
  }

  static let families: [(hidden: [Int], activation: Activation)] = [
    ([], .tanh), ([5], .tanh), ([6, 4], .tanh), ([7], .relu), ([5, 3], .relu),
  ]

  /// The hand-written score gradient equals central finite differences of
  /// Σ w log π at random parameters, for every architecture.
  @Test(arguments: 0..<families.count)
  func scoreGradientMatchesFiniteDifferences(family: Int) throws {
    let (hidden, activation) = Self.families[family]
    let d = 4
    let a = 3
    let b = 6
    let policy = try SoftmaxPolicy(
      observationSize: d, actionCount: a, hidden: hidden, activation: activation, headGain: 1, seed: 11)
    var g = PCG64(seed: 99)
    try policy.setParameters(policy.parameters.map { _ in g.standardNormal() * 0.7 })
    let obs = (0..<(b * d)).map { _ in g.standardNormal() }
    let actions = (0..<b).map { _ in Int32(g.next() % UInt64(a)) }
    let weights = (0..<b).map { _ in g.standardNormal() }
    var grad = [Double](repeating: .nan, count: policy.parameterCount)
    policy.scoreGradient(obs, actions: actions, weights: weights, batch: b, into: &grad)
    let theta = policy.parameters
    let h = 1e-6
    for k in theta.indices {
      var plus = theta
      plus[k] += h
      var minus = theta
      minus[k] -= h
      try policy.setParameters(plus)
      let fp = objective(policy, obs, actions, weights)
      try policy.setParameters(minus)
      let fm = objective(policy, obs, actions, weights)
      let numeric = (fp - fm) / (2 * h)
      #expect(abs(numeric - grad[k]) <= 1e-6 * Swift.max(1, abs(numeric)), "parameter \(k)")
    }
    try policy.setParameters(theta)
  }

  @Test func probabilitiesEntropyAndLogProbAgree() throws {
    let policy = try SoftmaxPolicy(observationSize: 3, actionCount: 4, hidden: [8], headGain: 1, seed: 2)
    var g = PCG64(seed: 5)
    let obs = (0..<(10 * 3)).map { _ in g.standardNormal() }
    var probs = [Double](repeating: 0, count: 40)
    policy.probabilities(obs, batch: 10, into: &probs)
    var entropy = [Double](repeating: 0, count: 10)
    policy.entropies(obs, batch: 10, into: &entropy)
    for r in 0..<10 {
      let row = probs[(4 * r)..<(4 * r + 4)]
      let total: Double = row.reduce(0, +)
      #expect(abs(total - 1) < 1e-12)
      let h: Double = -row.map { (p: Double) -> Double in p * _log(p) }.reduce(0, +)
      #expect(abs(h - entropy[r]) < 1e-12)
      for k in 0..<4 {
        var lp = [0.0]
        policy.logProbabilities(Array(obs[(3 * r)..<(3 * r + 3)]), actions: [Int32(k)], batch: 1, into: &lp)
        #expect(abs(_exp(lp[0]) - row[row.startIndex + k]) < 1e-12)
      }
    }
  }

  /// Sampled action frequencies match π within 5 standard errors.
  @Test func samplingFrequenciesMatchProbabilities() throws {
    let policy = try SoftmaxPolicy(observationSize: 2, actionCount: 3, hidden: [], headGain: 1, seed: 4)
    try policy.setParameters([0.5, -0.2, 0.1, 0.3, -0.4, 0.2, 0.0, 0.1, -0.3])
    let n = 60_000
    let obs = Array(repeating: [0.7, -1.1], count: n).flatMap { $0 }
    var actions = [Int32](repeating: -1, count: n)
    var g = PCG64(seed: 8)
    policy.sample(obs, batch: n, greedy: false, into: &actions, using: &g)
    var p = [0.0, 0.0, 0.0]
    policy.probabilities([0.7, -1.1], batch: 1, into: &p)
    for k in 0..<3 {
      let freq = Double(actions.filter { $0 == k }.count) / Double(n)
      let se = (p[k] * (1 - p[k]) / Double(n)).squareRoot()
      #expect(abs(freq - p[k]) < 5 * se)
    }
    var greedy = [Int32](repeating: -1, count: 1)
    policy.sample([0.7, -1.1], batch: 1, greedy: true, into: &greedy, using: &g)
    #expect(greedy[0] == Int32(p.indices.max { p[$0] < p[$1] } ?? -1))
  }

  /// Orthogonal initialisation: W Wᵀ = gain² I for a wide layer.
  @Test func orthogonalInitialisation() throws {
    let policy = try SoftmaxPolicy(observationSize: 8, actionCount: 2, hidden: [4], headGain: 0.01, seed: 1)
    let w = Array(policy.parameters[0..<32])  // [4, 8]
    for i in 0..<4 {
      for j in 0..<4 {
        let dot = (0..<8).map { w[i * 8 + $0] * w[j * 8 + $0] }.reduce(0, +)
        #expect(abs(dot - (i == j ? 2 : 0)) < 1e-12)
      }
    }
    #expect(policy.parameters[32..<36].allSatisfy { $0 == 0 })
  }

  @Test func invalidConstruction() {
    #expect(throws: SwiftPGError.self) { try SoftmaxPolicy(observationSize: 0, actionCount: 2, hidden: []) }
    #expect(throws: SwiftPGError.self) { try SoftmaxPolicy(observationSize: 2, actionCount: 1, hidden: []) }
    #expect(throws: SwiftPGError.self) { try SoftmaxPolicy(observationSize: 2, actionCount: 2, hidden: [0]) }
    #expect(throws: SwiftPGError.self) { try SoftmaxPolicy(observationSize: 2, actionCount: 2, hidden: [], headGain: .nan) }
    #expect(throws: SwiftPGError.self) {
      try SoftmaxPolicy(observationSize: 2, actionCount: 2, hidden: []).setParameters([0, 0, .infinity, 0, 0, 0])
    }
  }

  /// CategoricalPolicy: log π, entropy and KL from logits split as
  /// (z − max) − log Σ exp(z − max), right at huge logits.
  @Test func softmaxAtHugeLogits() throws {
    let p = CategoricalPolicy(model: try TabularLogits(stateCount: 1, actionCount: 3))
    let obs: [Double] = [1]
    for big in [1e16, 1e200, 1e308] {
      try p.setParameters([big, big, big])
      var lp = [0.0]
      var h = [0.0]
      let action: [Int32] = [2]
      action.withUnsafeBytes { a in p.logProbabilities(obs, actions: a.baseAddress!, batch: 1, into: &lp) }
      p.entropies(obs, batch: 1, into: &h)
      #expect(Swift.abs(lp[0] + _log(3)) < 1e-15 && Swift.abs(h[0] - _log(3)) < 1e-15)
    }
    try p.setParameters([0, -800, 0])
    var kl = [0.0]
    let uniform: [Double] = [0, 0, 0]
    p.klDivergences(obs, batch: 1, oldParameters: uniform, into: &kl)
    let expected = 2.0 / 3 * (_log(1.0 / 3) + _log(2)) + (_log(1.0 / 3) + 800 + _log(2)) / 3
    #expect(kl[0].isFinite && Swift.abs(kl[0] - expected) < 1e-9 * expected)
  }
}
