import Testing

@testable import SwiftPG

/// Estimators/QLearningTargets.swift: DQN and Double DQN targets on a
/// hand-made batch.
@Suite struct QLearningTargetsTests {
  // Two transitions, three actions, γ = 0.9; the second terminated.
  let rewards: [Double] = [1, 2]
  let discounts: [Double] = [0.9, 0]
  // Q̃(s′, ·) of the target network and Q(s′, ·) of the online network.
  let targetNext: [Double] = [0.5, 3.0, 1.0, 7.0, 8.0, 9.0]
  let onlineNext: [Double] = [4.0, 0.0, 2.0, 1.0, 1.0, 1.0]

  /// y₀ = 1 + 0.9·max(0.5, 3, 1) = 3.7; y₁ = 2 + 0 = 2.
  @Test func dqnTargetsByHand() {
    var y = [Double](repeating: 0, count: 2)
    qLearningTargets(rewards: rewards, discounts: discounts, targetNextQ: targetNext, batch: 2, actionCount: 3, into: &y)
    #expect(abs(y[0] - 3.7) < 1e-15 && y[1] == 2)
  }

  /// The online net picks argmax (4, 0, 2) = action 0; the target net
  /// evaluates it: y₀ = 1 + 0.9·0.5 = 1.45 (DQN would use 3). Row 1: ties in
  /// the online values go to action 0, but the discount is 0: y₁ = 2.
  @Test func doubleDQNUsesOnlineArgmaxEvaluatedByTarget() {
    var y = [Double](repeating: 0, count: 2)
    doubleQLearningTargets(
      rewards: rewards, discounts: discounts, targetNextQ: targetNext, onlineNextQ: onlineNext, batch: 2,
      actionCount: 3, into: &y)
    #expect(abs(y[0] - 1.45) < 1e-15 && y[1] == 2)
    // With the target net as its own selector, Double DQN is DQN.
    var z = [Double](repeating: 0, count: 2)
    doubleQLearningTargets(
      rewards: rewards, discounts: [0.9, 0.9], targetNextQ: targetNext, onlineNextQ: targetNext, batch: 2,
      actionCount: 3, into: &z)
    var w = [Double](repeating: 0, count: 2)
    qLearningTargets(rewards: rewards, discounts: [0.9, 0.9], targetNextQ: targetNext, batch: 2, actionCount: 3, into: &w)
    #expect(z == w)
  }

  /// A row with discount 0 (terminated) is its reward even when its next
  /// values are placeholders (NaN): nothing leaks into the target.
  @Test func terminatedRowIgnoresNextValues() {
    var y = [Double](repeating: 0, count: 1)
    qLearningTargets(rewards: [2], discounts: [0], targetNextQ: [.nan, .nan], batch: 1, actionCount: 2, into: &y)
    #expect(y == [2])
    doubleQLearningTargets(
      rewards: [3], discounts: [0], targetNextQ: [.nan, 1], onlineNextQ: [.nan, .nan], batch: 1, actionCount: 2,
      into: &y)
    #expect(y == [3])
  }

  @Test func argmaxTiesAndNaN() {
    #expect(argmax([1, 3, 3], 3) == 1)
    #expect(argmax([.nan, -1, -2], 3) == 1)
    #expect(argmax([5], 1) == 0)
  }
}
