import Testing

@testable import SwiftPG

/// `SequenceInputLayer` (the neural sequence model's gathered first layer)
/// against the dense layer over `buildInputs`' rows, on an MLP with the
/// same parameters.
@Suite struct SequenceInputLayerTests {
  /// Random contexts of the model's space: prompts, token rows `[count, L]`
  /// (content tokens), shared rows and positions.
  static func contexts(_ m: NeuralSequenceModel, count: Int, seed: UInt128)
    -> (prompts: [Int32], tokens: [Int32], rows: [Int32], positions: [Int32])
  {
    var g = PCG64(seed: seed)
    let l = m.space.maxLength
    let rowCount = Swift.max(1, count / 2)
    let tokens = (0..<(rowCount * l)).map { _ in Int32(g.next() % UInt64(m.space.vocabularySize)) }
    // (One extra entry each: an empty batch still has buffers to point at.)
    let rows = (0...count).map { _ in Int32(g.next() % UInt64(rowCount)) }
    let prompts = (0...count).map { _ in Int32(g.next() % UInt64(m.promptCount)) }
    let positions = (0...count).map { _ in Int32(g.next() % UInt64(l)) }
    return (prompts, tokens, rows, positions)
  }

  /// The model's logits and Jᵀc, and the dense network's on the same inputs.
  static func compare(_ m: NeuralSequenceModel, count: Int, seed: UInt128) throws
    -> (sparse: [Double], dense: [Double], sparseGradient: [Double], denseGradient: [Double])
  {
    let c = contexts(m, count: count, seed: seed)
    let k = m.space.tokenCount
    let dense = try MLP(sizes: m.network.sizes, activation: m.network.activation)
    dense.setPrecision(m.precision)
    try dense.setParameters(m.parameters)
    var g = PCG64(seed: seed + 1)
    let d = (0..<(count * k)).map { _ in g.standardNormal() }
    var x = [Double](repeating: 0, count: Swift.max(1, count * m.inputSize))
    var out = ([Double](), [Double](), [Double](repeating: .nan, count: m.parameterCount),
               [Double](repeating: 0, count: m.parameterCount))
    c.prompts.withUnsafeBufferPointer { p in
      c.tokens.withUnsafeBufferPointer { t in
        c.rows.withUnsafeBufferPointer { r in
          c.positions.withUnsafeBufferPointer { q in
            let z = m.forward(
              prompts: p.baseAddress!, tokens: t.baseAddress!, rows: r.baseAddress!, positions: q.baseAddress!,
              count: count)
            out.0 = Array(UnsafeBufferPointer(start: z, count: count * k))
            d.withUnsafeBufferPointer { db in
              out.2.withUnsafeMutableBufferPointer { m.backward(db.baseAddress!, into: $0.baseAddress!) }
            }
            x.withUnsafeMutableBufferPointer {
              m.buildInputs(
                prompts: p.baseAddress!, tokens: t.baseAddress!, rows: r.baseAddress!, positions: q.baseAddress!,
                count: count, into: $0.baseAddress!)
            }
            let zd = x.withUnsafeBufferPointer { dense.forward($0.baseAddress!, batch: count) }
            out.1 = Array(UnsafeBufferPointer(start: zd, count: count * k))
            d.withUnsafeBufferPointer { db in
              out.3.withUnsafeMutableBufferPointer { dense.backward(db.baseAddress!, into: $0.baseAddress!) }
            }
          }
        }
      }
    }
    return out
  }

  static func model(
    v: Int = 5, l: Int = 6, prompts: Int = 7, features: Int = 4, context: Int = 3, hidden: [Int] = [16],
    activation: Activation = .tanh, precision: MLP.Precision = .float64, seed: UInt64 = 1
  ) throws -> NeuralSequenceModel {
    let policy = try SequenceFixtures.neural(
      v: v, l: l, prompts: prompts, features: features, context: context, hidden: hidden, activation: activation,
      precision: precision, seed: seed)
    let m = try #require(policy.model as? NeuralSequenceModel)
    #expect(m.usesInputLayer)
    var g = PCG64(seed: UInt128(seed) + 77)
    try m.setParameters(m.parameters.map { _ in 0.5 * g.standardNormal() })  // biases nonzero too
    return m
  }

  /// Logits and gradients agree with the dense layer's to rounding, in
  /// both precisions, with and without features, context, hidden layers.
  @Test(arguments: [
    (4, 3, [16]), (0, 3, [16]), (4, 0, [16]), (3, 6, [8, 5]), (2, 2, [Int]()), (0, 0, [Int]()),
  ] as [(Int, Int, [Int])])
  func agreesWithTheDenseLayer(features: Int, context: Int, hidden: [Int]) throws {
    for precision in [MLP.Precision.float64, .float32] {
      for activation in [Activation.tanh, .relu] {
        let m = try Self.model(
          features: features, context: context, hidden: hidden, activation: activation, precision: precision)
        for count in [1, 3, 40, 300] {
          let r = try Self.compare(m, count: count, seed: UInt128(count))
          let tolerance = precision == .float64 ? 1e-12 : 1e-5
          for (a, b) in zip(r.sparse, r.dense) { #expect(abs(a - b) <= tolerance * Swift.max(1, abs(b))) }
          let scale = r.denseGradient.map { abs($0) }.max() ?? 1
          for (i, (a, b)) in zip(r.sparseGradient, r.denseGradient).enumerated() {
            #expect(abs(a - b) <= tolerance * Swift.max(1, scale), "parameter \(i), \(precision), \(count) rows")
          }
        }
      }
    }
  }

  /// In float64 the gathered pre-activations add the dense product's terms
  /// in its order, so with OpenBLAS's single accumulation over ≤ 256 inputs
  /// the logits are the dense ones exactly (here: a documented property of
  /// this build, not a promise of every BLAS — hence a count, not a rule).
  @Test func float64LogitsMatchTheDenseProductBitForBitHere() throws {
    let m = try Self.model(v: 6, l: 6, prompts: 8, features: 12, context: 3, hidden: [64])
    let r = try Self.compare(m, count: 500, seed: 5)
    let differing = zip(r.sparse, r.dense).filter { $0 != $1 }.count
    #expect(differing <= r.sparse.count / 100, "\(differing) of \(r.sparse.count) logits differ")
  }

  /// New parameters (setParameters, a precision switch) rebuild the tables.
  @Test func parameterChangesRebuildTheTables() throws {
    let m = try Self.model()
    _ = try Self.compare(m, count: 20, seed: 3)
    try m.setParameters(m.parameters.map { $0 * -0.7 + 0.1 })
    var r = try Self.compare(m, count: 20, seed: 4)
    for (a, b) in zip(r.sparse, r.dense) { #expect(abs(a - b) <= 1e-12 * Swift.max(1, abs(b))) }
    m.setPrecision(.float32)
    r = try Self.compare(m, count: 20, seed: 4)
    for (a, b) in zip(r.sparse, r.dense) { #expect(abs(a - b) <= 1e-5 * Swift.max(1, abs(b))) }
    m.setPrecision(.float64)
    try m.setParameters(m.parameters.map { $0 + 0.25 })
    r = try Self.compare(m, count: 20, seed: 6)
    for (a, b) in zip(r.sparse, r.dense) { #expect(abs(a - b) <= 1e-12 * Swift.max(1, abs(b))) }
  }

  /// Contexts sharing (prompt, position, last n tokens) run once: a batch
  /// of copies of three contexts (different earlier tokens) gives the dense
  /// logits and gradient.
  @Test func duplicateContextsRunOnce() throws {
    let m = try Self.model(v: 3, l: 5, prompts: 2, features: 2, context: 2, hidden: [8])
    // Rows 0 (0 1 2 1 …) and 1 (2 0 2 1 …) share the two tokens before position 4.
    let tokens: [Int32] = [0, 1, 2, 1, 0, 2, 0, 2, 1, 0, 1, 1, 1, 1, 1]
    let prompts: [Int32] = (0..<60).map { Int32($0 % 3 == 2 ? 1 : 0) }
    let rows: [Int32] = (0..<60).map { Int32($0 % 2) }
    let positions: [Int32] = (0..<60).map { $0 % 3 == 2 ? 1 : 4 }
    let k = m.space.tokenCount
    let dense = try MLP(sizes: m.network.sizes, activation: m.network.activation)
    try dense.setParameters(m.parameters)
    var x = [Double](repeating: 0, count: 60 * m.inputSize)
    let d = (0..<(60 * k)).map { Double($0 % 7) - 3 }
    var g = [Double](repeating: .nan, count: m.parameterCount)
    var gd = [Double](repeating: 0, count: m.parameterCount)
    var (a, b) = ([Double](), [Double]())
    prompts.withUnsafeBufferPointer { p in
      tokens.withUnsafeBufferPointer { t in
        rows.withUnsafeBufferPointer { r in
          positions.withUnsafeBufferPointer { q in
            let z = m.forward(
              prompts: p.baseAddress!, tokens: t.baseAddress!, rows: r.baseAddress!, positions: q.baseAddress!,
              count: 60)
            a = Array(UnsafeBufferPointer(start: z, count: 60 * k))
            d.withUnsafeBufferPointer { db in g.withUnsafeMutableBufferPointer { m.backward(db.baseAddress!, into: $0.baseAddress!) } }
            x.withUnsafeMutableBufferPointer {
              m.buildInputs(
                prompts: p.baseAddress!, tokens: t.baseAddress!, rows: r.baseAddress!, positions: q.baseAddress!,
                count: 60, into: $0.baseAddress!)
            }
            let zd = x.withUnsafeBufferPointer { dense.forward($0.baseAddress!, batch: 60) }
            b = Array(UnsafeBufferPointer(start: zd, count: 60 * k))
            d.withUnsafeBufferPointer { db in gd.withUnsafeMutableBufferPointer { dense.backward(db.baseAddress!, into: $0.baseAddress!) } }
          }
        }
      }
    }
    for (u, v) in zip(a, b) { #expect(abs(u - v) <= 1e-12 * Swift.max(1, abs(v))) }
    let scale = gd.map { abs($0) }.max() ?? 1
    for (u, v) in zip(g, gd) { #expect(abs(u - v) <= 1e-12 * scale) }
    // Contexts 0 (row 0) and 3 (row 1) at position 4 of prompt 0: one key, the same logits.
    #expect(Array(a[0..<k]) == Array(a[(3 * k)..<(4 * k)]))
  }

  /// An empty batch writes nothing and adds nothing.
  @Test func emptyBatch() throws {
    let m = try Self.model()
    let r = try Self.compare(m, count: 0, seed: 1)
    #expect(r.sparse.isEmpty && r.sparseGradient.allSatisfy { $0 == 0 })
  }

  /// Beyond the table limit (P·H entries) the model keeps the dense layer.
  @Test func manyPromptsKeepTheDenseLayer() throws {
    let space = try SequenceSpace(vocabularySize: 2, maxLength: 2)
    let prompts = SequenceInputLayer.maxTableEntries / 4 + 1
    let m = try NeuralSequenceModel(
      space: space, promptFeatures: [], promptCount: prompts, featureSize: 0, contextSize: 1, hidden: [4])
    #expect(!m.usesInputLayer)
    let r = try Self.compare(m, count: 10, seed: 2)
    #expect(r.sparse == r.dense && r.sparseGradient == r.denseGradient)
  }
}
