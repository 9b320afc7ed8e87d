import Testing

@testable import SwiftPG

@Suite struct LengthBiasTests {
  @Test func contract() throws {
    try TaskChecks.checkContract(LengthBias(vocabularySize: 3, maxLength: 4, promptCount: 3))
    try TaskChecks.checkContract(LengthBias())
  }

  /// Defaults (V = 4, L = 7, R = 2, λ = 0.1, c = 1, α = 0.3); prompt 1 asks
  /// for {1, 2}, prompt 3 for {3, 0}:
  /// p1 [1, 2] EOS: 2 − 0.2 = 1.8, label 1.8 + 0.6 = 2.4;
  /// p1 [1, 1, 1] EOS: 1 − 0.3 = 0.7, label 1.6;
  /// p1 [0, 3] EOS: −0.2; p3 [0, 3] EOS: 1.8;
  /// p1 [1 × 7] (truncated): 1 − 0.7 − 1 = −0.7, label −0.7 + 2.1 = 1.4.
  @Test func goldenValues() throws {
    let task = try LengthBias()
    #expect(task.space.responseCount == 21_845)
    #expect(task.relevantTokens(prompt: 3) == [0, 3])
    let cases: [(Int, [Int32], Double, Double)] = [
      (1, [1, 2], 1.8, 2.4), (1, [1, 1, 1], 0.7, 1.6), (1, [0, 3], -0.2, 0.4), (3, [0, 3], 1.8, 2.4),
      (1, [1, 1, 1, 1, 1, 1, 1], -0.7, 1.4),
    ]
    for (x, content, gold, label) in cases {
      #expect(abs(try TaskChecks.gold(task, x, content) - gold) < 1e-12, "\(x) \(content)")
      #expect(abs(try TaskChecks.gold(task, x, content, label: true) - label) < 1e-12, "\(x) \(content)")
    }
    #expect(try TaskChecks.features(task, 1, [1, 2, 2]) == [2, 3, 0, 0, 1, 2, 0])
    #expect(task.proxyFeatureNames == ["content_length", "count_0", "count_1", "count_2", "count_3"])
    #expect(task.proxyFeatureIndices == [1, 3, 4, 5, 6])
    #expect(Array(task.promptFeatures[4..<8]) == [0, 1, 1, 0])
  }

  /// Gold and labels are linear in the full features with weights (1, −λ, −c)
  /// and (1, α − λ, −c); the labels' optimum has gold 2 − 0.6 = 1.4 < 1.8.
  @Test func labelsAreLengthBiased() throws {
    let task = try LengthBias()
    let (tokens, lengths) = try TaskChecks.allResponses(task.space)
    let x = 2
    let prompts = [Int32](repeating: Int32(x), count: lengths.count)
    let gold = try task.goldRewards(prompts: prompts, tokens: tokens, lengths: lengths)
    let label = try task.labelRewards(prompts: prompts, tokens: tokens, lengths: lengths)
    let f = try task.rewardFeatures(prompts: prompts, tokens: tokens, lengths: lengths)
    let k = task.featureCount
    for i in stride(from: 0, to: lengths.count, by: 97) {
      #expect(abs(gold[i] - (f[i * k] - 0.1 * f[i * k + 1] - f[i * k + 2])) < 1e-12)
      #expect(abs(label[i] - (f[i * k] + 0.2 * f[i * k + 1] - f[i * k + 2])) < 1e-12)
    }
    let best = label.indices.max { label[$0] < label[$1] }!
    #expect(abs(gold[best] - 1.4) < 1e-12 && lengths[best] == 7 && abs(gold.max()! - 1.8) < 1e-12)
  }

  /// Over-optimisation: a least-squares proxy (intercept, length, token
  /// counts; ridge 1e-6) fitted to the labels of every ended response of
  /// every prompt puts positive weight on length, so its argmax over all
  /// responses is truncated (L content tokens), whose gold is at most
  /// 2 − 0.7 − 1 = 0.3, far below the maximum 1.8; the proxy rates it above
  /// the expert's response.
  @Test func proxyIsGamed() throws {
    let task = try LengthBias()
    let (tokens, lengths) = try TaskChecks.allResponses(task.space)
    let n = lengths.count
    let cols = task.proxyFeatureIndices
    let d = cols.count + 1
    var ata = [Double](repeating: 0, count: d * d)
    var atb = [Double](repeating: 0, count: d)
    for x in 0..<task.promptCount {
      let prompts = [Int32](repeating: Int32(x), count: n)
      let label = try task.labelRewards(prompts: prompts, tokens: tokens, lengths: lengths)
      let f = try task.rewardFeatures(prompts: prompts, tokens: tokens, lengths: lengths)
      for i in 0..<n where tokens[i * 7 + Int(lengths[i]) - 1] == task.space.endToken {
        let row = [1.0] + cols.map { f[i * task.featureCount + $0] }
        for a in 0..<d {
          atb[a] += row[a] * label[i]
          for b in 0..<d { ata[a * d + b] += row[a] * row[b] }
        }
      }
    }
    for a in 0..<d { ata[a * d + a] += 1e-6 }
    let w = solve(ata, atb, d)
    let proxyFeatures = try task.rewardFeatures(
      prompts: [Int32](repeating: 0, count: n), tokens: tokens, lengths: lengths)
    let proxy = (0..<n).map { i in w[0] + cols.indices.map { w[$0 + 1] * proxyFeatures[i * task.featureCount + cols[$0]] }.reduce(0, +) }
    let gold = try TaskChecks.rewards(task, prompt: 0)
    let best = proxy.indices.max { proxy[$0] < proxy[$1] }!
    #expect(lengths[best] == 7 && tokens[best * 7 + 6] != task.space.endToken)
    #expect(gold[best] <= 0.3 + 1e-12, "gold at the proxy's optimum \(gold[best]), weights \(w)")
    var row = [Int32](repeating: 4, count: 7)
    row[0] = 0
    row[1] = 1
    let expertIndex = row.withUnsafeBufferPointer { task.space.responseIndex(tokens: $0.baseAddress!, length: 3) }!
    #expect(abs(gold[expertIndex] - 1.8) < 1e-12 && proxy[best] > proxy[expertIndex])
  }

  /// Gaussian elimination with partial pivoting (d ≤ 10).
  private func solve(_ a: [Double], _ b: [Double], _ d: Int) -> [Double] {
    var m = a, v = b
    for c in 0..<d {
      let p = (c..<d).max { abs(m[$0 * d + c]) < abs(m[$1 * d + c]) }!
      if p != c {
        for j in 0..<d { m.swapAt(c * d + j, p * d + j) }
        v.swapAt(c, p)
      }
      for r in (c + 1)..<d {
        let f = m[r * d + c] / m[c * d + c]
        for j in c..<d { m[r * d + j] -= f * m[c * d + j] }
        v[r] -= f * v[c]
      }
    }
    var x = [Double](repeating: 0, count: d)
    for c in stride(from: d - 1, through: 0, by: -1) {
      var s = v[c]
      for j in (c + 1)..<d { s -= m[c * d + j] * x[j] }
      x[c] = s / m[c * d + c]
    }
    return x
  }

  @Test func rejectsBadParameters() {
    #expect(throws: SwiftPGError.self) { try LengthBias(vocabularySize: 0) }
    #expect(throws: SwiftPGError.self) { try LengthBias(promptCount: 0) }
    #expect(throws: SwiftPGError.self) { try LengthBias(relevantCount: 0) }
    #expect(throws: SwiftPGError.self) { try LengthBias(relevantCount: 5) }
    #expect(throws: SwiftPGError.self) { try LengthBias(maxLength: 2, relevantCount: 2) }
    #expect(throws: SwiftPGError.self) { try LengthBias(lengthPenalty: -1) }
    #expect(throws: SwiftPGError.self) { try LengthBias(missingEOSPenalty: .nan) }
    #expect(throws: SwiftPGError.self) { try LengthBias(labelLengthBias: .infinity) }
  }
}
