import Testing

@testable import SwiftPG

/// Policies/EpsilonGreedy.swift: the linear schedule by hand, and the
/// frequency of exploratory actions.
@Suite struct EpsilonGreedyTests {
  /// rl-zoo CartPole: 1 → 0.04 over 0.16 · 50 000 = 8 000 steps.
  /// ε(0) = 1, ε(4000) = 1 − 0.96/2 = 0.52, ε(8000) = ε(50 000) = 0.04.
  @Test func linearScheduleByHand() throws {
    let s = try LinearSchedule(start: 1, end: 0.04, fraction: 0.16, totalSteps: 50_000)
    #expect(s.value(at: 0) == 1)
    #expect(abs(s.value(at: 4000) - 0.52) < 1e-15)
    #expect(abs(s.value(at: 2000) - 0.76) < 1e-15)
    #expect(abs(s.value(at: 8000) - 0.04) < 1e-15)
    #expect(s.value(at: 50_000) == 0.04 && s.value(at: 1 << 40) == 0.04)
    #expect(s.value(at: -5) == 1)
    let flat = try LinearSchedule(start: 1, end: 0.1, fraction: 0, totalSteps: 10)
    #expect(flat.value(at: 0) == 0.1)
    #expect(throws: SwiftPGError.self) { try LinearSchedule(start: 1, end: 0, fraction: 1.5, totalSteps: 10) }
    #expect(throws: SwiftPGError.self) { try LinearSchedule(start: .nan, end: 0, fraction: 0.5, totalSteps: 10) }
    #expect(throws: SwiftPGError.self) { try LinearSchedule(start: 1, end: 0, fraction: 0.5, totalSteps: 0) }
  }

  /// With Q favouring action 2 of 4, the greedy action is taken with
  /// probability 1 − ε + ε/4 and each other with ε/4 (within 5 SE at a fixed
  /// seed); ε = 0 is greedy, ε = 1 uniform.
  @Test func actionFrequencies() {
    let a = 4
    let batch = 20_000
    let q = [Double]((0..<batch).flatMap { _ in [0.0, 1.0, 2.0, -1.0] })
    var actions = [Int32](repeating: 0, count: batch)
    var rng = PCG64(seed: 3)
    for eps in [0.0, 0.3, 1.0] {
      epsilonGreedyActions(q, batch: batch, actionCount: a, epsilon: eps, into: &actions, using: &rng)
      for k in 0..<a {
        let p = k == 2 ? 1 - eps + eps / 4 : eps / 4
        let f = Double(actions.filter { $0 == Int32(k) }.count) / Double(batch)
        let se = (p * (1 - p) / Double(batch)).squareRoot()
        #expect(abs(f - p) <= 5 * se, "ε \(eps), action \(k): \(f) vs \(p)")
      }
    }
  }
}
