import Testing

@testable import SwiftPG

@Suite struct ReinforceTests {
  /// A short run improves CartPole far beyond the random policy (~22).
  @Test func improvesOnCartPole() throws {
    let env = try VectorEnvironment(CartPole(), count: 8, seed: 0)
    let policy = try SoftmaxPolicy(observationSize: 4, actionCount: 2, hidden: [32, 32], seed: 0)
    var config = ReinforceConfig()
    config.stepsPerIteration = 2000
    let learner = try Reinforce(env: env, policy: policy, config: config)
    let first = try learner.iterate()
    var last = first
    for _ in 0..<24 { last = try learner.iterate() }
    #expect(first.meanReturn < 40)
    #expect(last.meanReturn > 150)
    #expect(last.totalEnvSteps >= 25 * 2000)
    // Every transition collected belongs to a whole episode.
    #expect(Double(last.envSteps) == (last.meanLength * Double(last.episodes)).rounded())
  }

  @Test func deterministicGivenSeeds() throws {
    func run() throws -> [Double] {
      let env = try VectorEnvironment(CartPole(), count: 4, seed: 3)
      let policy = try SoftmaxPolicy(observationSize: 4, actionCount: 2, hidden: [8], seed: 3)
      var config = ReinforceConfig()
      config.stepsPerIteration = 500
      let learner = try Reinforce(env: env, policy: policy, config: config)
      for _ in 0..<3 { _ = try learner.iterate() }
      return policy.parameters
    }
    #expect(try run() == run())
  }

  @Test func invalidConfigs() throws {
    let env = try VectorEnvironment(CartPole(), count: 2, seed: 0)
    let policy = try SoftmaxPolicy(observationSize: 4, actionCount: 2, hidden: [], seed: 0)
    for change in [
      { (c: inout ReinforceConfig) in c.gamma = 1.5 }, { $0.gamma = -0.1 }, { $0.learningRate = 0 },
      { $0.learningRate = .nan }, { $0.stepsPerIteration = 0 }, { $0.adamBeta2 = 1 },
    ] {
      var config = ReinforceConfig()
      change(&config)
      #expect(throws: SwiftPGError.self) { try Reinforce(env: env, policy: policy, config: config) }
    }
    let wrong = try SoftmaxPolicy(observationSize: 3, actionCount: 2, hidden: [], seed: 0)
    #expect(throws: SwiftPGError.self) { try Reinforce(env: env, policy: wrong, config: ReinforceConfig()) }
  }

  @Test func evaluationRunsExactlyTheRequestedEpisodes() throws {
    let env = try VectorEnvironment(CartPole(), count: 3, seed: 0)
    let policy = try SoftmaxPolicy(observationSize: 4, actionCount: 2, hidden: [], seed: 0)
    let (returns, lengths) = try evaluate(policy: policy, env: env, episodes: 10, greedy: true, seed: 1)
    #expect(returns.count == 10 && lengths.count == 10)
    #expect(zip(returns, lengths).allSatisfy { $0 == Double($1) })
    let again = try evaluate(policy: policy, env: env, episodes: 10, greedy: true, seed: 1)
    #expect(again.returns == returns)
  }
}
