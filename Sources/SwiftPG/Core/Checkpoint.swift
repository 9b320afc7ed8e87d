#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif
import Synchronization

/// Versioned binary checkpoints of policies and value functions.
///
/// Layout (little-endian): magic "SWPGCKPT"; u32 format version (1); u32
/// object kind (1 policy, 2 value function); u32 family; u32 n and n f64
/// specification numbers (sizes, activation, ...); u64 m and m f64
/// parameters; u64 FNV-1a 64 checksum of every preceding byte.
///
/// Saving writes a temporary file in the same directory, flushes it to disk
/// (fsync) and renames it over the destination, so a crash mid-save leaves
/// the previous checkpoint intact. Loading checks length, magic, version,
/// checksum, kind, family and sizes before building anything.
public enum Checkpoint {
  public static let formatVersion: UInt32 = 1
  static let magic = Array("SWPGCKPT".utf8)
  public enum Kind: UInt32, Sendable {
    case policy = 1
    case value = 2
    /// A policy-gradient learner's whole training state (family: the algorithm).
    case learner = 3
  }

  /// The decoded contents.
  public struct Contents: Sendable, Equatable {
    public var kind: Kind
    public var family: UInt32
    public var specification: [Double]
    public var parameters: [Double]
  }

  static let maxBytes = 1 << 31

  public static func fnv1a64(_ bytes: ArraySlice<UInt8>) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes {
      h ^= UInt64(b)
      h = h &* 0x0000_0100_0000_01b3
    }
    return h
  }

  public static func encode(_ c: Contents) -> [UInt8] {
    var out = magic
    func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
    func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
    u32(formatVersion)
    u32(c.kind.rawValue)
    u32(c.family)
    u32(UInt32(c.specification.count))
    for v in c.specification { u64(v.bitPattern) }
    u64(UInt64(c.parameters.count))
    for v in c.parameters { u64(v.bitPattern) }
    u64(fnv1a64(out[...]))
    return out
  }

  public static func decode(_ bytes: [UInt8]) throws(SwiftPGError) -> Contents {
    func fail(_ why: String) -> SwiftPGError { SwiftPGError(.badFormat, "not a valid swiftpg checkpoint: \(why)") }
    guard bytes.count >= magic.count + 4 * 4 + 8 + 8 else { throw fail("file too short (\(bytes.count) bytes)") }
    guard Array(bytes[0..<magic.count]) == magic else { throw fail("wrong magic number") }
    var at = magic.count
    func u32() -> UInt32 {
      var v: UInt32 = 0
      for i in 0..<4 { v |= UInt32(bytes[at + i]) << (8 * i) }
      at += 4
      return v
    }
    func u64() -> UInt64 {
      var v: UInt64 = 0
      for i in 0..<8 { v |= UInt64(bytes[at + i]) << (8 * i) }
      at += 8
      return v
    }
    let version = u32()
    guard version == formatVersion else {
      throw fail("format version \(version); this library reads version \(formatVersion)")
    }
    let storedChecksum: UInt64 = {
      var v: UInt64 = 0
      for i in 0..<8 { v |= UInt64(bytes[bytes.count - 8 + i]) << (8 * i) }
      return v
    }()
    guard fnv1a64(bytes[0..<(bytes.count - 8)]) == storedChecksum else {
      throw fail("checksum mismatch (the file is corrupted or truncated)")
    }
    guard let kind = Kind(rawValue: u32()) else { throw fail("unknown object kind") }
    let family = u32()
    let n = Int(u32())
    guard n <= 256, at + 8 * n + 8 <= bytes.count - 8 else { throw fail("bad specification length \(n)") }
    let spec = (0..<n).map { _ in Double(bitPattern: u64()) }
    let m64 = u64()
    guard m64 <= UInt64(bytes.count), at + 8 * Int(m64) == bytes.count - 8 else {
      throw fail("the parameter count \(m64) does not match the file length")
    }
    let params = (0..<Int(m64)).map { _ in Double(bitPattern: u64()) }
    return Contents(kind: kind, family: family, specification: spec, parameters: params)
  }

  private static let counter = Atomic<Int>(0)

  /// Writes `bytes` to `path` atomically (temporary file + fsync + rename).
  public static func write(_ bytes: [UInt8], to path: String) throws(SwiftPGError) {
    try require(!path.isEmpty, "the checkpoint path is empty")
    let serial = counter.add(1, ordering: .relaxed).newValue
    let temporary = "\(path).tmp-\(getpid())-\(serial)"
    guard let file = fopen(temporary, "wb") else {
      throw SwiftPGError(.io, "cannot create \(temporary): \(errorText())")
    }
    let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, bytes.count, file) }
    let flushed = fflush(file) == 0 && fsync(fileno(file)) == 0
    let closed = fclose(file) == 0
    guard written == bytes.count, flushed, closed else {
      let why = errorText()
      unlink(temporary)
      throw SwiftPGError(.io, "cannot write \(temporary): \(why)")
    }
    guard rename(temporary, path) == 0 else {
      let why = errorText()
      unlink(temporary)
      throw SwiftPGError(.io, "cannot move the checkpoint to \(path): \(why)")
    }
  }

  public static func read(_ path: String) throws(SwiftPGError) -> [UInt8] {
    guard let file = fopen(path, "rb") else { throw SwiftPGError(.io, "cannot open \(path): \(errorText())") }
    defer { fclose(file) }
    guard fseek(file, 0, SEEK_END) == 0 else { throw SwiftPGError(.io, "cannot read \(path): \(errorText())") }
    let size = ftell(file)
    guard size >= 0, size <= maxBytes else { throw SwiftPGError(.badFormat, "\(path) is too large to be a checkpoint") }
    rewind(file)
    var bytes = [UInt8](repeating: 0, count: size)
    let got = bytes.withUnsafeMutableBytes { fread($0.baseAddress, 1, size, file) }
    guard got == size else { throw SwiftPGError(.io, "cannot read \(path): short read") }
    return bytes
  }

  private static func errorText() -> String { String(cString: strerror(errno)) }

  // MARK: Policies and value functions

  public static func save(_ policy: any Policy, to path: String) throws(SwiftPGError) {
    try write(
      encode(
        Contents(
          kind: .policy, family: UInt32(policy.family.rawValue), specification: policy.specification,
          parameters: policy.parameters)), to: path)
  }

  public static func save(_ value: ValueFunction, to path: String) throws(SwiftPGError) {
    try write(
      encode(
        Contents(
          kind: .value, family: UInt32(value.kind.rawValue), specification: value.specification,
          parameters: value.parameters)), to: path)
  }

  /// A whole number in [low, high] from a specification entry.
  /// A counter stored as a double (iteration, steps, Adam's t…) as an Int,
  /// refusing what `Int(_:)` would trap on (NaN, ±∞, out of range) or what
  /// is not a whole non-negative number below 2^53.
  static func count(_ x: Double, _ what: String) throws(SwiftPGError) -> Int {
    guard x.isFinite, x >= 0, x <= 9_007_199_254_740_992, x.rounded() == x else {
      throw SwiftPGError(.badFormat, "not a valid swiftpg checkpoint: \(what) is \(x)")
    }
    return Int(x)
  }

  static func size(_ spec: [Double], _ i: Int, _ low: Int, _ high: Int) throws(SwiftPGError) -> Int {
    guard i < spec.count, spec[i].rounded() == spec[i], spec[i] >= Double(low), spec[i] <= Double(high) else {
      throw SwiftPGError(.badFormat, "not a valid swiftpg checkpoint: specification entry \(i) is out of range")
    }
    return Int(spec[i])
  }

  static func hiddenSizes(_ spec: [Double], countAt i: Int) throws(SwiftPGError) -> [Int] {
    let n = try size(spec, i, 0, 64)
    guard spec.count == i + 1 + n else {
      throw SwiftPGError(.badFormat, "not a valid swiftpg checkpoint: specification length")
    }
    var out: [Int] = []
    for k in 0..<n { out.append(try size(spec, i + 1 + k, 1, MLP.maxLayerSize)) }
    return out
  }

  static func activation(_ spec: [Double], _ i: Int) throws(SwiftPGError) -> Activation {
    guard let a = Activation(rawValue: Int32(try size(spec, i, 0, 1))) else {
      throw SwiftPGError(.badFormat, "not a valid swiftpg checkpoint: activation")
    }
    return a
  }

  public static func loadPolicy(_ path: String) throws(SwiftPGError) -> any Policy {
    let c = try decode(read(path))
    guard c.kind == .policy else { throw SwiftPGError(.badFormat, "\(path) holds a value function, not a policy") }
    let s = c.specification
    let policy: any Policy
    switch PolicyFamily(rawValue: Int32(truncatingIfNeeded: c.family)) {
    case .softmaxMLP:
      policy = try SoftmaxPolicy(
        observationSize: try size(s, 0, 1, MLP.maxLayerSize), actionCount: try size(s, 1, 2, MLP.maxLayerSize),
        hidden: try hiddenSizes(s, countAt: 3), activation: try activation(s, 2))
    case .tabularSoftmax:
      policy = CategoricalPolicy(
        model: try TabularLogits(stateCount: try size(s, 0, 1, 1 << 20), actionCount: try size(s, 1, 2, 1 << 16)))
    case .linearFeatures:
      policy = CategoricalPolicy(
        model: try FeatureLogits(featureSize: try size(s, 0, 1, 1 << 20), actionCount: try size(s, 1, 2, 1 << 16)))
    case .gaussian:
      guard let std = GaussianPolicy.Std(rawValue: try size(s, 3, 0, 2)) else {
        throw SwiftPGError(.badFormat, "not a valid swiftpg checkpoint: Gaussian std mode")
      }
      // gSDE appends its noise interval after the hidden sizes.
      let layout = std == .gsde ? Array(s.dropLast()) : s
      policy = try GaussianPolicy(
        observationSize: try size(s, 0, 1, MLP.maxLayerSize), actionSize: try size(s, 1, 1, 1 << 12),
        hidden: try hiddenSizes(layout, countAt: 4), activation: try activation(s, 2), std: std,
        noiseInterval: std == .gsde ? try size(s, s.count - 1, 1, 1 << 30) : 4)
    case .clamp:
      policy = try ClampPolicy()
    case nil:
      throw SwiftPGError(.badFormat, "\(path) holds an unknown policy family \(c.family)")
    }
    guard c.parameters.count == policy.parameterCount else {
      throw SwiftPGError(.badFormat, "\(path): \(c.parameters.count) parameters for a policy that has \(policy.parameterCount)")
    }
    try policy.setParameters(c.parameters)
    return policy
  }

  public static func loadValueFunction(_ path: String) throws(SwiftPGError) -> ValueFunction {
    let c = try decode(read(path))
    guard c.kind == .value else { throw SwiftPGError(.badFormat, "\(path) holds a policy, not a value function") }
    let s = c.specification
    let value: ValueFunction
    switch ValueFunction.Kind(rawValue: Int32(truncatingIfNeeded: c.family)) {
    case .mlp:
      value = try ValueFunction(
        observationSize: try size(s, 0, 1, MLP.maxLayerSize), hidden: try hiddenSizes(s, countAt: 2),
        activation: try activation(s, 1))
    case .tabular:
      value = try ValueFunction(tabularStates: try size(s, 0, 1, 1 << 24))
    case nil:
      throw SwiftPGError(.badFormat, "\(path) holds an unknown value-function kind \(c.family)")
    }
    guard c.parameters.count == value.parameterCount else {
      throw SwiftPGError(.badFormat, "\(path): \(c.parameters.count) parameters for a value function that has \(value.parameterCount)")
    }
    try value.setParameters(c.parameters)
    return value
  }
}
