import Testing

@testable import SwiftPG

/// `NeuralSequenceModel`'s per-context activation cache: logits and the
/// gradient after cached, partly cached and computed passes are the bits
/// of a model that computes the batch from scratch.
@Suite struct ActivationCacheTests {
  typealias Batch = (prompts: [Int32], tokens: [Int32], rows: [Int32], positions: [Int32])

  /// Logits of `count` contexts and Jᵀd for a fixed d.
  static func pass(_ m: NeuralSequenceModel, _ c: Batch, count: Int, seed: UInt128) -> ([Double], [Double]) {
    let k = m.space.tokenCount
    var g = PCG64(seed: seed)
    let d = (0..<Swift.max(1, count * k)).map { _ in g.standardNormal() }
    var gradient = [Double](repeating: .nan, count: m.parameterCount)
    var logits = [Double]()
    c.prompts.withUnsafeBufferPointer { p in
      c.tokens.withUnsafeBufferPointer { t in
        c.rows.withUnsafeBufferPointer { r in
          c.positions.withUnsafeBufferPointer { q in
            let z = m.forward(
              prompts: p.baseAddress!, tokens: t.baseAddress!, rows: r.baseAddress!, positions: q.baseAddress!,
              count: count)
            logits = Array(UnsafeBufferPointer(start: z, count: count * k))
            d.withUnsafeBufferPointer { db in
              gradient.withUnsafeMutableBufferPointer { m.backward(db.baseAddress!, into: $0.baseAddress!) }
            }
          }
        }
      }
    }
    return (logits, gradient)
  }

  static func twin(_ m: NeuralSequenceModel) throws -> NeuralSequenceModel {
    let t = try #require(try m.copy() as? NeuralSequenceModel)
    t.setPrecision(m.precision)
    return t
  }

  static func bits(_ x: [Double]) -> [UInt64] { x.map(\.bitPattern) }

  @Test(arguments: [MLP.Precision.float32, .float64])
  func cachedPassesAreTheComputedBits(precision: MLP.Precision) throws {
    let m = try SequenceInputLayerTests.model(v: 4, l: 5, prompts: 3, features: 3, context: 2, hidden: [12],
                                              precision: precision)
    // Batches over the same token rows: later ones partly repeat earlier contexts.
    let base = SequenceInputLayerTests.contexts(m, count: 400, seed: 5)
    func slice(_ from: Int, _ count: Int) -> Batch {
      (Array(base.prompts[from..<(from + count)]) + [0], base.tokens, Array(base.rows[from..<(from + count)]) + [0],
       Array(base.positions[from..<(from + count)]) + [0])
    }
    let batches = [slice(0, 120), slice(60, 150), slice(0, 200), slice(0, 200), slice(150, 250)]
    for (i, b) in batches.enumerated() {
      let count = b.prompts.count - 1
      let cached = Self.pass(m, b, count: count, seed: UInt128(i))
      let fresh = Self.pass(try Self.twin(m), b, count: count, seed: UInt128(i))
      #expect(Self.bits(cached.0) == Self.bits(fresh.0), "logits of batch \(i)")
      #expect(Self.bits(cached.1) == Self.bits(fresh.1), "gradient of batch \(i)")
    }
    // New parameters: nothing stale is served.
    var g = PCG64(seed: 9)
    try m.setParameters(m.parameters.map { $0 + 0.1 * g.standardNormal() })
    let b = slice(0, 200)
    let cached = Self.pass(m, b, count: 200, seed: 7)
    let fresh = Self.pass(try Self.twin(m), b, count: 200, seed: 7)
    #expect(Self.bits(cached.0) == Self.bits(fresh.0))
    #expect(Self.bits(cached.1) == Self.bits(fresh.1))
    // A precision switch too.
    m.setPrecision(precision == .float32 ? .float64 : .float32)
    let switched = Self.pass(m, b, count: 200, seed: 7)
    let switchedFresh = Self.pass(try Self.twin(m), b, count: 200, seed: 7)
    #expect(Self.bits(switched.0) == Self.bits(switchedFresh.0))
    #expect(Self.bits(switched.0) != Self.bits(cached.0))
  }

  @Test(arguments: [MLP.Precision.float32, .float64])
  func rowsAreBatchInvariantInBothPrecisions(precision: MLP.Precision) throws {
    let m = try SequenceInputLayerTests.model(precision: precision)
    #expect(m.network.rowsAreBatchInvariant)
  }

  /// A cache that cannot hold every row (tiny cap) still gives the computed bits.
  @Test func aFullCacheFallsBackToComputing() throws {
    let m = try SequenceInputLayerTests.model(v: 4, l: 5, prompts: 3, features: 3, context: 2, hidden: [12],
                                              precision: .float32)
    m.maxCachedBytes = 64 * m.network.activationRowBytes  // 64 contexts
    let c = SequenceInputLayerTests.contexts(m, count: 300, seed: 3)
    let fresh = Self.pass(try Self.twin(m), c, count: 300, seed: 1)
    for _ in 0..<3 {
      let again = Self.pass(m, c, count: 300, seed: 1)
      #expect(Self.bits(again.0) == Self.bits(fresh.0) && Self.bits(again.1) == Self.bits(fresh.1))
    }
    // The cap: rows are added in blocks of 64, so a cap of 64 rows keeps 64 keys.
    let small = try #require(ActivationCache(keys: 100, maxBytes: 64 * 16))
    small.validate(version: 1, rowBytes: 16)
    for key in 0..<100 { _ = small.store(key) }
    #expect((0..<100).filter { small.has($0) }.count == 64)
    small.validate(version: 2, rowBytes: 16)
    #expect(!(0..<100).contains { small.has($0) })
    // A cap that is not a doubling of 64 rows is still filled (here 100 rows).
    let odd = try #require(ActivationCache(keys: 150, maxBytes: 100 * 16))
    odd.validate(version: 1, rowBytes: 16)
    for key in 0..<150 { _ = odd.store(key) }
    #expect((0..<150).filter { odd.has($0) }.count == 100)
  }
}
