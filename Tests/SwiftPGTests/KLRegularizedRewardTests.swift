import Testing

@testable import SwiftPG

@Suite struct KLRegularizedRewardTests {
  /// log π = −1, log π_ref = −2 at a token (r = π_ref/π = e⁻¹): k1 = 1,
  /// k2 = ½, k3 = (e⁻¹ − 1) + 1 = e⁻¹; the reverse pair gives k1 = −1 (k1
  /// can be negative), k2 = ½, k3 = (e − 1) − 1.
  @Test func estimatorGoldenValues() throws {
    let lp = [-1.0, -2.0], lq = [-2.0, -1.0]
    let k1 = try KLRegularizedReward.penalties(
      logProbabilities: lp, referenceLogProbabilities: lq, lengths: [2], maxLength: 2, estimator: .k1)
    let k2 = try KLRegularizedReward.penalties(
      logProbabilities: lp, referenceLogProbabilities: lq, lengths: [2], maxLength: 2, estimator: .k2)
    let k3 = try KLRegularizedReward.penalties(
      logProbabilities: lp, referenceLogProbabilities: lq, lengths: [2], maxLength: 2, estimator: .k3)
    #expect(k1 == [1, -1] && k2 == [0.5, 0.5])
    #expect(abs(k3[0] - _exp(-1)) < 1e-15 && abs(k3[1] - (_exp(1) - 2)) < 1e-15)
  }

  /// Token rewards sum to the sequence reward; the reward sits on the last
  /// generated position; what lies beyond a length never matters.
  @Test func tokenRewardsSumToTheSequenceReward() throws {
    var g = PCG64(seed: 3)
    let l = 5
    let lengths: [Int32] = [1, 5, 3, 2]
    var penalties = (0..<(4 * l)).map { _ in g.standardNormal() }
    let rewards = [0.5, -1.0, 2.0, 0.25]
    let seq = try KLRegularizedReward.sequenceRewards(
      rewards: rewards, penalties: penalties, lengths: lengths, maxLength: l, beta: 0.3)
    let tok = try KLRegularizedReward.tokenRewards(
      rewards: rewards, penalties: penalties, lengths: lengths, maxLength: l, beta: 0.3)
    for b in 0..<4 {
      let n = Int(lengths[b])
      #expect(abs((0..<l).map { tok[b * l + $0] }.reduce(0, +) - seq[b]) < 1e-12)
      #expect(abs(tok[b * l + n - 1] - (rewards[b] - 0.3 * penalties[b * l + n - 1])) < 1e-15)
      for t in n..<l { #expect(tok[b * l + t] == 0) }
    }
    for b in 0..<4 { for t in Int(lengths[b])..<l { penalties[b * l + t] = .nan } }
    #expect(
      try KLRegularizedReward.sequenceRewards(
        rewards: rewards, penalties: penalties, lengths: lengths, maxLength: l, beta: 0.3) == seq)
  }

  /// With tokens sampled from π, the k1 and k3 penalties summed over a
  /// response average to the exact KL(π ‖ π_ref) of the response
  /// distribution (within 5 standard errors), and so the mean sequence-level
  /// regularised reward to E[r] − β KL.
  @Test func sampledPenaltiesEstimateTheExactKL() throws {
    let policy = try SequenceFixtures.tabular(v: 2, l: 3, prompts: 1, seed: 7)
    let reference = try SequenceFixtures.tabular(v: 2, l: 3, prompts: 1, seed: 8)
    let exact = try ExactResponses.kl(
      logP: ExactResponses.logProbabilities(policy, prompt: 0), logQ: ExactResponses.logProbabilities(reference, prompt: 0))
    let m = 20_000
    let prompts = [Int32](repeating: 0, count: m)
    let s = try policy.sample(prompts: prompts, temperature: 1, seed: 1)
    let lq = try reference.tokenLogProbabilities(prompts: prompts, tokens: s.tokens, lengths: s.lengths)
    for estimator in [KLRegularizedReward.Estimator.k1, .k3] {
      let p = try KLRegularizedReward.penalties(
        logProbabilities: s.logProbabilities, referenceLogProbabilities: lq, lengths: s.lengths, maxLength: 3,
        estimator: estimator)
      let r = try KLRegularizedReward.sequenceRewards(
        rewards: [Double](repeating: 0, count: m), penalties: p, lengths: s.lengths, maxLength: 3, beta: 1)
      let mean = -r.reduce(0, +) / Double(m)
      let sd = (r.map { ($0 + mean) * ($0 + mean) }.reduce(0, +) / Double(m - 1)).squareRoot()
      #expect(abs(mean - exact) < 5 * sd / Double(m).squareRoot(), "\(estimator): \(mean) vs \(exact)")
    }
  }

  @Test func badInputIsRefused() throws {
    let ok: [Double] = [0, 0]
    #expect(throws: SwiftPGError.self) {  // β < 0
      try KLRegularizedReward.sequenceRewards(rewards: [1], penalties: ok, lengths: [2], maxLength: 2, beta: -1)
    }
    // β = 0: no KL term, the rewards unchanged (the score at the last real token).
    #expect(
      try KLRegularizedReward.tokenRewards(rewards: [1], penalties: [5, 7], lengths: [2], maxLength: 2, beta: 0)
        == [0, 1])
    #expect(throws: SwiftPGError.self) {
      try KLRegularizedReward.tokenRewards(rewards: [1], penalties: ok, lengths: [2], maxLength: 2, beta: .nan)
    }
    #expect(throws: SwiftPGError.self) {  // length beyond L
      try KLRegularizedReward.sequenceRewards(rewards: [1], penalties: ok, lengths: [3], maxLength: 2, beta: 1)
    }
    #expect(throws: SwiftPGError.self) {  // length 0
      try KLRegularizedReward.sequenceRewards(rewards: [1], penalties: ok, lengths: [0], maxLength: 2, beta: 1)
    }
    #expect(throws: SwiftPGError.self) {  // non-finite used penalty
      try KLRegularizedReward.sequenceRewards(rewards: [1], penalties: [.nan, 0], lengths: [1], maxLength: 2, beta: 1)
    }
    #expect(throws: SwiftPGError.self) {  // shape
      try KLRegularizedReward.penalties(
        logProbabilities: [0], referenceLogProbabilities: ok, lengths: [1], maxLength: 2, estimator: .k1)
    }
    #expect(throws: SwiftPGError.self) {  // rewards count
      try KLRegularizedReward.tokenRewards(rewards: [1, 2], penalties: ok, lengths: [1], maxLength: 2, beta: 1)
    }
  }
}
