import Testing

@testable import SwiftPG

/// The two-action lecture example: one state, reward r_L or r_R (+ noise),
/// a horizon H that terminates.
@Suite struct TwoActionTests {
  @Test func rewardsAndHorizonOne() throws {
    let env = try VectorEnvironment(TwoAction(), count: 2, seed: 0)
    var b = StepBuffers(for: env)
    try env.step(actions: [0, 1] as [Int32], into: &b)
    #expect(b.rewards == [1, 0])
    #expect(b.terminated == [1, 1] && b.truncated == [0, 0])
    #expect(b.observations == [1, 1] && env.stateSize == 0 && env.states().isEmpty)
  }

  @Test func longerHorizonTerminatesOnItsLastStep() throws {
    let env = try VectorEnvironment(TwoAction(), count: 1, seed: 0)
    try env.setParameter("max_episode_steps", 3)
    try env.setParameter("reward_right", 2.5)
    var b = StepBuffers(for: env)
    for t in 1...3 {
      try env.step(actions: [1] as [Int32], into: &b)
      #expect(b.rewards == [2.5] && b.terminated[0] == (t == 3 ? 1 : 0))
    }
  }

  /// With `reward_std` σ the reward is N(r_a, σ²): mean and spread of 4 000.
  @Test func noisyRewards() throws {
    let n = 4_000
    let env = try VectorEnvironment(TwoAction(), count: n, seed: 2)
    try env.setParameter("reward_std", 0.5)
    var b = StepBuffers(for: env)
    try env.step(actions: Array(repeating: 0, count: n) as [Int32], into: &b)
    let mean = b.rewards.reduce(0, +) / Double(n)
    let sd = (b.rewards.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)).squareRoot()
    #expect(abs(mean - 1) < 5 * 0.5 / Double(n).squareRoot())
    #expect(abs(sd - 0.5) < 0.03)
    #expect(throws: SwiftPGError.self) { try env.setParameter("reward_std", -1) }
  }
}
