import Testing

@testable import SwiftPG

@Suite struct DidacticBanditTests {
  @Test func contract() throws {
    for placement in DidacticBandit.RewardPlacement.allCases {
      try TaskChecks.checkContract(DidacticBandit(vocabularySize: 9, placement: placement))
      try TaskChecks.checkContract(DidacticBandit(placement: placement), demonstrations: 400)
    }
  }

  /// V = 9 (10 arms, EOS = 9): m = round(6.3) = 6, w_ref = 1.35;
  /// low: a* = round(1.8) = 2, w_r = 0.9:
  /// r(2) = 1, r(3) = exp(−½ (1/0.9)²) = 0.5394075072376265,
  /// r(EOS) = exp(−½ (7/0.9)²) = 7.310251818545068e-14;
  /// logit(EOS) = −½ (3/1.35)² = −2.469135802469135, logit(6) = 0;
  /// high: a* = 6, r(EOS) = exp(−½ (3/0.9)²) = 0.003865920139472811.
  @Test func goldenValues() throws {
    let low = try DidacticBandit(vocabularySize: 9, placement: .lowProbability)
    #expect(low.referenceMode == 6 && low.rewardPeak == 2)
    #expect(try TaskChecks.gold(low, 0, [2]) == 1)
    #expect(abs(try TaskChecks.gold(low, 0, [3]) - 0.5394075072376265) < 1e-15)
    #expect(abs(try TaskChecks.gold(low, 0, []) - 7.310251818545068e-14) < 1e-26)
    #expect(abs(low.referenceLogits[9] + 2.469135802469135) < 1e-14 && low.referenceLogits[6] == 0)
    #expect(try TaskChecks.gold(low, 0, [3], label: true) == TaskChecks.gold(low, 0, [3]))
    let high = try DidacticBandit(vocabularySize: 9, placement: .highProbability)
    #expect(high.rewardPeak == 6 && high.expertResponse(prompt: 0) == [6])
    #expect(abs(try TaskChecks.gold(high, 0, []) - 0.003865920139472811) < 1e-17)
    // Default: 100 arms, m = round(69.3) = 69, a* = round(19.8) = 20; r(21) = exp(−½ (1/9.9)²).
    let d = try DidacticBandit()
    #expect(d.space.responseCount == 100 && d.referenceMode == 69 && d.rewardPeak == 20)
    #expect(abs(try TaskChecks.gold(d, 0, [21]) - 0.9949114704013271) < 1e-15)
    // One-hot arm features (EOS last).
    #expect(try TaskChecks.features(low, 0, [3]) == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0])
    #expect(try TaskChecks.features(low, 0, []) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
    #expect(low.featureNames.last == "arm_eos")
  }

  /// `referencePolicy()` is the tabular π_ref of the formula: its one
  /// logit row is −½((a − m)/w_ref)² and its next-token log-probabilities
  /// (and response log-probabilities: arm EOS is response 0, arm a < V
  /// response a + 1) are those of softmax(referenceLogits); a new policy on
  /// each call. Tasks without a reference return nil.
  @Test func referencePolicyIsTheFormula() throws {
    let task = try DidacticBandit(vocabularySize: 9, placement: .lowProbability)
    let ref = try #require(try task.referencePolicy())
    #expect(ref.family == .tabular && ref.space == task.space && ref.promptCount == 1)
    let m = 6.0, w = 1.35
    let logits = (0...9).map { (a: Int) -> Double in -0.5 * ((Double(a) - m) / w) * ((Double(a) - m) / w) }
    for (a, z) in logits.enumerated() { #expect(abs(ref.parameters[a] - z) < 1e-12) }
    let logZ = _log(logits.map { _exp($0) }.reduce(0, +))
    let next = try ref.nextTokenLogProbabilities(prompts: [0], tokens: [0], positions: [0])
    let exact = try ExactResponses.logProbabilities(ref, prompt: 0)
    for a in 0...9 {
      #expect(abs(next[a] - (logits[a] - logZ)) < 1e-12)
      #expect(abs(exact[a == 9 ? 0 : a + 1] - (logits[a] - logZ)) < 1e-12)
      #expect(abs(_exp(next[a]) - task.referenceProbabilities[a]) < 1e-12)
    }
    try ref.setParameters(Array(repeating: 0, count: 10))
    #expect(try task.referencePolicy()?.parameters == task.referenceLogits)
    #expect(try Summarise().referencePolicy() == nil)
  }

  /// The two variants put the optimum where π_ref has little or most mass.
  @Test func placementRelativeToReference() throws {
    let low = try DidacticBandit(placement: .lowProbability)
    let high = try DidacticBandit(placement: .highProbability)
    let pi = low.referenceProbabilities
    #expect(abs(pi.reduce(0, +) - 1) < 1e-12)
    #expect(pi.firstIndex(of: pi.max()!) == 69)
    #expect(pi[low.rewardPeak] < 0.01 * pi[69])  // the tail
    #expect(high.rewardPeak == 69)
    let exp = zip(pi, low.armRewards).map { $0 * $1 }.reduce(0, +)
    let expHigh = zip(pi, high.armRewards).map { $0 * $1 }.reduce(0, +)
    #expect(exp < 0.1 && expHigh > 0.5, "E_ref r*: low \(exp), high \(expHigh)")
  }

  @Test func rejectsBadSizes() {
    for v in [0, -3, (1 << 16) + 1] {
      #expect(throws: SwiftPGError.self) { try DidacticBandit(vocabularySize: v) }
    }
  }
}
