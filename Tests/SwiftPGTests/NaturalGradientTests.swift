import Testing

@testable import SwiftPG

/// Algorithms/NaturalGradient.swift: the surrogate gradient g at θ_old,
/// the conjugate-gradient direction x ≈ (F + λI)⁻¹g, xᵀFx, the step scale
/// √(2δ / xᵀFx), the surrogate and the exact mean KL.
@Suite struct NaturalGradientTests {
  static let m = 12

  /// An NPG learner (any natural-gradient config would do) with a linear
  /// softmax policy at random parameters, a linear critic, and a batch of
  /// 6 steps × 2 lanes with random observations, actions and rewards.
  func setup(_ change: (inout NPG.Config) -> Void = { _ in }) throws -> (NPG, Trajectories) {
    var g = PCG64(seed: 21)
    let policy = try SoftmaxPolicy(observationSize: 2, actionCount: 3, hidden: [], headGain: 1, seed: 1)
    try policy.setParameters(policy.parameters.map { _ in 0.3 * g.standardNormal() })
    let critic = try ValueFunction(observationSize: 2, hidden: [], seed: 2)
    var config = NPG.Config()
    config.minibatchSize = 0
    config.valueEpochs = 0
    config.normalizeAdvantages = false
    config.cgIterations = 50
    config.gamma = 0.9
    change(&config)
    let l = try NPG(env: nil, policy: policy, critic: critic, config: config)
    let d = makeTrajectories(
      observationSize: 2, actionSpace: .discrete(3), steps: 6, lanes: 2,
      observations: (0..<(Self.m * 2)).map { _ in g.standardNormal() },
      actions: (0..<Self.m).map { _ in Int32(g.next() % 3) }, rewards: (0..<Self.m).map { _ in g.standardNormal() },
      nextObservations: (0..<4).map { _ in g.standardNormal() })
    try l.core.prepareExternal(d, minibatchSize: nil)  // behaviour log-probabilities = current policy's
    return (l, d)
  }

  func fisher(_ policy: any Policy, _ d: Trajectories, _ v: [Double], damping: Double) -> [Double] {
    var out = [Double](repeating: 0, count: v.count)
    policy.fisherVectorProduct(d.observations.pointer, batch: d.count, vector: v, into: &out)
    return zip(out, v).map { $0 + damping * $1 }
  }

  func obs(_ d: Trajectories) -> [Double] { Array(UnsafeBufferPointer(start: d.observations.pointer, count: d.count * 2)) }
  func acts(_ d: Trajectories) -> [Int32] { Array(UnsafeBufferPointer(start: d.discreteActions.pointer, count: d.count)) }

  /// The advantages the step must use, from the public estimators.
  func advantages(_ l: NPG, _ d: Trajectories) throws -> [Double] {
    let e = ValueEstimates()
    try e.predict(critic: l.critic!, d, failure: { SwiftPGError(.numerical, $0) })
    e.estimate(d, advantage: .gae, gamma: l.config.gamma, gaeLambda: l.config.gaeLambda, nSteps: 1, target: .bootstrap)
    var a = Array(UnsafeBufferPointer(start: e.advantages.pointer, count: d.count))
    if l.config.normalizeAdvantages { standardize(&a, count: a.count, center: true) }
    return a
  }

  @Test(arguments: [0.0, 0.1])
  func directionSolvesTheDampedFisherSystem(entropyCoef: Double) throws {
    let (l, d) = try setup { $0.entropyCoef = entropyCoef }
    let policy = l.policy
    let a = try advantages(l, d)
    // g = (1/M) Σ Â ∇log π + (c_H/M) Σ ∇H.
    var g = policy.score(obs(d), acts(d), weights: a.map { $0 / Double(Self.m) })
    if entropyCoef != 0 {
      g = zip(g, policy.entropyGrad(obs(d), weights: [Double](repeating: entropyCoef / Double(Self.m), count: Self.m))).map(+)
    }
    var s = TrainStats()
    let step = NaturalGradientStep()
    let dir = try step.direction(l.core, l.config, d, &s)
    #expect(abs(s.gradNorm - Statistics.norm(g)) < 1e-14)
    // (F + λI) x = g.
    let fx = fisher(policy, d, dir.x, damping: l.config.cgDamping)
    expectClose(fx, g, 1e-6, "(F + λI)x vs g")
    #expect(abs(dir.xFx - zip(dir.x, fx).map(*).reduce(0, +)) < 1e-14)
    // L(θ_old) = mean Â (every ratio is 1) + c_H mean H.
    var h = [Double](repeating: 0, count: Self.m)
    policy.entropies(obs(d), batch: Self.m, into: &h)
    let expected = a.reduce(0, +) / Double(Self.m) + entropyCoef * h.reduce(0, +) / Double(Self.m)
    #expect(abs(dir.surrogateOld - expected) < 1e-14)
    #expect(s.policyLoss == -dir.surrogateOld)
  }

  /// The step θ_old + β x with β = √(2δ / xᵀ(F + λI)x) has ½Δᵀ(F + λI)Δ = δ
  /// exactly; the KL is exact (0 at θ_old).
  @Test func stepScaleMeetsTheKLBudgetInTheQuadraticModel() throws {
    let (l, d) = try setup()
    var s = TrainStats()
    let step = NaturalGradientStep()
    let dir = try step.direction(l.core, l.config, d, &s)
    let old = l.policy.parameters
    let delta = 0.02
    let p1 = try #require(NaturalGradientStep.trial(old, dir, maxKL: delta, fraction: 1))
    let step1 = zip(p1, old).map(-)
    let quadratic = 0.5 * zip(step1, fisher(l.policy, d, step1, damping: l.config.cgDamping)).map(*).reduce(0, +)
    #expect(abs(quadratic - delta) < 1e-14)
    // A fraction scales the step linearly.
    let half = try #require(NaturalGradientStep.trial(old, dir, maxKL: delta, fraction: 0.5))
    expectClose(zip(half, old).map(-), step1.map { $0 * 0.5 }, 1e-14, "half step")
    #expect(l.core.meanKL(d, oldParameters: old) == 0)
    try l.policy.setParameters(p1)
    #expect(abs(l.core.meanKL(d, oldParameters: old) - l.policy.meanKL(obs(d), rows: Self.m, old: old)) < 1e-15)
  }

  /// Normalised advantages are standardised (centred) before the gradient.
  @Test func normalisedAdvantagesAreUsed() throws {
    let (l, d) = try setup { $0.normalizeAdvantages = true }
    let a = try advantages(l, d)
    var s = TrainStats()
    let step = NaturalGradientStep()
    _ = try step.direction(l.core, l.config, d, &s)
    expectClose(Array(UnsafeBufferPointer(start: step.advantages.pointer, count: Self.m)), a, 1e-15, "Â")
    #expect(abs(a.reduce(0, +)) < 1e-12)
    let g = l.policy.score(obs(d), acts(d), weights: a.map { $0 / Double(Self.m) })
    #expect(abs(s.gradNorm - Statistics.norm(g)) < 1e-14)
  }

  @Test func invalidConfigurations() throws {
    for change: (inout NPG.Config) -> Void in [{ $0.maxKL = 0 }, { $0.maxKL = .infinity }, { $0.cgIterations = 0 }, { $0.cgDamping = -1 }] {
      #expect(throws: SwiftPGError.self) { try setup(change) }
    }
  }
}
