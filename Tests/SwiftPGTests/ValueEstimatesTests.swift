import Testing

@testable import SwiftPG

/// Critics/ValueEstimates.swift: V of every row, of the observation after
/// the segment and of final observations of truncated episodes; GAE/n-step
/// advantages and the critic's targets from them.
@Suite struct ValueEstimatesTests {
  /// 3 steps × 2 lanes over 4 one-hot states, V = (0.5, 1, 2, 4), γ = 0.5.
  /// Rows k = 2t + i:
  ///   lane 0: s0 r=1 | s1 r=2 truncated (final s3) | s2 r=3, then s1;
  ///   lane 1: s1 r=0 terminated | s0 r=1 | s3 r=−1 terminated and truncated (final s2, ignored), then s0.
  func setup() throws -> (ValueFunction, Trajectories) {
    let critic = try ValueFunction(tabularStates: 4)
    try critic.setParameters([0.5, 1, 2, 4])
    let d = makeTrajectories(
      observationSize: 4, actionSpace: .discrete(2), steps: 3, lanes: 2,
      observations: oneHot([0, 1, 1, 0, 2, 3], count: 4), actions: [0, 0, 0, 0, 0, 0], rewards: [1, 0, 2, 1, 3, -1],
      terminated: [0, 1, 0, 0, 0, 1], truncated: [0, 0, 1, 0, 0, 1],
      finalObservations: oneHot([0, 0, 3, 0, 0, 2], count: 4).enumerated().map { [2, 5].contains($0.offset / 4) ? $0.element : 0 },
      nextObservations: oneHot([1, 0], count: 4))
    return (critic, d)
  }

  func fail(_ what: String) -> SwiftPGError { SwiftPGError(.numerical, what) }

  @Test func predictsRowsNextObservationsAndFinalValuesOfTruncatedRowsOnly() throws {
    let (critic, d) = try setup()
    let e = ValueEstimates()
    try e.predict(critic: critic, d, failure: fail)
    #expect(Array(UnsafeBufferPointer(start: e.values.pointer, count: 8)) == [0.5, 1, 1, 0.5, 2, 4, 1, 0.5])
    // Row 2 (truncated) reads V(s3) = 4; row 5 (terminated too) does not bootstrap: 0.
    #expect(Array(UnsafeBufferPointer(start: e.finalValues.pointer, count: 6)) == [0, 0, 4, 0, 0, 0])
  }

  /// TD(0) by hand, a truncation row bootstrapping from V(final observation):
  ///   lane 0: 1 + 0.5·1 − 0.5 = 1;  2 + 0.5·V(s3)=2 − 1 = 3;  3 + 0.5·1 − 2 = 1.5;
  ///   lane 1: 0 − 1 = −1 (terminated);  1 + 0.5·4 − 0.5 = 2.5;  −1 − 4 = −5.
  @Test func truncationRowsUseTheValueOfTheFinalObservation() throws {
    let (critic, d) = try setup()
    let e = ValueEstimates()
    try e.predict(critic: critic, d, failure: fail)
    let td: [Double] = [1, -1, 3, 2.5, 1.5, -5]
    e.estimate(d, advantage: .gae, gamma: 0.5, gaeLambda: 0, nSteps: 1, target: .bootstrap)
    #expect(Array(UnsafeBufferPointer(start: e.advantages.pointer, count: 6)) == td)
    // Targets: Â + V.
    #expect(Array(UnsafeBufferPointer(start: e.returns.pointer, count: 6)) == [1.5, 0, 4, 3, 3.5, -1])
    // n-step with n = 1 is the same TD error.
    e.estimate(d, advantage: .nStep, gamma: 0.5, gaeLambda: 0.3, nSteps: 1, target: .bootstrap)
    #expect(Array(UnsafeBufferPointer(start: e.advantages.pointer, count: 6)) == td)
  }

  /// λ = 1: Â_t = G_t − V(s_t) with the Monte Carlo returns (bootstrapped at
  /// the segment end and at truncation):
  ///   lane 0: G = (1 + 0.5·4, 2 + 0.5·4, 3 + 0.5·1) = (3, 4, 3.5) ⇒ Â = (2.5, 3, 1.5);
  ///   lane 1: G = (0, 1 + 0.5·(−1), −1) = (0, 0.5, −1) ⇒ Â = (−1, 0, −5).
  @Test func gaeWithLambdaOneIsTheMonteCarloAdvantage() throws {
    let (critic, d) = try setup()
    let e = ValueEstimates()
    try e.predict(critic: critic, d, failure: fail)
    e.estimate(d, advantage: .gae, gamma: 0.5, gaeLambda: 1, nSteps: 1, target: .monteCarlo)
    let advantages = Array(UnsafeBufferPointer(start: e.advantages.pointer, count: 6))
    #expect(advantages == [2.5, -1, 3, 0, 1.5, -5])
    // The Monte Carlo targets are the returns G themselves.
    let g = Array(UnsafeBufferPointer(start: e.returns.pointer, count: 6))
    #expect(g == [3, 0, 4, 0.5, 3.5, -1])
    // Explained variance of V as predictions of those targets, by hand:
    // V = (0.5, 1, 1, 0.5, 2, 4); G − V = (2.5, −1, 3, 0, 1.5, −5).
    #expect(abs(e.explainedVariance(count: 6) - explainedVariance(targets: g, predictions: [0.5, 1, 1, 0.5, 2, 4], count: 6)) == 0)
    // Var[G] = mean(G²) − mean(G)² = (9 + 0 + 16 + 0.25 + 12.25 + 1)/6 − (10/6)² = 38.5/6 − 100/36 = 131/36;
    // Var[G − V] = (6.25 + 1 + 9 + 0 + 2.25 + 25)/6 − (1/6)² = 43.5/6 − 1/36 = 260/36 ⇒ 1 − 260/131.
    #expect(abs(e.explainedVariance(count: 6) - (1 - 260.0 / 131)) < 1e-14)
  }

  @Test func nonFiniteValuesAreRefused() throws {
    let critic = try ValueFunction(observationSize: 1, hidden: [], seed: 0)
    let d = makeTrajectories(
      observationSize: 1, actionSpace: .discrete(2), steps: 2, observations: [0, .nan], actions: [0, 1], rewards: [0, 0])
    #expect {
      try ValueEstimates().predict(critic: critic, d, failure: fail)
    } throws: { error in
      (error as? SwiftPGError)?.message == "the value estimate V(s)"
    }
  }
}
