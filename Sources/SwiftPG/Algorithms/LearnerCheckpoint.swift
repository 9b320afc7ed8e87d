/// Checkpoints of a whole policy-gradient learner (every algorithm: the
/// state lives in its `LearnerCore`), in the checkpoint
/// container of `Checkpoint` (kind `.learner`, family = the algorithm in the
/// low 16 bits and the learner-state version in the high 16; version 2 since
/// 0.2, the per-lane action streams).
///
/// specification: [policy family, policy parameter count, critic parameter
/// count (−1: none), observation size, action width, n, the policy's n
/// specification numbers, k, the critic's k specification numbers].
/// parameters: iteration, total env steps, KL β, the generator (state and
/// increment as four 64-bit words), the policy and critic parameters, each
/// optimiser (kind, t, then Adam's m and v or SGD's velocity), and each
/// normaliser (present flag, count, means, variances); version 2 appends the
/// lane count and each lane's generator (four words).
extension LearnerCore {
  /// The learner-state version this library writes and reads.
  static let stateVersion: UInt32 = 2

  /// The shapes a checkpoint must match. The first five entries are what
  /// files written before ABI 5 hold; since then the policy's and critic's
  /// own specifications (hidden sizes, activation, std mode) follow, so a
  /// checkpoint of another architecture with the same parameter counts is
  /// refused instead of loading weights into the wrong layout.
  var checkpointSpecification: [Double] {
    let criticSpecification = critic?.specification ?? []
    return [
      Double(policy.family.rawValue), Double(policy.parameterCount), Double(critic?.parameterCount ?? -1),
      Double(observationSize), Double(actionSpace.width),
    ] + [Double(policy.specification.count)] + policy.specification
      + [Double(criticSpecification.count)] + criticSpecification
  }

  func save(to path: String) throws(SwiftPGError) {
    var x: [Double] = [Double(iteration), Double(totalEnvSteps), adaptiveCoefficient] + rng.checkpointWords
    x += policy.parameters
    x += critic?.parameters ?? []
    func optimizerState(_ o: AnyOptimizer?) {
      switch o {
      case .adam(let a): x += [0, Double(a.t)] + a.m + a.v
      case .sgd(let s): x += [1, 0] + s.velocity
      case nil: break
      }
    }
    optimizerState(policyStep.optimizer)
    optimizerState(criticStep?.optimizer)
    for n in [observationNormalizer, rewardScaler] {
      if let n { x += [1, n.count] + n.mean + n.variance } else { x += [0] }
    }
    x.append(Double(laneGenerators.count))
    for g in laneGenerators { x += g.checkpointWords }
    try Checkpoint.write(
      Checkpoint.encode(
        Checkpoint.Contents(
          kind: .learner, family: UInt32(settings.algorithm.rawValue) | Self.stateVersion << 16,
          specification: checkpointSpecification, parameters: x)),
      to: path)
  }

  func load(from path: String) throws(SwiftPGError) {
    let c = try Checkpoint.decode(try Checkpoint.read(path))
    try require(
      c.kind == .learner, "\(path) is not a learner checkpoint (use the policy or value loaders)", code: .badFormat)
    let family = c.family & 0xFFFF
    try require(
      family == UInt32(settings.algorithm.rawValue),
      "\(path) holds a \(PGAlgorithm(rawValue: Int32(truncatingIfNeeded: family)).map { $0.name } ?? "unknown (\(family))") learner, not \(settings.algorithm.name)",
      code: .badFormat)
    let version = max(c.family >> 16, 1)
    try require(
      version == Self.stateVersion,
      "\(path) holds learner state version \(version) (swiftpg \(version == 1 ? "0.1" : "newer than this")); this "
        + "library reads version \(Self.stateVersion): since 0.2 each environment lane samples from its own "
        + "stream, so an older run cannot be resumed exactly (load its policy's parameters into a new learner instead)",
      code: .badFormat)
    // Files from before ABI 5 record only the first five entries.
    let expected = checkpointSpecification
    try require(
      c.specification == expected || c.specification == Array(expected.prefix(5)),
      "\(path) was saved from a learner with other policy/critic architectures or environment shapes",
      code: .badFormat)
    let x = c.parameters
    func bad(_ what: String) -> SwiftPGError { SwiftPGError(.badFormat, "not a valid swiftpg checkpoint: \(path): \(what)") }
    var at = 0
    func take(_ n: Int) throws(SwiftPGError) -> [Double] {
      guard n >= 0, at + n <= x.count else { throw SwiftPGError(.badFormat, "\(path): learner state is truncated") }
      defer { at += n }
      return Array(x[at..<(at + n)])
    }
    let head = try take(7)
    let savedIteration = try Checkpoint.count(head[0], "iteration")
    let savedSteps = try Checkpoint.count(head[1], "env steps")
    // The KL-penalty coefficient β (Schulman et al. 2017, adaptive KL): finite and >= 0.
    guard head[2].isFinite, head[2] >= 0 else { throw bad("the KL-penalty coefficient β is \(head[2])") }
    let newRng = PCG64(checkpointWords: head[3...6])
    let p = try take(policy.parameterCount)
    let cp = try take(critic?.parameterCount ?? 0)
    guard p.allFinite else { throw bad("the policy parameters are not all finite") }
    guard cp.allFinite else { throw bad("the critic parameters are not all finite") }
    func optimizer(_ count: Int, learningRate: Double) throws(SwiftPGError) -> AnyOptimizer {
      let kt = try take(2)
      guard kt[0] == 0 || kt[0] == 1 else { throw bad("optimizer kind \(kt[0])") }
      if kt[0] == 0 {
        return .adam(
          try Adam(
            learningRate: learningRate, beta1: 0.9, beta2: 0.999, epsilon: settings.common.adamEpsilon, m: try take(count),
            v: try take(count), t: try Checkpoint.count(kt[1], "Adam's step count")))
      }
      return .sgd(try SGD(learningRate: learningRate, momentum: 0, velocity: try take(count)))
    }
    let po = try Checkpoint.formatError(in: path) { () throws(SwiftPGError) in try optimizer(policy.parameterCount, learningRate: settings.common.learningRate) }
    let co: AnyOptimizer? =
      critic == nil
      ? nil
      : try Checkpoint.formatError(in: path) { () throws(SwiftPGError) in
        try optimizer(critic?.parameterCount ?? 0, learningRate: currentValueLearningRate)
      }
    func normalizer(_ width: Int) throws(SwiftPGError) -> RunningMeanStd? {
      let flag = try take(1)[0]
      guard flag == 0 || flag == 1 else { throw bad("normaliser flag \(flag)") }
      guard flag == 1 else { return nil }
      let count = try take(1)[0]
      return try RunningMeanStd(mean: try take(width), variance: try take(width), count: count)
    }
    let on = try Checkpoint.formatError(in: path) { () throws(SwiftPGError) in try normalizer(observationSize) }
    let rs = try Checkpoint.formatError(in: path) { () throws(SwiftPGError) in try normalizer(1) }
    let laneCount = try Checkpoint.count(try take(1)[0], "the lane count")
    try require(
      laneCount == laneGenerators.count,
      "\(path) was saved with \(laneCount) environment lanes, this learner has \(laneGenerators.count)",
      code: .badFormat)
    var lanes: [PCG64] = []
    for _ in 0..<laneCount { lanes.append(PCG64(checkpointWords: try take(4)[...])) }
    try require(at == x.count, "\(path): unexpected trailing learner state", code: .badFormat)
    try require(
      (on != nil) == settings.segments.normalizeObservations && (rs != nil) == settings.segments.normalizeRewards,
      "\(path) was saved with other normalisation settings", code: .badFormat)
    // Everything validated: commit (restoring the policy should the critic still refuse).
    let previous = policy.parameters
    try policy.setParameters(p)
    if let critic {
      do { try critic.setParameters(cp) } catch {
        try? policy.setParameters(previous)
        throw error
      }
    }
    policyStep.optimizer = po
    if let co { criticStep?.optimizer = co }
    observationNormalizer = on
    rewardScaler = rs
    iteration = savedIteration
    totalEnvSteps = savedSteps
    batchSize = 0
    adaptiveCoefficient = head[2]
    rng = newRng
    laneGenerators = lanes
    rollouts?.restart(seed: nil)
  }
}
