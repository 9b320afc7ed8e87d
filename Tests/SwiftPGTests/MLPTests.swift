import CSwiftPG
import Testing

@testable import SwiftPG

/// The network: parameter layout and forward pass by hand, backward and
/// forward-mode derivatives against finite differences (directly and
/// through softmax policies), float32 arithmetic, sizes, initialisation.
@Suite struct MLPTests {
  static let policyCases: [PolicyCase] = [
    PolicyCase(name: "MLP softmax tanh") {
      try SoftmaxPolicy(observationSize: 3, actionCount: 4, hidden: [5, 4], headGain: 1, seed: 2)
    },
    PolicyCase(name: "MLP softmax relu") {
      try SoftmaxPolicy(observationSize: 3, actionCount: 2, hidden: [6], activation: .relu, headGain: 1, seed: 3)
    },
  ]

  /// Score, entropy and KL gradients and the Fisher-vector product
  /// against finite differences (`PolicyChecks`).
  @Test(arguments: policyCases)
  func derivativesMatchFiniteDifferences(_ c: PolicyCase) throws {
    try PolicyChecks.derivativesMatchFiniteDifferences(c)
  }

  /// sizes [2, 2, 1]: parameters W₀ (2×2, row-major), b₀, W₁ (1×2), b₁;
  /// y = W₁ tanh(W₀x + b₀) + b₁.
  @Test func forwardByHand() throws {
    let net = try MLP(sizes: [2, 2, 1], activation: .tanh)
    #expect(net.offsets == [0, 6] && net.parameterCount == 9)
    try net.setParameters([1, 2, 3, 4, 0.5, -0.5, 2, -1, 0.25])
    let x: [Double] = [1, -1]
    let h0 = _tanh(1 * 1 + 2 * -1 + 0.5)
    let h1 = _tanh(3 * 1 + 4 * -1 - 0.5)
    let y = net.forward(x, batch: 1)[0]
    #expect(abs(y - (2 * h0 - h1 + 0.25)) < 1e-14)
    #expect(abs(net.lastFeatures[0] - h0) < 1e-14 && abs(net.lastFeatures[1] - h1) < 1e-14)
    let relu = try MLP(sizes: [2, 2, 1], activation: .relu)
    try relu.setParameters([1, 2, 3, 4, 0.5, -0.5, 2, -1, 0.25])
    #expect(relu.forward(x, batch: 1)[0] == 0.25)  // both hidden units are negative
  }

  /// Through `MLPLogits`: jvp against finite differences, backward as its
  /// adjoint, for deep tanh and relu networks.
  @Test(arguments: [([3, 5, 4, 2], Activation.tanh), ([3, 6, 2], .relu), ([4, 3], .tanh)])
  func jacobiansMatchFiniteDifferences(sizes: [Int], activation: Activation) throws {
    var g = PCG64(seed: 8)
    let net = try MLP(sizes: sizes, activation: activation)
    let obs = (0..<(6 * sizes[0])).map { _ in g.standardNormal() }
    try LogitModelsTests.checkJacobian(MLPLogits(network: net), obs: obs, batch: 6, seed: 4)
  }

  /// float32 layers: outputs, gradients and J·v within float rounding of
  /// the float64 ones; switching back gives the float64 results exactly.
  /// A row's outputs are the same bits alone, in a batch of any size and
  /// at any position, in both precisions (OpenBLAS's kernels round by a
  /// row's position; spg_sgemm for float32 and the float64 padding
  /// make the network row-invariant), for layers wider than a SIMD block
  /// and narrower than one.
  @Test(arguments: [MLP.Precision.float32, .float64])
  func rowsAreComputedTheSameInAnyBatch(precision: MLP.Precision) throws {
    var g = PCG64(seed: 31)
    let net = try MLP(sizes: [5, 64, 37, 3], activation: .tanh)
    net.initializeOrthogonal(hiddenGain: 2.0.squareRoot(), outputGain: 1, using: &g)
    net.setPrecision(precision)
    let rows = 61
    let x = (0..<(rows * 5)).map { _ in g.standardNormal() }
    let whole = Array(UnsafeBufferPointer(start: net.forward(x, batch: rows), count: rows * 3))
    for (start, count) in [(0, 1), (7, 1), (3, 7), (12, 13), (0, 24), (30, 31)] {
      let part = Array(x[(start * 5)..<((start + count) * 5)])
      let y = Array(UnsafeBufferPointer(start: net.forward(part, batch: count), count: count * 3))
      #expect(y == Array(whole[(start * 3)..<((start + count) * 3)]), "\(precision) rows \(start)..<\(start + count)")
    }
  }

  @Test func float32AgreesWithFloat64() throws {
    var g = PCG64(seed: 12)
    let net = try MLP(sizes: [4, 16, 16, 3], activation: .tanh)
    net.initializeOrthogonal(hiddenGain: 2.0.squareRoot(), outputGain: 1, using: &g)
    let x = (0..<(10 * 4)).map { _ in g.standardNormal() }
    let u = (0..<30).map { _ in g.standardNormal() }
    let v = (0..<net.parameterCount).map { _ in g.standardNormal() }
    func run() -> (y: [Double], grad: [Double], jv: [Double]) {
      let y = Array(UnsafeBufferPointer(start: net.forward(x, batch: 10), count: 30))
      var grad = [Double](repeating: 0, count: net.parameterCount)
      net.backward(u, into: &grad)
      let jv = Array(UnsafeBufferPointer(start: net.jvp(v), count: 30))
      return (y, grad, jv)
    }
    let double = run()
    net.setPrecision(.float32)
    let single = run()
    PolicyChecks.expectClose(single.y, double.y, "outputs", tolerance: 1e-5)
    PolicyChecks.expectClose(single.grad, double.grad, "gradient", tolerance: 1e-4)
    PolicyChecks.expectClose(single.jv, double.jv, "J·v", tolerance: 1e-4)
    #expect(single.y != double.y)
    net.setPrecision(.float64)
    let again = run()
    #expect(again.y == double.y && again.grad == double.grad && again.jv == double.jv)
  }

  /// Float32 passes (spg_sgemm): each row of the outputs depends only on
  /// its input row, not on the batch it came in — 1, 7, 64 or 257 rows
  /// give the same bits (what lets a batch split across workers equal the
  /// whole batch); widths off the kernel's 16- and 64-column blocks.
  @Test func float32RowsDoNotDependOnTheBatch() throws {
    var g = PCG64(seed: 5)
    let net = try MLP(sizes: [5, 70, 33, 3], activation: .tanh)
    net.initializeOrthogonal(hiddenGain: 2.0.squareRoot(), outputGain: 1, using: &g)
    net.setPrecision(.float32)
    let x = (0..<(257 * 5)).map { _ in g.standardNormal() }
    let all = Array(UnsafeBufferPointer(start: net.forward(x, batch: 257), count: 257 * 3))
    for batch in [1, 7, 64] {
      let part = Array(UnsafeBufferPointer(start: net.forward(Array(x[0..<(batch * 5)]), batch: batch), count: batch * 3))
      #expect(part == Array(all[0..<(batch * 3)]), "batch \(batch)")
    }
    let last = Array(UnsafeBufferPointer(start: net.forward(Array(x[(256 * 5)...]), batch: 1), count: 3))
    #expect(last == Array(all[(256 * 3)...]))
    // New parameters reach the transposed float copy the forward pass reads.
    var p = net.parameters
    p[0] += 0.5
    try net.setParameters(p)
    let moved = Array(UnsafeBufferPointer(start: net.forward(Array(x[0..<5]), batch: 1), count: 3))
    #expect(moved != Array(all[0..<3]))
    net.setPrecision(.float64)
    let exact = Array(UnsafeBufferPointer(start: net.forward(Array(x[0..<5]), batch: 1), count: 3))
    PolicyChecks.expectClose(moved, exact, "float32 after setParameters", tolerance: 1e-5)
  }

  @Test func sizesAreChecked() throws {
    #expect(try MLP.parameterCount(sizes: [3, 4, 2]) == 4 * 4 + 5 * 2)
    #expect(throws: SwiftPGError.self) { try MLP(sizes: [3], activation: .tanh) }
    #expect(throws: SwiftPGError.self) { try MLP(sizes: [3, 0, 2], activation: .tanh) }
    for sizes in [[3, 1 << 17, 2], Array(repeating: 2, count: 67), [1 << 16, 1 << 16]] {
      do throws(SwiftPGError) {
        _ = try MLP.parameterCount(sizes: sizes)
        Issue.record("sizes \(sizes.prefix(3)) accepted")
      } catch {
        #expect(error.code == .tooLarge)
      }
    }
  }

  /// An empty batch does nothing; `backward` adds to its output.
  @Test func emptyBatchAndAccumulation() throws {
    let net = try MLP(sizes: [2, 3, 2], activation: .tanh)
    var g = PCG64(seed: 3)
    net.initializeOrthogonal(hiddenGain: 1, outputGain: 1, using: &g)
    _ = net.forward([], batch: 0)
    var grad = [Double](repeating: 7, count: net.parameterCount)
    net.backward([], into: &grad)
    #expect(grad.allSatisfy { $0 == 7 })
    let x: [Double] = [0.3, -0.2]
    _ = net.forward(x, batch: 1)
    var once = [Double](repeating: 0, count: net.parameterCount)
    net.backward([1, -1], into: &once)
    net.backward([1, -1], into: &grad)
    #expect(zip(grad, once).allSatisfy { abs($0 - (7 + $1)) < 1e-14 } && once.contains { $0 != 0 })
  }

  /// Orthonormal columns (tall) or rows (wide); the initialisation scales
  /// them by the gains and zeroes the biases.
  @Test func orthogonalInitialisation() throws {
    var g = PCG64(seed: 6)
    for (rows, cols) in [(5, 3), (3, 5), (4, 4)] {
      let w = orthogonalMatrix(rows: rows, cols: cols, using: &g)
      let k = Swift.min(rows, cols)
      for i in 0..<k {
        for j in 0..<k {
          let dot =
            rows >= cols
            ? (0..<rows).map { w[$0 * cols + i] * w[$0 * cols + j] }.reduce(0, +)
            : (0..<cols).map { w[i * cols + $0] * w[j * cols + $0] }.reduce(0, +)
          #expect(abs(dot - (i == j ? 1 : 0)) < 1e-12)
        }
      }
    }
    let net = try MLP(sizes: [3, 3, 1], activation: .tanh)
    net.initializeOrthogonal(hiddenGain: 2, outputGain: 0.5, using: &g)
    let w0 = Array(net.parameters[0..<9])
    for i in 0..<3 {
      let norm = (0..<3).map { w0[i * 3 + $0] * w0[i * 3 + $0] }.reduce(0, +)
      #expect(abs(norm - 4) < 1e-12)
    }
    let w1 = Array(net.parameters[12..<15])
    let squaredNorm: Double = w1.map { (w: Double) -> Double in w * w }.reduce(0, +)
    #expect(abs(squaredNorm - 0.25) < 1e-12)
    #expect(net.parameters[9..<12].allSatisfy { $0 == 0 } && net.parameters[15] == 0)
  }

  @Test func activationCodesMatchTheHeader() {
    #expect(Activation.tanh.rawValue == SWIFTPG_ACTIVATION_TANH)
    #expect(Activation.relu.rawValue == SWIFTPG_ACTIVATION_RELU)
  }

  /// Every way the parameters change while the network is float32 reaches
  /// the transposed float weights of the forward product: each gives the
  /// bits of a network switched to float32 after the same parameters.
  @Test func float32WeightsFollowEveryParameterChange() throws {
    var g = PCG64(seed: 9)
    let sizes = [3, 20, 17, 2]
    let x = (0..<(9 * 3)).map { _ in g.standardNormal() }
    func outputs(_ net: MLP) -> [Double] { Array(UnsafeBufferPointer(start: net.forward(x, batch: 9), count: 18)) }
    func reference(_ p: [Double]) throws -> [Double] {
      let net = try MLP(sizes: sizes, activation: .tanh)
      try net.setParameters(p)
      net.setPrecision(.float32)
      return outputs(net)
    }
    let net = try MLP(sizes: sizes, activation: .tanh)
    net.setPrecision(.float32)
    net.initializeOrthogonal(hiddenGain: 1.5, outputGain: 1, using: &g)
    #expect(outputs(net) == (try reference(net.parameters)))
    var p = net.parameters.map { $0 + 0.01 * g.standardNormal() }
    p.withUnsafeBufferPointer { net.setParameters($0.baseAddress!) }
    #expect(outputs(net) == (try reference(p)))
    p = p.map { -$0 }
    try net.setParameters(p)
    #expect(outputs(net) == (try reference(p)))
    net.setPrecision(.float64)
    p[0] = 3
    try net.setParameters(p)
    net.setPrecision(.float32)
    #expect(outputs(net) == (try reference(p)))
  }
}
