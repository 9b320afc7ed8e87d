import CSwiftPG
import Testing

@testable import SwiftPG

/// Algorithms/Learner.swift: the episode statistics of `TrainStats`, which
/// terminations count as success, and the algorithm kinds.
@Suite struct LearnerTests {
  /// A batch whose only content here is its list of ended episodes.
  func episodes(_ returns: [Double], _ lengths: [Int], terminated: [Bool]) -> Trajectories {
    let d = Trajectories(observationSize: 1, actionSpace: .discrete(2))
    d.episodeReturns = returns
    d.episodeLengths = lengths
    d.episodeTerminated = terminated
    return d
  }

  @Test func summarizeEpisodesGoldenNumbers() {
    let d = episodes([1, 3, 2], [1, 5, 3], terminated: [true, false, true])
    var s = TrainStats()
    s.summarizeEpisodes(d) { $0 }  // success = terminated
    // mean (1 + 3 + 2)/3 = 2; population std √((1 + 1 + 0)/3) = √(2/3).
    #expect(s.meanReturn == 2)
    #expect(abs(s.stdReturn - (2.0 / 3).squareRoot()) < 1e-15)
    #expect(s.minReturn == 1 && s.maxReturn == 3)
    #expect(s.meanLength == 3)  // (1 + 5 + 3)/3
    #expect(abs(s.successRate - 2.0 / 3) < 1e-15)
    #expect(
      s.episodes == [
        EpisodeRecord(episodeReturn: 1, length: 1, success: true),
        EpisodeRecord(episodeReturn: 3, length: 5, success: false),
        EpisodeRecord(episodeReturn: 2, length: 3, success: true),
      ])
  }

  /// The success rate is NaN unless every episode's success is defined.
  @Test func successRateIsNaNWhereSuccessIsUndefined() {
    var none = TrainStats()
    none.summarizeEpisodes(episodes([1, 2], [1, 2], terminated: [true, false])) { _ in nil }
    #expect(none.successRate.isNaN && none.meanReturn == 1.5)
    #expect(none.episodes.allSatisfy { $0.success == nil })
    // Only some defined (the closure's nil for truncation): undefined overall.
    var mixed = TrainStats()
    mixed.summarizeEpisodes(episodes([1, 2], [1, 2], terminated: [true, false])) { $0 ? true : nil }
    #expect(mixed.successRate.isNaN)
    // Outside data without termination flags: nil, not a crash.
    var unknown = TrainStats()
    unknown.summarizeEpisodes(episodes([1, 2], [1, 2], terminated: [])) { $0 }
    #expect(unknown.successRate.isNaN && unknown.episodes.map(\.success) == [nil, nil])
    // No episode: NaN statistics, no records.
    var empty = TrainStats()
    empty.summarizeEpisodes(episodes([], [], terminated: [])) { $0 }
    #expect(empty.episodes.isEmpty && empty.meanReturn.isNaN && empty.stdReturn.isNaN && empty.meanLength.isNaN)
    #expect(empty.minReturn.isNaN && empty.maxReturn.isNaN && empty.successRate.isNaN)
  }

  @Test func terminationIsSuccessOnlyWhereTerminationIsTheGoal() throws {
    #expect(try VectorEnvironment(MountainCar(), count: 1, seed: 0).terminationIsSuccess == true)
    #expect(try VectorEnvironment(MountainCarContinuous(), count: 1, seed: 0).terminationIsSuccess == true)
    #expect(try VectorEnvironment(Acrobot(), count: 1, seed: 0).terminationIsSuccess == true)
    #expect(try VectorEnvironment(ShortCorridor(), count: 1, seed: 0).terminationIsSuccess == true)
    #expect(try VectorEnvironment(CartPole(), count: 1, seed: 0).terminationIsSuccess == nil)
    #expect(try VectorEnvironment(Pendulum(), count: 1, seed: 0).terminationIsSuccess == nil)
  }

  /// Through a learner: on MountainCar a terminated episode succeeded and a
  /// truncated one failed (rate defined); on CartPole the rate is NaN.
  @Test func learnersReportSuccessFromTheirEnvironment() throws {
    func stats<D: EnvironmentDynamics>(_ dynamics: D, observationSize: Int, actions: Int) throws -> TrainStats {
      let env = try VectorEnvironment(dynamics, count: 1, seed: 0)
      let policy = try SoftmaxPolicy(observationSize: observationSize, actionCount: actions, hidden: [], seed: 0)
      let l = try A2C(env: env, policy: policy, critic: try ValueFunction(observationSize: observationSize, hidden: []))
      let d = makeTrajectories(
        observationSize: observationSize, actionSpace: .discrete(actions), steps: 2,
        observations: [Double](repeating: 0.1, count: 2 * observationSize), actions: [0, 1], rewards: [-1, -1],
        terminated: [1, 0], truncated: [0, 1])
      d.episodeReturns = [-1, -1]
      d.episodeLengths = [1, 1]
      d.episodeTerminated = [true, false]
      return try l.update(external: d)
    }
    let car = try stats(MountainCar(), observationSize: 2, actions: 3)
    #expect(car.episodes.map(\.success) == [true, false] && car.successRate == 0.5)
    let pole = try stats(CartPole(), observationSize: 4, actions: 2)
    #expect(pole.episodes.map(\.success) == [nil, nil] && pole.successRate.isNaN)
  }

  /// The kinds are the C ABI's SWIFTPG_ALGO_* values.
  @Test func algorithmKindsMirrorTheCABI() {
    let c: [(PGAlgorithm, Int32)] = [
      (.reinforce, SWIFTPG_ALGO_REINFORCE), (.actorCritic, SWIFTPG_ALGO_ACTOR_CRITIC), (.a2c, SWIFTPG_ALGO_A2C),
      (.offPolicy, SWIFTPG_ALGO_OFFPOLICY_PG), (.npg, SWIFTPG_ALGO_NPG), (.trpo, SWIFTPG_ALGO_TRPO),
      (.ppo, SWIFTPG_ALGO_PPO),
    ]
    #expect(c.count == PGAlgorithm.allCases.count)
    for (a, raw) in c { #expect(a.rawValue == raw) }
    #expect(Set(PGAlgorithm.allCases.map(\.name)).count == 7)
    #expect(Reinforce.algorithm == .reinforce && ActorCritic.algorithm == .actorCritic && A2C.algorithm == .a2c)
    #expect(OffPolicyPG.algorithm == .offPolicy && NPG.algorithm == .npg && TRPO.algorithm == .trpo && PPO.algorithm == .ppo)
  }
}
