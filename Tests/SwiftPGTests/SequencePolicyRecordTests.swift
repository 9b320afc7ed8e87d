#if canImport(Glibc)
  import Glibc
#endif
import Testing

@testable import SwiftPG

/// Sequence-policy bundles: both families (float32 networks too) rebuild
/// bit for bit and compute what the original computes; files round-trip;
/// truncated, flipped, foreign-kind and invalid sections are refused with
/// `.badFormat` naming the problem, sizes before anything is allocated.
@Suite struct SequencePolicyRecordTests {
  static func policies() throws -> [SequencePolicy] {
    [
      try SequenceFixtures.tabular(v: 3, l: 3, prompts: 2, seed: 4),
      try SequenceFixtures.neural(v: 3, l: 4, prompts: 2, seed: 5),
      try SequenceFixtures.neural(v: 2, l: 3, prompts: 3, features: 0, context: 0, hidden: [], seed: 6),
      try SequenceFixtures.neural(v: 4, l: 2, prompts: 1, hidden: [5, 3], activation: .relu, precision: .float32, seed: 7),
    ]
  }

  /// Log-probabilities of every response of every prompt, as bits.
  func exactBits(_ p: SequencePolicy) throws -> [UInt64] {
    try (0..<p.promptCount).flatMap { try ExactResponses.logProbabilities(p, prompt: $0).map(\.bitPattern) }
  }

  @Test func bothFamiliesRoundTripBitForBit() throws {
    for p in try Self.policies() {
      let bytes = SequencePolicyRecord.serialize(p)
      let q = try SequencePolicyRecord.deserialize(bytes)
      #expect(q.family == p.family && q.specification.map(\.bitPattern) == p.specification.map(\.bitPattern))
      #expect(q.parameters.map(\.bitPattern) == p.parameters.map(\.bitPattern))
      #expect(try exactBits(q) == exactBits(p), "\(p.family)")
      #expect(SequencePolicyRecord.serialize(q) == bytes)
      if let n = p.model as? NeuralSequenceModel {
        #expect((q.model as? NeuralSequenceModel)?.precision == n.precision)
      }
    }
  }

  /// A neural policy's specification carries its prompt-feature table: 100
  /// prompts of 5 features (508 numbers, beyond the 256 of a policy file)
  /// round-trip.
  @Test func largePromptTablesRoundTrip() throws {
    let p = try SequenceFixtures.neural(v: 2, l: 2, prompts: 100, features: 5, hidden: [3], seed: 12)
    #expect(p.specification.count == 8 + 1 + 500)
    let q = try SequencePolicyRecord.deserialize(SequencePolicyRecord.serialize(p))
    #expect(q.specification.map(\.bitPattern) == p.specification.map(\.bitPattern))
    #expect(try exactBits(q) == exactBits(p))
  }

  @Test func filesRoundTrip() throws {
    let path = "/tmp/swiftpg-test-\(getpid())-seqpolicy.ckpt"
    defer { unlink(path) }
    let p = try SequenceFixtures.neural(v: 3, l: 3, prompts: 2, seed: 8)
    try Checkpoint.save(p, to: path)
    #expect(try Checkpoint.read(path) == SequencePolicyRecord.serialize(p))
    #expect(try exactBits(Checkpoint.loadSequencePolicy(path)) == exactBits(p))
    // A reward-model file is not a sequence policy, and vice versa.
    try Checkpoint.save(try RewardModel(featureCount: 2), to: path)
    #expect(throws: SwiftPGError.self) { try Checkpoint.loadSequencePolicy(path) }
  }

  @Test func damagedBytesAreRefused() throws {
    let good = SequencePolicyRecord.serialize(try SequenceFixtures.neural(v: 2, l: 2, prompts: 1, hidden: [2], seed: 9))
    expectDamageRefused(good, lengthStride: 7, byteStride: 5, flip: 0x10) { _ = try SequencePolicyRecord.deserialize($0) }
    // Every byte of the body changed under a valid checksum: refused, or
    // a valid policy — never a trap.
    for i in stride(from: 8, to: good.count - 8, by: 3) {
      var body = Array(good[0..<(good.count - 8)])
      body[i] = 0xFF
      do { _ = try SequencePolicyRecord.deserialize(SerializationTests.rechecksum(body)) } catch {
        #expect(error.code == .badFormat)
      }
    }
    let policyBundle = PolicyRecord.serialize(try SoftmaxPolicy(observationSize: 2, actionCount: 2, hidden: [], seed: 1))
    #expect(refusal(policyBundle).contains("holds a policy, not a sequence policy"))
  }

  func refusal(_ bytes: [UInt8]) -> String {
    do {
      _ = try SequencePolicyRecord.deserialize(bytes)
      return "accepted"
    } catch { return error.code == .badFormat ? error.message : "code \(error.code): \(error.message)" }
  }

  /// Every field of the section is checked; nothing invalid is built.
  @Test func invalidSectionsAreRefused() throws {
    let p = try SequenceFixtures.neural(v: 2, l: 3, prompts: 2, hidden: [3], seed: 10)
    let section = SequencePolicyRecord.encode(p)
    func damaged(_ change: (inout Record) -> Void) -> String {
      var s = section
      change(&s)
      var root = Record()
      root.set("sequence_policy", record: s)
      return refusal(Bundle(kind: .sequencePolicy, record: root).encode())
    }
    let spec = p.specification
    #expect(damaged { _ in } == "accepted")
    #expect(damaged { $0.set("version", .int(2)) }.contains("version 2; this library reads version 1"))
    #expect(damaged { $0.remove("parameters") }.contains("'parameters' is missing"))
    #expect(damaged { $0.set("extra", .int(1)) }.contains("unknown field(s) 'extra'"))
    #expect(damaged { $0.set("family", .int(3)) }.contains("unknown sequence-model family 3"))
    #expect(damaged { $0.set("family", .int(1)) }.contains("3 numbers"))
    #expect(damaged { $0.set("precision", .int(32)) }.contains("the specification says 64"))
    #expect(damaged { $0.set("precision", .int(16)) }.contains("32 or 64"))
    #expect(damaged { $0.set("parameters", .doubles(Array(p.parameters.dropLast()))) }.contains("parameters for a"))
    #expect(damaged { $0.set("parameters", .doubles([.nan] + p.parameters.dropFirst())) }.contains("finite"))
    #expect(damaged { $0.set("parameters", .text("x")) }.contains("expected a double array"))
    var s = spec
    s[s.count - 1] = .infinity  // a prompt feature
    #expect(damaged { $0.set("specification", .doubles(s)) }.contains("finite"))
    s = spec
    s[4] = 9  // context size beyond L
    #expect(damaged { $0.set("specification", .doubles(s)) }.contains("context size"))
    s = spec
    s[0] = 0.5  // V not an integer
    #expect(damaged { $0.set("specification", .doubles(s)) }.contains("must be an integer"))
    #expect(damaged { $0.set("specification", .doubles(Array(spec.dropLast()))) }.contains("numbers, got"))
    // Sizes are checked against the stored parameters before allocating: a
    // tabular specification of 64 tokens and 6 positions (65 · Σ_{l<6} 64^l
    // ≈ 7·10^10 parameters, far beyond 2^24), and a neural one of 2^16-wide layers with 3 stored
    // parameters, are refused without building anything.
    #expect(damaged {
      $0.set("family", .int(1))
      $0.set("specification", .doubles([64, 6, 1]))
    }.contains("exceeds the limit"))
    var wide = spec
    wide[8] = 65536  // the hidden layer
    #expect(damaged {
      $0.set("specification", .doubles(wide))
      $0.set("parameters", .doubles([0, 0, 0]))
    }.contains("3 parameters for a neural sequence model"))
  }

  /// The parameter count of a parsed specification is the built model's.
  @Test func specificationCountsWithoutBuilding() throws {
    for p in try Self.policies() {
      let s = try SequenceModelSpecification(family: p.family, specification: p.specification)
      #expect(s.parameterCount == p.parameterCount)
      #expect(try s.make().specification.map(\.bitPattern) == p.specification.map(\.bitPattern))
    }
  }
}
