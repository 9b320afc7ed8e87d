import Testing

@testable import SwiftPG

/// The bundle format: every value type round-trips bit for bit; damaged,
/// truncated, foreign-version and structurally invalid bytes are refused
/// with `.badFormat` naming what is wrong; the reader names missing,
/// unknown and mistyped fields.
@Suite struct SerializationTests {
  static var sample: Record {
    var inner = Record()
    inner.set("x", .int(-3))
    inner.set("words", .words([0, .max, 7]))
    var r = Record()
    r.set("version", .int(1))
    r.set("count", .int(.min))
    r.set("seed", .uint(.max))
    r.set("rate", .double(-0.0))
    r.set("clip", .double(.infinity))
    r.set("on", .bool(true))
    r.set("id", .text("CartPole-v1 ∂"))
    r.set("values", .doubles([1.5, .nan, -.infinity, 5e-324]))
    r.set("counts", .ints([0, -1, .max]))
    r.set("empty", .doubles([]))
    r.set("nested", .record(inner))
    r.set("list", .records([inner, Record(), inner]))
    return r
  }

  static func rechecksum(_ body: [UInt8]) -> [UInt8] {
    var out = body
    withUnsafeBytes(of: Checkpoint.fnv1a64(body[...]).littleEndian) { out.append(contentsOf: $0) }
    return out
  }

  @Test func everyValueRoundTripsBitForBit() throws {
    let b = Bundle(kind: .environment, record: Self.sample)
    let bytes = b.encode()
    #expect(Checkpoint.formatVersion(of: bytes) == 2)
    let back = try Bundle.decode(bytes)
    #expect(back == b)
    #expect(back.encode() == bytes)
    // A PCG64 survives as four words, mid-stream.
    var g = PCG64(seed: 99)
    _ = g.next()
    var h = PCG64(words: g.words[...])
    #expect(h.next() == g.next())
  }

  @Test func damagedBytesAreRefused() throws {
    let good = Bundle(kind: .learner, record: Self.sample).encode()
    expectDamageRefused(good, lengthStride: 3, byteStride: 2, flip: 0x04) { _ = try Bundle.decode($0) }
    // Every byte of the body changed under a valid checksum: refused or a
    // different record, never a trap.
    for i in 8..<(good.count - 8) {
      for v: UInt8 in [0, 1, 0x7F, 0xFF] {
        var body = Array(good[0..<(good.count - 8)])
        body[i] = v
        do { _ = try Bundle.decode(Self.rechecksum(body)) } catch { #expect(error.code == .badFormat) }
      }
    }
  }

  func refusal(_ body: [UInt8]) -> String {
    do {
      _ = try Bundle.decode(Self.rechecksum(body))
      return "accepted"
    } catch { return error.message }
  }

  @Test func structuralProblemsAreNamed() throws {
    let header = Checkpoint.magic + [2, 0, 0, 0, 3, 0, 0, 0]
    func u32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    func u64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    let name: [UInt8] = [1, 0x61]  // "a"
    #expect(refusal(header + u32(1) + name + [6] + u64(1 << 40)).contains("more than the bytes left"))
    #expect(refusal(header + u32(100_000)).contains("more than the bytes left"))
    #expect(refusal(header + u32(2) + name + [1] + u64(1) + name + [1] + u64(2)).contains("appears twice"))
    #expect(refusal(header + u32(1) + [1, 0x41, 1] + u64(1)).contains("[a-z0-9_]"))
    #expect(refusal(header + u32(1) + name + [42] + u64(1)).contains("unknown type tag 42"))
    #expect(refusal(header + u32(1) + name + [4, 2]).contains("bool stored as 2"))
    #expect(refusal(header + u32(1) + name + [5] + u32(2) + [0xFF, 0xFE]).contains("not UTF-8"))
    #expect(refusal(header + u32(0) + [0]).contains("unexpected bytes"))
    #expect(refusal(Checkpoint.magic + [2, 0, 0, 0, 99, 0, 0, 0] + u32(0)).contains("unknown object kind 99"))
    // Records nested deeper than 8.
    var deep = u32(0)
    for _ in 0..<9 { deep = u32(1) + name + [9] + deep }
    #expect(refusal(header + deep).contains("nested deeper"))
    // Other format versions name theirs and the bundle's.
    var v3 = header + u32(0)
    v3[8] = 3
    #expect(refusal(v3).contains("format version 3; a bundle has format version 2 (written by a newer swiftpg)"))
    let v1 = Checkpoint.encode(.init(kind: .policy, family: 5, specification: [], parameters: [0.5]))
    #expect(throws: SwiftPGError.self) { try Bundle.decode(v1) }
    // And a bundle given to the single-object reader names both versions.
    do {
      _ = try Checkpoint.decode(Bundle(kind: .policy, record: Record()).encode())
      Issue.record("accepted")
    } catch {
      #expect(error.message.contains("format version 2; this library reads version 1"), "\(error.message)")
    }
  }

  @Test func theReaderNamesFields() throws {
    let r = RecordReader(Self.sample, context: "f.ckpt: section 's'")
    #expect(try r.int("version") == 1)
    #expect(try r.uint("seed") == .max)
    #expect(try r.double("clip") == .infinity)
    #expect(try r.text("id") == "CartPole-v1 ∂")
    #expect(try r.ints("counts", in: Int64.min...Int64.max) == [0, -1, Int.max])
    let nested = try r.record("nested")
    #expect(try nested.words("words", count: 3) == [0, .max, 7])
    func message(_ body: () throws(SwiftPGError) -> Void) -> String {
      do {
        try body()
        return "accepted"
      } catch { return error.message }
    }
    #expect(message { () throws(SwiftPGError) in _ = try r.int("missing") }.contains("f.ckpt: section 's': field 'missing' is missing"))
    #expect(message { () throws(SwiftPGError) in _ = try r.double("id") }.contains("field 'id' is a text, expected a double"))
    #expect(message { () throws(SwiftPGError) in _ = try r.finiteDouble("clip") }.contains("must be finite"))
    #expect(message { () throws(SwiftPGError) in _ = try r.doubles("values") }.contains("values'[1] is nan"))
    #expect(message { () throws(SwiftPGError) in _ = try r.doubles("empty", count: 2) }.contains("has 0 values, expected 2"))
    #expect(message { () throws(SwiftPGError) in _ = try r.int("count", in: 0...5) }.contains("outside [0, 5]"))
    #expect(message { () throws(SwiftPGError) in _ = try nested.generators("words", count: 1) }.contains("holds 0 generators, expected 1"))
    #expect(message { () throws(SwiftPGError) in try nested.requireVersion(1, "the thing has") }.contains("field 'version' is missing"))
    #expect(message { () throws(SwiftPGError) in try r.requireVersion(0, "the thing has") }.contains("the thing has version 1; this library reads version 0 (the file was written by a newer swiftpg)"))
    // Fields never read are unknown.
    #expect(message { () throws(SwiftPGError) in try r.finish() }.contains("unknown field(s) 'rate', 'on', 'list'"))
  }
}
