/// Whole policy-gradient learners as bundles (`Serialization.swift`, kind
/// `.learner`): everything a run needs to continue bit for bit in another
/// process, from the file alone.
///
/// Top-level fields: `algorithm` (its name, e.g. "ppo"), and the sections
/// `config` (`ConfigRecord`), `policy` (`PolicyRecord`), `critic`
/// (`ValueFunctionRecord`, when the learner has one), `environment`
/// (`EnvironmentRecord`, when it has one) and `learner` (below).
///
/// The `learner` section (learner-state version 3; 1 was 0.1's file and 2
/// the 0.2 pre-releases', both containers of format version 1): counters
/// (`iteration`, `total_env_steps`), `adaptive_coefficient` (PPO's KL β),
/// the minibatch `generator` and each lane's (`lane_generators`), the
/// optimisers (`policy_optimizer`, `critic_optimizer`: `kind` "adam" with
/// `t`, `m`, `v`, or "sgd" with `velocity`), the normalisers
/// (`observation_normalizer`, `reward_scaler`: `count`, `mean`,
/// `variance`, when on), the segment collector's episodes in progress
/// (`collector`: `started`, `running_return`, `running_length`,
/// `discounted_return`, `observations` — optional, absent in older files),
/// injected minibatch permutations not used yet
/// (`permutations`) and the algorithm's own state (`algorithm_state`:
/// off-policy PG's replay of past batches).
public enum LearnerBundle {
  /// The learner-state version this library writes and reads.
  public static let stateVersion: Int64 = 3

  /// The learner of a bundle file, rebuilt with its configuration, policy,
  /// critic and environment (`.badFormat` naming what is wrong; `.io` when
  /// the file cannot be read).
  public static func open(_ path: String) throws(SwiftPGError) -> any PolicyGradientLearner {
    try learner(from: try Checkpoint.read(path), source: path)
  }

  /// The learner of a bundle held in memory (`source` names it in messages).
  public static func learner(from bytes: [UInt8], source: String = "the bytes") throws(SwiftPGError)
    -> any PolicyGradientLearner
  {
    let root = try learnerRoot(bytes, source: source)
    switch try algorithm(root) {
    case .reinforce: return try build(Reinforce.self, root)
    case .actorCritic: return try build(ActorCritic.self, root)
    case .a2c: return try build(A2C.self, root)
    case .offPolicy: return try build(OffPolicyPG.self, root)
    case .npg: return try build(NPG.self, root)
    case .trpo: return try build(TRPO.self, root)
    case .ppo: return try build(PPO.self, root)
    }
  }

  /// The root record of a learner bundle; a file of the single-object
  /// format (version 1) is refused naming what it is.
  static func learnerRoot(_ bytes: [UInt8], source: String) throws(SwiftPGError) -> RecordReader {
    if Checkpoint.formatVersion(of: bytes) == Checkpoint.formatVersion {
      let c = try Checkpoint.decode(bytes)
      guard c.kind == .learner else {
        throw SwiftPGError(.badFormat, "\(source) holds \(c.kind.described), not a learner")
      }
      if c.family >= ZerothOrderPolicySearch.checkpointFamilyBase && c.family < 1 << 16 {
        throw SwiftPGError(
          .badFormat, "\(source) holds a policy search (load it with the search's load), not a policy-gradient learner")
      }
      let version = max(c.family >> 16, 1)
      throw SwiftPGError(
        .badFormat,
        "\(source) is a learner checkpoint of format version 1 with learner state version \(version) "
          + "(swiftpg \(version == 1 ? "0.1" : "0.2 pre-release")); this library reads learner checkpoints of format "
          + "version \(Bundle.formatVersion) (learner state version \(stateVersion)), which hold the configuration, "
          + "environment and every generator: resave it with the swiftpg that wrote it, or start a new learner")
    }
    return try Bundle.reader(bytes, source: source, kinds: [.learner], holding: "a learner").root
  }

  static func algorithm(_ root: RecordReader) throws(SwiftPGError) -> PGAlgorithm {
    let name = try root.text("algorithm")
    guard let a = PGAlgorithm.allCases.first(where: { $0.name == name }) else {
      throw root.fail("unknown algorithm '\(name)'")
    }
    return a
  }

  static func build<L: PolicyGradientLearner>(_: L.Type, _ root: RecordReader) throws(SwiftPGError) -> L {
    let config = try ConfigRecord.decode(try root.record("config"), as: L.Config.self)
    let policy = try PolicyRecord.decode(try root.record("policy"))
    let critic = try root.optionalRecord("critic").map { (r) throws(SwiftPGError) in try ValueFunctionRecord.decode(r) }
    let env = try root.optionalRecord("environment").map { (r) throws(SwiftPGError) in try EnvironmentRecord.decode(r) }
    let learner = try Checkpoint.formatError(in: root.context) { () throws(SwiftPGError) in
      try L(env: env, policy: policy, critic: critic, config: config)
    }
    let state = try root.record("learner")
    let commitCore = try learner.core.prepareRestore(state, collector: env != nil)
    let commitAlgorithm = try learner.prepareRestoreAlgorithmState(try state.optionalRecord("algorithm_state"))
    try state.finish()
    try root.finish()
    commitCore()
    commitAlgorithm()
    return learner
  }
}

/// Loads the learner saved at `path`, rebuilt from the file alone (see
/// `LearnerBundle.open`).
public func loadLearner(from path: String) throws(SwiftPGError) -> any PolicyGradientLearner {
  try LearnerBundle.open(path)
}

extension PolicyGradientLearner {
  /// The learner as a bundle: config, policy, critic, environment and state.
  /// Throws `.notSupported` for an environment that cannot be rebuilt.
  public func bundle() throws(SwiftPGError) -> Bundle {
    var r = Record()
    r.set("algorithm", text: Self.algorithm.name)
    r.set("config", record: ConfigRecord.encode(config))
    r.set("policy", record: PolicyRecord.encode(core.policy))
    if let critic = core.critic { r.set("critic", record: ValueFunctionRecord.encode(critic)) }
    if let env = core.env { r.set("environment", record: try env.record()) }
    var state = core.stateRecord()
    if let extra = algorithmState { state.set("algorithm_state", record: extra) }
    r.set("learner", record: state)
    return Bundle(kind: .learner, record: r)
  }

  /// Writes `bundle()` atomically (`Checkpoint.write`).
  public func save(to path: String) throws(SwiftPGError) {
    try Checkpoint.write(try bundle().encode(), to: path)
  }

  /// Restores a learner bundle file into this learner (see `restore`).
  public func load(from path: String) throws(SwiftPGError) {
    try restore(from: try Checkpoint.read(path), source: path)
  }

  /// Restores a learner bundle into this learner: the file must hold the
  /// same algorithm with the same optimiser and normalisation settings,
  /// policy and critic architectures, and — when both have one — the same
  /// environment (id, definition and instance count). Restores parameters,
  /// sampling generators, network precision, optimiser moments, normaliser
  /// statistics, counters, generators, the environment's state and the
  /// episodes in progress. The learner keeps its own configuration
  /// (`LearnerBundle.open` rebuilds the saved one). Everything is validated
  /// before anything changes: a refused file (`.badFormat`) leaves the
  /// learner as it was.
  public func restore(from bytes: [UInt8], source: String = "the bytes") throws(SwiftPGError) {
    let root = try LearnerBundle.learnerRoot(bytes, source: source)
    let algorithm = try LearnerBundle.algorithm(root)
    guard algorithm == Self.algorithm else {
      throw SwiftPGError(.badFormat, "\(source) holds \(algorithm.withArticle) learner, not \(Self.algorithm.name)")
    }
    let saved = try ConfigRecord.decode(try root.record("config"), as: Config.self)
    guard saved.common.optimizer == config.common.optimizer else {
      throw root.fail("the file's learner uses the \(saved.common.optimizer) optimiser, this one \(config.common.optimizer)")
    }
    let policyState = try PolicyRecord.read(try root.record("policy"))
    try PolicyRecord.check(policyState, against: core.policy, context: root.context)
    let criticRecord = try root.optionalRecord("critic")
    guard (criticRecord != nil) == (core.critic != nil) else {
      throw root.fail(core.critic == nil ? "the file's learner has a critic, this one has none" : "the file's learner has no critic")
    }
    let criticState = try criticRecord.map { (r) throws(SwiftPGError) in try ValueFunctionRecord.read(r) }
    if let criticState, let critic = core.critic {
      try ValueFunctionRecord.check(criticState, against: critic, context: root.context)
    }
    var commitEnvironment: () -> Void = {}
    var environmentRestored = false
    if let r = try root.optionalRecord("environment"), let env = core.env {
      commitEnvironment = try env.prepareRestore(r)
      environmentRestored = true
    }
    let state = try root.record("learner")
    let commitCore = try core.prepareRestore(state, collector: environmentRestored)
    let commitAlgorithm = try prepareRestoreAlgorithmState(try state.optionalRecord("algorithm_state"))
    try state.finish()
    try root.finish()
    // Commit: the policy, then the critic (undoing the policy should it
    // refuse), then what cannot fail.
    let previousPolicy = try PolicyRecord.read(RecordReader(PolicyRecord.encode(core.policy), context: "the policy"))
    try PolicyRecord.apply(policyState, to: core.policy, context: root.context)
    if let criticState, let critic = core.critic {
      do throws(SwiftPGError) { try ValueFunctionRecord.apply(criticState, to: critic, context: root.context) } catch {
        try? PolicyRecord.apply(previousPolicy, to: core.policy, context: "the policy")
        throw error
      }
    }
    commitEnvironment()
    commitCore()
    commitAlgorithm()
  }
}

extension LearnerCore {
  func stateRecord() -> Record {
    var r = Record()
    r.set("version", .int(LearnerBundle.stateVersion))
    r.set("iteration", int: iteration)
    r.set("total_env_steps", int: totalEnvSteps)
    r.set("adaptive_coefficient", double: adaptiveCoefficient)
    r.set("generator", generator: rng)
    r.set("lane_generators", generators: laneGenerators)
    r.set("policy_optimizer", record: Self.record(policyStep.optimizer))
    if let criticStep { r.set("critic_optimizer", record: Self.record(criticStep.optimizer)) }
    for (name, n) in [("observation_normalizer", observationNormalizer), ("reward_scaler", rewardScaler)] {
      guard let n else { continue }
      var s = Record()
      s.set("count", double: n.count)
      s.set("mean", doubles: n.mean)
      s.set("variance", doubles: n.variance)
      r.set(name, record: s)
    }
    if let rollouts {
      let s = rollouts.state
      var c = Record()
      c.set("started", bool: s.started)
      c.set("running_return", doubles: s.runningReturn)
      c.set("running_length", ints: s.runningLength)
      c.set("discounted_return", doubles: s.discountedReturn)
      if let o = s.observations { c.set("observations", doubles: o) }
      r.set("collector", record: c)
    }
    r.set("permutations", .records(minibatches.permutations.map { p in
      var e = Record()
      e.set("order", ints: p)
      return e
    }))
    return r
  }

  static func record(_ o: AnyOptimizer) -> Record {
    switch o {
    case .adam(let a): return a.record
    case .sgd(let s):
      var r = Record()
      r.set("kind", text: "sgd")
      r.set("velocity", doubles: s.velocity)
      return r
    }
  }

  /// Validates a `learner` section against this core and returns what
  /// restores it. `collector`: restore the segment collector's episodes in
  /// progress (the environment's state was restored with them); otherwise
  /// collection starts over with a reset.
  func prepareRestore(_ r: RecordReader, collector restoreCollector: Bool) throws(SwiftPGError) -> () -> Void {
    try r.requireVersion(LearnerBundle.stateVersion, "the learner state has")
    let savedIteration = try r.int("iteration", in: 0...Int64(1) << 53)
    let savedSteps = try r.int("total_env_steps", in: 0...Int64(1) << 53)
    // The KL-penalty coefficient β (Schulman et al. 2017, adaptive KL): finite and >= 0.
    let beta = try r.finiteDouble("adaptive_coefficient")
    guard beta >= 0 else { throw r.fail("the KL-penalty coefficient β is \(beta)") }
    let newRng = try r.generator("generator")
    let lanes = try r.words("lane_generators")
    guard lanes.count == 4 * laneGenerators.count else {
      throw r.fail("the file has \(lanes.count / 4) environment lanes, this learner \(laneGenerators.count)")
    }
    let newLanes = try r.generators("lane_generators", count: laneGenerators.count)
    let policyOptimizer = try optimizer(
      try r.record("policy_optimizer"), count: policy.parameterCount, learningRate: settings.common.learningRate)
    var criticOptimizer: AnyOptimizer?
    if let critic {
      criticOptimizer = try optimizer(
        try r.record("critic_optimizer"), count: critic.parameterCount, learningRate: currentValueLearningRate)
    } else if r.has("critic_optimizer") {
      throw r.fail("a critic optimiser for a learner without a critic")
    }
    func normalizer(_ name: String, _ on: Bool, _ width: Int) throws(SwiftPGError) -> RunningMeanStd? {
      let s = try r.optionalRecord(name)
      guard (s != nil) == on else {
        throw r.fail("the file's learner was saved with \(name.replacingUnderscores) \(on ? "off" : "on"), this one has it \(on ? "on" : "off")")
      }
      guard let s else { return nil }
      let n = try Checkpoint.formatError(in: s.context) { () throws(SwiftPGError) in
        try RunningMeanStd(
          mean: try s.doubles("mean", count: width), variance: try s.doubles("variance", count: width),
          count: try s.double("count"))
      }
      try s.finish()
      return n
    }
    let on = try normalizer("observation_normalizer", settings.segments.normalizeObservations, observationSize)
    let rs = try normalizer("reward_scaler", settings.segments.normalizeRewards, 1)
    var collectorState: RolloutCollector.State?
    if let c = try r.optionalRecord("collector") {
      let n = laneGenerators.count
      let s = RolloutCollector.State(
        started: try c.bool("started"), runningReturn: try c.doubles("running_return", count: n),
        runningLength: try c.ints("running_length", count: n, in: 0...Int64(1) << 53),
        discountedReturn: try c.doubles("discounted_return", count: n),
        observations: c.has("observations") ? try c.doubles("observations", count: n * observationSize) : nil)
      try c.finish()
      if restoreCollector && rollouts != nil { collectorState = s }
    }
    var permutations: [[Int]] = []
    for p in try r.records("permutations") {
      permutations.append(try p.ints("order", in: 0...Int64(1) << 26))
      try p.finish()
    }
    let rows = permutations.first?.count ?? 0
    guard permutations.allSatisfy({ $0.count == rows }) else { throw r.fail("permutations of different lengths") }
    try Checkpoint.formatError(in: r.context) { () throws(SwiftPGError) in
      try Minibatches.validate(permutations, count: rows)
    }
    return { [self] in
      policyStep.optimizer = policyOptimizer
      if let criticOptimizer { criticStep?.optimizer = criticOptimizer }
      observationNormalizer = on
      rewardScaler = rs
      iteration = savedIteration
      totalEnvSteps = savedSteps
      batchSize = 0
      adaptiveCoefficient = beta
      rng = newRng
      laneGenerators = newLanes
      minibatches.permutations = permutations
      lastEpisodes = []
      if let collectorState { rollouts?.restore(collectorState) } else { rollouts?.restart(seed: nil) }
    }
  }

  private func optimizer(_ r: RecordReader, count: Int, learningRate: Double) throws(SwiftPGError) -> AnyOptimizer {
    let kind = try r.text("kind")
    let expected = settings.common.optimizer == .adam ? "adam" : "sgd"
    guard kind == expected else { throw r.fail("a \(kind) optimiser for a learner that uses \(expected)") }
    let o = try Checkpoint.formatError(in: r.context) { () throws(SwiftPGError) -> AnyOptimizer in
      if kind == "adam" {
        return .adam(try Adam.moments(r, count: count, learningRate: learningRate, epsilon: settings.common.adamEpsilon))
      }
      return .sgd(try SGD(learningRate: learningRate, momentum: 0, velocity: try r.doubles("velocity", count: count)))
    }
    try r.finish()
    return o
  }
}

extension Adam {
  /// The optimiser as a checkpoint record: `kind` "adam", step `t`,
  /// moments `m` and `v`.
  public var record: Record {
    var r = Record()
    r.set("kind", text: "adam")
    r.set("t", int: t)
    r.set("m", doubles: m)
    r.set("v", doubles: v)
    return r
  }

  /// An Adam of a record written by `record` (`count` moments each), with
  /// the caller's step size and ε; `.badFormat` naming the field otherwise.
  public init(record r: RecordReader, count: Int, learningRate: Double, epsilon: Double = 1e-8) throws(SwiftPGError) {
    let kind = try r.text("kind")
    guard kind == "adam" else { throw r.fail("a \(kind) optimiser where Adam is expected") }
    self = try Checkpoint.formatError(in: r.context) { () throws(SwiftPGError) in
      try Adam.moments(r, count: count, learningRate: learningRate, epsilon: epsilon)
    }
    try r.finish()
  }

  /// The fields `m`, `v`, `t` of an Adam record.
  static func moments(_ r: RecordReader, count: Int, learningRate: Double, epsilon: Double) throws(SwiftPGError) -> Adam {
    try Adam(
      learningRate: learningRate, beta1: 0.9, beta2: 0.999, epsilon: epsilon, m: try r.doubles("m", count: count),
      v: try r.doubles("v", count: count), t: try r.int("t", in: 0...Int64(1) << 53))
  }
}

extension String {
  fileprivate var replacingUnderscores: String { String(map { $0 == "_" ? " " : $0 }) }
}

// MARK: Trajectories (off-policy PG's replay)

extension Trajectories {
  /// The batch as a record: sizes, every column, and the episodes that
  /// ended in it. Final observations are kept only where a row was
  /// truncated (other rows are never read; they are stored as 0).
  func record() -> Record {
    let m = count
    let d = observationSize
    var r = Record()
    r.set("steps", int: steps)
    r.set("lanes", int: lanes)
    r.set("observations", doubles: Array(UnsafeBufferPointer(start: observations.pointer, count: m * d)))
    if isDiscrete {
      r.set("actions", ints: (0..<m).map { Int(discreteActions[$0]) })
    } else {
      r.set("actions", doubles: Array(UnsafeBufferPointer(start: continuousActions.pointer, count: m * actionSpace.width)))
    }
    r.set("rewards", doubles: Array(UnsafeBufferPointer(start: rewards.pointer, count: m)))
    r.set("terminated", ints: (0..<m).map { Int(terminated[$0]) })
    r.set("truncated", ints: (0..<m).map { Int(truncated[$0]) })
    var finals = [Double](repeating: 0, count: m * d)
    for k in 0..<m where truncated[k] != 0 {
      for j in 0..<d { finals[k * d + j] = finalObservations[k * d + j] }
    }
    r.set("final_observations", doubles: finals)
    r.set("next_observations", doubles: Array(UnsafeBufferPointer(start: nextObservations.pointer, count: lanes * d)))
    r.set("behavior_log_probs", doubles: Array(UnsafeBufferPointer(start: behaviorLogProbs.pointer, count: m)))
    r.set("episode_returns", doubles: episodeReturns)
    r.set("episode_lengths", ints: episodeLengths)
    r.set("episode_terminated", ints: episodeTerminated.map { $0 ? 1 : 0 })
    return r
  }

  /// A batch of a record, checked against the learner's shapes: every value
  /// finite, discrete actions in the action space, flags 0 or 1.
  static func decode(_ r: RecordReader, observationSize d: Int, actionSpace: ActionSpace) throws(SwiftPGError)
    -> Trajectories
  {
    let t = try r.int("steps", in: 0...Int64(1) << 26)
    let n = try r.int("lanes", in: 0...Int64(1) << 26)
    let m = try checkedProduct(t, n, "steps × lanes")
    guard m <= 1 << 26 else { throw r.fail("a batch of \(m) rows") }
    let observations = try r.doubles("observations", count: try checkedProduct(m, d, "rows × observation size"))
    let b = Trajectories(observationSize: d, actionSpace: actionSpace)
    var discrete: [Int] = []
    var continuous: [Double] = []
    switch actionSpace {
    case .discrete(let count): discrete = try r.ints("actions", count: m, in: 0...Int64(count - 1))
    case .box(let low, _): continuous = try r.doubles("actions", count: try checkedProduct(m, low.count, "actions"))
    }
    let rewards = try r.doubles("rewards", count: m)
    let terminated = try r.ints("terminated", count: m, in: 0...1)
    let truncated = try r.ints("truncated", count: m, in: 0...1)
    let finals = try r.doubles("final_observations", count: m * d)
    let next = try r.doubles("next_observations", count: try checkedProduct(n, d, "lanes × observation size"))
    let logProbs = try r.doubles("behavior_log_probs", count: m)
    let returns = try r.doubles("episode_returns")
    let lengths = try r.ints("episode_lengths", count: returns.count, in: 1...Int64(1) << 53)
    let ended = try r.ints("episode_terminated", count: returns.count, in: 0...1)
    try r.finish()
    b.resize(steps: t, lanes: n)
    for k in 0..<(m * d) {
      b.observations[k] = observations[k]
      b.finalObservations[k] = finals[k]
    }
    for k in 0..<(n * d) { b.nextObservations[k] = next[k] }
    for k in 0..<m {
      b.rewards[k] = rewards[k]
      b.terminated[k] = UInt8(terminated[k])
      b.truncated[k] = UInt8(truncated[k])
      b.behaviorLogProbs[k] = logProbs[k]
      if !discrete.isEmpty { b.discreteActions[k] = Int32(discrete[k]) }
    }
    for k in continuous.indices { b.continuousActions[k] = continuous[k] }
    b.episodeReturns = returns
    b.episodeLengths = lengths
    b.episodeTerminated = ended.map { $0 == 1 }
    return b
  }
}
