import Testing

@testable import SwiftPG

/// REINFORCE for RLHF (`RLHFReinforce.swift`): unbiased for the exact
/// gradient of the KL-regularised objective (its KL term too), and
/// convergence to π* ∝ π_ref exp(r/β). Fixtures in `OnlineRLHFTests`.
@Suite struct RLHFReinforceTests {
  typealias Fixture = OnlineRLHFTests

  @Test func estimateIsUnbiasedForTheExactGradient() throws {
    let beta = 0.3
    let (task, policy, reference, exact) = try Fixture.movedPolicies(seed: 1, beta: beta)
    let gold = SequenceRewardFunction.gold(task)
    var c = RLHFReinforce.Config()
    c.online.beta = beta
    c.baseline = .none
    let reinforce = try RLHFReinforce(policy: policy, reference: reference, task: task, reward: gold, config: c)
    try Fixture.expectUnbiased(reinforce, prompts: 8, k: 1, exact: exact)
    // The KL part alone (a zero reward): the estimator's β·k1 term against −β∇KL, with the
    // exact gradient far outside the standard errors (so dropping the term would fail).
    let zero = SequenceRewardFunction(name: "zero") { (x, _, _) throws(SwiftPGError) in Array(repeating: 0, count: x.count) }
    let klOnly = try RLHFReinforce(policy: policy, reference: reference, task: task, reward: zero, config: c)
    let klExact = try KLRegularizedObjective.gradient(
      policy: policy, reference: reference, promptProbabilities: task.promptProbabilities, reward: zero, beta: beta)
    let klEstimates = try Fixture.rollouts(klOnly.core, count: 400, prompts: 8, k: 1).map { try klOnly.gradientEstimate($0) }
    Fixture.expectUnbiased(klEstimates, exact: klExact)
    let largest = klExact.indices.max { abs(klExact[$0]) < abs(klExact[$1]) } ?? 0
    let xs = klEstimates.map { $0[largest] }
    let mean = xs.reduce(0, +) / 400
    let se = (xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 399 / 400).squareRoot()
    #expect(abs(klExact[largest]) > 10 * se, "the KL gradient \(klExact[largest]) is within 10 SE (\(se)) of 0")
  }

  @Test func convergesToTheRegularisedOptimum() throws {
    var c = RLHFReinforce.Config()
    c.online.promptsPerIteration = 64
    let reinforce = try Fixture.converge(RLHFReinforce.self, c)
    #expect(reinforce.start > 0.1 && reinforce.tv < 0.02, "REINFORCE: TV \(reinforce.start) → \(reinforce.tv)")
  }
}
