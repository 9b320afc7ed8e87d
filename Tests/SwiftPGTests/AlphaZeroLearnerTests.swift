import Testing

@testable import SwiftPG

/// SelfPlay/AlphaZeroLearner.swift: an iteration collects search self-play
/// positions and fits both networks to them (losses fall over the epochs),
/// reproducibly by seed.
@Suite struct AlphaZeroLearnerTests {
  static func learner(seed: UInt64) throws -> AlphaZeroLearner<TicTacToe> {
    let g = TicTacToe()
    var rng = SplitMix64(seed: 8)
    return try AlphaZeroLearner(
      g, policy: try BoardPolicyNetwork.mlp(for: g, hidden: [32], using: &rng),
      value: try BoardValueNetwork.mlp(for: g, hidden: [32], using: &rng),
      config: .init(
        gamesPerIteration: 8, temperatureMoves: 3, epochs: 12, minibatchSize: 16, learningRate: 1e-2,
        search: PUCTConfig(simulations: 16, dirichletEpsilon: 0.25), seed: seed))
  }

  @Test func anIterationFitsTheSearchTargets() throws {
    let a = try Self.learner(seed: 1)
    let stats = try a.iterate()
    #expect(stats.examples >= 8 * 5 && stats.examples <= 8 * 9 && a.iteration == 1)
    #expect(stats.policyLoss.count == 12 && stats.valueLoss.count == 12)
    let kl = stats.policyLoss.map { $0 - stats.targetEntropy }
    print("AlphaZero iteration: \(stats.examples) positions, policy KL to the visit targets \(kl[0]) → \(kl.last ?? 0), value loss \(stats.valueLoss[0]) → \(stats.valueLoss.last ?? 0)")
    #expect(kl.allSatisfy { $0 >= -1e-12 })
    #expect((kl.last ?? 9) < 0.8 * kl[0])
    #expect((stats.valueLoss.last ?? 9) < 0.9 * stats.valueLoss[0])
    let b = try Self.learner(seed: 1)
    #expect(try b.iterate() == stats)
    #expect(a.policy.parameters == b.policy.parameters && a.value.parameters == b.value.parameters)
    #expect(try Self.learner(seed: 2).iterate() != stats)
  }
}
