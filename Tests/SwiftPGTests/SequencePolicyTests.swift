import Testing

@testable import SwiftPG

@Suite struct SequencePolicyTests {
  /// Sampled response frequencies match the exact distribution: every
  /// response's count within 5 standard errors (20 000 samples), tabular and
  /// neural, including a space with truncated responses.
  @Test(arguments: [0, 1])
  func sampleFrequenciesMatchExactProbabilities(kind: Int) throws {
    let policy =
      kind == 0
      ? try SequenceFixtures.tabular(v: 2, l: 3, prompts: 2, seed: 21)
      : try SequenceFixtures.neural(v: 3, l: 2, prompts: 2, seed: 22)
    let space = policy.space
    let n = 20_000
    let prompt: Int32 = 1
    let exact = try ExactResponses.logProbabilities(policy, prompt: Int(prompt)).map { _exp($0) }
    let s = try policy.sample(prompts: Array(repeating: prompt, count: n), temperature: 1, seed: 5)
    var counts = [Int](repeating: 0, count: exact.count)
    for b in 0..<n {
      let i = s.tokens.withUnsafeBufferPointer {
        space.responseIndex(tokens: $0.baseAddress! + b * space.maxLength, length: s.lengths[b])
      }
      counts[i ?? 0] += 1
    }
    var chiSquare = 0.0
    for (i, p) in exact.enumerated() {
      let f = Double(counts[i]) / Double(n)
      let se = (p * (1 - p) / Double(n)).squareRoot()
      #expect(abs(f - p) <= 5 * se + 1e-12, "response \(i): frequency \(f), probability \(p)")
      chiSquare += (Double(counts[i]) - Double(n) * p) * (Double(counts[i]) - Double(n) * p) / (Double(n) * p)
    }
    // χ² with M − 1 degrees of freedom: mean M − 1, sd √(2(M − 1)).
    let dof = Double(exact.count - 1)
    #expect(chiSquare <= dof + 5 * (2 * dof).squareRoot())
  }

  /// The log-probabilities returned by `sample` equal the teacher-forced
  /// ones; tokens beyond each length are EOS, log-probs there 0.
  @Test func sampledLogProbabilitiesEqualTeacherForced() throws {
    for policy in [
      try SequenceFixtures.tabular(v: 3, l: 4, prompts: 3, seed: 1),
      try SequenceFixtures.neural(v: 4, l: 5, prompts: 3, seed: 2),
    ] {
      let prompts: [Int32] = (0..<200).map { Int32($0 % 3) }
      let s = try policy.sample(prompts: prompts, temperature: 0.8, seed: 9)
      let l = policy.space.maxLength
      let tf = try policy.tokenLogProbabilities(prompts: prompts, tokens: s.tokens, lengths: s.lengths)
      for i in tf.indices { #expect(abs(tf[i] - s.logProbabilities[i]) <= 1e-12) }
      let seq = try policy.sequenceLogProbabilities(prompts: prompts, tokens: s.tokens, lengths: s.lengths)
      for b in prompts.indices {
        let n = Int(s.lengths[b])
        #expect(abs(seq[b] - s.logProbabilities[(b * l)..<(b * l + n)].reduce(0, +)) <= 1e-12)
        for t in n..<l {
          #expect(s.tokens[b * l + t] == policy.space.endToken)
          #expect(s.logProbabilities[b * l + t] == 0)
        }
      }
    }
  }

  /// Row b uses lane (firstLane + b): two halves sampled apart give the
  /// same responses as the whole batch.
  @Test func splitBatchGivesIdenticalResponses() throws {
    let policy = try SequenceFixtures.neural(v: 3, l: 6, prompts: 4, seed: 7)
    let prompts: [Int32] = (0..<40).map { Int32(($0 * 7) % 4) }
    let whole = try policy.sample(prompts: prompts, temperature: 1.3, seed: 11)
    let a = try policy.sample(prompts: Array(prompts[0..<15]), temperature: 1.3, seed: 11)
    let b = try policy.sample(prompts: Array(prompts[15...]), temperature: 1.3, seed: 11, firstLane: 15)
    #expect(a.tokens + b.tokens == whole.tokens)
    #expect(a.lengths + b.lengths == whole.lengths)
    #expect(a.logProbabilities + b.logProbabilities == whole.logProbabilities)
    let again = try policy.sample(prompts: prompts, temperature: 1.3, seed: 11)
    #expect(again == whole)
  }

  /// Temperature 0 is greedy: it equals a vanishing temperature, does not
  /// depend on the seed, and takes the lowest token id on ties.
  @Test func greedyEqualsVanishingTemperature() throws {
    let policy = try SequenceFixtures.tabular(v: 3, l: 4, prompts: 2, seed: 31)
    let prompts: [Int32] = [0, 1, 0, 1]
    let greedy = try policy.sample(prompts: prompts, temperature: 0, seed: 1)
    #expect(try policy.sample(prompts: prompts, temperature: 1e-9, seed: 2).tokens == greedy.tokens)
    #expect(try policy.sample(prompts: prompts, temperature: 0, seed: 3) == greedy)
    // A uniform policy: greedy always takes token 0 (ties → lowest id), so
    // the response is L zeros, truncated.
    let uniform = SequencePolicy(model: try TabularSequenceModel(space: policy.space, promptCount: 2))
    let u = try uniform.sample(prompts: [0, 1], temperature: 0, seed: 0)
    #expect(u.tokens == Array(repeating: 0, count: 8) && u.lengths == [4, 4])
    #expect(u.logProbabilities.allSatisfy { abs($0 - _log(0.25)) < 1e-15 })
  }

  /// Over sequences drawn from π, E[Σ_t k1_t] = E[Σ_t k3_t] = E[Σ_t KL_t] =
  /// KL(π ‖ π_ref) (exact, by enumeration), each within 5 standard errors;
  /// k2, k3 and the exact per-token KL are never negative. The reference
  /// is of another model family.
  @Test func klEstimatorsAreUnbiasedForTheExactKL() throws {
    let policy = try SequenceFixtures.tabular(v: 2, l: 3, prompts: 1, seed: 41, scale: 0.7)
    let reference = try SequenceFixtures.neural(v: 2, l: 3, prompts: 1, seed: 42)
    let exact = try ExactResponses.kl(
      logP: ExactResponses.logProbabilities(policy, prompt: 0),
      logQ: ExactResponses.logProbabilities(reference, prompt: 0))
    let n = 20_000
    let prompts = [Int32](repeating: 0, count: n)
    let s = try policy.sample(prompts: prompts, temperature: 1, seed: 3)
    let e = try policy.klEstimates(reference: reference, prompts: prompts, tokens: s.tokens, lengths: s.lengths)
    let kl = try policy.tokenKL(reference: reference, prompts: prompts, tokens: s.tokens, lengths: s.lengths)
    #expect(e.k2.allSatisfy { $0 >= 0 } && e.k3.allSatisfy { $0 >= 0 } && kl.allSatisfy { $0 >= 0 })
    let l = policy.space.maxLength
    for values in [e.k1, e.k3, kl] {
      let sums = (0..<n).map { b in values[(b * l)..<(b * l + l)].reduce(0, +) }
      let mean = sums.reduce(0, +) / Double(n)
      let variance = sums.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
      let se = (variance / Double(n)).squareRoot()
      #expect(abs(mean - exact) <= 5 * se, "mean \(mean), exact \(exact), se \(se)")
    }
    // k1 = −log r, k2 = ½ (log r)², k3 = r − 1 − log r at each token.
    let lp = s.logProbabilities
    let lq = try reference.tokenLogProbabilities(prompts: prompts, tokens: s.tokens, lengths: s.lengths)
    for i in 0..<(50 * l) {
      let logR = lq[i] - lp[i]
      #expect(abs(e.k1[i] + logR) < 1e-12)
      #expect(abs(e.k2[i] - 0.5 * logR * logR) < 1e-12)
      #expect(abs(e.k3[i] - (_exp(logR) - 1 - logR)) < 1e-12)
    }
    // Against itself every KL figure is 0.
    let selfKL = try policy.tokenKL(reference: policy, prompts: prompts, tokens: s.tokens, lengths: s.lengths)
    #expect(selfKL.allSatisfy { abs($0) < 1e-15 })
  }

  /// The exact per-token KL against a hand computation, and entropies
  /// against −Σ p log p: V = 1 (tokens 0 and EOS), L = 2, one prompt.
  @Test func entropyAndKLAgainstHandComputation() throws {
    let space = try SequenceSpace(vocabularySize: 1, maxLength: 2)
    // Rows: prefix () then prefix (0); logits over (0, EOS).
    let p = SequencePolicy(model: try TabularSequenceModel(space: space, promptCount: 1, logits: [0, 0, 1, 0]))
    let q = SequencePolicy(model: try TabularSequenceModel(space: space, promptCount: 1, logits: [_log(3), 0, 0, 0]))
    let tokens: [Int32] = [0, 0]  // truncated response (0, 0)
    let h = try p.tokenEntropies(prompts: [0], tokens: tokens, lengths: [2])
    let e = 1 / (1 + _exp(-1.0))  // π(0 | (0)) = σ(1)
    #expect(abs(h[0] - _log(2)) < 1e-15)
    #expect(abs(h[1] - (-e * _log(e) - (1 - e) * _log(1 - e))) < 1e-15)
    let kl = try p.tokenKL(reference: q, prompts: [0], tokens: tokens, lengths: [2])
    // position 0: KL((½, ½) ‖ (¾, ¼)) = ½ log(2/3) + ½ log 2.
    #expect(abs(kl[0] - (0.5 * _log(2.0 / 3) + 0.5 * _log(2))) < 1e-15)
    #expect(abs(kl[1] - (e * _log(2 * e) + (1 - e) * _log(2 * (1 - e)))) < 1e-15)
  }

  /// Σ_bt w_bt log π(y_bt | c_bt) at the current parameters.
  func objective(_ p: SequencePolicy, _ prompts: [Int32], _ s: SequenceSample, _ w: [Double]) throws -> Double {
    let lp = try p.tokenLogProbabilities(prompts: prompts, tokens: s.tokens, lengths: s.lengths)
    return zip(lp, w).map(*).reduce(0, +)
  }

  /// Both score gradients equal central finite differences (tabular and
  /// float64 neural); weights beyond a length are ignored.
  @Test(arguments: [0, 1])
  func scoreGradientsMatchFiniteDifferences(kind: Int) throws {
    let policy =
      kind == 0
      ? try SequenceFixtures.tabular(v: 2, l: 3, prompts: 2, seed: 51)
      : try SequenceFixtures.neural(v: 2, l: 3, prompts: 2, hidden: [4], seed: 52)
    let prompts: [Int32] = [0, 1, 1, 0, 1]
    let s = try policy.sample(prompts: prompts, temperature: 1, seed: 4)
    let l = policy.space.maxLength
    var g = PCG64(seed: 53)
    let w = (0..<(prompts.count * l)).map { _ in g.standardNormal() }
    var wMasked = w
    for b in prompts.indices { for t in Int(s.lengths[b])..<l { wMasked[b * l + t] = 0 } }
    let seqW = prompts.map { _ in g.standardNormal() }
    let seqWTokens = (0..<(prompts.count * l)).map { i in Int(s.lengths[i / l]) > i % l ? seqW[i / l] : 0 }
    let grad = try policy.scoreGradient(prompts: prompts, tokens: s.tokens, lengths: s.lengths, tokenWeights: w)
    let seqGrad = try policy.scoreGradient(
      prompts: prompts, tokens: s.tokens, lengths: s.lengths, sequenceWeights: seqW)
    let set = { (p: [Double]) throws in try policy.setParameters(p) }
    let numeric = try centralDifferences(policy.parameters, set: set) {
      (try? objective(policy, prompts, s, wMasked)) ?? .nan
    }
    let seqNumeric = try centralDifferences(policy.parameters, set: set) {
      (try? objective(policy, prompts, s, seqWTokens)) ?? .nan
    }
    for k in numeric.indices {
      #expect(abs(numeric[k] - grad[k]) <= 1e-6 * Swift.max(1, abs(numeric[k])), "parameter \(k)")
      #expect(abs(seqNumeric[k] - seqGrad[k]) <= 1e-6 * Swift.max(1, abs(seqNumeric[k])), "parameter \(k)")
    }
  }

  /// Teacher-forced passes in chunks of 7 contexts (several chunks, the
  /// last partial) give the figures and the gradient of one pass.
  @Test func chunkedTeacherForcingEqualsOnePass() throws {
    for policy in try SequenceFixtures.bothKinds(v: 3, l: 4, prompts: 2, seed: 91) {
      let prompts: [Int32] = (0..<9).map { Int32($0 % 2) }
      let s = try policy.sample(prompts: prompts, temperature: 1, seed: 93)
      let reference = try SequenceFixtures.tabular(v: 3, l: 4, prompts: 2, seed: 94)
      var g = PCG64(seed: 95)
      let w = (0..<(9 * 4)).map { _ in g.standardNormal() }
      func figures() throws -> [[Double]] {
        [
          try policy.tokenLogProbabilities(prompts: prompts, tokens: s.tokens, lengths: s.lengths),
          try policy.tokenEntropies(prompts: prompts, tokens: s.tokens, lengths: s.lengths),
          try policy.tokenKL(reference: reference, prompts: prompts, tokens: s.tokens, lengths: s.lengths),
          try policy.scoreGradient(prompts: prompts, tokens: s.tokens, lengths: s.lengths, tokenWeights: w),
        ]
      }
      let whole = try figures()
      #expect(s.lengths.reduce(0, +) > 14)
      policy.contextChunkSize = 7
      let chunked = try figures()
      for (a, b) in zip(whole, chunked) {
        for (x, y) in zip(a, b) { #expect(abs(x - y) <= 1e-12 * Swift.max(1, abs(x))) }
      }
    }
  }

  /// A frozen copy keeps its parameters when the live policy changes, and
  /// the other way round.
  @Test func frozenCopySharesNothing() throws {
    for policy in try SequenceFixtures.bothKinds(v: 2, l: 2, prompts: 1, seed: 61) {
      let frozen = try policy.frozenCopy()
      #expect(frozen.parameters == policy.parameters && frozen.specification == policy.specification)
      let before = try ExactResponses.logProbabilities(frozen, prompt: 0)
      try policy.setParameters(policy.parameters.enumerated().map { $1 + 0.3 * Double($0 % 3) })  // not a shift of a row
      #expect(try ExactResponses.logProbabilities(frozen, prompt: 0) == before)
      #expect(try ExactResponses.logProbabilities(policy, prompt: 0) != before)
      let live = policy.parameters
      try frozen.setParameters(frozen.parameters.map { _ in 0 })
      #expect(policy.parameters == live)
    }
  }

  /// Bad inputs throw before any work.
  @Test func badInputsThrow() throws {
    let policy = try SequenceFixtures.tabular(v: 2, l: 3, prompts: 2, seed: 71)
    let ok: [Int32] = [0, 1, 2, 1, 1, 1]
    func throwsCode(_ code: StatusCode, _ body: () throws -> Void) {
      do {
        try body()
        Issue.record("expected \(code)")
      } catch {
        #expect((error as? SwiftPGError)?.code == code, "\(error)")
      }
    }
    _ = try policy.tokenLogProbabilities(prompts: [0, 1], tokens: ok, lengths: [3, 3])
    throwsCode(.invalidArgument) { _ = try policy.tokenLogProbabilities(prompts: [0, 1], tokens: [0, 3, 2, 1, 1, 1], lengths: [3, 3]) }
    throwsCode(.invalidArgument) { _ = try policy.tokenLogProbabilities(prompts: [0, 1], tokens: [0, -1, 2, 1, 1, 1], lengths: [3, 3]) }
    throwsCode(.invalidArgument) { _ = try policy.tokenLogProbabilities(prompts: [0, 1], tokens: ok, lengths: [0, 3]) }
    throwsCode(.invalidArgument) { _ = try policy.tokenLogProbabilities(prompts: [0, 1], tokens: ok, lengths: [3, 4]) }
    throwsCode(.invalidArgument) { _ = try policy.tokenLogProbabilities(prompts: [0, 1], tokens: ok, lengths: [2, 3]) }  // no EOS at 1
    throwsCode(.invalidArgument) { _ = try policy.tokenLogProbabilities(prompts: [0, 1], tokens: ok, lengths: [3]) }
    throwsCode(.invalidArgument) { _ = try policy.tokenLogProbabilities(prompts: [0, 1], tokens: [0, 1], lengths: [3, 3]) }
    throwsCode(.outOfRange) { _ = try policy.tokenLogProbabilities(prompts: [0, 2], tokens: ok, lengths: [3, 3]) }
    throwsCode(.outOfRange) { _ = try policy.sample(prompts: [-1], temperature: 1, seed: 0) }
    for t in [-1.0, .nan, .infinity] {
      throwsCode(.invalidArgument) { _ = try policy.sample(prompts: [0], temperature: t, seed: 0) }
    }
    throwsCode(.invalidArgument) { _ = try policy.sample(prompts: [0], temperature: 1, seed: 0, firstLane: -1) }
    throwsCode(.invalidArgument) { _ = try policy.sample(prompts: [], temperature: .nan, seed: 0) }
    // The pointer form writes nothing when it throws.
    var y = [Int32](repeating: -7, count: 3)
    var n: [Int32] = [-7]
    throwsCode(.outOfRange) {
      try [Int32(5)].withUnsafeBufferPointer { x in
        try policy.sample(
          prompts: x.baseAddress!, count: 1, temperature: 1, seed: 0, tokens: &y, lengths: &n, logProbabilities: nil)
      }
    }
    #expect(y == [-7, -7, -7] && n == [-7])
    let otherSpace = try SequenceFixtures.tabular(v: 2, l: 2, prompts: 2, seed: 72)
    let otherPrompts = try SequenceFixtures.neural(v: 2, l: 3, prompts: 3, seed: 73)
    for r in [otherSpace, otherPrompts] {
      throwsCode(.invalidArgument) { _ = try policy.tokenKL(reference: r, prompts: [0, 1], tokens: ok, lengths: [3, 3]) }
      throwsCode(.invalidArgument) { _ = try policy.klEstimates(reference: r, prompts: [0, 1], tokens: ok, lengths: [3, 3]) }
    }
    throwsCode(.invalidArgument) {
      _ = try policy.scoreGradient(prompts: [0, 1], tokens: ok, lengths: [3, 3], tokenWeights: [1, 1, 1])
    }
    throwsCode(.notFinite) {
      _ = try policy.scoreGradient(prompts: [0, 1], tokens: ok, lengths: [3, 3], tokenWeights: [1, 1, 1, 1, .nan, 1])
    }
    // A NaN beyond a length is ignored.
    _ = try policy.scoreGradient(prompts: [0, 1], tokens: [0, 2, 2, 1, 1, 1], lengths: [2, 3], tokenWeights: [1, 1, .nan, 1, 1, 1])
    throwsCode(.invalidArgument) {
      _ = try policy.scoreGradient(prompts: [0, 1], tokens: ok, lengths: [3, 3], sequenceWeights: [1])
    }
    throwsCode(.invalidArgument) { try policy.setParameters([1, 2]) }
    throwsCode(.notFinite) { try policy.setParameters(policy.parameters.map { _ in .infinity }) }
    // An empty batch is fine.
    #expect(try policy.sample(prompts: [], temperature: 1, seed: 0).tokens.isEmpty)
    #expect(try policy.tokenEntropies(prompts: [], tokens: [], lengths: []).isEmpty)
  }

  /// Overflowing parameters: sampling raises `.numerical` and writes
  /// nothing to the caller's buffers (never a draw from a NaN distribution).
  @Test func samplingWithOverflowingLogitsFailsCleanly() throws {
    let space = try SequenceSpace(vocabularySize: 2, maxLength: 3)
    let model = try NeuralSequenceModel(
      space: space, promptFeatures: [], promptCount: 1, featureSize: 0, contextSize: 1, hidden: [])
    let policy = SequencePolicy(model: model)
    try policy.setParameters(Array(repeating: 1e308, count: policy.parameterCount))
    var tokens = [Int32](repeating: -7, count: 6), lengths = [Int32](repeating: -7, count: 2)
    var lp = [Double](repeating: -7, count: 6)
    let prompts: [Int32] = [0, 0]
    do {
      try prompts.withUnsafeBufferPointer { p in
        try tokens.withUnsafeMutableBufferPointer { t in
          try lengths.withUnsafeMutableBufferPointer { n in
            try lp.withUnsafeMutableBufferPointer { o in
              try policy.sample(
                prompts: p.baseAddress!, count: 2, temperature: 1, seed: 0, tokens: t.baseAddress!,
                lengths: n.baseAddress!, logProbabilities: o.baseAddress)
            }
          }
        }
      }
      Issue.record("sampling from overflowing logits succeeded")
    } catch {
      #expect((error as? SwiftPGError)?.code == .numerical)
    }
    #expect(tokens.allSatisfy { $0 == -7 } && lengths.allSatisfy { $0 == -7 } && lp.allSatisfy { $0 == -7 })
  }

  /// `nextTokenLogProbabilities` (validated) at position t of a response
  /// equals the distribution whose entry y_t is the teacher-forced
  /// log π(y_t | x, y_<t); each row is normalised; tokens at and after the
  /// position are ignored; bad prompts, positions and prefix tokens throw.
  @Test func nextTokenDistributionsMatchTeacherForcing() throws {
    for policy in try SequenceFixtures.bothKinds(v: 3, l: 4, prompts: 2, seed: 31) {
      let s = try policy.sample(prompts: (0..<20).map { Int32($0 % 2) }, temperature: 1, seed: 4)
      let tf = try policy.tokenLogProbabilities(prompts: (0..<20).map { Int32($0 % 2) }, tokens: s.tokens, lengths: s.lengths)
      var prompts: [Int32] = [], rows: [Int32] = [], positions: [Int32] = [], cells: [Int] = []
      for b in 0..<20 {
        for t in 0..<Int(s.lengths[b]) {
          prompts.append(Int32(b % 2))
          var row = Array(s.tokens[(b * 4)..<(b * 4 + 4)])
          for j in t..<4 { row[j] = j == t ? 7 : -1 }  // ignored: at and after the position
          rows += row
          positions.append(Int32(t))
          cells.append(b * 4 + t)
        }
      }
      let lp = try policy.nextTokenLogProbabilities(prompts: prompts, tokens: rows, positions: positions)
      #expect(lp.count == positions.count * 4)
      for (i, cell) in cells.enumerated() {
        let row = lp[(i * 4)..<(i * 4 + 4)]
        #expect(abs(row.map { _exp($0) }.reduce(0, +) - 1) < 1e-12)
        #expect(abs(row[i * 4 + Int(s.tokens[cell])] - tf[cell]) <= 1e-12)
      }
      #expect(try policy.nextTokenLogProbabilities(prompts: [], tokens: [], positions: []).isEmpty)
      func code(_ x: [Int32], _ y: [Int32], _ t: [Int32]) -> StatusCode? {
        do {
          _ = try policy.nextTokenLogProbabilities(prompts: x, tokens: y, positions: t)
          return nil
        } catch { return error.code }
      }
      #expect(code([2], [0, 0, 0, 0], [1]) == .outOfRange)
      #expect(code([0], [0, 0, 0, 0], [4]) == .outOfRange)
      #expect(code([0], [0, 0, 0, 0], [-1]) == .outOfRange)
      #expect(code([0], [0, 3, 0, 0], [2]) == .invalidArgument)  // EOS inside the prefix
      #expect(code([0], [0, 3, 0, 0], [1]) == nil)
      #expect(code([0], [0, 0, 0], [1]) == .invalidArgument)
      #expect(code([0, 1], [0, 0, 0, 0, 0, 0, 0, 0], [1]) == .invalidArgument)
    }
  }

}

