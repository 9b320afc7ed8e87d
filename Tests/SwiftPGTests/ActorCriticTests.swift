import Testing

@testable import SwiftPG

/// Algorithms/ActorCritic.swift: one update on outside data is the lecture's
/// critic step toward the TD target, then the TD-error policy step with the
/// updated critic.
@Suite struct ActorCriticTests {
  /// Two steps of one lane over a uniform tabular policy (scores ±½ as in
  /// ReinforceTests) and a tabular critic V = (1, 2), γ = 0.5:
  ///   k0: s0 a0 r=1 → s1;  k1: s1 a1 r=2 terminated.
  /// 2. Targets with the old critic: y0 = 1 + 0.5·V(s1) = 2, y1 = 2 (terminal).
  ///    ∇ ½ mean (V − y)²: s0: (1 − 2)/2 = −0.5, s1: (2 − 2)/2 = 0;
  ///    SGD at 0.5 ⇒ V = (1.25, 2); loss ½(1 + 0)/2 = 0.25.
  /// 3. δ with the updated critic: δ0 = 1 + 0.5·2 − 1.25 = 0.75, δ1 = 2 − 2 = 0.
  /// 4–5. ĝ = (1/2)(0.75·(½, −½, 0, 0)) = (0.1875, −0.1875, 0, 0); SGD at 1 ⇒ θ = ĝ.
  /// (δ from the old critic would give δ0 = 1 and θ00 = 0.25.)
  func run(valueEpochs: Int) throws -> (ActorCritic, ValueFunction, TrainStats) {
    try twoStepUpdate(ActorCritic.self, terminated: [0, 1]) {
      $0.valueLearningRate = 0.5
      $0.valueEpochs = valueEpochs
    }
  }

  @Test func oneUpdateIsTheHandComputedTDStep() throws {
    let (l, critic, s) = try run(valueEpochs: 1)
    #expect(critic.parameters == [1.25, 2])
    #expect(l.policy.parameters == [0.1875, -0.1875, 0, 0])
    #expect(s.valueLoss == 0.25)
    // The policy loss: −Σ (δ/M) log π = −(0.75/2)·log ½.
    #expect(abs(s.policyLoss - 0.375 * _log(2)) < 1e-15)
  }

  /// Several critic steps per batch, each toward the same targets (computed
  /// once with the old critic), then δ with the last critic.
  @Test func valueEpochsRepeatTheCriticStep() throws {
    let (l, critic, _) = try run(valueEpochs: 2)
    // Second step: ∇ = (1.25 − 2)/2 = −0.375 ⇒ V(s0) = 1.25 + 0.1875 = 1.4375.
    #expect(critic.parameters == [1.4375, 2])
    // δ0 = 1 + 0.5·2 − 1.4375 = 0.5625 ⇒ θ00 = ½·0.5625·½ = 0.140625.
    #expect(l.policy.parameters == [0.140625, -0.140625, 0, 0])
  }

  @Test func actorCriticImprovesOnCartPole() throws {
    #expect(try cartPoleTailMean(ActorCritic.self, count: 16, iterations: 2000, tail: 50) > 40)
  }
}
