#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif
import Synchronization

/// Versioned binary checkpoints: the container, its safe file I/O, and the
/// single-object files of policies and value functions.
///
/// Format version 1 (little-endian): magic "SWPGCKPT"; u32 format version
/// (1); u32 object kind (1 policy, 2 value function; 3 the learner files of
/// 0.1 and the 0.2 pre-releases); u32 family; u32 n and n f64
/// specification numbers (sizes, activation, ...); u64 m and m f64
/// parameters; u64 FNV-1a 64 checksum of every preceding byte. Format
/// version 2 is a bundle of named, typed fields (`Serialization.swift`):
/// learners, environments, and policies and value functions with their
/// whole state; sequence policies and reward models exist only as bundles
/// (`SequencePolicyRecord`, `RewardModelRecord`). The loaders here read both
/// format versions.
///
/// Saving follows a symbolic link to its target, refuses a target that is
/// not a regular file, writes a uniquely named temporary file beside it
/// (exclusive creation), flushes it to disk (fsync) and renames it over the
/// target, so a crash mid-save leaves the previous checkpoint intact (see
/// `write(_:to:)`). Loading checks length, magic, version,
/// checksum, kind, family and sizes before building anything.
public enum Checkpoint {
  public static let formatVersion: UInt32 = 1
  static let magic = Array("SWPGCKPT".utf8)
  public enum Kind: UInt32, Sendable {
    case policy = 1
    case value = 2
    /// A policy-gradient learner's whole training state (format version 1:
    /// family = the algorithm; in a bundle: config, policy, critic,
    /// environment and learner state).
    case learner = 3
    /// An environment batch (bundles only): how to rebuild it and its state.
    case environment = 4
    /// A sequence policy of issue 15 (bundles only, `SequencePolicyRecord`).
    case sequencePolicy = 5
    /// A reward model of issue 15 (bundles only, `RewardModelRecord`).
    case rewardModel = 6
    /// An online RLHF learner's training state (bundles only, `OnlineLearnerRecord`).
    case onlineLearner = 7
    /// A policy or value network over board planes of issue 18 (bundles
    /// only, `BoardNetworkRecord`).
    case boardNetwork = 8
    /// A self-play learner's training state of issue 18 (bundles only,
    /// `SelfPlayLearnerRecord`): networks, iteration, opponent pool, Adam.
    case selfPlayLearner = 9

    var described: String {
      switch self {
      case .policy: "a policy"
      case .value: "a value function"
      case .learner: "a learner or policy search (load it with the learner's load)"
      case .environment: "an environment"
      case .sequencePolicy: "a sequence policy"
      case .rewardModel: "a reward model"
      case .onlineLearner: "an online RLHF learner"
      case .boardNetwork: "a board network"
      case .selfPlayLearner: "a self-play learner (load it with the learner's load)"
      }
    }
  }

  /// The decoded contents.
  public struct Contents: Sendable, Equatable {
    public var kind: Kind
    public var family: UInt32
    public var specification: [Double]
    public var parameters: [Double]

    /// Refuses contents of another architecture — family and
    /// specification, bit for bit — than the model they are loaded into
    /// (a "policy", a "value function"), naming both.
    func checkArchitecture(family f: UInt32, specification s: [Double], of noun: String, context: String)
      throws(SwiftPGError)
    {
      guard f == family, s.map(\.bitPattern) == specification.map(\.bitPattern) else {
        throw SwiftPGError(
          .badFormat,
          "\(context): the file's \(noun) (family \(family), specification \(specification)) has another "
            + "architecture than this one (family \(f), specification \(s))")
      }
    }
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
    guard bytes.count >= magic.count + 4 else { throw fail("file too short (\(bytes.count) bytes)") }
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
      throw fail(
        "format version \(version); this library reads version \(formatVersion) for single policies and value "
          + "functions and version \(Bundle.formatVersion) for bundles")
    }
    guard bytes.count >= magic.count + 4 * 4 + 8 + 8 else { throw fail("file too short (\(bytes.count) bytes)") }
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

  /// Writes `bytes` to `path` atomically:
  /// 1. a symbolic link at `path` is followed (up to 32 links) and its final
  ///    target is written, so the link stays a link;
  /// 2. a target that exists and is not a regular file (a directory, device,
  ///    FIFO, socket) is refused with `SWIFTPG_ERR_IO` and left untouched;
  /// 3. the bytes go to a new temporary file beside the target, created with
  ///    O_CREAT | O_EXCL | O_NOFOLLOW under a unique name (process id, a
  ///    counter and random bits — never a fixed `path.tmp` that an existing
  ///    file, link or concurrent save could hijack), flushed with fsync,
  ///    given the target's permissions when it exists, and renamed over the
  ///    target; the directory is then fsynced.
  /// A crash at any point leaves the previous checkpoint intact.
  public static func write(_ bytes: [UInt8], to path: String) throws(SwiftPGError) {
    try require(!path.isEmpty, "the checkpoint path is empty")
    try require(!path.utf8.contains(0), "the checkpoint path contains a NUL byte")
    let target = try resolveLinks(path)
    var existing = stat()
    let exists = stat(target, &existing) == 0
    if exists {
      guard existing.st_mode & S_IFMT == S_IFREG else {
        throw SwiftPGError(.io, "cannot save to \(path): it exists and is not a regular file")
      }
    }
    let directory = directoryOf(target)
    let base = target.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? target
    var descriptor: Int32 = -1
    var temporary = ""
    var attempts = 0
    while descriptor < 0 {
      let serial = counter.add(1, ordering: .relaxed).newValue
      let salt = String(UInt64.random(in: 0...UInt64.max), radix: 36)
      temporary = "\(directory)/.\(base).\(getpid())-\(serial)-\(salt).tmp"
      descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o666)
      if descriptor < 0 {
        attempts += 1
        guard errno == EEXIST, attempts < 16 else {
          throw SwiftPGError(.io, "cannot create a temporary file beside \(target): \(errorText())")
        }
      }
    }
    func fail(_ what: String) -> SwiftPGError {
      let why = errorText()
      unlink(temporary)
      return SwiftPGError(.io, "\(what): \(why)")
    }
    var written = 0
    let wroteAll: Bool = bytes.withUnsafeBytes { raw in
      guard let start = raw.baseAddress else { return true }
      while written < raw.count {
        let n = Glibc.write(descriptor, start + written, raw.count - written)
        if n < 0 {
          if errno == EINTR { continue }
          return false
        }
        written += n
      }
      return true
    }
    if exists { _ = fchmod(descriptor, existing.st_mode & 0o7777) }
    guard wroteAll, fsync(descriptor) == 0 else {
      close(descriptor)
      throw fail("cannot write \(temporary)")
    }
    guard close(descriptor) == 0 else { throw fail("cannot write \(temporary)") }
    guard rename(temporary, target) == 0 else { throw fail("cannot move the checkpoint to \(target)") }
    let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if directoryDescriptor >= 0 {
      _ = fsync(directoryDescriptor)
      close(directoryDescriptor)
    }
  }

  /// The directory part of a path ("." for a bare name, "/" for the root).
  static func directoryOf(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    let d = String(path[..<slash])
    return d.isEmpty ? "/" : d
  }

  /// Follows symbolic links at `path` (the last component only, repeatedly)
  /// and returns the path of the final target, which may not exist yet.
  static func resolveLinks(_ path: String) throws(SwiftPGError) -> String {
    var current = path
    for _ in 0..<32 {
      var info = stat()
      if lstat(current, &info) != 0 {
        if errno == ENOENT { return current }
        throw SwiftPGError(.io, "cannot save to \(path): \(errorText())")
      }
      guard info.st_mode & S_IFMT == S_IFLNK else { return current }
      var buffer = [CChar](repeating: 0, count: 4097)
      let n = readlink(current, &buffer, 4096)
      guard n > 0 else { throw SwiftPGError(.io, "cannot read the link \(current): \(errorText())") }
      let link = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
      current = link.hasPrefix("/") ? link : directoryOf(current) + "/" + link
    }
    throw SwiftPGError(.io, "cannot save to \(path): too many levels of symbolic links")
  }

  /// Reads a whole checkpoint file. Only a regular file of at most 2 GiB is
  /// read (a FIFO or device is refused without blocking).
  public static func read(_ path: String) throws(SwiftPGError) -> [UInt8] {
    try require(!path.utf8.contains(0), "the checkpoint path contains a NUL byte")
    let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard descriptor >= 0 else { throw SwiftPGError(.io, "cannot open \(path): \(errorText())") }
    defer { close(descriptor) }
    var info = stat()
    guard fstat(descriptor, &info) == 0 else { throw SwiftPGError(.io, "cannot read \(path): \(errorText())") }
    guard info.st_mode & S_IFMT == S_IFREG else {
      throw SwiftPGError(.io, "cannot read \(path): not a regular file")
    }
    let size = Int(info.st_size)
    guard size >= 0, size <= maxBytes else { throw SwiftPGError(.badFormat, "\(path) is too large to be a checkpoint") }
    var bytes = [UInt8](repeating: 0, count: size)
    var got = 0
    let ok: Bool = bytes.withUnsafeMutableBytes { raw in
      guard let start = raw.baseAddress else { return true }
      while got < size {
        let n = Glibc.read(descriptor, start + got, size - got)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return n == 0 }
        got += n
      }
      return true
    }
    guard ok else { throw SwiftPGError(.io, "cannot read \(path): \(errorText())") }
    guard got == size else { throw SwiftPGError(.io, "cannot read \(path): short read (the file changed)") }
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

  /// Runs `body`, turning its errors into format errors: what a file
  /// declares (sizes, optimiser and normaliser state) was refused by the
  /// constructor it was given to. Format errors pass through unchanged.
  static func formatError<T>(in path: String? = nil, _ body: () throws(SwiftPGError) -> T) throws(SwiftPGError) -> T {
    do { return try body() } catch {
      if error.code == .badFormat { throw error }
      throw SwiftPGError(.badFormat, "not a valid swiftpg checkpoint: \(path.map { "\($0): " } ?? "")\(error.message)")
    }
  }

  /// BAD_FORMAT unless the file stores exactly `expected` parameters.
  static func requireParameterCount(_ c: Contents, _ expected: Int, _ path: String, _ what: String)
    throws(SwiftPGError)
  {
    guard c.parameters.count == expected else {
      throw SwiftPGError(.badFormat, "\(path): \(c.parameters.count) parameters for \(what) that has \(expected)")
    }
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

  /// Loads a policy: a policy file (format version 1), a policy bundle, or
  /// the policy of a learner bundle (format version 2, with its sampling
  /// generator and network precision).
  public static func loadPolicy(_ path: String) throws(SwiftPGError) -> any Policy {
    try policy(bytes: try read(path), source: path)
  }

  /// The policy of checkpoint bytes (as `loadPolicy`; `source` names them).
  public static func policy(bytes: [UInt8], source path: String) throws(SwiftPGError) -> any Policy {
    if formatVersion(of: bytes) == Bundle.formatVersion {
      let root = try Bundle.reader(bytes, source: path, kinds: [.policy, .learner], holding: "a policy").root
      return try PolicyRecord.decode(try root.record("policy"))
    }
    let c = try decode(bytes)
    guard c.kind == .policy else { throw SwiftPGError(.badFormat, "\(path) holds \(c.kind.described), not a policy") }
    return try policy(from: c, source: path)
  }

  /// Builds the policy `c` describes (family, specification, parameters),
  /// checking the declared sizes against the stored parameter count before
  /// anything is allocated. `source` names the file in messages.
  static func policy(from c: Contents, source path: String) throws(SwiftPGError) -> any Policy {
    let s = c.specification
    // The declared sizes are checked against the stored parameter count
    // before the policy (and its memory) is built.
    func declared(_ expected: Int) throws(SwiftPGError) { try requireParameterCount(c, expected, path, "a policy") }
    let policy: any Policy
    switch PolicyFamily(rawValue: Int32(truncatingIfNeeded: c.family)) {
    case .softmaxMLP:
      let obs = try size(s, 0, 1, MLP.maxLayerSize)
      let actions = try size(s, 1, 2, MLP.maxLayerSize)
      let hidden = try hiddenSizes(s, countAt: 3)
      try declared(try formatError { () throws(SwiftPGError) in try MLP.parameterCount(sizes: [obs] + hidden + [actions]) })
      policy = try SoftmaxPolicy(observationSize: obs, actionCount: actions, hidden: hidden, activation: try activation(s, 2))
    case .factoredSoftmax:
      // The MLP's specification, then n_1 … n_K and K.
      let k = try size(s, Swift.max(0, s.count - 1), 1, 64)
      guard s.count > k + 1 else { throw SwiftPGError(.badFormat, "not a valid swiftpg checkpoint: specification length") }
      let layout = Array(s.prefix(s.count - k - 1))
      var factors: [Int] = []
      for i in 0..<k { factors.append(try size(s, layout.count + i, 1, MLP.maxLayerSize)) }
      let obs = try size(layout, 0, 1, MLP.maxLayerSize)
      let logits = try size(layout, 1, 2, MLP.maxLayerSize)
      let hidden = try hiddenSizes(layout, countAt: 3)
      try formatError { () throws(SwiftPGError) in try SoftmaxPolicy.checkFactors(factors, logitLimit: MLP.maxLayerSize) }
      guard factors.reduce(0, +) == logits else {
        throw SwiftPGError(.badFormat, "not a valid swiftpg checkpoint: factor sizes do not sum to the logit count")
      }
      try declared(try formatError { () throws(SwiftPGError) in try MLP.parameterCount(sizes: [obs] + hidden + [logits]) })
      policy = try SoftmaxPolicy(
        observationSize: obs, factorSizes: factors, hidden: hidden, activation: try activation(layout, 2))
    case .tabularSoftmax:
      let states = try size(s, 0, 1, 1 << 20)
      let actions = try size(s, 1, 2, 1 << 16)
      try declared(try formatError { () throws(SwiftPGError) in try Limits.product([states, actions], limit: 1 << 26, "S × A") })
      policy = CategoricalPolicy(model: try TabularLogits(stateCount: states, actionCount: actions))
    case .linearFeatures:
      let features = try size(s, 0, 1, 1 << 20)
      try declared(features)
      policy = CategoricalPolicy(model: try FeatureLogits(featureSize: features, actionCount: try size(s, 1, 2, 1 << 16)))
    case .gaussian:
      guard let std = GaussianPolicy.Std(rawValue: try size(s, 3, 0, 2)) else {
        throw SwiftPGError(.badFormat, "not a valid swiftpg checkpoint: Gaussian std mode")
      }
      // gSDE appends its noise interval after the hidden sizes.
      let layout = std == .gsde ? Array(s.dropLast()) : s
      let obs = try size(s, 0, 1, MLP.maxLayerSize)
      let k = try size(s, 1, 1, 1 << 12)
      let hidden = try hiddenSizes(layout, countAt: 4)
      try declared(
        try formatError { () throws(SwiftPGError) in
          try GaussianPolicy.parameterCount(observationSize: obs, actionSize: k, hidden: hidden, std: std)
        })
      policy = try GaussianPolicy(
        observationSize: obs, actionSize: k, hidden: hidden, activation: try activation(s, 2), std: std,
        noiseInterval: std == .gsde ? try size(s, s.count - 1, 1, 1 << 30) : 4)
    case .clamp:
      try declared(1)
      policy = try ClampPolicy()
    case nil:
      throw SwiftPGError(.badFormat, "\(path) holds an unknown policy family \(c.family)")
    }
    try declared(policy.parameterCount)
    try formatError { () throws(SwiftPGError) in try policy.setParameters(c.parameters) }
    return policy
  }

  /// Loads a value function: a value file (format version 1), a value
  /// bundle, or the critic of a learner bundle (format version 2).
  public static func loadValueFunction(_ path: String) throws(SwiftPGError) -> ValueFunction {
    try valueFunction(bytes: try read(path), source: path)
  }

  /// The value function of checkpoint bytes (as `loadValueFunction`).
  public static func valueFunction(bytes: [UInt8], source path: String) throws(SwiftPGError) -> ValueFunction {
    if formatVersion(of: bytes) == Bundle.formatVersion {
      let (kind, root) = try Bundle.reader(bytes, source: path, kinds: [.value, .learner], holding: "a value function")
      guard kind == .value || root.has("critic") else {
        throw SwiftPGError(.badFormat, "\(path) holds a learner without a critic")
      }
      return try ValueFunctionRecord.decode(try root.record("critic"))
    }
    let c = try decode(bytes)
    guard c.kind == .value else {
      throw SwiftPGError(.badFormat, "\(path) holds \(c.kind.described), not a value function")
    }
    return try valueFunction(from: c, source: path)
  }

  /// Builds the value function `c` describes (as `policy(from:source:)`).
  static func valueFunction(from c: Contents, source path: String) throws(SwiftPGError) -> ValueFunction {
    let s = c.specification
    func declared(_ expected: Int) throws(SwiftPGError) {
      try requireParameterCount(c, expected, path, "a value function")
    }
    let value: ValueFunction
    switch ValueFunction.Kind(rawValue: Int32(truncatingIfNeeded: c.family)) {
    case .mlp:
      let obs = try size(s, 0, 1, MLP.maxLayerSize)
      let hidden = try hiddenSizes(s, countAt: 2)
      try declared(try formatError { () throws(SwiftPGError) in try MLP.parameterCount(sizes: [obs] + hidden + [1]) })
      value = try ValueFunction(observationSize: obs, hidden: hidden, activation: try activation(s, 1))
    case .tabular:
      let states = try size(s, 0, 1, 1 << 24)
      try declared(states)
      value = try ValueFunction(tabularStates: states)
    case nil:
      throw SwiftPGError(.badFormat, "\(path) holds an unknown value-function kind \(c.family)")
    }
    guard c.parameters.count == value.parameterCount else {
      throw SwiftPGError(.badFormat, "\(path): \(c.parameters.count) parameters for a value function that has \(value.parameterCount)")
    }
    try formatError { () throws(SwiftPGError) in try value.setParameters(c.parameters) }
    return value
  }
}
