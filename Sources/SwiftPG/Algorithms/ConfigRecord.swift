/// A learner's configuration as a bundle section: one field per setting,
/// named in snake_case as in C and Python (`gamma`, `steps_per_env`, …),
/// restored by name. Each `Config` lists its fields in `recordFields`
/// (the shared groups below plus its own), so a setting added to a config
/// without a record field fails the completeness test
/// (`ConfigRecordTests`).
///
/// Section version 1: `version`, then the fields; doubles are stored as
/// doubles (∞ allowed where the config allows it), counts as ints, flags as
/// bools, the seed as a uint and choices as their C raw values.
public struct ConfigField<C> {
  public let name: String
  let write: (C) -> RecordValue
  let read: (inout C, RecordReader) throws(SwiftPGError) -> Void
  /// A field added after files were written without it: a section that
  /// lacks it keeps the config's default (`ConfigRecord.decode`).
  var optional = false

  /// This field, allowed to be missing from older files (`optional`).
  public func addedLater() -> Self {
    var f = self
    f.optional = true
    return f
  }

  public static func double(_ name: String, _ key: WritableKeyPath<C, Double>) -> Self {
    Self(name: name, write: { .double($0[keyPath: key]) }) { (c, r) throws(SwiftPGError) in
      c[keyPath: key] = try r.double(name)
    }
  }

  /// A count, read only within `range` (default: the C field's int32
  /// range), so no value a file declares can overflow arithmetic later.
  public static func int(
    _ name: String, _ key: WritableKeyPath<C, Int>, in range: ClosedRange<Int64> = Int64(Int32.min)...Int64(Int32.max)
  ) -> Self {
    Self(name: name, write: { .int(Int64($0[keyPath: key])) }) { (c, r) throws(SwiftPGError) in
      c[keyPath: key] = try r.int(name, in: range)
    }
  }

  public static func bool(_ name: String, _ key: WritableKeyPath<C, Bool>) -> Self {
    Self(name: name, write: { .bool($0[keyPath: key]) }) { (c, r) throws(SwiftPGError) in
      c[keyPath: key] = try r.bool(name)
    }
  }

  public static func seed(_ name: String, _ key: WritableKeyPath<C, UInt64>) -> Self {
    Self(name: name, write: { .uint($0[keyPath: key]) }) { (c, r) throws(SwiftPGError) in
      c[keyPath: key] = try r.uint(name)
    }
  }

  /// A choice stored as its C raw value.
  public static func choice<E: RawRepresentable<Int32>>(_ name: String, _ key: WritableKeyPath<C, E>) -> Self {
    Self(name: name, write: { .int(Int64($0[keyPath: key].rawValue)) }) { (c, r) throws(SwiftPGError) in
      let raw = try r.int(name)
      guard let v = Int32(exactly: raw).flatMap(E.init(rawValue:)) else {
        throw r.fail("field '\(name)' has the unknown value \(raw)")
      }
      c[keyPath: key] = v
    }
  }
}

extension PolicyGradientSettings {
  /// The fields of `PolicyGradientSettings`.
  public static var commonFields: [ConfigField<Self>] {
    [
      .choice("optimizer", \Self.common.optimizer), .double("gamma", \Self.common.gamma),
      .double("learning_rate", \Self.common.learningRate), .double("adam_epsilon", \Self.common.adamEpsilon),
      .double("max_grad_norm", \Self.common.maxGradNorm), .double("max_grad_value", \Self.common.maxGradValue),
      .double("entropy_coef", \Self.common.entropyCoef), .seed("seed", \Self.common.seed),
    ]
  }
}

extension SegmentSettings {
  /// The fields of `SegmentSettings` (the common ones included).
  public static var segmentFields: [ConfigField<Self>] {
    commonFields + [
      .int("steps_per_env", \Self.segments.stepsPerEnv), .choice("advantage", \Self.segments.advantage),
      .double("gae_lambda", \Self.segments.gaeLambda), .int("n_steps", \Self.segments.nSteps),
      .choice("value_target", \Self.segments.valueTarget), .int("value_epochs", \Self.segments.valueEpochs),
      .bool("normalize_advantages", \Self.segments.normalizeAdvantages), .int("minibatch_size", \Self.segments.minibatchSize),
      .double("value_learning_rate", \Self.segments.valueLearningRate),
      .bool("anneal_learning_rate", \Self.segments.annealLearningRate), .int("total_env_steps", \Self.segments.totalEnvSteps, in: 0...(1 << 62)),
      .bool("normalize_observations", \Self.segments.normalizeObservations),
      .bool("normalize_rewards", \Self.segments.normalizeRewards), .double("clip_observations", \Self.segments.clipObservations),
      .double("clip_rewards", \Self.segments.clipRewards),
      ConfigField.choice("normalization_update", \Self.segments.normalizationUpdate).addedLater(),
      ConfigField.double("vtrace_rho_bar", \Self.segments.vtraceRhoBar).addedLater(),
      ConfigField.double("vtrace_c_bar", \Self.segments.vtraceCBar).addedLater(),
    ]
  }
}

extension NaturalGradientSettings {
  /// The fields of `NaturalGradientSettings` (the segment ones included).
  public static var naturalFields: [ConfigField<Self>] {
    segmentFields + [
      .double("max_kl", \Self.natural.maxKL), .int("cg_iterations", \Self.natural.cgIterations),
      .double("cg_damping", \Self.natural.cgDamping),
    ]
  }
}

public enum ConfigRecord {
  public static let version: Int64 = 1

  public static func encode<C: PolicyGradientSettings>(_ config: C) -> Record {
    var r = Record()
    r.set("version", .int(version))
    for f in C.recordFields { r.set(f.name, f.write(config)) }
    return r
  }

  /// The configuration of a section, refusing a missing or unknown field
  /// (naming them all) and values its `validate()` refuses.
  public static func decode<C: PolicyGradientSettings>(_ r: RecordReader, as _: C.Type) throws(SwiftPGError) -> C {
    try r.requireVersion(version, "the config section has")
    let fields = C.recordFields
    let missing = fields.filter { !$0.optional }.map(\.name).filter { r.record[$0] == nil }
    guard missing.isEmpty else {
      throw r.fail("missing config field(s) \(missing.map { "'\($0)'" }.joined(separator: ", "))")
    }
    let known = Set(fields.map(\.name) + ["version"])
    let unknown = r.record.fields.map(\.name).filter { !known.contains($0) }
    guard unknown.isEmpty else {
      throw r.fail("unknown config field(s) \(unknown.map { "'\($0)'" }.joined(separator: ", ")) (written by a newer swiftpg?)")
    }
    var c = C()
    for f in fields where !(f.optional && r.record[f.name] == nil) { try f.read(&c, r) }
    try r.finish()
    try Checkpoint.formatError(in: r.context) { () throws(SwiftPGError) in try c.validate() }
    return c
  }
}
