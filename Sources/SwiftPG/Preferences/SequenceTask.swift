/// A sequence task of the preferences case study (issue 15): a prompt
/// distribution, a response space (V content tokens, EOS = V, at most L
/// generated positions; `Sequences/README.md`), and a hidden **gold reward**
/// r*(x, y) that plays the human.
///
/// A task answers four kinds of question:
///
/// - about prompts: `promptCount` P, `promptProbabilities` [P] (the prompt
///   distribution, summing to 1), `promptFeatures` [P, F] (what a neural
///   policy reads about prompt x; tabular policies index by id), and
///   `samplePrompts(count:seed:)`;
/// - about rewards: `goldRewards(...)` (r*, never shown to a learner except
///   for evaluation) and `labelRewards(...)` (what the labellers judge; equal
///   to gold except for a task with biased labellers, whose bias the doc
///   comment states);
/// - about reward models: `featureNames` (K named features of a pair (x, y))
///   and `rewardFeatures(...)` [B, K]; `proxyFeatureNames` is the subset a
///   deliberately weak ("gameable") reward model sees (all of them unless the
///   task says otherwise);
/// - about demonstrations: `expertDemonstrations(count:noise:seed:)`;
/// - about the reference: `referencePolicy()`, the task's own π_ref where it
///   defines one (nil otherwise).
///
/// Tasks implement the per-response primitives (`goldReward(prompt:tokens:length:)`
/// and the like) on rows the caller has already validated; the batched entry
/// points of the extension validate the whole batch first (prompt ids, then
/// `SequenceSpace.validate`) and throw `SwiftPGError` before writing anything.
///
/// **Expert and noise** (shared by every task): the expert of prompt x has an
/// intended response e(x) (`expertResponse(prompt:)`, a maximiser of the gold
/// reward) and generates it position by position: at position t it intends
/// e(x)_t, or EOS once e(x)'s content is exhausted. With probability `noise`
/// the intended token is replaced by a token drawn uniformly from all V + 1
/// tokens (EOS included); the expert then carries on with its plan at the
/// next position (it does not re-plan). Generation stops at the first EOS or
/// after L positions (truncated). So noise 0 reproduces e(x) exactly and
/// noise 1 gives uniformly random tokens. Row b of a demonstration batch (its
/// prompt draw, then its tokens) uses `PCG64.laneStream(seed:lane: b)`, so a
/// batch split across calls gives the same rows (see `firstRow`).
public protocol SequenceTask: Sendable {
  /// A short identifier, e.g. "Summarise".
  var name: String { get }
  /// The response space (V, L).
  var space: SequenceSpace { get }
  /// P: the number of prompts.
  var promptCount: Int { get }
  /// The prompt distribution [P] (non-negative, summing to 1).
  var promptProbabilities: [Double] { get }
  /// F: the number of features per prompt.
  var promptFeatureCount: Int { get }
  /// The prompt features [P, F], row-major.
  var promptFeatures: [Double] { get }
  /// The names of the K reward-model features, in the order of `rewardFeatures`.
  var featureNames: [String] { get }
  /// The names of the features a proxy (gameable) reward model sees: a
  /// subset of `featureNames` in the same order (default: all of them).
  var proxyFeatureNames: [String] { get }

  /// r*(x, y) of one response already validated (`tokens` one row of L).
  func goldReward(prompt: Int, tokens: UnsafePointer<Int32>, length: Int32) -> Double
  /// The reward the labellers judge (default: the gold reward).
  func labelReward(prompt: Int, tokens: UnsafePointer<Int32>, length: Int32) -> Double
  /// Writes the K reward-model features of one validated response.
  func rewardFeatures(prompt: Int, tokens: UnsafePointer<Int32>, length: Int32, into out: UnsafeMutablePointer<Double>)
  /// The expert's intended response to `prompt`: at most L content tokens
  /// (fewer than L: it ends with EOS; exactly L: it is truncated). It
  /// maximises the gold reward of `prompt`.
  func expertResponse(prompt: Int) -> [Int32]
  /// The task's reference policy π_ref, when it defines one (the didactic
  /// bandit's skewed π_ref), as a new policy over the task's space and
  /// prompts that shares nothing with the task; nil for tasks without one
  /// (the default).
  func referencePolicy() throws(SwiftPGError) -> SequencePolicy?
}

/// A batch of responses with their prompts: `prompts` [count],
/// `tokens` [count, L] row-major, `lengths` [count] (n ∈ 1…L, EOS included).
public struct SequenceBatch: Sendable, Equatable {
  public var prompts: [Int32]
  public var tokens: [Int32]
  public var lengths: [Int32]
  public var maxLength: Int
  public var count: Int { lengths.count }

  public init(prompts: [Int32], tokens: [Int32], lengths: [Int32], maxLength: Int) {
    self.prompts = prompts
    self.tokens = tokens
    self.lengths = lengths
    self.maxLength = maxLength
  }
}

extension SequenceTask {
  public func labelReward(prompt: Int, tokens: UnsafePointer<Int32>, length: Int32) -> Double {
    goldReward(prompt: prompt, tokens: tokens, length: length)
  }

  public func referencePolicy() throws(SwiftPGError) -> SequencePolicy? { nil }

  public var proxyFeatureNames: [String] { featureNames }

  /// K: the number of reward-model features.
  public var featureCount: Int { featureNames.count }

  /// The positions of `proxyFeatureNames` within `featureNames`.
  public var proxyFeatureIndices: [Int] {
    let names = featureNames
    return proxyFeatureNames.compactMap { p in names.firstIndex(of: p) }
  }

  // MARK: Validation

  /// Checks `prompts[0..<batch]` are ids in 0..<P.
  public func validatePrompts(_ prompts: UnsafePointer<Int32>, batch: Int) throws(SwiftPGError) {
    let p = promptCount
    for b in 0..<batch where prompts[b] < 0 || Int(prompts[b]) >= p {
      throw SwiftPGError(.outOfRange, "prompts[\(b)] must be a prompt id in [0, \(p)) of \(name), got \(prompts[b])")
    }
  }

  /// Validates a batch of (prompt, response): the batch size, the prompt ids,
  /// then the responses (`SequenceSpace.validate`).
  public func validateBatch(
    prompts: UnsafePointer<Int32>, tokens: UnsafePointer<Int32>, lengths: UnsafePointer<Int32>, batch: Int
  ) throws(SwiftPGError) {
    try require(batch >= 0, "batch must be >= 0, got \(batch)")
    _ = try Limits.product([batch, space.maxLength], limit: Limits.maxScratchElements, "tokens [batch, max_length]")
    try validatePrompts(prompts, batch: batch)
    try space.validate(tokens: tokens, lengths: lengths, batch: batch)
  }

  // MARK: Batched rewards and features

  /// Gold rewards r*(x_b, y_b) into `out` [batch].
  public func goldRewards(
    prompts: UnsafePointer<Int32>, tokens: UnsafePointer<Int32>, lengths: UnsafePointer<Int32>, batch: Int,
    into out: UnsafeMutablePointer<Double>
  ) throws(SwiftPGError) {
    try eachResponse(prompts, tokens, lengths, batch, into: out, goldReward)
  }

  /// Label rewards (what the labellers judge) into `out` [batch].
  public func labelRewards(
    prompts: UnsafePointer<Int32>, tokens: UnsafePointer<Int32>, lengths: UnsafePointer<Int32>, batch: Int,
    into out: UnsafeMutablePointer<Double>
  ) throws(SwiftPGError) {
    try eachResponse(prompts, tokens, lengths, batch, into: out, labelReward)
  }

  /// Validates the batch, then writes `reward(x_b, y_b)` to `out[b]`.
  private func eachResponse(
    _ prompts: UnsafePointer<Int32>, _ tokens: UnsafePointer<Int32>, _ lengths: UnsafePointer<Int32>, _ batch: Int,
    into out: UnsafeMutablePointer<Double>, _ reward: (Int, UnsafePointer<Int32>, Int32) -> Double
  ) throws(SwiftPGError) {
    try validateBatch(prompts: prompts, tokens: tokens, lengths: lengths, batch: batch)
    let l = space.maxLength
    for b in 0..<batch { out[b] = reward(Int(prompts[b]), tokens + b * l, lengths[b]) }
  }

  /// Reward-model features into `out` [batch, K] (K = `featureCount`).
  public func rewardFeatures(
    prompts: UnsafePointer<Int32>, tokens: UnsafePointer<Int32>, lengths: UnsafePointer<Int32>, batch: Int,
    into out: UnsafeMutablePointer<Double>
  ) throws(SwiftPGError) {
    try features(prompts, tokens, lengths, batch, columns: nil, into: out)
  }

  /// The proxy reward model's features into `out` [batch, K'] (the columns
  /// `proxyFeatureIndices` of `rewardFeatures`).
  public func proxyRewardFeatures(
    prompts: UnsafePointer<Int32>, tokens: UnsafePointer<Int32>, lengths: UnsafePointer<Int32>, batch: Int,
    into out: UnsafeMutablePointer<Double>
  ) throws(SwiftPGError) {
    try features(prompts, tokens, lengths, batch, columns: proxyFeatureIndices, into: out)
  }

  /// Validates the batch, then writes the feature `columns` (nil: all K)
  /// of each response to `out` [batch, columns].
  private func features(
    _ prompts: UnsafePointer<Int32>, _ tokens: UnsafePointer<Int32>, _ lengths: UnsafePointer<Int32>, _ batch: Int,
    columns: [Int]?, into out: UnsafeMutablePointer<Double>
  ) throws(SwiftPGError) {
    try validateBatch(prompts: prompts, tokens: tokens, lengths: lengths, batch: batch)
    let k = featureCount
    let width = columns?.count ?? k
    _ = try Limits.product([batch, width], limit: Limits.maxScratchElements, "features [batch, \(width)]")
    let l = space.maxLength
    let row = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(1, k))
    defer { row.deallocate() }
    for b in 0..<batch {
      let target = columns == nil ? out + b * k : row
      rewardFeatures(prompt: Int(prompts[b]), tokens: tokens + b * l, length: lengths[b], into: target)
      if let columns { for (j, c) in columns.enumerated() { out[b * width + j] = row[c] } }
    }
  }

  /// Array convenience: gold rewards of a batch (`tokens` [B, L]).
  public func goldRewards(prompts: [Int32], tokens: [Int32], lengths: [Int32]) throws(SwiftPGError) -> [Double] {
    try arrayCall(prompts: prompts, tokens: tokens, lengths: lengths, width: 1) { (p, t, n, b, o) throws(SwiftPGError) in
      try goldRewards(prompts: p, tokens: t, lengths: n, batch: b, into: o)
    }
  }

  /// Array convenience: label rewards of a batch.
  public func labelRewards(prompts: [Int32], tokens: [Int32], lengths: [Int32]) throws(SwiftPGError) -> [Double] {
    try arrayCall(prompts: prompts, tokens: tokens, lengths: lengths, width: 1) { (p, t, n, b, o) throws(SwiftPGError) in
      try labelRewards(prompts: p, tokens: t, lengths: n, batch: b, into: o)
    }
  }

  /// Array convenience: reward-model features [B, K].
  public func rewardFeatures(prompts: [Int32], tokens: [Int32], lengths: [Int32]) throws(SwiftPGError) -> [Double] {
    try arrayCall(prompts: prompts, tokens: tokens, lengths: lengths, width: featureCount) {
      (p, t, n, b, o) throws(SwiftPGError) in
      try rewardFeatures(prompts: p, tokens: t, lengths: n, batch: b, into: o)
    }
  }

  /// Array convenience: the proxy reward model's features [B, K'].
  public func proxyRewardFeatures(prompts: [Int32], tokens: [Int32], lengths: [Int32]) throws(SwiftPGError)
    -> [Double]
  {
    try arrayCall(prompts: prompts, tokens: tokens, lengths: lengths, width: proxyFeatureIndices.count) {
      (p, t, n, b, o) throws(SwiftPGError) in
      try proxyRewardFeatures(prompts: p, tokens: t, lengths: n, batch: b, into: o)
    }
  }

  private func arrayCall(
    prompts: [Int32], tokens: [Int32], lengths: [Int32], width: Int,
    _ body: (
      UnsafePointer<Int32>, UnsafePointer<Int32>, UnsafePointer<Int32>, Int, UnsafeMutablePointer<Double>
    ) throws(SwiftPGError) -> Void
  ) throws(SwiftPGError) -> [Double] {
    let batch = lengths.count
    try require(prompts.count == batch, "prompts must have \(batch) entries (one per length), got \(prompts.count)")
    let expected = try checkedProduct(batch, space.maxLength, "tokens [batch, max_length]")
    try require(tokens.count == expected, "tokens must have \(batch) × \(space.maxLength) entries, got \(tokens.count)")
    let outCount = try Limits.product([batch, width], limit: Limits.maxScratchElements, "rewards [batch, width]")
    var out = [Double](repeating: 0, count: outCount)
    // Empty arrays may have no storage: hand the body a valid dummy.
    var dummy32: Int32 = 0
    var dummy64 = 0.0
    try prompts.withUnsafeBufferPointer { (p) throws(SwiftPGError) in
      try tokens.withUnsafeBufferPointer { (t) throws(SwiftPGError) in
        try lengths.withUnsafeBufferPointer { (n) throws(SwiftPGError) in
          try out.withUnsafeMutableBufferPointer { (o) throws(SwiftPGError) in
            try withUnsafeMutablePointer(to: &dummy32) { (d) throws(SwiftPGError) in
              try withUnsafeMutablePointer(to: &dummy64) { (e) throws(SwiftPGError) in
                let di = UnsafePointer(d)
                try body(p.baseAddress ?? di, t.baseAddress ?? di, n.baseAddress ?? di, batch, o.baseAddress ?? e)
              }
            }
          }
        }
      }
    }
    return out
  }

  // MARK: Exact tables

  /// The gold rewards of every response to `prompt` in canonical order
  /// ([responseCount]); `.tooLarge` beyond `limit` responses.
  public func goldRewardTable(prompt: Int, limit: Int = 1 << 20) throws(SwiftPGError) -> [Double] {
    try rewardTable(prompt: prompt, limit: limit, label: false)
  }

  /// The label rewards of every response to `prompt` in canonical order.
  public func labelRewardTable(prompt: Int, limit: Int = 1 << 20) throws(SwiftPGError) -> [Double] {
    try rewardTable(prompt: prompt, limit: limit, label: true)
  }

  private func rewardTable(prompt: Int, limit: Int, label: Bool) throws(SwiftPGError) -> [Double] {
    try require(
      prompt >= 0 && prompt < promptCount, "prompt must be in [0, \(promptCount)) of \(name), got \(prompt)",
      code: .outOfRange)
    let n = try space.enumerableResponseCount(limit: limit)
    var table = [Double](repeating: 0, count: n)
    var row = [Int32](repeating: 0, count: space.maxLength)
    for i in 0..<n {
      try row.withMutableBase("row") { (r) throws(SwiftPGError) in
        let len = try space.response(i, into: r)
        let t = UnsafePointer(r)
        table[i] =
          label ? labelReward(prompt: prompt, tokens: t, length: len) : goldReward(prompt: prompt, tokens: t, length: len)
      }
    }
    return table
  }

  // MARK: Sampling

  /// `count` prompt ids drawn from `promptProbabilities`; draw i uses
  /// `PCG64.laneStream(seed:lane: firstRow + i)` (one uniform, inverse CDF).
  public func samplePrompts(count: Int, seed: UInt64, firstRow: Int = 0) throws(SwiftPGError) -> [Int32] {
    try require(count >= 0 && count <= Limits.maxScratchElements, "count must be in [0, 2^28], got \(count)")
    try require(firstRow >= 0, "first_row must be >= 0, got \(firstRow)")
    let cdf = promptCDF()
    return (0..<count).map { i in
      var rng = PCG64.laneStream(seed: seed, lane: firstRow + i)
      return Int32(Self.drawPrompt(cdf, &rng))
    }
  }

  /// `count` demonstrations of the noisy expert (see the protocol's doc
  /// comment): prompts from the prompt distribution, then the expert's
  /// response with each position's intended token replaced, with probability
  /// `noise` ∈ [0, 1], by a uniform draw over the V + 1 tokens.
  public func expertDemonstrations(count: Int, noise: Double, seed: UInt64, firstRow: Int = 0) throws(SwiftPGError)
    -> SequenceBatch
  {
    try require(count >= 0, "count must be >= 0, got \(count)")
    try require(noise >= 0 && noise <= 1, "noise must be in [0, 1], got \(noise)")
    try require(firstRow >= 0, "first_row must be >= 0, got \(firstRow)")
    let l = space.maxLength
    let total = try Limits.product([count, l], limit: Limits.maxScratchElements, "tokens [count, max_length]")
    let cdf = promptCDF()
    let eos = space.endToken
    let tokenCount = space.tokenCount
    let plans = (0..<promptCount).map { expertResponse(prompt: $0) }
    var prompts = [Int32](repeating: 0, count: count)
    var tokens = [Int32](repeating: eos, count: total)
    var lengths = [Int32](repeating: 0, count: count)
    for b in 0..<count {
      var rng = PCG64.laneStream(seed: seed, lane: firstRow + b)
      let x = Self.drawPrompt(cdf, &rng)
      prompts[b] = Int32(x)
      let plan = plans[x]
      var n = l
      for t in 0..<l {
        var token = t < plan.count ? plan[t] : eos
        if rng.nextUnitDouble() < noise {
          token = Int32(min(Int(rng.nextUnitDouble() * Double(tokenCount)), tokenCount - 1))
        }
        tokens[b * l + t] = token
        if token == eos {
          n = t + 1
          break
        }
      }
      lengths[b] = Int32(n)
    }
    return SequenceBatch(prompts: prompts, tokens: tokens, lengths: lengths, maxLength: l)
  }

  private func promptCDF() -> [Double] {
    var cdf = [Double](repeating: 0, count: promptCount)
    var s = 0.0
    for (i, p) in promptProbabilities.enumerated() {
      s += p
      cdf[i] = s
    }
    return cdf
  }

  /// The first prompt whose cumulative probability exceeds u · total
  /// (prompts of probability 0 are never drawn).
  private static func drawPrompt(_ cdf: [Double], _ rng: inout PCG64) -> Int {
    let u = rng.nextUnitDouble() * (cdf.last ?? 0)
    for (i, c) in cdf.enumerated() where u < c { return i }
    // Rounding: the last prompt of positive probability.
    var i = cdf.count - 1
    while i > 0 && cdf[i] == cdf[i - 1] { i -= 1 }
    return max(i, 0)
  }
}

/// Helpers shared by the task implementations.
enum TaskSupport {
  /// Validates a probability vector (finite, ≥ 0, sum within 1e-6 of 1) and
  /// returns it normalised.
  static func probabilities(_ p: [Double], name: String) throws(SwiftPGError) -> [Double] {
    try require(!p.isEmpty, "\(name) must not be empty")
    var s = 0.0
    for (i, v) in p.enumerated() {
      try require(v.isFinite && v >= 0, "\(name)[\(i)] must be finite and >= 0, got \(v)")
      s += v
    }
    try require(abs(s - 1) <= 1e-6, "\(name) must sum to 1, got \(s)")
    return p.map { $0 / s }
  }

  /// A uniform integer in 0..<n from one 53-bit uniform: ⌊u · n⌋.
  @inline(__always)
  static func uniformInt(_ n: Int, _ rng: inout PCG64) -> Int {
    min(Int(rng.nextUnitDouble() * Double(n)), n - 1)
  }
}

/// A task whose gold reward is a `CoverageReward`: it says which tokens
/// are relevant to a prompt; the reward and the parts follow.
public protocol CoverageTask: SequenceTask {
  var coverage: CoverageReward { get }
  func isRelevant(prompt: Int, token: Int32) -> Bool
}

extension CoverageTask {
  public var lengthPenalty: Double { coverage.lengthPenalty }
  public var missingEOSPenalty: Double { coverage.missingEOSPenalty }

  /// (relevant tokens covered, content length, truncated) of a validated response.
  public func parts(prompt x: Int, tokens: UnsafePointer<Int32>, length: Int32) -> CoverageReward.Parts {
    coverage.parts(space, tokens, length) { isRelevant(prompt: x, token: $0) }
  }

  public func goldReward(prompt: Int, tokens: UnsafePointer<Int32>, length: Int32) -> Double {
    coverage.reward(parts(prompt: prompt, tokens: tokens, length: length))
  }
}

/// The gold reward of the coverage tasks (`Summarise`, `LengthBias`):
/// r*(x, y) = c − λ·l − p·[no EOS], with c the number of distinct relevant
/// tokens of prompt x among the response's content tokens, l the number of
/// content tokens and p the missing-EOS penalty of a truncated response.
/// Their first three reward-model features are (c, l, [no EOS]).
public struct CoverageReward: Sendable, Equatable {
  /// λ ≥ 0, per content token.
  public let lengthPenalty: Double
  /// p ≥ 0, when the response has no EOS.
  public let missingEOSPenalty: Double

  public init(lengthPenalty: Double, missingEOSPenalty: Double) throws(SwiftPGError) {
    try require(
      lengthPenalty.isFinite && lengthPenalty >= 0, "length_penalty must be finite and >= 0, got \(lengthPenalty)")
    try require(
      missingEOSPenalty.isFinite && missingEOSPenalty >= 0,
      "missing_eos_penalty must be finite and >= 0, got \(missingEOSPenalty)")
    self.lengthPenalty = lengthPenalty
    self.missingEOSPenalty = missingEOSPenalty
  }

  /// (c, l, truncated) of a response.
  public struct Parts: Sendable, Equatable {
    public var covered: Int
    public var l: Int
    public var truncated: Bool
  }

  /// The parts of a validated response; `relevant(token)` says whether a
  /// content token counts for the prompt (each distinct token once).
  @inline(__always)
  public func parts(
    _ space: SequenceSpace, _ tokens: UnsafePointer<Int32>, _ length: Int32, relevant: (Int32) -> Bool
  ) -> Parts {
    let l = space.contentLength(tokens: tokens, length: length)
    var covered = 0
    for t in 0..<l where relevant(tokens[t]) {
      var first = true
      for u in 0..<t where tokens[u] == tokens[t] {
        first = false
        break
      }
      if first { covered += 1 }
    }
    return Parts(covered: covered, l: l, truncated: l == space.maxLength)
  }

  public func reward(_ p: Parts) -> Double {
    Double(p.covered) - lengthPenalty * Double(p.l) - (p.truncated ? missingEOSPenalty : 0)
  }

  /// Writes (c, l, [no EOS]) to `out[0..<3]`.
  public static func write(_ p: Parts, into out: UnsafeMutablePointer<Double>) {
    out[0] = Double(p.covered)
    out[1] = Double(p.l)
    out[2] = p.truncated ? 1 : 0
  }
}
