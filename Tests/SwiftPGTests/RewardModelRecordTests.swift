#if canImport(Glibc)
  import Glibc
#endif
import Testing

@testable import SwiftPG

/// Reward-model bundles: linear and MLP models, with and without a feature
/// standardisation and in float32, predict bit for bit after a round trip;
/// damaged and invalid bundles are refused with `.badFormat`.
@Suite struct RewardModelRecordTests {
  static let k = 3

  static func features(_ rows: Int, seed: UInt128) -> [Double] {
    var g = PCG64(seed: seed)
    return (0..<(rows * k)).map { _ in 5 * g.standardNormal() + 2 }
  }

  static func models() throws -> [RewardModel] {
    var g = PCG64(seed: 3)
    let linear = try RewardModel(featureCount: k)
    try linear.setParameters(linear.parameters.map { _ in g.standardNormal() })
    let standardised = try RewardModel(featureCount: k, hiddenSizes: [4], seed: 1)
    try standardised.standardize(features: features(20, seed: 2), rows: 20)
    let float32 = try RewardModel(featureCount: k, hiddenSizes: [5, 2], activation: .relu, seed: 2)
    try float32.setStandardization(mean: [1, -2, 0.5], scale: [3, 0.25, 1e-3])
    float32.network.setPrecision(.float32)
    return [linear, standardised, float32]
  }

  @Test func modelsRoundTripAndPredictBitForBit() throws {
    let x = Self.features(9, seed: 7)
    for m in try Self.models() {
      let bytes = RewardModelRecord.serialize(m)
      let r = try RewardModelRecord.deserialize(bytes)
      #expect(r.specification.map(\.bitPattern) == m.specification.map(\.bitPattern))
      #expect(r.parameters.map(\.bitPattern) == m.parameters.map(\.bitPattern))
      #expect(r.network.precision == m.network.precision)
      #expect(try r.predict(x, rows: 9).map(\.bitPattern) == m.predict(x, rows: 9).map(\.bitPattern))
      #expect(RewardModelRecord.serialize(r) == bytes)
    }
  }

  /// 200 standardised features: a specification of 405 numbers round-trips.
  @Test func wideStandardisedModelsRoundTrip() throws {
    let k = 200
    let m = try RewardModel(featureCount: k, hiddenSizes: [2], seed: 4)
    var g = PCG64(seed: 9)
    let x = (0..<(3 * k)).map { _ in 3 * g.standardNormal() }
    try m.standardize(features: x, rows: 3)
    #expect(m.specification.count == 2 * k + 5)
    let r = try RewardModelRecord.deserialize(RewardModelRecord.serialize(m))
    #expect(try r.predict(x, rows: 3).map(\.bitPattern) == m.predict(x, rows: 3).map(\.bitPattern))
  }

  @Test func filesRoundTrip() throws {
    let path = "/tmp/swiftpg-test-\(getpid())-rewardmodel.ckpt"
    defer { unlink(path) }
    let m = try Self.models()[1]
    try Checkpoint.save(m, to: path)
    let x = Self.features(4, seed: 8)
    #expect(try Checkpoint.loadRewardModel(path).predict(x, rows: 4) == m.predict(x, rows: 4))
    try Checkpoint.save(try SequenceFixtures.tabular(v: 2, l: 2, prompts: 1, seed: 1), to: path)
    #expect(throws: SwiftPGError.self) { try Checkpoint.loadRewardModel(path) }
  }

  @Test func damagedBytesAreRefused() throws {
    let good = RewardModelRecord.serialize(try Self.models()[1])
    expectDamageRefused(good, lengthStride: 5, byteStride: 3, flip: 0x02) { _ = try RewardModelRecord.deserialize($0) }
  }

  func refusal(_ change: (inout Record) -> Void) throws -> String {
    var s = RewardModelRecord.encode(try Self.models()[1])
    change(&s)
    var root = Record()
    root.set("reward_model", record: s)
    do {
      _ = try RewardModelRecord.deserialize(Bundle(kind: .rewardModel, record: root).encode())
      return "accepted"
    } catch { return error.code == .badFormat ? error.message : "code \(error.code): \(error.message)" }
  }

  @Test func invalidSectionsAreRefused() throws {
    let m = try Self.models()[1]
    let spec = m.specification  // [K, act, H, 4, 1, μ (3), σ (3)]
    #expect(try refusal { _ in } == "accepted")
    #expect(try refusal { $0.set("family", .int(2)) }.contains("unknown reward-model family 2"))
    #expect(try refusal { $0.set("version", .int(0)) }.contains("version 0"))
    #expect(try refusal { $0.set("precision", .int(8)) }.contains("32 or 64"))
    #expect(try refusal { $0.remove("specification") }.contains("'specification' is missing"))
    #expect(try refusal { $0.set("parameters", .doubles([1, 2])) }.contains("2 parameters for a reward model"))
    var s = spec
    s[spec.count - 1] = 0  // a standardisation scale of 0
    #expect(try refusal { $0.set("specification", .doubles(s)) }.contains("scales must be > 0"))
    s = spec
    s[5] = .nan  // a mean
    #expect(try refusal { $0.set("specification", .doubles(s)) }.contains("finite"))
    s = spec
    s[4] = 2  // the standardisation flag
    #expect(try refusal { $0.set("specification", .doubles(s)) }.contains("standardisation"))
    s = spec
    s[1] = 7  // the activation
    #expect(try refusal { $0.set("specification", .doubles(s)) }.contains("unknown activation 7"))
    // A 2^16-wide hidden layer with the stored 21 parameters: refused on
    // the count before any network is built.
    s = spec
    s[3] = 65536
    #expect(try refusal { $0.set("specification", .doubles(s)) }.contains("parameters for a reward model that has"))
    s[3] = 1e9  // beyond an MLP layer: the layout itself refuses
    #expect(try refusal { $0.set("specification", .doubles(s)) }.contains("exceeds"))
  }
}
