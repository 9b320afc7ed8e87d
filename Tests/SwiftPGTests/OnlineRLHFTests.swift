import Testing

@testable import SwiftPG

/// The online RLHF learners' shared blocks (`OnlineRLHF.swift`): the exact
/// gradient of the KL-regularised objective against central differences,
/// and rollouts of external data; and the fixtures every learner's test file
/// uses (a task, seeded policies, rollouts, unbiasedness within 5 SE,
/// convergence to π* ∝ π_ref exp(r/β)).
@Suite struct OnlineRLHFTests {
  /// V = 2, L = 2 (7 responses per prompt), 2 prompts; a fixed gold table.
  static func task() throws -> ArrayTask {
    let gold: [Double] = [0.2, 1.0, -0.5, 0.3, 0.8, -1.0, 0.1, -0.4, 0.6, 0.0, 1.2, -0.2, 0.5, 0.9]
    return try ArrayTask(
      vocabularySize: 2, maxLength: 2, promptProbabilities: [0.6, 0.4], promptFeatures: [], promptFeatureCount: 0,
      goldTable: gold)
  }

  /// A tabular policy with random logits (seeded), and its frozen copy.
  static func policies(seed: UInt64) throws -> (SequencePolicy, SequencePolicy) {
    let space = try SequenceSpace(vocabularySize: 2, maxLength: 2)
    let model = try TabularSequenceModel(space: space, promptCount: 2)
    var g = PCG64(seed: UInt128(seed))
    try model.setParameters((0..<model.parameterCount).map { _ in 0.5 * g.standardNormal() })
    let policy = SequencePolicy(model: model)
    return (policy, try policy.frozenCopy())
  }

  /// M rollouts of P prompts × k samples from the policy (no steps), filled.
  static func rollouts(_ core: OnlineCore, count m: Int, prompts p: Int, k: Int) throws -> [RLHFRollout] {
    try (0..<m).map { i in
      let drawn = try core.task.samplePrompts(count: p, seed: 7, firstRow: i * p)
      let prompts = drawn.flatMap { Array(repeating: $0, count: k) }
      let s = try core.policy.sample(prompts: prompts, temperature: 1, seed: 11, firstLane: i * p * k)
      let r = try core.reward(prompts: prompts, tokens: s.tokens, lengths: s.lengths)
      var rollout = try RLHFRollout(
        prompts: prompts, tokens: s.tokens, lengths: s.lengths, rewards: r, groupSize: k, policy: core.policy)
      try core.fillLogProbabilities(&rollout)
      return rollout
    }
  }

  /// The task, the policies of `seed` moved away from the reference
  /// (θ ← 1.5 θ + 0.1), and the exact gradient of the objective with the
  /// gold reward at `beta`.
  static func movedPolicies(seed: UInt64, beta: Double) throws
    -> (task: ArrayTask, policy: SequencePolicy, reference: SequencePolicy, exact: [Double])
  {
    let task = try Self.task()
    let (policy, reference) = try Self.policies(seed: seed)
    try policy.setParameters(policy.parameters.map { $0 * 1.5 + 0.1 })
    let exact = try KLRegularizedObjective.gradient(
      policy: policy, reference: reference, promptProbabilities: task.promptProbabilities, reward: .gold(task),
      beta: beta)
    return (task, policy, reference, exact)
  }

  /// Every coordinate of the mean estimate within 5 standard errors of the
  /// exact gradient (and the standard errors small enough to mean something).
  static func expectUnbiased(_ estimates: [[Double]], exact: [Double]) {
    let m = Double(estimates.count)
    for j in exact.indices {
      let xs = estimates.map { $0[j] }
      let mean = xs.reduce(0, +) / m
      let variance = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (m - 1)
      let se = (variance / m).squareRoot()
      #expect(abs(mean - exact[j]) <= 5 * se + 1e-12, "coordinate \(j): \(mean) vs exact \(exact[j]) (SE \(se))")
    }
  }

  /// `expectUnbiased` over `count` rollouts of P prompts × k samples and
  /// `learner`'s gradient estimate of each.
  static func expectUnbiased(
    _ learner: some OnlineLearner, prompts p: Int, k: Int, count m: Int = 400, exact: [Double]
  ) throws {
    expectUnbiased(try rollouts(learner.core, count: m, prompts: p, k: k).map { try learner.gradientEstimate($0) }, exact: exact)
  }

  /// Σ_x w_x TV(π(·|x), π*(·|x)) by enumeration.
  static func distanceToOptimum(_ policy: SequencePolicy, _ reference: SequencePolicy, _ task: ArrayTask, beta: Double)
    throws -> Double
  {
    var tv = 0.0
    for x in 0..<task.promptCount {
      let p = try ExactResponses.logProbabilities(policy, prompt: x).map { _exp($0) }
      let star = try KLRegularizedObjective.optimum(
        referenceLogProbabilities: try ExactResponses.logProbabilities(reference, prompt: x),
        rewards: try task.goldRewardTable(prompt: x), beta: beta
      ).map { _exp($0) }
      tv += task.promptProbabilities[x] * 0.5 * zip(p, star).reduce(0) { $0 + abs($1.0 - $1.1) }
    }
    return tv
  }

  /// A learner of type `L` with `config` at β = 0.5 and Adam step 0.02 on
  /// the policies of seed 2, trained on the gold reward for `iterations`:
  /// Σ_x w_x TV to π* before and after, and the learner.
  static func converge<L: OnlineLearnerBase<C> & OnlineLearner, C>(
    _: L.Type, _ config: C, iterations: Int = 1500
  ) throws -> (start: Double, tv: Double, learner: L) {
    let task = try Self.task()
    var c = config
    (c.online.beta, c.online.learningRate) = (0.5, 0.02)
    let (policy, reference) = try Self.policies(seed: 2)
    let learner = try L(policy: policy, reference: reference, task: task, reward: .gold(task), config: c)
    let start = try Self.distanceToOptimum(policy, reference, task, beta: c.online.beta)
    for _ in 0..<iterations { _ = try learner.iterate() }
    return (start, try Self.distanceToOptimum(policy, reference, task, beta: c.online.beta), learner)
  }

  @Test func exactGradientMatchesCentralDifferences() throws {
    let task = try Self.task()
    let (policy, reference) = try Self.policies(seed: 4)
    try policy.setParameters(policy.parameters.map { $0 * 2 - 0.3 })
    let gold = SequenceRewardFunction.gold(task)
    let w = task.promptProbabilities
    let g = try KLRegularizedObjective.gradient(
      policy: policy, reference: reference, promptProbabilities: w, reward: gold, beta: 0.4)
    let theta = policy.parameters
    let h = 1e-6
    for j in theta.indices {
      var plus = theta, minus = theta
      plus[j] += h
      minus[j] -= h
      try policy.setParameters(plus)
      let jp = try KLRegularizedObjective.value(
        policy: policy, reference: reference, promptProbabilities: w, reward: gold, beta: 0.4)
      try policy.setParameters(minus)
      let jm = try KLRegularizedObjective.value(
        policy: policy, reference: reference, promptProbabilities: w, reward: gold, beta: 0.4)
      #expect(abs((jp - jm) / (2 * h) - g[j]) < 1e-7, "parameter \(j)")
    }
  }

  @Test func externalRolloutsAreChecked() throws {
    let (policy, _) = try Self.policies(seed: 3)
    // Groups must answer one prompt each.
    #expect(throws: SwiftPGError.self) {
      try RLHFRollout(
        prompts: [0, 1], tokens: [0, 2, 1, 2], lengths: [2, 2], rewards: [0, 0], groupSize: 2, policy: policy)
    }
  }
}
