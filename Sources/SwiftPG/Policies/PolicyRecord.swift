/// A policy as a bundle section (`Serialization.swift`): what rebuilds it
/// and the state a resumed run needs.
///
/// Fields (section version 1): `family` (the `PolicyFamily` code),
/// `specification` and `parameters` (as in a policy file of format version
/// 1), `precision` (64 or 32: the network arithmetic of MLP families),
/// `generator` (the policy's own sampling generator, four words) and
/// `sampling_state` (gSDE's held noise; empty otherwise).
public enum PolicyRecord {
  public static let version: Int64 = 1

  public static func encode(_ policy: any Policy) -> Record {
    var r = Record.model(
      version: version, familyField: "family", family: Int(policy.family.rawValue),
      specification: policy.specification, parameters: policy.parameters, precision: policy.mlp?.precision)
    r.set("generator", generator: policy.rng)
    r.set("sampling_state", doubles: policy.samplingState)
    return r
  }

  /// A bundle holding the policy alone (kind `.policy`, section `policy`).
  public static func serialize(_ policy: any Policy) -> [UInt8] {
    Bundle.encode(.policy, section: "policy", encode(policy))
  }

  /// The policy of a policy or learner bundle, or of a policy file of
  /// format version 1 (`Checkpoint.policy(bytes:source:)`).
  public static func deserialize(_ bytes: [UInt8], source: String = "the bytes") throws(SwiftPGError) -> any Policy {
    try Checkpoint.policy(bytes: bytes, source: source)
  }

  /// The validated state of a policy section, ready to apply to a policy of
  /// its architecture.
  struct State {
    var contents: Checkpoint.Contents
    var precision: MLP.Precision
    var generator: PCG64
    var sampling: [Double]
  }

  static func read(_ r: RecordReader) throws(SwiftPGError) -> State {
    try r.requireVersion(version, "the policy section has")
    let (contents, precision) = try r.modelFields(.policy, familyField: "family")
    let generator = try r.generator("generator")
    let sampling = try r.doubles("sampling_state")
    try r.finish()
    return State(contents: contents, precision: precision, generator: generator, sampling: sampling)
  }

  /// Builds the policy of a section (`.badFormat` for anything invalid).
  public static func decode(_ r: RecordReader) throws(SwiftPGError) -> any Policy {
    let s = try read(r)
    let policy = try Checkpoint.policy(from: s.contents, source: r.context)
    try apply(s, to: policy, context: r.context)
    return policy
  }

  /// Refuses a state of another architecture than `policy`'s.
  static func check(_ s: State, against policy: any Policy, context: String) throws(SwiftPGError) {
    try s.contents.checkArchitecture(
      family: UInt32(policy.family.rawValue), specification: policy.specification, of: "policy", context: context)
    guard s.precision == .float64 || policy.mlp != nil else {
      throw SwiftPGError(.badFormat, "\(context): a \(policy.family) policy has no network precision to set")
    }
  }

  /// Applies a validated state to `policy`, which must have the section's
  /// architecture. The parameters are set last, so a refusal (of the
  /// precision or sampling state) leaves the policy unchanged.
  static func apply(_ s: State, to policy: any Policy, context: String) throws(SwiftPGError) {
    try check(s, against: policy, context: context)
    try Checkpoint.formatError(in: context) { () throws(SwiftPGError) in
      let previousSampling = policy.samplingState
      try policy.setSamplingState(s.sampling)
      do throws(SwiftPGError) { try policy.setParameters(s.contents.parameters) } catch {
        try? policy.setSamplingState(previousSampling)
        throw error
      }
      policy.mlp?.setPrecision(s.precision)
      policy.rng = s.generator
    }
  }
}
