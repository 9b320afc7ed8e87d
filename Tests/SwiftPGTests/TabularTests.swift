import Testing

@testable import SwiftPG

@Suite struct TabularTests {
  func uniformModel(_ s: Int, _ a: Int) throws -> TabularModel {
    try TabularModel(
      stateCount: s, actionCount: a, transitions: Array(repeating: 1 / Double(s), count: s * a * s),
      rewards: Array(repeating: 0, count: s * a), rewardsPerNextState: false,
      initial: [1] + Array(repeating: 0, count: s - 1))
  }

  @Test func validation() throws {
    #expect(throws: Never.self) { try uniformModel(3, 2) }
    #expect(throws: SwiftPGError.self) {
      try TabularModel(
        stateCount: 2, actionCount: 1, transitions: [0.5, 0.6, 1, 0], rewards: [0, 0],
        rewardsPerNextState: false, initial: [1, 0])
    }
    #expect(throws: SwiftPGError.self) {
      try TabularModel(
        stateCount: 2, actionCount: 1, transitions: [1, 0, 1, 0], rewards: [0, 0],
        rewardsPerNextState: false, initial: [0, 1], terminal: [false, true])
    }
    #expect(throws: SwiftPGError.self) {
      try TabularModel(
        stateCount: 2, actionCount: 1, transitions: [1, 0, 1, 0], rewards: [0, .nan],
        rewardsPerNextState: false, initial: [1, 0])
    }
  }

  @Test func gridworldBuildsTheExpectedMDP() throws {
    let m = try GridWorld.model(layout: "S.#\n..G", slip: 0, stepReward: -1, goalReward: 10, pitReward: -10, gamma: 0.9)
    #expect(m.stateCount == 5 && m.actionCount == 4)
    #expect(m.terminal == [false, false, false, false, true])
    // From (1,1) (state 3) moving right (1) enters G (state 4) for -1 + 10.
    #expect(m.transitions[(3 * 4 + 1) * 5 + 4] == 1)
    #expect(m.rewards[(3 * 4 + 1) * 5 + 4] == 9)
    // Moving up from (0,0) hits the edge: stay.
    #expect(m.transitions[(0 * 4 + 0) * 5 + 0] == 1)
    let env = try VectorEnvironment(TabularMDP(model: m, maxEpisodeSteps: 50), count: 1, seed: 0)
    #expect(env.renderText(instance: 0) == "A.#\n..G")
    #expect(throws: SwiftPGError.self) {
      try GridWorld.model(layout: "S.X", slip: 0, stepReward: 0, goalReward: 1, pitReward: -1, gamma: 1)
    }
  }

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
    let discounted = try VectorEnvironment(TabularMDP(model: try uniformModel(2, 1), maxEpisodeSteps: 2), count: 1, seed: 0)
    var c = StepBuffers(for: discounted)
    try discounted.step(actions: [0] as [Int32], into: &c)
    try discounted.step(actions: [0] as [Int32], into: &c)
    #expect(c.truncated[0] == 1 && c.terminated[0] == 0)
  }

  @Test func stateIndicesAreChecked() throws {
    let env = try VectorEnvironment(TabularMDP(model: try uniformModel(3, 2)), count: 1, seed: 0)
    #expect(throws: SwiftPGError.self) { try env.setStates([3]) }
    #expect(throws: SwiftPGError.self) { try env.setStates([0.5]) }
    try env.setStates([2])
    #expect(env.states() == [2])
  }
}
