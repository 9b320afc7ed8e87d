/// Deep Q-learning (Mnih et al. 2015, "Human-level control through deep
/// reinforcement learning", Algorithm 1) with the options of
/// Stable-Baselines3's `DQN`, and Double DQN (van Hasselt, Guez & Silver 2016).
///
/// One iteration:
/// 1. collect `trainFrequency` steps of each lane: uniformly random actions
///    while fewer than `learningStarts` steps were taken, ε-greedy in
///    Q(s, ·) afterwards (ε on `LinearSchedule`); store every transition in
///    the `ReplayBuffer` (terminated and truncated apart; s′ of an ended
///    episode is its final observation); with `targetUpdateUnit = .envSteps`
///    refresh the target network every `targetUpdateInterval` steps;
/// 2. once more than `learningStarts` steps were taken, `gradientSteps`
///    gradient steps, each on a uniform minibatch of `batchSize`:
///    a. y = r + γ(1 − terminated) max_a Q̃(s′, a) (`qLearningTargets`), or
///       Q̃(s′, argmax_a Q(s′, a)) with `doubleQ` (`doubleQLearningTargets`);
///    b. L = mean ℓ(Q(s, a) − y), Huber or MSE (`QNetwork.lossAndGradient`);
///    c. clip ∇L to global norm `maxGradNorm` (`scaleGradient`), Adam step
///       (`ParameterStep`);
///    d. with `targetUpdateUnit = .gradientSteps` refresh the target every
///       `targetUpdateInterval` gradient steps.
/// A refresh is θ̃ ← τθ + (1 − τ)θ̃ (τ = 1: the hard copy).
///
/// DQN is not a policy-gradient learner — it has no stochastic policy with
/// log-probabilities, no critic of V and no `Trajectories` update — so it
/// conforms to `Learner` only, with its own `DQNStats`; `evaluate` acts
/// greedily in Q (or ε-greedily at the current ε when `greedy` is false).
/// `update(external:)` adds transitions collected elsewhere to the replay
/// buffer and trains on it; `save`/`load` write and restore the whole
/// learner, the replay buffer optional (`save(to:includeBuffer:)`).
public final class DQN: Learner {
  /// Which counter `targetUpdateInterval` counts.
  public enum TargetUpdateUnit: Int32, Sendable {
    /// Environment steps (summed over lanes), as Stable-Baselines3 counts.
    case envSteps = 0
    /// Gradient steps, as the lecture's θ̃ refreshed every C updates.
    case gradientSteps = 1
  }

  /// The defaults are rl-baselines3-zoo's tuned CartPole-v1 settings
  /// (`hyperparams/dqn.yml`, commit ce95481: n_timesteps 5e4, learning_rate
  /// 2.3e-3, batch_size 64, buffer_size 100000, learning_starts 1000, gamma
  /// 0.99, target_update_interval 10, train_freq 256, gradient_steps 128,
  /// exploration_fraction 0.16, exploration_final_eps 0.04, net_arch
  /// [256, 256]) on top of Stable-Baselines3's DQN defaults (tau 1,
  /// exploration_initial_eps 1, max_grad_norm 10, smooth-L1 loss, ReLU,
  /// Adam with torch's ε 1e-8).
  public struct Config: Sendable {
    /// Environment steps the run is planned for (n_timesteps): the ε
    /// schedule's horizon.
    public var totalEnvSteps = 50_000
    /// Adam's step size.
    public var learningRate = 2.3e-3
    /// Adam's ε.
    public var adamEpsilon = 1e-8
    /// Transitions per gradient step.
    public var batchSize = 64
    /// Replay capacity (oldest transitions are overwritten).
    public var bufferSize = 100_000
    /// Steps of uniformly random actions before learning starts (warm-up).
    public var learningStarts = 1000
    /// Discount γ.
    public var gamma = 0.99
    /// Refresh the target network every this many `targetUpdateUnit`s.
    public var targetUpdateInterval = 10
    /// What `targetUpdateInterval` counts.
    public var targetUpdateUnit = TargetUpdateUnit.envSteps
    /// Polyak coefficient τ of a refresh (1: hard copy).
    public var tau = 1.0
    /// Steps of each lane collected per iteration (train_freq).
    public var trainFrequency = 256
    /// Gradient steps per iteration once learning has started.
    public var gradientSteps = 128
    /// Fraction of `totalEnvSteps` over which ε falls linearly.
    public var explorationFraction = 0.16
    /// ε at step 0.
    public var explorationInitialEps = 1.0
    /// ε after the decay.
    public var explorationFinalEps = 0.04
    /// Hidden layer widths of the Q-network (net_arch).
    public var hidden = [256, 256]
    /// Hidden activation of the Q-network.
    public var activation = Activation.relu
    /// Arithmetic of the network passes.
    public var precision = MLP.Precision.float32
    /// Regression loss of Q(s, a) towards its target.
    public var loss = QNetwork.Loss.huber
    /// Rescale the gradient to this global L2 norm when longer (0: off).
    public var maxGradNorm = 10.0
    /// Double DQN targets (van Hasselt et al. 2016).
    public var doubleQ = false
    /// Seeds the network initialisation, exploration and minibatches.
    public var seed: UInt64 = 0

    public init() {}

    public func validate() throws(SwiftPGError) {
      try Check.range(totalEnvSteps, 1, 1 << 40, "total_timesteps")
      try Check.positive(learningRate, "learning_rate")
      try Check.positive(adamEpsilon, "adam_epsilon")
      try Check.range(batchSize, 1, 1 << 20, "batch_size")
      try Check.range(bufferSize, 1, 1 << 26, "buffer_size")
      try Check.range(learningStarts, 0, 1 << 40, "learning_starts")
      try Check.unit(gamma, "gamma")
      try Check.range(targetUpdateInterval, 1, 1 << 40, "target_update_interval")
      try require(tau > 0 && tau <= 1, "tau must be in (0, 1], got \(tau)")
      try Check.range(trainFrequency, 1, 1 << 24, "train_freq")
      try Check.range(gradientSteps, 0, 1 << 24, "gradient_steps")
      try Check.unit(explorationFraction, "exploration_fraction")
      try Check.unit(explorationInitialEps, "exploration_initial_eps")
      try Check.unit(explorationFinalEps, "exploration_final_eps")
      _ = try MLP.parameterCount(sizes: [1] + hidden + [1])
      try Check.off(maxGradNorm, "max_grad_norm")
    }
  }

  public let config: Config
  public let env: any BatchedEnvironment
  /// Q(s, ·) with parameters θ, trained.
  public let online: QNetwork
  /// Q̃(s, ·) with parameters θ̃, refreshed from `online`.
  public let target: QNetwork
  public let buffer: ReplayBuffer
  public let schedule: LinearSchedule
  public private(set) var iteration = 0
  public private(set) var totalEnvSteps = 0
  public private(set) var totalGradientSteps = 0
  public private(set) var targetUpdates = 0
  public var cancellation: CancellationFlag?
  /// Exploration and minibatch sampling.
  public private(set) var rng: PCG64

  private var step: ParameterStep
  private var steps: StepBuffers
  private var stepCalls = 0
  private let actionCount: Int
  private var actions: [Int32]
  private var currentObservations: [Double]
  private var episodeReturns: [Double]
  private var episodeLengths: [Int]
  private var sample: TransitionBatch
  private var targets: [Double]
  private var discounts: [Double]
  private var gradient: [Double]
  private var dOutput: [Double]

  /// A learner for the discrete-action `env`; `network` (nil: built from
  /// `config.hidden`, seeded from `config.seed`) becomes the online
  /// network and a copy of it the target.
  public init(env: any BatchedEnvironment, config: Config = Config(), network: QNetwork? = nil)
    throws(SwiftPGError)
  {
    try config.validate()
    guard case .discrete(let n) = env.actionSpace else {
      throw .invalid("DQN needs a discrete action space; \(env.id) has continuous actions")
    }
    let q: QNetwork
    if let network {
      q = network
    } else {
      q = try QNetwork(
        observationSize: env.observationSize, actionCount: n, hidden: config.hidden, activation: config.activation,
        seed: config.seed)
    }
    try DQN.checkSizes(config, observationSize: env.observationSize, actionCount: n, lanes: env.count)
    try require(
      q.observationSize == env.observationSize && q.actionCount == n,
      "the Q-network maps \(q.observationSize) inputs to \(q.actionCount) actions; \(env.id) has "
        + "\(env.observationSize) and \(n)")
    q.setPrecision(config.precision)
    let t = try QNetwork(
      observationSize: q.observationSize, actionCount: n, hidden: Array(q.network.sizes.dropFirst().dropLast()),
      activation: q.network.activation)
    t.setPrecision(config.precision)
    try t.copyParameters(from: q)
    self.config = config
    self.env = env
    online = q
    target = t
    actionCount = n
    buffer = try ReplayBuffer(capacity: config.bufferSize, observationSize: env.observationSize)
    schedule = try LinearSchedule(
      start: config.explorationInitialEps, end: config.explorationFinalEps, fraction: config.explorationFraction,
      totalSteps: config.totalEnvSteps)
    rng = PCG64(seed: UInt128(config.seed) | (UInt128(3) << 64))
    step = ParameterStep(
      optimizer: .adam(
        try Adam(parameterCount: q.parameterCount, learningRate: config.learningRate, epsilon: config.adamEpsilon)),
      maxGradValue: 0)
    steps = StepBuffers(for: env)
    actions = Array(repeating: 0, count: env.count)
    episodeReturns = Array(repeating: 0, count: env.count)
    episodeLengths = Array(repeating: 0, count: env.count)
    sample = try TransitionBatch(size: config.batchSize, observationSize: env.observationSize)
    targets = Array(repeating: 0, count: config.batchSize)
    discounts = targets
    gradient = Array(repeating: 0, count: q.parameterCount)
    dOutput = Array(repeating: 0, count: config.batchSize * n)
    env.reset(seed: config.seed, into: &steps)
    currentObservations = steps.observations
  }

  /// ε at the current step.
  public var epsilon: Double { schedule.value(at: totalEnvSteps) }

  /// One iteration: collect `trainFrequency` steps per lane, then (after
  /// the warm-up) `gradientSteps` gradient steps. A non-finite gradient or
  /// parameter throws `.numerical`; the networks keep the last good step.
  public func iterate() throws(SwiftPGError) -> DQNStats {
    let start = monotonicSeconds()
    var s = DQNStats()
    let before = totalEnvSteps
    var ended: [EpisodeRecord] = []
    for _ in 0..<config.trainFrequency {
      try cancellation?.check("DQN collection")
      try collectStep(&ended)
    }
    s.epsilon = epsilon
    if totalEnvSteps > config.learningStarts {
      try train(config.gradientSteps, &s)
    }
    iteration += 1
    s.iteration = iteration
    s.envSteps = totalEnvSteps - before
    s.totalEnvSteps = totalEnvSteps
    s.totalGradientSteps = totalGradientSteps
    s.summarize(ended)
    s.seconds = monotonicSeconds() - start
    return s
  }

  /// One step of every lane: act, step, store, count; refreshes the target
  /// when it counts environment steps.
  private func collectStep(_ ended: inout [EpisodeRecord]) throws(SwiftPGError) {
    try requireSameStepAutoreset(env)
    let n = env.count
    if totalEnvSteps < config.learningStarts {
      for i in 0..<n { actions[i] = Int32(Int.random(in: 0..<actionCount, using: &rng)) }
    } else {
      let eps = epsilon
      let q = currentObservations.withUnsafeBufferPointer { o in
        o.baseAddress.map { online.values($0, batch: n) }
      }
      guard let q else { return }
      actions.withUnsafeMutableBufferPointer { a in
        guard let ap = a.baseAddress else { return }
        epsilonGreedyActions(q, batch: n, actionCount: actionCount, epsilon: eps, into: ap, using: &rng)
      }
    }
    try env.step(actions: actions, into: &steps)
    currentObservations.withUnsafeBufferPointer { o in
      actions.withUnsafeBufferPointer { a in
        steps.rewards.withUnsafeBufferPointer { r in
          steps.terminated.withUnsafeBufferPointer { te in
            steps.truncated.withUnsafeBufferPointer { tr in
              steps.observations.withUnsafeBufferPointer { next in
                steps.finalObservations.withUnsafeBufferPointer { f in
                  guard let op = o.baseAddress, let ap = a.baseAddress, let rp = r.baseAddress,
                    let tep = te.baseAddress, let trp = tr.baseAddress, let np = next.baseAddress
                  else { return }
                  buffer.add(
                    observations: op, actions: ap, rewards: rp, terminated: tep, truncated: trp,
                    nextObservations: np, finalObservations: f.baseAddress, lanes: n)
                }
              }
            }
          }
        }
      }
    }
    for i in 0..<n {
      episodeReturns[i] += steps.rewards[i]
      episodeLengths[i] += 1
      if steps.terminated[i] != 0 || steps.truncated[i] != 0 {
        let success = env.terminationIsSuccess.map { $0 == (steps.terminated[i] != 0) }
        ended.append(EpisodeRecord(episodeReturn: episodeReturns[i], length: episodeLengths[i], success: success))
        episodeReturns[i] = 0
        episodeLengths[i] = 0
      }
    }
    // The step's observations become the current ones; the next step
    // overwrites the whole of `steps.observations`.
    swap(&currentObservations, &steps.observations)
    try countStep(lanes: n)
  }

  /// Counts one step of `n` lanes; refreshes the target when it counts
  /// environment steps (Stable-Baselines3: every max(interval / n_envs, 1)
  /// calls of `step`).
  private func countStep(lanes n: Int) throws(SwiftPGError) {
    totalEnvSteps += n
    stepCalls += 1
    if config.targetUpdateUnit == .envSteps && stepCalls % Swift.max(config.targetUpdateInterval / n, 1) == 0 {
      try refreshTarget()
    }
  }

  /// θ̃ ← τθ + (1 − τ)θ̃.
  private func refreshTarget() throws(SwiftPGError) {
    try target.polyakUpdate(from: online, tau: config.tau)
    targetUpdates += 1
  }

  /// `count` gradient steps on replayed minibatches; fills the loss, mean
  /// Q and gradient-norm statistics (means over the steps).
  func train(_ count: Int, _ s: inout DQNStats) throws(SwiftPGError) {
    guard count > 0 else { return }
    var (lossSum, qSum, normSum) = (0.0, 0.0, 0.0)
    for _ in 0..<count {
      try cancellation?.check("DQN training")
      try buffer.sample(into: &sample, using: &rng)
      let (loss, meanQ) = try gradientOnSample()
      let norm = scaleGradient(&gradient, maxNorm: config.maxGradNorm)
      let iteration = iteration
      try step.apply(
        gradient: &gradient, ascend: false, learningRate: config.learningRate, what: "Q-network",
        get: { online.parameters }, set: { (p) throws(SwiftPGError) in try online.setParameters(p) },
        failure: { SwiftPGError(.numerical, "DQN iteration \(iteration): \($0) is not finite") })
      totalGradientSteps += 1
      lossSum += loss
      qSum += meanQ
      normSum += norm
      if config.targetUpdateUnit == .gradientSteps && totalGradientSteps % config.targetUpdateInterval == 0 {
        try refreshTarget()
      }
    }
    let k = Double(count)
    s.loss = lossSum / k
    s.meanQ = qSum / k
    s.gradNorm = normSum / k
    s.gradientSteps = count
  }

  /// The targets of the current `sample` and the loss's gradient into
  /// `gradient` (not yet clipped). Internal: tests compose it by hand.
  func gradientOnSample() throws(SwiftPGError) -> (loss: Double, meanQ: Double) {
    let b = sample.size
    let a = actionCount
    for i in 0..<b { discounts[i] = sample.terminated[i] != 0 ? 0 : config.gamma }
    sample.nextObservations.withUnsafeBufferPointer { nb in
      sample.rewards.withUnsafeBufferPointer { rb in
        discounts.withUnsafeBufferPointer { db in
          targets.withUnsafeMutableBufferPointer { tb in
            guard let next = nb.baseAddress, let r = rb.baseAddress, let d = db.baseAddress, let y = tb.baseAddress
            else { return }
            let qTarget = target.values(next, batch: b)
            if config.doubleQ {
              let qOnline = online.values(next, batch: b)
              doubleQLearningTargets(
                rewards: r, discounts: d, targetNextQ: qTarget, onlineNextQ: qOnline, batch: b, actionCount: a,
                into: y)
            } else {
              qLearningTargets(rewards: r, discounts: d, targetNextQ: qTarget, batch: b, actionCount: a, into: y)
            }
          }
        }
      }
    }
    let result: Result<(Double, Double), SwiftPGError>? = sample.observations.withUnsafeBufferPointer { ob in
      sample.actions.withUnsafeBufferPointer { ab in
        targets.withUnsafeBufferPointer { tb in
          dOutput.withUnsafeMutableBufferPointer { db in
            gradient.withUnsafeMutableBufferPointer { gb in
              guard let o = ob.baseAddress, let act = ab.baseAddress, let y = tb.baseAddress,
                let d = db.baseAddress, let g = gb.baseAddress
              else { return nil }
              return Result { () throws(SwiftPGError) in
                try online.lossAndGradient(o, actions: act, targets: y, batch: b, loss: config.loss, dOutput: d, into: g)
              }
            }
          }
        }
      }
    }
    guard let result else { throw SwiftPGError(.internalError, "DQN: empty scratch buffers") }
    return try result.get()
  }

  /// The sample the next `gradientOnSample` reads (tests).
  var currentSample: TransitionBatch {
    get { sample }
    set { sample = newValue }
  }
  /// The gradient of the last `gradientOnSample` (tests).
  var lastGradient: [Double] { gradient }
  /// The targets of the last `gradientOnSample` (tests).
  var lastTargets: [Double] { targets }

  /// Adds the T × N transitions of `d` (collected elsewhere, e.g. from a
  /// Gymnasium environment in Python) to the replay buffer, step by step,
  /// counting them as environment steps (the target refresh in environment
  /// steps and the ε schedule see them), then — once more than
  /// `learningStarts` steps were taken — runs `gradientSteps` gradient
  /// steps. s′ of row (t, i) is row (t + 1, i), `d.nextObservations` for
  /// the last row, and the final observation where the episode ended.
  /// Throws before changing anything when the batch does not fit (sizes,
  /// actions outside 0..<A, non-finite observations or rewards).
  public func update(external d: Trajectories) throws(SwiftPGError) -> DQNStats {
    let start = monotonicSeconds()
    try validateExternal(d)
    let (t, n, w) = (d.steps, d.lanes, online.observationSize)
    let before = totalEnvSteps
    for r in 0..<t {
      let row = r * n
      let next = r + 1 < t ? UnsafePointer(d.observations.pointer + (row + n) * w) : UnsafePointer(d.nextObservations.pointer)
      buffer.add(
        observations: d.observations.pointer + row * w, actions: d.discreteActions.pointer + row,
        rewards: d.rewards.pointer + row, terminated: d.terminated.pointer + row,
        truncated: d.truncated.pointer + row, nextObservations: next,
        finalObservations: d.finalObservations.pointer + row * w, lanes: n)
      try countStep(lanes: n)
    }
    var s = DQNStats()
    s.epsilon = epsilon
    if totalEnvSteps > config.learningStarts { try train(config.gradientSteps, &s) }
    iteration += 1
    s.iteration = iteration
    s.envSteps = totalEnvSteps - before
    s.totalEnvSteps = totalEnvSteps
    s.totalGradientSteps = totalGradientSteps
    s.summarize(
      (0..<d.episodeReturns.count).map { k in
        EpisodeRecord(
          episodeReturn: d.episodeReturns[k], length: k < d.episodeLengths.count ? d.episodeLengths[k] : 0,
          success: k < d.episodeTerminated.count ? env.terminationIsSuccess.map { $0 == d.episodeTerminated[k] } : nil)
      })
    s.seconds = monotonicSeconds() - start
    return s
  }

  /// The checks of `update(external:)`: shapes, discrete actions in range,
  /// finite observations (every row, the next observations, and the final
  /// observations of truncated rows) and rewards.
  private func validateExternal(_ d: Trajectories) throws(SwiftPGError) {
    let w = online.observationSize
    try require(d.observationSize == w, "observation size \(d.observationSize) does not match the Q-network's \(w)")
    try require(d.isDiscrete, "DQN needs discrete actions")
    try require(d.count >= 1, "the batch is empty")
    for k in 0..<d.count {
      let a = d.discreteActions[k]
      try require(a >= 0 && Int(a) < actionCount, "action \(a) of row \(k) is outside 0..<\(actionCount)", code: .outOfRange)
      try require(d.rewards[k].isFinite, "reward of row \(k) is \(d.rewards[k])", code: .notFinite)
      for j in 0..<w {
        try require(d.observations[k * w + j].isFinite, "observation of row \(k) is not finite", code: .notFinite)
        if d.truncated[k] != 0 && d.terminated[k] == 0 {
          try require(
            d.finalObservations[k * w + j].isFinite, "final observation of row \(k) is not finite", code: .notFinite)
        }
      }
    }
    for j in 0..<(d.lanes * w) {
      try require(d.nextObservations[j].isFinite, "next observations must be finite", code: .notFinite)
    }
  }

  /// Returns and lengths of `episodes` fresh episodes of `evalEnv` (reseeded
  /// with `seed`), acting greedily in Q (or ε-greedily at the current ε).
  public func evaluate(env evalEnv: any BatchedEnvironment, episodes: Int, greedy: Bool, seed: UInt64)
    throws(SwiftPGError) -> (returns: [Double], lengths: [Int])
  {
    try require(episodes >= 1, "episodes must be >= 1, got \(episodes)")
    try require(episodes <= 1 << 24, "episodes \(episodes) exceeds 2^24", code: .tooLarge)
    try require(
      evalEnv.observationSize == online.observationSize && evalEnv.actionSpace == .discrete(actionCount),
      "\(evalEnv.id) does not match the Q-network (\(online.observationSize) inputs, \(actionCount) actions)")
    let collector = try EpisodeCollector(env: evalEnv)
    collector.cancellation = cancellation
    var returns = [Double](repeating: 0, count: episodes)
    var lengths = [Int](repeating: 0, count: episodes)
    var g = PCG64(seed: UInt128(seed) | (UInt128(2) << 64))
    let eps = greedy ? 0 : epsilon
    let n = evalEnv.count
    let a = actionCount
    let q = online
    try collector.summarize(
      episodes: episodes, seed: seed,
      record: { k, r, l in
        returns[k] = r
        lengths[k] = l
      },
      act: { obs, raw in
        let out = raw.assumingMemoryBound(to: Int32.self)
        epsilonGreedyActions(q.values(obs, batch: n), batch: n, actionCount: a, epsilon: eps, into: out, using: &g)
      })
    return (returns, lengths)
  }

  /// Saves the learner with its replay buffer (`save(to:includeBuffer:)`).
  public func save(to path: String) throws(SwiftPGError) {
    try save(to: path, includeBuffer: true)
  }

  /// Writes `bundle(includeBuffer:)` atomically (`Checkpoint.write`).
  public func save(to path: String, includeBuffer: Bool) throws(SwiftPGError) {
    try Checkpoint.write(try bundle(includeBuffer: includeBuffer).encode(), to: path)
  }

  /// Restores a bundle written by `save` into this learner (see `restore`).
  public func load(from path: String) throws(SwiftPGError) {
    try restore(from: try Checkpoint.read(path), source: path)
  }

  /// The learner as a bundle (kind `.learner`, algorithm "dqn"): the
  /// environment (`EnvironmentRecord`) and a `learner` section with the
  /// online and target parameters, Adam's moments, the counters, the
  /// generator, the observations and episodes in progress and, when
  /// `includeBuffer`, the replay buffer's transitions; and the
  /// configuration (`config`, `configRecord`), so `DQN.open` rebuilds the
  /// learner from the file alone.
  public func bundle(includeBuffer: Bool) throws(SwiftPGError) -> Bundle {
    var r = Record()
    r.set("algorithm", text: "dqn")
    r.set("config", record: DQN.configRecord(config))
    r.set("environment", record: try env.record())
    var s = Record()
    s.set("version", .int(DQN.stateVersion))
    s.set("network_specification", doubles: online.specification)
    s.set("online", doubles: online.parameters)
    s.set("target", doubles: target.parameters)
    s.set("optimizer", record: LearnerCore.record(step.optimizer))
    for (name, value) in [
      ("iteration", iteration), ("total_env_steps", totalEnvSteps), ("total_gradient_steps", totalGradientSteps),
      ("target_updates", targetUpdates), ("step_calls", stepCalls),
    ] {
      s.set(name, int: value)
    }
    s.set("generator", generator: rng)
    s.set("observations", doubles: currentObservations)
    s.set("episode_returns", doubles: episodeReturns)
    s.set("episode_lengths", ints: episodeLengths)
    if includeBuffer { s.set("replay", record: buffer.record) }
    r.set("learner", record: s)
    return Bundle(kind: .learner, record: r)
  }

  static let stateVersion: Int64 = 2

  /// Restores a DQN bundle into this learner: the file must hold a DQN of
  /// the same network shape, replay capacity and environment (id,
  /// definition, instance count). A file without the replay buffer empties
  /// this learner's (training goes on from the restored step count, without
  /// a new warm-up). Everything is validated before anything changes: a
  /// refused file (`.badFormat`) leaves the learner as it was.
  public func restore(from bytes: [UInt8], source: String = "the bytes") throws(SwiftPGError) {
    let root = try LearnerBundle.learnerRoot(bytes, source: source)
    let algorithm = try root.text("algorithm")
    guard algorithm == "dqn" else { throw SwiftPGError(.badFormat, "\(source) holds a \(algorithm) learner, not dqn") }
    // The state's version first, so an older file is refused naming it.
    let s = try root.record("learner")
    try s.requireVersion(DQN.stateVersion, "the DQN state has")
    // The file's configuration is validated; this learner keeps its own.
    _ = try DQN.config(from: try root.record("config"))
    let commitEnvironment = try env.prepareRestore(try root.record("environment"))
    guard try s.doubles("network_specification") == online.specification else {
      throw s.fail("the file's Q-network has another shape than this learner's \(online.specification)")
    }
    let count = online.parameterCount
    let (onlineParameters, targetParameters) = (try s.doubles("online", count: count), try s.doubles("target", count: count))
    let o = try s.record("optimizer")
    guard try o.text("kind") == "adam" else { throw o.fail("DQN uses Adam") }
    let adam = try Checkpoint.formatError(in: o.context) { () throws(SwiftPGError) -> Adam in
      try Adam.moments(o, count: count, learningRate: config.learningRate, epsilon: config.adamEpsilon)
    }
    try o.finish()
    let big: ClosedRange<Int64> = 0...Int64(1) << 53
    let counters = (
      try s.int("iteration", in: big), try s.int("total_env_steps", in: big), try s.int("total_gradient_steps", in: big),
      try s.int("target_updates", in: big), try s.int("step_calls", in: big)
    )
    let generator = try s.generator("generator")
    let n = env.count
    let observations = try s.doubles("observations", count: n * online.observationSize)
    let returns = try s.doubles("episode_returns", count: n)
    let lengths = try s.ints("episode_lengths", count: n, in: big)
    let commitReplay = try s.optionalRecord("replay").map { (r) throws(SwiftPGError) in
      try buffer.prepareRestore(r, actionCount: actionCount)
    }
    try s.finish()
    try root.finish()
    // Commit (the parameters were checked finite and of the right count).
    try online.setParameters(onlineParameters)
    try target.setParameters(targetParameters)
    step.optimizer = .adam(adam)
    (iteration, totalEnvSteps, totalGradientSteps, targetUpdates, stepCalls) = counters
    rng = generator
    currentObservations = observations
    episodeReturns = returns
    episodeLengths = lengths
    commitEnvironment()
    if let commitReplay { commitReplay() } else { buffer.clear() }
  }
}

extension DQN {
  /// The most values (rows × observation size) the replay buffer may hold
  /// per column, checked before anything is allocated.
  public static let maxBufferValues = 1 << 24
  /// The largest minibatch.
  public static let maxBatchSize = 1 << 16
  /// The most activations (rows × widest layer) of one network pass.
  public static let maxActivationValues = 1 << 26

  /// Size checks that need the environment: the replay buffer's and the
  /// minibatch's allocations (checked before anything is allocated).
  static func checkSizes(_ c: Config, observationSize d: Int, actionCount: Int, lanes: Int) throws(SwiftPGError) {
    try require(
      c.batchSize <= maxBatchSize, "batch_size \(c.batchSize) exceeds \(maxBatchSize)", code: .tooLarge)
    _ = try MLP.parameterCount(sizes: [d] + c.hidden + [actionCount])
    let widest = ([d, actionCount] + c.hidden).max() ?? 1
    for (rows, name) in [(c.batchSize, "batch_size"), (lanes, "environment count")] {
      let values = try checkedProduct(rows, widest, "\(name) × widest layer")
      try require(
        values <= maxActivationValues,
        "\(name) \(rows) × widest layer \(widest) exceeds \(maxActivationValues) activations", code: .tooLarge)
    }
    let values = try checkedProduct(c.bufferSize, d, "buffer_size × observation size")
    try require(
      values <= maxBufferValues,
      "buffer_size \(c.bufferSize) × observation size \(d) exceeds \(maxBufferValues) values", code: .tooLarge)
  }

  /// The scalar fields of the configuration section, named as in C and
  /// Python (`hidden` is stored beside them as a list of widths).
  static var configFields: [ConfigField<Config>] {
    let big: ClosedRange<Int64> = 0...(1 << 40)
    return [
      .int("total_env_steps", \.totalEnvSteps, in: big), .double("learning_rate", \.learningRate),
      .double("adam_epsilon", \.adamEpsilon), .int("batch_size", \.batchSize),
      .int("buffer_size", \.bufferSize, in: big), .int("learning_starts", \.learningStarts, in: big),
      .double("gamma", \.gamma), .int("target_update_interval", \.targetUpdateInterval, in: big),
      .choice("target_update_unit", \.targetUpdateUnit), .double("tau", \.tau),
      .int("train_freq", \.trainFrequency), .int("gradient_steps", \.gradientSteps),
      .double("exploration_fraction", \.explorationFraction),
      .double("exploration_initial_eps", \.explorationInitialEps),
      .double("exploration_final_eps", \.explorationFinalEps), .choice("activation", \.activation),
      .choice("precision", \.precision), .choice("loss", \.loss), .double("max_grad_norm", \.maxGradNorm),
      .bool("double_q", \.doubleQ), .seed("seed", \.seed),
    ]
  }

  /// The configuration as a bundle section (version 1).
  public static func configRecord(_ c: Config) -> Record {
    var r = Record()
    r.set("version", .int(1))
    for f in configFields { r.set(f.name, f.write(c)) }
    r.set("hidden", ints: c.hidden)
    return r
  }

  /// The configuration of a section written by `configRecord`: every field
  /// present and none unknown, values `Config.validate()` accepts
  /// (`.badFormat` naming the field otherwise).
  public static func config(from r: RecordReader) throws(SwiftPGError) -> Config {
    try r.requireVersion(1, "the DQN config section has")
    var c = Config()
    for f in configFields { try f.read(&c, r) }
    c.hidden = try r.ints("hidden", in: 1...Int64(MLP.maxLayerSize))
    guard c.hidden.count <= MLP.maxHiddenLayers else {
      throw r.fail("field 'hidden' has \(c.hidden.count) layers, at most \(MLP.maxHiddenLayers)")
    }
    try r.finish()
    try Checkpoint.formatError(in: r.context) { () throws(SwiftPGError) in try c.validate() }
    return c
  }

  /// The learner of a DQN bundle (`save`), rebuilt from the bytes alone:
  /// its configuration, environment (with its exact state), networks,
  /// optimiser, counters, generator and — when saved — replay buffer.
  /// `.badFormat` naming what is wrong; nothing else is created then.
  public static func open(bytes: [UInt8], source: String = "the bytes") throws(SwiftPGError) -> DQN {
    let root = try LearnerBundle.learnerRoot(bytes, source: source)
    let algorithm = try root.text("algorithm")
    guard algorithm == "dqn" else { throw SwiftPGError(.badFormat, "\(source) holds a \(algorithm) learner, not dqn") }
    try root.record("learner").requireVersion(DQN.stateVersion, "the DQN state has")
    let config = try DQN.config(from: try root.record("config"))
    let env = try EnvironmentRecord.decode(try root.record("environment"))
    let learner = try Checkpoint.formatError(in: root.context) { () throws(SwiftPGError) in
      try DQN(env: env, config: config)
    }
    try learner.restore(from: bytes, source: source)
    return learner
  }

  /// `open(bytes:)` of the file at `path` (`.io` when it cannot be read).
  public static func open(path: String) throws(SwiftPGError) -> DQN {
    try open(bytes: try Checkpoint.read(path), source: path)
  }
}

/// Statistics of one DQN iteration (NaN episode statistics when no episode ended).
public struct DQNStats: Sendable {
  public var iteration = 0
  public var envSteps = 0
  public var totalEnvSteps = 0
  /// Gradient steps of this iteration (0 during the warm-up).
  public var gradientSteps = 0
  public var totalGradientSteps = 0
  /// Episodes that ended during the collection, in the order they ended.
  public var episodes: [EpisodeRecord] = []
  public var meanReturn = Double.nan
  public var meanLength = Double.nan
  /// ε after the collection.
  public var epsilon = 0.0
  /// Mean over the gradient steps of the loss at the start of each step.
  public var loss = 0.0
  /// Mean over the gradient steps of the minibatch's mean Q(s, a).
  public var meanQ = 0.0
  /// Mean over the gradient steps of ‖∇L‖ before clipping.
  public var gradNorm = 0.0
  public var seconds = 0.0
  public init() {}

  mutating func summarize(_ ended: [EpisodeRecord]) {
    episodes = ended
    guard !ended.isEmpty else { return }
    meanReturn = ended.map(\.episodeReturn).reduce(0, +) / Double(ended.count)
    meanLength = Double(ended.map(\.length).reduce(0, +)) / Double(ended.count)
  }
}
