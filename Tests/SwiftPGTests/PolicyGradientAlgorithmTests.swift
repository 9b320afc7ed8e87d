import Testing

@testable import SwiftPG

/// Checks across the policy-gradient learners; each algorithm's own tests
/// are in <Algorithm>Tests.swift.
@Suite struct PolicyGradientAlgorithmTests {
  func learner<L: PolicyGradientLearner>(
    _ type: L.Type, count: Int = 8, seed: UInt64 = 0, hidden: [Int] = [32, 32],
    _ change: (inout L.Config) -> Void = { _ in }
  ) throws -> L {
    let env = try VectorEnvironment(CartPole(), count: count, seed: seed)
    let policy = try SoftmaxPolicy(observationSize: 4, actionCount: 2, hidden: hidden, seed: seed)
    let critic = try ValueFunction(observationSize: 4, hidden: hidden, seed: seed + 1)
    var config = L.Config()
    config.common.seed = seed
    change(&config)
    return try L(env: env, policy: policy, critic: critic, config: config)
  }

  @Test func deterministicGivenSeeds() throws {
    func run(_ make: () throws -> any PolicyGradientLearner) throws -> [Double] {
      let l = try make()
      for _ in 0..<3 { _ = try l.iterate() }
      return l.policy.parameters + (l.critic?.parameters ?? [])
    }
    let makers: [() throws -> any PolicyGradientLearner] = [
      { try self.learner(Reinforce.self, count: 4, seed: 3, hidden: [8]) { $0.stepsPerIteration = 300 } },
      { try self.learner(OffPolicyPG.self, count: 4, seed: 3, hidden: [8]) { $0.stepsPerIteration = 300 } },
      { try self.learner(ActorCritic.self, count: 4, seed: 3, hidden: [8]) { $0.stepsPerEnv = 16 } },
      { try self.learner(A2C.self, count: 4, seed: 3, hidden: [8]) { $0.stepsPerEnv = 16; $0.minibatchSize = 16 } },
      { try self.learner(NPG.self, count: 4, seed: 3, hidden: [8]) { $0.stepsPerEnv = 16; $0.minibatchSize = 16 } },
      { try self.learner(TRPO.self, count: 4, seed: 3, hidden: [8]) { $0.stepsPerEnv = 16; $0.minibatchSize = 16 } },
      { try self.learner(PPO.self, count: 4, seed: 3, hidden: [8]) { $0.stepsPerEnv = 16; $0.minibatchSize = 16 } },
    ]
    for make in makers { #expect(try run(make) == run(make)) }
  }
}
