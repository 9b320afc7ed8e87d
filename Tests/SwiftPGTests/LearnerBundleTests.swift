#if canImport(Glibc)
  import Glibc
#endif
import Foundation
import Testing

@testable import SwiftPG

/// Learner bundles: a learner rebuilt from its bundle alone continues
/// exactly as the original (every algorithm, normalisation, gSDE, float32
/// networks, domain randomisation, tabular and bandit environments), a
/// learner restores one in place, and damaged or foreign files are refused
/// naming what is wrong, changing nothing.
@Suite struct LearnerBundleTests {
  typealias Make = @Sendable () throws -> any PolicyGradientLearner

  static func cartPole<L: PolicyGradientLearner>(
    _: L.Type, lanes: Int = 3, seed: UInt64 = 4, _ change: (inout L.Config) -> Void = { _ in }
  ) throws -> L {
    let env = try VectorEnvironment(CartPole(), count: lanes, seed: seed)
    let policy = try SoftmaxPolicy(observationSize: 4, actionCount: 2, hidden: [6], seed: seed)
    let critic = try ValueFunction(observationSize: 4, hidden: [6], seed: seed + 1)
    var config = L.Config()
    config.common.seed = seed
    change(&config)
    return try L(env: env, policy: policy, critic: critic, config: config)
  }

  /// Every algorithm and the state-bearing options, small and fast.
  static let learners: [(String, Make)] = [
    ("reinforce", { try cartPole(Reinforce.self) { $0.stepsPerIteration = 60 } }),
    ("reinforce-value", { try cartPole(Reinforce.self) { $0.stepsPerIteration = 60; $0.baseline = .value } }),
    ("offpolicy", { try cartPole(OffPolicyPG.self) { $0.stepsPerIteration = 60; $0.reuseBatches = 2 } }),
    ("actor-critic", { try cartPole(ActorCritic.self) { $0.stepsPerEnv = 4 } }),
    ("a2c", { try cartPole(A2C.self) { $0.stepsPerEnv = 8 } }),
    ("npg", { try cartPole(NPG.self) { $0.stepsPerEnv = 8; $0.minibatchSize = 12; $0.valueEpochs = 2 } }),
    ("trpo", { try cartPole(TRPO.self) { $0.stepsPerEnv = 8; $0.minibatchSize = 12; $0.valueEpochs = 2 } }),
    (
      "ppo-normalised",
      {
        try cartPole(PPO.self) {
          $0.stepsPerEnv = 8; $0.minibatchSize = 12; $0.epochs = 2; $0.normalizeObservations = true
          $0.normalizeRewards = true; $0.klPenalty = true; $0.annealLearningRate = true; $0.totalEnvSteps = 500
        }
      }
    ),
    ("ppo-shared-sgd", { try cartPole(PPO.self) { $0.stepsPerEnv = 8; $0.minibatchSize = 24; $0.sharedNetwork = true; $0.optimizer = .sgd } }),
    (
      "ppo-gsde-float32-randomised",
      {
        let env = try VectorEnvironment(Pendulum(), count: 3, seed: 8)
        try env.randomizeParameter("m", low: 0.8, high: 1.2)
        try env.setParameter("max_episode_steps", 20)
        let policy = try GaussianPolicy(observationSize: 3, actionSize: 1, hidden: [5], std: .gsde, noiseInterval: 3, seed: 2)
        policy.network.setPrecision(.float32)
        let critic = try ValueFunction(observationSize: 3, hidden: [5], seed: 3)
        var c = PPO.Config()
        c.stepsPerEnv = 7
        c.minibatchSize = 21
        c.epochs = 2
        c.seed = 5
        return try PPO(env: env, policy: policy, critic: critic, config: c)
      }
    ),
    (
      "a2c-gridworld",
      {
        let model = try GridWorld.model(
          layout: "S.#\n..G", slip: 0.2, stepReward: -0.1, goalReward: 1, pitReward: -1, gamma: 0.9)
        let env = try VectorEnvironment(TabularMDP(model: model, maxEpisodeSteps: 15, id: "GridWorld"), count: 2, seed: 1)
        let policy = CategoricalPolicy(model: try TabularLogits(stateCount: 5, actionCount: 4))
        var c = A2C.Config()
        c.stepsPerEnv = 6
        return try A2C(env: env, policy: policy, critic: try ValueFunction(tabularStates: 5), config: c)
      }
    ),
    (
      "reinforce-bandit",
      {
        let env = try VectorEnvironment(try Bandit(kind: .gaussian, means: [0, 1, 0.5], stds: [1, 2, 0.5], horizon: 2), count: 2, seed: 3)
        let policy = try SoftmaxPolicy(observationSize: 1, actionCount: 3, hidden: [], seed: 1)
        var c = Reinforce.Config()
        c.stepsPerIteration = 10
        return try Reinforce(env: env, policy: policy, critic: nil, config: c)
      }
    ),
  ]

  /// Parameters, statistics and the policy's next sampling draw (which
  /// advances its generator: take one fingerprint per learner).
  func fingerprint(_ l: any PolicyGradientLearner, _ stats: [TrainStats]) -> [UInt64] {
    var out = l.policy.parameters.map(\.bitPattern) + (l.critic?.parameters ?? []).map(\.bitPattern)
    out += stats.flatMap { [$0.policyLoss.bitPattern, $0.valueLoss.bitPattern, UInt64($0.totalEnvSteps)] }
    out += stats.flatMap { $0.episodes.map { $0.episodeReturn.bitPattern } }
    out.append(l.policy.rng.next())
    return out
  }

  @Test(arguments: 0..<learners.count)
  func aRebuiltLearnerContinuesExactly(_ index: Int) throws {
    let (name, make) = Self.learners[index]
    let a = try make()
    for _ in 0..<2 { _ = try a.iterate() }
    let bytes = try a.bundle().encode()
    let b = try LearnerBundle.learner(from: bytes)
    #expect(b.algorithm == a.algorithm && b.iteration == 2 && b.totalEnvSteps == a.totalEnvSteps, "\(name)")
    #expect(try b.bundle().encode() == bytes, "\(name): the rebuilt learner saves the same bytes")
    let sa = try (0..<2).map { _ in try a.iterate() }
    let sb = try (0..<2).map { _ in try b.iterate() }
    #expect(fingerprint(a, sa) == fingerprint(b, sb), "\(name)")
  }

  @Test func aFileRoundTripAndLoadingIntoAnExistingLearner() throws {
    let path = "/tmp/swiftpg-test-bundle-\(getpid())-\(UInt64.random(in: 0..<UInt64.max)).ckpt"
    defer { unlink(path) }
    let a = try Self.cartPole(PPO.self) { $0.stepsPerEnv = 8; $0.minibatchSize = 12; $0.normalizeObservations = true }
    _ = try a.iterate()
    try a.save(to: path)
    let opened = try loadLearner(from: path)
    #expect(opened is PPO)
    // Into a learner of the same shapes made with another seed: everything
    // stateful comes from the file, the learner keeps its config.
    let b = try Self.cartPole(PPO.self, seed: 9) { $0.stepsPerEnv = 8; $0.minibatchSize = 12; $0.normalizeObservations = true }
    try b.load(from: path)
    #expect(b.config.seed == 9)
    let sa = try a.iterate()
    let sb = try b.iterate()
    let so = try opened.iterate()
    let expected = fingerprint(a, [sa])
    #expect(expected == fingerprint(b, [sb]))
    #expect(expected == fingerprint(opened, [so]))
    // The policy and the critic of a learner file load alone too.
    #expect(try Checkpoint.loadPolicy(path).specification == a.policy.specification)
    #expect(try Checkpoint.loadValueFunction(path).parameterCount == a.critic?.parameterCount)
  }

  @Test func incompatibleLearnersRefuseTheFileAndStayUnchanged() throws {
    let a = try Self.cartPole(PPO.self) { $0.stepsPerEnv = 8; $0.minibatchSize = 12 }
    _ = try a.iterate()
    let bytes = try a.bundle().encode()
    let cases: [(String, Make)] = [
      ("ppo learner, not a2c", { try Self.cartPole(A2C.self) { $0.stepsPerEnv = 8 } }),
      ("optimiser", { try Self.cartPole(PPO.self) { $0.stepsPerEnv = 8; $0.minibatchSize = 12; $0.optimizer = .sgd } }),
      ("instances", { try Self.cartPole(PPO.self, lanes: 4) { $0.stepsPerEnv = 8; $0.minibatchSize = 16 } }),
      ("normalizer", { try Self.cartPole(PPO.self) { $0.stepsPerEnv = 8; $0.minibatchSize = 12; $0.normalizeObservations = true } }),
      (
        "architecture",
        {
          let env = try VectorEnvironment(CartPole(), count: 3, seed: 1)
          let p = try SoftmaxPolicy(observationSize: 4, actionCount: 2, hidden: [7], seed: 1)
          var c = PPO.Config()
          c.stepsPerEnv = 8
          c.minibatchSize = 12
          return try PPO(env: env, policy: p, critic: try ValueFunction(observationSize: 4, hidden: [6]), config: c)
        }
      ),
    ]
    for (expected, make) in cases {
      let b = try make()
      let before = b.policy.parameters + (b.critic?.parameters ?? [])
      let steps = b.totalEnvSteps
      do {
        try b.restore(from: bytes)
        Issue.record("\(expected): accepted")
      } catch {
        #expect(error.code == .badFormat)
        #expect(error.message.contains(expected), "\(error.message)")
      }
      #expect(b.policy.parameters + (b.critic?.parameters ?? []) == before && b.totalEnvSteps == steps)
    }
  }

  @Test func olderLearnerFilesNameTheirVersion() throws {
    // A learner file of the single-object format, as 0.1 (state version 1)
    // and the 0.2 pre-releases (version 2) wrote them.
    for (family, version) in [(UInt32(6), "learner state version 1 (swiftpg 0.1)"), (6 | 2 << 16, "version 2 (swiftpg 0.2 pre-release)")] {
      let old = Checkpoint.encode(.init(kind: .learner, family: family, specification: [1], parameters: [0]))
      do {
        _ = try LearnerBundle.learner(from: old)
        Issue.record("accepted")
      } catch {
        #expect(error.code == .badFormat && error.message.contains(version), "\(error.message)")
        #expect(error.message.contains("format version 2"), "\(error.message)")
      }
    }
    // A policy search's file (format version 1, family 100 + method) is named as one.
    let search = Checkpoint.encode(.init(kind: .learner, family: 101, specification: [1], parameters: [0]))
    #expect(throws: SwiftPGError.self) { try LearnerBundle.learner(from: search) }
    do { _ = try LearnerBundle.learner(from: search) } catch { #expect(error.message.contains("policy search")) }
    // A bundle from a newer library: another learner-state version.
    let a = try Self.cartPole(A2C.self) { $0.stepsPerEnv = 8 }
    var bundle = try a.bundle()
    guard case .record(var state)? = bundle.record["learner"] else { Issue.record("no learner section"); return }
    state.set("version", .int(4))
    bundle.record.set("learner", .record(state))
    do {
      _ = try LearnerBundle.learner(from: bundle.encode())
      Issue.record("accepted")
    } catch {
      #expect(error.message.contains("learner state has version 4; this library reads version 3"), "\(error.message)")
    }
  }

  /// Random mutations of every field of a learner bundle (with a valid
  /// checksum) and of its bytes: each is loaded or refused with
  /// `.badFormat`; none traps, and a refused restore changes nothing.
  @Test func mutatedBundlesNeverTrap() throws {
    let a = try Self.cartPole(OffPolicyPG.self) { $0.stepsPerIteration = 40; $0.reuseBatches = 2 }
    _ = try a.iterate()
    let good = try a.bundle()
    var g = PCG64(seed: 77)
    var refused = 0
    for trial in 0..<400 {
      var record = good.record
      mutate(&record, using: &g, depth: 0)
      var bytes = Bundle(kind: .learner, record: record).encode()
      if trial % 4 == 3 {
        // Raw byte damage, then a fresh checksum, so the decoder sees it.
        let body = bytes.count - 8
        for _ in 0..<3 { bytes[Int(g.next() % UInt64(body))] ^= UInt8(truncatingIfNeeded: g.next() | 1) }
        bytes = Array(bytes[0..<body])
        withUnsafeBytes(of: Checkpoint.fnv1a64(bytes[...]).littleEndian) { bytes.append(contentsOf: $0) }
      }
      do {
        let l = try LearnerBundle.learner(from: bytes)
        _ = try? l.iterate()
      } catch {
        #expect(error.code == .badFormat, "trial \(trial): \(error.message)")
        refused += 1
      }
      let before = a.policy.parameters
      do { try a.restore(from: bytes) } catch {
        #expect(a.policy.parameters == before)
      }
    }
    #expect(refused > 200)
  }

  func mutate(_ r: inout Record, using g: inout PCG64, depth: Int) {
    guard !r.fields.isEmpty else { return }
    let field = r.fields[Int(g.next() % UInt64(r.fields.count))]
    let choice = g.next() % 8
    let extremes: [Double] = [.nan, .infinity, -1, 0, 1e300, 2.5, 65537, -0.0]
    let e = extremes[Int(g.next() % UInt64(extremes.count))]
    switch (field.value, choice) {
    case (_, 0): r.remove(field.name)
    case (_, 1): r.set("unexpected_\(depth)", .int(1))
    case (.record(var inner), _):
      mutate(&inner, using: &g, depth: depth + 1)
      r.set(field.name, .record(inner))
    case (.records(var list), _) where !list.isEmpty:
      let i = Int(g.next() % UInt64(list.count))
      if choice == 2 { list.remove(at: i) } else { mutate(&list[i], using: &g, depth: depth + 1) }
      r.set(field.name, .records(list))
    case (.int(let x), _): r.set(field.name, .int([x + 1, -1, Int64.max, 0, 1 << 40][Int(choice % 5)]))
    case (.uint, _): r.set(field.name, .uint(g.next()))
    case (.double, _): r.set(field.name, .double(e))
    case (.bool(let b), _): r.set(field.name, choice == 2 ? .int(1) : .bool(!b))
    case (.text, _): r.set(field.name, .text(["", "ppo", "CartPole-v1", "registry", "tabular", "x"][Int(choice % 6)]))
    case (.doubles(var a), _):
      if a.isEmpty || choice == 2 { a.append(e) } else if choice == 3 { a.removeLast() } else {
        a[Int(g.next() % UInt64(a.count))] = e
      }
      r.set(field.name, .doubles(a))
    case (.ints(var a), _):
      if a.isEmpty || choice == 2 { a.append(-1) } else { a[Int(g.next() % UInt64(a.count))] = [Int64.max, -1, 1 << 31][Int(choice % 3)] }
      r.set(field.name, .ints(a))
    case (.words(var a), _):
      if a.isEmpty || choice == 2 { a.append(1) } else { a[Int(g.next() % UInt64(a.count))] = g.next() }
      r.set(field.name, .words(a))
    default: r.set(field.name, .text("wrong type"))
    }
  }
}

/// Resuming through files, learner by learner (the checks written against
/// the learner-state files before the bundles; they hold for the bundles).
@Suite struct LearnerCheckpointTests {
  func learner<L: PolicyGradientLearner>(
    _ type: L.Type, seed: UInt64 = 0, hidden: [Int] = [16], _ change: (inout L.Config) -> Void = { _ in }
  ) throws -> L {
    try cartPoleLearner(type, count: 4, seed: seed, hidden: hidden, change)
  }

  /// PPO on 4 CartPoles, 16-step segments in one minibatch.
  func smallPPO(seed: UInt64 = 0, normalize: Bool = false) throws -> PPO {
    try learner(PPO.self, seed: seed) {
      $0.stepsPerEnv = 16
      $0.minibatchSize = 16
      $0.normalizeObservations = normalize
    }
  }

  @Test func checkpointResumesExactly() throws {
    let path = temporaryPath("learner")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let a = try smallPPO(normalize: true)
    for _ in 0..<3 { _ = try a.iterate() }
    try a.save(to: path)
    let b = try smallPPO(seed: 9, normalize: true)
    try b.load(from: path)
    #expect(b.policy.parameters == a.policy.parameters)
    #expect(b.critic?.parameters == a.critic?.parameters)
    #expect(b.iteration == 3 && b.totalEnvSteps == a.totalEnvSteps)
    #expect(b.observationNormalizer?.mean == a.observationNormalizer?.mean)
    #expect(b.observationNormalizer?.variance == a.observationNormalizer?.variance)
    #expect(optimizerState(b.core.policyStep.optimizer) == optimizerState(a.core.policyStep.optimizer))
    #expect(optimizerState(b.core.criticStep?.optimizer) == optimizerState(a.core.criticStep?.optimizer))
    // Same update on the same data from both: identical results (optimizer
    // moments and generator restored).
    let sa = try a.update(external: a.core.data.copy())
    let sb = try b.update(external: a.core.data.copy())
    #expect(b.policy.parameters == a.policy.parameters)
    #expect(b.critic?.parameters == a.critic?.parameters)
    #expect(sa.policyLoss == sb.policyLoss)
  }

  /// Save after one iteration, load into a learner built with other seeds,
  /// then the same outside update on both: identical parameters (SGD
  /// velocities, Adam moments, the minibatch generator, PPO's β).
  @Test func everyAlgorithmResumesItsNextUpdate() throws {
    let path = temporaryPath("learner-all")
    defer { try? FileManager.default.removeItem(atPath: path) }
    func check<L: PolicyGradientLearner>(_ type: L.Type, _ change: @escaping (inout L.Config) -> Void) throws {
      let a = try learner(L.self, change)
      _ = try a.iterate()
      try a.save(to: path)
      let b = try learner(L.self, seed: 5, change)
      try b.load(from: path)
      let d = a.core.data.copy()
      _ = try a.update(external: d.copy())
      _ = try b.update(external: d.copy())
      #expect(b.policy.parameters == a.policy.parameters, "\(L.algorithm.name)")
      #expect(b.critic?.parameters == a.critic?.parameters, "\(L.algorithm.name)")
      #expect(b.core.adaptiveCoefficient == a.core.adaptiveCoefficient)
    }
    try check(Reinforce.self) {
      $0.stepsPerIteration = 64
      $0.baseline = .value
      $0.optimizer = .sgd
    }
    try check(ActorCritic.self) { $0.stepsPerEnv = 8 }
    try check(A2C.self) {
      $0.stepsPerEnv = 8
      $0.valueEpochs = 3
      $0.minibatchSize = 8
    }
    try check(NPG.self) {
      $0.stepsPerEnv = 8
      $0.minibatchSize = 8
    }
    try check(TRPO.self) {
      $0.stepsPerEnv = 8
      $0.minibatchSize = 8
    }
    try check(PPO.self) {
      $0.stepsPerEnv = 8
      $0.minibatchSize = 8
      $0.klPenalty = true
      $0.normalizeRewards = true
    }
  }

  /// Off-policy PG's replay of past batches is part of the file (the
  /// learner section's `algorithm_state`): a loaded learner's next update
  /// equals the saved one's.
  @Test func offPolicyReplayIsSaved() throws {
    let path = temporaryPath("learner-offpolicy")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let a = try learner(OffPolicyPG.self) { $0.stepsPerIteration = 64 }
    _ = try a.iterate()
    try a.save(to: path)
    let b = try learner(OffPolicyPG.self, seed: 5) { $0.stepsPerIteration = 64 }
    try b.load(from: path)
    #expect(b.policy.parameters == a.policy.parameters && b.iteration == 1)
    #expect(b.replay.count == 1 && a.replay.count == 1)
    let d = a.core.data.copy()
    _ = try a.update(external: d.copy())
    _ = try b.update(external: d.copy())
    #expect(b.policy.parameters == a.policy.parameters)
  }

  @Test func checkpointsOfAnotherAlgorithmOrShapeAreRefused() throws {
    let path = temporaryPath("learner-refused")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let a = try smallPPO()
    _ = try a.iterate()
    try a.save(to: path)
    func refused(_ l: any PolicyGradientLearner) {
      let before = (l.policy.parameters, l.critic?.parameters, l.iteration)
      #expect { try l.load(from: path) } throws: { ($0 as? SwiftPGError)?.code == .badFormat }
      #expect(l.policy.parameters == before.0 && l.critic?.parameters == before.1 && l.iteration == before.2)
    }
    refused(try learner(A2C.self))  // another algorithm
    refused(try learner(PPO.self, hidden: [8]))  // another architecture
    refused(try learner(PPO.self) { $0.normalizeObservations = true })  // other normalisation
    // Not a learner checkpoint at all.
    try Checkpoint.save(a.policy, to: path)
    refused(try learner(PPO.self))
  }
}
