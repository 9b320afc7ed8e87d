/// The one serialisation of swiftpg objects: *bundles* of named, typed
/// fields, used by learner checkpoints, in-memory copies (Python pickling)
/// and whatever later needs an object's whole state.
///
/// A bundle is the checkpoint container of `Checkpoint` with format version
/// 2 and a record for its body (policy and value files of format version 1
/// are still written by `Checkpoint.save` and read everywhere):
///
///     "SWPGCKPT" | u32 format version (2) | u32 kind | record | u64 FNV-1a 64
///
/// `kind` says what the bundle holds (`Checkpoint.Kind`: 1 policy, 2 value
/// function, 3 learner, 4 environment, 5 sequence policy, 6 reward model;
/// kinds are appended, never renumbered). A record is an ordered list of
/// uniquely named fields (`u32 count`, then per field: `u8` name length
/// 1…64, the name in `[a-z0-9_]`, `u8` type tag, the value); values are
/// little-endian: 1 int (i64), 2 uint (u64), 3 double (f64), 4 bool (u8 0
/// or 1), 5 text (u32 length ≤ 2^24, UTF-8), 6 doubles / 7 ints / 8 words
/// (u64 count, then 8-byte elements), 9 record, 10 records (u32 count, then
/// records); records nest at most 8 deep.
///
/// Each top-level section (`config`, `policy`, `critic`, `environment`,
/// `learner`, …) carries its own `version` field, so one part can change
/// without invalidating the others; a reader refuses a missing field, an
/// unknown field, a field of another type or a section version it does not
/// read, naming the field and the versions (`RecordReader`). Decoding never
/// allocates more than the bytes it was given can back, and never traps.
public enum RecordValue: Sendable, Equatable {
  case int(Int64)
  case uint(UInt64)
  case double(Double)
  case bool(Bool)
  case text(String)
  case doubles([Double])
  case ints([Int64])
  case words([UInt64])
  case record(Record)
  case records([Record])

  var tag: UInt8 {
    switch self {
    case .int: 1
    case .uint: 2
    case .double: 3
    case .bool: 4
    case .text: 5
    case .doubles: 6
    case .ints: 7
    case .words: 8
    case .record: 9
    case .records: 10
    }
  }

  static func typeName(_ tag: UInt8) -> String {
    switch tag {
    case 1: "an int"
    case 2: "a uint"
    case 3: "a double"
    case 4: "a bool"
    case 5: "a text"
    case 6: "a double array"
    case 7: "an int array"
    case 8: "a word array"
    case 9: "a record"
    case 10: "a record list"
    default: "type \(tag)"
    }
  }

  public static func == (a: RecordValue, b: RecordValue) -> Bool {
    switch (a, b) {
    case (.int(let x), .int(let y)): x == y
    case (.uint(let x), .uint(let y)): x == y
    case (.double(let x), .double(let y)): x.bitPattern == y.bitPattern
    case (.bool(let x), .bool(let y)): x == y
    case (.text(let x), .text(let y)): x == y
    case (.doubles(let x), .doubles(let y)): x.map(\.bitPattern) == y.map(\.bitPattern)
    case (.ints(let x), .ints(let y)): x == y
    case (.words(let x), .words(let y)): x == y
    case (.record(let x), .record(let y)): x == y
    case (.records(let x), .records(let y)): x == y
    default: false
    }
  }
}

/// An ordered list of uniquely named fields.
public struct Record: Sendable, Equatable {
  public struct Field: Sendable, Equatable {
    public var name: String
    public var value: RecordValue
  }
  public private(set) var fields: [Field] = []

  public init() {}

  /// Sets field `name` (appended, or replaced in place).
  public mutating func set(_ name: String, _ value: RecordValue) {
    if let i = fields.firstIndex(where: { $0.name == name }) {
      fields[i].value = value
    } else {
      fields.append(Field(name: name, value: value))
    }
  }

  public subscript(name: String) -> RecordValue? { fields.first { $0.name == name }?.value }

  public mutating func remove(_ name: String) { fields.removeAll { $0.name == name } }

  // Typed setters, so that writers read as a list of fields.
  public mutating func set(_ name: String, int v: Int) { set(name, .int(Int64(v))) }
  public mutating func set(_ name: String, double v: Double) { set(name, .double(v)) }
  public mutating func set(_ name: String, bool v: Bool) { set(name, .bool(v)) }
  public mutating func set(_ name: String, text v: String) { set(name, .text(v)) }
  public mutating func set(_ name: String, doubles v: [Double]) { set(name, .doubles(v)) }
  public mutating func set(_ name: String, ints v: [Int]) { set(name, .ints(v.map { Int64($0) })) }
  public mutating func set(_ name: String, generator g: PCG64) { set(name, .words(g.words)) }
  public mutating func set(_ name: String, generators g: [PCG64]) { set(name, .words(g.flatMap(\.words))) }
  public mutating func set(_ name: String, record r: Record) { set(name, .record(r)) }
}

/// A bundle: what it holds and its record.
public struct Bundle: Sendable, Equatable {
  /// The format version of bundles (the container's version field).
  public static let formatVersion: UInt32 = 2
  public var kind: Checkpoint.Kind
  public var record: Record

  public init(kind: Checkpoint.Kind, record: Record) {
    self.kind = kind
    self.record = record
  }

  static let maxNameLength = 64
  static let maxDepth = 8
  static let maxTextBytes = 1 << 24

  // MARK: Encoding

  public func encode() -> [UInt8] {
    var w = ByteWriter()
    w.bytes(Checkpoint.magic)
    w.u32(Self.formatVersion)
    w.u32(kind.rawValue)
    w.record(record)
    w.u64(Checkpoint.fnv1a64(w.out[...]))
    return w.out
  }

  // MARK: Decoding

  /// Decodes a bundle, checking length, magic, version, checksum, kind and
  /// the record's structure. `source` names the file (or "the bytes") in
  /// messages.
  public static func decode(_ bytes: [UInt8], source: String = "the bytes") throws(SwiftPGError) -> Bundle {
    func fail(_ why: String) -> SwiftPGError {
      SwiftPGError(.badFormat, "not a valid swiftpg checkpoint: \(source): \(why)")
    }
    let minimum = Checkpoint.magic.count + 4 + 4 + 4 + 8
    guard bytes.count >= minimum else { throw fail("too short (\(bytes.count) bytes)") }
    guard Array(bytes[0..<Checkpoint.magic.count]) == Checkpoint.magic else { throw fail("wrong magic number") }
    var r = ByteReader(bytes: bytes, end: bytes.count - 8, source: source)
    r.at = Checkpoint.magic.count
    let version = try r.u32()
    guard version == formatVersion else {
      throw fail(
        "format version \(version)"
          + (version == 1 ? " (a single policy, value function or 0.1-style learner file)" : "")
          + "; a bundle has format version \(formatVersion)"
          + (version > formatVersion ? " (written by a newer swiftpg)" : ""))
    }
    var stored: UInt64 = 0
    for i in 0..<8 { stored |= UInt64(bytes[bytes.count - 8 + i]) << (8 * i) }
    guard Checkpoint.fnv1a64(bytes[0..<(bytes.count - 8)]) == stored else {
      throw fail("checksum mismatch (the file is corrupted or truncated)")
    }
    let rawKind = try r.u32()
    guard let kind = Checkpoint.Kind(rawValue: rawKind) else { throw fail("unknown object kind \(rawKind)") }
    let record = try r.record(depth: 0)
    guard r.at == r.end else { throw fail("\(r.end - r.at) unexpected bytes after the record") }
    return Bundle(kind: kind, record: record)
  }

  // MARK: One object

  /// The bytes of a bundle of `kind` whose one section `section` is `record`.
  static func encode(_ kind: Checkpoint.Kind, section: String, _ record: Record) -> [UInt8] {
    var r = Record()
    r.set(section, record: record)
    return Bundle(kind: kind, record: r).encode()
  }

  /// Decodes `bytes` (`decode`) and reads its record, refusing a bundle of
  /// any kind but `kinds` (`.badFormat`: "<source> holds …, not <noun>").
  static func reader(
    _ bytes: [UInt8], source: String, kinds: Set<Checkpoint.Kind>, holding noun: String
  ) throws(SwiftPGError) -> (kind: Checkpoint.Kind, root: RecordReader) {
    let bundle = try decode(bytes, source: source)
    guard kinds.contains(bundle.kind) else {
      throw SwiftPGError(.badFormat, "\(source) holds \(bundle.kind.described), not \(noun)")
    }
    return (bundle.kind, RecordReader(bundle.record, context: source))
  }

  /// The object of a bundle of `kind` that holds one section, `section`,
  /// and nothing else, built by `make`.
  static func decodeSection<T>(
    _ bytes: [UInt8], source: String, kind: Checkpoint.Kind, section: String, holding noun: String,
    _ make: (RecordReader) throws(SwiftPGError) -> T
  ) throws(SwiftPGError) -> T {
    let root = try reader(bytes, source: source, kinds: [kind], holding: noun).root
    let object = try make(try root.record(section))
    try root.finish()
    return object
  }
}

/// The format version of a checkpoint's bytes, when they start with the magic.
extension Checkpoint {
  public static func formatVersion(of bytes: [UInt8]) -> UInt32? {
    guard bytes.count >= magic.count + 4, Array(bytes[0..<magic.count]) == magic else { return nil }
    var v: UInt32 = 0
    for i in 0..<4 { v |= UInt32(bytes[magic.count + i]) << (8 * i) }
    return v
  }
}

struct ByteWriter {
  var out: [UInt8] = []

  mutating func bytes(_ b: [UInt8]) { out.append(contentsOf: b) }
  mutating func u8(_ v: UInt8) { out.append(v) }
  mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
  mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }

  mutating func record(_ r: Record) {
    u32(UInt32(truncatingIfNeeded: r.fields.count))
    for f in r.fields {
      let name = Array(f.name.utf8)
      u8(UInt8(truncatingIfNeeded: name.count))
      bytes(name)
      u8(f.value.tag)
      value(f.value)
    }
  }

  mutating func value(_ v: RecordValue) {
    switch v {
    case .int(let x): u64(UInt64(bitPattern: x))
    case .uint(let x): u64(x)
    case .double(let x): u64(x.bitPattern)
    case .bool(let x): u8(x ? 1 : 0)
    case .text(let s):
      let b = Array(s.utf8)
      u32(UInt32(truncatingIfNeeded: b.count))
      bytes(b)
    case .doubles(let a):
      u64(UInt64(a.count))
      out.reserveCapacity(out.count + 8 * a.count)
      for x in a { u64(x.bitPattern) }
    case .ints(let a):
      u64(UInt64(a.count))
      for x in a { u64(UInt64(bitPattern: x)) }
    case .words(let a):
      u64(UInt64(a.count))
      for x in a { u64(x) }
    case .record(let r): record(r)
    case .records(let rs):
      u32(UInt32(truncatingIfNeeded: rs.count))
      for r in rs { record(r) }
    }
  }
}

/// Bounds-checked reads of `bytes[at..<end]`; every count is checked
/// against the bytes left before anything is allocated.
struct ByteReader {
  let bytes: [UInt8]
  let end: Int
  let source: String
  var at = 0

  init(bytes: [UInt8], end: Int, source: String) {
    self.bytes = bytes
    self.end = end
    self.source = source
  }

  func fail(_ why: String) -> SwiftPGError {
    SwiftPGError(.badFormat, "not a valid swiftpg checkpoint: \(source): \(why)")
  }

  mutating func need(_ n: Int, _ what: String) throws(SwiftPGError) {
    guard n >= 0, n <= end - at else { throw fail("truncated \(what) at byte \(at)") }
  }

  mutating func u8() throws(SwiftPGError) -> UInt8 {
    try need(1, "byte")
    defer { at += 1 }
    return bytes[at]
  }

  /// The next `n` (≤ 8) bytes as a little-endian number.
  mutating func littleEndian(_ n: Int) throws(SwiftPGError) -> UInt64 {
    try need(n, "number")
    var v: UInt64 = 0
    for i in 0..<n { v |= UInt64(bytes[at + i]) << (8 * i) }
    at += n
    return v
  }

  mutating func u32() throws(SwiftPGError) -> UInt32 { UInt32(truncatingIfNeeded: try littleEndian(4)) }
  mutating func u64() throws(SwiftPGError) -> UInt64 { try littleEndian(8) }

  /// An array field's 8-byte words (its count first).
  mutating func words(_ name: String) throws(SwiftPGError) -> [UInt64] {
    let n = try count8("field '\(name)'")
    var a = [UInt64]()
    a.reserveCapacity(n)
    for _ in 0..<n { a.append(try u64()) }
    return a
  }

  /// An element count of 8-byte values, checked against the bytes left.
  mutating func count8(_ what: String) throws(SwiftPGError) -> Int {
    let n = try u64()
    guard n <= UInt64(end - at) / 8 else { throw fail("\(what) declares \(n) elements, more than the bytes left") }
    return Int(n)
  }

  mutating func record(depth: Int) throws(SwiftPGError) -> Record {
    guard depth < Bundle.maxDepth else { throw fail("records nested deeper than \(Bundle.maxDepth)") }
    let n = try u32()
    // Each field takes at least 3 bytes (name length, a name byte, a tag).
    guard UInt64(n) * 3 <= UInt64(end - at) else { throw fail("a record declares \(n) fields, more than the bytes left") }
    var r = Record()
    var names = Set<String>()
    for _ in 0..<Int(n) {
      let length = Int(try u8())
      guard length >= 1, length <= Bundle.maxNameLength else { throw fail("a field name of \(length) bytes") }
      try need(length, "field name")
      let raw = bytes[at..<(at + length)]
      at += length
      guard raw.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }) else {
        throw fail("a field name with characters outside [a-z0-9_]")
      }
      let name = String(decoding: raw, as: UTF8.self)
      guard names.insert(name).inserted else { throw fail("field '\(name)' appears twice") }
      let tag = try u8()
      r.set(name, try value(tag: tag, name: name, depth: depth))
    }
    return r
  }

  mutating func value(tag: UInt8, name: String, depth: Int) throws(SwiftPGError) -> RecordValue {
    switch tag {
    case 1: return .int(Int64(bitPattern: try u64()))
    case 2: return .uint(try u64())
    case 3: return .double(Double(bitPattern: try u64()))
    case 4:
      let b = try u8()
      guard b <= 1 else { throw fail("field '\(name)': a bool stored as \(b)") }
      return .bool(b == 1)
    case 5:
      let n = Int(try u32())
      guard n <= Bundle.maxTextBytes else { throw fail("field '\(name)': a text of \(n) bytes") }
      try need(n, "text")
      guard let s = String(validating: bytes[at..<(at + n)], as: UTF8.self) else {
        throw fail("field '\(name)': text that is not UTF-8")
      }
      at += n
      return .text(s)
    case 6: return .doubles(try words(name).map { Double(bitPattern: $0) })
    case 7: return .ints(try words(name).map { Int64(bitPattern: $0) })
    case 8: return .words(try words(name))
    case 9: return .record(try record(depth: depth + 1))
    case 10:
      let n = try u32()
      // An empty record takes 4 bytes.
      guard UInt64(n) * 4 <= UInt64(end - at) else {
        throw fail("field '\(name)' declares \(n) records, more than the bytes left")
      }
      var rs: [Record] = []
      for _ in 0..<Int(n) { rs.append(try record(depth: depth + 1)) }
      return .records(rs)
    default:
      throw fail("field '\(name)' has unknown type tag \(tag)")
    }
  }
}

/// Typed, checked reads of a record, naming the field and where it is on
/// every error (`.badFormat`). Reads are remembered, so `finish()` can
/// refuse fields the reader does not know (from a newer swiftpg, or damage).
public final class RecordReader {
  public let record: Record
  /// Where the record is: "<file>: section 'learner', field 'policy_optimizer'".
  public let context: String
  private var used = Set<String>()

  public init(_ record: Record, context: String) {
    self.record = record
    self.context = context
  }

  public func fail(_ why: String) -> SwiftPGError {
    SwiftPGError(.badFormat, "not a valid swiftpg checkpoint: \(context): \(why)")
  }

  public func has(_ name: String) -> Bool {
    used.insert(name)
    return record[name] != nil
  }

  /// The raw value of a required field.
  public func value(_ name: String) throws(SwiftPGError) -> RecordValue {
    used.insert(name)
    guard let v = record[name] else { throw fail("field '\(name)' is missing") }
    return v
  }

  private func wrong(_ name: String, _ v: RecordValue, _ expected: String) -> SwiftPGError {
    fail("field '\(name)' is \(RecordValue.typeName(v.tag)), expected \(expected)")
  }

  public func int(_ name: String) throws(SwiftPGError) -> Int64 {
    let v = try value(name)
    guard case .int(let x) = v else { throw wrong(name, v, "an int") }
    return x
  }

  /// An int field in `range`, as an Int.
  public func int(_ name: String, in range: ClosedRange<Int64>) throws(SwiftPGError) -> Int {
    let x = try int(name)
    guard range.contains(x) else {
      throw fail("field '\(name)' is \(x), outside [\(range.lowerBound), \(range.upperBound)]")
    }
    return Int(x)
  }

  /// Field `name` through `extract` (nil: the field has another type,
  /// refused naming `expected`).
  func typed<T>(_ name: String, _ expected: String, _ extract: (RecordValue) -> T?) throws(SwiftPGError) -> T {
    let v = try value(name)
    guard let x = extract(v) else { throw wrong(name, v, expected) }
    return x
  }

  public func uint(_ name: String) throws(SwiftPGError) -> UInt64 {
    try typed(name, "a uint") { if case .uint(let x) = $0 { x } else { nil } }
  }

  public func double(_ name: String) throws(SwiftPGError) -> Double {
    try typed(name, "a double") { if case .double(let x) = $0 { x } else { nil } }
  }

  public func finiteDouble(_ name: String) throws(SwiftPGError) -> Double {
    let x = try double(name)
    guard x.isFinite else { throw fail("field '\(name)' is \(x); it must be finite") }
    return x
  }

  public func bool(_ name: String) throws(SwiftPGError) -> Bool {
    try typed(name, "a bool") { if case .bool(let x) = $0 { x } else { nil } }
  }

  public func text(_ name: String) throws(SwiftPGError) -> String {
    try typed(name, "a text") { if case .text(let x) = $0 { x } else { nil } }
  }

  /// A double array, of exactly `count` elements when given, all finite
  /// when `finite`.
  public func doubles(_ name: String, count: Int? = nil, finite: Bool = true) throws(SwiftPGError) -> [Double] {
    let v = try value(name)
    guard case .doubles(let x) = v else { throw wrong(name, v, "a double array") }
    if let count, x.count != count { throw fail("field '\(name)' has \(x.count) values, expected \(count)") }
    if finite, let i = x.firstIndex(where: { !$0.isFinite }) {
      throw fail("field '\(name)'[\(i)] is \(x[i]); values must be finite")
    }
    return x
  }

  /// An int array, of exactly `count` elements when given, each in `range`.
  public func ints(_ name: String, count: Int? = nil, in range: ClosedRange<Int64>) throws(SwiftPGError) -> [Int] {
    let v = try value(name)
    guard case .ints(let x) = v else { throw wrong(name, v, "an int array") }
    if let count, x.count != count { throw fail("field '\(name)' has \(x.count) values, expected \(count)") }
    if let i = x.firstIndex(where: { !range.contains($0) }) {
      throw fail("field '\(name)'[\(i)] is \(x[i]), outside [\(range.lowerBound), \(range.upperBound)]")
    }
    return x.map { Int($0) }
  }

  public func words(_ name: String, count: Int? = nil) throws(SwiftPGError) -> [UInt64] {
    let v = try value(name)
    guard case .words(let x) = v else { throw wrong(name, v, "a word array") }
    if let count, x.count != count { throw fail("field '\(name)' has \(x.count) words, expected \(count)") }
    return x
  }

  public func generator(_ name: String) throws(SwiftPGError) -> PCG64 {
    PCG64(words: try words(name, count: 4)[...])
  }

  /// `count` generators stored one after another (four words each).
  public func generators(_ name: String, count: Int) throws(SwiftPGError) -> [PCG64] {
    let w = try words(name)
    guard w.count == 4 * count else { throw fail("field '\(name)' holds \(w.count / 4) generators, expected \(count)") }
    return (0..<count).map { PCG64(words: w[(4 * $0)..<(4 * $0 + 4)]) }
  }

  public func record(_ name: String) throws(SwiftPGError) -> RecordReader {
    let v = try value(name)
    guard case .record(let r) = v else { throw wrong(name, v, "a record") }
    return RecordReader(r, context: "\(context).\(name)")
  }

  public func optionalRecord(_ name: String) throws(SwiftPGError) -> RecordReader? {
    has(name) ? try record(name) : nil
  }

  public func records(_ name: String) throws(SwiftPGError) -> [RecordReader] {
    let v = try value(name)
    guard case .records(let rs) = v else { throw wrong(name, v, "a record list") }
    return rs.enumerated().map { RecordReader($0.element, context: "\(context).\(name)[\($0.offset)]") }
  }

  /// Reads the section's `version` and refuses any other than `expected`.
  public func requireVersion(_ expected: Int64, _ what: String) throws(SwiftPGError) {
    let v = try int("version")
    guard v == expected else {
      throw fail(
        "\(what) version \(v); this library reads version \(expected)"
          + (v > expected ? " (the file was written by a newer swiftpg)" : ""))
    }
  }

  /// Refuses fields that were never read (unknown to this library).
  public func finish() throws(SwiftPGError) {
    let unknown = record.fields.map(\.name).filter { !used.contains($0) }
    guard unknown.isEmpty else {
      throw fail("unknown field(s) \(unknown.map { "'\($0)'" }.joined(separator: ", ")) (written by a newer swiftpg?)")
    }
  }
}

extension PCG64 {
  /// State and increment as four 64-bit words (high, low, high, low).
  public var words: [UInt64] {
    [
      UInt64(truncatingIfNeeded: state >> 64), UInt64(truncatingIfNeeded: state),
      UInt64(truncatingIfNeeded: increment >> 64), UInt64(truncatingIfNeeded: increment),
    ]
  }

  /// The generator of `words` (four of them; fewer give a zero state).
  public init(words w: ArraySlice<UInt64>) {
    let v = Array(w) + Array(repeating: 0, count: Swift.max(0, 4 - w.count))
    self.init(rawState: UInt128(v[0]) << 64 | UInt128(v[1]), increment: UInt128(v[2]) << 64 | UInt128(v[3]))
  }
}

extension RecordReader {
  /// The fields every section of a network-holding model starts with: its
  /// family (in the field `familyField`), its specification (at most
  /// `specificationLimit` numbers: 256 for policies and value functions;
  /// the sequence policies' and reward models' carry data tables, bounded
  /// only by the bytes), its parameters and the network precision (32 or 64).
  func modelFields(_ kind: Checkpoint.Kind, familyField: String, specificationLimit: Int = 256) throws(SwiftPGError)
    -> (Checkpoint.Contents, MLP.Precision)
  {
    let family = try int(familyField, in: 0...Int64(UInt32.max))
    let specification = try doubles("specification", finite: false)
    guard specification.count <= specificationLimit else {
      throw fail("the specification has \(specification.count) entries")
    }
    let parameters = try doubles("parameters")
    guard let precision = MLP.Precision(rawValue: Int32(try int("precision", in: 0...64))) else {
      throw fail("field 'precision' must be 32 or 64")
    }
    return (
      Checkpoint.Contents(kind: kind, family: UInt32(family), specification: specification, parameters: parameters),
      precision
    )
  }
}

extension Record {
  /// A model section's first fields, read back by `RecordReader.modelFields`:
  /// version, family (in `familyField`), specification, parameters and the
  /// network precision (64 without a network).
  static func model(
    version: Int64, familyField: String, family: Int, specification: [Double], parameters: [Double],
    precision: MLP.Precision?
  ) -> Record {
    var r = Record()
    r.set("version", .int(version))
    r.set(familyField, int: family)
    r.set("specification", doubles: specification)
    r.set("parameters", doubles: parameters)
    r.set("precision", int: Int(precision?.rawValue ?? 64))
    return r
  }
}
