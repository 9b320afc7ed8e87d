import Testing

@testable import SwiftPG

/// Policy sections: every family rebuilds with its parameters, sampling
/// generator, network precision and (gSDE) held noise, so it samples what
/// the original samples; a section of another architecture or with invalid
/// state is refused and changes nothing.
@Suite struct PolicyRecordTests {
  static func policies() throws -> [any Policy] {
    let softmax = try SoftmaxPolicy(observationSize: 3, actionCount: 2, hidden: [4], seed: 1)
    softmax.network.setPrecision(.float32)
    return [
      softmax,
      CategoricalPolicy(model: try TabularLogits(stateCount: 3, actionCount: 2)),
      CategoricalPolicy(model: try FeatureLogits(featureSize: 2, actionCount: 2)),
      try GaussianPolicy(observationSize: 3, actionSize: 2, hidden: [4], stateDependentStd: true, seed: 2),
      try GaussianPolicy(observationSize: 3, actionSize: 2, hidden: [4], std: .gsde, noiseInterval: 5, seed: 3),
      try ClampPolicy(theta: 0.3),
    ]
  }

  /// Draws from `p` (per-lane generators), advancing its held noise.
  func draw(_ p: any Policy, _ lanes: inout [PCG64]) -> [UInt64] {
    let rows = lanes.count
    let width = p.observationSize
    let obs = (0..<(rows * width)).map { (i: Int) -> Double in
      let first: Double = i % width == 0 ? 0.5 : 0
      return first + 0.1 * Double(i % 3)
    }
    var actions = [Double](repeating: 0, count: rows * p.actionWidth)
    var lp = [Double](repeating: 0, count: rows)
    obs.withUnsafeBufferPointer { o in
      actions.withUnsafeMutableBytes { a in
        lanes.withUnsafeMutableBufferPointer { g in
          lp.withUnsafeMutableBufferPointer { l in
            p.sample(o.baseAddress!, batch: rows, rawActions: a.baseAddress!, generators: g.baseAddress!, logProbabilities: l.baseAddress)
          }
        }
      }
    }
    return actions.map(\.bitPattern) + lp.map(\.bitPattern)
  }

  @Test func everyFamilyRoundTripsAndSamplesTheSame() throws {
    for p in try Self.policies() {
      var g = PCG64(seed: 4)
      try p.setParameters(p.parameters.map { _ in 0.3 * g.standardNormal() })
      var lanes = (0..<2).map { PCG64.laneStream(seed: 1, lane: $0) }
      _ = draw(p, &lanes)  // gSDE now holds a noise matrix of age 1
      let record = PolicyRecord.encode(p)
      let q = try PolicyRecord.decode(RecordReader(record, context: "p"))
      #expect(PolicyRecord.encode(q) == record, "\(p.family)")
      var lanesQ = lanes
      for _ in 0..<6 { #expect(draw(p, &lanes) == draw(q, &lanesQ), "\(p.family)") }
      #expect(p.rng.next() == q.rng.next())
    }
  }

  @Test func invalidSectionsAreRefused() throws {
    let gsde = try GaussianPolicy(observationSize: 3, actionSize: 1, hidden: [4], std: .gsde, noiseInterval: 2, seed: 3)
    let good = PolicyRecord.encode(gsde)
    func refusal(_ change: (inout Record) -> Void) -> String {
      var r = good
      change(&r)
      do {
        _ = try PolicyRecord.decode(RecordReader(r, context: "p"))
        return "accepted"
      } catch { return error.code == .badFormat ? error.message : "code \(error.code)" }
    }
    #expect(refusal { _ in } == "accepted")
    #expect(refusal { $0.set("precision", .int(16)) }.contains("32 or 64"))
    #expect(refusal { $0.set("sampling_state", .doubles([1, 0])) }.contains("needs 1 × 4 values"))
    #expect(refusal { $0.set("sampling_state", .doubles([0, 3])) }.contains("age 3.0 must be a whole number in [0, 2]"))
    #expect(refusal { $0.set("parameters", .doubles([1])) }.contains("parameters"))
    #expect(refusal { $0.set("family", .int(9)) }.contains("unknown policy family 9"))
    #expect(refusal { $0.set("specification", .doubles(Array(repeating: 1, count: 300))) }.contains("300 entries"))
    let clamp = try ClampPolicy(theta: 0.3)
    var r = PolicyRecord.encode(clamp)
    r.set("precision", .int(32))
    #expect(throws: SwiftPGError.self) { try PolicyRecord.decode(RecordReader(r, context: "p")) }
    // Applying to a policy of another architecture changes nothing.
    let state = try PolicyRecord.read(RecordReader(good, context: "p"))
    let other = try GaussianPolicy(observationSize: 3, actionSize: 1, hidden: [5], std: .gsde, seed: 1)
    let before = other.parameters
    #expect(throws: SwiftPGError.self) { try PolicyRecord.apply(state, to: other, context: "p") }
    #expect(other.parameters == before)
  }
}
