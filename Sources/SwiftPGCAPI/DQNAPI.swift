import CSwiftPG
import SwiftPG

// DQN (issue 19) through the C ABI: swiftpg_dqn_config ↔ DQN.Config, and
// the learner behind handles of kind .dqn.

/// A DQN learner behind a handle, with the environment it trains on
/// (guarded, so another thread using that environment meanwhile gets BUSY)
/// and the episodes of its last iterate or update.
final class DQNObject {
  let learner: DQN
  let env: Guarded<EnvObject>
  /// Set by `swiftpg_cancel` on the DQN handle; the learner checks it.
  let cancellation = CancellationFlag()
  var lastEpisodes: [EpisodeRecord] = []

  init(_ learner: DQN, env: Guarded<EnvObject>) {
    self.learner = learner
    self.env = env
    learner.cancellation = cancellation
  }

  /// Runs `body` with the training environment held (BUSY otherwise).
  func exclusive(_ body: () throws(SwiftPGError) -> Void) throws(SwiftPGError) {
    try usingAll([(env.tryAcquire, env.release, "environment")], body)
  }
}

extension DQN.Config {
  /// The configuration of a C struct, every field checked (the size first).
  init(_ c: swiftpg_dqn_config) throws(SwiftPGError) {
    let r = FieldReader()
    self.init()
    batchSize = Int(c.batch_size)
    totalEnvSteps = Int(c.total_env_steps)
    bufferSize = Int(c.buffer_size)
    learningStarts = Int(c.learning_starts)
    targetUpdateInterval = Int(c.target_update_interval)
    targetUpdateUnit = try r.pick(c.target_update_unit, "target_update_unit", "0 (env steps) or 1 (gradient steps)")
    trainFrequency = Int(c.train_freq)
    gradientSteps = Int(c.gradient_steps)
    loss = try r.pick(c.loss, "loss", "0 (MSE) or 1 (Huber)")
    doubleQ = try r.flag(c.double_q, "double_q")
    activation = try r.pick(c.activation, "activation", "0 (tanh) or 1 (ReLU)")
    precision = try r.pick(c.precision, "precision", "32 or 64")
    try require(
      (0...Int32(SWIFTPG_DQN_MAX_HIDDEN)).contains(c.num_hidden),
      "num_hidden must be in [0, \(SWIFTPG_DQN_MAX_HIDDEN)], got \(c.num_hidden)")
    let widths = withUnsafeBytes(of: c.hidden) { raw in Array(raw.bindMemory(to: Int32.self)) }
    for k in 0..<Int(c.num_hidden) {
      try require(
        widths[k] >= 1 && Int(widths[k]) <= MLP.maxLayerSize,
        "hidden[\(k)] must be in [1, \(MLP.maxLayerSize)], got \(widths[k])")
    }
    hidden = widths.prefix(Int(c.num_hidden)).map { Int($0) }
    learningRate = c.learning_rate
    adamEpsilon = c.adam_epsilon
    gamma = c.gamma
    tau = c.tau
    explorationFraction = c.exploration_fraction
    explorationInitialEps = c.exploration_initial_eps
    explorationFinalEps = c.exploration_final_eps
    maxGradNorm = c.max_grad_norm
    seed = c.seed
    try require(
      [learningRate, adamEpsilon, gamma, tau, explorationFraction, explorationInitialEps, explorationFinalEps]
        .allSatisfy(\.isFinite),
      "learning_rate, adam_epsilon, gamma, tau and the exploration fields must be finite")
    try validate()
  }

  /// The C struct of this configuration (size set).
  var c: swiftpg_dqn_config {
    var c = swiftpg_dqn_config()
    c.size = UInt32(MemoryLayout<swiftpg_dqn_config>.size)
    c.batch_size = Int32(clamping: batchSize)
    c.total_env_steps = Int64(totalEnvSteps)
    c.buffer_size = Int64(bufferSize)
    c.learning_starts = Int64(learningStarts)
    c.target_update_interval = Int64(targetUpdateInterval)
    c.target_update_unit = targetUpdateUnit.rawValue
    c.train_freq = Int32(clamping: trainFrequency)
    c.gradient_steps = Int32(clamping: gradientSteps)
    c.loss = loss.rawValue
    c.double_q = doubleQ ? 1 : 0
    c.activation = activation.rawValue
    c.precision = precision.rawValue
    let n = Swift.min(hidden.count, Int(SWIFTPG_DQN_MAX_HIDDEN))
    c.num_hidden = Int32(n)
    withUnsafeMutableBytes(of: &c.hidden) { raw in
      let w = raw.bindMemory(to: Int32.self)
      for k in 0..<n { w[k] = Int32(clamping: hidden[k]) }
    }
    c.learning_rate = learningRate
    c.adam_epsilon = adamEpsilon
    c.gamma = gamma
    c.tau = tau
    c.exploration_fraction = explorationFraction
    c.exploration_initial_eps = explorationInitialEps
    c.exploration_final_eps = explorationFinalEps
    c.max_grad_norm = maxGradNorm
    c.seed = seed
    return c
  }
}

extension DQNStats {
  var c: swiftpg_dqn_stats {
    var c = swiftpg_dqn_stats()
    c.size = UInt32(MemoryLayout<swiftpg_dqn_stats>.size)
    c.episodes = Int32(clamping: episodes.count)
    c.iteration = Int64(iteration)
    c.env_steps = Int64(envSteps)
    c.total_env_steps = Int64(totalEnvSteps)
    c.gradient_steps = Int64(gradientSteps)
    c.total_gradient_steps = Int64(totalGradientSteps)
    c.mean_return = meanReturn
    c.mean_length = meanLength
    c.epsilon = epsilon
    c.loss = loss
    c.mean_q = meanQ
    c.grad_norm = gradNorm
    c.seconds = seconds
    return c
  }
}

@c @implementation
public func swiftpg_dqn_default_config(_ config_out: UnsafeMutablePointer<swiftpg_dqn_config>?) -> Int32 {
  entry { () throws(SwiftPGError) in try need(config_out, "config_out").pointee = DQN.Config().c }
}

@c @implementation
public func swiftpg_dqn_create(
  _ env: UInt64, _ config: UnsafePointer<swiftpg_dqn_config>?, _ learner_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(learner_out, "learner_out")
    let cfg = try DQN.Config(try readConfig(config, "swiftpg_dqn_config"))
    let envBox = try envTable.get(env)
    var learner: DQN?
    try usingAll([(envBox.tryAcquire, envBox.release, "environment")]) { () throws(SwiftPGError) in
      learner = try DQN(env: envBox.object.env, config: cfg)
    }
    guard let learner else { throw SwiftPGError(.internalError, "DQN was not created") }
    out.pointee = try dqnTable.insert(DQNObject(learner, env: envBox))
  }
}

/// Runs `body` on the learner of `handle` with the learner and its
/// environment held, storing the episodes of the stats it returns.
private func train(
  _ handle: UInt64, _ out: UnsafeMutablePointer<swiftpg_dqn_stats>,
  _ body: (DQN) throws(SwiftPGError) -> DQNStats
) throws(SwiftPGError) {
  try using(dqnTable, handle) { (o) throws(SwiftPGError) in
    try o.exclusive { () throws(SwiftPGError) in
      let s = try body(o.learner)
      o.lastEpisodes = s.episodes
      out.pointee = s.c
    }
  }
}

@c @implementation
public func swiftpg_dqn_iterate(_ learner: UInt64, _ stats_out: UnsafeMutablePointer<swiftpg_dqn_stats>?) -> Int32 {
  entry { () throws(SwiftPGError) in
    try train(learner, try need(stats_out, "stats_out")) { (l) throws(SwiftPGError) in try l.iterate() }
  }
}

@c @implementation
public func swiftpg_dqn_update(
  _ learner: UInt64, _ steps: Int64, _ num_envs: Int64, _ observations: UnsafePointer<Double>?,
  _ actions: UnsafePointer<Int32>?, _ rewards: UnsafePointer<Double>?, _ terminated: UnsafePointer<UInt8>?,
  _ truncated: UnsafePointer<UInt8>?, _ final_observations: UnsafePointer<Double>?,
  _ next_observations: UnsafePointer<Double>?, _ stats_out: UnsafeMutablePointer<swiftpg_dqn_stats>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(stats_out, "stats_out")
    try require(steps >= 1 && steps <= 1 << 24, "steps must be in [1, 2^24], got \(steps)")
    try require(num_envs >= 1 && num_envs <= 1 << 16, "num_envs must be in [1, 65536], got \(num_envs)")
    let (t, n) = (Int(steps), Int(num_envs))
    let m = t * n
    try require(m <= 1 << 24, "steps × num_envs = \(m) exceeds 2^24", code: .tooLarge)
    let obs = try need(observations, "observations")
    let act = try need(actions, "actions")
    let rew = try need(rewards, "rewards")
    let term = try need(terminated, "terminated")
    let trunc = try need(truncated, "truncated")
    let next = try need(next_observations, "next_observations")
    // The learner's sizes are read without holding it (they never change).
    let dqn = try dqnTable.get(learner).object.learner
    let dim = dqn.online.observationSize
    let actionCount = dqn.online.actionCount
    _ = try checkedProduct(m, dim, "steps × num_envs × observation size")
    try require(m * dim <= 1 << 26, "the observations hold more than 2^26 values", code: .tooLarge)
    try requireFinite(obs, m * dim, "observations", width: dim)
    try requireFinite(rew, m, "rewards")
    try requireFinite(next, n * dim, "next_observations", width: dim)
    var anyEnded = false
    for k in 0..<m {
      try require(term[k] <= 1 && trunc[k] <= 1, "terminated and truncated must be 0 or 1 (row \(k))")
      try require(
        act[k] >= 0 && Int(act[k]) < actionCount, "action \(act[k]) at row \(k) is outside 0..<\(actionCount)",
        code: .outOfRange)
      if term[k] == 1 || trunc[k] == 1 { anyEnded = true }
    }
    let fin: UnsafePointer<Double>? =
      anyEnded ? try need(final_observations, "final_observations (some episodes ended)") : nil
    if let fin {
      for k in 0..<m where term[k] == 1 || trunc[k] == 1 {
        try requireFinite(fin + k * dim, dim, "final_observations row \(k)")
      }
    }
    let d = Trajectories(observationSize: dim, actionSpace: .discrete(actionCount))
    d.resize(steps: t, lanes: n)
    d.observations.pointer.update(from: obs, count: m * dim)
    d.discreteActions.pointer.update(from: act, count: m)
    d.rewards.pointer.update(from: rew, count: m)
    d.terminated.pointer.update(from: term, count: m)
    d.truncated.pointer.update(from: trunc, count: m)
    d.nextObservations.pointer.update(from: next, count: n * dim)
    d.finalObservations.pointer.update(repeating: 0, count: m * dim)
    if let fin {
      for k in 0..<m where term[k] == 1 || trunc[k] == 1 {
        (d.finalObservations.pointer + k * dim).update(from: fin + k * dim, count: dim)
      }
    }
    // Episodes that both start and end inside the batch.
    for i in 0..<n {
      var (total, length, seenStart) = (0.0, 0, false)
      for s in 0..<t {
        let k = s * n + i
        total += rew[k]
        length += 1
        if term[k] == 1 || trunc[k] == 1 {
          if seenStart {
            d.episodeReturns.append(total)
            d.episodeLengths.append(length)
            d.episodeTerminated.append(term[k] == 1)
          }
          (seenStart, total, length) = (true, 0, 0)
        }
      }
    }
    try train(learner, out) { (l) throws(SwiftPGError) in try l.update(external: d) }
  }
}

@c @implementation
public func swiftpg_dqn_episodes(
  _ learner: UInt64, _ returns_out: UnsafeMutablePointer<Double>?, _ lengths_out: UnsafeMutablePointer<Int32>?,
  _ capacity: Int64, _ count_out: UnsafeMutablePointer<Int64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    try writeEpisodes(returns: returns_out, lengths: lengths_out, capacity: capacity, count: count_out) {
      () throws(SwiftPGError) in
      var episodes: [EpisodeRecord] = []
      try using(dqnTable, learner) { (o) throws(SwiftPGError) in episodes = o.lastEpisodes }
      return episodes
    }
  }
}

/// The online network's pass on caller observations: checks the batch
/// (1 ≤ batch, batch × widest layer ≤ 2^26) and the observations, then
/// runs `body` with Q(s, ·) `[batch, actions]` while the learner is held.
private func qPass(
  _ learner: UInt64, _ observations: UnsafePointer<Double>?, _ batch: Int64,
  _ body: (_ q: UnsafePointer<Double>, _ b: Int, _ actions: Int) -> Void
) throws(SwiftPGError) {
  let obs = try need(observations, "observations")
  try using(dqnTable, learner) { (o) throws(SwiftPGError) in
    let q = o.learner.online
    let widest = q.layerSizes.max() ?? 1
    try require(batch >= 1, "batch must be >= 1, got \(batch)")
    try require(batch <= 1 << 26, "batch \(batch) exceeds 2^26", code: .tooLarge)
    let b = Int(batch)
    try require(
      try checkedProduct(b, widest, "batch × widest layer") <= DQN.maxActivationValues,
      "batch \(b) × widest layer \(widest) exceeds \(DQN.maxActivationValues)", code: .tooLarge)
    try requireFinite(obs, b * q.observationSize, "observations", width: q.observationSize)
    body(q.values(obs, batch: b), b, q.actionCount)
  }
}

@c @implementation
public func swiftpg_dqn_q_values(
  _ learner: UInt64, _ observations: UnsafePointer<Double>?, _ batch: Int64, _ q_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(q_out, "q_out")
    try qPass(learner, observations, batch) { q, b, a in out.update(from: q, count: b * a) }
  }
}

@c @implementation
public func swiftpg_dqn_predict(
  _ learner: UInt64, _ observations: UnsafePointer<Double>?, _ batch: Int64,
  _ actions_out: UnsafeMutablePointer<Int32>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(actions_out, "actions_out")
    try qPass(learner, observations, batch) { q, b, a in
      for i in 0..<b {
        var best = 0
        let row = q + i * a
        for j in 1..<Swift.max(a, 1) where row[j] > row[best] || (row[best].isNaN && !row[j].isNaN) { best = j }
        out[i] = Int32(best)
      }
    }
  }
}

@c @implementation
public func swiftpg_dqn_evaluate(
  _ learner: UInt64, _ env: UInt64, _ episodes: Int32, _ greedy: Int32, _ seed: UInt64,
  _ returns_out: UnsafeMutablePointer<Double>?, _ lengths_out: UnsafeMutablePointer<Int32>?
) -> Int32 {
  evaluationEntry(returns_out, lengths_out) { (write) throws(SwiftPGError) in
    try require(greedy == 0 || greedy == 1, "greedy must be 0 or 1, got \(greedy)")
    let envBox = try envTable.get(env)
    try using(dqnTable, learner) { (o) throws(SwiftPGError) in
      try require(
        envBox !== o.env,
        "env is the learner's training environment; evaluate on another one (swiftpg_env_spawn)")
      try usingAll([(envBox.tryAcquire, envBox.release, "environment")]) { () throws(SwiftPGError) in
        let result = try o.learner.evaluate(
          env: envBox.object.env, episodes: Int(episodes), greedy: greedy == 1, seed: seed)
        for (k, r) in result.returns.enumerated() { write(k, r, result.lengths[k]) }
      }
    }
  }
}

@c @implementation
public func swiftpg_dqn_save(_ learner: UInt64, _ path: UnsafePointer<CChar>?, _ include_buffer: Int32) -> Int32 {
  entry { () throws(SwiftPGError) in
    let p = try cString(path, "path", limit: 4096)
    try require(include_buffer == 0 || include_buffer == 1, "include_buffer must be 0 or 1, got \(include_buffer)")
    try using(dqnTable, learner) { (o) throws(SwiftPGError) in
      try o.exclusive { () throws(SwiftPGError) in try o.learner.save(to: p, includeBuffer: include_buffer == 1) }
    }
  }
}

@c @implementation
public func swiftpg_dqn_load(_ learner: UInt64, _ path: UnsafePointer<CChar>?) -> Int32 {
  entry { () throws(SwiftPGError) in
    let p = try cString(path, "path", limit: 4096)
    try using(dqnTable, learner) { (o) throws(SwiftPGError) in
      try o.exclusive { () throws(SwiftPGError) in
        try o.learner.load(from: p)
        o.lastEpisodes = []
      }
    }
  }
}

@c @implementation
public func swiftpg_dqn_open(
  _ path: UnsafePointer<CChar>?, _ learner_out: UnsafeMutablePointer<UInt64>?, _ env_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let file = try cString(path, "path", limit: 4096)
    let learnerOut = try need(learner_out, "learner_out")
    let envOut = try need(env_out, "env_out")
    let dqn = try DQN.open(path: file)
    let envHandle = try envTable.insert(EnvObject(dqn.env))
    do throws(SwiftPGError) {
      let handle = try dqnTable.insert(DQNObject(dqn, env: try envTable.get(envHandle)))
      learnerOut.pointee = handle
      envOut.pointee = envHandle
    } catch {
      _ = try? envTable.remove(envHandle)
      throw error
    }
  }
}

@c @implementation
public func swiftpg_dqn_get_config(_ learner: UInt64, _ config_out: UnsafeMutablePointer<swiftpg_dqn_config>?) -> Int32 {
  entry(dqnTable, learner, output: config_out, "config_out") { (o, out) throws(SwiftPGError) in
    out.pointee = o.learner.config.c
  }
}

@c @implementation
public func swiftpg_dqn_counters(
  _ learner: UInt64, _ iteration_out: UnsafeMutablePointer<Int64>?,
  _ total_env_steps_out: UnsafeMutablePointer<Int64>?, _ total_gradient_steps_out: UnsafeMutablePointer<Int64>?,
  _ target_updates_out: UnsafeMutablePointer<Int64>?, _ buffer_count_out: UnsafeMutablePointer<Int64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let outs = (
      try need(iteration_out, "iteration_out"), try need(total_env_steps_out, "total_env_steps_out"),
      try need(total_gradient_steps_out, "total_gradient_steps_out"),
      try need(target_updates_out, "target_updates_out"), try need(buffer_count_out, "buffer_count_out")
    )
    try using(dqnTable, learner) { (o) throws(SwiftPGError) in
      let l = o.learner
      outs.0.pointee = Int64(l.iteration)
      outs.1.pointee = Int64(l.totalEnvSteps)
      outs.2.pointee = Int64(l.totalGradientSteps)
      outs.3.pointee = Int64(l.targetUpdates)
      outs.4.pointee = Int64(l.buffer.count)
    }
  }
}

@c @implementation
public func swiftpg_dqn_destroy(_ learner: UInt64) -> Int32 {
  entry { () throws(SwiftPGError) in try dqnTable.remove(learner) }
}
