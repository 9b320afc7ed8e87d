import Testing

@testable import SwiftPG

/// RLOO (`RLOO.swift`): unbiased for the exact gradient, convergence to π*,
/// k = 1 refused, and the all-or-nothing iteration (a NaN reward, a
/// cancellation before and after a step). Fixtures in `OnlineRLHFTests`.
@Suite struct RLOOTests {
  typealias Fixture = OnlineRLHFTests

  @Test func estimateIsUnbiasedForTheExactGradient() throws {
    var rc = RLOO.Config()
    rc.online.beta = 0.3
    let (task, policy, reference, exact) = try Fixture.movedPolicies(seed: 1, beta: rc.online.beta)
    let rloo = try RLOO(policy: policy, reference: reference, task: task, reward: .gold(task), config: rc)
    try Fixture.expectUnbiased(rloo, prompts: 2, k: 4, exact: exact)
  }

  @Test func convergesToTheRegularisedOptimum() throws {
    var rc = RLOO.Config()
    (rc.online.samplesPerPrompt, rc.online.promptsPerIteration) = (4, 16)
    let rloo = try Fixture.converge(RLOO.self, rc)
    #expect(rloo.tv < 0.02, "RLOO: TV \(rloo.start) → \(rloo.tv)")
    #expect(rloo.learner.core.iteration == 1500 && rloo.learner.core.totalSamples == 1500 * 64)
  }

  @Test func badInputAndAllOrNothingIterations() throws {
    let task = try Fixture.task()
    let (policy, reference) = try Fixture.policies(seed: 3)
    let gold = SequenceRewardFunction.gold(task)
    #expect(throws: SwiftPGError.self) { try RLOO(policy: policy, reference: policy, task: task, reward: gold) }
    var one = RLOO.Config()
    one.online.samplesPerPrompt = 1
    #expect(throws: SwiftPGError.self) { try RLOO(policy: policy, reference: reference, task: task, reward: gold, config: one) }
    // A reward that is NaN for one sample: refused naming it, nothing changes.
    var calls = 0
    let poisoned = SequenceRewardFunction(name: "poisoned") { (x, y, n) throws(SwiftPGError) in
      calls += 1
      var r = try task.goldRewards(prompts: x, tokens: y, lengths: n)
      if calls == 2 { r[5] = .nan }
      return r
    }
    let learner = try RLOO(policy: policy, reference: reference, task: task, reward: poisoned)
    _ = try learner.iterate()
    let before = policy.parameters
    let e = #expect(throws: SwiftPGError.self) { try learner.iterate() }
    #expect(e?.message.contains("sample 5") == true)
    #expect(policy.parameters == before && learner.core.iteration == 1)
    learner.core.cancellation = CancellationFlag()
    learner.core.cancellation?.request()
    let cancelled = #expect(throws: SwiftPGError.self) { try learner.iterate() }
    #expect(cancelled?.code == .cancelled && policy.parameters == before)
    _ = try learner.iterate()  // the same prompts and samples as the refused iteration, now scored finitely
    #expect(learner.core.iteration == 2 && policy.parameters != before)
    // A failure after a step was taken (a cancellation arriving during the second iteration's
    // scoring stops it after its first of two epochs): the policy and Adam are restored.
    let flag = CancellationFlag()
    var scored = 0
    let late = SequenceRewardFunction(name: "late") { (x, y, n) throws(SwiftPGError) in
      scored += 1
      if scored == 2 { flag.request() }
      return try task.goldRewards(prompts: x, tokens: y, lengths: n)
    }
    var twice = RLOO.Config()
    twice.epochs = 2
    let (p2, r2) = try Fixture.policies(seed: 6)
    let reused = try RLOO(policy: p2, reference: r2, task: task, reward: late, config: twice)
    reused.core.cancellation = flag
    _ = try reused.iterate()
    let (theta, adam) = (p2.parameters, reused.core.optimizer)
    let stopped = #expect(throws: SwiftPGError.self) { try reused.iterate() }
    #expect(stopped?.code == .cancelled)
    #expect(p2.parameters == theta && reused.core.optimizer.t == adam.t && reused.core.optimizer.m == adam.m)
    #expect(reused.core.iteration == 1 && adam.t == 2)
  }
}
