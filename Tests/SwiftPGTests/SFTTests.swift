import Testing

@testable import SwiftPG

@Suite struct SFTTests {
  /// The maximum-likelihood tabular policy is the empirical next-token
  /// frequency of each context: SFT on 4 000 responses sampled from a
  /// teacher reaches it (EOS targets included), and so the exact
  /// distribution of responses approaches the teacher's within sampling error.
  @Test func tabularSFTRecoversEmpiricalFrequencies() throws {
    let teacher = try SequenceFixtures.tabular(v: 2, l: 3, prompts: 2, seed: 4)
    let prompts = (0..<4000).map { Int32($0 % 2) }
    let data = try teacher.sample(prompts: prompts, temperature: 1, seed: 11)
    let examples = try SequenceExamples(
      space: teacher.space, promptCount: 2, prompts: prompts, tokens: data.tokens, lengths: data.lengths)
    #expect(examples.count == data.lengths.reduce(0) { $0 + Int($1) })
    let model = try TabularSequenceModel(space: teacher.space, promptCount: 2)
    let student = SequencePolicy(model: model)
    var config = SFT.defaultConfig
    config.epochs = 400
    config.minibatchSize = examples.count
    config.learningRate = 0.1
    let sft = try SFT(policy: student, config: config)
    let history = try sft.fit(examples)
    #expect(history.loss.last! < history.loss.first!)
    // Empirical frequencies per (prompt, prefix index, token).
    let space = teacher.space
    var counts = [Double](repeating: 0, count: model.parameterCount)
    for b in 0..<prompts.count {
      for t in 0..<Int(data.lengths[b]) {
        let row = Array(data.tokens[(b * 3)..<(b * 3 + 3)])
        let prefix = row.withUnsafeBufferPointer { space.prefixIndex($0.baseAddress!, count: t)! }
        counts[model.rowOffset(prompt: Int(prompts[b]), prefixIndex: prefix) + Int(row[t])] += 1
      }
    }
    let k = space.tokenCount
    for row in 0..<(counts.count / k) {
      let total = counts[(row * k)..<(row * k + k)].reduce(0, +)
      guard total >= 200 else { continue }
      let z = Array(student.parameters[(row * k)..<(row * k + k)])
      let zmax = z.max()!
      let norm = z.map { _exp($0 - zmax) }.reduce(0, +)
      for j in 0..<k {
        let p = _exp(z[j] - zmax) / norm
        #expect(abs(p - counts[row * k + j] / total) < 0.01, "row \(row) token \(j)")
      }
    }
    // Per-token cross-entropy of the fit equals the empirical conditional entropy (the MLE's loss).
    let fitted = try sft.evaluate(examples)
    var entropy = 0.0
    for row in 0..<(counts.count / k) {
      let total = counts[(row * k)..<(row * k + k)].reduce(0, +)
      for j in 0..<k where counts[row * k + j] > 0 {
        entropy -= counts[row * k + j] * _log(counts[row * k + j] / total)
      }
    }
    entropy /= Double(examples.count)
    #expect(abs(fitted.loss - entropy) < 2e-3, "\(fitted.loss) vs \(entropy)")
  }

  /// What lies beyond a response's length never matters (masks come from
  /// lengths, not token values): filling it with EOS or any content token
  /// gives the same training run, bit for bit.
  @Test func paddingDoesNotMatter() throws {
    let teacher = try SequenceFixtures.tabular(v: 3, l: 4, prompts: 1, seed: 2)
    let prompts = [Int32](repeating: 0, count: 300)
    let data = try teacher.sample(prompts: prompts, temperature: 1, seed: 3)
    var scrambled = data.tokens
    var g = PCG64(seed: 5)
    for b in 0..<300 {
      for t in Int(data.lengths[b])..<4 { scrambled[b * 4 + t] = Int32(g.next() % 4) }
    }
    var results: [[Double]] = []
    for tokens in [data.tokens, scrambled] {
      let student = try SequenceFixtures.neural(v: 3, l: 4, prompts: 1, seed: 8)
      var config = SFT.defaultConfig
      config.epochs = 2
      let sft = try SFT(policy: student, config: config)
      _ = try sft.fit(
        SequenceExamples(space: student.space, promptCount: 1, prompts: prompts, tokens: tokens, lengths: data.lengths))
      results.append(student.parameters)
    }
    #expect(results[0] == results[1])
  }

  @Test func badDemonstrationsAreRefused() throws {
    let space = try SequenceSpace(vocabularySize: 3, maxLength: 3)
    let bad: [([Int32], [Int32], [Int32])] = [
      ([0], [0, 1, 2], [2]),  // stops early without EOS
      ([0], [0, 3, 1], [3]),  // EOS inside the content
      ([0], [4, 3, 3], [1]),  // token beyond EOS
      ([0], [3, 3, 3], [0]),  // length 0
      ([2], [3, 3, 3], [1]),  // prompt out of range
      ([0, 0], [3, 3, 3], [1]),  // prompts and lengths disagree
      ([0], [3, 3], [1]),  // too few tokens
    ]
    for (p, t, n) in bad {
      #expect(throws: SwiftPGError.self) { try SequenceExamples(space: space, promptCount: 2, prompts: p, tokens: t, lengths: n) }
    }
    let policy = try SequenceFixtures.tabular(v: 3, l: 3, prompts: 2, seed: 1)
    let sft = try SFT(policy: policy)
    let empty = try SequenceExamples(space: space, promptCount: 2, prompts: [], tokens: [], lengths: [])
    let before = policy.parameters
    #expect(throws: SwiftPGError.self) { try sft.fit(empty) }
    let other = try SequenceExamples(
      space: try SequenceSpace(vocabularySize: 2, maxLength: 3), promptCount: 2, prompts: [0], tokens: [2, 2, 2],
      lengths: [1])
    #expect(throws: SwiftPGError.self) { try sft.fit(other) }
    #expect(policy.parameters == before)
  }
}
