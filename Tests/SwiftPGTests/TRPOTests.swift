import Testing

@testable import SwiftPG

/// Algorithms/TRPO.swift: the natural step with a backtracking line search
/// on the exact KL and the surrogate.
@Suite struct TRPOTests {
  /// A one-dimensional Gaussian policy N(b + w·s, σ²) at (w, b, log σ) = 0,
  /// observations s = 0, a zero linear critic and γ = 0, so Â_t = r_t.
  /// Actions (0, 2, −2) with rewards (1, −1, −1): the mean's gradient is
  /// Σ Â a / 3 = 0, log σ's is Σ Â (a² − 1) / 3 = (−1 − 3 − 3)/3 = −7/3; the
  /// Fisher of log σ is 2, so x = (0, 0, −7/6), xᵀFx = 49/18 and the full
  /// step (no damping) is Δ log σ = −√(2δ·18/49)·7/6 = −√δ: σ shrinks.
  /// Exact KL(N(0, 1) ‖ N(0, σ²)) at log σ = −u: −u + e^{2u}/2 − ½.
  func setup(_ change: (inout TRPO.Config) -> Void) throws -> (TRPO, Trajectories) {
    let policy = try GaussianPolicy(observationSize: 1, actionSize: 1, hidden: [], headGain: 1, seed: 0)
    try policy.setParameters([0, 0, 0])
    let critic = try ValueFunction(observationSize: 1, hidden: [], seed: 0)
    try critic.setParameters([0, 0])
    var config = TRPO.Config()
    config.gamma = 0
    config.normalizeAdvantages = false
    config.cgDamping = 0
    config.valueEpochs = 0
    config.minibatchSize = 0
    change(&config)
    let l = try TRPO(env: nil, policy: policy, critic: critic, config: config)
    let d = makeTrajectories(
      observationSize: 1, actionSpace: .box(low: [-2], high: [2]), steps: 3, observations: [0, 0, 0],
      continuousActions: [0, 2, -2], rewards: [1, -1, -1])
    return (l, d)
  }

  func kl(_ u: Double) -> Double { -u + _exp(2 * u) / 2 - 0.5 }

  /// δ = 2, c = 0.5: the full step (u = √2) has KL −1.414 + e^{2.83}/2 − ½ ≈ 6.5 > 2:
  /// rejected; the half step (u = √2/2) has KL ≈ 0.85 ≤ 2 and a larger
  /// surrogate (ρ(a=0) = 1/σ ≈ 2.03 weighs Â = 1): accepted at j = 1.
  @Test func theFirstTrialWithinTheBudgetThatImprovesIsTaken() throws {
    #expect(kl(2.0.squareRoot()) > 2 && kl(2.0.squareRoot() / 2) < 2)
    let (l, d) = try setup {
      $0.maxKL = 2
      $0.backtrackRatio = 0.5
    }
    let s = try l.update(external: d)
    #expect(s.lineSearchStep == 1)
    let p = l.policy.parameters
    #expect(p[0] == 0 && p[1] == 0)
    #expect(abs(p[2] + 0.5 * 2.0.squareRoot()) < 1e-12)
    #expect(abs(l.policy.meanKL([0, 0, 0], rows: 3, old: [0, 0, 0]) - kl(2.0.squareRoot() / 2)) < 1e-12)
  }

  /// With a single trial that exceeds the budget the search fails and θ is
  /// kept exactly (not merely close: the trial was written and undone).
  @Test func aRejectedSearchKeepsTheParametersExactly() throws {
    let (l, d) = try setup {
      $0.maxKL = 2
      $0.lineSearchSteps = 1
    }
    let before = l.policy.parameters
    let s = try l.update(external: d)
    #expect(s.lineSearchStep == -1)
    #expect(l.policy.parameters == before)
    #expect(s.approxKL == 0)
  }

  /// δ = 0.01: the full step's KL is −0.1 + e^{0.2}/2 − ½ ≈ 0.01070 > δ
  /// (the third-order term), so even a small budget backtracks once
  /// (c = 0.8: u = 0.08, KL ≈ 0.00676).
  @Test func smallBudgetsBacktrackWhenTheQuadraticModelUnderestimates() throws {
    #expect(kl(0.1) > 0.01 && kl(0.08) < 0.01)
    let (l, d) = try setup { $0.maxKL = 0.01 }
    let s = try l.update(external: d)
    #expect(s.lineSearchStep == 1)
    #expect(abs(l.policy.parameters[2] + 0.08) < 1e-12)
  }

  @Test func trpoRespectsTheKLBudget() throws {
    let l = try cartPoleLearner(TRPO.self) {
      $0.stepsPerEnv = 64
      $0.maxKL = 0.005
    }
    var accepted = 0
    for _ in 0..<5 {
      let before = l.policy.parameters
      let s = try l.iterate()
      // A rejected line search keeps θ (and would pass the KL bound vacuously).
      #expect((s.lineSearchStep >= 0) == (l.policy.parameters != before))
      if s.lineSearchStep >= 0 { accepted += 1 }
      // Exact mean KL(π_old ‖ π_new) over the batch's states.
      let m = l.core.data.count
      var kl = [Double](repeating: 0, count: m)
      before.withUnsafeBufferPointer { b in
        kl.withUnsafeMutableBufferPointer { k in
          l.policy.klDivergences(l.core.data.observations.pointer, batch: m, oldParameters: b.baseAddress!, into: k.baseAddress!)
        }
      }
      let mean = kl.reduce(0, +) / Double(m)
      #expect(mean <= 0.005 + 1e-12, "KL \(mean) after line search step \(s.lineSearchStep)")
      if s.lineSearchStep >= 0 { #expect(mean > 0) }
    }
    #expect(accepted >= 3, "only \(accepted) of 5 line searches accepted a step")
  }

  @Test func trpoImprovesOnCartPole() throws {
    let tail = try cartPoleTailMean(TRPO.self, iterations: 40) {
      $0.stepsPerEnv = 128
      $0.maxKL = 0.02
    }
    #expect(tail > 100)
  }

  @Test func invalidConfigurations() throws {
    #expect(throws: SwiftPGError.self) { try setup { $0.backtrackRatio = 1 } }
    #expect(throws: SwiftPGError.self) { try setup { $0.backtrackRatio = 0 } }
    #expect(throws: SwiftPGError.self) { try setup { $0.lineSearchSteps = 0 } }
    #expect(throws: SwiftPGError.self) { try setup { $0.maxKL = 0 } }
  }
}
