import Testing

@testable import SwiftPG

/// Sutton & Barto's Example 13.1 (REFERENCE.md §3): the switched middle
/// state, −1 per step, and the table that the exact solvers use.
@Suite struct ShortCorridorTests {
  /// next[s][a] for actions right (0), left (1); 3 is the goal.
  static let next = [[1, 0], [0, 2], [3, 1]]

  @Test func transitionsByHand() throws {
    let env = try VectorEnvironment(ShortCorridor(), count: 6, seed: 0)
    var b = StepBuffers(for: env)
    try env.setStates([0, 0, 1, 1, 2, 2])
    try env.step(actions: [0, 1, 0, 1, 0, 1] as [Int32], into: &b)
    #expect(b.rewards.allSatisfy { $0 == -1 })
    #expect(b.terminated == [0, 0, 0, 0, 1, 0])
    // After the goal the instance restarts in S1.
    #expect(env.states() == [1, 0, 0, 2, 0, 1])
    #expect(b.observations.allSatisfy { $0 == 1 })
  }

  /// The tabular model is the same MDP as `step`.
  @Test func tabularModelAgreesWithStep() throws {
    let m = try #require(ShortCorridor().tabularModel)
    #expect(m.stateCount == 4 && m.actionCount == 2 && m.terminal == [false, false, false, true])
    #expect(m.initial == [1, 0, 0, 0] && m.gamma == 1)
    for s in 0..<3 {
      for a in 0..<2 {
        for nx in 0..<4 {
          #expect(m.transitions[(s * 2 + a) * 4 + nx] == (nx == Self.next[s][a] ? 1 : 0))
        }
        #expect(m.expectedReward(s, a) == -1)
      }
    }
  }

  /// Uniformly random actions: v(S1) = 2(p − 2)/(p(1 − p)) = −12 at p = ½,
  /// within 5 standard errors over 2000 episodes.
  @Test func uniformPolicyValue() throws {
    let n = 2000
    let env = try VectorEnvironment(ShortCorridor(), count: n, seed: 4)
    var b = StepBuffers(for: env)
    var g = PCG64(seed: 9)
    var returns = [Double](repeating: 0, count: n)
    var done = [Bool](repeating: false, count: n)
    var steps = 0
    while done.contains(false) && steps < 1000 {
      try env.step(actions: (0..<n).map { _ in Int32(g.next() & 1) }, into: &b)
      for i in 0..<n where !done[i] {
        returns[i] += b.rewards[i]
        done[i] = b.terminated[i] == 1
      }
      steps += 1
    }
    #expect(!done.contains(false))
    let mean = returns.reduce(0, +) / Double(n)
    let sd = (returns.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)).squareRoot()
    #expect(abs(mean - -12) < 5 * sd / Double(n).squareRoot())
  }

  @Test func statesAreChecked() throws {
    let env = try VectorEnvironment(ShortCorridor(), count: 1, seed: 0)
    #expect(throws: SwiftPGError.self) { try env.setStates([3]) }
    #expect(throws: SwiftPGError.self) { try env.setStates([0.5]) }
    try env.setStates([2])
    #expect(env.states() == [2])
  }
}
