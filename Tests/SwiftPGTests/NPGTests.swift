import Testing

@testable import SwiftPG

/// Algorithms/NPG.swift: the full natural step θ + √(2δ / xᵀFx) x.
@Suite struct NPGTests {
  /// A linear softmax on random data (as in NaturalGradientTests), no
  /// damping, no critic passes.
  func setup(maxKL: Double, zeroRewards: Bool = false) throws -> (NPG, Trajectories) {
    var g = PCG64(seed: 31)
    let policy = try SoftmaxPolicy(observationSize: 2, actionCount: 3, hidden: [], headGain: 1, seed: 4)
    try policy.setParameters(policy.parameters.map { _ in 0.3 * g.standardNormal() })
    let critic = try ValueFunction(observationSize: 2, hidden: [], seed: 5)
    if zeroRewards { try critic.setParameters([0, 0, 0]) }
    var config = NPG.Config()
    config.minibatchSize = 0
    config.valueEpochs = 0
    config.cgDamping = 0
    config.cgIterations = 50
    config.maxKL = maxKL
    let l = try NPG(env: nil, policy: policy, critic: critic, config: config)
    let m = 16
    let d = makeTrajectories(
      observationSize: 2, actionSpace: .discrete(3), steps: 8, lanes: 2,
      observations: (0..<(m * 2)).map { _ in g.standardNormal() }, actions: (0..<m).map { _ in Int32(g.next() % 3) },
      rewards: (0..<m).map { _ in zeroRewards ? 0 : g.standardNormal() },
      nextObservations: (0..<4).map { _ in g.standardNormal() })
    return (l, d)
  }

  func meanKL(_ l: NPG, _ d: Trajectories, old: [Double]) -> Double {
    l.policy.meanKL(Array(UnsafeBufferPointer(start: d.observations.pointer, count: d.count * 2)), rows: d.count, old: old)
  }

  /// KL(π_old ‖ π_new) = δ + O(δ^{3/2}): the relative error shrinks like √δ.
  @Test func theStepsKLIsTheBudgetToSecondOrder() throws {
    var errors: [Double] = []
    for delta in [1e-2, 1e-4, 1e-6] {
      let (l, d) = try setup(maxKL: delta)
      let old = l.policy.parameters
      let s = try l.update(external: d)
      #expect(s.lineSearchStep == 0)
      errors.append(abs(meanKL(l, d, old: old) / delta - 1))
    }
    #expect(errors[2] < 1e-2)
    #expect(errors[1] < errors[0] / 5 && errors[2] < errors[1] / 5, "relative KL errors \(errors)")
  }

  /// The parameters are exactly θ_old + β x for the direction of the batch.
  @Test func theUpdateIsTheFullNaturalStep() throws {
    let (l, d) = try setup(maxKL: 0.01)
    let (twin, _) = try setup(maxKL: 0.01)
    let old = l.policy.parameters
    _ = try l.update(external: d)
    var s = TrainStats()
    let dir = try NaturalGradientStep().direction(twin.core, twin.config, d, &s)
    #expect(l.policy.parameters == NaturalGradientStep.trial(old, dir, maxKL: 0.01, fraction: 1))
  }

  /// A zero gradient (zero rewards and values: Â = 0) skips the policy step.
  @Test func aZeroGradientSkipsTheStep() throws {
    let (l, d) = try setup(maxKL: 0.01, zeroRewards: true)
    let old = l.policy.parameters
    let s = try l.update(external: d)
    #expect(s.lineSearchStep == -1 && s.gradNorm == 0)
    #expect(l.policy.parameters == old)
  }

  @Test func npgImprovesOnCartPole() throws {
    let tail = try cartPoleTailMean(NPG.self, iterations: 40) {
      $0.stepsPerEnv = 128
      $0.maxKL = 0.02
    }
    #expect(tail > 100)
  }
}
