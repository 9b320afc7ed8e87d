import Testing

@testable import SwiftPG

/// Algorithms/A2C.swift: one update on outside data equals the hand-computed
/// A2C step (GAE advantages, policy and weighted critic gradients, joint
/// norm clipping, one step each).
@Suite struct A2CTests {
  /// Two steps of one lane, uniform tabular policy (scores ±½), tabular
  /// critic V = (1, 2), γ = 0.5, λ = 1, c_V = 0.5, SGD at rate 1:
  ///   k0: s0 a0 r=1;  k1: s1 a1 r=2, segment ends, next observation s0.
  /// Returns: G1 = 2 + 0.5·V(s0) = 2.5, G0 = 1 + 0.5·2.5 = 2.25;
  /// Â = (2.25 − 1, 2.5 − 2) = (1.25, 0.5).
  /// ĝ = ½(1.25·(½, −½, 0, 0) + 0.5·(0, 0, −½, ½)) = (0.3125, −0.3125, −0.125, 0.125).
  /// Critic: c_V·(1/2)((V − G)·e_s) = 0.25·(−1.25, −0.5) = (−0.3125, −0.125) ⇒ V = (1.3125, 2.125).
  func run(maxGradNorm: Double) throws -> (A2C, ValueFunction, TrainStats) {
    try twoStepUpdate(A2C.self) {
      $0.gaeLambda = 1
      $0.valueCoef = 0.5
      $0.optimizer = .sgd
      $0.maxGradNorm = maxGradNorm
    }
  }

  @Test func oneUpdateIsTheHandComputedStep() throws {
    let (l, critic, s) = try run(maxGradNorm: 0)
    #expect(l.policy.parameters == [0.3125, -0.3125, -0.125, 0.125])
    #expect(critic.parameters == [1.3125, 2.125])
    // ½ mean (V − G)² = ½(1.5625 + 0.25)/2.
    #expect(s.valueLoss == 0.453125)
    // Joint norm: √(2·0.3125² + 2·0.125² + 0.3125² + 0.125²) = √(3·0.11328125).
    #expect(abs(s.gradNorm - 0.33984375.squareRoot()) < 1e-15)
  }

  /// With maxGradNorm below the joint norm both networks' steps shrink by
  /// the same factor maxNorm / ‖(g_π, g_V)‖.
  @Test func jointClippingScalesBothSteps() throws {
    let (l, critic, s) = try run(maxGradNorm: 0.25)
    let k = 0.25 / 0.33984375.squareRoot()
    #expect(abs(s.gradNorm - 0.33984375.squareRoot()) < 1e-15)
    expectClose(l.policy.parameters, [0.3125 * k, -0.3125 * k, -0.125 * k, 0.125 * k], 1e-15, "policy")
    expectClose(critic.parameters, [1 + 0.3125 * k, 2 + 0.125 * k], 1e-15, "critic")
  }

  @Test func a2cImprovesOnCartPole() throws {
    #expect(try cartPoleTailMean(A2C.self, iterations: 400) > 60)
  }
}
