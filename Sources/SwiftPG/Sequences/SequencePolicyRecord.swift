/// A sequence policy as a bundle (`Serialization.swift`): kind
/// `.sequencePolicy` (5), one section `sequence_policy`. Its checkpoint file
/// (`Checkpoint.save(_:to:)`, `Checkpoint.loadSequencePolicy`) holds the
/// same bytes as `serialize`.
///
/// Fields (section version 1): `family` (the `SequenceModelFamily` code: 1
/// tabular, 2 neural), `specification` (`SequenceModel.specification`: V,
/// L, P and, for the neural model, its sizes, activation, network precision
/// and prompt-feature table, so of any length the bytes hold — not the 256
/// numbers of a policy's), `parameters`, and `precision` (64, or the
/// neural network's arithmetic, which must equal the specification's).
/// Sequence policies sample from a caller's seed, so there is no generator
/// to store.
///
/// Reading checks, in order: the container (magic, version 2, checksum,
/// kind), the section's version and fields (types, no unknown field, finite
/// parameters), the family code, the specification (every size and code,
/// `SequenceModelSpecification`), the parameter count it implies against
/// the stored one — before the model is allocated — and then the values
/// (finite prompt features, precision). Anything invalid is `.badFormat`
/// naming the source and the field; nothing traps.
public enum SequencePolicyRecord {
  public static let version: Int64 = 1
  static let section = "sequence_policy"

  public static func encode(_ policy: SequencePolicy) -> Record {
    Record.model(
      version: version, familyField: "family", family: Int(policy.family.rawValue),
      specification: policy.specification, parameters: policy.parameters,
      precision: (policy.model as? NeuralSequenceModel)?.precision)
  }

  /// The policy's bundle (kind `.sequencePolicy`, section `sequence_policy`).
  public static func serialize(_ policy: SequencePolicy) -> [UInt8] {
    Bundle.encode(.sequencePolicy, section: section, encode(policy))
  }

  /// The policy of a sequence-policy bundle (`.badFormat` for anything
  /// else: damaged or truncated bytes, another kind, a format-1 file).
  public static func deserialize(_ bytes: [UInt8], source: String = "the bytes") throws(SwiftPGError)
    -> SequencePolicy
  {
    try Bundle.decodeSection(
      bytes, source: source, kind: .sequencePolicy, section: section, holding: "a sequence policy", decode)
  }

  /// Builds the policy of a section (`.badFormat` for anything invalid).
  public static func decode(_ r: RecordReader) throws(SwiftPGError) -> SequencePolicy {
    try r.requireVersion(version, "the sequence-policy section has")
    let (c, precision) = try r.modelFields(.sequencePolicy, familyField: "family", specificationLimit: .max)
    try r.finish()
    guard c.family <= 2, let family = SequenceModelFamily(rawValue: Int32(c.family)) else {
      throw r.fail("unknown sequence-model family \(c.family) (1 tabular, 2 neural)")
    }
    let spec = try Checkpoint.formatError(in: r.context) { () throws(SwiftPGError) in
      try SequenceModelSpecification(family: family, specification: c.specification)
    }
    guard c.parameters.count == spec.parameterCount else {
      throw r.fail(
        "\(c.parameters.count) parameters for a \(family) sequence model that has \(spec.parameterCount)")
    }
    guard precision == spec.precision else {
      throw r.fail(
        "field 'precision' is \(precision.rawValue) but the specification says \(spec.precision.rawValue)")
    }
    return try Checkpoint.formatError(in: r.context) { () throws(SwiftPGError) in
      let policy = SequencePolicy(model: try spec.make())
      try policy.setParameters(c.parameters)
      return policy
    }
  }
}

extension Checkpoint {
  /// Saves a sequence policy (its bundle, `SequencePolicyRecord`) to `path`
  /// atomically (`write(_:to:)`).
  public static func save(_ policy: SequencePolicy, to path: String) throws(SwiftPGError) {
    try write(SequencePolicyRecord.serialize(policy), to: path)
  }

  /// Loads a sequence policy saved by `save(_:to:)`.
  public static func loadSequencePolicy(_ path: String) throws(SwiftPGError) -> SequencePolicy {
    try SequencePolicyRecord.deserialize(try read(path), source: path)
  }
}
