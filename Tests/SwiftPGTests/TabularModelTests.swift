import Testing

@testable import SwiftPG

extension TabularModel {
  /// S states, A actions, uniform transitions, reward 0, start in state 0.
  static func uniform(_ s: Int, _ a: Int) throws -> TabularModel {
    try TabularModel(
      stateCount: s, actionCount: a, transitions: Array(repeating: 1 / Double(s), count: s * a * s),
      rewards: Array(repeating: 0, count: s * a), rewardsPerNextState: false,
      initial: [1] + Array(repeating: 0, count: s - 1))
  }
}

/// Finite MDPs from arrays: validation, reward layouts, cumulative tables.
@Suite struct TabularModelTests {
  @Test func validation() throws {
    #expect(throws: Never.self) { try TabularModel.uniform(3, 2) }
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
    #expect(throws: SwiftPGError.self) {
      try TabularModel(
        stateCount: 1, actionCount: 1, transitions: [1], rewards: [0], rewardsPerNextState: false, initial: [1],
        gamma: 1.5)
    }
    #expect(throws: SwiftPGError.self) {
      try TabularModel(
        stateCount: 1, actionCount: 1, transitions: [1], rewards: [0], rewardsPerNextState: false, initial: [1],
        horizon: 0)
    }
    #expect(throws: SwiftPGError.self) {
      try TabularModel(
        stateCount: 2, actionCount: 1, transitions: [1, 0, 1, 0], rewards: [0, 0], rewardsPerNextState: false,
        initial: [0.5, 0.6])
    }
  }

  /// Tables above 2^26 entries are refused as TOO_LARGE before allocation.
  @Test func tableSizeLimit() throws {
    #expect(try TabularModel.tableEntries(states: 100, actions: 4) == 40_000)
    do throws(SwiftPGError) {
      _ = try TabularModel.tableEntries(states: 1 << 13, actions: 2)
      Issue.record("a 2^27-entry table was accepted")
    } catch {
      #expect(error.code == .tooLarge)
    }
  }

  /// R[s, a] is expanded over s'; r(s, a) = Σ_s' P(s'|s, a) R(s, a, s').
  @Test func rewardsAndExpectedRewards() throws {
    let perAction = try TabularModel(
      stateCount: 2, actionCount: 2, transitions: [0.25, 0.75, 1, 0, 0, 1, 0.5, 0.5], rewards: [1, 2, 3, 4],
      rewardsPerNextState: false, initial: [1, 0])
    #expect(perAction.rewards == [1, 1, 2, 2, 3, 3, 4, 4])
    #expect(perAction.expectedReward(1, 1) == 4)
    let perNext = try TabularModel(
      stateCount: 2, actionCount: 2, transitions: [0.25, 0.75, 1, 0, 0, 1, 0.5, 0.5],
      rewards: [8, -4, 1, 2, 3, 4, 10, 20], rewardsPerNextState: true, initial: [0.5, 0.5], gamma: 0.9)
    #expect(perNext.expectedReward(0, 0) == 0.25 * 8 + 0.75 * -4)
    #expect(perNext.expectedReward(1, 1) == 15)
    #expect(perNext.cumulative == [0.25, 1, 1, 1, 0, 1, 0.5, 1])
    #expect(perNext.initialCumulative == [0.5, 1])
    #expect(perNext.horizon == nil && perNext.gamma == 0.9)
  }
}
