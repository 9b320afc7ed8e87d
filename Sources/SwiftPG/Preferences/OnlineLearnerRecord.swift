/// An online RLHF learner's training state as a bundle (`Serialization.swift`,
/// kind `.onlineLearner` (7), one section `online_learner`): what a run needs
/// to continue bit for bit in another process, given the same objects.
///
/// Fields (section version 1): `algorithm` (`OnlineLearner.algorithm`),
/// `iteration`, `total_samples`, `policy` (the trained policy's
/// `SequencePolicyRecord` section), `reference_checksum` (FNV-1a 64 of the
/// reference policy's bundle: the reference is not stored, it is checked),
/// `optimizer` (the policy's Adam: `kind`, `t`, `m`, `v`) and, where the
/// method has state of its own, `method_state` (REINFORCE's moving-average
/// `baseline_value`; PPO's `critic` and `critic_optimizer`). Sampling needs
/// no stored generator: iteration i draws from the streams of (seed, i).
///
/// The task and the reward (a reward model, or the gold reward) are not
/// stored: `restore` goes into a learner built as the saved one was, and
/// keeps that learner's configuration. It refuses (`.badFormat`, nothing
/// changed) another method, another policy or critic architecture, and a
/// reference other than the one the file was trained against — bit for bit.
public enum OnlineLearnerRecord {
  public static let version: Int64 = 1
  static let section = "online_learner"

  /// The learner's bundle bytes.
  public static func serialize(_ learner: any OnlineLearner) -> [UInt8] {
    let core = learner.core
    var s = Record()
    s.set("version", .int(version))
    s.set("algorithm", text: type(of: learner).algorithm)
    s.set("iteration", int: core.iteration)
    s.set("total_samples", int: core.totalSamples)
    s.set("policy", record: SequencePolicyRecord.encode(core.policy))
    s.set("reference_checksum", .uint(referenceChecksum(core.reference)))
    s.set("optimizer", record: core.optimizer.record)
    if let m = learner.methodState { s.set("method_state", record: m) }
    return Bundle.encode(.onlineLearner, section: section, s)
  }

  /// Restores the bundle `bytes` into `learner` (see the type's summary):
  /// everything is validated before anything changes.
  public static func restore(_ learner: any OnlineLearner, from bytes: [UInt8], source: String = "the bytes")
    throws(SwiftPGError)
  {
    let commit = try Bundle.decodeSection(
      bytes, source: source, kind: .onlineLearner, section: section, holding: "an online RLHF learner"
    ) { (r) throws(SwiftPGError) in try prepareRestore(learner, r) }
    try commit()
  }

  /// Validates an `online_learner` section against `learner` and returns
  /// what restores it (its only throw: the policy refusing its parameters).
  static func prepareRestore(_ learner: any OnlineLearner, _ r: RecordReader) throws(SwiftPGError)
    -> () throws(SwiftPGError) -> Void
  {
    try r.requireVersion(version, "the online-learner section has")
    let core = learner.core
    let name = try r.text("algorithm")
    let expected = type(of: learner).algorithm
    guard name == expected else { throw r.fail("the file holds a \(name) learner, this one is \(expected)") }
    let iteration = try r.int("iteration", in: 0...Int64(1) << 53)
    let total = try r.int("total_samples", in: 0...Int64(1) << 53)
    let saved = try SequencePolicyRecord.decode(try r.record("policy"))
    guard
      saved.family == core.policy.family
        && saved.specification.map(\.bitPattern) == core.policy.specification.map(\.bitPattern)
    else {
      throw r.fail("the file's policy has another architecture than this learner's")
    }
    guard try r.uint("reference_checksum") == referenceChecksum(core.reference) else {
      throw r.fail(
        "the file was trained against another reference policy than this learner's (its checksum differs): "
          + "build the learner with the same reference")
    }
    let optimizer = try Adam(
      record: try r.record("optimizer"), count: core.policy.parameterCount, learningRate: core.settings.learningRate)
    let commitMethod = try learner.prepareRestoreMethodState(try r.optionalRecord("method_state"))
    try r.finish()
    let params = saved.parameters
    return { () throws(SwiftPGError) in
      try core.policy.setParameters(params)
      core.optimizer = optimizer
      core.iteration = iteration
      core.totalSamples = total
      commitMethod()
    }
  }

  /// FNV-1a 64 of the policy's bundle (architecture and parameters).
  static func referenceChecksum(_ reference: SequencePolicy) -> UInt64 {
    Checkpoint.fnv1a64(SequencePolicyRecord.serialize(reference)[...])
  }
}

extension OnlineLearner {
  /// The learner's checkpoint bytes (`OnlineLearnerRecord`).
  public func serialized() -> [UInt8] { OnlineLearnerRecord.serialize(self) }

  /// Writes the checkpoint atomically (`Checkpoint.write`).
  public func save(to path: String) throws(SwiftPGError) { try Checkpoint.write(serialized(), to: path) }

  /// Restores a checkpoint file into this learner (`OnlineLearnerRecord.restore`).
  public func load(from path: String) throws(SwiftPGError) {
    try OnlineLearnerRecord.restore(self, from: try Checkpoint.read(path), source: path)
  }
}
