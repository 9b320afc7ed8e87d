import Testing

@testable import SwiftPG

/// Exact/BairdCounterexample.swift (Sutton & Barto Example 11.1): the
/// features and values by hand, the updates by hand, divergence under the
/// behaviour (uniform) state distribution and convergence under the target
/// policy's — each assertion fails when the two distributions are swapped.
@Suite struct BairdCounterexampleTests {
  typealias B = BairdCounterexample

  @Test func featuresAndValuesByHand() {
    #expect(B.features(0) == [2, 0, 0, 0, 0, 0, 0, 1])
    #expect(B.features(5) == [0, 0, 0, 0, 0, 2, 0, 1])
    #expect(B.features(6) == [0, 0, 0, 0, 0, 0, 1, 2])
    // w₀: upper states 2·1 + 1 = 3, lower 10 + 2·1 = 12.
    for s in 0..<6 { #expect(B.value(B.initialWeights, s) == 3) }
    #expect(B.value(B.initialWeights, 6) == 12)
    #expect(B.importanceRatio(.solid) == 7 && B.importanceRatio(.dashed) == 0)
  }

  /// Sampled update on (s = 0, solid, s′ = 6) at α = 0.1:
  /// δ = 0.99·12 − 3 = 8.88, w += 0.1·7·8.88·x(0): w₀ += 12.432, w₈ += 6.216.
  /// A dashed action (ρ = 0) changes nothing.
  @Test func sampledUpdateByHand() {
    var w = B.initialWeights
    B.sampledUpdate(&w, state: 0, action: .solid, next: 6, alpha: 0.1)
    #expect(abs(w[0] - (1 + 12.432)) < 1e-12 && abs(w[7] - (1 + 6.216)) < 1e-12)
    #expect(w[1...6] == B.initialWeights[1...6])
    var v = B.initialWeights
    B.sampledUpdate(&v, state: 3, action: .dashed, next: 1, alpha: 0.1)
    #expect(v == B.initialWeights)
  }

  /// Expected update under μ uniform at α = 0.7 by hand: δ_upper = 11.88 − 3
  /// = 8.88, δ_lower = 11.88 − 12 = −0.12; Σ μ δ x: component i ≤ 6 gets
  /// (1/7)·8.88·2, component 7 gets (1/7)(−0.12), component 8 gets
  /// (1/7)(6·8.88 − 0.24).
  @Test func expectedUpdateByHand() {
    var w = B.initialWeights
    B.expectedUpdate(&w, distribution: B.behaviourDistribution, alpha: 0.7)
    let k = 0.7 / 7
    for i in 0..<6 { #expect(abs(w[i] - (1 + k * 17.76)) < 1e-12) }
    #expect(abs(w[6] - (10 - k * 0.12)) < 1e-12)
    #expect(abs(w[7] - (1 + k * (6 * 8.88 - 0.24))) < 1e-12)
  }

  /// S&B Figure 11.2 at α = 0.01: both the sampled (seeded) and the
  /// expected updates under the behaviour distribution pass ‖w‖ > 1e3
  /// within 5000 steps; under the target distribution neither ever exceeds
  /// ‖w₀‖, and v̂(7) shrinks towards v_π = 0.
  @Test func divergesOffPolicyConvergesOnPolicy() throws {
    let w0Norm = Statistics.norm(B.initialWeights)
    var rng = PCG64(seed: 11)
    let offSampled = try B.runSampled(distribution: B.behaviourDistribution, alpha: 0.01, steps: 5000, using: &rng)
    let offExpected = try B.runExpected(distribution: B.behaviourDistribution, alpha: 0.01, sweeps: 5000)
    #expect((offSampled.norms.last ?? 0) > 1e3)
    #expect((offExpected.norms.last ?? 0) > 1e3)
    var rng2 = PCG64(seed: 11)
    let onSampled = try B.runSampled(distribution: B.targetDistribution, alpha: 0.01, steps: 5000, using: &rng2)
    let onExpected = try B.runExpected(distribution: B.targetDistribution, alpha: 0.01, sweeps: 5000)
    #expect(onSampled.norms.allSatisfy { $0 <= w0Norm + 1e-12 })
    #expect(onExpected.norms.allSatisfy { $0 <= w0Norm + 1e-12 })
    // Expected, on-policy: v̂(7) ← v̂(7)(1 − α(1 − γ)‖x(7)‖²) exactly, so
    // after k sweeps it is 12(1 − 0.0005)^k.
    let golden = 12 * powInt(1 - 0.01 * 0.01 * 5, 5000)
    #expect(abs(B.value(onExpected.weights, 6) - golden) < 1e-9)
    #expect(abs(B.value(onSampled.weights, 6)) < 2)
  }

  @Test func refusals() {
    var rng = PCG64(seed: 0)
    #expect(throws: SwiftPGError.self) {
      try B.runSampled(distribution: [1, 0], alpha: 0.01, steps: 1, using: &rng)
    }
    #expect(throws: SwiftPGError.self) {
      try B.runExpected(distribution: Array(repeating: 0.2, count: 7), alpha: 0.01, sweeps: 1)
    }
    #expect(throws: SwiftPGError.self) {
      try B.runExpected(distribution: B.targetDistribution, alpha: .nan, sweeps: 1)
    }
    #expect(throws: SwiftPGError.self) {
      try B.runExpected(distribution: B.targetDistribution, alpha: 0.1, sweeps: 1, from: [1])
    }
  }
}
