import Testing

@testable import SwiftPG

@Suite struct ExactResponsesTests {
  static let shapes: [(v: Int, l: Int)] = [(1, 1), (1, 4), (2, 1), (2, 3), (3, 3), (4, 2)]

  /// The exact distribution sums to 1 and equals the teacher-forced
  /// log π(y | x) of every response, tabular and neural.
  @Test(arguments: 0..<shapes.count)
  func probabilitiesSumToOneAndMatchTeacherForcing(shape: Int) throws {
    let (v, l) = Self.shapes[shape]
    for policy in [
      try SequenceFixtures.tabular(v: v, l: l, prompts: 2, seed: UInt128(shape)),
      try SequenceFixtures.neural(v: v, l: l, prompts: 2, seed: UInt64(shape) + 10),
    ] {
      for prompt in 0..<2 {
        let lp = try ExactResponses.logProbabilities(policy, prompt: prompt)
        let m = policy.space.responseCount ?? 0
        #expect(lp.count == m)
        #expect(abs(lp.map { _exp($0) }.reduce(0, +) - 1) < 1e-12)
        let r = try ExactResponses.responses(policy.space, range: 0..<m)
        let seq = try policy.sequenceLogProbabilities(
          prompts: Array(repeating: Int32(prompt), count: m), tokens: r.tokens, lengths: r.lengths)
        for i in 0..<m { #expect(abs(seq[i] - lp[i]) < 1e-12, "response \(i)") }
      }
    }
  }

  /// Given logits give the probabilities computed by hand: V = 1, L = 2,
  /// rows () = (0, log 3) and (0) = (log 2, 0) over (token 0, EOS).
  /// Responses: () → π(EOS) = ¾; (0) → ¼ · ⅓ = 1/12; (0, 0) truncated → ¼ · ⅔ = 1/6.
  @Test func givenLogitsReproduceKnownProbabilities() throws {
    let space = try SequenceSpace(vocabularySize: 1, maxLength: 2)
    let model = try TabularSequenceModel(space: space, promptCount: 1, logits: [0, _log(3), _log(2), 0])
    let lp = try ExactResponses.logProbabilities(SequencePolicy(model: model), prompt: 0)
    let expected = [0.75, 1.0 / 12, 1.0 / 6]
    for i in 0..<3 { #expect(abs(_exp(lp[i]) - expected[i]) < 1e-15) }
  }

  /// A level wider than one chunk (V = 2, L = 18: 2^17 prefixes at the last level).
  @Test func chunkedLevelsAgreeWithTeacherForcing() throws {
    let policy = try SequenceFixtures.neural(v: 2, l: 18, prompts: 1, context: 1, hidden: [], seed: 3)
    let lp = try ExactResponses.logProbabilities(policy, prompt: 0)
    #expect(lp.count == (1 << 19) - 1)
    #expect(abs(lp.map { _exp($0) }.reduce(0, +) - 1) < 1e-10)
    let picks = [0, 1, 70_000, 131_071, 200_000, (1 << 19) - 2]
    var tokens: [Int32] = []
    var lengths: [Int32] = []
    for i in picks {
      let r = try ExactResponses.responses(policy.space, range: i..<(i + 1))
      tokens += r.tokens
      lengths += r.lengths
    }
    let seq = try policy.sequenceLogProbabilities(
      prompts: Array(repeating: 0, count: picks.count), tokens: tokens, lengths: lengths)
    for (j, i) in picks.enumerated() { #expect(abs(seq[j] - lp[i]) < 1e-10) }
  }

  @Test func tooLargeSpacesAndBadPromptsThrow() throws {
    let policy = try SequenceFixtures.neural(v: 4, l: 8, prompts: 2, seed: 1)  // 87 381 responses
    do {
      _ = try ExactResponses.logProbabilities(policy, prompt: 0, limit: 1000)
      Issue.record("expected tooLarge")
    } catch {
      #expect(error.code == .tooLarge)
    }
    #expect(throws: SwiftPGError.self) { try ExactResponses.logProbabilities(policy, prompt: 2) }
    #expect(throws: SwiftPGError.self) { try ExactResponses.logProbabilities(policy, prompt: -1) }
    #expect(throws: SwiftPGError.self) { try ExactResponses.responses(policy.space, range: 87_380..<87_382) }
  }

  @Test func responsesMatchTheSpace() throws {
    let space = try SequenceSpace(vocabularySize: 3, maxLength: 3)
    let r = try ExactResponses.responses(space, range: 5..<30)
    var row = [Int32](repeating: 0, count: 3)
    for (j, i) in (5..<30).enumerated() {
      let n = try row.withUnsafeMutableBufferPointer { (p) throws(SwiftPGError) in try space.response(i, into: p.baseAddress!) }
      #expect(Array(r.tokens[(3 * j)..<(3 * j + 3)]) == row && r.lengths[j] == n)
    }
  }

  @Test func expectationAndKL() throws {
    let logP = [0.5, 0.25, 0.25, 0].map { _log($0) }
    let logQ = [0.25, 0.25, 0.25, 0.25].map { _log($0) }
    #expect(try ExactResponses.expectation(logProbabilities: logP, values: [1, 2, 4, .infinity]) == 0.5 + 0.5 + 1)
    // KL(p ‖ q) = ½ log 2; the p = 0 term adds nothing.
    #expect(abs(try ExactResponses.kl(logP: logP, logQ: logQ) - 0.5 * _log(2)) < 1e-15)
    // KL(q ‖ p) is +∞: q puts mass where p has none.
    #expect(try ExactResponses.kl(logP: logQ, logQ: logP) == .infinity)
    #expect(try ExactResponses.kl(logP: logP, logQ: logP) == 0)
    #expect(throws: SwiftPGError.self) { try ExactResponses.kl(logP: logP, logQ: [0]) }
    #expect(throws: SwiftPGError.self) { try ExactResponses.expectation(logProbabilities: logP, values: [0]) }
    // Not one whole distribution (a subset, or unnormalised): refused, never a silent figure.
    let half = [0.1, 0.1].map { _log($0) }
    let even = [0.5, 0.5].map { _log($0) }
    #expect(throws: SwiftPGError.self) { try ExactResponses.kl(logP: half, logQ: even) }
    #expect(throws: SwiftPGError.self) { try ExactResponses.kl(logP: even, logQ: half) }
    #expect(throws: SwiftPGError.self) { try ExactResponses.expectation(logProbabilities: half, values: [1, 2]) }
    #expect(throws: SwiftPGError.self) {
      try ExactResponses.winRate(logP: [0.5, 0.6].map { _log($0) }, logQ: even, rewards: [1, 2])
    }
  }

  /// P(r(y) > r(y′)) + ½ P(tie) by brute force over all pairs.
  func bruteForceWinRate(_ p: [Double], _ q: [Double], _ r: [Double]) -> Double {
    var s = 0.0
    for i in p.indices {
      for j in q.indices { s += p[i] * q[j] * (r[i] > r[j] ? 1 : r[i] == r[j] ? 0.5 : 0) }
    }
    return s
  }

  func randomLogDistribution(_ m: Int, _ g: inout PCG64) -> [Double] {
    let w = (0..<m).map { _ in _exp(2 * g.standardNormal()) }
    let total = w.reduce(0, +)
    return w.map { _log($0 / total) }
  }

  @Test func winRatesMatchBruteForceAndAreSymmetric() throws {
    var g = PCG64(seed: 81)
    for trial in 0..<20 {
      let m = 1 + trial * 3
      let logP = randomLogDistribution(m, &g)
      let logQ = randomLogDistribution(m, &g)
      // Rewards with many exact ties (integers 0…3), and one trial with all distinct.
      let rewards = (0..<m).map { _ in trial == 0 ? g.standardNormal() : Double(g.next() % 4) }
      let w = try ExactResponses.winRate(logP: logP, logQ: logQ, rewards: rewards)
      let brute = bruteForceWinRate(logP.map { _exp($0) }, logQ.map { _exp($0) }, rewards)
      #expect(abs(w - brute) < 1e-12)
      #expect(try ExactResponses.winRate(logP: logP, logQ: logP, rewards: rewards) == 0.5)
      let back = try ExactResponses.winRate(logP: logQ, logQ: logP, rewards: rewards)
      #expect(abs(w + back - 1) < 1e-15)
    }
    // Deterministic: p on the best response, q on the worst.
    let p = [-Double.infinity, 0]
    let q = [0, -Double.infinity]
    #expect(try ExactResponses.winRate(logP: p, logQ: q, rewards: [0, 1]) == 1)
    #expect(try ExactResponses.winRate(logP: q, logQ: p, rewards: [0, 1]) == 0)
    #expect(try ExactResponses.winRate(logP: p, logQ: q, rewards: [1, 1]) == 0.5)
    #expect(throws: SwiftPGError.self) { try ExactResponses.winRate(logP: p, logQ: q, rewards: [0, .nan]) }
    #expect(throws: SwiftPGError.self) { try ExactResponses.winRate(logP: p, logQ: q, rewards: [0]) }
  }

  @Test func promptAveragedWinRate() throws {
    var g = PCG64(seed: 82)
    let logP = (0..<3).map { _ in randomLogDistribution(5, &g) }
    let logQ = (0..<3).map { _ in randomLogDistribution(5, &g) }
    let rewards = (0..<3).map { _ in (0..<5).map { _ in Double(g.next() % 3) } }
    let w = [0.2, 0.5, 0.3]
    var expected = 0.0
    for x in 0..<3 { expected += w[x] * (try ExactResponses.winRate(logP: logP[x], logQ: logQ[x], rewards: rewards[x])) }
    let avg = try ExactResponses.winRate(promptProbabilities: w, logP: logP, logQ: logQ, rewards: rewards)
    #expect(abs(avg - expected) < 1e-15)
    #expect(throws: SwiftPGError.self) {
      try ExactResponses.winRate(promptProbabilities: [0.5, 0.6, -0.1], logP: logP, logQ: logQ, rewards: rewards)
    }
    #expect(throws: SwiftPGError.self) {
      try ExactResponses.winRate(promptProbabilities: [0.5, 0.5], logP: logP, logQ: logQ, rewards: rewards)
    }
  }
}
