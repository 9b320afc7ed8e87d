import Testing

@testable import SwiftPG

/// Algorithms/PolicyGradientLearner.swift: iterate = collect then update,
/// updates on outside data, counters, and the shared configuration checks
/// (`validateCommon`, `validateSegments`) naming the field.
@Suite struct PolicyGradientLearnerTests {
  func learner<L: PolicyGradientLearner>(
    _ type: L.Type, env: Bool = true, _ change: (inout L.Config) -> Void = { _ in }
  ) throws -> L {
    let policy = try SoftmaxPolicy(observationSize: 4, actionCount: 2, hidden: [8], seed: 0)
    let critic = try ValueFunction(observationSize: 4, hidden: [8], seed: 1)
    var config = L.Config()
    change(&config)
    return try L(env: env ? try VectorEnvironment(CartPole(), count: 4, seed: 0) : nil, policy: policy, critic: critic, config: config)
  }

  @Test func iterateCollectsThenUpdatesAndCounts() throws {
    let l = try learner(A2C.self) { $0.stepsPerEnv = 8 }
    let s1 = try l.iterate()
    #expect(s1.iteration == 1 && s1.envSteps == 32 && s1.totalEnvSteps == 32)
    #expect(l.core.data.count == 32 && l.core.data.steps == 8 && l.core.data.lanes == 4)
    let s2 = try l.iterate()
    #expect(s2.iteration == 2 && s2.totalEnvSteps == 64 && l.iteration == 2 && l.totalEnvSteps == 64)
    #expect(l.core.lastEpisodes == s2.episodes)
    #expect(s2.seconds >= 0 && s2.learningRate == l.config.learningRate)
    // Episodes learners collect whole episodes of at least the minimum.
    let r = try learner(Reinforce.self) { $0.stepsPerIteration = 50 }
    let s = try r.iterate()
    #expect(s.envSteps >= 50 && s.envSteps == s.episodes.map(\.length).reduce(0, +))
    #expect(s.episodes.allSatisfy { Double($0.length) == $0.episodeReturn })  // CartPole: 1 per step
  }

  /// Without an environment only outside batches can be learned from.
  @Test func learnersWithoutAnEnvironmentTakeOutsideBatches() throws {
    let l = try learner(PPO.self, env: false) { $0.minibatchSize = 4 }
    #expect(l.env == nil)
    #expect { _ = try l.iterate() } throws: { ($0 as? SwiftPGError)?.code == .invalidArgument }
    #expect(l.iteration == 0)
    var g = PCG64(seed: 1)
    let d = makeTrajectories(
      observationSize: 4, actionSpace: .discrete(2), steps: 8, observations: (0..<32).map { _ in g.standardNormal() },
      actions: (0..<8).map { _ in Int32(g.next() % 2) }, rewards: [Double](repeating: 1, count: 8))
    let s = try l.update(external: d)
    #expect(s.iteration == 1 && s.envSteps == 8 && l.totalEnvSteps == 8)
    #expect(l.externalMinibatchSize == 4)
    #expect(try learner(A2C.self).externalMinibatchSize == nil)
  }

  /// Every shared field is range-checked before a learner exists, and the
  /// error names the field as C and Python spell it.
  @Test func invalidSharedFieldsAreRefusedByName() throws {
    let cases: [(String, (inout A2C.Config) -> Void)] = [
      ("gamma", { $0.gamma = 1.5 }), ("gae_lambda", { $0.gaeLambda = -0.1 }), ("learning_rate", { $0.learningRate = -1 }),
      ("learning_rate", { $0.learningRate = .nan }), ("adam_epsilon", { $0.adamEpsilon = 0 }),
      ("max_grad_norm", { $0.maxGradNorm = -1 }), ("max_grad_value", { $0.maxGradValue = .infinity }),
      ("entropy_coef", { $0.entropyCoef = -0.1 }), ("steps_per_env", { $0.stepsPerEnv = 0 }),
      ("n_steps", { $0.nSteps = 0 }), ("value_epochs", { $0.valueEpochs = -1 }), ("minibatch_size", { $0.minibatchSize = -1 }),
      ("minibatch_size", { $0.minibatchSize = 7 }), ("value_learning_rate", { $0.valueLearningRate = -1 }),
      ("total_env_steps", { $0.totalEnvSteps = -1 }), ("annealing", { $0.annealLearningRate = true }),
      ("clip_observations", { $0.clipObservations = 0 }), ("clip_rewards", { $0.clipRewards = .nan }),
      ("vtrace_rho_bar", { $0.vtraceRhoBar = .infinity }), ("vtrace_rho_bar", { $0.vtraceRhoBar = 0 }),
      ("vtrace_c_bar", { $0.vtraceCBar = -1 }), ("vtrace_c_bar", { $0.vtraceCBar = .nan }),
    ]
    for (field, change) in cases {
      #expect {
        _ = try learner(A2C.self, change)
      } throws: { error in
        (error as? SwiftPGError)?.message.contains(field) == true
      }
    }
    // The episodic learners check the common fields too.
    #expect(throws: SwiftPGError.self) { try learner(Reinforce.self) { $0.gamma = -1 } }
    #expect(throws: SwiftPGError.self) { try learner(ActorCritic.self) { $0.learningRate = 0 } }
    #expect(throws: SwiftPGError.self) { try learner(OffPolicyPG.self) { $0.entropyCoef = .nan } }
  }
}
