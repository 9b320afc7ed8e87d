import Testing

@testable import SwiftPG

/// PPO for RLHF (`RLHFPPO.swift`): convergence to π* with a tabular
/// critic, and a critic sharing the policy's model refused. Fixtures in
/// `OnlineRLHFTests`.
@Suite struct RLHFPPOTests {
  typealias Fixture = OnlineRLHFTests

  @Test func ppoWithATabularCriticConvergesToTheRegularisedOptimum() throws {
    let task = try Fixture.task()
    var c = RLHFPPO.Config()
    (c.online.promptsPerIteration, c.minibatchSize, c.epochs, c.valueLearningRate) = (64, 32, 2, 0.05)
    let ppo = try Fixture.converge(RLHFPPO.self, c, iterations: 1000)  // a tabular critic
    #expect(ppo.tv < 0.02, "PPO: TV \(ppo.tv)")
    let (policy, reference) = (ppo.learner.core.policy, ppo.learner.core.reference)
    #expect(throws: SwiftPGError.self) {  // the critic cannot be the policy's own model
      try RLHFPPO(
        policy: policy, reference: reference, critic: SequenceCritic(model: policy.model), task: task,
        reward: .gold(task))
    }
  }

  @Test func gradientEstimateWeighsScoresByTheTokenRewardToGo() throws {
    let task = try Fixture.task()
    let (policy, reference) = try Fixture.policies(seed: 9)
    try policy.setParameters(policy.parameters.map { $0 * 1.5 - 0.2 })
    let before = policy.parameters
    // PPO with a zero critic, γ = λ = 1 and no whitening: Â_t = r − β Σ_{t' ≥ t} kl_t' (the
    // reward to go of the per-token rewards), and its estimate (1/T) Σ_{b,t} Â_bt ∇log π(y_bt).
    var pc = RLHFPPO.Config()
    (pc.online.beta, pc.gamma, pc.lambda, pc.whitenAdvantages) = (0.3, 1, 1, false)
    let ppo = try RLHFPPO(
      policy: policy, reference: reference, critic: try .tabular(for: policy), task: task, reward: .gold(task),
      config: pc)
    let r = try Fixture.rollouts(ppo.core, count: 1, prompts: 16, k: 1)[0]
    let tokens = Double(r.lengths.reduce(0) { $0 + Int($1) })
    let l = policy.space.maxLength
    var w = [Double](repeating: 0, count: r.tokens.count)
    for (b, n) in r.lengths.enumerated() {
      var toGo = r.rewards[b]
      for t in stride(from: Int(n) - 1, through: 0, by: -1) {
        toGo -= 0.3 * (r.oldLogProbabilities[b * l + t] - r.referenceLogProbabilities[b * l + t])
        w[b * l + t] = toGo / tokens
      }
    }
    let expected = try policy.scoreGradient(prompts: r.prompts, tokens: r.tokens, lengths: r.lengths, tokenWeights: w)
    let got = try ppo.gradientEstimate(r)
    for (x, y) in zip(got, expected) { #expect(abs(x - y) <= 1e-12 * (1 + abs(y))) }
    #expect(policy.parameters == before)
  }
}
