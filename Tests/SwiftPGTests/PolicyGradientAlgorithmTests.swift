import Testing

@testable import SwiftPG

/// Checks across the policy-gradient learners; each algorithm's own tests
/// are in <Algorithm>Tests.swift.
@Suite struct PolicyGradientAlgorithmTests {
  func learner<L: PolicyGradientLearner>(
    _ type: L.Type, count: Int, seed: UInt64, hidden: [Int], _ change: (inout L.Config) -> Void
  ) throws -> L {
    try cartPoleLearner(type, count: count, seed: seed, hidden: hidden, change)
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
