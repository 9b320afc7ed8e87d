import CMathShims

/// Activation functions of hidden layers.
public enum Activation: Int32, Sendable {
  case tanh = 0
  case relu = 1
}

/// A multilayer perceptron on batches: `sizes = [input, hidden…, output]`,
/// hidden layers with `activation`, a linear output layer.
///
/// Parameters are one flat vector; layer l stores its weight matrix
/// `W_l` (`sizes[l+1] × sizes[l]`, row-major) followed by its bias `b_l`.
/// `forward` keeps the activations of the batch so that `backward` can
/// follow it. Matrix products use swiftpg's own kernels, `spg_dgemm`
/// (float64) and `spg_sgemm` (float32); workspaces grow to the largest
/// batch seen and are reused (no allocation per call in steady state).
/// Not thread-safe: one batch at a time.
public final class MLP {
  public let sizes: [Int]
  public let activation: Activation
  public private(set) var parameters: [Double]
  /// Offset of W_l in `parameters`; b_l follows at `+ sizes[l+1] * sizes[l]`.
  public let offsets: [Int]

  // activations[l]: [capacity, sizes[l]]; activations[0] is a copy of the input.
  private let workspace: LayerWorkspace<Double>
  private var activations: [UnsafeMutablePointer<Double>] { workspace.activations }
  private var deltaA: UnsafeMutablePointer<Double> { workspace.deltaA }
  /// The batch of the last dense `forward` (0 after a forward through an
  /// `MLPInputLayer`, which leaves no input copy for the dense `backward`
  /// and `jvp`: they then see an empty batch).
  private var lastBatch = 0
  /// The batch of the last `forward(batch:inputLayer:)` (0 after a dense one).
  private var lastInputLayerBatch = 0

  /// Arithmetic of `forward`, `backward` and `jvp`. The parameters stay
  /// float64 (optimisers, checkpoints and gradients use them); `.float32`
  /// runs the layers in single precision — sgemm and a float tanh, about
  /// twice as fast — converting inputs, outputs and gradients at the edges.
  /// Gradients then carry float rounding (relative ~1e-6).
  public enum Precision: Int32, Sendable {
    case float64 = 64
    case float32 = 32
  }
  public private(set) var precision = Precision.float64
  private var parameters32: [Float] = []
  /// Each layer's weights W_l transposed (W_lᵀ, `sizes[l] × sizes[l+1]`)
  /// at `offsets[l]`, in float: the forward product X·Wᵀ then reads B with
  /// contiguous columns (no packing per call). Biases are not copied here.
  private var weightsT32: [Float] = []
  private let workspace32: LayerWorkspace<Float>
  private var activations32: [UnsafeMutablePointer<Float>] { workspace32.activations }
  private var deltaA32: UnsafeMutablePointer<Float> { workspace32.deltaA }
  /// Float scratch of `parameterCount`: one layer's weight gradient, or the
  /// direction of `jvp`.
  private var scratch32: [Float] = []

  /// Changes whenever the parameters (or the precision) may have changed:
  /// lets an `MLPInputLayer` keep tables derived from the first layer's
  /// weights.
  public private(set) var parameterVersion = 0

  public static let maxLayerSize = 1 << 16

  /// Most hidden layers.
  public static let maxHiddenLayers = 64

  /// Σ (in + 1)·out over the layers, after checking every size (each in
  /// [1, 2^16], at most 64 hidden layers, the total at most
  /// `Limits.maxParameters`); nothing is allocated.
  public static func parameterCount(sizes: [Int]) throws(SwiftPGError) -> Int {
    try require(sizes.count >= 2, "an MLP needs an input and an output size")
    try require(
      sizes.count <= maxHiddenLayers + 2, "an MLP has at most \(maxHiddenLayers) hidden layers, got \(sizes.count - 2)",
      code: .tooLarge)
    for (i, s) in sizes.enumerated() {
      try require(s >= 1, "layer size \(i) must be at least 1, got \(s)")
      try require(s <= MLP.maxLayerSize, "layer size \(s) exceeds \(MLP.maxLayerSize)", code: .tooLarge)
    }
    var total = 0
    for l in 0..<(sizes.count - 1) {
      total += (sizes[l] + 1) * sizes[l + 1]  // each term < 2^33: no overflow
      try require(
        total <= Limits.maxParameters,
        "a network of layer sizes \(sizes) has more than \(Limits.maxParameters) parameters", code: .tooLarge)
    }
    return total
  }

  public init(sizes: [Int], activation: Activation) throws(SwiftPGError) {
    _ = try MLP.parameterCount(sizes: sizes)
    self.sizes = sizes
    self.activation = activation
    var offsets: [Int] = []
    var total = 0
    for l in 0..<(sizes.count - 1) {
      offsets.append(total)
      total += sizes[l + 1] * sizes[l] + sizes[l + 1]
    }
    self.offsets = offsets
    parameters = Array(repeating: 0, count: total)
    workspace = LayerWorkspace(sizes: sizes)
    workspace32 = LayerWorkspace(sizes: sizes)
  }

  /// Switches the arithmetic (see `Precision`); the parameters are unchanged.
  public func setPrecision(_ p: Precision) {
    precision = p
    syncParameters32()
    parameterVersion &+= 1
  }

  private func syncParameters32() {
    guard precision == .float32 else {
      parameters32 = []
      weightsT32 = []
      scratch32 = []
      return
    }
    if parameters32.count != parameters.count {
      parameters32 = Array(repeating: 0, count: parameters.count)
      weightsT32 = Array(repeating: 0, count: parameters.count)
      scratch32 = Array(repeating: 0, count: parameters.count)
    }
    parameters.withUnsafeBufferPointer { src in
      parameters32.withUnsafeMutableBufferPointer { dst in
        if let x = src.baseAddress, let y = dst.baseAddress { spg_to_float(x, y, src.count) }
      }
      weightsT32.withUnsafeMutableBufferPointer { dst in
        guard let x = src.baseAddress, let y = dst.baseAddress else { return }
        for l in 0..<layerCount { spg_to_float_transposed(x + offsets[l], sizes[l + 1], sizes[l], y + offsets[l]) }
      }
    }
  }

  public var parameterCount: Int { parameters.count }
  public var inputSize: Int { sizes[0] }
  public var outputSize: Int { sizes[sizes.count - 1] }
  var layerCount: Int { sizes.count - 1 }

  /// Replaces the parameters; `values.count` must equal `parameterCount`.
  public func setParameters(_ values: [Double]) throws(SwiftPGError) {
    try require(values.count == parameters.count, "expected \(parameters.count) parameters, got \(values.count)")
    parameters = values
    if precision == .float32 { syncParameters32() }
    parameterVersion &+= 1
  }

  public func setParameters(_ values: UnsafePointer<Double>) {
    for i in parameters.indices { parameters[i] = values[i] }
    if precision == .float32 { syncParameters32() }
    parameterVersion &+= 1
  }

  /// Orthogonal initialisation (Saxe et al. 2014): each W_l is a random
  /// orthogonal matrix times a gain (`hiddenGain` for hidden layers,
  /// `outputGain` for the last); biases are zero.
  public func initializeOrthogonal(
    hiddenGain: Double, outputGain: Double, using rng: inout some RandomNumberGenerator
  ) {
    for l in 0..<layerCount {
      let rows = sizes[l + 1]
      let cols = sizes[l]
      let gain = l == layerCount - 1 ? outputGain : hiddenGain
      let w = orthogonalMatrix(rows: rows, cols: cols, using: &rng)
      for i in 0..<(rows * cols) { parameters[offsets[l] + i] = gain * w[i] }
      for i in 0..<rows { parameters[offsets[l] + rows * cols + i] = 0 }
    }
    if precision == .float32 { syncParameters32() }
    parameterVersion &+= 1
  }

  private func reserve(_ batch: Int) { workspace.reserve(batch) }
  private func reserve32(_ batch: Int) { workspace32.reserve(batch) }

  /// Width of the output layer's input: the last hidden layer, or the
  /// network input when there are no hidden layers.
  public var featureSize: Int { sizes[sizes.count - 2] }

  /// The output layer's inputs in the last `forward` (`[batch,
  /// featureSize]`; the observations themselves with no hidden layers),
  /// valid until the next call.
  public var lastFeatures: UnsafePointer<Double> { UnsafePointer(activations[layerCount - 1]) }

  /// Runs the batch `x` (`[batch, inputSize]`) forward and returns a pointer
  /// to the outputs `[batch, outputSize]`, valid until the next call.
  ///
  /// Row invariance: a row's outputs do not depend on the other rows or on
  /// how many there are, bit for bit, so a batch split across processes
  /// (swiftpg.distributed) computes what one process computes. Float64
  /// products go through `spg_dgemm` (`Dense.dgemm`): each element one
  /// chain of fused multiply-adds over its row (OpenBLAS's Haswell dgemm,
  /// used before, took the rows in pairs and gave an odd last row a path of
  /// its own, so batches were padded to an even number of rows).
  /// Float32 passes are row-invariant the same way: OpenBLAS's Haswell
  /// sgemm rounds a row according to its position in the product's blocks
  /// (in a block of 12 rows, rows 0–5 and 6–11 accumulate in different
  /// orders; blocks of 8/4 and the 1–3-row tails differ again; the
  /// transposed product too), which no padding removes, so every float32
  /// product goes through swiftpg's own `spg_sgemm` (`Dense.sgemm`): each
  /// output is the bias, then the products over the inputs added in order,
  /// each rounded.
  public func forward(_ x: UnsafePointer<Double>, batch: Int) -> UnsafePointer<Double> {
    reserve(Swift.max(batch, 1))
    lastBatch = batch
    lastInputLayerBatch = 0
    activations[0].update(from: x, count: batch * sizes[0])
    if precision == .float32 {
      reserve32(Swift.max(batch, 1))
      spg_to_float(activations[0], activations32[0], batch * sizes[0])
      withFloatWeights { p, wT in forwardLayers(p, workspace32, batch: batch, transposed: wT) }
      // The outputs and the output layer's inputs (`lastFeatures`) as Double.
      for l in Swift.max(1, layerCount - 1)...layerCount {
        spg_to_double(activations32[l], activations[l], batch * sizes[l])
      }
    } else {
      parameters.withUnsafeBufferPointer { pb in
        guard let p = pb.baseAddress else { return }
        forwardLayers(p, workspace, batch: batch)
      }
    }
    return UnsafePointer(activations[layerCount])
  }

  /// Forward-mode derivative of the last `forward` in parameter direction
  /// `v` (`parameterCount` values): returns J·v, `[batch, outputSize]`,
  /// valid until the next call. (Tangents: dZ = A dWᵀ + dA Wᵀ + db,
  /// dA' = act'(Z) ⊙ dZ.)
  public func jvp(_ v: UnsafePointer<Double>) -> UnsafePointer<Double> {
    let batch = lastBatch
    guard batch > 0 else { return UnsafePointer(deltaA) }
    if precision == .float32 {
      scratch32.withUnsafeMutableBufferPointer { dst in
        if let y = dst.baseAddress { spg_to_float(v, y, dst.count) }
      }
      let p32 = parameters32
      let tangent: UnsafeMutablePointer<Float>? = scratch32.withUnsafeBufferPointer { vb in
        p32.withUnsafeBufferPointer { pb in
          guard let p = pb.baseAddress, let v32 = vb.baseAddress else { return nil }
          return jvpLayers(p, v32, workspace32, batch: batch)
        }
      }
      if let tangent { spg_to_double(tangent, deltaA, batch * outputSize) }
    } else {
      let tangent: UnsafeMutablePointer<Double>? = parameters.withUnsafeBufferPointer { pb in
        guard let p = pb.baseAddress else { return nil }
        return jvpLayers(p, v, workspace, batch: batch)
      }
      if let tangent, tangent != deltaA { deltaA.update(from: tangent, count: batch * outputSize) }
    }
    return UnsafePointer(deltaA)
  }

  /// Back-propagates `dOutput` (`[batch, outputSize]`, the gradient of a
  /// scalar with respect to the outputs of the last `forward`) and ADDS the
  /// parameter gradient to `gradient` (`parameterCount` values).
  public func backward(_ dOutput: UnsafePointer<Double>, into gradient: UnsafeMutablePointer<Double>) {
    backwardPass(dOutput, into: gradient, batch: lastBatch, inputLayer: nil)
  }

  /// The backward pass of a batch; W₀'s gradient from `inputLayer` when
  /// given, else from the input copy.
  private func backwardPass(
    _ dOutput: UnsafePointer<Double>, into gradient: UnsafeMutablePointer<Double>, batch: Int,
    inputLayer: (any MLPInputLayer)?
  ) {
    guard batch > 0 else { return }
    if precision == .float32 {
      spg_to_float(dOutput, deltaA32, batch * outputSize)
      let p32 = parameters32
      let first: ((UnsafePointer<Float>, UnsafeMutablePointer<Double>) -> Void)? = inputLayer.map { layer in
        { delta, gw in layer.addWeightGradient(delta, batch: batch, into: gw) }
      }
      scratch32.withUnsafeMutableBufferPointer { sb in
        p32.withUnsafeBufferPointer { pb in
          guard let p = pb.baseAddress, let gw32 = sb.baseAddress else { return }
          backwardLayers(p, workspace32, batch: batch, into: gradient, firstLayerWeightGradient: first) {
            delta, x, nOut, nIn, gw in
            // dW in Float, then accumulated in Double.
            Dense.sgemm(
              transposeA: true, transposeB: false, m: nOut, n: nIn, k: batch,
              a: delta, lda: nOut, b: x, ldb: nIn, beta: 0, c: gw32, ldc: nIn)
            spg_add_float(gw32, gw, nOut * nIn)
          }
        }
      }
    } else {
      deltaA.update(from: dOutput, count: batch * outputSize)
      let first: ((UnsafePointer<Double>, UnsafeMutablePointer<Double>) -> Void)? = inputLayer.map { layer in
        { delta, gw in layer.addWeightGradient(delta, batch: batch, into: gw) }
      }
      parameters.withUnsafeBufferPointer { pb in
        guard let p = pb.baseAddress else { return }
        backwardLayers(p, workspace, batch: batch, into: gradient, firstLayerWeightGradient: first) {
          delta, x, nOut, nIn, gw in
          Double.gemm(
            transposeA: true, transposeB: false, m: nOut, n: nIn, k: batch,
            a: delta, lda: nOut, b: x, ldb: nIn, beta: 1, c: gw, ldc: nIn)
        }
      }
    }
  }
}

// MARK: - A first layer computed by the caller

/// The first layer of an `MLP` for inputs a dense product would mostly
/// waste (NeuralSequenceModel: one-hot slots and per-prompt features): the
/// implementation knows the batch's inputs (set before `forward`) and
/// computes z = W₀x + b₀ and W₀'s gradient from them. `weights` is the
/// first layer's block of the parameters in the network's precision (W₀,
/// `sizes[1] × sizes[0]` row-major, then b₀); `version` is the network's
/// `parameterVersion`, unchanged as long as the weights are.
protocol MLPInputLayer: AnyObject {
  /// z `[batch, sizes[1]]` = x W₀ᵀ + b₀ of the batch's rows.
  func preActivations(weights: UnsafePointer<Double>, version: Int, batch: Int, into z: UnsafeMutablePointer<Double>)
  func preActivations(weights: UnsafePointer<Float>, version: Int, batch: Int, into z: UnsafeMutablePointer<Float>)
  /// Adds Σᵢ δᵢ xᵢᵀ (`sizes[1] × sizes[0]`, row-major) of the batch of the
  /// last `preActivations` to `gradient`, from δ = ∂/∂z `[batch, sizes[1]]`.
  func addWeightGradient(_ delta: UnsafePointer<Double>, batch: Int, into gradient: UnsafeMutablePointer<Double>)
  func addWeightGradient(_ delta: UnsafePointer<Float>, batch: Int, into gradient: UnsafeMutablePointer<Double>)
}

extension MLP {
  /// `forward` with the first layer's pre-activations from `inputLayer`
  /// (the rest as `forward`: the same layers, precision and outputs).
  /// Follow it with `backward(_:into:inputLayer:)` (the dense `backward`
  /// and `jvp` see an empty batch: there is no input copy).
  func forward(batch: Int, inputLayer: some MLPInputLayer) -> UnsafePointer<Double> {
    reserve(Swift.max(batch, 1))
    lastBatch = 0
    lastInputLayerBatch = batch
    let version = parameterVersion
    if precision == .float32 {
      reserve32(Swift.max(batch, 1))
      withFloatWeights { p, wT in
        inputLayer.preActivations(weights: p, version: version, batch: batch, into: activations32[1])
        if layerCount > 1 { activate(activations32[1], count: batch * sizes[1]) }
        forwardLayers(p, workspace32, batch: batch, from: 1, transposed: wT)
      }
      for l in Swift.max(1, layerCount - 1)...layerCount {
        spg_to_double(activations32[l], activations[l], batch * sizes[l])
      }
    } else {
      parameters.withUnsafeBufferPointer { pb in
        guard let p = pb.baseAddress else { return }
        inputLayer.preActivations(weights: p, version: version, batch: batch, into: activations[1])
        if layerCount > 1 { activate(activations[1], count: batch * sizes[1]) }
        forwardLayers(p, workspace, batch: batch, from: 1)
      }
    }
    return UnsafePointer(activations[layerCount])
  }

  /// `backward` after `forward(batch:inputLayer:)`: ADDS the parameter
  /// gradient to `gradient`, the first layer's weights' part from
  /// `inputLayer` (the same object).
  func backward(
    _ dOutput: UnsafePointer<Double>, into gradient: UnsafeMutablePointer<Double>, inputLayer: some MLPInputLayer
  ) {
    backwardPass(dOutput, into: gradient, batch: lastInputLayerBatch, inputLayer: inputLayer)
  }
}

/// Per-layer activations `[capacity, sizes[l]]` and two delta buffers
/// `[capacity, widest layer]` of one precision, grown to the largest batch
/// seen (no allocation per call in steady state).
final class LayerWorkspace<Scalar> {
  private let sizes: [Int]
  private(set) var activations: [UnsafeMutablePointer<Scalar>] = []
  private(set) var deltaA: UnsafeMutablePointer<Scalar> = .allocate(capacity: 1)
  private(set) var deltaB: UnsafeMutablePointer<Scalar> = .allocate(capacity: 1)
  private var capacity = 0

  init(sizes: [Int]) { self.sizes = sizes }

  deinit {
    for a in activations { a.deallocate() }
    deltaA.deallocate()
    deltaB.deallocate()
  }

  func reserve(_ batch: Int) {
    if batch <= capacity { return }
    let newCapacity = Swift.max(batch, capacity * 2)
    for a in activations { a.deallocate() }
    activations = sizes.map { UnsafeMutablePointer<Scalar>.allocate(capacity: newCapacity * $0) }
    let widest = sizes.max() ?? 1
    deltaA.deallocate()
    deltaB.deallocate()
    deltaA = .allocate(capacity: newCapacity * widest)
    deltaB = .allocate(capacity: newCapacity * widest)
    capacity = newCapacity
  }
}

// MARK: - The layer passes, written once for both precisions

/// The arithmetic of one precision of the layers, Double or Float: the
/// products and vectorised kernels of CMathShims (whose float64 results
/// are bit-identical to plain Swift loops). Gradients are Double either way.
protocol LayerScalar: BinaryFloatingPoint {
  /// C = op(A)·op(B) + beta·C.
  static func gemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Self>, lda: Int,
    b: UnsafePointer<Self>, ldb: Int, beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
  static func tanh(_ y: UnsafeMutablePointer<Self>, count: Int)
  /// d[i] *= 1 − h[i]².
  static func tanhBackward(_ d: UnsafeMutablePointer<Self>, _ h: UnsafePointer<Self>, count: Int)
  /// g[j] += Σ_r d[r, j] (rows in order), in Double.
  static func sumRows(_ d: UnsafePointer<Self>, rows: Int, cols: Int, into g: UnsafeMutablePointer<Double>)
}

extension LayerScalar {
  /// y[r, j] = b[j] for `rows` rows of `cols` values.
  static func fillRows(_ y: UnsafeMutablePointer<Self>, _ b: UnsafePointer<Self>, rows: Int, cols: Int) {
    for r in 0..<rows { (y + r * cols).update(from: b, count: cols) }
  }
}

extension Double: LayerScalar {
  static func gemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Double>, lda: Int,
    b: UnsafePointer<Double>, ldb: Int, beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
  ) {
    Dense.dgemm(
      transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
      beta: beta, c: c, ldc: ldc)
  }
  static func tanh(_ y: UnsafeMutablePointer<Double>, count: Int) { FastMath.tanh(y, count: count) }
  static func tanhBackward(_ d: UnsafeMutablePointer<Double>, _ h: UnsafePointer<Double>, count: Int) {
    spg_tanh_backward(d, h, count)
  }
  static func sumRows(_ d: UnsafePointer<Double>, rows: Int, cols: Int, into g: UnsafeMutablePointer<Double>) {
    spg_sum_rows(d, rows, cols, g)
  }
}

extension Float: LayerScalar {
  static func gemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    Dense.sgemm(
      transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta,
      c: c, ldc: ldc)
  }
  static func tanh(_ y: UnsafeMutablePointer<Float>, count: Int) { FastMath.tanh(y, count: count) }
  static func tanhBackward(_ d: UnsafeMutablePointer<Float>, _ h: UnsafePointer<Float>, count: Int) {
    spg_tanh_backward_f(d, h, count)
  }
  static func sumRows(_ d: UnsafePointer<Float>, rows: Int, cols: Int, into g: UnsafeMutablePointer<Double>) {
    spg_sum_rows_f(d, rows, cols, g)
  }
}

extension MLP {
  /// The float parameters and the transposed float weights (`weightsT32`).
  fileprivate func withFloatWeights(_ body: (UnsafePointer<Float>, UnsafePointer<Float>) -> Void) {
    parameters32.withUnsafeBufferPointer { pb in
      weightsT32.withUnsafeBufferPointer { tb in
        guard let p = pb.baseAddress, let t = tb.baseAddress else { return }
        body(p, t)
      }
    }
  }

  /// activations[l + 1] = act(activations[l] · W_lᵀ + b_l) for every layer
  /// (no activation on the output layer), from `ws.activations[0]`.
  /// `transposed`: the weights as W_lᵀ at the same offsets (the float
  /// path's `weightsT32`), read in place of W_l.
  fileprivate func forwardLayers<S: LayerScalar>(
    _ p: UnsafePointer<S>, _ ws: LayerWorkspace<S>, batch: Int, from first: Int = 0,
    transposed: UnsafePointer<S>? = nil
  ) {
    for l in first..<layerCount {
      let nIn = sizes[l]
      let nOut = sizes[l + 1]
      let w = p + offsets[l]
      let y = ws.activations[l + 1]
      // y = b, then y += X·Wᵀ: the same sums as X·Wᵀ + b (one rounding of
      // the dot product plus the bias) while OpenBLAS's dgemm runs the k
      // loop in one block, which it does up to 256 inputs; wider layers add
      // the bias after the product, so their partial sums associate as
      // before. (Float32's spg_sgemm is row-invariant either way.)
      let prefill = nIn <= 256
      if prefill { S.fillRows(y, w + nOut * nIn, rows: batch, cols: nOut) }
      if batch > 0, let transposed {
        S.gemm(
          transposeA: false, transposeB: false, m: batch, n: nOut, k: nIn,
          a: ws.activations[l], lda: nIn, b: transposed + offsets[l], ldb: nOut, beta: prefill ? 1 : 0, c: y,
          ldc: nOut)
      } else if batch > 0 {
        S.gemm(
          transposeA: false, transposeB: true, m: batch, n: nOut, k: nIn,
          a: ws.activations[l], lda: nIn, b: w, ldb: nIn, beta: prefill ? 1 : 0, c: y, ldc: nOut)
      }
      if !prefill {
        let b = w + nOut * nIn
        for r in 0..<batch {
          for j in 0..<nOut { y[r * nOut + j] += b[j] }
        }
      }
      if l < layerCount - 1 { activate(y, count: batch * nOut) }
    }
  }

  /// The hidden activation in place.
  fileprivate func activate<S: LayerScalar>(_ y: UnsafeMutablePointer<S>, count: Int) {
    switch activation {
    case .tanh: S.tanh(y, count: count)
    case .relu: for i in 0..<count { y[i] = Swift.max(y[i], 0) }
    }
  }

  /// J·v through the layers of the last forward pass, with the direction
  /// `v` in the parameters' layout; returns the buffer of `ws` (deltaA or
  /// deltaB) that holds the outputs' tangents `[batch, outputSize]`.
  fileprivate func jvpLayers<S: LayerScalar>(
    _ p: UnsafePointer<S>, _ v: UnsafePointer<S>, _ ws: LayerWorkspace<S>, batch: Int
  ) -> UnsafeMutablePointer<S> {
    var tangent = ws.deltaA  // dA of the layer input; none for the network input
    var next = ws.deltaB
    for l in 0..<layerCount {
      let nIn = sizes[l]
      let nOut = sizes[l + 1]
      let dw = v + offsets[l]
      let db = dw + nOut * nIn
      // next = A · dWᵀ (+ dA · Wᵀ)
      S.gemm(
        transposeA: false, transposeB: true, m: batch, n: nOut, k: nIn,
        a: ws.activations[l], lda: nIn, b: dw, ldb: nIn, beta: 0, c: next, ldc: nOut)
      if l > 0 {
        S.gemm(
          transposeA: false, transposeB: true, m: batch, n: nOut, k: nIn,
          a: tangent, lda: nIn, b: p + offsets[l], ldb: nIn, beta: 1, c: next, ldc: nOut)
      }
      let hidden = l < layerCount - 1
      let h = ws.activations[l + 1]
      for r in 0..<batch {
        for j in 0..<nOut {
          let k = r * nOut + j
          let dz = next[k] + db[j]
          if hidden {
            switch activation {
            case .tanh: next[k] = (1 - h[k] * h[k]) * dz
            case .relu: next[k] = h[k] > 0 ? dz : 0
            }
          } else {
            next[k] = dz
          }
        }
      }
      swap(&tangent, &next)
    }
    return tangent
  }

  /// Back-propagates the output gradient in `ws.deltaA` (overwritten),
  /// layer by layer: `addWeightGradient(delta, X, nOut, nIn, gw)` adds
  /// deltaᵀ·X to the layer's weight gradient gw, the bias gradient gets
  /// the column sums of delta, and delta goes back through W and the
  /// activation.
  fileprivate func backwardLayers<S: LayerScalar>(
    _ p: UnsafePointer<S>, _ ws: LayerWorkspace<S>, batch: Int, into gradient: UnsafeMutablePointer<Double>,
    firstLayerWeightGradient: ((UnsafePointer<S>, UnsafeMutablePointer<Double>) -> Void)? = nil,
    addWeightGradient: (UnsafePointer<S>, UnsafePointer<S>, Int, Int, UnsafeMutablePointer<Double>) -> Void
  ) {
    var delta = ws.deltaA
    var spare = ws.deltaB
    for l in stride(from: layerCount - 1, through: 0, by: -1) {
      let nIn = sizes[l]
      let nOut = sizes[l + 1]
      let gw = gradient + offsets[l]
      if l == 0, let firstLayerWeightGradient {
        firstLayerWeightGradient(delta, gw)
      } else {
        addWeightGradient(delta, ws.activations[l], nOut, nIn, gw)
      }
      S.sumRows(delta, rows: batch, cols: nOut, into: gw + nOut * nIn)
      if l == 0 { break }
      // dX = delta · W, then through the activation of layer l.
      S.gemm(
        transposeA: false, transposeB: false, m: batch, n: nIn, k: nOut,
        a: delta, lda: nOut, b: p + offsets[l], ldb: nIn, beta: 0, c: spare, ldc: nIn)
      let h = ws.activations[l]
      // One loop per activation (the switch outside), so each vectorises.
      switch activation {
      case .tanh: S.tanhBackward(spare, h, count: batch * nIn)
      case .relu: for i in 0..<(batch * nIn) { spare[i] = h[i] > 0 ? spare[i] : 0 }
      }
      swap(&delta, &spare)
    }
  }
}

/// A `rows × cols` matrix (row-major) with orthonormal rows or columns
/// (whichever are fewer), from Gram–Schmidt on a Gaussian matrix.
func orthogonalMatrix(rows: Int, cols: Int, using rng: inout some RandomNumberGenerator) -> [Double] {
  // Orthonormalise k = min(rows, cols) vectors of length m = max(rows, cols).
  let m = Swift.max(rows, cols)
  let k = Swift.min(rows, cols)
  var q = [Double](repeating: 0, count: k * m)  // k vectors, each length m
  for i in 0..<(k * m) { q[i] = rng.standardNormal() }
  for j in 0..<k {
    for _ in 0..<2 {  // re-orthogonalise once for numerical stability
      for p in 0..<j {
        var dot = 0.0
        for t in 0..<m { dot += q[j * m + t] * q[p * m + t] }
        for t in 0..<m { q[j * m + t] -= dot * q[p * m + t] }
      }
    }
    var norm = 0.0
    for t in 0..<m { norm += q[j * m + t] * q[j * m + t] }
    norm = norm.squareRoot()
    let inv = norm > 0 ? 1 / norm : 0
    for t in 0..<m { q[j * m + t] *= inv }
  }
  var w = [Double](repeating: 0, count: rows * cols)
  for r in 0..<rows {
    for c in 0..<cols {
      // rows >= cols: the columns of W are the k vectors; otherwise its rows.
      w[r * cols + c] = rows >= cols ? q[c * m + r] : q[r * m + c]
    }
  }
  return w
}

// MARK: - Stored activations (NeuralSequenceModel's per-context cache)

extension MLP {
  /// Whether a row of every pass depends only on its own input row, never
  /// on the other rows of the batch or on the batch size: true in both
  /// precisions, since every product is swiftpg's own (`spg_sgemm`: each
  /// element's products summed in the order of k; `spg_dgemm`: one fused
  /// multiply-add chain per element), the activations act elementwise and
  /// an input layer computes each row from its own inputs. What
  /// `NeuralSequenceModel`'s activation cache relies on (a test compares
  /// cached and computed rows bit for bit in both precisions).
  var rowsAreBatchInvariant: Bool { true }

  /// The bytes per row `storeActivations` writes: every layer's outputs
  /// after the first (Σ_{l ≥ 1} sizes[l] values) in the network's precision.
  var activationRowBytes: Int {
    sizes.dropFirst().reduce(0, +) * (precision == .float32 ? MemoryLayout<Float>.stride : MemoryLayout<Double>.stride)
  }

  /// Copies row r (0..<`batch`) of the last `forward(batch:inputLayer:)`'s
  /// activations — layers 1…L in order, in the network's precision — to
  /// `destination(r)` (`activationRowBytes` bytes).
  func storeActivations(batch: Int, into destination: (Int) -> UnsafeMutableRawPointer) {
    let float32 = precision == .float32
    for r in 0..<batch {
      var out = destination(r)
      for l in 1...layerCount {
        let w = sizes[l]
        if float32 {
          out.copyMemory(from: activations32[l] + r * w, byteCount: w * MemoryLayout<Float>.stride)
          out += w * MemoryLayout<Float>.stride
        } else {
          out.copyMemory(from: activations[l] + r * w, byteCount: w * MemoryLayout<Double>.stride)
          out += w * MemoryLayout<Double>.stride
        }
      }
    }
  }

  /// Leaves the state `forward(batch:inputLayer:)` would, from rows stored
  /// by `storeActivations` (`source(r)` for row r) instead of computing
  /// them, and returns the outputs. Valid only when the stored rows are
  /// those the pass would compute: the same parameters and precision, and
  /// `rowsAreBatchInvariant`. The input layer must hold the batch's rows
  /// (its `backward` reads them).
  func restoreForward(batch: Int, from source: (Int) -> UnsafeRawPointer) -> UnsafePointer<Double> {
    reserve(Swift.max(batch, 1))
    lastBatch = 0
    lastInputLayerBatch = batch
    if precision == .float32 {
      reserve32(Swift.max(batch, 1))
      for r in 0..<batch {
        var src = source(r)
        for l in 1...layerCount {
          let w = sizes[l]
          UnsafeMutableRawPointer(activations32[l] + r * w).copyMemory(
            from: src, byteCount: w * MemoryLayout<Float>.stride)
          src += w * MemoryLayout<Float>.stride
        }
      }
      // The float32 pass also leaves Double copies of its last two layers.
      for l in Swift.max(1, layerCount - 1)...layerCount {
        spg_to_double(activations32[l], activations[l], batch * sizes[l])
      }
    } else {
      for r in 0..<batch {
        var src = source(r)
        for l in 1...layerCount {
          let w = sizes[l]
          UnsafeMutableRawPointer(activations[l] + r * w).copyMemory(
            from: src, byteCount: w * MemoryLayout<Double>.stride)
          src += w * MemoryLayout<Double>.stride
        }
      }
    }
    return UnsafePointer(activations[layerCount])
  }
}
