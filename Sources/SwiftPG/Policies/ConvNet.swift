import CMathShims

/// A small convolutional network over board planes: L convolution layers
/// (k × k kernels, stride 1, same padding with zeros, bias, ReLU) and a
/// linear output layer on the flattened last feature map — the shape of
/// AlphaGo's policy and value networks (Silver et al. 2016) at toy size.
///
/// Input: a batch `[N, C, H, W]` (the games' planes, row-major). Inside,
/// feature maps are stored `[N, H, W, channels]` so that each layer is one
/// BLAS product over all N·H·W positions (im2col: a row per position, the
/// k·k·c_in values of its window, zeros outside the board).
///
/// Parameters (one flat vector): for each layer l, W_l `[c_l, k, k,
/// c_{l−1}]` (row-major: output channel, kernel row, kernel column, input
/// channel; c_{−1} = C) then b_l `[c_l]`; then the output layer W_out
/// `[outputSize, H, W, c_{L−1}]` and b_out `[outputSize]`.
///
/// Precision as `MLP`: parameters, gradients and checkpoints are `Double`;
/// `.float32` runs the products with sgemm on a float copy of the weights.
/// Not thread-safe: one batch at a time. Workspaces grow to the largest
/// batch seen and are reused.
public final class ConvNet: BoardTrunk {
  public let planes: Int
  public let height: Int
  public let width: Int
  /// Output channels of each convolution layer (at least one layer).
  public let channels: [Int]
  /// The kernel's side k (odd, so "same" padding is (k − 1)/2 each side).
  public let kernelSize: Int
  public let outputSize: Int
  public private(set) var parameters: [Double]
  /// Offset of W_l for each convolution layer, then of W_out.
  public let offsets: [Int]
  public private(set) var precision = MLP.Precision.float64

  private var parameters32: [Float] = []
  /// Float scratch of the largest weight block (one layer's gradient).
  private var scratch32: [Float] = []
  private let workspace: ConvWorkspace<Double>
  private let workspace32: ConvWorkspace<Float>
  private var lastBatch = 0

  public static let maxLayers = 32
  public static let maxChannels = 1024
  public static let maxBoardSide = 32
  public static let maxKernelSize = 9

  /// - Throws: `.invalidArgument` unless every size is in range (1 to 32
  ///   layers of 1…1024 channels, planes 1…1024, board sides 1…32, an odd
  ///   kernel side 1…9, 1…2^16 outputs); `.tooLarge` when the network has
  ///   more than `Limits.maxParameters` parameters.
  public init(
    planes: Int, height: Int, width: Int, channels: [Int], kernelSize: Int = 3, outputSize: Int
  ) throws(SwiftPGError) {
    try require(planes >= 1 && planes <= Self.maxChannels, "planes must be in [1, \(Self.maxChannels)], got \(planes)")
    try require(
      height >= 1 && height <= Self.maxBoardSide && width >= 1 && width <= Self.maxBoardSide,
      "the board must be 1…\(Self.maxBoardSide) on each side, got \(height) × \(width)")
    try require(
      !channels.isEmpty && channels.count <= Self.maxLayers,
      "a ConvNet has 1…\(Self.maxLayers) convolution layers, got \(channels.count)")
    for (l, c) in channels.enumerated() {
      try require(c >= 1 && c <= Self.maxChannels, "channels[\(l)] must be in [1, \(Self.maxChannels)], got \(c)")
    }
    try require(
      kernelSize >= 1 && kernelSize <= Self.maxKernelSize && kernelSize % 2 == 1,
      "the kernel side must be odd and in [1, \(Self.maxKernelSize)], got \(kernelSize)")
    try require(
      outputSize >= 1 && outputSize <= MLP.maxLayerSize, "outputSize must be in [1, \(MLP.maxLayerSize)], got \(outputSize)")
    let cells = height * width
    var offsets: [Int] = []
    var total = 0
    var cIn = planes
    for c in channels {
      offsets.append(total)
      total += c * kernelSize * kernelSize * cIn + c  // < 2^31 each
      try require(total <= Limits.maxParameters, "the ConvNet has more than \(Limits.maxParameters) parameters", code: .tooLarge)
      cIn = c
    }
    offsets.append(total)
    total += outputSize * cells * cIn + outputSize
    try require(total <= Limits.maxParameters, "the ConvNet has more than \(Limits.maxParameters) parameters", code: .tooLarge)
    self.planes = planes
    self.height = height
    self.width = width
    self.channels = channels
    self.kernelSize = kernelSize
    self.outputSize = outputSize
    self.offsets = offsets
    parameters = Array(repeating: 0, count: total)
    let sizes = Self.bufferSizes(planes: planes, cells: cells, channels: channels, k: kernelSize, outputs: outputSize)
    workspace = ConvWorkspace(perSample: sizes)
    workspace32 = ConvWorkspace(perSample: sizes)
  }

  /// `[planes, height, width, kernelSize, L, channels…, outputSize]`.
  public var specification: [Double] {
    ([planes, height, width, kernelSize, channels.count] + channels + [outputSize]).map(Double.init)
  }

  /// The network of a `specification` (parameters zero); `.invalidArgument`
  /// for a malformed one.
  public convenience init(specification s: [Double]) throws(SwiftPGError) {
    try require(s.count >= 7 && s.count <= 6 + Self.maxLayers, "a ConvNet specification has \(s.count) numbers")
    let v = try wholeNumbers(s, "the ConvNet specification")
    try require(v[4] >= 1 && v.count == 6 + v[4], "the ConvNet specification's layer count \(v[4]) does not match its length \(v.count)")
    try self.init(
      planes: v[0], height: v[1], width: v[2], channels: Array(v[5..<(5 + v[4])]), kernelSize: v[3],
      outputSize: v[5 + v[4]])
  }

  public var inputSize: Int { planes * height * width }
  public var parameterCount: Int { parameters.count }
  var layerCount: Int { channels.count }
  var cells: Int { height * width }
  /// Input channels of convolution layer l.
  func inputChannels(_ l: Int) -> Int { l == 0 ? planes : channels[l - 1] }

  /// Per-sample sizes of the workspace buffers: the L + 1 feature maps,
  /// the L im2col matrices, the outputs, two deltas and the im2col delta.
  static func bufferSizes(planes: Int, cells: Int, channels: [Int], k: Int, outputs: Int) -> [Int] {
    let inputs = [planes] + channels.dropLast()
    let maps = ([planes] + channels).map { cells * $0 }
    let cols = inputs.map { cells * k * k * $0 }
    let widest = cells * (([planes] + channels).max() ?? 1)
    return maps + cols + [outputs, widest, widest, cols.max() ?? 1]
  }

  public func setParameters(_ values: [Double]) throws(SwiftPGError) {
    try require(values.count == parameters.count, "expected \(parameters.count) parameters, got \(values.count)")
    parameters = values
    syncParameters32()
  }

  public func setPrecision(_ p: MLP.Precision) {
    precision = p
    syncParameters32()
  }

  private func syncParameters32() {
    guard precision == .float32 else {
      parameters32 = []
      scratch32 = []
      return
    }
    parameters32 = parameters.map { Float($0) }
    let ends = Array(offsets.dropFirst()) + [parameters.count]
    let largest = zip(offsets, ends).map { $1 - $0 }.max() ?? 0
    if scratch32.count != largest { scratch32 = Array(repeating: 0, count: largest) }
  }

  /// He initialisation (He et al. 2015) for the convolutions: weights
  /// N(0, 2 / fan_in), fan_in = k·k·c_in; the output layer N(0,
  /// outputGain² / fan_in) (a small gain keeps the first policy near
  /// uniform and the first values near 0); every bias 0.
  public func initialize(outputGain: Double = 0.01, using rng: inout some RandomNumberGenerator) {
    for l in 0...layerCount {
      let isOutput = l == layerCount
      let fanIn = isOutput ? cells * channels[layerCount - 1] : kernelSize * kernelSize * inputChannels(l)
      let rows = isOutput ? outputSize : channels[l]
      let std = (isOutput ? outputGain : 2.0.squareRoot()) / Double(fanIn).squareRoot()
      for i in 0..<(rows * fanIn) { parameters[offsets[l] + i] = std * rng.standardNormal() }
      for i in 0..<rows { parameters[offsets[l] + rows * fanIn + i] = 0 }
    }
    syncParameters32()
  }

  public func forward(_ x: UnsafePointer<Double>, batch: Int) -> UnsafePointer<Double> {
    let batch = Swift.max(batch, 0)
    lastBatch = batch
    workspace.reserve(Swift.max(batch, 1))
    if precision == .float32 {
      workspace32.reserve(Swift.max(batch, 1))
      transposeInput(x, into: workspace32.buffers[0], batch: batch) { Float($0) }
      parameters32.withUnsafeBufferPointer { pb in
        guard let p = pb.baseAddress else { return }
        forwardLayers(p, workspace32, batch: batch)
      }
      spg_to_double(workspace32.buffers[outputIndex], workspace.buffers[outputIndex], batch * outputSize)
    } else {
      transposeInput(x, into: workspace.buffers[0], batch: batch) { $0 }
      parameters.withUnsafeBufferPointer { pb in
        guard let p = pb.baseAddress else { return }
        forwardLayers(p, workspace, batch: batch)
      }
    }
    return UnsafePointer(workspace.buffers[outputIndex])
  }

  public func backward(_ dOutput: UnsafePointer<Double>, into gradient: UnsafeMutablePointer<Double>) {
    let batch = lastBatch
    guard batch > 0 else { return }
    if precision == .float32 {
      let delta = workspace32.buffers[deltaAIndex]
      spg_to_float(dOutput, delta, batch * outputSize)
      let p32 = parameters32
      scratch32.withUnsafeMutableBufferPointer { sb in
        p32.withUnsafeBufferPointer { pb in
          guard let p = pb.baseAddress, let s = sb.baseAddress else { return }
          backwardLayers(p, workspace32, batch: batch, into: gradient) { d, x, m, n, k, g in
            Dense.sgemm(
              transposeA: true, transposeB: false, m: m, n: n, k: k, a: d, lda: m, b: x, ldb: n, beta: 0, c: s, ldc: n)
            spg_add_float(s, g, m * n)
          }
        }
      }
    } else {
      workspace.buffers[deltaAIndex].update(from: dOutput, count: batch * outputSize)
      parameters.withUnsafeBufferPointer { pb in
        guard let p = pb.baseAddress else { return }
        backwardLayers(p, workspace, batch: batch, into: gradient) { d, x, m, n, k, g in
          Dense.gemm(
            transposeA: true, transposeB: false, m: m, n: n, k: k, alpha: 1, a: d, lda: m, b: x, ldb: n, beta: 1,
            c: g, ldc: n)
        }
      }
    }
  }

  // MARK: - Buffers of the workspace

  private func mapIndex(_ l: Int) -> Int { l }
  private func colsIndex(_ l: Int) -> Int { layerCount + 1 + l }
  private var outputIndex: Int { 2 * layerCount + 1 }
  private var deltaAIndex: Int { 2 * layerCount + 2 }
  private var deltaBIndex: Int { 2 * layerCount + 3 }
  private var deltaColsIndex: Int { 2 * layerCount + 4 }

  /// [N, C, H·W] → [N, H·W, C], converting each value.
  private func transposeInput<S>(
    _ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<S>, batch: Int, _ convert: (Double) -> S
  ) {
    let n = cells
    for b in 0..<batch {
      let src = x + b * planes * n
      let dst = y + b * planes * n
      for c in 0..<planes {
        for p in 0..<n { dst[p * planes + c] = convert(src[c * n + p]) }
      }
    }
  }

  /// The windows of every position: cols `[N·H·W, k·k·c]` from the map
  /// `[N, H, W, c]`, zeros outside the board.
  private func im2col<S: LayerScalar>(_ map: UnsafePointer<S>, _ cols: UnsafeMutablePointer<S>, c: Int, batch: Int) {
    let k = kernelSize
    let pad = k / 2
    let rowLength = k * k * c
    for b in 0..<batch {
      for y in 0..<height {
        for x in 0..<width {
          let row = cols + ((b * height + y) * width + x) * rowLength
          for ky in 0..<k {
            let yy = y + ky - pad
            for kx in 0..<k {
              let xx = x + kx - pad
              let dst = row + (ky * k + kx) * c
              if yy >= 0 && yy < height && xx >= 0 && xx < width {
                dst.update(from: map + ((b * height + yy) * width + xx) * c, count: c)
              } else {
                dst.update(repeating: 0, count: c)
              }
            }
          }
        }
      }
    }
  }

  /// The adjoint of `im2col`: adds each window's delta back onto the
  /// positions it was read from (`dMap` must be zeroed first).
  private func col2im<S: LayerScalar>(_ cols: UnsafePointer<S>, _ dMap: UnsafeMutablePointer<S>, c: Int, batch: Int) {
    let k = kernelSize
    let pad = k / 2
    let rowLength = k * k * c
    for b in 0..<batch {
      for y in 0..<height {
        for x in 0..<width {
          let row = cols + ((b * height + y) * width + x) * rowLength
          for ky in 0..<k {
            let yy = y + ky - pad
            guard yy >= 0 && yy < height else { continue }
            for kx in 0..<k {
              let xx = x + kx - pad
              guard xx >= 0 && xx < width else { continue }
              let src = row + (ky * k + kx) * c
              let dst = dMap + ((b * height + yy) * width + xx) * c
              for i in 0..<c { dst[i] += src[i] }
            }
          }
        }
      }
    }
  }

  private func forwardLayers<S: LayerScalar>(_ p: UnsafePointer<S>, _ ws: ConvWorkspace<S>, batch: Int) {
    guard batch > 0 else { return }
    let positions = batch * cells
    for l in 0..<layerCount {
      let cIn = inputChannels(l)
      let cOut = channels[l]
      let kk = kernelSize * kernelSize * cIn
      let cols = ws.buffers[colsIndex(l)]
      let y = ws.buffers[mapIndex(l + 1)]
      im2col(ws.buffers[mapIndex(l)], cols, c: cIn, batch: batch)
      let w = p + offsets[l]
      S.fillRows(y, w + cOut * kk, rows: positions, cols: cOut)
      S.gemm(
        transposeA: false, transposeB: true, m: positions, n: cOut, k: kk, a: cols, lda: kk, b: w, ldb: kk, beta: 1,
        c: y, ldc: cOut)
      for i in 0..<(positions * cOut) where !(y[i] > 0) { y[i] = 0 }
    }
    let flat = cells * channels[layerCount - 1]
    let w = p + offsets[layerCount]
    let out = ws.buffers[outputIndex]
    S.fillRows(out, w + outputSize * flat, rows: batch, cols: outputSize)
    S.gemm(
      transposeA: false, transposeB: true, m: batch, n: outputSize, k: flat, a: ws.buffers[mapIndex(layerCount)],
      lda: flat, b: w, ldb: flat, beta: 1, c: out, ldc: outputSize)
  }

  /// Back-propagates the outputs' delta in `ws` (deltaA, overwritten);
  /// `addWeightGradient(d, x, m, n, k, g)` adds dᵀ·x (d `[k, m]`, x `[k,
  /// n]`) to the `m × n` block g of the Double gradient.
  private func backwardLayers<S: LayerScalar>(
    _ p: UnsafePointer<S>, _ ws: ConvWorkspace<S>, batch: Int, into gradient: UnsafeMutablePointer<Double>,
    addWeightGradient: (UnsafePointer<S>, UnsafePointer<S>, Int, Int, Int, UnsafeMutablePointer<Double>) -> Void
  ) {
    let positions = batch * cells
    var delta = ws.buffers[deltaAIndex]
    var spare = ws.buffers[deltaBIndex]
    // The output layer: dW = δᵀ·flat, db = Σ δ, dFlat = δ·W.
    let flat = cells * channels[layerCount - 1]
    let gOut = gradient + offsets[layerCount]
    addWeightGradient(delta, ws.buffers[mapIndex(layerCount)], outputSize, flat, batch, gOut)
    S.sumRows(delta, rows: batch, cols: outputSize, into: gOut + outputSize * flat)
    S.gemm(
      transposeA: false, transposeB: false, m: batch, n: flat, k: outputSize, a: delta, lda: outputSize,
      b: p + offsets[layerCount], ldb: flat, beta: 0, c: spare, ldc: flat)
    swap(&delta, &spare)
    for l in stride(from: layerCount - 1, through: 0, by: -1) {
      let cIn = inputChannels(l)
      let cOut = channels[l]
      let kk = kernelSize * kernelSize * cIn
      // Through the ReLU: zero where the layer's output was not positive.
      let y = ws.buffers[mapIndex(l + 1)]
      for i in 0..<(positions * cOut) where !(y[i] > 0) { delta[i] = 0 }
      let g = gradient + offsets[l]
      addWeightGradient(delta, ws.buffers[colsIndex(l)], cOut, kk, positions, g)
      S.sumRows(delta, rows: positions, cols: cOut, into: g + cOut * kk)
      if l == 0 { break }
      let dCols = ws.buffers[deltaColsIndex]
      S.gemm(
        transposeA: false, transposeB: false, m: positions, n: kk, k: cOut, a: delta, lda: cOut, b: p + offsets[l],
        ldb: kk, beta: 0, c: dCols, ldc: kk)
      spare.update(repeating: 0, count: positions * cIn)
      col2im(dCols, spare, c: cIn, batch: batch)
      swap(&delta, &spare)
    }
  }
}

/// Buffers of `perSample[i]` elements per sample, grown to the largest
/// batch seen (no allocation per call in steady state).
final class ConvWorkspace<Scalar> {
  private let perSample: [Int]
  private(set) var buffers: [UnsafeMutablePointer<Scalar>] = []
  private var capacity = 0

  init(perSample: [Int]) { self.perSample = perSample }

  deinit { for b in buffers { b.deallocate() } }

  func reserve(_ batch: Int) {
    if batch <= capacity { return }
    let newCapacity = Swift.max(batch, capacity * 2)
    for b in buffers { b.deallocate() }
    buffers = perSample.map { UnsafeMutablePointer<Scalar>.allocate(capacity: Swift.max(1, newCapacity * $0)) }
    capacity = newCapacity
  }
}
