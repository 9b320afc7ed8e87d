/// A reward model as a bundle (`Serialization.swift`): kind `.rewardModel`
/// (6), one section `reward_model`. Its checkpoint file
/// (`Checkpoint.save(_:to:)`, `Checkpoint.loadRewardModel`) holds the same
/// bytes as `serialize`.
///
/// Fields (section version 1): `family` (1: an MLP over feature rows,
/// linear without hidden layers — the only family so far), `specification`
/// (`RewardModel.specification`: K, activation, hidden sizes and the
/// feature standardisation μ, σ when set: 2K + 4 + H numbers, of any length
/// the bytes hold), `parameters` (the network's)
/// and `precision` (the network arithmetic, 64 or 32). The fit's
/// cancellation flag is not state and is not stored.
///
/// Reading checks the container (magic, version 2, checksum, kind), the
/// section's version and fields, the family, the specification and the
/// parameter count it implies (before the network is allocated), then the
/// values (finite parameters, standardisation scales finite and > 0).
/// Anything invalid is `.badFormat` naming the source and the field; a
/// rebuilt model predicts bit for bit what the saved one predicted.
public enum RewardModelRecord {
  public static let version: Int64 = 1
  /// The family code of `RewardModel` (an MLP over feature rows).
  public static let family = 1
  static let section = "reward_model"

  public static func encode(_ model: RewardModel) -> Record {
    Record.model(
      version: version, familyField: "family", family: family, specification: model.specification,
      parameters: model.parameters, precision: model.network.precision)
  }

  /// The model's bundle (kind `.rewardModel`, section `reward_model`).
  public static func serialize(_ model: RewardModel) -> [UInt8] {
    Bundle.encode(.rewardModel, section: section, encode(model))
  }

  /// The reward model of a reward-model bundle (`.badFormat` for anything
  /// else: damaged or truncated bytes, another kind, a format-1 file).
  public static func deserialize(_ bytes: [UInt8], source: String = "the bytes") throws(SwiftPGError) -> RewardModel {
    try Bundle.decodeSection(
      bytes, source: source, kind: .rewardModel, section: section, holding: "a reward model", decode)
  }

  /// Builds the reward model of a section (`.badFormat` for anything invalid).
  public static func decode(_ r: RecordReader) throws(SwiftPGError) -> RewardModel {
    try r.requireVersion(version, "the reward-model section has")
    let (c, precision) = try r.modelFields(.rewardModel, familyField: "family", specificationLimit: .max)
    try r.finish()
    guard c.family == UInt32(family) else {
      throw r.fail("unknown reward-model family \(c.family) (1: an MLP over feature rows)")
    }
    let layout = try Checkpoint.formatError(in: r.context) { () throws(SwiftPGError) in
      try RewardModel.Layout(specification: c.specification)
    }
    guard c.parameters.count == layout.parameterCount else {
      throw r.fail("\(c.parameters.count) parameters for a reward model that has \(layout.parameterCount)")
    }
    return try Checkpoint.formatError(in: r.context) { () throws(SwiftPGError) in
      let model = try RewardModel(specification: c.specification, parameters: c.parameters)
      model.network.setPrecision(precision)
      return model
    }
  }
}

extension Checkpoint {
  /// Saves a reward model (its bundle, `RewardModelRecord`) to `path`
  /// atomically (`write(_:to:)`).
  public static func save(_ model: RewardModel, to path: String) throws(SwiftPGError) {
    try write(RewardModelRecord.serialize(model), to: path)
  }

  /// Loads a reward model saved by `save(_:to:)`.
  public static func loadRewardModel(_ path: String) throws(SwiftPGError) -> RewardModel {
    try RewardModelRecord.deserialize(try read(path), source: path)
  }
}
