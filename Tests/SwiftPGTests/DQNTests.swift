import Glibc
import Testing

@testable import SwiftPG

/// Algorithms/DQN.swift: targets and gradient of one minibatch against a
/// hand composition (DQN and Double DQN, terminated vs truncated), target
/// refreshes counted in gradient steps and in environment steps, the
/// warm-up, config refusals, and a short CartPole run that learns.
@Suite struct DQNTests {
  /// A tiny float64 learner on CartPole whose warm-up never ends (no
  /// training unless a test calls `train`).
  func tinyLearner(_ edit: (inout DQN.Config) -> Void = { _ in }) throws -> DQN {
    var c = DQN.Config()
    c.hidden = [6]
    c.precision = .float64
    c.batchSize = 3
    c.trainFrequency = 20
    c.learningStarts = 1 << 30
    c.seed = 5
    edit(&c)
    let env = try VectorEnvironment(CartPole(), count: 1, seed: 5)
    return try DQN(env: env, config: c)
  }

  /// A hand-made minibatch of three transitions: continuing, terminated,
  /// truncated (with its final observation as s′).
  func handSample() throws -> TransitionBatch {
    var s = try TransitionBatch(size: 3, observationSize: 4)
    s.observations = [0.1, 0.2, -0.1, 0.0, -0.3, 0.5, 0.05, 0.2, 0.0, -0.4, 0.1, -0.2]
    s.nextObservations = [0.12, 0.4, -0.12, -0.3, -0.2, 0.7, 0.1, 0.5, 0.3, 0.1, -0.2, 0.4]
    s.actions = [1, 0, 1]
    s.rewards = [1, 1, 1]
    s.terminated = [0, 1, 0]
    s.truncated = [0, 0, 1]
    return s
  }

  /// y_i = r_i + γ(1 − terminated_i)·Q̃(s′_i, a*_i), a* the target's argmax
  /// (DQN) or the online network's (Double DQN), composed from the two
  /// networks' outputs; the truncated row bootstraps, the terminated one
  /// does not. Then ∇L against central differences of the Huber loss.
  @Test func minibatchTargetsAndGradientByHand() throws {
    for double in [false, true] {
      let dqn = try tinyLearner { $0.doubleQ = double }
      // Online = target with the output layer negated (Q = −Q̃): every
      // argmax differs, so DQN and Double DQN targets differ.
      var theta = dqn.target.parameters
      let out = dqn.online.network.offsets[dqn.online.network.offsets.count - 1]
      for k in out..<theta.count { theta[k] = -theta[k] }
      try dqn.online.setParameters(theta)
      let s = try handSample()
      dqn.currentSample = s
      let (loss, _) = try dqn.gradientOnSample()
      let qt = Array(UnsafeBufferPointer(start: dqn.target.values(s.nextObservations, batch: 3), count: 6))
      let qo = Array(UnsafeBufferPointer(start: dqn.online.values(s.nextObservations, batch: 3), count: 6))
      var expected = [Double](repeating: 0, count: 3)
      for i in 0..<3 {
        let selector = double ? qo : qt
        let best = selector[2 * i + 1] > selector[2 * i] ? 1 : 0
        let bootstrap = s.terminated[i] != 0 ? 0 : 0.99 * qt[2 * i + best]
        expected[i] = s.rewards[i] + bootstrap
      }
      #expect(dqn.lastTargets == expected)
      #expect(dqn.lastTargets[1] == 1)  // terminated: no bootstrap
      #expect(dqn.lastTargets[2] != 1)  // truncated: bootstraps from its final observation
      // The loss as a function of θ (targets held fixed: a semi-gradient).
      let y = expected
      func huber() -> Double {
        let q = Array(UnsafeBufferPointer(start: dqn.online.values(s.observations, batch: 3), count: 6))
        var total = 0.0
        for i in 0..<3 {
          let d = q[2 * i + Int(s.actions[i])] - y[i]
          total += abs(d) < 1 ? 0.5 * d * d : abs(d) - 0.5
        }
        return total / 3
      }
      let g = dqn.lastGradient
      #expect(abs(loss - huber()) < 1e-14)
      let fd = try centralDifferences(dqn.online.parameters, set: { try dqn.online.setParameters($0) }, huber)
      for k in g.indices { #expect(abs(g[k] - fd[k]) < 1e-7, "double \(double), θ[\(k)]") }
      // The target's argmax and the online's differ on some row in the
      // Double DQN case, or the test would not tell the two apart.
      if double {
        var plain = [Double](repeating: 0, count: 3)
        qLearningTargets(
          rewards: s.rewards, discounts: [0.99, 0, 0.99], targetNextQ: qt, batch: 3, actionCount: 2, into: &plain)
        #expect(plain != expected)
      }
    }
  }

  /// Counting gradient steps with interval 2 and τ = 1: the target is the
  /// initial network after one step and the online one after two; with
  /// τ = 0.5 it is the average after two steps.
  @Test func targetRefreshInGradientSteps() throws {
    for tau in [1.0, 0.5] {
      let dqn = try tinyLearner {
        $0.targetUpdateUnit = .gradientSteps
        $0.targetUpdateInterval = 2
        $0.tau = tau
      }
      _ = try dqn.iterate()  // fills the buffer (warm-up: no training, no refresh)
      let initial = dqn.target.parameters
      #expect(dqn.online.parameters == initial && dqn.targetUpdates == 0)
      var s = DQNStats()
      try dqn.train(1, &s)
      #expect(dqn.target.parameters == initial && dqn.online.parameters != initial)
      try dqn.train(1, &s)
      let online = dqn.online.parameters
      for k in online.indices {
        #expect(abs(dqn.target.parameters[k] - (tau * online[k] + (1 - tau) * initial[k])) < 1e-15)
      }
      #expect(dqn.targetUpdates == 1 && dqn.totalGradientSteps == 2)
    }
  }

  /// Stable-Baselines3 counts environment steps: every max(C / N, 1) calls
  /// of `step` — 20 steps with C = 10, N = 1 → 2 refreshes; N = 4 lanes,
  /// C = 10 → every 2 calls → 10 refreshes in 20 calls.
  @Test func targetRefreshInEnvironmentSteps() throws {
    let one = try tinyLearner()
    _ = try one.iterate()
    #expect(one.targetUpdates == 2 && one.totalEnvSteps == 20)
    var c = DQN.Config()
    c.hidden = [4]
    c.trainFrequency = 20
    c.learningStarts = 1 << 30
    let four = try DQN(env: try VectorEnvironment(CartPole(), count: 4, seed: 0), config: c)
    _ = try four.iterate()
    #expect(four.targetUpdates == 10 && four.totalEnvSteps == 80)
  }

  /// No gradient step until more than `learningStarts` steps were taken;
  /// then `gradientSteps` per iteration. Episodes are reported.
  @Test func warmUpThenTraining() throws {
    let dqn = try tinyLearner {
      $0.learningStarts = 30
      $0.gradientSteps = 4
    }
    let first = try dqn.iterate()  // 20 steps
    #expect(first.gradientSteps == 0 && first.totalEnvSteps == 20 && dqn.online.parameters == dqn.target.parameters)
    let second = try dqn.iterate()  // 40 > 30
    #expect(second.gradientSteps == 4 && second.totalGradientSteps == 4 && second.loss > 0)
    #expect(dqn.buffer.count == 40)
    // ε follows the schedule at the step count.
    #expect(second.epsilon == dqn.schedule.value(at: 40))
  }

  /// Outside transitions (T = 2 steps, N = 1 lane; the first truncated)
  /// land in the buffer with s′ = the final observation for the truncated
  /// row and `nextObservations` for the last; bad batches change nothing.
  @Test func updateOnExternalTransitions() throws {
    let dqn = try tinyLearner {
      $0.learningStarts = 1
      $0.gradientSteps = 2
    }
    func batch(actions: [Int32] = [0, 1], rewards: [Double] = [1, 1], obs0: Double = 0.1) -> Trajectories {
      makeTrajectories(
        observationSize: 4, actionSpace: .discrete(2), steps: 2, observations: [obs0, 0, 0, 0, 0.2, 0, 0, 0],
        actions: actions, rewards: rewards, terminated: [0, 0], truncated: [1, 0],
        finalObservations: [0.9, 0, 0, 0, 0, 0, 0, 0], nextObservations: [0.3, 0, 0, 0])
    }
    for bad in [batch(actions: [0, 2]), batch(rewards: [1, .nan]), batch(obs0: .infinity)] {
      #expect(throws: SwiftPGError.self) { try dqn.update(external: bad) }
    }
    #expect(dqn.buffer.count == 0 && dqn.totalEnvSteps == 0)
    let stats = try dqn.update(external: batch())
    #expect(dqn.buffer.count == 2 && dqn.totalEnvSteps == 2)
    #expect(dqn.buffer.rows.observations[0] == 0.1 && dqn.buffer.rows.nextObservations[0] == 0.9)
    #expect(dqn.buffer.rows.observations[4] == 0.2 && dqn.buffer.rows.nextObservations[4] == 0.3)
    #expect(dqn.buffer.rows.truncated[0] == 1 && dqn.buffer.rows.terminated[0] == 0)
    #expect(stats.gradientSteps == 2 && dqn.totalGradientSteps == 2)
    let wrongSize = makeTrajectories(
      observationSize: 3, actionSpace: .discrete(2), steps: 1, observations: [0, 0, 0], actions: [0], rewards: [0])
    #expect(throws: SwiftPGError.self) { try dqn.update(external: wrongSize) }
  }

  /// Same seed, same build: the same parameters after training.
  @Test func deterministic() throws {
    func run() throws -> [Double] {
      let dqn = try tinyLearner {
        $0.learningStarts = 20
        $0.gradientSteps = 3
      }
      for _ in 0..<3 { _ = try dqn.iterate() }
      return dqn.online.parameters + dqn.target.parameters
    }
    #expect(try run() == run())
  }

  /// A learner saved mid-run and loaded into a fresh one continues exactly
  /// as the original (parameters, optimiser, counters, generator, replay
  /// and the environment's state); without the buffer the loaded learner
  /// starts with an empty one.
  @Test func checkpointResumesExactly() throws {
    func learner() throws -> DQN {
      try tinyLearner {
        $0.learningStarts = 25
        $0.gradientSteps = 3
        $0.trainFrequency = 15
      }
    }
    let a = try learner()
    for _ in 0..<3 { _ = try a.iterate() }
    let path = temporaryPath("dqn")
    let lean = temporaryPath("dqn-lean")
    defer {
      unlink(path)
      unlink(lean)
    }
    try a.save(to: path)
    try a.save(to: lean, includeBuffer: false)
    for _ in 0..<2 { _ = try a.iterate() }
    let b = try learner()
    _ = try b.iterate()  // a different state, overwritten by the load
    try b.load(from: path)
    #expect(b.totalEnvSteps == 45 && b.buffer.count == 45 && b.iteration == 3)
    for _ in 0..<2 { _ = try b.iterate() }
    #expect(b.online.parameters == a.online.parameters && b.target.parameters == a.target.parameters)
    #expect(b.rng == a.rng && b.totalGradientSteps == a.totalGradientSteps)
    let c = try learner()
    try c.load(from: lean)
    #expect(c.buffer.count == 0 && c.totalEnvSteps == 45)
    #expect(try Checkpoint.read(lean).count < Checkpoint.read(path).count)
  }

  /// A file of another network shape, garbage, or a DQN file given to the
  /// policy-gradient loader is refused, changing nothing.
  @Test func checkpointRefusals() throws {
    let a = try tinyLearner()
    _ = try a.iterate()
    let path = temporaryPath("dqn-refused")
    defer { unlink(path) }
    try a.save(to: path)
    let other = try tinyLearner { $0.hidden = [7] }
    let before = other.online.parameters
    #expect(throws: SwiftPGError.self) { try other.load(from: path) }
    #expect(other.online.parameters == before && other.totalEnvSteps == 0)
    #expect(throws: SwiftPGError.self) { try other.restore(from: [1, 2, 3]) }
    #expect(throws: SwiftPGError.self) { try loadLearner(from: path) }
    let smaller = try tinyLearner { $0.bufferSize = 10 }
    #expect(throws: SwiftPGError.self) { try smaller.load(from: path) }
  }

  /// The configuration section round-trips every field; `DQN.open`
  /// rebuilds a learner from the bytes alone that continues exactly.
  @Test func configInTheCheckpointAndOpen() throws {
    let a = try tinyLearner {
      $0.learningStarts = 10
      $0.gradientSteps = 2
      $0.doubleQ = true
      $0.loss = .mse
      $0.tau = 0.5
      $0.targetUpdateUnit = .gradientSteps
      $0.activation = .tanh
      $0.hidden = [5, 3]
      $0.gamma = 0.97
      $0.explorationFraction = 0.5
    }
    let c = a.config
    let back = try DQN.config(from: RecordReader(DQN.configRecord(c), context: "test"))
    #expect(back.hidden == [5, 3] && back.doubleQ && back.loss == .mse && back.tau == 0.5)
    #expect(back.targetUpdateUnit == .gradientSteps && back.activation == .tanh && back.precision == .float64)
    #expect(back.gamma == 0.97 && back.explorationFraction == 0.5 && back.seed == 5 && back.batchSize == 3)
    #expect(back.learningStarts == 10 && back.gradientSteps == 2 && back.bufferSize == c.bufferSize)
    for _ in 0..<3 { _ = try a.iterate() }
    let opened = try DQN.open(bytes: try a.bundle(includeBuffer: true).encode())
    #expect(opened.config.hidden == [5, 3] && opened.totalEnvSteps == a.totalEnvSteps)
    for _ in 0..<2 {
      let (x, y) = (try a.iterate(), try opened.iterate())
      #expect(x.loss == y.loss && x.meanQ == y.meanQ)
    }
    #expect(opened.online.parameters == a.online.parameters && opened.rng == a.rng)
  }

  /// A config section with a value `validate()` refuses, a missing or an
  /// unknown field is `.badFormat`; the learner is unchanged.
  @Test func damagedConfigSections() throws {
    let a = try tinyLearner()
    _ = try a.iterate()
    var bad = DQN.configRecord(a.config)
    bad.set("gamma", double: 2)
    var missing = DQN.configRecord(a.config)
    missing.remove("loss")
    var unknown = DQN.configRecord(a.config)
    unknown.set("beta", double: 1)
    var hidden = DQN.configRecord(a.config)
    hidden.set("hidden", ints: [0])
    for section in [bad, missing, unknown, hidden] {
      #expect(throws: SwiftPGError.self) { try DQN.config(from: RecordReader(section, context: "test")) }
      var bundle = try a.bundle(includeBuffer: false)
      bundle.record.set("config", record: section)
      let bytes = bundle.encode()
      let before = (a.online.parameters, a.totalEnvSteps)
      do {
        try a.restore(from: bytes)
        Issue.record("a damaged config section was accepted")
      } catch {
        #expect(error.code == .badFormat)
      }
      #expect(a.online.parameters == before.0 && a.totalEnvSteps == before.1)
      #expect(throws: SwiftPGError.self) { try DQN.open(bytes: bytes) }
    }
  }

  /// A file of the first DQN state version (no configuration) is refused
  /// naming its version, by `restore` and by `open`.
  @Test func olderStateVersionIsNamed() throws {
    let a = try tinyLearner()
    var bundle = try a.bundle(includeBuffer: false)
    bundle.record.remove("config")
    guard case .record(var state)? = bundle.record["learner"] else {
      Issue.record("no learner section")
      return
    }
    state.set("version", .int(1))
    bundle.record.set("learner", record: state)
    let bytes = bundle.encode()
    do {
      try a.restore(from: bytes)
      Issue.record("restore accepted a version-1 DQN state")
    } catch {
      #expect(error.code == .badFormat && error.message.contains("version 1"), "\(error.message)")
    }
    do {
      _ = try DQN.open(bytes: bytes)
      Issue.record("open accepted a version-1 DQN state")
    } catch {
      #expect(error.code == .badFormat && error.message.contains("version 1"), "\(error.message)")
    }
  }

  /// Sizes are checked before anything is allocated.
  @Test func sizeLimits() throws {
    let env = try VectorEnvironment(CartPole(), count: 1, seed: 0)
    for edit: (inout DQN.Config) -> Void in [
      { $0.bufferSize = 1 << 23 }, { $0.batchSize = DQN.maxBatchSize + 1 }, { $0.hidden = [1 << 16, 1 << 12] },
    ] {
      var c = DQN.Config()
      edit(&c)
      do {
        _ = try DQN(env: env, config: c)
        Issue.record("an oversized DQN was created")
      } catch {
        #expect(error.code == .tooLarge)
      }
    }
  }

  @Test func configRefusals() throws {
    let env = try VectorEnvironment(CartPole(), count: 1, seed: 0)
    let edits: [(inout DQN.Config) -> Void] = [
      { $0.learningRate = 0 }, { $0.learningRate = .nan }, { $0.batchSize = 0 }, { $0.bufferSize = 0 },
      { $0.learningStarts = -1 }, { $0.gamma = 1.5 }, { $0.targetUpdateInterval = 0 }, { $0.tau = 0 },
      { $0.tau = 2 }, { $0.trainFrequency = 0 }, { $0.gradientSteps = -1 }, { $0.explorationFraction = 2 },
      { $0.explorationFinalEps = -0.1 }, { $0.explorationInitialEps = .infinity }, { $0.hidden = [0] },
      { $0.maxGradNorm = -1 }, { $0.totalEnvSteps = 0 }, { $0.adamEpsilon = 0 },
    ]
    for edit in edits {
      var c = DQN.Config()
      edit(&c)
      #expect(throws: SwiftPGError.self) { try DQN(env: env, config: c) }
    }
    let pendulum = try VectorEnvironment(Pendulum(), count: 1, seed: 0)
    #expect(throws: SwiftPGError.self) { try DQN(env: pendulum) }
    let wrong = try QNetwork(observationSize: 3, actionCount: 2, hidden: [])
    #expect(throws: SwiftPGError.self) { try DQN(env: env, network: wrong) }
    let dqn = try tinyLearner()
    #expect(throws: SwiftPGError.self) { try dqn.evaluate(env: pendulum, episodes: 1, greedy: true, seed: 0) }
    #expect(throws: SwiftPGError.self) { try dqn.evaluate(env: env, episodes: 0, greedy: true, seed: 0) }
  }

  /// A short CartPole-v1 run (rl-zoo's settings scaled down: 32-unit
  /// hidden layers, 6 000 steps, 64 gradient steps every 64 steps, ε over
  /// the first 30 %, target refreshed every 100 steps) lifts the greedy
  /// return over 20 episodes from the untrained network's (~10; random
  /// play gets ~22) to more than 100 at a fixed seed (seeds 0–3 reach
  /// 120–200); evaluation is reproducible.
  @Test func learnsCartPole() throws {
    var c = DQN.Config()
    c.totalEnvSteps = 6000
    c.hidden = [32, 32]
    c.trainFrequency = 64
    c.gradientSteps = 64
    c.learningStarts = 500
    c.explorationFraction = 0.3
    c.targetUpdateInterval = 100
    c.seed = 1
    let dqn = try DQN(env: try VectorEnvironment(CartPole(), count: 1, seed: 1), config: c)
    let evalEnv = try VectorEnvironment(CartPole(), count: 4, seed: 100)
    let before = try dqn.evaluate(env: evalEnv, episodes: 20, greedy: true, seed: 100).returns
    while dqn.totalEnvSteps < c.totalEnvSteps { _ = try dqn.iterate() }
    let after = try dqn.evaluate(env: evalEnv, episodes: 20, greedy: true, seed: 100).returns
    let again = try dqn.evaluate(env: evalEnv, episodes: 20, greedy: true, seed: 100).returns
    let mean = after.reduce(0, +) / 20
    #expect(after == again)
    #expect(before.reduce(0, +) / 20 < 60)
    #expect(mean > 100, "greedy mean return \(mean)")
  }
}

/// The issue's measurement, run on demand only (it trains for minutes):
/// `SWIFTPG_DQN_BENCH=1 swift test -c release --filter DQNBenchmark`.
/// rl-zoo's CartPole-v1 settings (the `DQN.Config` defaults), seeds 0–4:
/// every `SWIFTPG_DQN_EVAL_FREQ` steps (default 256: every iteration) the
/// greedy policy is evaluated over `SWIFTPG_DQN_EVAL_EPISODES` episodes
/// (default 10; rl-zoo's defaults are 25 000 and 5) and the best parameters
/// kept (rl-zoo's EvalCallback with `save_best`); at the end the final and
/// the best network are each evaluated greedily over 100 episodes. The
/// greedy policy swings by hundreds between evaluations at these settings:
/// every 5000 steps, seed 1's best of ten evaluations was 384; evaluated
/// every iteration, all five seeds keep a network that scores 500
/// (bench/dqn_vs_pg_cartpole.py is the same protocol from Python).
@Suite(.enabled(if: getenv("SWIFTPG_DQN_BENCH") != nil)) struct DQNBenchmark {
  @Test func zooCartPole() throws {
    let evalFreq = getenv("SWIFTPG_DQN_EVAL_FREQ").flatMap { Int(String(cString: $0)) } ?? 256
    let evalEpisodes = getenv("SWIFTPG_DQN_EVAL_EPISODES").flatMap { Int(String(cString: $0)) } ?? 10
    for seed in 0..<5 {
      var c = DQN.Config()
      c.seed = UInt64(seed)
      let dqn = try DQN(env: try VectorEnvironment(CartPole(), count: 1, seed: UInt64(seed)), config: c)
      let evalEnv = try VectorEnvironment(CartPole(), count: 10, seed: 1000)
      var best = (score: -Double.infinity, parameters: dqn.online.parameters, step: 0)
      var nextEval = evalFreq
      var trainSeconds = 0.0
      let start = monotonicSeconds()
      while dqn.totalEnvSteps < c.totalEnvSteps {
        trainSeconds += try dqn.iterate().seconds
        if dqn.totalEnvSteps >= nextEval || dqn.totalEnvSteps >= c.totalEnvSteps {
          nextEval += evalFreq
          let r = try dqn.evaluate(
            env: evalEnv, episodes: evalEpisodes, greedy: true, seed: UInt64(1000 + dqn.totalEnvSteps))
          let score = r.returns.reduce(0, +) / Double(evalEpisodes)
          if score > best.score { best = (score, dqn.online.parameters, dqn.totalEnvSteps) }
        }
      }
      let wall = monotonicSeconds() - start
      let final = try dqn.evaluate(env: evalEnv, episodes: 100, greedy: true, seed: 12345).returns
      try dqn.online.setParameters(best.parameters)
      let bestReturns = try dqn.evaluate(env: evalEnv, episodes: 100, greedy: true, seed: 12345).returns
      let mean = { (x: [Double]) in x.reduce(0, +) / Double(x.count) }
      print(
        "DQN CartPole-v1 seed \(seed): final \(mean(final)) (min \(final.min() ?? 0)), best-checkpoint "
          + "\(mean(bestReturns)) (min \(bestReturns.min() ?? 0), from step \(best.step)), "
          + "train \(trainSeconds) s, wall incl. evaluation \(wall) s, gradient steps \(dqn.totalGradientSteps)")
    }
  }
}
