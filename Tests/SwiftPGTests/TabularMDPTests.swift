import Testing

@testable import SwiftPG

/// A `TabularModel` as an environment: one-hot observations, sampled
/// transitions, rewards of the transition taken, horizon vs time limit.
@Suite struct TabularMDPTests {
  @Test func finiteHorizonTerminatesAndDiscountedTruncates() throws {
    let finite = try TabularModel(
      stateCount: 1, actionCount: 1, transitions: [1], rewards: [1], rewardsPerNextState: false, initial: [1],
      horizon: 3)
    let env = try VectorEnvironment(TabularMDP(model: finite), count: 1, seed: 0)
    var b = StepBuffers(for: env)
    var flags: [(UInt8, UInt8)] = []
    for _ in 0..<3 {
      try env.step(actions: [0] as [Int32], into: &b)
      flags.append((b.terminated[0], b.truncated[0]))
    }
    #expect(flags.map(\.0) == [0, 0, 1] && flags.map(\.1) == [0, 0, 0])
    let discounted = try VectorEnvironment(
      TabularMDP(model: try TabularModel.uniform(2, 1), maxEpisodeSteps: 2), count: 1, seed: 0)
    var c = StepBuffers(for: discounted)
    try discounted.step(actions: [0] as [Int32], into: &c)
    try discounted.step(actions: [0] as [Int32], into: &c)
    #expect(c.truncated[0] == 1 && c.terminated[0] == 0)
  }

  @Test func stateIndicesAreChecked() throws {
    let env = try VectorEnvironment(TabularMDP(model: try TabularModel.uniform(3, 2)), count: 1, seed: 0)
    #expect(throws: SwiftPGError.self) { try env.setStates([3]) }
    #expect(throws: SwiftPGError.self) { try env.setStates([0.5]) }
    try env.setStates([2])
    #expect(env.states() == [2])
  }

  /// From state 0 under action 1: P = [0.2, 0.3, 0.5] with rewards
  /// [1, 2, 3]; 5 000 transitions match P (5 standard errors), each reward
  /// is R[0, 1, s'], and the observation is the one-hot of s'.
  @Test func sampledTransitionsRewardsAndObservations() throws {
    let p: [Double] = [1, 0, 0, 0.2, 0.3, 0.5, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1]
    let r: [Double] = [0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    let model = try TabularModel(
      stateCount: 3, actionCount: 2, transitions: p, rewards: r, rewardsPerNextState: true, initial: [1, 0, 0])
    let n = 5_000
    let env = try VectorEnvironment(TabularMDP(model: model, id: "Three"), count: n, seed: 6)
    #expect(env.id == "Three" && env.observationKind == .oneHot)
    var b = StepBuffers(for: env)
    env.reset(into: &b)
    #expect((0..<n).allSatisfy { b.observations[3 * $0] == 1 })
    try env.step(actions: Array(repeating: 1, count: n) as [Int32], into: &b)
    let next = env.states().map { Int($0) }
    for (s, prob) in [0.2, 0.3, 0.5].enumerated() {
      let freq = Double(next.filter { $0 == s }.count) / Double(n)
      #expect(abs(freq - prob) < 5 * (prob * (1 - prob) / Double(n)).squareRoot())
    }
    #expect((0..<n).allSatisfy { b.rewards[$0] == Double(next[$0] + 1) })
    #expect((0..<(3 * n)).allSatisfy { b.observations[$0] == (next[$0 / 3] == $0 % 3 ? 1 : 0) })
  }

  @Test func withoutAGridThereIsNoPicture() throws {
    let env = try VectorEnvironment(TabularMDP(model: try TabularModel.uniform(2, 2)), count: 1, seed: 0)
    #expect(env.renderText(instance: 0) == nil && env.renderText(instance: 1) == nil)
    #expect(env.tabularModel != nil && env.id == "TabularMDP")
  }
}
