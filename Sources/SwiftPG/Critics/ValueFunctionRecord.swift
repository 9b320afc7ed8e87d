/// A value function as a bundle section (`Serialization.swift`).
///
/// Fields (section version 1): `kind` (`ValueFunction.Kind` code),
/// `specification` and `parameters` (as in a value file of format version
/// 1) and `precision` (64 or 32: the network arithmetic of an MLP).
public enum ValueFunctionRecord {
  public static let version: Int64 = 1

  public static func encode(_ value: ValueFunction) -> Record {
    Record.model(
      version: version, familyField: "kind", family: Int(value.kind.rawValue), specification: value.specification,
      parameters: value.parameters, precision: value.network?.precision)
  }

  /// A bundle holding the value function alone (kind `.value`, section `critic`).
  public static func serialize(_ value: ValueFunction) -> [UInt8] {
    Bundle.encode(.value, section: "critic", encode(value))
  }

  /// The value function of a value or learner bundle, or of a value file
  /// of format version 1.
  public static func deserialize(_ bytes: [UInt8], source: String = "the bytes") throws(SwiftPGError) -> ValueFunction {
    try Checkpoint.valueFunction(bytes: bytes, source: source)
  }

  struct State {
    var contents: Checkpoint.Contents
    var precision: MLP.Precision
  }

  static func read(_ r: RecordReader) throws(SwiftPGError) -> State {
    try r.requireVersion(version, "the value-function section has")
    let (contents, precision) = try r.modelFields(.value, familyField: "kind")
    try r.finish()
    return State(contents: contents, precision: precision)
  }

  /// Builds the value function of a section (`.badFormat` for anything invalid).
  public static func decode(_ r: RecordReader) throws(SwiftPGError) -> ValueFunction {
    let s = try read(r)
    let value = try Checkpoint.valueFunction(from: s.contents, source: r.context)
    try apply(s, to: value, context: r.context)
    return value
  }

  /// Refuses a state of another architecture than `value`'s.
  static func check(_ s: State, against value: ValueFunction, context: String) throws(SwiftPGError) {
    try s.contents.checkArchitecture(
      family: UInt32(value.kind.rawValue), specification: value.specification, of: "value function", context: context)
    guard s.precision == .float64 || value.network != nil else {
      throw SwiftPGError(.badFormat, "\(context): a tabular value function has no network precision to set")
    }
  }

  /// Applies a validated state to `value`, which must have the section's architecture.
  static func apply(_ s: State, to value: ValueFunction, context: String) throws(SwiftPGError) {
    try check(s, against: value, context: context)
    try Checkpoint.formatError(in: context) { () throws(SwiftPGError) in
      try value.setParameters(s.contents.parameters)
      if let network = value.network { network.setPrecision(s.precision) }
    }
  }
}
