import Testing

@testable import SwiftPG

/// Algorithms/Trajectories.swift: the batch format every update reads —
/// `Store`, resizing, loading whole episodes, deep copies.
@Suite struct TrajectoriesTests {
  func column<T>(_ s: Store<T>, _ n: Int) -> [T] { Array(UnsafeBufferPointer(start: s.pointer, count: n)) }

  @Test func storeKeepsTheRequestedPrefixOnGrowth() {
    let s = Store<Int>()
    let p = s.reserve(3)
    for i in 0..<3 { p[i] = i + 1 }
    #expect(s.reserve(2) == p)  // no growth: same memory
    s.reserve(100, keep: 2)
    #expect(s.capacity >= 100)
    #expect(s[0] == 1 && s[1] == 2)
  }

  @Test func resizeClearsFlagsAndEpisodeLists() {
    let d = makeTrajectories(
      observationSize: 1, actionSpace: .discrete(2), steps: 2, lanes: 2, observations: [1, 2, 3, 4], actions: [0, 1, 1, 0],
      rewards: [1, 1, 1, 1], terminated: [1, 1, 1, 1], truncated: [1, 0, 1, 0])
    d.episodeReturns = [1]
    d.episodeLengths = [1]
    d.episodeTerminated = [true]
    #expect(d.count == 4 && d.steps == 2 && d.lanes == 2)
    d.resize(steps: 3, lanes: 2)
    #expect(d.count == 6)
    #expect(column(d.terminated, 6) == [0, 0, 0, 0, 0, 0] && column(d.truncated, 6) == [0, 0, 0, 0, 0, 0])
    #expect(d.episodeReturns.isEmpty && d.episodeLengths.isEmpty && d.episodeTerminated.isEmpty)
  }

  /// Whole episodes go into one lane; which episodes terminated comes from the flags.
  @Test func loadingEpisodes() {
    var batch = EpisodeBatch(observationSize: 2)
    batch.observations = [0, 1, 2, 3, 4, 5]
    batch.actions = [1, 0, 1]
    batch.rewards = [1, 2, 3]
    batch.terminated = [0, 0, 1]
    batch.truncated = [0, 1, 0]
    batch.episodeReturns = [3, 3]
    batch.episodeLengths = [2, 1]
    let d = Trajectories(observationSize: 2, actionSpace: .discrete(2))
    d.load(batch)
    #expect(d.steps == 3 && d.lanes == 1)
    #expect(column(d.observations, 6) == batch.observations)
    #expect(column(d.discreteActions, 3) == batch.actions)
    #expect(column(d.rewards, 3) == batch.rewards)
    #expect(column(d.terminated, 3) == [0, 0, 1] && column(d.truncated, 3) == [0, 1, 0])
    #expect(d.episodeReturns == [3, 3] && d.episodeLengths == [2, 1])
    #expect(d.episodeTerminated == [false, true])  // truncated first, then terminated
    #expect(column(d.finalObservations, 6) == [0, 0, 0, 0, 0, 0] && column(d.nextObservations, 2) == [0, 0])
  }

  @Test func copyIsDeepAndComplete() {
    let d = makeTrajectories(
      observationSize: 1, actionSpace: .box(low: [-1], high: [1]), steps: 2, lanes: 1, observations: [1, 2],
      continuousActions: [0.5, -0.5], rewards: [3, 4], terminated: [0, 1], truncated: [1, 0],
      finalObservations: [7, 0], nextObservations: [9])
    d.behaviorLogProbs[0] = -1
    d.behaviorLogProbs[1] = -2
    d.episodeReturns = [7]
    d.episodeLengths = [2]
    d.episodeTerminated = [true]
    let c = d.copy()
    #expect(column(c.observations, 2) == [1, 2] && column(c.continuousActions, 2) == [0.5, -0.5])
    #expect(column(c.rewards, 2) == [3, 4] && column(c.terminated, 2) == [0, 1] && column(c.truncated, 2) == [1, 0])
    #expect(column(c.finalObservations, 2) == [7, 0] && column(c.nextObservations, 1) == [9])
    #expect(column(c.behaviorLogProbs, 2) == [-1, -2])
    #expect(c.episodeReturns == [7] && c.episodeLengths == [2] && c.episodeTerminated == [true])
    c.rewards[0] = 100
    c.continuousActions[1] = 100
    c.observations[0] = 100
    #expect(d.rewards[0] == 3 && d.continuousActions[1] == -0.5 && d.observations[0] == 1)
    // The estimator view reads the batch's own columns.
    let r = d.rollout(values: nil, finalValues: nil)
    #expect(r.steps == 2 && r.count == 1 && r.rewards == UnsafePointer(d.rewards.pointer))
  }
}
