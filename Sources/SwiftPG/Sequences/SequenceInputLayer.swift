import CMathShims

/// The first layer of `NeuralSequenceModel`'s network without the dense
/// product over its mostly one-hot input
///
///   x = [prompt features f_p (F) | n one-hot slots of V + 1 | one-hot of t (L)],
///
/// of which a row has F + n + 1 nonzero entries out of F + n(V + 1) + L.
/// Its pre-activations are
///
///   z = ((((W_F f_p) + W[:, s₀]) + … + W[:, s_{n−1}]) + W[:, pos t]) + b,
///
/// gathered from two tables rebuilt whenever the weights change: the
/// prompt projections W_F f_p `[P, H]` (filled per prompt on first use, as
/// the fused multiply-add chain over the F features a dense product runs)
/// and the one-hot columns of W as rows `[n(V + 1) + L, H]`. The terms are
/// added in the input's order, as a dense product with one accumulation
/// over the inputs (OpenBLAS's below 256 inputs) adds them: the zero inputs
/// it skips change nothing, so the pre-activations round as the dense
/// layer's do, up to how the BLAS at hand blocks its sums (a test compares
/// the two). W's gradient Σᵢ δᵢ xᵢᵀ is scattered the same way: each row's
/// δ added to its n + 1 one-hot columns and to its prompt's sum S_p, then
/// W_F's gradient Σ_p S_p f_pᵀ — in Double in both precisions, summed in
/// another order than the dense product's (the results differ in the last
/// bits; a float32 network's first-layer gradient is now accumulated in
/// Double instead of Float).
///
/// An n-gram model's logits depend on the context only through (prompt,
/// position, last n tokens), and a batch repeats such keys often (every
/// response of a prompt starts with the same context): `prepare` keeps each
/// distinct key once (when there are at most `maxKeys` keys), the network
/// runs on those rows, and `NeuralSequenceModel` copies each context's
/// logits from its row and sums the dLogits of a row's contexts before the
/// backward pass (the same gradient, summed in another order).
///
/// Used only by `NeuralSequenceModel` (other users of `MLP` keep the dense
/// layer and its arithmetic). Not thread-safe, like the model.
final class SequenceInputLayer: MLPInputLayer {
  let promptCount: Int
  let featureSize: Int
  let contextSize: Int
  let tokenCount: Int
  let maxLength: Int
  /// H: the first layer's outputs.
  let width: Int
  /// F + n(V + 1) + L.
  let inputSize: Int
  private let promptFeatures: [Double]
  private let promptFeatures32: [Float]
  /// The one-hot block's size n(V + 1) + L.
  private var oneHotSize: Int { inputSize - featureSize }
  /// One-hot columns per row: n slots and the position.
  private var columnsPerRow: Int { contextSize + 1 }

  /// The batch of the last `prepare`: each row's prompt and its one-hot
  /// columns (offsets into the one-hot block), `[count, n + 1]`.
  private let rowPrompts = GrowingBuffer<Int32>()
  private let rowColumns = GrowingBuffer<Int32>()
  private var count = 0

  /// Deduplication of contexts: the number of keys P·L·(V + 1)ⁿ (nil beyond
  /// `maxKeys`: no deduplication), (V + 1)ⁿ, and per key the generation of
  /// the `prepare` that last saw it and its row there.
  let keyCount: Int?
  private let keyStride: Int
  private let keyStamp = GrowingBuffer<Int>()
  private let keySlot = GrowingBuffer<Int32>()
  private var keyGeneration = 0
  private let uniqueIndex = GrowingBuffer<Int32>()
  /// Per distinct row of the last `prepare` (when deduplicating): its key
  /// and the first context that has it.
  private let rowKeys = GrowingBuffer<Int32>()
  private let rowFirstContexts = GrowingBuffer<Int32>()
  private let contextKeys = GrowingBuffer<Int>()
  private var hasDuplicates = false
  /// The most context keys a layer deduplicates over (12 bytes each).
  static let maxKeys = 1 << 20

  private let tables64: Tables<Double>
  private let tables32: Tables<Float>

  /// Gradient scratch: the one-hot block's `[n(V + 1) + L, H]`, the
  /// per-prompt sums of δ `[P, H]` and which prompts the batch touched.
  private let oneHotGradient = GrowingBuffer<Double>()
  private let promptGradient = GrowingBuffer<Double>()
  /// Per prompt: the `stamp` of the last backward that touched it.
  private let promptStamp = GrowingBuffer<Int>()
  private var stamp = 0
  private let touched = GrowingBuffer<Int32>()

  /// The most P·H entries of the prompt-projection table (and of the
  /// per-prompt gradient sums) this layer keeps; `NeuralSequenceModel`
  /// keeps the dense layer beyond.
  static let maxTableEntries = 1 << 22

  init(
    promptCount: Int, featureSize: Int, contextSize: Int, tokenCount: Int, maxLength: Int, width: Int,
    promptFeatures: [Double], deduplicate: Bool = true
  ) {
    self.promptCount = promptCount
    self.featureSize = featureSize
    self.contextSize = contextSize
    self.tokenCount = tokenCount
    self.maxLength = maxLength
    self.width = width
    inputSize = featureSize + contextSize * tokenCount + maxLength
    self.promptFeatures = promptFeatures
    promptFeatures32 = promptFeatures.map { Float($0) }
    tables64 = Tables(promptCount: promptCount)
    tables32 = Tables(promptCount: promptCount)
    promptStamp.reserve(promptCount).update(repeating: 0, count: promptCount)
    _ = touched.reserve(promptCount)
    func bounded(_ a: Int, _ b: Int) -> Int? {
      let (product, overflow) = a.multipliedReportingOverflow(by: b)
      return overflow || product > Self.maxKeys ? nil : product
    }
    var stride: Int? = 1
    for _ in 0..<contextSize { stride = stride.flatMap { bounded($0, tokenCount) } }
    keyStride = stride ?? 0
    keyCount = deduplicate ? stride.flatMap { bounded($0, maxLength) }.flatMap { bounded($0, promptCount) } : nil
    if let keyCount { keyStamp.reserve(keyCount).update(repeating: 0, count: keyCount) }
    if let keyCount { keySlot.reserve(keyCount).update(repeating: 0, count: keyCount) }
  }

  /// Records the batch's distinct contexts (see `SequenceModel`; trusted)
  /// and returns their number. Two contexts with the same prompt, position
  /// and last n tokens have the same inputs, hence the same logits: when
  /// the P·L·(V + 1)ⁿ such keys are at most `maxKeys`, each distinct one is
  /// kept once (in order of first appearance) and `uniqueOf` maps every
  /// context to its row; otherwise every context is a row (`uniqueOf` nil).
  func prepare(
    prompts: UnsafePointer<Int32>, tokens: UnsafePointer<Int32>, rows: UnsafePointer<Int32>?,
    positions: UnsafePointer<Int32>, count: Int
  ) -> Int {
    let n = contextSize
    let k = tokenCount
    let l = maxLength
    let bos = Int32(tokenCount - 1)
    let perRow = columnsPerRow
    let p = rowPrompts.reserve(Swift.max(1, count))
    let c = rowColumns.reserve(Swift.max(1, count * perRow))
    let dedupe = keyCount != nil
    let unique = uniqueIndex.reserve(Swift.max(1, count))
    let distinctKeyOut = dedupe ? rowKeys.reserve(Swift.max(1, count)) : rowKeys.pointer
    let firsts = dedupe ? rowFirstContexts.reserve(Swift.max(1, count)) : rowFirstContexts.pointer
    let stamps = keyStamp.pointer
    let slots = keySlot.pointer
    if dedupe { keyGeneration &+= 1 }
    let generation = keyGeneration
    // First the one-hot columns and keys of every context (no branch on the
    // data: the token rows' loads, scattered over the batch, overlap), then
    // the deduplication, compacting the rows in place.
    let keys = contextKeys.reserve(Swift.max(1, count))
    for i in 0..<count {
      let t = Int(positions[i])
      let y = tokens + (rows.map { Int($0[i]) } ?? i) * l
      let ci = c + i * perRow
      var key = 0
      for j in 0..<n {
        let position = t - n + j
        let token = y[Swift.max(position, 0)]
        let slot = position >= 0 ? token : bos
        ci[j] = Int32(j * k) + slot
        key = key &* k &+ Int(slot)  // (wraps harmlessly when not deduplicating)
      }
      ci[n] = Int32(n * k + t)
      keys[i] = (Int(prompts[i]) &* l &+ t) &* keyStride &+ key
    }
    var u = 0
    if dedupe {
      for i in 0..<count {
        let key = keys[i]
        if stamps[key] == generation {
          unique[i] = slots[key]
          continue
        }
        stamps[key] = generation
        slots[key] = Int32(u)
        unique[i] = Int32(u)
        distinctKeyOut[u] = Int32(key)
        firsts[u] = Int32(i)
        if u != i { (c + u * perRow).update(from: c + i * perRow, count: perRow) }
        p[u] = prompts[i]
        u += 1
      }
    } else {
      p.update(from: prompts, count: count)
      u = count
    }
    self.count = u
    hasDuplicates = u < count
    return u
  }

  /// The rows (distinct contexts) of the last `prepare`.
  var distinctCount: Int { count }

  /// The key of each row of the last `prepare` (`[distinctCount]`, in
  /// 0..<`keyCount`: the context's prompt, position and last n tokens),
  /// nil when this layer does not deduplicate (`keyCount` nil).
  var distinctKeys: UnsafePointer<Int32>? { keyCount == nil ? nil : UnsafePointer(rowKeys.pointer) }
  /// The index of the first context of each row of the last `prepare`
  /// (`[distinctCount]`), nil as `distinctKeys`.
  var distinctFirstContexts: UnsafePointer<Int32>? {
    keyCount == nil ? nil : UnsafePointer(rowFirstContexts.pointer)
  }

  /// Each context's row in the last `prepare`, when some were duplicates.
  var uniqueOf: UnsafePointer<Int32>? { hasDuplicates ? UnsafePointer(uniqueIndex.pointer) : nil }

  func preActivations(weights: UnsafePointer<Double>, version: Int, batch: Int, into z: UnsafeMutablePointer<Double>)
  {
    // The same sums in the same order as `gather`, in C kernels (hardware
    // fused multiply-adds for the projections; one vectorised pass per row).
    let tables = tables64
    rebuild(tables, weights: weights, version: version)
    let h = width
    let f = featureSize
    let d = inputSize
    let m = oneHotSize
    let rows = Swift.min(batch, count)
    let projections = tables.projections.pointer
    let generation = tables.generation
    let filled = tables.filled.pointer
    let prompts = rowPrompts.pointer
    promptFeatures.withUnsafeBufferPointer { fb in
      for i in 0..<rows {
        let p = Int(prompts[i])
        guard filled[p] != generation else { continue }
        if let features = fb.baseAddress, f > 0 {
          spg_fma_project(features + p * f, weights, d, f, h, projections + p * h)
        } else {
          (projections + p * h).update(repeating: 0, count: h)
        }
        filled[p] = generation
      }
    }
    let columns = tables.columns.pointer
    spg_gather_rows(
      z, projections, prompts, columns, rowColumns.pointer, columnsPerRow, columns + m * h, h, rows)
  }

  func preActivations(weights: UnsafePointer<Float>, version: Int, batch: Int, into z: UnsafeMutablePointer<Float>) {
    gather(tables32, weights: weights, version: version, batch: batch, into: z, features: promptFeatures32)
  }

  func addWeightGradient(_ delta: UnsafePointer<Double>, batch: Int, into gradient: UnsafeMutablePointer<Double>) {
    // `scatter`'s sums in its order, in C kernels.
    let h = width
    let f = featureSize
    let m = oneHotSize
    let rows = Swift.min(batch, count)
    let oneHot = oneHotGradient.reserve(m * h)
    oneHot.update(repeating: 0, count: m * h)
    let sums = promptGradient.reserve(Swift.max(1, promptCount * h))
    let touchedCount = touchPrompts(rows: rows, sums: sums)
    spg_scatter_rows(
      delta, rows, h, rowColumns.pointer, columnsPerRow, oneHot, rowPrompts.pointer, f > 0 ? sums : nil)
    promptFeatures.withUnsafeBufferPointer { fb in
      spg_scatter_finish(
        gradient, h, inputSize, f, m, oneHot, f > 0 ? fb.baseAddress : nil, sums, touched.pointer, touchedCount)
    }
  }

  /// Zeroes the per-prompt sums of the prompts among the first `rows` rows
  /// and lists them in `touched` (in order of first appearance); returns
  /// their number (0 without features).
  private func touchPrompts(rows: Int, sums: UnsafeMutablePointer<Double>) -> Int {
    guard featureSize > 0 else { return 0 }
    let h = width
    stamp &+= 1
    let stamp = self.stamp
    let stamps = promptStamp.pointer
    let touched = self.touched.pointer
    let prompts = rowPrompts.pointer
    var touchedCount = 0
    for i in 0..<rows {
      let p = Int(prompts[i])
      if stamps[p] != stamp {
        stamps[p] = stamp
        touched[touchedCount] = Int32(p)
        touchedCount += 1
        (sums + p * h).update(repeating: 0, count: h)
      }
    }
    return touchedCount
  }

  func addWeightGradient(_ delta: UnsafePointer<Float>, batch: Int, into gradient: UnsafeMutablePointer<Double>) {
    scatter(delta, batch: batch, into: gradient)
  }

  // MARK: Forward

  /// The tables of one precision, for the weights of `version`.
  final class Tables<S: LayerScalar> {
    var version: Int?
    /// Prompt projections W_F f_p `[P, H]`, valid where `filled[p] == generation`.
    let projections = GrowingBuffer<S>()
    let filled = GrowingBuffer<Int>()
    var generation = 0
    /// The one-hot columns of W as rows `[n(V + 1) + L, H]`, then b `[H]`.
    let columns = GrowingBuffer<S>()

    init(promptCount: Int) { filled.reserve(promptCount).update(repeating: 0, count: promptCount) }
  }

  /// The one-hot columns and bias of `weights` in `tables`, and a new
  /// generation of prompt projections, unless `version` is the tables'.
  private func rebuild<S: LayerScalar>(_ tables: Tables<S>, weights w: UnsafePointer<S>, version: Int) {
    guard tables.version != version else { return }
    let h = width
    let f = featureSize
    let d = inputSize
    let m = oneHotSize
    let columns = tables.columns.reserve((m + 1) * h)
    for c in 0..<m {
      for j in 0..<h { columns[c * h + j] = w[j * d + f + c] }
    }
    (columns + m * h).update(from: w + h * d, count: h)
    _ = tables.projections.reserve(Swift.max(1, promptCount * h))
    tables.generation &+= 1
    tables.version = version
  }

  private func gather<S: LayerScalar>(
    _ tables: Tables<S>, weights w: UnsafePointer<S>, version: Int, batch: Int, into z: UnsafeMutablePointer<S>,
    features: [S]
  ) {
    let h = width
    let f = featureSize
    let d = inputSize
    let m = oneHotSize
    rebuild(tables, weights: w, version: version)
    let columns = tables.columns.pointer
    let bias = columns + m * h
    let projections = tables.projections.pointer
    let generation = tables.generation
    let filled = tables.filled.pointer
    let prompts = rowPrompts.pointer
    let rowColumns = self.rowColumns.pointer
    let perRow = columnsPerRow
    features.withUnsafeBufferPointer { fb in
      for i in 0..<Swift.min(batch, count) {
        let p = Int(prompts[i])
        let projection = projections + p * h
        if filled[p] != generation {
          // Σ_k f_pk W[j, k], one fused multiply-add per feature in order
          // from 0, as the dense product accumulates.
          if let fp = fb.baseAddress.map({ $0 + p * f }) {
            for j in 0..<h {
              var acc = S.zero
              for k in 0..<f { acc = acc.addingProduct(fp[k], w[j * d + k]) }
              projection[j] = acc
            }
          } else {
            projection.update(repeating: .zero, count: h)
          }
          filled[p] = generation
        }
        let zi = z + i * h
        zi.update(from: projection, count: h)
        let ci = rowColumns + i * perRow
        for c in 0..<perRow {
          let column = columns + Int(ci[c]) * h
          for j in 0..<h { zi[j] += column[j] }
        }
        for j in 0..<h { zi[j] += bias[j] }
      }
    }
  }

  // MARK: Backward

  private func scatter<S: LayerScalar>(_ delta: UnsafePointer<S>, batch: Int, into gw: UnsafeMutablePointer<Double>) {
    let h = width
    let f = featureSize
    let d = inputSize
    let m = oneHotSize
    let rows = Swift.min(batch, count)
    let oneHot = oneHotGradient.reserve(m * h)
    oneHot.update(repeating: 0, count: m * h)
    let sums = promptGradient.reserve(Swift.max(1, promptCount * h))
    stamp &+= 1
    let stamp = self.stamp
    let stamps = promptStamp.pointer
    let touched = self.touched.pointer
    var touchedCount = 0
    let prompts = rowPrompts.pointer
    let rowColumns = self.rowColumns.pointer
    let perRow = columnsPerRow
    for i in 0..<rows {
      let di = delta + i * h
      let ci = rowColumns + i * perRow
      for c in 0..<perRow {
        let g = oneHot + Int(ci[c]) * h
        for j in 0..<h { g[j] += Double(di[j]) }
      }
      if f > 0 {
        let p = Int(prompts[i])
        let s = sums + p * h
        if stamps[p] != stamp {
          stamps[p] = stamp
          touched[touchedCount] = Int32(p)
          touchedCount += 1
          s.update(repeating: 0, count: h)
        }
        for j in 0..<h { s[j] += Double(di[j]) }
      }
    }
    // W[j, F + c] += G[c, j]; W[j, k] += Σ_p f_pk S_p[j] (k < F).
    for j in 0..<h {
      let row = gw + j * d
      for c in 0..<m { row[f + c] += oneHot[c * h + j] }
    }
    promptFeatures.withUnsafeBufferPointer { fb in
      guard f > 0, let features = fb.baseAddress else { return }
      for u in 0..<touchedCount {
        let p = Int(touched[u])
        let fp = features + p * f
        let s = sums + p * h
        for j in 0..<h {
          let row = gw + j * d
          let sj = s[j]
          for k in 0..<f { row[k] += fp[k] * sj }
        }
      }
    }
  }
}

/// A grow-only buffer of trivial values (contents unspecified after growth).
final class GrowingBuffer<Element> {
  private(set) var pointer: UnsafeMutablePointer<Element> = .allocate(capacity: 1)
  private var capacity = 1

  deinit { pointer.deallocate() }

  /// At least `count` elements (the old contents are not kept on growth).
  @discardableResult
  func reserve(_ count: Int) -> UnsafeMutablePointer<Element> {
    if count > capacity {
      pointer.deallocate()
      capacity = Swift.max(count, 2 * capacity)
      pointer = .allocate(capacity: capacity)
    }
    return pointer
  }
}
