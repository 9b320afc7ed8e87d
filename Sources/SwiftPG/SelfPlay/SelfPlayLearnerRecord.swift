/// The training state of the self-play learners (`SelfPlayReinforce`,
/// `AlphaZeroLearner`) as a bundle: kind `.selfPlayLearner` (9), one
/// section `self_play_learner`, so that a run continues exactly where it
/// stopped (every draw of an iteration is seeded from (seed, iteration)).
///
/// Fields (section version 1): `algorithm` ("reinforce" or "alphazero"),
/// `game` (the game and its parameters as text), `iteration`, `policy` and
/// `value` (`BoardNetworkRecord` sections; `value` absent for self-play
/// without a baseline), `optimizer` and `value_optimizer` (Adam records).
/// Self-play also has `pool_iterations` ([k]) and `pool_parameters` ([k ×
/// P], the snapshots oldest first).
///
/// The settings (the learner's `Config`) are not stored: `restore` loads
/// the state into a learner made with its own settings. It checks the
/// container, the version, every field (types, no unknown or missing
/// field), the algorithm, the game, the networks' architectures (trunk
/// family and specification, planes, actions) against the learner's, the
/// optimisers' moment counts, the pool (1 … capacity snapshots of P finite
/// values, non-decreasing iterations ≤ the iteration): anything else is
/// `.badFormat` naming the field, and nothing changes.
public enum SelfPlayLearnerRecord {
  public static let version: Int64 = 1
  static let section = "self_play_learner"

  static func header(_ algorithm: String, game: String, iteration: Int) -> Record {
    var r = Record()
    r.set("version", int: Int(version))
    r.set("algorithm", text: algorithm)
    r.set("game", text: game)
    r.set("iteration", int: iteration)
    return r
  }

  /// Reads the header fields and refuses another algorithm or game.
  static func reader(_ bytes: [UInt8], source: String, algorithm: String, game: String) throws(SwiftPGError)
    -> (RecordReader, RecordReader, Int)
  {
    let root = try Bundle.reader(bytes, source: source, kinds: [.selfPlayLearner], holding: "a self-play learner").root
    let r = try root.record(section)
    try root.finish()
    try r.requireVersion(version, "the self-play learner section has")
    let a = try r.text("algorithm")
    guard a == algorithm else { throw r.fail("it holds a \(a) learner; this learner is \(algorithm)") }
    let g = try r.text("game")
    guard g == game else { throw r.fail("it was trained on \(g); this learner plays \(game)") }
    let iteration = try r.int("iteration", in: 0...(Int64(1) << 40))
    return (root, r, iteration)
  }

  /// The parameters of the network section `name`, refusing one whose
  /// architecture differs from `trunk`'s (or the other head).
  static func parameters(
    _ r: RecordReader, _ name: String, like trunk: any BoardTrunk, planes: [Int], actions: Int, policy: Bool
  ) throws(SwiftPGError) -> [Double] {
    let section = try r.record(name)
    let net = try BoardNetworkRecord.decode(section)
    let (t, p, a): (any BoardTrunk, [Int], Int)
    switch net {
    case .policy(let n):
      guard policy else { throw section.fail("a policy network where a value network is expected") }
      (t, p, a) = (n.trunk, [n.planeCount, n.boardHeight, n.boardWidth], n.actionCount)
    case .value(let n):
      guard !policy else { throw section.fail("a value network where a policy network is expected") }
      (t, p, a) = (n.trunk, [n.planeCount, n.boardHeight, n.boardWidth], 1)
    }
    guard t.family == trunk.family, t.trunkSpecification.map(\.bitPattern) == trunk.trunkSpecification.map(\.bitPattern),
      p == planes, a == actions
    else {
      throw section.fail(
        "the network (trunk \(t.family), \(t.trunkSpecification), planes \(p), \(a) outputs) differs from the "
          + "learner's (trunk \(trunk.family), \(trunk.trunkSpecification), planes \(planes), \(actions) outputs)")
    }
    return t.parameters
  }

  static func adam(_ r: RecordReader, _ name: String, count: Int, learningRate: Double) throws(SwiftPGError) -> Adam {
    try Adam(record: try r.record(name), count: count, learningRate: learningRate)
  }
}

extension SelfPlayReinforce {
  /// The learner's state as a bundle (`SelfPlayLearnerRecord`).
  public func serialize() -> [UInt8] {
    var r = SelfPlayLearnerRecord.header("reinforce", game: String(describing: game), iteration: iteration)
    r.set("policy", record: BoardNetworkRecord.encode(policy))
    if let value { r.set("value", record: BoardNetworkRecord.encode(value)) }
    r.set("optimizer", record: optimizer.record)
    if let valueOptimizer { r.set("value_optimizer", record: valueOptimizer.record) }
    r.set("pool_iterations", ints: pool.iterations)
    r.set("pool_parameters", doubles: pool.snapshots.flatMap { $0 })
    return Bundle.encode(.selfPlayLearner, section: SelfPlayLearnerRecord.section, r)
  }

  /// Loads a state written by `serialize` (see `SelfPlayLearnerRecord`):
  /// the networks' parameters, the iteration, the pool and the optimisers.
  /// All or nothing; `.badFormat` for anything that does not fit.
  public func restore(_ bytes: [UInt8], source: String = "the bytes") throws(SwiftPGError) {
    let (_, r, iteration) = try SelfPlayLearnerRecord.reader(
      bytes, source: source, algorithm: "reinforce", game: String(describing: game))
    let planes = [policy.planeCount, policy.boardHeight, policy.boardWidth]
    let theta = try SelfPlayLearnerRecord.parameters(
      r, "policy", like: policy.trunk, planes: planes, actions: policy.actionCount, policy: true)
    let opt = try SelfPlayLearnerRecord.adam(r, "optimizer", count: policy.parameterCount, learningRate: config.learningRate)
    var phi: [Double]? = nil
    var valueOpt: Adam? = nil
    if let value {
      phi = try SelfPlayLearnerRecord.parameters(
        r, "value", like: value.trunk, planes: [value.planeCount, value.boardHeight, value.boardWidth], actions: 1,
        policy: false)
      valueOpt = try SelfPlayLearnerRecord.adam(
        r, "value_optimizer", count: value.parameterCount, learningRate: config.valueLearningRate)
    } else if r.has("value") || r.has("value_optimizer") {
      throw r.fail("it has a value network; this learner has none")
    }
    let p = policy.parameterCount
    let iterations = try r.ints("pool_iterations", in: 0...Int64(iteration))
    guard !iterations.isEmpty, iterations.count <= pool.capacity else {
      throw r.fail("field 'pool_iterations' has \(iterations.count) snapshots; the pool holds 1…\(pool.capacity)")
    }
    guard zip(iterations, iterations.dropFirst()).allSatisfy({ $0 <= $1 }) else {
      throw r.fail("field 'pool_iterations' is not in increasing order")
    }
    let flat = try r.doubles("pool_parameters", count: iterations.count * p)
    try r.finish()
    var restored = try OpponentPool(capacity: pool.capacity)
    for (k, it) in iterations.enumerated() { restored.add(Array(flat[(k * p)..<((k + 1) * p)]), iteration: it) }
    try policy.setParameters(theta)
    if let value, let phi { try value.setParameters(phi) }
    optimizer = opt
    valueOptimizer = valueOpt
    pool = restored
    self.iteration = iteration
  }
}

extension AlphaZeroLearner {
  /// The learner's state as a bundle (`SelfPlayLearnerRecord`).
  public func serialize() -> [UInt8] {
    var r = SelfPlayLearnerRecord.header("alphazero", game: String(describing: game), iteration: iteration)
    r.set("policy", record: BoardNetworkRecord.encode(policy))
    r.set("value", record: BoardNetworkRecord.encode(value))
    r.set("optimizer", record: policyOptimizer.record)
    r.set("value_optimizer", record: valueOptimizer.record)
    return Bundle.encode(.selfPlayLearner, section: SelfPlayLearnerRecord.section, r)
  }

  /// Loads a state written by `serialize`: the networks' parameters, the
  /// iteration and both optimisers. All or nothing.
  public func restore(_ bytes: [UInt8], source: String = "the bytes") throws(SwiftPGError) {
    let (_, r, iteration) = try SelfPlayLearnerRecord.reader(
      bytes, source: source, algorithm: "alphazero", game: String(describing: game))
    let theta = try SelfPlayLearnerRecord.parameters(
      r, "policy", like: policy.trunk, planes: [policy.planeCount, policy.boardHeight, policy.boardWidth],
      actions: policy.actionCount, policy: true)
    let phi = try SelfPlayLearnerRecord.parameters(
      r, "value", like: value.trunk, planes: [value.planeCount, value.boardHeight, value.boardWidth], actions: 1,
      policy: false)
    let opt = try SelfPlayLearnerRecord.adam(r, "optimizer", count: policy.parameterCount, learningRate: config.learningRate)
    let valueOpt = try SelfPlayLearnerRecord.adam(
      r, "value_optimizer", count: value.parameterCount, learningRate: config.learningRate)
    try r.finish()
    try policy.setParameters(theta)
    try value.setParameters(phi)
    policyOptimizer = opt
    valueOptimizer = valueOpt
    self.iteration = iteration
  }
}
