import Testing

@testable import SwiftPG

@Suite struct ExactPolicyGradientTests {
  func randomModel(_ g: inout PCG64, states s: Int, actions a: Int, horizon: Int?, gamma: Double) throws -> TabularModel {
    var p = [Double](repeating: 0, count: s * a * s)
    for row in 0..<(s * a) {
      var total = 0.0
      for nx in 0..<s {
        let w = g.nextUnitDouble() + 0.05
        p[row * s + nx] = w
        total += w
      }
      for nx in 0..<s { p[row * s + nx] /= total }
    }
    let r = (0..<(s * a * s)).map { _ in g.standardNormal() }
    var mu = [Double](repeating: 0, count: s)
    mu[0] = 0.6
    mu[1] = 0.4
    var terminal = [Bool](repeating: false, count: s)
    if horizon == nil { terminal[s - 1] = true }
    return try TabularModel(
      stateCount: s, actionCount: a, transitions: p, rewards: r, rewardsPerNextState: true, initial: mu,
      terminal: terminal, horizon: horizon, gamma: gamma)
  }

  func oneHot(_ s: Int) -> [Double] {
    var o = [Double](repeating: 0, count: s * s)
    for k in 0..<s { o[k * s + k] = 1 }
    return o
  }

  @Test(arguments: [(nil, 0.9), (nil, 1.0), (Optional(5), 0.95)] as [(Int?, Double)])
  func gradientMatchesFiniteDifferencesOfTheExactObjective(horizon: Int?, gamma: Double) throws {
    var g = PCG64(seed: 11)
    let model = try randomModel(&g, states: 5, actions: 3, horizon: horizon, gamma: gamma)
    let policies: [any Policy] = [
      CategoricalPolicy(model: try TabularLogits(stateCount: 5, actionCount: 3)),
      try SoftmaxPolicy(observationSize: 5, actionCount: 3, hidden: [4], headGain: 1, seed: 2),
    ]
    for policy in policies {
      try policy.setParameters(policy.parameters.map { _ in 0.7 * g.standardNormal() })
      let obs = oneHot(5)
      let exact = try ExactPolicyGradient.solve(model: model, policy: policy, observations: obs)
      let theta = policy.parameters
      for k in theta.indices {
        var plus = theta
        plus[k] += 1e-6
        var minus = theta
        minus[k] -= 1e-6
        try policy.setParameters(plus)
        let jp = try ExactPolicyGradient.solve(model: model, policy: policy, observations: obs).objective
        try policy.setParameters(minus)
        let jm = try ExactPolicyGradient.solve(model: model, policy: policy, observations: obs).objective
        let numeric = (jp - jm) / 2e-6
        #expect(abs(numeric - exact.gradient[k]) <= 1e-6 * Swift.max(1, abs(numeric)), "parameter \(k)")
      }
      try policy.setParameters(theta)
      // Consistency: Σ_a π A = 0 in every non-terminal state.
      for st in 0..<4 {
        let mean = (0..<3).map { exact.probabilities[st * 3 + $0] * exact.advantages[st * 3 + $0] }.reduce(0, +)
        #expect(abs(mean) < 1e-10)
      }
    }
  }

  /// Sutton & Barto Example 13.1: with π(right) = p in every state,
  /// v(S1) = 2(p − 2)/(p(1 − p)); at p* = 2 − √2, v = −(6 + 4√2) and ∇J = 0.
  @Test func shortCorridorClosedForm() throws {
    guard let model = ShortCorridor().tabularModel else { throw SwiftPGError.invalid("no model") }
    let policy = CategoricalPolicy(model: try FeatureLogits(featureSize: 2, actionCount: 2))
    // φ(s, right) = [1, 0], φ(s, left) = [0, 1] in every state (aliased).
    let row: [Double] = [1, 0, 0, 1]
    let obs: [Double] = row + row + row + row
    let probabilities: [Double] = [0.3, 0.5, 2 - 2.0.squareRoot(), 0.8]
    for p in probabilities {
      try policy.setParameters([_log(p / (1 - p)), 0])
      let exact = try ExactPolicyGradient.solve(model: model, policy: policy, observations: obs)
      let closedForm: Double = 2 * (p - 2) / (p * (1 - p))
      #expect(abs(exact.objective - closedForm) < 1e-10)
    }
    try policy.setParameters([_log((2 - 2.0.squareRoot()) / (2.0.squareRoot() - 1)), 0])
    let optimum = try ExactPolicyGradient.solve(model: model, policy: policy, observations: obs)
    #expect(abs(optimum.objective + 6 + 4 * 2.0.squareRoot()) < 1e-10)
    #expect(optimum.gradient.allSatisfy { abs($0) < 1e-9 })
  }

  @Test func aPolicyThatNeverLeavesIsRefused() throws {
    guard let model = ShortCorridor().tabularModel else { throw SwiftPGError.invalid("no model") }
    let policy = CategoricalPolicy(model: try FeatureLogits(featureSize: 2, actionCount: 2))
    try policy.setParameters([-800, 0])  // π(right) = 0: stuck in S1 forever with γ = 1
    #expect(throws: SwiftPGError.self) {
      let row: [Double] = [1, 0, 0, 1]
      return try ExactPolicyGradient.solve(model: model, policy: policy, observations: row + row + row + row)
    }
  }
}
