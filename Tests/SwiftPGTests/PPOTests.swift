import Testing

@testable import SwiftPG

/// Algorithms/PPO.swift: updates with injected minibatch permutations equal
/// the hand composition of the public pieces (GAE through `ValueEstimates`,
/// `standardize`, `clippedSurrogate`, the policy's score and entropy
/// gradients, `valueLossGradient`, `clipGlobalNorm`, `Adam`); the target-KL
/// stop; the adaptive KL coefficient; the shared network.
@Suite struct PPOTests {
  static let m = 8

  /// A small MLP softmax policy and critic (fresh copies for the same seeds)
  /// and a batch of 4 steps × 2 lanes with a termination (row 3) and a
  /// truncation (row 5).
  func networks() throws -> (SoftmaxPolicy, ValueFunction) {
    (
      try SoftmaxPolicy(observationSize: 3, actionCount: 3, hidden: [4], headGain: 1, seed: 7),
      try ValueFunction(observationSize: 3, hidden: [4], seed: 8)
    )
  }

  func batch() -> Trajectories {
    var g = PCG64(seed: 41)
    let m = Self.m
    return makeTrajectories(
      observationSize: 3, actionSpace: .discrete(3), steps: 4, lanes: 2,
      observations: (0..<(m * 3)).map { _ in g.standardNormal() }, actions: (0..<m).map { _ in Int32(g.next() % 3) },
      rewards: (0..<m).map { _ in g.standardNormal() }, terminated: [0, 0, 0, 1, 0, 0, 0, 0],
      truncated: [0, 0, 0, 0, 0, 1, 0, 0], finalObservations: (0..<(m * 3)).map { _ in g.standardNormal() },
      nextObservations: (0..<6).map { _ in g.standardNormal() })
  }

  func config(_ change: (inout PPO.Config) -> Void) -> PPO.Config {
    var c = PPO.Config()
    c.minibatchSize = 4
    c.epochs = 2
    c.learningRate = 0.05
    c.entropyCoef = 0.01
    c.valueClipRange = 0.2
    c.gamma = 0.9
    c.gaeLambda = 0.8
    change(&c)
    return c
  }

  /// Runs one update of a fresh learner with `permutations` injected (one
  /// per epoch; those of epochs a target-KL stop skipped stay unused).
  func learn(_ c: PPO.Config, _ permutations: [[Int]], unused: Int = 0) throws -> PPO {
    let (policy, critic) = try networks()
    let l = try PPO(env: nil, policy: policy, critic: critic, config: c)
    l.core.minibatches.permutations = permutations
    _ = try l.update(external: batch())
    #expect(l.core.minibatches.permutations.count == unused)
    return l
  }

  /// The same update composed by hand from the public pieces; returns the
  /// policy and critic it ends with and β after adaptation.
  func compose(_ c: PPO.Config, _ permutations: [[Int]]) throws -> (SoftmaxPolicy, ValueFunction, Double) {
    let (policy, critic) = try networks()
    let shared = c.sharedNetwork ? try tieHiddenLayers(policy: policy, critic: critic) : 0
    let d = batch()
    let m = Self.m
    let obs = Array(UnsafeBufferPointer(start: d.observations.pointer, count: m * 3))
    let actions = Array(UnsafeBufferPointer(start: d.discreteActions.pointer, count: m))
    let old = policy.logProbs(obs, actions)
    let oldParameters = policy.parameters
    let e = ValueEstimates()
    try e.predict(critic: critic, d, failure: { SwiftPGError(.numerical, $0) })
    e.estimate(d, advantage: .gae, gamma: c.gamma, gaeLambda: c.gaeLambda, nSteps: c.nSteps, target: .bootstrap)
    let advantages = Array(UnsafeBufferPointer(start: e.advantages.pointer, count: m))
    let targets = Array(UnsafeBufferPointer(start: e.returns.pointer, count: m))
    let oldValues = Array(UnsafeBufferPointer(start: e.values.pointer, count: m))
    var adamPolicy = try Adam(parameterCount: policy.parameterCount, learningRate: c.learningRate, epsilon: c.adamEpsilon)
    var adamCritic = try Adam(parameterCount: critic.parameterCount, learningRate: c.learningRate, epsilon: c.adamEpsilon)
    let b = c.minibatchSize > 0 ? c.minibatchSize : m
    for permutation in permutations {
      for start in stride(from: 0, to: m, by: b) {
        let rows = Array(permutation[start..<(start + b)])
        let o = rows.flatMap { obs[($0 * 3)..<($0 * 3 + 3)] }
        let a = rows.map { actions[$0] }
        var adv = rows.map { advantages[$0] }
        if c.normalizeAdvantages { standardize(&adv, count: b, center: true) }
        let lp = policy.logProbs(o, a)
        var w = [Double](repeating: 0, count: b)
        _ = clippedSurrogate(
          logProbs: lp, oldLogProbs: rows.map { old[$0] }, advantages: adv, count: b,
          epsilon: c.klPenalty ? .infinity : c.clipRange, objectives: nil, weights: &w)
        var gPolicy = zip(
          policy.score(o, a, weights: w.map { $0 / Double(b) }),
          policy.entropyGrad(o, weights: [Double](repeating: c.entropyCoef / Double(b), count: b))
        ).map(+)
        if c.klPenalty && c.klBeta > 0 {
          var kg = [Double](repeating: 0, count: policy.parameterCount)
          policy.klGradient(o, oldParameters: oldParameters, weights: [Double](repeating: c.klBeta / Double(b), count: b), batch: b, into: &kg)
          gPolicy = zip(gPolicy, kg).map(-)
        }
        var gCritic = [Double](repeating: 0, count: critic.parameterCount)
        _ = o.withUnsafeBufferPointer { op in
          valueLossGradient(
            critic: critic, observations: op.baseAddress!, count: b, targets: { targets[rows[$0]] },
            oldValues: c.valueClipRange > 0 ? { oldValues[rows[$0]] } : nil, clipRange: c.valueClipRange,
            coefficient: c.valueCoef, scratch: Store<Double>(), into: &gCritic)
        }
        for k in 0..<shared {  // one network: the trunk descends ∇value − ∇objective
          let g = gCritic[k] - gPolicy[k]
          gCritic[k] = g
          gPolicy[k] = -g
        }
        clipGlobalNorm(&gPolicy, &gCritic, sharedPrefix: shared, maxNorm: c.maxGradNorm)
        var theta = policy.parameters
        adamPolicy.step(&theta, gradient: gPolicy, ascend: true)
        try policy.setParameters(theta)
        var phi = critic.parameters
        adamCritic.step(&phi, gradient: gCritic, ascend: false)
        try critic.setParameters(phi)
      }
    }
    var beta = c.klBeta
    if c.klPenalty {
      let kl = policy.meanKL(obs, rows: m, old: oldParameters)
      if kl < c.klTarget / 1.5 { beta /= 2 } else if kl > c.klTarget * 1.5 { beta *= 2 }
    }
    return (policy, critic, beta)
  }

  /// One epoch, one minibatch: the first step is a hand-composed Adam step
  /// of the clipped-surrogate weights (all ratios 1) and the value loss.
  @Test func theFirstStepIsTheHandComposedAdamStep() throws {
    let c = config {
      $0.epochs = 1
      $0.minibatchSize = 0
    }
    let perms = [[5, 2, 7, 0, 1, 6, 3, 4]]
    let l = try learn(c, perms)
    let (policy, critic, _) = try compose(c, perms)
    expectClose(l.policy.parameters, policy.parameters, 1e-12, "policy")
    expectClose(l.critic!.parameters, critic.parameters, 1e-12, "critic")
  }

  /// Two epochs of two minibatches each, value clipping and an entropy
  /// bonus: every step matches, so the rows of each minibatch are the
  /// injected ones (another permutation gives another result).
  @Test(arguments: ["clip", "klPenalty", "shared"])
  func epochsOfMinibatchesMatchTheHandComposition(_ variant: String) throws {
    let c = config {
      $0.klPenalty = variant == "klPenalty"
      $0.klBeta = 0.7
      $0.sharedNetwork = variant == "shared"
    }
    let perms = [[5, 2, 7, 0, 1, 6, 3, 4], [0, 1, 2, 3, 4, 5, 6, 7]]
    let l = try learn(c, perms)
    let (policy, critic, beta) = try compose(c, perms)
    expectClose(l.policy.parameters, policy.parameters, 1e-12, "\(variant) policy")
    expectClose(l.critic!.parameters, critic.parameters, 1e-12, "\(variant) critic")
    #expect(l.klBeta == beta)
    let other = try learn(c, [[0, 1, 2, 3, 4, 5, 6, 7], [5, 2, 7, 0, 1, 6, 3, 4]])
    #expect(other.policy.parameters != l.policy.parameters)
  }

  /// The approximate KL is checked before each step: with a target of 1e-12
  /// the first epoch steps (KL 0 at θ_old) and the second stops at once.
  @Test func theTargetKLStopsTheEpochs() throws {
    let perms = [[Int]](repeating: Array(0..<Self.m), count: 3)
    // The second epoch drew its permutation, then stopped; the third's is left.
    let stopped = try learn(config {
      $0.epochs = 3
      $0.minibatchSize = 0
      $0.targetKL = 1e-12
    }, perms, unused: 1)
    let one = try learn(config {
      $0.epochs = 1
      $0.minibatchSize = 0
    }, Array(perms.prefix(1)))
    #expect(stopped.policy.parameters == one.policy.parameters)
    #expect(stopped.critic!.parameters == one.critic!.parameters)
    let (policy, critic) = try networks()
    let l = try PPO(env: nil, policy: policy, critic: critic, config: config {
      $0.epochs = 3
      $0.minibatchSize = 0
      $0.targetKL = 1e-12
    })
    #expect(try l.update(external: batch()).epochs == 1)
    let (p2, c2) = try networks()
    let all = try PPO(env: nil, policy: p2, critic: c2, config: config {
      $0.epochs = 3
      $0.minibatchSize = 0
    })
    #expect(try all.update(external: batch()).epochs == 3)
  }

  /// β halves when the mean KL is below d_targ/1.5, doubles above 1.5·d_targ,
  /// stays in between; it carries over to the next update.
  @Test func theKLPenaltyCoefficientAdapts() throws {
    func run(_ target: Double, updates: Int = 1) throws -> (PPO, [Double]) {
      let (policy, critic) = try networks()
      let l = try PPO(env: nil, policy: policy, critic: critic, config: config {
        $0.klPenalty = true
        $0.klBeta = 1
        $0.klTarget = target
      })
      var coefficients: [Double] = []
      for _ in 0..<updates { coefficients.append(try l.update(external: batch()).klCoef) }
      return (l, coefficients)
    }
    #expect(try run(1e6).1 == [0.5])
    let (doubled, coefficients) = try run(1e-12, updates: 2)
    #expect(coefficients == [2, 4] && doubled.klBeta == 4 && doubled.core.adaptiveCoefficient == 4)
    // The KL this update reaches (β = 1 during the epochs either way) as the target: unchanged.
    let (probe, _) = try run(1e6)
    let (policy, _) = try networks()
    let d = batch()
    let kl = probe.policy.meanKL(
      Array(UnsafeBufferPointer(start: d.observations.pointer, count: Self.m * 3)), rows: Self.m, old: policy.parameters)
    #expect(try run(kl).1 == [1])
  }

  /// One network with two heads: the hidden layers of policy and critic
  /// stay identical copies through the updates (and do move).
  @Test func aSharedNetworkKeepsTheTiedLayersIdentical() throws {
    let (policy, critic) = try networks()
    let l = try PPO(env: nil, policy: policy, critic: critic, config: config { $0.sharedNetwork = true })
    let n = l.sharedCount
    #expect(n == 3 * 4 + 4)  // W [4×3] and b [4]
    let start = Array(policy.parameters[0..<n])
    #expect(Array(critic.parameters[0..<n]) == start)
    for _ in 0..<3 { _ = try l.update(external: batch()) }
    #expect(Array(critic.parameters[0..<n]) == Array(policy.parameters[0..<n]))
    #expect(Array(policy.parameters[0..<n]) != start)
    // Other hidden layers cannot be shared.
    let (p2, _) = try networks()
    #expect(throws: SwiftPGError.self) {
      try PPO(env: nil, policy: p2, critic: try ValueFunction(observationSize: 3, hidden: [5]), config: config { $0.sharedNetwork = true })
    }
  }

  /// Two to four update threads give the same numbers as one.
  @Test(arguments: [2, 3, 4]) func updateThreadsGiveIdenticalResults(threads: Int) throws {
    let perms = [[5, 2, 7, 0, 1, 6, 3, 4], [0, 1, 2, 3, 4, 5, 6, 7]]
    let one = try learn(config { _ in }, perms)
    let more = try learn(config { $0.updateThreads = threads }, perms)
    #expect(one.policy.parameters == more.policy.parameters && one.critic!.parameters == more.critic!.parameters)
  }

  @Test func invalidConfigurations() throws {
    let changes: [(inout PPO.Config) -> Void] = [
      { $0.epochs = 0 }, { $0.annealClipRange = true }, { $0.updateThreads = 0 }, { $0.updateThreads = 65 }, { $0.targetKL = .nan },
      { $0.clipRange = -0.1 }, { $0.klTarget = 0 }, { $0.valueClipRange = -1 },
      { $0.sharedNetwork = true; $0.valueLearningRate = 1e-3 },
    ]
    for change in changes {
      let (policy, critic) = try networks()
      #expect(throws: SwiftPGError.self) { try PPO(env: nil, policy: policy, critic: critic, config: config(change)) }
    }
    // A batch from outside must divide into minibatches.
    let (policy, critic) = try networks()
    let l = try PPO(env: nil, policy: policy, critic: critic, config: config { $0.minibatchSize = 3 })
    #expect(throws: SwiftPGError.self) { try l.update(external: batch()) }
  }

  @Test func ppoLearnsCartPoleQuickly() throws {
    let l = try cartPoleLearner(PPO.self, hidden: [64, 64]) {
      $0.stepsPerEnv = 32
      $0.minibatchSize = 256
      $0.epochs = 20
      $0.learningRate = 1e-3
      $0.gaeLambda = 0.8
      $0.gamma = 0.98
    }
    let returns = try trainingReturns(l, iterations: 80)
    let last = tailMean(returns, 3)
    #expect(returns[0] < 40)
    #expect(last > 150, "\(returns[0]) -> \(last)")
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
}
