import CSwiftPG
import SwiftPG

extension PolicyGradientConfig {
  init(_ c: swiftpg_pg_config) throws(SwiftPGError) {
    self.init()
    func flag(_ v: Int32, _ name: String) throws(SwiftPGError) -> Bool {
      try require(v == 0 || v == 1, "\(name) must be 0 or 1, got \(v)")
      return v == 1
    }
    func pick<E: RawRepresentable<Int32>>(_ v: Int32, _ name: String, _ options: String) throws(SwiftPGError) -> E {
      guard let e = E(rawValue: v) else { throw .invalid("unknown \(name) \(v); expected \(options)") }
      return e
    }
    algorithm = try pick(c.algorithm, "algorithm", "0..6 (SWIFTPG_ALGO_*)")
    stepsPerEnv = Int(c.steps_per_env)
    stepsPerIteration = Int(c.steps_per_iteration)
    weighting = try pick(c.weighting, "weighting", "0..2 (SWIFTPG_WEIGHTING_*)")
    baseline = try pick(c.baseline, "baseline", "0..3 (SWIFTPG_BASELINE_*)")
    advantage = try pick(c.advantage, "advantage", "0 (GAE) or 1 (n-step)")
    nSteps = Int(c.n_steps)
    valueTarget = try pick(c.value_target, "value_target", "0 (bootstrap) or 1 (Monte Carlo)")
    valueEpochs = Int(c.value_epochs)
    normalizeAdvantages = try flag(c.normalize_advantages, "normalize_advantages")
    optimizer = try pick(c.optimizer, "optimizer", "0 (Adam) or 1 (SGD)")
    annealLearningRate = try flag(c.anneal_learning_rate, "anneal_learning_rate")
    annealClipRange = try flag(c.anneal_clip_range, "anneal_clip_range")
    epochs = Int(c.epochs)
    minibatchSize = Int(c.minibatch_size)
    klPenalty = try flag(c.kl_penalty, "kl_penalty")
    cgIterations = Int(c.cg_iterations)
    lineSearchSteps = Int(c.line_search_steps)
    reuseBatches = Int(c.reuse_batches)
    perDecision = try flag(c.per_decision, "per_decision")
    normalizeObservations = try flag(c.normalize_observations, "normalize_observations")
    normalizeRewards = try flag(c.normalize_rewards, "normalize_rewards")
    episodeAverage = try flag(c.episode_average, "episode_average")
    sharedNetwork = try flag(c.shared_network, "shared_network")
    updateThreads = Int(c.update_threads)
    totalEnvSteps = Int(c.total_env_steps)
    gamma = c.gamma
    gaeLambda = c.gae_lambda
    learningRate = c.learning_rate
    valueLearningRate = c.value_learning_rate
    adamEpsilon = c.adam_epsilon
    maxGradNorm = c.max_grad_norm
    maxGradValue = c.max_grad_value
    clipRange = c.clip_range
    valueClipRange = c.value_clip_range
    entropyCoef = c.entropy_coef
    valueCoef = c.value_coef
    targetKL = c.target_kl
    klBeta = c.kl_beta
    klTarget = c.kl_target
    maxKL = c.max_kl
    cgDamping = c.cg_damping
    backtrackRatio = c.backtrack_ratio
    importanceClip = c.importance_clip
    clipObservations = c.clip_observations
    clipRewards = c.clip_rewards
    seed = c.seed
  }

  var c: swiftpg_pg_config {
    var c = swiftpg_pg_config()
    c.algorithm = algorithm.rawValue
    c.steps_per_env = Int32(stepsPerEnv)
    c.steps_per_iteration = Int32(stepsPerIteration)
    c.weighting = weighting.rawValue
    c.baseline = baseline.rawValue
    c.advantage = advantage.rawValue
    c.n_steps = Int32(nSteps)
    c.value_target = valueTarget.rawValue
    c.value_epochs = Int32(valueEpochs)
    c.normalize_advantages = normalizeAdvantages ? 1 : 0
    c.optimizer = optimizer.rawValue
    c.anneal_learning_rate = annealLearningRate ? 1 : 0
    c.anneal_clip_range = annealClipRange ? 1 : 0
    c.epochs = Int32(epochs)
    c.minibatch_size = Int32(minibatchSize)
    c.kl_penalty = klPenalty ? 1 : 0
    c.cg_iterations = Int32(cgIterations)
    c.line_search_steps = Int32(lineSearchSteps)
    c.reuse_batches = Int32(reuseBatches)
    c.per_decision = perDecision ? 1 : 0
    c.normalize_observations = normalizeObservations ? 1 : 0
    c.normalize_rewards = normalizeRewards ? 1 : 0
    c.episode_average = episodeAverage ? 1 : 0
    c.shared_network = sharedNetwork ? 1 : 0
    c.update_threads = Int32(clamping: updateThreads)
    c.total_env_steps = Int64(totalEnvSteps)
    c.gamma = gamma
    c.gae_lambda = gaeLambda
    c.learning_rate = learningRate
    c.value_learning_rate = valueLearningRate
    c.adam_epsilon = adamEpsilon
    c.max_grad_norm = maxGradNorm
    c.max_grad_value = maxGradValue
    c.clip_range = clipRange
    c.value_clip_range = valueClipRange
    c.entropy_coef = entropyCoef
    c.value_coef = valueCoef
    c.target_kl = targetKL
    c.kl_beta = klBeta
    c.kl_target = klTarget
    c.max_kl = maxKL
    c.cg_damping = cgDamping
    c.backtrack_ratio = backtrackRatio
    c.importance_clip = importanceClip
    c.clip_observations = clipObservations
    c.clip_rewards = clipRewards
    c.seed = seed
    return c
  }
}

extension TrainStats {
  var c: swiftpg_train_stats {
    var c = swiftpg_train_stats()
    c.iteration = Int64(iteration)
    c.env_steps = Int64(envSteps)
    c.total_env_steps = Int64(totalEnvSteps)
    c.episodes = Int32(clamping: episodes)
    c.update_steps = Int32(clamping: updateSteps)
    c.mean_return = meanReturn
    c.std_return = stdReturn
    c.min_return = minReturn
    c.max_return = maxReturn
    c.mean_length = meanLength
    c.policy_loss = policyLoss
    c.value_loss = valueLoss
    c.entropy = entropy
    c.approx_kl = approxKL
    c.clip_fraction = clipFraction
    c.explained_variance = explainedVariance
    c.grad_norm = gradNorm
    c.learning_rate = learningRate
    c.extra = extra
    c.seconds = seconds
    return c
  }
}

@c @implementation
public func swiftpg_pg_default_config(_ algorithm: Int32, _ config_out: UnsafeMutablePointer<swiftpg_pg_config>?) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(config_out, "config_out")
    guard let algo = PGAlgorithm(rawValue: algorithm) else {
      throw .invalid("unknown algorithm \(algorithm); expected 0..6 (SWIFTPG_ALGO_*)")
    }
    out.pointee = PolicyGradientConfig.defaults(for: algo).c
  }
}

@c @implementation
public func swiftpg_pg_create(
  _ env: UInt64, _ policy: UInt64, _ value: UInt64, _ config: UnsafePointer<swiftpg_pg_config>?,
  _ algorithm_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(algorithm_out, "algorithm_out")
    let cfg = try PolicyGradientConfig(try need(config, "config").pointee)
    let envBox: Guarded<EnvObject>? = env == 0 ? nil : try envTable.get(env)
    let policyBox = try policyTable.get(policy)
    let valueBox: Guarded<ValueObject>? = value == 0 ? nil : try valueTable.get(value)
    let learner = try PolicyGradient(
      env: envBox?.object.env, policy: policyBox.object.policy, critic: valueBox?.object.value, config: cfg)
    out.pointee = try algorithmTable.insert(
      AlgorithmObject(
        .policyGradient(learner), env: envBox, policy: policyBox, value: learner.critic == nil ? nil : valueBox))
  }
}

@c @implementation
public func swiftpg_pg_iterate(_ algorithm: UInt64, _ stats_out: UnsafeMutablePointer<swiftpg_train_stats>?) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(stats_out, "stats_out")
    try using(algorithmTable, algorithm) { (a) throws(SwiftPGError) in
      let learner = try a.policyGradient()
      try a.exclusive { () throws(SwiftPGError) in out.pointee = try learner.iterate().c }
    }
  }
}

@c @implementation
public func swiftpg_pg_update(
  _ algorithm: UInt64, _ steps: Int64, _ lanes: Int64, _ observations: UnsafePointer<Double>?,
  _ actions: UnsafeRawPointer?, _ rewards: UnsafePointer<Double>?, _ terminated: UnsafePointer<UInt8>?,
  _ truncated: UnsafePointer<UInt8>?, _ final_observations: UnsafePointer<Double>?,
  _ next_observations: UnsafePointer<Double>?, _ stats_out: UnsafeMutablePointer<swiftpg_train_stats>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(stats_out, "stats_out")
    try require(steps >= 1 && steps <= 1 << 24, "steps must be in [1, 2^24], got \(steps)")
    try require(lanes >= 1 && lanes <= 1 << 16, "lanes must be in [1, 65536], got \(lanes)")
    let t = Int(steps)
    let n = Int(lanes)
    let m = t * n
    try require(m <= 1 << 24, "steps × lanes = \(m) exceeds 2^24", code: .tooLarge)
    let obs = try need(observations, "observations")
    let act = try need(actions.map { $0.assumingMemoryBound(to: UInt8.self) }, "actions")
    let rew = try need(rewards, "rewards")
    let term = try need(terminated, "terminated")
    let trunc = try need(truncated, "truncated")
    let next = try need(next_observations, "next_observations")
    try using(algorithmTable, algorithm) { (a) throws(SwiftPGError) in
      let learner = try a.policyGradient()
      try require(
        !learner.config.normalizeObservations && !learner.config.normalizeRewards,
        "updates on external data need normalize_observations = normalize_rewards = 0 (normalise in the environment, e.g. gymnasium.wrappers.NormalizeObservation)")
      let dim = learner.observationSize
      let space = learner.actionSpace
      try requireFinite(obs, m * dim, "observations")
      try requireFinite(rew, m, "rewards")
      try requireFinite(next, n * dim, "next_observations")
      let d = Trajectories(observationSize: dim, actionSpace: space)
      d.resize(steps: t, lanes: n)
      d.observations.pointer.update(from: obs, count: m * dim)
      switch space {
      case .discrete(let count):
        let ints = UnsafeRawPointer(act).assumingMemoryBound(to: Int32.self)
        for k in 0..<m {
          try require(ints[k] >= 0 && Int(ints[k]) < count, "action \(ints[k]) at row \(k) is outside 0..<\(count)")
        }
        d.discreteActions.pointer.update(from: ints, count: m)
      case .box(let low, _):
        let reals = UnsafeRawPointer(act).assumingMemoryBound(to: Double.self)
        try requireFinite(reals, m * low.count, "actions")
        d.continuousActions.pointer.update(from: reals, count: m * low.count)
      }
      var anyTruncated = false
      for k in 0..<m {
        try require(term[k] <= 1 && trunc[k] <= 1, "terminated and truncated must be 0 or 1 (row \(k))")
        d.rewards[k] = rew[k]
        d.terminated[k] = term[k]
        d.truncated[k] = trunc[k]
        if trunc[k] == 1 && term[k] == 0 { anyTruncated = true }
      }
      if anyTruncated {
        let fin = try need(final_observations, "final_observations (some episodes are truncated)")
        for k in 0..<m where trunc[k] == 1 && term[k] == 0 {
          try requireFinite(fin + k * dim, dim, "final_observations")
          (d.finalObservations.pointer + k * dim).update(from: fin + k * dim, count: dim)
        }
      }
      d.nextObservations.pointer.update(from: next, count: n * dim)
      // Episode statistics of the episodes that end inside the batch.
      for i in 0..<n {
        var total = 0.0
        var length = 0
        var seenStart = false
        for s in 0..<t {
          let k = s * n + i
          total += rew[k]
          length += 1
          if term[k] == 1 || trunc[k] == 1 {
            if seenStart {
              d.episodeReturns.append(total)
              d.episodeLengths.append(length)
            }
            seenStart = true
            total = 0
            length = 0
          }
        }
      }
      try a.exclusive { () throws(SwiftPGError) in out.pointee = try learner.update(external: d).c }
    }
  }
}

@c @implementation
public func swiftpg_pg_evaluate(
  _ algorithm: UInt64, _ env: UInt64, _ episodes: Int32, _ greedy: Int32, _ seed: UInt64,
  _ returns_out: UnsafeMutablePointer<Double>?, _ lengths_out: UnsafeMutablePointer<Int32>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let returnsOut = try needIfPresent(returns_out, "returns_out")
    let lengthsOut = try needIfPresent(lengths_out, "lengths_out")
    let envBox = try envTable.get(env)
    try using(algorithmTable, algorithm) { (a) throws(SwiftPGError) in
      let learner = try a.policyGradient()
      try usingAll(
        [(a.policy.tryAcquire, a.policy.release, "policy"), (envBox.tryAcquire, envBox.release, "environment")]
      ) { () throws(SwiftPGError) in
        let result = try learner.evaluate(
          env: envBox.object.env, episodes: Int(episodes), greedy: greedy != 0, seed: seed)
        writeEvaluation(result, returnsOut, lengthsOut)
      }
    }
  }
}

@c @implementation
public func swiftpg_pg_save(_ algorithm: UInt64, _ path: UnsafePointer<CChar>?) -> Int32 {
  entry { () throws(SwiftPGError) in
    let p = try cString(path, "path", limit: 4096)
    try using(algorithmTable, algorithm) { (a) throws(SwiftPGError) in
      let learner = try a.policyGradient()
      try a.exclusive { () throws(SwiftPGError) in try learner.save(to: p) }
    }
  }
}

@c @implementation
public func swiftpg_pg_load(_ algorithm: UInt64, _ path: UnsafePointer<CChar>?) -> Int32 {
  entry { () throws(SwiftPGError) in
    let p = try cString(path, "path", limit: 4096)
    try using(algorithmTable, algorithm) { (a) throws(SwiftPGError) in
      let learner = try a.policyGradient()
      try a.exclusive { () throws(SwiftPGError) in try learner.load(from: p) }
    }
  }
}

@c @implementation
public func swiftpg_algorithm_destroy(_ algorithm: UInt64) -> Int32 {
  entry { () throws(SwiftPGError) in try algorithmTable.remove(algorithm) }
}
