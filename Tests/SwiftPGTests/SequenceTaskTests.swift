import Testing

@testable import SwiftPG

/// The contract of `SequenceTask`, run from each task's test file.
enum TaskChecks {
  /// Every response of the space in canonical order: tokens [N, L], lengths [N].
  static func allResponses(_ space: SequenceSpace) throws -> (tokens: [Int32], lengths: [Int32]) {
    let n = try space.enumerableResponseCount(limit: 1 << 20)
    let l = space.maxLength
    var tokens = [Int32](repeating: 0, count: n * l)
    var lengths = [Int32](repeating: 0, count: n)
    try tokens.withUnsafeMutableBufferPointer { t in
      for i in 0..<n { lengths[i] = try space.response(i, into: t.baseAddress! + i * l) }
    }
    return (tokens, lengths)
  }

  /// Gold (or label) rewards of every response to `prompt`, through the batched entry point.
  static func rewards(_ task: some SequenceTask, prompt: Int, label: Bool = false) throws -> [Double] {
    let (tokens, lengths) = try allResponses(task.space)
    let prompts = [Int32](repeating: Int32(prompt), count: lengths.count)
    return label
      ? try task.labelRewards(prompts: prompts, tokens: tokens, lengths: lengths)
      : try task.goldRewards(prompts: prompts, tokens: tokens, lengths: lengths)
  }

  /// One row's tokens padded with EOS to L: `content` then EOS (unless `content.count == L`).
  static func row(_ space: SequenceSpace, _ content: [Int32]) -> (tokens: [Int32], length: Int32) {
    var t = content
    while t.count < space.maxLength { t.append(space.endToken) }
    return (t, Int32(content.count < space.maxLength ? content.count + 1 : content.count))
  }

  /// Gold rewards of single responses `content` to `prompt`.
  static func gold(_ task: some SequenceTask, _ prompt: Int, _ content: [Int32], label: Bool = false) throws -> Double {
    let (t, n) = row(task.space, content)
    let r =
      label
      ? try task.labelRewards(prompts: [Int32(prompt)], tokens: t, lengths: [n])
      : try task.goldRewards(prompts: [Int32(prompt)], tokens: t, lengths: [n])
    return r[0]
  }

  static func features(_ task: some SequenceTask, _ prompt: Int, _ content: [Int32]) throws -> [Double] {
    let (t, n) = row(task.space, content)
    return try task.rewardFeatures(prompts: [Int32(prompt)], tokens: t, lengths: [n])
  }

  /// Shapes, the expert's optimality (brute force over every response),
  /// diversity growing with noise, split batches, tables, bad inputs.
  static func checkContract(_ task: some SequenceTask, demonstrations: Int = 200) throws {
    let p = task.promptCount
    #expect(task.promptProbabilities.count == p)
    #expect(abs(task.promptProbabilities.reduce(0, +) - 1) < 1e-12)
    #expect(task.promptFeatures.count == p * task.promptFeatureCount)
    #expect(task.featureCount == task.featureNames.count && task.featureCount >= 1)
    #expect(Set(task.featureNames).count == task.featureCount)
    let proxy = task.proxyFeatureIndices
    #expect(proxy.count == task.proxyFeatureNames.count && proxy == proxy.sorted())

    // The expert with noise 0 reaches each prompt's maximum gold reward.
    var maxima: [Double] = []
    for x in 0..<p {
      let r = try rewards(task, prompt: x)
      maxima.append(r.max() ?? .nan)
      #expect(try task.goldRewardTable(prompt: x) == r)
    }
    let exact = try task.expertDemonstrations(count: demonstrations, noise: 0, seed: 11)
    let g = try task.goldRewards(prompts: exact.prompts, tokens: exact.tokens, lengths: exact.lengths)
    for b in 0..<exact.count {
      #expect(abs(g[b] - maxima[Int(exact.prompts[b])]) < 1e-12, "row \(b): \(g[b]) vs \(maxima[Int(exact.prompts[b])])")
    }

    // Noise increases diversity: the empirical entropy of (prompt, response)
    // grows with noise (noise 0: only the prompt varies).
    func entropy(_ noise: Double) throws -> (distinct: Int, entropy: Double) {
      let d = try task.expertDemonstrations(count: demonstrations, noise: noise, seed: 5)
      let l = task.space.maxLength
      var counts: [[Int32]: Int] = [:]
      for b in 0..<d.count { counts[[d.prompts[b], d.lengths[b]] + d.tokens[(b * l)..<((b + 1) * l)], default: 0] += 1 }
      let n = Double(d.count)
      return (counts.count, -counts.values.map { Double($0) / n * _log(Double($0) / n) }.reduce(0, +))
    }
    let e = try [0.0, 0.3, 1.0].map(entropy)
    #expect(e[0].distinct <= p && e[0].entropy < e[1].entropy && e[1].entropy < e[2].entropy, "\(e)")

    // A batch split in two (firstRow) gives the same rows.
    let whole = try task.expertDemonstrations(count: 9, noise: 0.5, seed: 3)
    let a = try task.expertDemonstrations(count: 4, noise: 0.5, seed: 3)
    let b = try task.expertDemonstrations(count: 5, noise: 0.5, seed: 3, firstRow: 4)
    #expect(whole.prompts == a.prompts + b.prompts && whole.tokens == a.tokens + b.tokens)
    #expect(whole.lengths == a.lengths + b.lengths)
    #expect(try task.samplePrompts(count: 9, seed: 3) == whole.prompts)

    // Bad inputs throw before writing.
    let (t, n) = row(task.space, [])
    for bad: Int32 in [-1, Int32(p)] {
      #expect(throws: SwiftPGError.self) { try task.goldRewards(prompts: [bad], tokens: t, lengths: [n]) }
      #expect(throws: SwiftPGError.self) { try task.rewardFeatures(prompts: [bad], tokens: t, lengths: [n]) }
    }
    #expect(throws: SwiftPGError.self) { try task.goldRewards(prompts: [0], tokens: t, lengths: [0]) }
    #expect(throws: SwiftPGError.self) { try task.labelRewards(prompts: [0, 0], tokens: t, lengths: [n]) }
    #expect(throws: SwiftPGError.self) { try task.goldRewards(prompts: [0], tokens: t + [0], lengths: [n]) }
    var badTokens = t
    badTokens[0] = task.space.endToken + 1
    #expect(throws: SwiftPGError.self) { try task.goldRewards(prompts: [0], tokens: badTokens, lengths: [n]) }
    for noise in [-0.1, 1.1, .nan] {
      #expect(throws: SwiftPGError.self) { try task.expertDemonstrations(count: 1, noise: noise, seed: 0) }
    }
    #expect(throws: SwiftPGError.self) { try task.expertDemonstrations(count: -1, noise: 0, seed: 0) }
    #expect(throws: SwiftPGError.self) { try task.samplePrompts(count: -1, seed: 0) }
    #expect(throws: SwiftPGError.self) { try task.goldRewardTable(prompt: p) }
  }
}

/// A small task written in the test: V = 2, L = 3, three prompts with
/// probabilities (0.5, 0.3, 0.2); gold = the number of tokens equal to the
/// prompt id mod 2, minus 0.25 per content token.
private struct CountTask: SequenceTask {
  let space = try! SequenceSpace(vocabularySize: 2, maxLength: 3)
  var name: String { "CountTask" }
  var promptCount: Int { 3 }
  var promptProbabilities: [Double] { [0.5, 0.3, 0.2] }
  var promptFeatureCount: Int { 1 }
  var promptFeatures: [Double] { [0, 1, 2] }
  var featureNames: [String] { ["matches", "content_length"] }
  var proxyFeatureNames: [String] { ["content_length"] }

  func parts(_ x: Int, _ t: UnsafePointer<Int32>, _ n: Int32) -> (Int, Int) {
    let l = space.contentLength(tokens: t, length: n)
    return ((0..<l).filter { Int(t[$0]) == x % 2 }.count, l)
  }
  func goldReward(prompt: Int, tokens: UnsafePointer<Int32>, length: Int32) -> Double {
    let (m, l) = parts(prompt, tokens, length)
    return Double(m) - 0.25 * Double(l)
  }
  func rewardFeatures(prompt: Int, tokens: UnsafePointer<Int32>, length: Int32, into out: UnsafeMutablePointer<Double>) {
    let (m, l) = parts(prompt, tokens, length)
    out[0] = Double(m)
    out[1] = Double(l)
  }
  func expertResponse(prompt: Int) -> [Int32] { Array(repeating: Int32(prompt % 2), count: 3) }
}

@Suite struct SequenceTaskTests {
  @Test func contract() throws {
    try TaskChecks.checkContract(CountTask())
  }

  /// Hand values: prompt 1 (token 1 matches), [1, 0, EOS]: 1 − 0.5 = 0.5;
  /// prompt 0, [0, 0, 0] (truncated): 3 − 0.75 = 2.25; labels default to gold;
  /// proxy features are the second column.
  @Test func batchedEntryPoints() throws {
    let task = CountTask()
    let tokens: [Int32] = [1, 0, 2, 0, 0, 0]
    let r = try task.goldRewards(prompts: [1, 0], tokens: tokens, lengths: [3, 3])
    #expect(r == [0.5, 2.25])
    #expect(try task.labelRewards(prompts: [1, 0], tokens: tokens, lengths: [3, 3]) == r)
    #expect(try task.rewardFeatures(prompts: [1, 0], tokens: tokens, lengths: [3, 3]) == [1, 2, 3, 3])
    #expect(task.proxyFeatureIndices == [1])
    var proxy = [Double](repeating: 0, count: 2)
    try [Int32(1), 0].withUnsafeBufferPointer { p in
      try tokens.withUnsafeBufferPointer { t in
        try [Int32(3), 3].withUnsafeBufferPointer { n in
          try proxy.withUnsafeMutableBufferPointer { o in
            try task.proxyRewardFeatures(
              prompts: p.baseAddress!, tokens: t.baseAddress!, lengths: n.baseAddress!, batch: 2, into: o.baseAddress!)
          }
        }
      }
    }
    #expect(proxy == [2, 3])
    #expect(try task.goldRewards(prompts: [], tokens: [], lengths: []) == [])
  }

  /// Prompt frequencies match (0.5, 0.3, 0.2) within 5 standard errors.
  @Test func promptSamplingFollowsTheDistribution() throws {
    let task = CountTask()
    let n = 20_000
    let draws = try task.samplePrompts(count: n, seed: 42)
    for (x, p) in task.promptProbabilities.enumerated() {
      let f = Double(draws.filter { $0 == Int32(x) }.count) / Double(n)
      let se = (p * (1 - p) / Double(n)).squareRoot()
      #expect(abs(f - p) < 5 * se, "prompt \(x): \(f) vs \(p)")
    }
  }

  /// Noise 1: every position is a uniform draw over the V + 1 = 3 tokens,
  /// so the first token is each of 0, 1, EOS with probability 1/3 and the
  /// length is 1 w.p. 1/3, 2 w.p. 2/9, 3 w.p. 4/9. Noise ½ on prompt 0's
  /// plan (0, 0, 0): the first token is 0 w.p. ½ + ½·⅓ = 2/3.
  @Test func noiseCorruptsThePlanUniformly() throws {
    let task = CountTask()
    let n = 20_000
    func check(_ f: Double, _ p: Double, _ what: String) {
      let se = (p * (1 - p) / Double(n)).squareRoot()
      #expect(abs(f - p) < 5 * se, "\(what): \(f) vs \(p)")
    }
    let d = try task.expertDemonstrations(count: n, noise: 1, seed: 9)
    for tok: Int32 in 0...2 {
      check(Double((0..<n).filter { d.tokens[3 * $0] == tok }.count) / Double(n), 1.0 / 3, "first token \(tok)")
    }
    for (len, p) in [(Int32(1), 1.0 / 3), (2, 2.0 / 9), (3, 4.0 / 9)] {
      check(Double(d.lengths.filter { $0 == len }.count) / Double(n), p, "length \(len)")
    }
    let h = try task.expertDemonstrations(count: n, noise: 0.5, seed: 10)
    let rows = (0..<n).filter { h.prompts[$0] == 0 }
    let f = Double(rows.filter { h.tokens[3 * $0] == 0 }.count) / Double(rows.count)
    let se = (2.0 / 9 / Double(rows.count)).squareRoot()
    #expect(abs(f - 2.0 / 3) < 5 * se, "\(f)")
  }
}
