import Testing

@testable import SwiftPG

/// Builders shared by the sequence test files.
enum SequenceFixtures {
  /// A tabular policy with N(0, scale²) logits.
  static func tabular(v: Int, l: Int, prompts: Int, seed: UInt128, scale: Double = 1) throws -> SequencePolicy {
    let space = try SequenceSpace(vocabularySize: v, maxLength: l)
    let model = try TabularSequenceModel(space: space, promptCount: prompts)
    var g = PCG64(seed: seed)
    try model.setParameters(model.parameters.map { _ in scale * g.standardNormal() })
    return SequencePolicy(model: model)
  }

  /// A neural n-gram policy with random prompt features and an output gain
  /// of 1 (far from uniform).
  static func neural(
    v: Int, l: Int, prompts: Int, features: Int = 2, context: Int = 2, hidden: [Int] = [6],
    activation: Activation = .tanh, precision: MLP.Precision = .float64, seed: UInt64
  ) throws -> SequencePolicy {
    let space = try SequenceSpace(vocabularySize: v, maxLength: l)
    var g = PCG64(seed: UInt128(seed) + 1000)
    let table = (0..<(prompts * features)).map { _ in g.standardNormal() }
    let model = try NeuralSequenceModel(
      space: space, promptFeatures: table, promptCount: prompts, featureSize: features,
      contextSize: Swift.min(context, l), hidden: hidden, activation: activation, precision: precision,
      outputGain: 1, seed: seed)
    return SequencePolicy(model: model)
  }

  /// A tabular policy (seed `seed`) and a neural one (seed `seed + 1`) over
  /// the same space, for checks that must hold for both families.
  static func bothKinds(v: Int, l: Int, prompts: Int, seed: UInt64) throws -> [SequencePolicy] {
    [try tabular(v: v, l: l, prompts: prompts, seed: UInt128(seed)), try neural(v: v, l: l, prompts: prompts, seed: seed + 1)]
  }

  /// Logits `[count, V + 1]` of contexts given as rows (one per context).
  static func forward(_ m: any SequenceModel, prompts: [Int32], rows: [[Int32]], positions: [Int32]) -> [Double] {
    let l = m.space.maxLength
    let flat = rows.flatMap { $0 + Array(repeating: m.space.endToken, count: l - $0.count) }
    let k = m.space.tokenCount
    let z = flat.withUnsafeBufferPointer { t in
      prompts.withUnsafeBufferPointer { p in
        positions.withUnsafeBufferPointer { q in
          m.forward(prompts: p.baseAddress!, tokens: t.baseAddress!, rows: nil, positions: q.baseAddress!, count: prompts.count)
        }
      }
    }
    return Array(UnsafeBufferPointer(start: z, count: prompts.count * k))
  }
}

@Suite struct SequenceModelTests {
  /// The tabular model reads row θ[x, prefixIndex(y_<t)]: V = 2, L = 3 has
  /// prefixes () = 0, (0) = 1, (1) = 2, (0,0) = 3, (0,1) = 4, (1,0) = 5, (1,1) = 6.
  @Test func tabularReadsTheRowOfPromptAndPrefix() throws {
    let space = try SequenceSpace(vocabularySize: 2, maxLength: 3)
    let logits = (0..<(2 * 7 * 3)).map(Double.init)
    let m = try TabularSequenceModel(space: space, promptCount: 2, logits: logits)
    #expect(m.parameterCount == 42)
    let z = SequenceFixtures.forward(m, prompts: [0, 1, 1, 0], rows: [[], [1, 0], [1, 0, 1], [0, 1]], positions: [0, 2, 1, 2])
    // (x=0, ()) → row 0; (x=1, (1,0)) → 7 + 5 = 12; (x=1, (1)) → 7 + 2 = 9; (x=0, (0,1)) → 4.
    let expected = [0, 12, 9, 4].flatMap { r in (0..<3).map { Double(3 * r + $0) } }
    #expect(z == expected)
    // backward adds dLogits into the rows read, overwriting the gradient.
    var grad = [Double](repeating: 7, count: 42)
    let d = (0..<12).map { Double($0 + 1) }
    d.withUnsafeBufferPointer { db in grad.withUnsafeMutableBufferPointer { m.backward(db.baseAddress!, into: $0.baseAddress!) } }
    var want = [Double](repeating: 0, count: 42)
    for (i, r) in [0, 12, 9, 4].enumerated() { for k in 0..<3 { want[3 * r + k] += d[3 * i + k] } }
    #expect(grad == want)
  }

  @Test func tabularSizesAreChecked() throws {
    let big = try SequenceSpace(vocabularySize: 16, maxLength: 8)  // 16^7 prefixes
    #expect(throws: SwiftPGError.self) { try TabularSequenceModel(space: big, promptCount: 1) }
    let huge = try SequenceSpace(vocabularySize: 1 << 20, maxLength: 4096)
    #expect(throws: SwiftPGError.self) { try TabularSequenceModel(space: huge, promptCount: 1) }
    let s = try SequenceSpace(vocabularySize: 2, maxLength: 2)
    #expect(throws: SwiftPGError.self) { try TabularSequenceModel(space: s, promptCount: 0) }
    #expect(throws: SwiftPGError.self) { try TabularSequenceModel(space: s, promptCount: 1, logits: [0, 1]) }
    #expect(throws: SwiftPGError.self) {
      try TabularSequenceModel(space: s, promptCount: 1, logits: [.nan] + Array(repeating: 0, count: 8))
    }
    do {
      _ = try TabularSequenceModel(space: big, promptCount: 1)
    } catch {
      #expect(error.code == .tooLarge)
    }
  }

  /// The input row: prompt features, one-hot slots of the last n tokens
  /// (V = BOS before the response start), one-hot position.
  @Test func neuralInputsEncodeFeaturesSlotsAndPosition() throws {
    let space = try SequenceSpace(vocabularySize: 2, maxLength: 3)
    let m = try NeuralSequenceModel(
      space: space, promptFeatures: [0.5, -1, 2, 3], promptCount: 2, featureSize: 2, contextSize: 2, hidden: [4])
    #expect(m.inputSize == 2 + 2 * 3 + 3)
    let tokens: [Int32] = [1, 0, 2, 0, 1, 2]
    let prompts: [Int32] = [1, 0, 1]
    let rows: [Int32] = [0, 0, 1]
    let positions: [Int32] = [0, 2, 1]
    var x = [Double](repeating: -9, count: 3 * m.inputSize)
    tokens.withUnsafeBufferPointer { t in
      prompts.withUnsafeBufferPointer { p in
        rows.withUnsafeBufferPointer { r in
          positions.withUnsafeBufferPointer { q in
            x.withUnsafeMutableBufferPointer {
              m.buildInputs(
                prompts: p.baseAddress!, tokens: t.baseAddress!, rows: r.baseAddress!, positions: q.baseAddress!,
                count: 3, into: $0.baseAddress!)
            }
          }
        }
      }
    }
    // context 0: x=1, t=0: slots (BOS, BOS), position 0.
    #expect(Array(x[0..<11]) == [2, 3, 0, 0, 1, 0, 0, 1, 1, 0, 0])
    // context 1: x=0, t=2, prefix (1, 0): slots (1, 0), position 2.
    #expect(Array(x[11..<22]) == [0.5, -1, 0, 1, 0, 1, 0, 0, 0, 0, 1])
    // context 2: x=1, t=1, prefix (0): slots (BOS, 0), position 1.
    #expect(Array(x[22..<33]) == [2, 3, 0, 0, 1, 1, 0, 0, 0, 1, 0])
  }

  /// backward = Jᵀ·dLogits against central differences of Σ c ⊙ logits (float64).
  @Test(arguments: [Activation.tanh, .relu])
  func neuralBackwardMatchesFiniteDifferences(activation: Activation) throws {
    let policy = try SequenceFixtures.neural(v: 3, l: 3, prompts: 2, hidden: [5], activation: activation, seed: 3)
    let m = policy.model
    var g = PCG64(seed: 17)
    try m.setParameters(m.parameters.map { _ in 0.6 * g.standardNormal() })
    let prompts: [Int32] = [0, 1, 1, 0]
    let rows: [[Int32]] = [[], [2], [0, 1], [1, 1, 2]]
    let positions: [Int32] = [0, 1, 2, 2]
    let c = (0..<(4 * 4)).map { _ in g.standardNormal() }
    func f() -> Double { zip(SequenceFixtures.forward(m, prompts: prompts, rows: rows, positions: positions), c).map(*).reduce(0, +) }
    _ = f()
    var grad = [Double](repeating: .nan, count: m.parameterCount)
    c.withUnsafeBufferPointer { cb in grad.withUnsafeMutableBufferPointer { m.backward(cb.baseAddress!, into: $0.baseAddress!) } }
    let theta = m.parameters
    let h = 1e-6
    for k in theta.indices {
      var p = theta
      p[k] += h
      try m.setParameters(p)
      let fp = f()
      p[k] -= 2 * h
      try m.setParameters(p)
      let fm = f()
      let numeric = (fp - fm) / (2 * h)
      #expect(abs(numeric - grad[k]) <= 1e-6 * Swift.max(1, abs(numeric)), "parameter \(k)")
    }
  }

  /// Rebuilding from family and specification gives the same logits, and
  /// the copy shares nothing with the original.
  @Test func specificationRebuildsBothFamilies() throws {
    let policies = [
      try SequenceFixtures.tabular(v: 2, l: 3, prompts: 2, seed: 4),
      try SequenceFixtures.neural(v: 2, l: 3, prompts: 2, activation: .relu, precision: .float32, seed: 5),
    ]
    for p in policies {
      let copy = try makeSequenceModel(family: p.family, specification: p.specification)
      try copy.setParameters(p.parameters)
      #expect(copy.specification == p.specification)
      let args: ([Int32], [[Int32]], [Int32]) = ([0, 1, 1], [[], [1], [0, 1]], [0, 1, 2])
      #expect(
        SequenceFixtures.forward(copy, prompts: args.0, rows: args.1, positions: args.2)
          == SequenceFixtures.forward(p.model, prompts: args.0, rows: args.1, positions: args.2))
      let other = try p.model.copy()
      try other.setParameters(other.parameters.map { $0 + 1 })
      #expect(other.parameters != p.parameters)
    }
    #expect(throws: SwiftPGError.self) { try makeSequenceModel(family: .tabular, specification: [2, 3]) }
    #expect(throws: SwiftPGError.self) { try makeSequenceModel(family: .tabular, specification: [2, 3, 1, 0]) }
    #expect(throws: SwiftPGError.self) { try makeSequenceModel(family: .neural, specification: [2, 3, 1, 0, 1, 0, 64, 1]) }
    #expect(throws: SwiftPGError.self) { try makeSequenceModel(family: .tabular, specification: [2.5, 3, 1]) }
  }

  /// float32 network passes agree with float64 to float rounding.
  @Test func neuralFloat32AgreesWithFloat64() throws {
    let p64 = try SequenceFixtures.neural(v: 3, l: 4, prompts: 2, hidden: [8, 8], seed: 9)
    let p32 = try SequenceFixtures.neural(v: 3, l: 4, prompts: 2, hidden: [8, 8], precision: .float32, seed: 9)
    let args: ([Int32], [[Int32]], [Int32]) = ([0, 1, 1], [[], [1], [0, 1, 2]], [0, 1, 3])
    let a = SequenceFixtures.forward(p64.model, prompts: args.0, rows: args.1, positions: args.2)
    let b = SequenceFixtures.forward(p32.model, prompts: args.0, rows: args.1, positions: args.2)
    for (x, y) in zip(a, b) { #expect(abs(x - y) < 1e-5 * Swift.max(1, abs(x))) }
  }

  @Test func neuralSizesAreChecked() throws {
    let s = try SequenceSpace(vocabularySize: 2, maxLength: 3)
    #expect(throws: SwiftPGError.self) {
      try NeuralSequenceModel(space: s, promptFeatures: [1], promptCount: 2, featureSize: 1, contextSize: 1, hidden: [])
    }
    #expect(throws: SwiftPGError.self) {
      try NeuralSequenceModel(space: s, promptFeatures: [1, .nan], promptCount: 2, featureSize: 1, contextSize: 1, hidden: [])
    }
    #expect(throws: SwiftPGError.self) {
      try NeuralSequenceModel(space: s, promptFeatures: [], promptCount: 1, featureSize: 0, contextSize: 4, hidden: [])
    }
    #expect(throws: SwiftPGError.self) {
      try NeuralSequenceModel(space: s, promptFeatures: [], promptCount: 0, featureSize: 0, contextSize: 1, hidden: [])
    }
    // Zero features and n = 0 are allowed (the position alone).
    let m = try NeuralSequenceModel(space: s, promptFeatures: [], promptCount: 3, featureSize: 0, contextSize: 0, hidden: [])
    #expect(m.inputSize == 3)
  }
}
