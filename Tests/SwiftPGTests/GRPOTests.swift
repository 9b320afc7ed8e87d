import Testing

@testable import SwiftPG

/// GRPO (`GRPO.swift`): its own fixed point (not π*), its scalings and the
/// log-ratio clamp. Fixtures in `OnlineRLHFTests`.
@Suite struct GRPOTests {
  typealias Fixture = OnlineRLHFTests

  /// GRPO without std scaling on a bandit (L = 1, so every response is one
  /// token): its expected update is c ∇E_π[r] − β ∇KL(π_ref ‖ π) with
  /// c = (k − 1)/k (the group mean includes the sample), whose fixed point
  /// is π_a = β π_ref,a / (β − c (r_a − r̄)), r̄ = Σ π_a r_a — not π*.
  @Test func grpoConvergesToItsOwnFixedPointNotPiStar() throws {
    let rewards: [Double] = [0.25, -1.0, 1.25, 0.0]  // canonical order: EOS, then tokens 0, 1, 2
    let task = try ArrayTask(
      vocabularySize: 3, maxLength: 1, promptProbabilities: [1], promptFeatures: [], promptFeatureCount: 0,
      goldTable: rewards)
    let space = try SequenceSpace(vocabularySize: 3, maxLength: 1)
    let refModel = try TabularSequenceModel(space: space, promptCount: 1, logits: [0.4, -0.2, 0.1, 0.3])
    let reference = SequencePolicy(model: refModel)
    let policy = try reference.frozenCopy()
    let beta = 1.0, k = 4
    var c = GRPO.Config()
    c.online.beta = beta
    c.online.samplesPerPrompt = k
    c.online.promptsPerIteration = 64
    c.online.learningRate = 0.02
    c.scaling = .none
    let grpo = try GRPO(policy: policy, reference: reference, task: task, reward: .gold(task), config: c)
    for _ in 0..<1500 { _ = try grpo.iterate() }
    // The fixed point: bisection on r̄ so that Σ π_a(r̄) = 1.
    let ref = try ExactResponses.logProbabilities(reference, prompt: 0).map { _exp($0) }
    let cc = Double(k - 1) / Double(k)
    func fixedPoint(_ rbar: Double) -> [Double] { ref.indices.map { beta * ref[$0] / (beta - cc * (rewards[$0] - rbar)) } }
    var lo = 1.25 - beta / cc + 1e-9, hi = 1.25  // every denominator β − c(r_a − r̄) > 0 on the bracket
    for _ in 0..<200 {
      let mid = (lo + hi) / 2
      if fixedPoint(mid).reduce(0, +) > 1 { lo = mid } else { hi = mid }  // Σ π falls as r̄ rises
    }
    let target = fixedPoint((lo + hi) / 2)
    let p = try ExactResponses.logProbabilities(policy, prompt: 0).map { _exp($0) }
    let star = try KLRegularizedObjective.optimum(
      referenceLogProbabilities: ref.map { _log($0) }, rewards: rewards, beta: beta
    ).map { _exp($0) }
    // The point a forward-KL term would give with the same c: π ∝ π_ref exp(c r/β).
    let forward = try KLRegularizedObjective.optimum(
      referenceLogProbabilities: ref.map { _log($0) }, rewards: rewards.map { cc * $0 }, beta: beta
    ).map { _exp($0) }
    func tv(_ a: [Double], _ b: [Double]) -> Double { 0.5 * zip(a, b).reduce(0) { $0 + abs($1.0 - $1.1) } }
    let d = tv(p, target)
    #expect(d < 0.02, "GRPO: TV to its fixed point \(d)")
    #expect(tv(p, star) > 2 * d && tv(p, forward) > 2 * d, "GRPO: π* at \(tv(p, star)), the forward-KL point at \(tv(p, forward))")
  }

  /// GRPO's scalings divide by what they name (a TRL fault kind: a "batch"
  /// scaling that silently used group statistics), and a huge log-ratio is
  /// clamped before k3 (finite objective, counted, no KL gradient).
  @Test func grpoScalingsAndClamp() throws {
    let task = try Fixture.task()
    let (policy, reference) = try Fixture.policies(seed: 12)
    // Two groups of 3 with different spreads, answering prompts 0 and 1.
    let rewards: [Double] = [0, 1, 2, 10, 20, 60]
    let responses: [Int32] = [2, 0, 0, 2, 1, 1, 2, 0, 0, 1, 1, 2]  // (V = 2, EOS = 2, L = 2)
    let lengths: [Int32] = [1, 2, 2, 1, 2, 2]
    var rollout = try RLHFRollout(
      prompts: [0, 0, 0, 1, 1, 1], tokens: responses, lengths: lengths, rewards: rewards, groupSize: 3, policy: policy)
    func std(_ xs: [Double]) -> Double {
      let m = xs.reduce(0, +) / Double(xs.count)
      return (xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count - 1)).squareRoot()
    }
    for scaling in [GRPO.Scaling.group, .batch, .none] {
      var c = GRPO.Config()
      (c.scaling, c.online.samplesPerPrompt) = (scaling, 3)
      let grpo = try GRPO(policy: policy, reference: reference, task: task, reward: .gold(task), config: c)
      let a = try grpo.advantages(rollout)
      for (g, range) in [(0, 0..<3), (1, 3..<6)] {
        let group = Array(rewards[range])
        let mean = group.reduce(0, +) / 3
        let s: Double =
          switch scaling {
          case .group: std(group) + c.epsilon
          case .batch: std(rewards) + c.epsilon
          case .none: 1
          }
        for i in range { #expect(abs(a[i] - (rewards[i] - mean) / s) <= 1e-12 * (1 + abs(a[i])), "group \(g)") }
      }
    }
    // A reference that gives the sampled tokens e^-60 of the policy's probability.
    let far = try reference.frozenCopy()
    try far.setParameters(reference.parameters.map { $0 * 200 })
    let grpo = try GRPO(policy: policy, reference: far, task: task, reward: .gold(task))
    try grpo.core.fillLogProbabilities(&rollout)
    let huge = zip(rollout.referenceLogProbabilities, rollout.oldLogProbabilities).filter { abs($0 - $1) > 20 }.count
    let (g, objective, clamped) = try grpo.gradientAndObjective(rollout)
    #expect(huge > 0 && clamped == huge && objective.isFinite && g.allFinite)
  }
}
