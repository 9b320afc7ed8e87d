import Testing

@testable import SwiftPG

@Suite struct DPOTests {
  /// A K-armed bandit as sequences: L = 1, so the K = V + 1 single tokens
  /// (EOS included) are the responses.
  static func bandit(logits: [Double]) throws -> SequencePolicy {
    let space = try SequenceSpace(vocabularySize: logits.count - 1, maxLength: 1)
    return SequencePolicy(model: try TabularSequenceModel(space: space, promptCount: 1, logits: logits))
  }

  /// π(arm) in token order (the canonical response order puts the empty
  /// response, EOS, first: index 0 is EOS, index t + 1 is token t).
  static func probabilities(_ p: SequencePolicy) throws -> [Double] {
    let canonical = try ExactResponses.logProbabilities(p, prompt: 0).map { _exp($0) }
    return Array(canonical.dropFirst()) + [canonical[0]]
  }

  /// Pairs (i ≻ j) for every ordered i ≠ j, weighted by μ_i μ_j P(i ≻ j)
  /// with the Bradley–Terry probability σ(r_i − r_j): the population data.
  static func populationPairs(space: SequenceSpace, mu: [Double], rewards: [Double]) throws -> PreferencePairs {
    var chosen: [Int32] = [], rejected: [Int32] = [], weights: [Double] = []
    for i in mu.indices {
      for j in mu.indices where i != j {
        chosen.append(Int32(i))
        rejected.append(Int32(j))
        weights.append(mu[i] * mu[j] * Labeller.preferenceProbability(rewards[i], rewards[j], scale: 1))
      }
    }
    let ones = [Int32](repeating: 1, count: chosen.count)
    return try PreferencePairs(
      space: space, promptCount: 1, prompts: [Int32](repeating: 0, count: chosen.count), chosenTokens: chosen,
      chosenLengths: ones, rejectedTokens: rejected, rejectedLengths: ones, weights: weights)
  }

  /// Rafailov et al. 2023, §4: with exact Bradley–Terry preferences the
  /// minimiser of the DPO loss is π* ∝ π_ref exp(r*/β). Full-batch DPO on
  /// the population pairs reaches it.
  @Test(arguments: [0.5, 2.0])
  func populationOptimumIsTheKLRegularisedPolicy(beta: Double) throws {
    let refLogits = [0.5, -0.3, 1.0, 0.0]
    let rewards = [1.0, 0.2, -0.5, 0.7]
    let reference = try Self.bandit(logits: refLogits)
    let policy = try reference.frozenCopy()
    let pairs = try Self.populationPairs(space: reference.space, mu: [0.25, 0.25, 0.25, 0.25], rewards: rewards)
    var config = DPO.Config()
    config.beta = beta
    config.epochs = 3000
    config.minibatchSize = pairs.count
    config.learningRate = 0.02
    _ = try DPO(policy: policy, reference: reference, config: config).fit(pairs)
    let pRef = try Self.probabilities(reference)
    let unnormalised = pRef.indices.map { pRef[$0] * _exp(rewards[$0] / beta) }
    let total = unnormalised.reduce(0, +)
    let p = try Self.probabilities(policy)
    for i in p.indices { #expect(abs(p[i] - unnormalised[i] / total) < 1e-4, "arm \(i): \(p[i])") }
  }

  /// Azar et al. 2023, §4.2: on deterministic preferences (0 ≻ 1 always)
  /// DPO drives the rejected response's probability to 0 whatever β is,
  /// while IPO stops at the log-ratio gap h = 1/(2τ).
  @Test func deterministicPreferencesDPODivergesIPODoesNot() throws {
    let reference = try Self.bandit(logits: [0, 0, 0])
    let pairs = try PreferencePairs(
      space: reference.space, promptCount: 1, prompts: [0], chosenTokens: [0], chosenLengths: [1],
      rejectedTokens: [1], rejectedLengths: [1])
    for beta in [0.1, 1.0] {
      let policy = try reference.frozenCopy()
      var config = DPO.Config()
      config.beta = beta
      config.epochs = 1000
      config.learningRate = 0.05
      let dpo = try DPO(policy: policy, reference: reference, config: config)
      _ = try dpo.fit(pairs)
      let margin1 = try dpo.evaluate(pairs).rewardMargin
      let rejected1 = try Self.probabilities(policy)[1]
      _ = try dpo.fit(pairs)
      let margin2 = try dpo.evaluate(pairs).rewardMargin
      let rejected2 = try Self.probabilities(policy)[1]
      // The margin β·h keeps growing and π(y_l) keeps falling, already far
      // below the reference's ⅓ for both β: no finite optimum.
      #expect(margin2 > margin1 + 1, "β = \(beta): the DPO margin keeps growing (\(margin1) → \(margin2))")
      #expect(rejected2 < rejected1 / 2 && rejected2 < 0.01, "β = \(beta): π(rejected) \(rejected1) → \(rejected2)")
    }
    for tau in [0.1, 1.0] {
      let policy = try reference.frozenCopy()
      var config = DPO.Config()
      config.loss = .ipo
      config.beta = tau
      config.epochs = 2000
      config.learningRate = 0.05
      let ipo = try DPO(policy: policy, reference: reference, config: config)
      _ = try ipo.fit(pairs)
      let p = try Self.probabilities(policy)
      let h = _log(p[0] / (1.0 / 3)) - _log(p[1] / (1.0 / 3))
      #expect(abs(h - 1 / (2 * tau)) < 1e-3, "τ = \(tau): h = \(h)")
      #expect(p[1] > 1e-3)
    }
  }

  /// The trainer's gradient (loss derivatives through per-sequence score
  /// gradients) equals central finite differences of its loss, neural
  /// policy in float64, DPO with label smoothing and IPO, weighted pairs.
  @Test(arguments: [DPO.Loss.dpo, .ipo])
  func gradientMatchesFiniteDifferences(loss: DPO.Loss) throws {
    let reference = try SequenceFixtures.neural(v: 2, l: 3, prompts: 2, seed: 3)
    let policy = try SequenceFixtures.neural(v: 2, l: 3, prompts: 2, seed: 4)
    let a = try reference.sample(prompts: [0, 1, 1, 0, 1], temperature: 1, seed: 1)
    let b = try reference.sample(prompts: [0, 1, 1, 0, 1], temperature: 1, seed: 2)
    let pairs = try PreferencePairs(
      space: policy.space, promptCount: 2, prompts: [0, 1, 1, 0, 1], chosenTokens: a.tokens, chosenLengths: a.lengths,
      rejectedTokens: b.tokens, rejectedLengths: b.lengths, weights: [1, 0.5, 2, 0, 1])
    var config = DPO.Config()
    config.loss = loss
    config.beta = 0.7
    config.labelSmoothing = loss == .dpo ? 0.1 : 0
    let dpo = try DPO(policy: policy, reference: reference, config: config)
    let ref = try reference.sequenceLogProbabilities(
      prompts: pairs.stacked(ArraySlice(0..<5)).prompts, tokens: pairs.stacked(ArraySlice(0..<5)).tokens,
      lengths: pairs.stacked(ArraySlice(0..<5)).lengths)
    let (_, gradient) = try dpo.lossAndGradient(pairs, rows: ArraySlice(0..<5), ref: ref)
    let numeric = try centralDifferences(policy.parameters, set: { try policy.setParameters($0) }) {
      (try? dpo.evaluate(pairs).loss) ?? .nan
    }
    for k in numeric.indices {
      #expect(abs(numeric[k] - gradient[k]) < 1e-6 * Swift.max(1, abs(numeric[k])), "parameter \(k)")
    }
  }

  @Test func badInputIsRefusedAndNothingChanges() throws {
    let reference = try Self.bandit(logits: [0, 0, 0])
    let policy = try reference.frozenCopy()
    #expect(throws: SwiftPGError.self) { try DPO(policy: policy, reference: policy) }
    for change in [{ (c: inout DPO.Config) in c.beta = 0 }, { $0.beta = -1 }, { $0.beta = .nan },
      { $0.labelSmoothing = 0.5 }, { $0.loss = .ipo; $0.labelSmoothing = 0.1 }, { $0.epochs = 0 }]
    {
      var c = DPO.Config()
      change(&c)
      #expect(throws: SwiftPGError.self) { try DPO(policy: policy, reference: reference, config: c) }
    }
    let space = reference.space
    #expect(throws: SwiftPGError.self) {  // empty comparison set
      try PreferencePairs(space: space, promptCount: 1, prompts: [], chosenTokens: [], chosenLengths: [],
        rejectedTokens: [], rejectedLengths: [])
    }
    #expect(throws: SwiftPGError.self) {  // token out of range
      try PreferencePairs(space: space, promptCount: 1, prompts: [0], chosenTokens: [3], chosenLengths: [1],
        rejectedTokens: [0], rejectedLengths: [1])
    }
    #expect(throws: SwiftPGError.self) {  // negative weight
      try PreferencePairs(space: space, promptCount: 1, prompts: [0], chosenTokens: [1], chosenLengths: [1],
        rejectedTokens: [0], rejectedLengths: [1], weights: [-1])
    }
    let other = try Self.bandit(logits: [0, 0, 0, 0])
    let foreign = try PreferencePairs(
      space: other.space, promptCount: 1, prompts: [0], chosenTokens: [3], chosenLengths: [1], rejectedTokens: [0],
      rejectedLengths: [1])
    let dpo = try DPO(policy: policy, reference: reference)
    let before = policy.parameters
    #expect(throws: SwiftPGError.self) { try dpo.fit(foreign) }
    #expect(policy.parameters == before)
  }

  /// A cancelled fit and a fit that overflows mid-way change nothing: the
  /// policy, the optimiser and the shuffle stream are as before the call,
  /// so the next fit is bit-identical to one on a fresh trainer.
  @Test func failedFitsAreAllOrNothing() throws {
    let reference = try Self.bandit(logits: [0.3, -0.2, 0.1])
    let space = reference.space
    let pairs = try PreferencePairs(
      space: space, promptCount: 1, prompts: [0, 0, 0, 0], chosenTokens: [0, 1, 0, 2], chosenLengths: [1, 1, 1, 1],
      rejectedTokens: [2, 0, 1, 1], rejectedLengths: [1, 1, 1, 1])
    var c = DPO.Config()
    c.minibatchSize = 1
    c.epochs = 3
    let fresh = try DPO(policy: try reference.frozenCopy(), reference: reference, config: c)
    let expected = try fresh.fit(pairs)
    let policy = try reference.frozenCopy()
    let dpo = try DPO(policy: policy, reference: reference, config: c)
    let flag = CancellationFlag()
    dpo.cancellation = flag
    flag.request()
    let cancelled = #expect(throws: SwiftPGError.self) { try dpo.fit(pairs) }
    #expect(cancelled?.code == .cancelled)
    #expect(!flag.isRequested && policy.parameters == reference.parameters && dpo.optimizer.t == 0)
    #expect(try dpo.fit(pairs) == expected && policy.parameters == fresh.policy.parameters)
  }

  /// Pair weights of any finite size: only ratios matter (stored scaled by
  /// a power of two), so 1e308-sized weights train exactly as weights 1.
  @Test func hugeAndTinyWeightsTrainAsTheirRatios() throws {
    let reference = try Self.bandit(logits: [0.3, -0.2, 0.1])
    func run(_ w: Double) throws -> ([PreferenceLosses.DirectResult], [Double]) {
      let pairs = try PreferencePairs(
        space: reference.space, promptCount: 1, prompts: [0, 0], chosenTokens: [0, 1], chosenLengths: [1, 1],
        rejectedTokens: [2, 0], rejectedLengths: [1, 1], weights: [w, w / 2])
      let dpo = try DPO(policy: try reference.frozenCopy(), reference: reference)
      return (try dpo.fit(pairs), dpo.policy.parameters)
    }
    let one = try run(1)
    for w in [1.7e308, 0x1p-1070, 3.0] {
      let (h, p) = try run(w)
      // The parameters are bit-identical; the statistics are weighted means (rounding of other mantissas).
      #expect(p == one.1, "weights \(w)")
      for (a, b) in zip(h, one.0) {
        #expect(abs(a.loss - b.loss) <= 1e-15 * abs(b.loss) && abs(a.rewardMargin - b.rewardMargin) <= 1e-15)
      }
    }
  }
}
