import Testing

@testable import SwiftPG

/// The simple regulator of Kochenderfer et al. (REFERENCE.md §2.1):
/// r = −s², s' ~ N(s + a, 0.1²) truncated to [−10, 10], s₀ ~ N(0.3, 0.1²),
/// and a depth-10 horizon that terminates.
@Suite struct SimpleRegulatorTests {
  func meanAndStandardError(_ x: [Double]) -> (mean: Double, se: Double, sd: Double) {
    let n = Double(x.count)
    let mean = x.reduce(0, +) / n
    let sd = (x.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / (n - 1)).squareRoot()
    return (mean, sd / n.squareRoot(), sd)
  }

  /// The reward is −s² of the state before the transition.
  @Test func rewardIsMinusTheSquareOfThePreviousState() throws {
    let env = try VectorEnvironment(SimpleRegulator(), count: 2, seed: 0)
    try env.setStates([0.5, -3])
    var b = StepBuffers(for: env)
    try env.step(actions: [0.25, 1], into: &b)
    #expect(b.rewards == [-0.25, -9])
  }

  /// The 10th step terminates (a finite horizon, not a time limit).
  @Test func depthTenTerminates() throws {
    let env = try VectorEnvironment(SimpleRegulator(), count: 1, seed: 0)
    var b = StepBuffers(for: env)
    for t in 1...10 {
      try env.step(actions: [0.0], into: &b)
      #expect(b.terminated[0] == (t == 10 ? 1 : 0) && b.truncated[0] == 0)
    }
  }

  /// s' has mean s + a and standard deviation 0.1 (5 standard errors), and
  /// the start state mean 0.3 and standard deviation 0.1.
  @Test func transitionAndStartDistributions() throws {
    let n = 4000
    let env = try VectorEnvironment(SimpleRegulator(), count: n, seed: 3)
    let start = meanAndStandardError(env.states())
    #expect(abs(start.mean - 0.3) < 5 * start.se && abs(start.sd - 0.1) < 0.01)
    try env.setStates(Array(repeating: 0.2, count: n))
    var b = StepBuffers(for: env)
    try env.step(actions: Array(repeating: 0.3, count: n), into: &b)
    let next = meanAndStandardError(env.states())
    #expect(abs(next.mean - 0.5) < 5 * next.se && abs(next.sd - 0.1) < 0.01)
  }

  /// Transitions stay inside [−10, 10] whatever the action.
  @Test func transitionsAreTruncated() throws {
    let env = try VectorEnvironment(SimpleRegulator(), count: 100, seed: 1)
    try env.setStates(Array(repeating: 9.99, count: 100))
    var b = StepBuffers(for: env)
    try env.step(actions: Array(repeating: 5.0, count: 100), into: &b)
    #expect(env.states().allSatisfy { $0 <= 10 && $0 > 9 })
  }

  /// With the optimal policy a = −s, E[Σ_{k<10} −s_k²] = −(0.1 + 9·0.01)
  /// = −0.19 (REFERENCE.md §2.1), within 5 standard errors.
  @Test func optimalPolicyReturnMatchesTheExactValue() throws {
    let n = 4000
    let env = try VectorEnvironment(SimpleRegulator(), count: n, seed: 5)
    var b = StepBuffers(for: env)
    env.reset(into: &b)
    var returns = [Double](repeating: 0, count: n)
    for _ in 0..<10 {
      try env.step(actions: b.observations.map { -$0 }, into: &b)
      for i in 0..<n { returns[i] += b.rewards[i] }
    }
    #expect(b.terminated.allSatisfy { $0 == 1 })
    let r = meanAndStandardError(returns)
    #expect(abs(r.mean - -0.19) < 5 * r.se)
  }

  @Test func parametersAreChecked() throws {
    let env = try VectorEnvironment(SimpleRegulator(), count: 1, seed: 0)
    #expect(throws: SwiftPGError.self) { try env.setParameter("gamma", 1.5) }
    #expect(throws: SwiftPGError.self) { try env.setParameter("transition_std", -1) }
    try env.setParameter("initial_mean", -2)
    try env.setParameter("initial_std", 1e-6)
    var b = StepBuffers(for: env)
    env.reset(into: &b)
    #expect(abs(b.observations[0] + 2) < 1e-4)
  }
}
