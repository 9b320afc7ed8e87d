import Testing

@testable import SwiftPG

/// REBEL (`REBEL.swift`): convergence to π* (its gradient estimate, 4η ∇J
/// in mean, is checked in `OnlineLearnerRecordTests`). Fixtures in
/// `OnlineRLHFTests`.
@Suite struct REBELTests {
  typealias Fixture = OnlineRLHFTests

  @Test func convergesToTheRegularisedOptimum() throws {
    var rc = REBEL.Config()
    (rc.online.promptsPerIteration, rc.eta) = (32, 1)
    let rebel = try Fixture.converge(REBEL.self, rc)
    #expect(rebel.tv < 0.02, "REBEL: TV \(rebel.tv)")
  }

  /// REBEL's −∇L at π = π_old is (2η/G) Σ_pairs ΔR̂ (∇log π(y) − ∇log π(y′)),
  /// whose mean is 4η ∇J: unbiased up to that scale. The estimates change nothing.
  @Test func gradientEstimateIsUnbiasedUpToFourEta() throws {
    let task = try Fixture.task()
    let (policy, reference) = try Fixture.policies(seed: 9)
    try policy.setParameters(policy.parameters.map { $0 * 1.5 - 0.2 })
    var c = REBEL.Config()
    (c.online.beta, c.eta) = (0.3, 0.5)
    let rebel = try REBEL(policy: policy, reference: reference, task: task, reward: .gold(task), config: c)
    let before = policy.parameters
    let estimates = try Fixture.rollouts(rebel.core, count: 3000, prompts: 4, k: 2).map {
      try rebel.gradientEstimate($0).map { $0 / (4 * c.eta) }
    }
    let exact = try KLRegularizedObjective.gradient(
      policy: policy, reference: reference, promptProbabilities: task.promptProbabilities, reward: .gold(task), beta: 0.3)
    Fixture.expectUnbiased(estimates, exact: exact)
    #expect(policy.parameters == before && rebel.core.iteration == 0 && rebel.core.optimizer.t == 0)
  }
}
