import Testing

@testable import SwiftPG

/// Algorithms/LearnerCore.swift: construction checks, outside batches, the
/// rollback of a failed iteration, the learning-rate schedule, critic
/// fitting, the entropy/KL statistics and evaluation with frozen
/// observation normalisation.
@Suite struct LearnerCoreTests {
  func ppo(_ change: (inout PPO.Config) -> Void = { _ in }) throws -> PPO {
    let policy = try SoftmaxPolicy(observationSize: 4, actionCount: 2, hidden: [8], headGain: 1, seed: 1)
    let critic = try ValueFunction(observationSize: 4, hidden: [8], seed: 2)
    var config = PPO.Config()
    config.minibatchSize = 0
    config.epochs = 2
    change(&config)
    return try PPO(env: nil, policy: policy, critic: critic, config: config)
  }

  func cartPoleBatch(seed: UInt64 = 3, steps: Int = 8) -> Trajectories {
    var g = PCG64(seed: UInt128(seed))
    return makeTrajectories(
      observationSize: 4, actionSpace: .discrete(2), steps: steps, observations: (0..<(steps * 4)).map { _ in 0.1 * g.standardNormal() },
      actions: (0..<steps).map { _ in Int32(g.next() % 2) }, rewards: [Double](repeating: 1, count: steps),
      terminated: [UInt8](repeating: 0, count: steps - 1) + [1])
  }

  struct State: Equatable {
    var policy, critic, policyOptimizer, criticOptimizer: [Double]
    var iteration, totalEnvSteps: Int
    var coefficient: Double
  }

  func state(_ l: some PolicyGradientLearner) -> State {
    State(
      policy: l.policy.parameters, critic: l.critic?.parameters ?? [], policyOptimizer: optimizerState(l.core.policyStep.optimizer),
      criticOptimizer: optimizerState(l.core.criticStep?.optimizer), iteration: l.iteration, totalEnvSteps: l.totalEnvSteps,
      coefficient: l.core.adaptiveCoefficient)
  }

  /// An update that changed everything and then failed is undone entirely:
  /// parameters, optimiser moments, counters and the adaptive coefficient.
  @Test func rollbackRestoresEverythingAFailedUpdateChanged() throws {
    let l = try ppo {
      $0.klPenalty = true
      $0.klTarget = 1e-12  // β doubles
    }
    _ = try l.update(external: cartPoleBatch())  // non-zero moments and counters
    let before = state(l)
    let d = cartPoleBatch(seed: 4)
    try l.core.prepareExternal(d, minibatchSize: nil)
    var during: State?
    #expect {
      _ = try l.core.run(d, start: 0) { (d, s) throws(SwiftPGError) in
        try l.update(d, &s)
        during = state(l)
        throw SwiftPGError(.numerical, "a late failure")
      }
    } throws: { ($0 as? SwiftPGError)?.message == "a late failure" }
    // The update did change every part of the state…
    let changed = try #require(during)
    #expect(changed.policy != before.policy && changed.critic != before.critic)
    #expect(changed.policyOptimizer != before.policyOptimizer && changed.criticOptimizer != before.criticOptimizer)
    #expect(changed.iteration == 2 && changed.totalEnvSteps == 16 && changed.coefficient == 4)
    // …and all of it is back.
    #expect(state(l) == before)
  }

  /// A non-finite reward: the update throws `.numerical` naming the
  /// iteration and the learner is as it was.
  @Test func nonFiniteUpdateLeavesTheLearnerUnchanged() throws {
    let env = try VectorEnvironment(CartPole(), count: 4, seed: 0)
    let policy = try SoftmaxPolicy(observationSize: 4, actionCount: 2, hidden: [8], seed: 0)
    let critic = try ValueFunction(observationSize: 4, hidden: [8], seed: 1)
    let l = try A2C(env: env, policy: policy, critic: critic)
    _ = try l.iterate()
    let before = state(l)
    let bad = l.core.data.copy()
    bad.rewards[0] = .infinity
    #expect {
      _ = try l.update(external: bad)
    } throws: { error in
      guard let e = error as? SwiftPGError else { return false }
      return e.code == .numerical && e.message.contains("iteration 2")
    }
    #expect(state(l) == before)
  }

  /// A diverged policy's non-finite actions stop collection with `.numerical`.
  @Test func nonFiniteActionsStopTheIteration() throws {
    let env = try VectorEnvironment(Pendulum(), count: 2, seed: 0)
    let policy = try GaussianPolicy(observationSize: 3, actionSize: 1, hidden: [], headGain: 1, seed: 0)
    try policy.setParameters([1e308, 1e308, 1e308, 1e308, 0])
    let l = try A2C(env: env, policy: policy, critic: try ValueFunction(observationSize: 3, hidden: []))
    #expect { _ = try l.iterate() } throws: {
      ($0 as? SwiftPGError)?.message == "iteration 1: the policy produced non-finite actions"
    }
    #expect(l.iteration == 0 && l.totalEnvSteps == 0)
  }

  /// Linear annealing: the i-th batch is stepped at lr·(1 − steps before it / horizon),
  /// whether collected or passed from outside.
  @Test func theLearningRateScheduleCountsTheStepsBeforeTheBatch() throws {
    func config(_ c: inout A2C.Config) {
      c.stepsPerEnv = 8
      c.annealLearningRate = true
      c.totalEnvSteps = 64
      c.learningRate = 0.01
      c.valueLearningRate = 0.004
    }
    var c = A2C.Config()
    config(&c)
    let env = try VectorEnvironment(CartPole(), count: 2, seed: 0)
    let collected = try A2C(
      env: env, policy: try SoftmaxPolicy(observationSize: 4, actionCount: 2, hidden: []),
      critic: try ValueFunction(observationSize: 4, hidden: []), config: c)
    let outside = try A2C(
      env: nil, policy: try SoftmaxPolicy(observationSize: 4, actionCount: 2, hidden: []),
      critic: try ValueFunction(observationSize: 4, hidden: []), config: c)
    // Batches of 16: 0.01·(1, 1 − 16/64, 1 − 32/64, 1 − 48/64).
    let expected = [0.01, 0.0075, 0.005, 0.0025]
    for k in 0..<4 {
      #expect(abs(try collected.iterate().learningRate - expected[k]) < 1e-15, "collected batch \(k)")
      #expect(abs(try outside.update(external: cartPoleBatch(steps: 16)).learningRate - expected[k]) < 1e-15, "outside batch \(k)")
      // The critic's rate follows the same schedule.
      #expect(abs(outside.core.currentValueLearningRate - 0.4 * expected[k]) < 1e-15)
    }
  }

  /// fitCritic: passes of minibatches in the order of the (injected)
  /// permutation. Tabular critic V = (0, 0), rows (state, target):
  /// (s0, 4), (s1, 2), (s0, 0), (s1, −2); SGD at 0.5, minibatches of 2.
  ///   [0, 2, 1, 3]: rows 0, 2: ∇V(s0) = ((0 − 4) + (0 − 0))/2 = −2 ⇒ V(s0) = 1, loss ½(16 + 0)/2 = 4;
  ///                 rows 1, 3: ∇V(s1) = ((0 − 2) + (0 + 2))/2 = 0, loss ½(4 + 4)/2 = 2 ⇒ V = (1, 0), mean loss 3.
  ///   [0, 1, 2, 3]: rows 0, 1: ∇ = (−4/2, −2/2) ⇒ V = (1, 0.5), loss ½(16 + 4)/2 = 5;
  ///                 rows 2, 3: ∇ = ((1 − 0)/2, (0.5 + 2)/2) = (0.5, 1.25) ⇒ V = (0.75, −0.125),
  ///                 loss ½(1 + 6.25)/2 = 1.8125 ⇒ mean 3.40625.
  @Test func fitCriticStepsMinibatchesInPermutationOrder() throws {
    for (permutation, values, loss) in [([0, 2, 1, 3], [1.0, 0], 3.0), ([0, 1, 2, 3], [0.75, -0.125], 3.40625)] {
      var config = ActorCritic.Config()
      config.optimizer = .sgd
      config.valueLearningRate = 0.5
      let critic = try ValueFunction(tabularStates: 2)
      let l = try ActorCritic(env: nil, policy: try uniformTabularPolicy(states: 2, actions: 2), critic: critic, config: config)
      let d = makeTrajectories(
        observationSize: 2, actionSpace: .discrete(2), steps: 4, observations: oneHot([0, 1, 0, 1], count: 2),
        actions: [0, 0, 0, 0], rewards: [0, 0, 0, 0])
      l.core.minibatches.permutations = [permutation]
      let targets: [Double] = [4, 2, 0, -2]
      let result = try targets.withUnsafeBufferPointer { y in
        try l.core.fitCritic(d, targets: y.baseAddress!, epochs: 1, minibatchSize: 2, maxGradNorm: 0)
      }
      #expect(critic.parameters == values, "\(permutation)")
      #expect(result == loss)
    }
  }

  /// Mean entropy and mean k3 KL(β ‖ π) against the behaviour log-probabilities.
  @Test func entropyAndKLStatistics() throws {
    let policy = try uniformTabularPolicy(states: 2, actions: 2)
    let l = try Reinforce(env: nil, policy: policy, critic: nil)
    let d = makeTrajectories(
      observationSize: 2, actionSpace: .discrete(2), steps: 2, observations: oneHot([0, 1], count: 2), actions: [0, 1],
      rewards: [0, 0])
    try l.core.prepareExternal(d, minibatchSize: nil)  // β = uniform: log ½
    var (h, kl) = l.core.entropyAndKL(d)
    #expect(abs(h - _log(2)) < 1e-15 && kl == 0)
    // π(a0|s0) = 3/4 (θ[s0] = (log 3, 0)); s1 unchanged. Row 0: ρ = 1.5,
    // k3 = 0.5 − log 1.5; row 1: 0. Entropy of (¾, ¼): −¾ log ¾ − ¼ log ¼.
    try policy.setParameters([_log(3), 0, 0, 0])
    (h, kl) = l.core.entropyAndKL(d)
    let k3: Double = (0.5 - _log(1.5)) / 2
    let (p, q): (Double, Double) = (0.75, 0.25)
    let row0Entropy: Double = -p * _log(p) - q * _log(q)
    let entropy: Double = (row0Entropy + _log(2)) / 2
    #expect(abs(kl - k3) < 1e-15)
    #expect(abs(h - entropy) < 1e-15)
  }

  /// Outside batches are checked against the learner, and their behaviour
  /// log-probabilities are recomputed with the current policy.
  @Test func outsideBatchesAreCheckedAndGetBehaviourLogProbabilities() throws {
    let l = try ppo()
    let d = cartPoleBatch()
    for k in 0..<d.count { d.behaviorLogProbs[k] = 99 }
    try l.core.prepareExternal(d, minibatchSize: 4)
    let obs = Array(UnsafeBufferPointer(start: d.observations.pointer, count: 32))
    let actions = Array(UnsafeBufferPointer(start: d.discreteActions.pointer, count: 8))
    #expect(Array(UnsafeBufferPointer(start: d.behaviorLogProbs.pointer, count: 8)) == l.policy.logProbs(obs, actions))
    let wrongSize = makeTrajectories(
      observationSize: 3, actionSpace: .discrete(2), steps: 1, observations: [0, 0, 0], actions: [0], rewards: [0])
    let continuous = makeTrajectories(
      observationSize: 4, actionSpace: .box(low: [-1], high: [1]), steps: 1, observations: [0, 0, 0, 0],
      continuousActions: [0], rewards: [0])
    let empty = makeTrajectories(observationSize: 4, actionSpace: .discrete(2), steps: 0, observations: [], actions: [], rewards: [])
    for bad in [wrongSize, continuous, empty] {
      #expect(throws: SwiftPGError.self) { try l.core.prepareExternal(bad, minibatchSize: nil) }
    }
    #expect(throws: SwiftPGError.self) { try l.core.prepareExternal(d, minibatchSize: 3) }
    // A tabular policy needs one-hot rows.
    let tabular = try Reinforce(env: nil, policy: try uniformTabularPolicy(states: 2, actions: 2), critic: nil)
    let notOneHot = makeTrajectories(
      observationSize: 2, actionSpace: .discrete(2), steps: 1, observations: [0.5, 0.5], actions: [0], rewards: [0],
      terminated: [1])
    #expect(throws: SwiftPGError.self) { try tabular.update(external: notOneHot) }
  }

  @Test func constructionChecks() throws {
    let env = try VectorEnvironment(CartPole(), count: 2, seed: 0)
    // A Gaussian policy does not fit CartPole's discrete actions.
    let gaussian = try GaussianPolicy(observationSize: 4, actionSize: 1, hidden: [], seed: 0)
    let critic = try ValueFunction(observationSize: 4, hidden: [], seed: 0)
    #expect(throws: SwiftPGError.self) { try PPO(env: env, policy: gaussian, critic: critic) }
    // Critic algorithms need a critic, with the policy's observation size.
    let softmax = try SoftmaxPolicy(observationSize: 4, actionCount: 2, hidden: [], seed: 0)
    #expect(throws: SwiftPGError.self) { try A2C(env: env, policy: softmax, critic: nil) }
    #expect(throws: SwiftPGError.self) {
      try A2C(env: env, policy: softmax, critic: try ValueFunction(observationSize: 3, hidden: []))
    }
    // The critic's rate: its own, or the policy's when 0.
    var c = A2C.Config()
    c.learningRate = 0.01
    #expect(try A2C(env: env, policy: softmax, critic: critic, config: c).core.currentValueLearningRate == 0.01)
    c.valueLearningRate = 0.002
    #expect(try A2C(env: env, policy: softmax, critic: critic, config: c).core.currentValueLearningRate == 0.002)
    // Learners without a critic drop one that is passed.
    #expect(try Reinforce(env: env, policy: softmax, critic: critic).critic == nil)
  }

  /// Evaluation sees observations through the learner's normaliser, frozen.
  @Test func evaluationUsesTheFrozenObservationNormaliser() throws {
    let env = try VectorEnvironment(CartPole(), count: 2, seed: 0)
    let policy = try SoftmaxPolicy(observationSize: 4, actionCount: 2, hidden: [], headGain: 1, seed: 5)
    var config = PPO.Config()
    config.stepsPerEnv = 16
    config.minibatchSize = 32
    config.epochs = 1
    config.normalizeObservations = true
    let l = try PPO(env: env, policy: policy, critic: try ValueFunction(observationSize: 4, hidden: []), config: config)
    _ = try l.iterate()
    let normalizer = try #require(l.observationNormalizer)
    let evalEnv = try VectorEnvironment(CartPole(), count: 2, seed: 7)
    let result = try l.evaluate(env: evalEnv, episodes: 4, greedy: true, seed: 7)
    let scratch = Store<Double>()
    let reference = try evaluate(
      policy: policy, env: evalEnv, episodes: 4, greedy: true, seed: 7,
      observationTransform: { obs in
        let x = scratch.reserve(8)
        x.update(from: obs, count: 8)
        normalizer.normalize(x, rows: 2, clip: 10)
        return UnsafePointer(x)
      })
    #expect(result.lengths == reference.lengths)
    #expect(l.observationNormalizer?.count == normalizer.count)  // not updated by evaluation
    let raw = try evaluate(policy: policy, env: evalEnv, episodes: 4, greedy: true, seed: 7)
    #expect(raw.lengths != reference.lengths)
  }

  /// Batches of several processes' lanes side by side, time-major (lane
  /// order: the parts in order), for the distributed-run tests below.
  func sideBySide(_ parts: [Trajectories]) -> Trajectories {
    let d = parts[0].observationSize
    let steps = parts[0].steps
    let n = parts.reduce(0) { $0 + $1.lanes }
    let out = Trajectories(observationSize: d, actionSpace: .discrete(2))
    out.resize(steps: steps, lanes: n)
    var first = 0
    for p in parts {
      for t in 0..<steps {
        for j in 0..<p.lanes {
          let k = t * n + first + j
          let src = t * p.lanes + j
          for x in 0..<d {
            out.observations[k * d + x] = p.observations[src * d + x]
            out.finalObservations[k * d + x] = p.finalObservations[src * d + x]
          }
          out.discreteActions[k] = p.discreteActions[src]
          out.behaviorLogProbs[k] = p.behaviorLogProbs[src]
          out.rewards[k] = p.rewards[src]
          out.terminated[k] = p.terminated[src]
          out.truncated[k] = p.truncated[src]
        }
      }
      for j in 0..<p.lanes {
        for x in 0..<d { out.nextObservations[(first + j) * d + x] = p.nextObservations[j * d + x] }
      }
      first += p.lanes
    }
    return out
  }

  /// Two rollout workers of 4 CartPole lanes each, holding global lanes
  /// 0–3 and 4–7 of an 8-lane PPO learner made with seed 5.
  private func splitLaneWorkers(_ change: (inout PPO.Config) -> Void) throws -> [PPO] {
    try (0..<2).map { w in
      let env = try VectorEnvironment(CartPole(), count: 4, seed: 5 + UInt64(4 * w))
      let policy = try SoftmaxPolicy(observationSize: 4, actionCount: 2, hidden: [32, 32], seed: 5)
      let critic = try ValueFunction(observationSize: 4, hidden: [32, 32], seed: 6)
      var config = PPO.Config()
      config.common.seed = 5
      change(&config)
      let l = try PPO(env: env, policy: policy, critic: critic, config: config)
      l.core.setLaneOffset(4 * w)
      return l
    }
  }

  /// One segment from each worker with the driver's parameters (and, with
  /// `sendingStatistics`, its observation statistics, as
  /// swiftpg.distributed sends them), side by side in worker order.
  private func collect(on workers: [PPO], for driver: PPO, sendingStatistics: Bool = false) throws -> Trajectories {
    var parts: [Trajectories] = []
    for worker in workers {
      try worker.policy.setParameters(driver.policy.parameters)
      if sendingStatistics {
        let s = driver.core.observationNormalizer
        try worker.core.setWorkerNormalization(mean: s?.mean, variance: s?.variance, count: s?.count ?? 1)
      }
      let (d, _) = try worker.core.collectSegment()
      parts.append(d.copy())
    }
    return sideBySide(parts)
  }

  /// A run split over processes (swiftpg.distributed): two learners of 4
  /// CartPole lanes, their envs seeded seed + 4w and their lane streams
  /// offset by 4w, collect what one learner of 8 lanes collects, and an
  /// update on their batches side by side with their behaviour
  /// log-probabilities is bit for bit the update `iterate` makes.
  @Test func splitLanesWithTheirBehaviourLogProbsReproduceIterate() throws {
    let change: (inout PPO.Config) -> Void = {
      $0.stepsPerEnv = 8
      $0.minibatchSize = 16
      $0.epochs = 2
    }
    let single = try cartPoleLearner(PPO.self, count: 8, seed: 5, change)
    let driver = try cartPoleLearner(PPO.self, count: 8, seed: 5, change)
    let workers = try splitLaneWorkers(change)
    for _ in 0..<3 {
      _ = try single.iterate()
      _ = try driver.update(external: collect(on: workers, for: driver), behaviorGiven: true)
      #expect(driver.policy.parameters == single.policy.parameters)
      #expect(driver.critic?.parameters == single.critic?.parameters)
      #expect(driver.totalEnvSteps == single.totalEnvSteps)
    }
  }

  /// A normalising learner of `NormalizationUpdate.perSegment` iterating
  /// alone is bit for bit the driver of two rollout workers that normalise
  /// with the statistics sent to them and return raw segments, which the
  /// driver folds in (`update(externalRaw:)`).
  @Test func perSegmentNormalizationAloneEqualsTheDriverOfSplitLanes() throws {
    let change: (inout PPO.Config) -> Void = {
      $0.stepsPerEnv = 8
      $0.minibatchSize = 16
      $0.epochs = 2
      $0.normalizeObservations = true
      $0.normalizeRewards = true
      $0.normalizationUpdate = .perSegment
    }
    let single = try cartPoleLearner(PPO.self, count: 8, seed: 5, change)
    let driver = try cartPoleLearner(PPO.self, count: 8, seed: 5, change)
    let workers = try splitLaneWorkers(change)
    for _ in 0..<3 {
      _ = try single.iterate()
      _ = try driver.update(externalRaw: collect(on: workers, for: driver, sendingStatistics: true))
      #expect(driver.policy.parameters == single.policy.parameters)
      #expect(driver.critic?.parameters == single.critic?.parameters)
      #expect(driver.core.observationNormalizer?.mean == single.core.observationNormalizer?.mean)
      #expect(driver.core.rewardScaler?.variance == single.core.rewardScaler?.variance)
    }
    // Every observation folded in once.
    #expect(abs((single.core.observationNormalizer?.count ?? 0) - (1e-4 + 3 * 64)) < 1e-9)
  }

  /// Rollout-worker normalisation: a worker normalises with the statistics
  /// it was given and keeps them, records raw observations; the learner
  /// folds a raw batch into its statistics (every row once) and a failed
  /// update leaves them as they were.
  @Test func workerNormalizationRecordsRawDataAndTheLearnerFoldsItIn() throws {
    let worker = try cartPoleLearner(PPO.self, count: 2, seed: 7) {
      $0.stepsPerEnv = 4
      $0.minibatchSize = 0
      $0.normalizeObservations = true
    }
    try worker.core.setWorkerNormalization(mean: [0, 0, 0, 0], variance: [1, 1, 1, 1], count: 10)
    let (d, _) = try worker.core.collectSegment()
    #expect(worker.core.observationNormalizer?.count == 10)
    let plain = try cartPoleLearner(PPO.self, count: 2, seed: 7) {
      $0.stepsPerEnv = 4
      $0.minibatchSize = 0
    }
    let (p, _) = try plain.core.collectSegment()
    // Statistics (0, 1) and CartPole's small observations: the policy saw the raw values (up
    // to 1e-8 in the scale), so the raw trajectory is the plain learner's.
    #expect(Array(UnsafeBufferPointer(start: d.observations.pointer, count: 32))
      == Array(UnsafeBufferPointer(start: p.observations.pointer, count: 32)))
    let learner = try cartPoleLearner(PPO.self, count: 2, seed: 7) {
      $0.stepsPerEnv = 4
      $0.normalizeObservations = true
      $0.minibatchSize = 0
    }
    let batch = d.copy()
    _ = try learner.update(externalRaw: batch)
    let folded = learner.core.observationNormalizer
    #expect(abs((folded?.count ?? 0) - (1e-4 + 8)) < 1e-12)
    let damaged = d.copy()
    damaged.observations[0] = .nan
    #expect(throws: SwiftPGError.self) { _ = try learner.update(externalRaw: damaged) }
    #expect(learner.core.observationNormalizer?.mean == folded?.mean)
    #expect(learner.core.observationNormalizer?.count == folded?.count)
    #expect { try worker.core.setWorkerNormalization(mean: [0], variance: [1], count: 1) } throws: {
      ($0 as? SwiftPGError)?.code == .invalidArgument
    }
  }
}
