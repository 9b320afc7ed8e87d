import Testing

@testable import SwiftPG

/// End-to-end checks of the policy-gradient learners (short runs; the full
/// training results are in bench/).
@Suite struct PolicyGradientAlgorithmTests {
  func learner<L: PolicyGradientLearner>(
    _ type: L.Type, count: Int = 8, seed: UInt64 = 0, hidden: [Int] = [32, 32],
    _ change: (inout L.Config) -> Void = { _ in }
  ) throws -> L {
    let env = try VectorEnvironment(CartPole(), count: count, seed: seed)
    let policy = try SoftmaxPolicy(observationSize: 4, actionCount: 2, hidden: hidden, seed: seed)
    let critic = try ValueFunction(observationSize: 4, hidden: hidden, seed: seed + 1)
    var config = L.Config()
    config.common.seed = seed
    change(&config)
    return try L(env: env, policy: policy, critic: critic, config: config)
  }

  /// Mean training return over the last `k` iterations with episodes.
  func train(_ l: any PolicyGradientLearner, iterations: Int, last k: Int = 3) throws -> (first: Double, last: Double) {
    var returns: [Double] = []
    for _ in 0..<iterations {
      let s = try l.iterate()
      if !s.episodes.isEmpty { returns.append(s.meanReturn) }
    }
    let tail = returns.suffix(k)
    return (returns.first ?? 0, tail.reduce(0, +) / Double(Swift.max(tail.count, 1)))
  }

  @Test func reinforceVariantsImproveOnCartPole() throws {
    for (weighting, baseline) in [
      (ReturnWeighting.rewardToGo, BaselineKind.mean), (.fullReturn, .none), (.rewardToGo, .value),
      (.discountedRewardToGo, .mean),
    ] {
      let l = try learner(Reinforce.self) {
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
    let l = try learner(PPO.self, hidden: [64, 64]) {
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
    let learners: [(any PolicyGradientLearner, Int, Double)] = [
      (try learner(A2C.self), 400, 60.0),
      (try learner(TRPO.self) { $0.stepsPerEnv = 128; $0.maxKL = 0.02 }, 40, 100.0),
      (try learner(NPG.self) { $0.stepsPerEnv = 128; $0.maxKL = 0.02 }, 40, 100.0),
      (try learner(ActorCritic.self, count: 16), 2000, 40.0),
    ]
    for (l, iterations, target) in learners {
      let (first, last) = try train(l, iterations: iterations, last: l.algorithm == .actorCritic ? 50 : 3)
      #expect(last > target, "\(l.algorithm.name): \(first) -> \(last)")
    }
  }

  @Test func trpoRespectsTheKLBudget() throws {
    let l = try learner(TRPO.self) {
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

  @Test func offPolicyReuseImprovesAndReportsESS() throws {
    let l = try learner(OffPolicyPG.self) {
      $0.stepsPerIteration = 1000
      $0.reuseBatches = 3
      $0.importanceClip = 5
    }
    var ess: [Double] = []
    var returns: [Double] = []
    for _ in 0..<30 {
      let s = try l.iterate()
      ess.append(s.effectiveSampleSize)
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
    var config = PPO.Config()
    config.stepsPerEnv = 256
    config.normalizeObservations = true
    config.normalizeRewards = true
    config.gamma = 0.9
    let l = try PPO(env: env, policy: policy, critic: critic, config: config)
    for _ in 0..<5 {
      let s = try l.iterate()
      #expect(s.valueLoss.isFinite && s.policyLoss.isFinite && s.approxKL.isFinite)
      #expect(s.episodes.isEmpty || s.meanLength == 200)
    }
    let (returns, _) = try l.evaluate(
      env: try VectorEnvironment(Pendulum(), count: 2, seed: 9), episodes: 2, greedy: true, seed: 9)
    #expect(returns.count == 2 && returns.allSatisfy { $0.isFinite && $0 <= 0 })
  }

  @Test func deterministicGivenSeeds() throws {
    func run(_ make: () throws -> any PolicyGradientLearner) throws -> [Double] {
      let l = try make()
      for _ in 0..<3 { _ = try l.iterate() }
      return l.policy.parameters + (l.critic?.parameters ?? [])
    }
    let makers: [() throws -> any PolicyGradientLearner] = [
      { try self.learner(Reinforce.self, count: 4, seed: 3, hidden: [8]) { $0.stepsPerIteration = 300 } },
      { try self.learner(OffPolicyPG.self, count: 4, seed: 3, hidden: [8]) { $0.stepsPerIteration = 300 } },
      { try self.learner(ActorCritic.self, count: 4, seed: 3, hidden: [8]) { $0.stepsPerEnv = 16 } },
      { try self.learner(A2C.self, count: 4, seed: 3, hidden: [8]) { $0.stepsPerEnv = 16; $0.minibatchSize = 16 } },
      { try self.learner(NPG.self, count: 4, seed: 3, hidden: [8]) { $0.stepsPerEnv = 16; $0.minibatchSize = 16 } },
      { try self.learner(TRPO.self, count: 4, seed: 3, hidden: [8]) { $0.stepsPerEnv = 16; $0.minibatchSize = 16 } },
      { try self.learner(PPO.self, count: 4, seed: 3, hidden: [8]) { $0.stepsPerEnv = 16; $0.minibatchSize = 16 } },
    ]
    for make in makers { #expect(try run(make) == run(make)) }
  }

  @Test func checkpointResumesExactly() throws {
    let path = "/tmp/swiftpg-test-learner-\(UInt64.random(in: 0..<UInt64.max)).ckpt"
    let a = try learner(PPO.self, count: 4, hidden: [16]) {
      $0.stepsPerEnv = 16
      $0.minibatchSize = 16
      $0.normalizeObservations = true
    }
    for _ in 0..<3 { _ = try a.iterate() }
    try a.save(to: path)
    let b = try learner(PPO.self, count: 4, seed: 9, hidden: [16]) {
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
    let sa = try a.update(external: a.core.data.copy())
    let sb = try b.update(external: a.core.data.copy())
    #expect(b.policy.parameters == a.policy.parameters)
    #expect(sa.policyLoss == sb.policyLoss)
    // A checkpoint of another algorithm or shape is refused.
    let other = try learner(A2C.self, count: 4, hidden: [16])
    #expect(throws: SwiftPGError.self) { try other.load(from: path) }
  }

  @Test func invalidConfigurationsFailBeforeTraining() throws {
    let changes: [(inout PPO.Config) -> Void] = [
      { $0.gamma = 1.5 }, { $0.gaeLambda = -0.1 }, { $0.learningRate = -1 }, { $0.learningRate = .nan },
      { $0.minibatchSize = 100 }, { $0.stepsPerEnv = 0 }, { $0.epochs = 0 }, { $0.annealLearningRate = true },
      { $0.annealClipRange = true }, { $0.updateThreads = 3 }, { $0.targetKL = .nan },
    ]
    for change in changes {
      #expect(throws: SwiftPGError.self) { try learner(PPO.self, count: 8, change) }
    }
    #expect(throws: SwiftPGError.self) { try learner(TRPO.self) { $0.backtrackRatio = 1 } }
    #expect(throws: SwiftPGError.self) { try learner(TRPO.self) { $0.maxKL = 0 } }
    #expect(throws: SwiftPGError.self) { try learner(NPG.self) { $0.cgIterations = 0 } }
    #expect(throws: SwiftPGError.self) { try learner(OffPolicyPG.self) { $0.baseline = .value } }
    #expect(throws: SwiftPGError.self) { try learner(Reinforce.self) { $0.weighting = .fullReturn; $0.baseline = .value } }
    // A Gaussian policy does not fit CartPole's discrete actions.
    let env = try VectorEnvironment(CartPole(), count: 2, seed: 0)
    let gaussian = try GaussianPolicy(observationSize: 4, actionSize: 1, hidden: [], seed: 0)
    let critic = try ValueFunction(observationSize: 4, hidden: [], seed: 0)
    #expect(throws: SwiftPGError.self) {
      try PPO(env: env, policy: gaussian, critic: critic)
    }
    // Critic algorithms need a critic.
    let softmax = try SoftmaxPolicy(observationSize: 4, actionCount: 2, hidden: [], seed: 0)
    #expect(throws: SwiftPGError.self) {
      try A2C(env: env, policy: softmax, critic: nil)
    }
  }

  @Test func nonFiniteUpdateLeavesTheLearnerUnchanged() throws {
    let l = try learner(A2C.self, count: 4, hidden: [8])
    _ = try l.iterate()
    let before = l.policy.parameters
    let criticBefore = l.critic?.parameters
    let bad = l.core.data.copy()
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

  /// The one-pass surrogate gradients equal the generic composition.
  @Test func surrogateGradientMatchesSeparatePasses() throws {
    let policy = try SoftmaxPolicy(observationSize: 3, actionCount: 4, hidden: [5], seed: 2)
    var g = PCG64(seed: 5)
    let b = 7
    let obs = (0..<(b * 3)).map { _ in g.standardNormal() }
    let actions: [Int32] = (0..<b).map { _ in Int32(g.next() % 4) }
    let ws = (0..<b).map { _ in g.standardNormal() }
    let we = (0..<b).map { _ in g.standardNormal() }
    var fused = [Double](repeating: 0, count: policy.parameterCount)
    var lp = [Double](repeating: 0, count: b)
    var h = lp
    obs.withUnsafeBufferPointer { o in
      actions.withUnsafeBytes { a in
        policy.surrogateGradient(
          o.baseAddress!, rawActions: a.baseAddress!, batch: b, logProbabilities: &lp, entropies: &h,
          weigh: { _, _, s, e in
            for i in 0..<b {
              s[i] = ws[i]
              e[i] = we[i]
            }
          }, into: &fused)
      }
    }
    var score = [Double](repeating: 0, count: policy.parameterCount)
    var ent = score
    obs.withUnsafeBufferPointer { o in
      actions.withUnsafeBytes { a in
        policy.scoreGradient(o.baseAddress!, rawActions: a.baseAddress!, weights: ws, batch: b, into: &score)
        policy.entropyGradient(o.baseAddress!, weights: we, batch: b, into: &ent)
      }
    }
    for k in fused.indices { #expect(abs(fused[k] - (score[k] + ent[k])) < 1e-12) }
  }
}
