import Testing

@testable import SwiftPG

/// ReMax (`ReMax.swift`): unbiased for the exact gradient, and convergence
/// to π*. Fixtures in `OnlineRLHFTests`.
@Suite struct ReMaxTests {
  typealias Fixture = OnlineRLHFTests

  @Test func isUnbiasedAndConverges() throws {
    let task = try Fixture.task()
    let gold = SequenceRewardFunction.gold(task)
    let beta = 0.5
    let (policy, reference) = try Fixture.policies(seed: 5)
    var mc = ReMax.Config()
    mc.online.beta = beta
    let remax = try ReMax(policy: policy, reference: reference, task: task, reward: gold, config: mc)
    let exact = try KLRegularizedObjective.gradient(
      policy: policy, reference: reference, promptProbabilities: task.promptProbabilities, reward: gold, beta: beta)
    try Fixture.expectUnbiased(remax, prompts: 8, k: 1, exact: exact)
    mc.online.promptsPerIteration = 64
    let m = try Fixture.converge(ReMax.self, mc)
    #expect(m.tv < 0.02, "ReMax: TV \(m.tv)")
  }
}
