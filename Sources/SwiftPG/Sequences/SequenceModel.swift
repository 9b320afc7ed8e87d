#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// The model families of sequence policies. Raw values are the family codes
/// that, with `specification`, rebuild a model (checkpoints, the C ABI).
public enum SequenceModelFamily: Int32, Sendable, CaseIterable {
  /// One logit row θ[x, prefix, ·] per prompt and prefix (`TabularSequenceModel`).
  case tabular = 1
  /// A neural n-gram model over prompt features, the last n tokens and the
  /// position (`NeuralSequenceModel`).
  case neural = 2
}

/// A next-token logit model over contexts (prompt id x, prefix y₀ … y_{t−1}).
///
/// A batch of `count` contexts is given as `prompts` `[count]` (ids in
/// 0..<promptCount), token rows `tokens` with stride L = `space.maxLength`,
/// and `positions` `[count]` (0 ≤ t < L): context i is the prompt
/// `prompts[i]` with the first t = `positions[i]` tokens of row
/// `rows?[i] ?? i` as its prefix (all content tokens, 0..<V). Several
/// contexts may share a row (`rows`), as the teacher-forced passes do.
///
/// The model trusts its inputs: callers (`SequencePolicy`) validate them.
/// `forward` writes logits `[count, V + 1]`, valid until the next call;
/// `backward` takes dLogits of the last `forward` and OVERWRITES `gradient`
/// (`parameterCount` values) with Jᵀ·dLogits. Not thread-safe.
/// `setParameters` checks the count only (finiteness is the policy's check);
/// `specification` with `family` rebuilds the model (`makeSequenceModel`).
public protocol SequenceModel: Parameterized {
  var family: SequenceModelFamily { get }
  var space: SequenceSpace { get }
  var promptCount: Int { get }
  func forward(
    prompts: UnsafePointer<Int32>, tokens: UnsafePointer<Int32>, rows: UnsafePointer<Int32>?,
    positions: UnsafePointer<Int32>, count: Int
  ) -> UnsafePointer<Double>
  func backward(_ dLogits: UnsafePointer<Double>, into gradient: UnsafeMutablePointer<Double>)
  /// `forward` for callers that can work per distinct context: the logits
  /// of `distinct` contexts `[distinct, V + 1]` and `rowOf[i]`, the row of
  /// context i among them (nil: context i is row i and `distinct ==
  /// count`). Contexts with the same row have the same logits, bit for bit.
  func forwardDistinct(
    prompts: UnsafePointer<Int32>, tokens: UnsafePointer<Int32>, rows: UnsafePointer<Int32>?,
    positions: UnsafePointer<Int32>, count: Int
  ) -> (logits: UnsafePointer<Double>, rowOf: UnsafePointer<Int32>?, distinct: Int)
}

extension SequenceModel {
  public func forwardDistinct(
    prompts: UnsafePointer<Int32>, tokens: UnsafePointer<Int32>, rows: UnsafePointer<Int32>?,
    positions: UnsafePointer<Int32>, count: Int
  ) -> (logits: UnsafePointer<Double>, rowOf: UnsafePointer<Int32>?, distinct: Int) {
    (forward(prompts: prompts, tokens: tokens, rows: rows, positions: positions, count: count), nil, count)
  }

  /// A deep copy: the same family, specification and parameters, sharing nothing.
  public func copy() throws(SwiftPGError) -> any SequenceModel {
    let m = try makeSequenceModel(family: family, specification: specification)
    try m.setParameters(parameters)
    return m
  }
}

/// Rebuilds a model from its family and specification (parameters zero for
/// the tabular model, an arbitrary orthogonal initialisation for the neural
/// one; set them afterwards).
public func makeSequenceModel(family: SequenceModelFamily, specification s: [Double]) throws(SwiftPGError)
  -> any SequenceModel
{
  try SequenceModelSpecification(family: family, specification: s).make()
}

/// A model's family and specification, parsed and checked — every size and
/// code, and the parameter count — without building (or allocating) the
/// model: checkpoints compare `parameterCount` with the parameters a file
/// stores before `make()` allocates anything. Errors are `.badFormat` for a
/// malformed specification, `.tooLarge` or `.invalid` for sizes the models
/// refuse.
public struct SequenceModelSpecification: Sendable {
  public let family: SequenceModelFamily
  public let space: SequenceSpace
  public let promptCount: Int
  /// The number of parameters of the model the specification describes.
  public let parameterCount: Int
  /// The neural model's network arithmetic (64 for the tabular model).
  public let precision: MLP.Precision
  private let neural: Neural?

  private struct Neural: Sendable {
    var featureSize: Int
    var contextSize: Int
    var activation: Activation
    var hidden: [Int]
    var promptFeatures: [Double]
  }

  public init(family: SequenceModelFamily, specification s: [Double]) throws(SwiftPGError) {
    func int(_ i: Int, _ name: String) throws(SwiftPGError) -> Int {
      try require(i < s.count, "sequence model specification is too short (no \(name))", code: .badFormat)
      let v = s[i]
      try require(
        v.isFinite && v == v.rounded() && abs(v) < 1e15, "specification \(name) must be an integer, got \(v)",
        code: .badFormat)
      return Int(v)
    }
    self.family = family
    space = try SequenceSpace(vocabularySize: try int(0, "V"), maxLength: try int(1, "L"))
    promptCount = try int(2, "prompt count")
    switch family {
    case .tabular:
      try require(
        s.count == 3, "a tabular sequence model's specification has 3 numbers, got \(s.count)", code: .badFormat)
      parameterCount = try TabularSequenceModel.parameterCount(space: space, promptCount: promptCount)
      precision = .float64
      neural = nil
    case .neural:
      let f = try int(3, "feature size")
      let n = try int(4, "context size")
      guard let activation = Activation(rawValue: Int32(clamping: try int(5, "activation"))) else {
        throw SwiftPGError(.badFormat, "unknown activation code \(s[5])")
      }
      guard let precision = MLP.Precision(rawValue: Int32(clamping: try int(6, "precision"))) else {
        throw SwiftPGError(.badFormat, "unknown precision \(s[6])")
      }
      let h = try int(7, "hidden count")
      try require(h >= 0 && h <= MLP.maxHiddenLayers, "bad hidden layer count \(h)", code: .badFormat)
      var hidden: [Int] = []
      for i in 0..<h { hidden.append(try int(8 + i, "hidden size \(i)")) }
      try require(promptCount >= 1 && f >= 0, "bad prompt count \(promptCount) or feature size \(f)", code: .badFormat)
      let featureCount = try checkedProduct(promptCount, f, "prompt features")
      try require(
        s.count == 8 + h + featureCount,
        "a neural sequence model's specification has \(8 + h + featureCount) numbers, got \(s.count)",
        code: .badFormat)
      try require(
        n >= 0 && n <= space.maxLength, "context size n must be in [0, \(space.maxLength)], got \(n)",
        code: .badFormat)
      let inputSize = f + (try checkedProduct(n, space.tokenCount, "context slots")) + space.maxLength
      parameterCount = try MLP.parameterCount(sizes: [inputSize] + hidden + [space.tokenCount])
      self.precision = precision
      neural = Neural(
        featureSize: f, contextSize: n, activation: activation, hidden: hidden,
        promptFeatures: Array(s[(8 + h)...]))
    }
  }

  /// Builds the model (parameters zero for the tabular model, an arbitrary
  /// orthogonal initialisation for the neural one).
  public func make() throws(SwiftPGError) -> any SequenceModel {
    guard let neural else { return try TabularSequenceModel(space: space, promptCount: promptCount) }
    return try NeuralSequenceModel(
      space: space, promptFeatures: neural.promptFeatures, promptCount: promptCount,
      featureSize: neural.featureSize, contextSize: neural.contextSize, hidden: neural.hidden,
      activation: neural.activation, precision: precision, seed: 0)
  }
}

/// log-softmax of `count` logits into `out` (max-shifted; exact zeros stay
/// finite, −∞ only for logits that are −∞).
@inline(__always)
func logSoftmax(_ z: UnsafePointer<Double>, _ count: Int, into out: UnsafeMutablePointer<Double>) {
  var m = z[0]
  for k in 1..<count where z[k] > m { m = z[k] }
  var s = 0.0
  for k in 0..<count { s += _exp(z[k] - m) }
  let logSum = _log(s)
  for k in 0..<count { out[k] = (z[k] - m) - logSum }
}

// MARK: - Tabular

/// Logits θ[x, prefixIndex(y_<t), ·] from a table: one row of V + 1 logits
/// per prompt and prefix (canonical prefix numbering of `SequenceSpace`),
/// laid out `[P, prefixCount, V + 1]` row-major. Zero logits are the
/// uniform policy. The table may have at most `Limits.maxParameters` (2^24)
/// entries; larger spaces throw `.tooLarge`.
public final class TabularSequenceModel: SequenceModel {
  public let space: SequenceSpace
  public let promptCount: Int
  public let prefixCount: Int
  public private(set) var parameters: [Double]
  private var lastRows: [Int] = []
  private var lastCount = 0
  private let logits = ScratchBuffer()

  public static let maxParameters = Limits.maxParameters

  /// The table's size P · prefixCount · (V + 1), or `.tooLarge`.
  public static func parameterCount(space: SequenceSpace, promptCount: Int) throws(SwiftPGError) -> Int {
    try require(promptCount >= 1, "prompt count must be at least 1, got \(promptCount)")
    guard let prefixes = space.prefixCount else {
      throw SwiftPGError(.tooLarge, "\(space) has more than 2^63 prefixes; use a neural sequence model")
    }
    return try Limits.product(
      [promptCount, prefixes, space.tokenCount], limit: maxParameters,
      "a tabular sequence model of \(promptCount) prompts over \(space)")
  }

  /// The uniform policy (all logits zero).
  public init(space: SequenceSpace, promptCount: Int) throws(SwiftPGError) {
    let n = try Self.parameterCount(space: space, promptCount: promptCount)
    self.space = space
    self.promptCount = promptCount
    prefixCount = space.prefixCount ?? 0
    parameters = Array(repeating: 0, count: n)
  }

  /// Given logits `[P, prefixCount, V + 1]` (finite).
  public convenience init(space: SequenceSpace, promptCount: Int, logits: [Double]) throws(SwiftPGError) {
    try self.init(space: space, promptCount: promptCount)
    try require(logits.allFinite, "logits must be finite", code: .notFinite)
    try setParameters(logits)
  }

  public var family: SequenceModelFamily { .tabular }
  public var parameterCount: Int { parameters.count }
  /// [V, L, P]
  public var specification: [Double] {
    [Double(space.vocabularySize), Double(space.maxLength), Double(promptCount)]
  }

  public func setParameters(_ values: [Double]) throws(SwiftPGError) {
    try require(values.count == parameters.count, "expected \(parameters.count) parameters, got \(values.count)")
    parameters = values
  }

  /// The parameter offset of the logit row of (prompt, prefix index).
  public func rowOffset(prompt: Int, prefixIndex: Int) -> Int { (prompt * prefixCount + prefixIndex) * space.tokenCount }

  public func forward(
    prompts: UnsafePointer<Int32>, tokens: UnsafePointer<Int32>, rows: UnsafePointer<Int32>?,
    positions: UnsafePointer<Int32>, count: Int
  ) -> UnsafePointer<Double> {
    let k = space.tokenCount
    let l = space.maxLength
    if lastRows.count < count { lastRows = Array(repeating: 0, count: Swift.max(count, 2 * lastRows.count)) }
    let out = logits.reserve(Swift.max(1, count * k))
    parameters.withUnsafeBufferPointer { pb in
      guard let p = pb.baseAddress else { return }
      for i in 0..<count {
        let r = rows.map { Int($0[i]) } ?? i
        let prefix = space.prefixIndex(tokens + r * l, count: Int(positions[i])) ?? 0
        let offset = rowOffset(prompt: Int(prompts[i]), prefixIndex: prefix)
        lastRows[i] = offset
        (out + i * k).update(from: p + offset, count: k)
      }
    }
    lastCount = count
    return UnsafePointer(out)
  }

  public func backward(_ dLogits: UnsafePointer<Double>, into gradient: UnsafeMutablePointer<Double>) {
    gradient.update(repeating: 0, count: parameters.count)
    let k = space.tokenCount
    for i in 0..<lastCount {
      let g = gradient + lastRows[i]
      for j in 0..<k { g[j] += dLogits[i * k + j] }
    }
  }
}

// MARK: - Neural n-gram

/// A neural n-gram context model (Bengio et al., "A Neural Probabilistic
/// Language Model", JMLR 2003): an `MLP` reads
///
///   [prompt features (F) | n one-hot slots of V + 1 for y_{t−n} … y_{t−1} | one-hot of t (L)]
///
/// and writes the V + 1 logits. Slot value V marks a position before the
/// response start (BOS). Parameters are the MLP's (orthogonal
/// initialisation with `hiddenGain` and `outputGain`, like the policies);
/// `precision` chooses the network arithmetic (parameters stay Double).
/// The first layer gathers columns of its weights instead of multiplying
/// the mostly one-hot rows (`SequenceInputLayer`; the same pre-activations
/// up to how the BLAS blocks its sums, a first-layer gradient summed in
/// another order) and runs the network once per distinct (prompt,
/// position, last n tokens) of a batch; beyond its table size the input
/// rows are built in a buffer reused across calls and multiplied densely.
public final class NeuralSequenceModel: SequenceModel {
  public let space: SequenceSpace
  public let promptCount: Int
  public let featureSize: Int
  public let contextSize: Int
  /// `[P, F]` row-major.
  public let promptFeatures: [Double]
  public let network: MLP
  private let input = ScratchBuffer()
  /// The first layer without the dense product (`SequenceInputLayer`), or
  /// nil (the dense layer over `buildInputs`' rows) when its per-prompt
  /// table would exceed `SequenceInputLayer.maxTableEntries`.
  private let inputLayer: SequenceInputLayer?
  /// The last forward's context count, logits per context when contexts
  /// were deduplicated, and dLogits per distinct context.
  private var lastCount = 0
  private let expanded = ScratchBuffer()
  private let dDistinct = ScratchBuffer()

  public init(
    space: SequenceSpace, promptFeatures: [Double], promptCount: Int, featureSize: Int, contextSize: Int,
    hidden: [Int], activation: Activation = .tanh, precision: MLP.Precision = .float64,
    hiddenGain: Double = 2.0.squareRoot(), outputGain: Double = 0.01, seed: UInt64 = 0
  ) throws(SwiftPGError) {
    try require(promptCount >= 1, "prompt count must be at least 1, got \(promptCount)")
    try require(featureSize >= 0, "feature size must be >= 0, got \(featureSize)")
    try require(
      contextSize >= 0 && contextSize <= space.maxLength,
      "context size n must be in [0, \(space.maxLength)], got \(contextSize)")
    let featureCount = try checkedProduct(promptCount, featureSize, "prompt features")
    try require(
      promptFeatures.count == featureCount,
      "prompt features must have \(promptCount) × \(featureSize) values, got \(promptFeatures.count)")
    try require(promptFeatures.allFinite, "prompt features must be finite", code: .notFinite)
    try require(hiddenGain.isFinite && hiddenGain >= 0, "hidden gain must be finite and >= 0, got \(hiddenGain)")
    try require(outputGain.isFinite && outputGain >= 0, "output gain must be finite and >= 0, got \(outputGain)")
    let slots = try checkedProduct(contextSize, space.tokenCount, "context slots")
    let inputSize = featureSize + slots + space.maxLength  // each term ≤ 2^32: no overflow
    try require(
      space.tokenCount <= MLP.maxLayerSize && inputSize <= MLP.maxLayerSize,
      "a neural sequence model's input width F + n(V + 1) + L = \(inputSize) and its V + 1 = \(space.tokenCount) "
        + "outputs must each be at most \(MLP.maxLayerSize) (the widest MLP layer)", code: .tooLarge)
    network = try MLP(sizes: [inputSize] + hidden + [space.tokenCount], activation: activation)
    let width = network.sizes[1]
    inputLayer =
      promptCount <= SequenceInputLayer.maxTableEntries / width
      ? SequenceInputLayer(
        promptCount: promptCount, featureSize: featureSize, contextSize: contextSize, tokenCount: space.tokenCount,
        maxLength: space.maxLength, width: width, promptFeatures: promptFeatures)
      : nil
    self.space = space
    self.promptCount = promptCount
    self.featureSize = featureSize
    self.contextSize = contextSize
    self.promptFeatures = promptFeatures
    var rng = PCG64(seed: UInt128(seed))
    network.initializeOrthogonal(hiddenGain: hiddenGain, outputGain: outputGain, using: &rng)
    network.setPrecision(precision)
  }

  public var family: SequenceModelFamily { .neural }
  /// Whether the first layer gathers weight columns (`SequenceInputLayer`)
  /// rather than multiplying dense input rows.
  public var usesInputLayer: Bool { inputLayer != nil }
  public var inputSize: Int { network.inputSize }
  public var parameterCount: Int { network.parameterCount }
  public var parameters: [Double] { network.parameters }
  public var precision: MLP.Precision { network.precision }
  public func setPrecision(_ p: MLP.Precision) { network.setPrecision(p) }
  public func setParameters(_ values: [Double]) throws(SwiftPGError) { try network.setParameters(values) }

  /// [V, L, P, F, n, activation, precision, hidden count, hidden sizes…, features (P·F)…]
  public var specification: [Double] {
    let hidden = network.sizes.dropFirst().dropLast().map(Double.init)
    return [
      Double(space.vocabularySize), Double(space.maxLength), Double(promptCount), Double(featureSize),
      Double(contextSize), Double(network.activation.rawValue), Double(network.precision.rawValue),
      Double(hidden.count),
    ] + hidden + promptFeatures
  }

  /// Writes the network inputs of the contexts into `x` (`[count, inputSize]`).
  func buildInputs(
    prompts: UnsafePointer<Int32>, tokens: UnsafePointer<Int32>, rows: UnsafePointer<Int32>?,
    positions: UnsafePointer<Int32>, count: Int, into x: UnsafeMutablePointer<Double>
  ) {
    let width = inputSize
    let f = featureSize
    let k = space.tokenCount
    let l = space.maxLength
    let bos = space.vocabularySize
    x.update(repeating: 0, count: count * width)
    promptFeatures.withUnsafeBufferPointer { fb in
      for i in 0..<count {
        let row = x + i * width
        if f > 0, let features = fb.baseAddress { row.update(from: features + Int(prompts[i]) * f, count: f) }
        let t = Int(positions[i])
        let y = tokens + (rows.map { Int($0[i]) } ?? i) * l
        for j in 0..<contextSize {
          let position = t - contextSize + j
          let token = position >= 0 ? Int(y[position]) : bos
          row[f + j * k + token] = 1
        }
        row[f + contextSize * k + t] = 1
      }
    }
  }

  public func forward(
    prompts: UnsafePointer<Int32>, tokens: UnsafePointer<Int32>, rows: UnsafePointer<Int32>?,
    positions: UnsafePointer<Int32>, count: Int
  ) -> UnsafePointer<Double> {
    if inputLayer != nil {
      // Not through the cache: this form serves passes followed by a
      // parameter update (SFT's minibatches), which a cache cannot serve.
      let (z, rowOf, _) = distinctPass(
        prompts: prompts, tokens: tokens, rows: rows, positions: positions, count: count, cached: false)
      guard let rowOf else { return z }
      // Each context's logits are its distinct context's.
      let k = space.tokenCount
      let out = expanded.reserve(Swift.max(1, count * k))
      for i in 0..<count { (out + i * k).update(from: z + Int(rowOf[i]) * k, count: k) }
      return UnsafePointer(out)
    }
    let x = input.reserve(Swift.max(1, count * inputSize))
    buildInputs(prompts: prompts, tokens: tokens, rows: rows, positions: positions, count: count, into: x)
    return network.forward(x, batch: count)
  }

  /// With the input layer: the network runs on the batch's distinct
  /// contexts only, and — when its rows do not depend on the batch
  /// (`MLP.rowsAreBatchInvariant`) and the layer deduplicates (at most
  /// `SequenceInputLayer.maxKeys` context keys) — only on those not
  /// already evaluated with the current parameters: every context's
  /// activations are kept per key (`ActivationCache`, up to
  /// `maxCachedBytes`) until the parameters or the precision change. The sampler's passes thus serve the score
  /// gradient's forward pass of the same iteration, and a frozen reference
  /// policy evaluates each context once. Cached or computed, the rows and
  /// the state `backward` reads are the same bits.
  public func forwardDistinct(
    prompts: UnsafePointer<Int32>, tokens: UnsafePointer<Int32>, rows: UnsafePointer<Int32>?,
    positions: UnsafePointer<Int32>, count: Int
  ) -> (logits: UnsafePointer<Double>, rowOf: UnsafePointer<Int32>?, distinct: Int) {
    distinctPass(prompts: prompts, tokens: tokens, rows: rows, positions: positions, count: count, cached: true)
  }

  /// `forwardDistinct`, through the cache or not.
  private func distinctPass(
    prompts: UnsafePointer<Int32>, tokens: UnsafePointer<Int32>, rows: UnsafePointer<Int32>?,
    positions: UnsafePointer<Int32>, count: Int, cached: Bool
  ) -> (logits: UnsafePointer<Double>, rowOf: UnsafePointer<Int32>?, distinct: Int) {
    guard let inputLayer else {
      return (forward(prompts: prompts, tokens: tokens, rows: rows, positions: positions, count: count), nil, count)
    }
    let distinct = inputLayer.prepare(prompts: prompts, tokens: tokens, rows: rows, positions: positions, count: count)
    lastCount = count
    guard cached, let cache = activationCache(), let keys = inputLayer.distinctKeys else {
      return (network.forward(batch: distinct, inputLayer: inputLayer), inputLayer.uniqueOf, distinct)
    }
    cache.validate(version: network.parameterVersion, rowBytes: network.activationRowBytes)
    let missing = cache.missing.reserve(Swift.max(1, distinct))
    var misses = 0
    for u in 0..<distinct where !cache.has(Int(keys[u])) {
      missing[misses] = Int32(u)
      misses += 1
    }
    if misses == distinct {
      let z = network.forward(batch: distinct, inputLayer: inputLayer)
      network.storeActivations(batch: distinct) { cache.store(Int(keys[$0])) }
      return (z, inputLayer.uniqueOf, distinct)
    }
    if misses > 0, let firsts = inputLayer.distinctFirstContexts, let missLayer = missLayer() {
      // The missing contexts alone (each distinct row's first context),
      // through a second input layer: this one keeps the whole batch for
      // `backward`.
      let mp = cache.missPrompts.reserve(misses)
      let mr = cache.missRows.reserve(misses)
      let mq = cache.missPositions.reserve(misses)
      for m in 0..<misses {
        let i = Int(firsts[Int(missing[m])])
        mp[m] = prompts[i]
        mr[m] = rows.map { $0[i] } ?? Int32(i)
        mq[m] = positions[i]
      }
      // (The miss layer does not deduplicate: its row m is missing row m.)
      let computed = missLayer.prepare(prompts: mp, tokens: tokens, rows: mr, positions: mq, count: misses)
      _ = network.forward(batch: computed, inputLayer: missLayer)
      network.storeActivations(batch: computed) { cache.store(Int(keys[Int(missing[$0])])) }
    }
    for m in 0..<misses where !cache.has(Int(keys[Int(missing[m])])) {
      // The cache is full (or had no second layer): compute the batch.
      return (network.forward(batch: distinct, inputLayer: inputLayer), inputLayer.uniqueOf, distinct)
    }
    let z = network.restoreForward(batch: distinct) { UnsafeRawPointer(cache.row(Int(keys[$0]))) }
    return (z, inputLayer.uniqueOf, distinct)
  }

  /// The most bytes of activations the cache may hold (32 MiB; read when
  /// the cache is created by the first pass).
  var maxCachedBytes = 1 << 25

  private var cache: ActivationCache?
  private var cacheChecked = false
  private var missInputLayer: SequenceInputLayer?

  /// The cache, created on first use when it applies (see `forwardDistinct`).
  private func activationCache() -> ActivationCache? {
    guard network.rowsAreBatchInvariant, let keys = inputLayer?.keyCount else { return nil }
    if let cache { return cache }
    if cacheChecked { return nil }
    cacheChecked = true
    cache = ActivationCache(keys: keys, maxBytes: maxCachedBytes)
    return cache
  }

  /// The input layer of the missing contexts' passes (a twin of `inputLayer`).
  private func missLayer() -> SequenceInputLayer? {
    if let missInputLayer { return missInputLayer }
    guard let inputLayer else { return nil }
    missInputLayer = SequenceInputLayer(
      promptCount: inputLayer.promptCount, featureSize: inputLayer.featureSize, contextSize: inputLayer.contextSize,
      tokenCount: inputLayer.tokenCount, maxLength: inputLayer.maxLength, width: inputLayer.width,
      promptFeatures: promptFeatures, deduplicate: false)
    return missInputLayer
  }

  public func backward(_ dLogits: UnsafePointer<Double>, into gradient: UnsafeMutablePointer<Double>) {
    gradient.update(repeating: 0, count: parameterCount)
    if let inputLayer {
      guard let unique = inputLayer.uniqueOf else {
        network.backward(dLogits, into: gradient, inputLayer: inputLayer)
        return
      }
      // Duplicated contexts' dLogits summed onto their distinct context (in order).
      let k = space.tokenCount
      let distinct = inputLayer.distinctCount
      let d = dDistinct.reserve(Swift.max(1, distinct * k))
      d.update(repeating: 0, count: distinct * k)
      for i in 0..<lastCount {
        let di = d + Int(unique[i]) * k
        for j in 0..<k { di[j] += dLogits[i * k + j] }
      }
      network.backward(d, into: gradient, inputLayer: inputLayer)
    } else {
      network.backward(dLogits, into: gradient)
    }
  }
}

/// Activations of a `NeuralSequenceModel`'s network per context key,
/// valid for the parameter version they were stored under: rows of
/// `rowBytes` bytes in the order they were stored (a slot per key seen
/// since the version changed), and the scratch of a pass's missing
/// contexts. Stores beyond `maxBytes` are kept in a scratch row, not
/// cached (the key stays missing).
final class ActivationCache {
  private let maxBytes: Int
  private var rowBytes = 0
  private var rows: UnsafeMutableRawPointer
  private var capacity = 0
  private var used = 0
  private var spare: UnsafeMutableRawPointer
  /// Per key: the `epoch` it was stored in (0: never), and its slot.
  private let stamps: UnsafeMutablePointer<Int>
  private let slots: UnsafeMutablePointer<Int32>
  private var epoch = 0
  private var version: Int?
  let missing = GrowingBuffer<Int32>()
  let missPrompts = GrowingBuffer<Int32>()
  let missRows = GrowingBuffer<Int32>()
  let missPositions = GrowingBuffer<Int32>()

  /// Nil when the bookkeeping cannot be allocated (the model then runs
  /// without a cache).
  init?(keys: Int, maxBytes: Int) {
    // Zeroed by calloc: pages of keys never stored are never touched, so
    // the bookkeeping costs memory for the keys used, not for all of them.
    let n = Swift.max(1, keys)
    guard let s = calloc(n, MemoryLayout<Int>.stride) else { return nil }
    guard let t = calloc(n, MemoryLayout<Int32>.stride) else {
      free(s)
      return nil
    }
    stamps = s.bindMemory(to: Int.self, capacity: n)
    slots = t.bindMemory(to: Int32.self, capacity: n)
    self.maxBytes = maxBytes
    rows = .allocate(byteCount: 1, alignment: 16)
    spare = .allocate(byteCount: 1, alignment: 16)
  }

  deinit {
    rows.deallocate()
    spare.deallocate()
    free(stamps)
    free(slots)
  }

  /// Forgets every entry when the network's parameter version (or its row
  /// size: the precision) changed.
  func validate(version v: Int, rowBytes b: Int) {
    guard version != v || rowBytes != b else { return }
    version = v
    epoch &+= 1
    used = 0
    if rowBytes != b {
      rowBytes = b
      rows.deallocate()
      capacity = 0
      rows = .allocate(byteCount: 1, alignment: 16)
      spare.deallocate()
      spare = .allocate(byteCount: Swift.max(1, b), alignment: 16)
    }
  }

  func has(_ key: Int) -> Bool { stamps[key] == epoch }

  /// The row of a key `has` reports.
  func row(_ key: Int) -> UnsafeMutableRawPointer { rows + Int(slots[key]) * rowBytes }

  /// A row for `key`'s activations, marked valid (the caller fills it
  /// before the next `store`, which may move the rows).
  func store(_ key: Int) -> UnsafeMutableRawPointer {
    if used == capacity {
      let limit = rowBytes > 0 ? maxBytes / rowBytes : 0
      let grown = Swift.min(Swift.max(64, 2 * capacity), limit)
      guard grown > capacity else { return spare }
      let bigger = UnsafeMutableRawPointer.allocate(byteCount: grown * rowBytes, alignment: 16)
      bigger.copyMemory(from: rows, byteCount: used * rowBytes)
      rows.deallocate()
      rows = bigger
      capacity = grown
    }
    stamps[key] = epoch
    slots[key] = Int32(used)
    used += 1
    return rows + (used - 1) * rowBytes
  }
}
