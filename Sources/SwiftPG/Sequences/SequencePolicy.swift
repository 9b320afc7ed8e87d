/// Sampled responses: `tokens` `[B, L]` (EOS at and beyond each length),
/// `lengths` `[B]`, and `logProbabilities` `[B, L]`: log π(y_t | x, y_<t) of
/// each drawn token under the policy itself (temperature 1, whatever the
/// sampling temperature), 0 at positions ≥ length.
public struct SequenceSample: Sendable, Equatable {
  public var tokens: [Int32]
  public var lengths: [Int32]
  public var logProbabilities: [Double]
}

/// The three sampled KL estimators per token, each `[B, L]` (0 beyond the
/// length): with r = π_ref(y)/π(y) at the given token y, k1 = −log r,
/// k2 = ½ (log r)², k3 = (r − 1) − log r (Schulman 2020).
public struct KLEstimates: Sendable, Equatable {
  public var k1: [Double]
  public var k2: [Double]
  public var k3: [Double]

  /// k3 = (r − 1) − log r from log r, as expm1(log r) − log r (accurate
  /// near r = 1), clamped at 0 against rounding; +∞ when r overflows.
  @inlinable public static func k3(logR: Double) -> Double { Swift.max(0, _expm1(logR) - logR) }
}

/// An autoregressive policy over responses: π(y | x) = Π_t π(y_t | x, y_<t)
/// with next-token distributions softmax(z) over the V + 1 logits z of a
/// `SequenceModel`. Every entry point validates its inputs (token rows with
/// `SequenceSpace.validate`, prompt ids, sizes, finiteness) before any work
/// and throws `SwiftPGError`. Per-token arrays are `[B, L]` with zeros at
/// positions ≥ length. Not thread-safe (the model keeps its workspace).
public final class SequencePolicy: Parameterized {
  public let model: any SequenceModel
  private let logProbs = ScratchBuffer()
  private let samplingStats = ScratchBuffer()
  private let distinctRows = ScratchBuffer()
  private let probabilities = ScratchBuffer()
  private let referenceLogProbs = ScratchBuffer()
  private let dLogits = ScratchBuffer()

  /// The most contexts of one forward pass of the teacher-forced passes
  /// (larger batches run in chunks, bounding the model's workspace).
  public var contextChunkSize = 1 << 16

  public init(model: any SequenceModel) { self.model = model }

  public var space: SequenceSpace { model.space }
  public var promptCount: Int { model.promptCount }
  public var family: SequenceModelFamily { model.family }
  public var parameterCount: Int { model.parameterCount }
  public var parameters: [Double] { model.parameters }
  public var specification: [Double] { model.specification }

  /// Replaces the parameters (count and finiteness checked first).
  public func setParameters(_ values: [Double]) throws(SwiftPGError) {
    try require(
      values.count == parameterCount, "expected \(parameterCount) parameters, got \(values.count)")
    try require(values.allFinite, "parameters must be finite", code: .notFinite)
    try model.setParameters(values)
  }

  /// A deep copy that shares no parameters or workspace with this policy
  /// (RLHF's frozen reference policy): later updates of either leave the
  /// other unchanged.
  public func frozenCopy() throws(SwiftPGError) -> SequencePolicy {
    SequencePolicy(model: try model.copy())
  }

  // MARK: Validation

  private func checkPrompts(_ prompts: [Int32]) throws(SwiftPGError) {
    for (b, x) in prompts.enumerated() where x < 0 || Int(x) >= promptCount {
      throw SwiftPGError(.outOfRange, "prompts[\(b)] must be in [0, \(promptCount)), got \(x)")
    }
  }

  /// Checks prompts `[B]`, tokens `[B, L]` and lengths `[B]`.
  private func checkBatch(_ prompts: [Int32], _ tokens: [Int32], _ lengths: [Int32]) throws(SwiftPGError) {
    let b = prompts.count
    try require(lengths.count == b, "lengths must have \(b) entries (one per prompt), got \(lengths.count)")
    let cells = try checkedProduct(b, space.maxLength, "tokens")
    try require(tokens.count == cells, "tokens must have \(b) × \(space.maxLength) entries, got \(tokens.count)")
    try checkPrompts(prompts)
    try tokens.withUnsafeBufferPointer { (tb) throws(SwiftPGError) in
      try lengths.withUnsafeBufferPointer { (lb) throws(SwiftPGError) in
        if let t = tb.baseAddress, let l = lb.baseAddress { try space.validate(tokens: t, lengths: l, batch: b) }
      }
    }
  }

  private func checkReference(_ reference: SequencePolicy) throws(SwiftPGError) {
    try require(
      reference.space == space, "the reference policy's space \(reference.space) differs from this policy's \(space)")
    try require(
      reference.promptCount == promptCount,
      "the reference policy has \(reference.promptCount) prompts, this policy \(promptCount)")
  }

  // MARK: Next-token distributions

  /// log π(· | context) `[count, V + 1]` of a batch of contexts (see
  /// `SequenceModel` for the layout) into `out`. Inputs are trusted.
  public func nextTokenLogProbabilities(
    prompts: UnsafePointer<Int32>, tokens: UnsafePointer<Int32>, rows: UnsafePointer<Int32>?,
    positions: UnsafePointer<Int32>, count: Int, into out: UnsafeMutablePointer<Double>
  ) {
    nextTokenLogProbabilities(
      prompts: prompts, tokens: tokens, rows: rows, positions: positions, count: count, into: out,
      probabilities: nil)
  }

  /// `nextTokenLogProbabilities` and, when `probabilities` is given, their
  /// exponentials π(· | context) `[count, V + 1]` into it. Each distinct
  /// context's row is computed once (`SequenceModel.forwardDistinct`) and
  /// copied to the contexts that share it: the same bits as a row per context.
  func nextTokenLogProbabilities(
    prompts: UnsafePointer<Int32>, tokens: UnsafePointer<Int32>, rows: UnsafePointer<Int32>?,
    positions: UnsafePointer<Int32>, count: Int, into out: UnsafeMutablePointer<Double>,
    probabilities: UnsafeMutablePointer<Double>?
  ) {
    let k = space.tokenCount
    let (z, rowOf, distinct) = model.forwardDistinct(
      prompts: prompts, tokens: tokens, rows: rows, positions: positions, count: count)
    guard let rowOf else {
      for i in 0..<count { logSoftmax(z + i * k, k, into: out + i * k) }
      if let probabilities { for e in 0..<(count * k) { probabilities[e] = _exp(out[e]) } }
      return
    }
    let lp = distinctRows.reserve(Swift.max(1, 2 * distinct * k))
    let p = lp + distinct * k
    for d in 0..<distinct { logSoftmax(z + d * k, k, into: lp + d * k) }
    if probabilities != nil { for e in 0..<(distinct * k) { p[e] = _exp(lp[e]) } }
    for i in 0..<count {
      let d = Int(rowOf[i]) * k
      (out + i * k).update(from: lp + d, count: k)
      probabilities.map { ($0 + i * k).update(from: p + d, count: k) }
    }
  }

  /// log π(· | c_i) `[count, V + 1]` of `count` contexts, validated: context
  /// i is prompt `prompts[i]` (in 0..<P) with the first t = `positions[i]`
  /// (in 0..<L) tokens of row i of `tokens` (`[count, L]`) as its prefix,
  /// which must be content tokens (0..<V; the tokens at and after t are
  /// ignored). Row i equals the teacher-forced distribution of position t
  /// of any response starting with that prefix. At most
  /// `Limits.maxScratchElements` values; the passes run in chunks of
  /// `contextChunkSize` contexts.
  public func nextTokenLogProbabilities(prompts: [Int32], tokens: [Int32], positions: [Int32]) throws(SwiftPGError)
    -> [Double]
  {
    let n = prompts.count
    let l = space.maxLength
    let v = Int32(space.vocabularySize)
    try require(positions.count == n, "positions must have \(n) entries (one per prompt), got \(positions.count)")
    let cells = try checkedProduct(n, l, "tokens")
    try require(tokens.count == cells, "tokens must have \(n) × \(l) entries, got \(tokens.count)")
    let total = try Limits.product([n, space.tokenCount], limit: Limits.maxScratchElements, "next-token log-probabilities")
    try checkPrompts(prompts)
    for (i, t) in positions.enumerated() {
      try require(t >= 0 && Int(t) < l, "positions[\(i)] must be in [0, \(l - 1)], got \(t)", code: .outOfRange)
      for j in 0..<Int(t) where tokens[i * l + j] < 0 || tokens[i * l + j] >= v {
        throw SwiftPGError.invalid(
          "tokens[\(i), \(j)] is \(tokens[i * l + j]); the prefix of context \(i) (its first \(t) tokens) must be "
            + "content tokens in [0, \(v))")
      }
    }
    var out = [Double](repeating: 0, count: total)
    guard n > 0 else { return out }
    try out.withMutableBase("log-probabilities") { (o) throws(SwiftPGError) in
      try chunkedNextTokenLogProbabilities(
        of: self, count: n, prompts: prompts, tokens: tokens, rows: nil, positions: positions, into: o)
    }
    return out
  }

  // MARK: Sampling

  /// Samples one response per prompt, autoregressively: at each position
  /// one forward pass over the rows still generating (compacted), drawing
  /// from softmax(z / temperature); temperature 0 is greedy decoding
  /// (argmax, the lowest token id on ties). Row b draws from its own stream
  /// `PCG64.laneStream(seed: seed, lane: firstLane + b)`, so a batch split
  /// into parts (each part passing the lane of its first row) gives the
  /// same responses. The returned log-probabilities are of the policy
  /// itself (temperature 1), as importance weights and KL need.
  public func sample(prompts: [Int32], temperature: Double, seed: UInt64, firstLane: Int = 0) throws(SwiftPGError)
    -> SequenceSample
  {
    // (Checked here too: an empty batch has no buffers to pass on.)
    try require(
      temperature.isFinite && temperature >= 0, "temperature must be finite and >= 0, got \(temperature)")
    try require(firstLane >= 0, "first lane must be >= 0, got \(firstLane)")
    let b = prompts.count
    let cells = try Limits.product(
      [b, space.maxLength], limit: Limits.maxScratchElements, "the sampled tokens (responses × max length)")
    var tokens = [Int32](repeating: space.endToken, count: cells)
    var lengths = [Int32](repeating: 0, count: b)
    var lp = [Double](repeating: 0, count: cells)
    try prompts.withUnsafeBufferPointer { (pb) throws(SwiftPGError) in
      try tokens.withUnsafeMutableBufferPointer { (tb) throws(SwiftPGError) in
        try lengths.withUnsafeMutableBufferPointer { (lb) throws(SwiftPGError) in
          try lp.withUnsafeMutableBufferPointer { (ob) throws(SwiftPGError) in
            guard let x = pb.baseAddress, let y = tb.baseAddress, let n = lb.baseAddress, let o = ob.baseAddress
            else { return }
            try sampleInto(
              prompts: x, count: b, temperature: temperature, seed: seed, firstLane: firstLane, tokens: y,
              lengths: n, logProbabilities: o)
          }
        }
      }
    }
    return SequenceSample(tokens: tokens, lengths: lengths, logProbabilities: lp)
  }

  /// `sample` into caller-owned buffers (the C ABI's form): `tokens`
  /// `[count, L]`, `lengths` `[count]`, `logProbabilities` `[count, L]` or
  /// nil, written only when the whole batch was sampled (a failure, e.g.
  /// non-finite logits, changes nothing).
  public func sample(
    prompts: UnsafePointer<Int32>, count b: Int, temperature: Double, seed: UInt64, firstLane: Int = 0,
    tokens y: UnsafeMutablePointer<Int32>, lengths: UnsafeMutablePointer<Int32>,
    logProbabilities lp: UnsafeMutablePointer<Double>?
  ) throws(SwiftPGError) {
    try require(b >= 0, "batch size must be >= 0, got \(b)")
    let r = try sample(
      prompts: Array(UnsafeBufferPointer(start: prompts, count: b)), temperature: temperature, seed: seed,
      firstLane: firstLane)
    y.update(from: r.tokens, count: r.tokens.count)
    lengths.update(from: r.lengths, count: b)
    lp?.update(from: r.logProbabilities, count: r.logProbabilities.count)
  }

  /// The sampler proper, writing into `y`, `lengths` and `lp` as it goes
  /// (callers pass their own arrays and publish them on success). Throws
  /// `.numerical` on non-finite logits (overflowing parameters): a draw
  /// from a NaN distribution is never returned.
  private func sampleInto(
    prompts: UnsafePointer<Int32>, count b: Int, temperature: Double, seed: UInt64, firstLane: Int,
    tokens y: UnsafeMutablePointer<Int32>, lengths: UnsafeMutablePointer<Int32>,
    logProbabilities lp: UnsafeMutablePointer<Double>?
  ) throws(SwiftPGError) {
    try require(b >= 0, "batch size must be >= 0, got \(b)")
    try require(
      temperature.isFinite && temperature >= 0, "temperature must be finite and >= 0, got \(temperature)")
    try require(firstLane >= 0, "first lane must be >= 0, got \(firstLane)")
    for i in 0..<b where prompts[i] < 0 || Int(prompts[i]) >= promptCount {
      throw SwiftPGError(.outOfRange, "prompts[\(i)] must be in [0, \(promptCount)), got \(prompts[i])")
    }
    let l = space.maxLength
    let k = space.tokenCount
    let cells = try checkedProduct(b, l, "tokens")
    _ = try Limits.product([b, k], limit: Limits.maxScratchElements, "sampling logits")
    y.update(repeating: space.endToken, count: cells)
    lengths.update(repeating: Int32(l), count: b)
    lp?.update(repeating: 0, count: cells)
    var generators = (0..<b).map { PCG64.laneStream(seed: seed, lane: firstLane &+ $0) }
    var active = (0..<b).map { Int32($0) }
    var activePrompts = Array(UnsafeBufferPointer(start: prompts, count: b))
    var positions = [Int32](repeating: 0, count: b)
    // Per distinct context (`SequenceModel.forwardDistinct`): the sampling
    // weights `[distinct, V + 1]`, and max, total weight, log-normaliser
    // and greedy choice — computed once however many rows share it.
    let weightRows = logProbs.reserve(Swift.max(1, b * k))
    let stats = samplingStats.reserve(Swift.max(1, 4 * b))
    let inverseTemperature = temperature > 0 ? 1 / temperature : 0
    let greedy = temperature == 0 || inverseTemperature.isInfinite
    for t in 0..<l {
      let n = active.count
      if n == 0 { break }
      for i in 0..<n { positions[i] = Int32(t) }
      let (z, rowOf, distinct) = active.withUnsafeBufferPointer { ab in
        activePrompts.withUnsafeBufferPointer { pb in
          positions.withUnsafeBufferPointer { qb in
            model.forwardDistinct(
              prompts: pb.baseAddress ?? prompts, tokens: UnsafePointer(y), rows: ab.baseAddress,
              positions: qb.baseAddress ?? prompts, count: n)
          }
        }
      }
      for d in 0..<distinct {
        let zi = z + d * k
        for j in 0..<k where !zi[j].isFinite {
          throw SwiftPGError(
            .numerical, "the policy's logits are not finite (logit \(j) is \(zi[j]); the parameters overflow)")
        }
        // log π(choice) = (z_choice − max) − log Σ_j exp(z_j − max): `logSoftmax`'s
        // operations for the one entry kept; at temperature 1 the sum is the
        // sampling weights' total (the same terms in the same order).
        var m = zi[0]
        for j in 1..<k where zi[j] > m { m = zi[j] }
        let st = stats + 4 * d
        st[0] = m
        if greedy {
          var choice = 0
          for j in 1..<k where zi[j] > zi[choice] { choice = j }
          var sum = 0.0
          for j in 0..<k { sum += _exp(zi[j] - m) }
          st[2] = _log(sum)
          st[3] = Double(choice)
        } else {
          // Inverse CDF on the unnormalised weights exp((z − max)/T), each computed once.
          let weights = weightRows + d * k
          var total = 0.0
          for j in 0..<k {
            weights[j] = _exp((zi[j] - m) * inverseTemperature)
            total += weights[j]
          }
          st[1] = total
          if inverseTemperature == 1 {
            st[2] = _log(total)
          } else {
            var sum = 0.0
            for j in 0..<k { sum += _exp(zi[j] - m) }
            st[2] = _log(sum)
          }
        }
      }
      var kept = 0
      for i in 0..<n {
        let row = Int(active[i])
        let d = rowOf.map { Int($0[i]) } ?? i
        let zi = z + d * k
        let st = stats + 4 * d
        var choice: Int
        if greedy {
          choice = Int(st[3])
        } else {
          let weights = weightRows + d * k
          let u = generators[row].nextUnitDouble() * st[1]
          var cumulative = 0.0
          choice = -1
          for j in 0..<k {
            cumulative += weights[j]
            if u < cumulative {
              choice = j
              break
            }
          }
          if choice < 0 {  // rounding at the top end: the last token of positive weight
            choice = k - 1
            while choice > 0 && weights[choice] == 0 { choice -= 1 }
          }
        }
        y[row * l + t] = Int32(choice)
        lp?[row * l + t] = (zi[choice] - st[0]) - st[2]
        if choice == k - 1 {
          lengths[row] = Int32(t + 1)
        } else {
          active[kept] = active[i]
          activePrompts[kept] = activePrompts[i]
          kept += 1
        }
      }
      active.removeLast(n - kept)
      activePrompts.removeLast(n - kept)
    }
  }

  // MARK: Teacher-forced passes

  /// One forward pass over every valid position (b, t < length_b): fills
  /// `logProbs` with log π(· | c_bt) `[N, V + 1]` and returns the contexts'
  /// rows and positions (N = Σ lengths). Inputs must be validated.
  private func teacherForced(
    on policy: SequencePolicy, into target: ScratchBuffer, probabilities: ScratchBuffer? = nil, _ prompts: [Int32],
    _ tokens: [Int32], _ lengths: [Int32], afterChunk: ((_ start: Int, _ count: Int) -> Void)? = nil
  ) throws(SwiftPGError) -> (rows: [Int32], positions: [Int32], count: Int) {
    let (rows, positions) = SequenceSpace.positions(lengths: lengths)
    let n = rows.count
    guard n > 0 else { return (rows, positions, 0) }
    let contextPrompts = rows.map { prompts[Int($0)] }
    let out = target.reserve(n * space.tokenCount)
    let p = probabilities?.reserve(n * space.tokenCount)
    try chunkedNextTokenLogProbabilities(
      of: policy, count: n, prompts: contextPrompts, tokens: tokens, rows: rows, positions: positions, into: out,
      probabilities: p, afterChunk: afterChunk)
    return (rows, positions, n)
  }

  /// `policy`'s log π(· | c_i) `[n, V + 1]` of `n` (> 0) validated contexts
  /// into `out`, `contextChunkSize` contexts per forward pass: context i is
  /// `prompts[i]` with the first `positions[i]` tokens of row `rows[i]` of
  /// `tokens` (stride L), or of row i without `rows`. `afterChunk` sees the
  /// range of each chunk after its pass.
  private func chunkedNextTokenLogProbabilities(
    of policy: SequencePolicy, count n: Int, prompts: [Int32], tokens: [Int32], rows: [Int32]?,
    positions: [Int32], into out: UnsafeMutablePointer<Double>, probabilities: UnsafeMutablePointer<Double>? = nil,
    afterChunk: ((_ start: Int, _ count: Int) -> Void)? = nil
  ) throws(SwiftPGError) {
    let k = space.tokenCount
    let l = space.maxLength
    let chunk = Swift.max(1, contextChunkSize)
    try prompts.withBase("prompts") { (p) throws(SwiftPGError) in
      try tokens.withBase("tokens") { (y) throws(SwiftPGError) in
        try positions.withBase("positions") { (q) throws(SwiftPGError) in
          func run(_ r: UnsafePointer<Int32>?) {
            for start in stride(from: 0, to: n, by: chunk) {
              let m = Swift.min(chunk, n - start)
              // With `rows` the rows index `tokens` itself; without, context
              // i's row is row i, so a chunk starts `start` rows in.
              policy.nextTokenLogProbabilities(
                prompts: p + start, tokens: r == nil ? y + start * l : y, rows: r.map { $0 + start },
                positions: q + start, count: m, into: out + start * k, probabilities: probabilities.map { $0 + start * k })
              afterChunk?(start, m)
            }
          }
          if let rows {
            try rows.withBase("rows") { (r) throws(SwiftPGError) in run(r) }
          } else {
            run(nil)
          }
        }
      }
    }
  }

  /// The number of contexts Σ lengths, refused beyond the scratch limit.
  private func contextCount(_ lengths: [Int32]) throws(SwiftPGError) -> Int {
    let n = lengths.reduce(0) { $0 + Int($1) }
    _ = try Limits.product([n, space.tokenCount], limit: Limits.maxScratchElements, "teacher-forced logits")
    return n
  }

  /// log π(y_t | x, y_<t) `[B, L]`, 0 at positions ≥ length.
  public func tokenLogProbabilities(prompts: [Int32], tokens: [Int32], lengths: [Int32]) throws(SwiftPGError)
    -> [Double]
  {
    try perPosition(prompts, tokens, lengths) { logp, _, cell in logp[Int(tokens[cell])] }
  }

  /// `[B, L]` with `value(log π(· | c_bt), log π_ref(· | c_bt), b·L + t)`
  /// at each valid position (0 elsewhere), from one teacher-forced pass of
  /// this policy and, when given, one of `reference` (inputs checked first;
  /// without a reference the second pointer is the first).
  private func perPosition(
    _ prompts: [Int32], _ tokens: [Int32], _ lengths: [Int32], reference: SequencePolicy? = nil,
    _ value: (UnsafePointer<Double>, UnsafePointer<Double>, Int) -> Double
  ) throws(SwiftPGError) -> [Double] {
    if let reference { try checkReference(reference) }
    try checkBatch(prompts, tokens, lengths)
    _ = try contextCount(lengths)
    let c = try teacherForced(on: self, into: logProbs, prompts, tokens, lengths)
    if let reference { _ = try teacherForced(on: reference, into: referenceLogProbs, prompts, tokens, lengths) }
    let k = space.tokenCount
    let l = space.maxLength
    let p = logProbs.pointer
    let q = reference == nil ? p : referenceLogProbs.pointer
    var out = [Double](repeating: 0, count: prompts.count * l)
    for i in 0..<c.count {
      let cell = Int(c.rows[i]) * l + Int(c.positions[i])
      out[cell] = value(p + i * k, q + i * k, cell)
    }
    return out
  }

  /// log π(y | x) = Σ_{t < length} log π(y_t | x, y_<t), `[B]`.
  public func sequenceLogProbabilities(prompts: [Int32], tokens: [Int32], lengths: [Int32]) throws(SwiftPGError)
    -> [Double]
  {
    let perToken = try tokenLogProbabilities(prompts: prompts, tokens: tokens, lengths: lengths)
    let l = space.maxLength
    return (0..<prompts.count).map { b in
      var s = 0.0
      for t in 0..<Int(lengths[b]) { s += perToken[b * l + t] }
      return s
    }
  }

  /// The entropy H(π(· | c_bt)) of each valid position's next-token
  /// distribution over the V + 1 tokens, `[B, L]`.
  public func tokenEntropies(prompts: [Int32], tokens: [Int32], lengths: [Int32]) throws(SwiftPGError) -> [Double] {
    let k = space.tokenCount
    return try perPosition(prompts, tokens, lengths) { logp, _, _ in
      var h = 0.0
      for j in 0..<k {
        let pj = _exp(logp[j])
        if pj > 0 { h -= pj * logp[j] }
      }
      return h
    }
  }


  /// The exact KL(π(· | c_bt) ‖ π_ref(· | c_bt)) over the V + 1 tokens at
  /// each valid position, `[B, L]` (+∞ where π_ref gives 0 to a token π
  /// does not). `reference` may be any policy of the same space and prompt
  /// count, including this one.
  public func tokenKL(reference: SequencePolicy, prompts: [Int32], tokens: [Int32], lengths: [Int32])
    throws(SwiftPGError) -> [Double]
  {
    let k = space.tokenCount
    return try perPosition(prompts, tokens, lengths, reference: reference) { p, q, _ in
      var kl = 0.0
      for j in 0..<k {
        let pj = _exp(p[j])
        if pj > 0 { kl += pj * (p[j] - q[j]) }
      }
      return Swift.max(kl, 0)
    }
  }

  /// k1, k2, k3 at the given tokens (see `KLEstimates`); for tokens drawn
  /// from this policy, k1 and k3 are unbiased estimates of `tokenKL`.
  public func klEstimates(reference: SequencePolicy, prompts: [Int32], tokens: [Int32], lengths: [Int32])
    throws(SwiftPGError) -> KLEstimates
  {
    try checkReference(reference)
    let lp = try tokenLogProbabilities(prompts: prompts, tokens: tokens, lengths: lengths)
    let lq = try reference.tokenLogProbabilities(prompts: prompts, tokens: tokens, lengths: lengths)
    var e = KLEstimates(k1: lp, k2: lp, k3: lp)
    for i in lp.indices {
      let logR = lq[i] - lp[i]
      e.k1[i] = -logR
      e.k2[i] = 0.5 * logR * logR
      e.k3[i] = KLEstimates.k3(logR: logR)
      guard e.k3[i].isFinite else {
        throw SwiftPGError(
          .numerical, "k3 overflows at entry \(i): π_ref/π = exp(\(logR)) is beyond the Double range")
      }
    }
    return e
  }

  // MARK: Gradients

  /// Σ_b Σ_{t < length_b} w_bt ∇θ log π(y_bt | c_bt), with `tokenWeights`
  /// `[B, L]` (entries beyond a length are ignored; used ones must be finite).
  public func scoreGradient(prompts: [Int32], tokens: [Int32], lengths: [Int32], tokenWeights: [Double])
    throws(SwiftPGError) -> [Double]
  {
    try checkBatch(prompts, tokens, lengths)
    try require(
      tokenWeights.count == tokens.count, "token weights must have \(tokens.count) entries, got \(tokenWeights.count)")
    let l = space.maxLength
    for (b, len) in lengths.enumerated() {
      for t in 0..<Int(len) where !tokenWeights[b * l + t].isFinite {
        throw SwiftPGError(.notFinite, "tokenWeights[\(b), \(t)] must be finite, got \(tokenWeights[b * l + t])")
      }
    }
    _ = try contextCount(lengths)
    let k = space.tokenCount
    let d = dLogits.reserve(Swift.max(1, Swift.min(contextChunkSize, lengths.reduce(0) { $0 + Int($1) }) * k))
    var gradient = [Double](repeating: 0, count: parameterCount)
    var part = [Double](repeating: 0, count: parameterCount)
    let model = self.model
    let logProbs = self.logProbs
    let probabilities = self.probabilities
    var first = true
    // Rows and positions of the contexts, filled in before the first chunk's callback.
    var cells: [Int] = []
    cells.reserveCapacity(lengths.reduce(0) { $0 + Int($1) })
    for (b, len) in lengths.enumerated() { for t in 0..<Int(len) { cells.append(b * l + t) } }
    _ = try teacherForced(on: self, into: logProbs, probabilities: probabilities, prompts, tokens, lengths) {
      start, m in
      let p = probabilities.pointer + start * k  // reserved by teacherForced before the first chunk
      for i in 0..<m {
        let cell = cells[start + i]
        let w = tokenWeights[cell]
        let chosen = Int(tokens[cell])
        for j in 0..<k { d[i * k + j] = w * ((j == chosen ? 1 : 0) - p[i * k + j]) }
      }
      if first {
        gradient.withUnsafeMutableBufferPointer { gb in if let g = gb.baseAddress { model.backward(d, into: g) } }
        first = false
      } else {
        part.withUnsafeMutableBufferPointer { gb in if let g = gb.baseAddress { model.backward(d, into: g) } }
        for j in gradient.indices { gradient[j] += part[j] }
      }
    }
    return gradient
  }

  /// Σ_b w_b ∇θ log π(y_b | x_b) with per-sequence weights `[B]` (each
  /// broadcast over its response's tokens).
  public func scoreGradient(prompts: [Int32], tokens: [Int32], lengths: [Int32], sequenceWeights: [Double])
    throws(SwiftPGError) -> [Double]
  {
    try require(
      sequenceWeights.count == prompts.count,
      "sequence weights must have \(prompts.count) entries, got \(sequenceWeights.count)")
    let l = space.maxLength
    let cells = try checkedProduct(prompts.count, l, "token weights")
    var w = [Double](repeating: 0, count: cells)
    for b in 0..<prompts.count {
      for t in 0..<l { w[b * l + t] = sequenceWeights[b] }
    }
    return try scoreGradient(prompts: prompts, tokens: tokens, lengths: lengths, tokenWeights: w)
  }
}
