import Testing

@testable import SwiftPG

/// End-to-end checks of the policy-gradient learners (short runs; the full
/// training results are in bench/).
@Suite struct PolicyGradientAlgorithmTests {
  func learner(
    _ algorithm: PGAlgorithm, count: Int = 8, seed: UInt64 = 0, hidden: [Int] = [32, 32],
    _ change: (inout PolicyGradientConfig) -> Void = { _ in }
  ) throws -> PolicyGradient {
    let env = try VectorEnvironment(CartPole(), count: count, seed: seed)
    let policy = try SoftmaxPolicy(observationSize: 4, actionCount: 2, hidden: hidden, seed: seed)
    let critic = try ValueFunction(observationSize: 4, hidden: hidden, seed: seed + 1)
    var config = PolicyGradientConfig.defaults(for: algorithm)
    config.seed = seed
    change(&config)
    return try PolicyGradient(env: env, policy: policy, critic: critic, config: config)
  }

  /// Mean training return over the last `k` iterations with episodes.
  func train(_ l: PolicyGradient, iterations: Int, last k: Int = 3) throws -> (first: Double, last: Double) {
    var returns: [Double] = []
    for _ in 0..<iterations {
      let s = try l.iterate()
      if s.episodes > 0 { returns.append(s.meanReturn) }
    }
    let tail = returns.suffix(k)
    return (returns.first ?? 0, tail.reduce(0, +) / Double(Swift.max(tail.count, 1)))
  }

  @Test func reinforceVariantsImproveOnCartPole() throws {
    for (weighting, baseline) in [
      (ReturnWeighting.rewardToGo, BaselineKind.mean), (.fullReturn, .none), (.rewardToGo, .value),
      (.discountedRewardToGo, .mean),
    ] {
      let l = try learner(.reinforce) {
        $0.stepsPerIteration = 2000
        $0.weighting = weighting
        $0.baseline = baseline
      }
      let (first, last) = try train(l, iterations: 25)
      #expect(first < 40)
      #expect(last > 100, "\(weighting) \(baseline): \(first) -> \(last)")
    }
  }

  @Test func ppoLearnsCartPoleQuickly() throws {
    let l = try learner(.ppo, hidden: [64, 64]) {
      $0.stepsPerEnv = 32
      $0.minibatchSize = 256
      $0.epochs = 20
      $0.learningRate = 1e-3
      $0.gaeLambda = 0.8
      $0.gamma = 0.98
    }
    let (first, last) = try train(l, iterations: 80)
    #expect(first < 40)
    #expect(last > 150, "\(first) -> \(last)")
  }

  @Test func a2cNpgTrpoAndActorCriticImprove() throws {
    for (algo, iterations, target) in [
      (PGAlgorithm.a2c, 400, 60.0), (.trpo, 40, 100.0), (.npg, 40, 100.0), (.actorCritic, 2000, 40.0),
    ] {
      let l = try learner(algo, count: algo == .actorCritic ? 16 : 8) {
        if algo == .trpo || algo == .npg {
          $0.stepsPerEnv = 128
          $0.maxKL = 0.02
        }
      }
      let (first, last) = try train(l, iterations: iterations, last: algo == .actorCritic ? 50 : 3)
      #expect(last > target, "\(algo.name): \(first) -> \(last)")
    }
  }

  @Test func trpoRespectsTheKLBudget() throws {
    let l = try learner(.trpo) {
      $0.stepsPerEnv = 64
      $0.maxKL = 0.005
    }
    var accepted = 0
    for _ in 0..<5 {
      let before = l.policy.parameters
      let s = try l.iterate()
      // A rejected line search keeps θ (and would pass the KL bound vacuously).
      #expect((s.updateSteps >= 0) == (l.policy.parameters != before))
      if s.updateSteps >= 0 { accepted += 1 }
      // Exact mean KL(π_old ‖ π_new) over the batch's states.
      let m = l.data.count
      var kl = [Double](repeating: 0, count: m)
      before.withUnsafeBufferPointer { b in
        kl.withUnsafeMutableBufferPointer { k in
          l.policy.klDivergences(l.data.observations.pointer, batch: m, oldParameters: b.baseAddress!, into: k.baseAddress!)
        }
      }
      let mean = kl.reduce(0, +) / Double(m)
      #expect(mean <= 0.005 + 1e-12, "KL \(mean) after line search step \(s.updateSteps)")
      if s.updateSteps >= 0 { #expect(mean > 0) }
    }
    #expect(accepted >= 3, "only \(accepted) of 5 line searches accepted a step")
  }

  @Test func offPolicyReuseImprovesAndReportsESS() throws {
    let l = try learner(.offPolicy) {
      $0.stepsPerIteration = 1000
      $0.reuseBatches = 3
      $0.importanceClip = 5
    }
    var ess: [Double] = []
    var returns: [Double] = []
    for _ in 0..<30 {
      let s = try l.iterate()
      ess.append(s.extra)
      returns.append(s.meanReturn)
    }
    #expect(ess[0] > 0.999)  // the first batch is on-policy: all weights 1
    #expect(ess.allSatisfy { $0 > 0 && $0 <= 1 + 1e-12 })
    #expect(returns.suffix(3).reduce(0, +) / 3 > 60)
  }

  @Test func ppoGaussianOnPendulumRunsAndKeepsStatsFinite() throws {
    let env = try VectorEnvironment(Pendulum(), count: 4, seed: 0)
    let policy = try GaussianPolicy(observationSize: 3, actionSize: 1, hidden: [32, 32], seed: 0)
    let critic = try ValueFunction(observationSize: 3, hidden: [32, 32], seed: 1)
    var config = PolicyGradientConfig.defaults(for: .ppo)
    config.stepsPerEnv = 256
    config.normalizeObservations = true
    config.normalizeRewards = true
    config.gamma = 0.9
    let l = try PolicyGradient(env: env, policy: policy, critic: critic, config: config)
    for _ in 0..<5 {
      let s = try l.iterate()
      #expect(s.valueLoss.isFinite && s.policyLoss.isFinite && s.approxKL.isFinite)
      #expect(s.episodes == 0 || s.meanLength == 200)
    }
    let (returns, _) = try l.evaluate(
      env: try VectorEnvironment(Pendulum(), count: 2, seed: 9), episodes: 2, greedy: true, seed: 9)
    #expect(returns.count == 2 && returns.allSatisfy { $0.isFinite && $0 <= 0 })
  }

  @Test func deterministicGivenSeeds() throws {
    func run(_ algo: PGAlgorithm) throws -> [Double] {
      let l = try learner(algo, count: 4, seed: 3, hidden: [8]) {
        $0.stepsPerIteration = 300
        $0.stepsPerEnv = 16
        $0.minibatchSize = 16
      }
      for _ in 0..<3 { _ = try l.iterate() }
      return l.policy.parameters + (l.critic?.parameters ?? [])
    }
    for algo in PGAlgorithm.allCases { #expect(try run(algo) == run(algo), "\(algo.name)") }
  }

  @Test func checkpointResumesExactly() throws {
    let path = "/tmp/swiftpg-test-learner-\(UInt64.random(in: 0..<UInt64.max)).ckpt"
    let a = try learner(.ppo, count: 4, hidden: [16]) {
      $0.stepsPerEnv = 16
      $0.minibatchSize = 16
      $0.normalizeObservations = true
    }
    for _ in 0..<3 { _ = try a.iterate() }
    try a.save(to: path)
    let b = try learner(.ppo, count: 4, seed: 9, hidden: [16]) {
      $0.stepsPerEnv = 16
      $0.minibatchSize = 16
      $0.normalizeObservations = true
    }
    try b.load(from: path)
    #expect(b.policy.parameters == a.policy.parameters)
    #expect(b.critic?.parameters == a.critic?.parameters)
    #expect(b.iteration == 3 && b.totalEnvSteps == a.totalEnvSteps)
    #expect(b.observationNormalizer?.mean == a.observationNormalizer?.mean)
    // Same update on the same data from both: identical results (optimizer
    // moments and generator restored).
    let sa = try a.update(external: a.data.copy())
    let sb = try b.update(external: a.data.copy())
    #expect(b.policy.parameters == a.policy.parameters)
    #expect(sa.policyLoss == sb.policyLoss)
    // A checkpoint of another algorithm or shape is refused.
    let other = try learner(.a2c, count: 4, hidden: [16])
    #expect(throws: SwiftPGError.self) { try other.load(from: path) }
  }

  @Test func invalidConfigurationsFailBeforeTraining() throws {
    let changes: [(inout PolicyGradientConfig) -> Void] = [
      { $0.gamma = 1.5 }, { $0.gaeLambda = -0.1 }, { $0.learningRate = -1 }, { $0.learningRate = .nan },
      { $0.minibatchSize = 100 }, { $0.stepsPerEnv = 0 }, { $0.epochs = 0 }, { $0.annealLearningRate = true },
      { $0.backtrackRatio = 1 }, { $0.maxKL = 0 },
    ]
    for change in changes {
      #expect(throws: SwiftPGError.self) { try learner(.ppo, count: 8, change) }
    }
    // A Gaussian policy does not fit CartPole's discrete actions.
    let env = try VectorEnvironment(CartPole(), count: 2, seed: 0)
    let gaussian = try GaussianPolicy(observationSize: 4, actionSize: 1, hidden: [], seed: 0)
    let critic = try ValueFunction(observationSize: 4, hidden: [], seed: 0)
    #expect(throws: SwiftPGError.self) {
      try PolicyGradient(env: env, policy: gaussian, critic: critic, config: .defaults(for: .ppo))
    }
    // Critic algorithms need a critic.
    let softmax = try SoftmaxPolicy(observationSize: 4, actionCount: 2, hidden: [], seed: 0)
    #expect(throws: SwiftPGError.self) {
      try PolicyGradient(env: env, policy: softmax, critic: nil, config: .defaults(for: .a2c))
    }
  }

  @Test func nonFiniteUpdateLeavesTheLearnerUnchanged() throws {
    let l = try learner(.a2c, count: 4, hidden: [8])
    _ = try l.iterate()
    let before = l.policy.parameters
    let criticBefore = l.critic?.parameters
    let bad = l.data.copy()
    bad.rewards[0] = .infinity
    #expect {
      _ = try l.update(external: bad)
    } throws: { error in
      guard let e = error as? SwiftPGError else { return false }
      return e.code == .numerical && e.message.contains("iteration 2")
    }
    #expect(l.policy.parameters == before)
    #expect(l.critic?.parameters == criticBefore)
    #expect(l.iteration == 1)
  }
}
