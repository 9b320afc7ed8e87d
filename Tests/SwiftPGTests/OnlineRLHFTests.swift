import Testing

@testable import SwiftPG

/// The online RLHF learners' shared blocks (`OnlineRLHF.swift`), REINFORCE
/// and RLOO: gradient estimators against the exact gradient of the
/// KL-regularised objective, convergence to π* ∝ π_ref exp(r/β), and the
/// all-or-nothing iteration.
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

  @Test func reinforceAndRLOOEstimateTheExactGradient() throws {
    let task = try Self.task()
    let (policy, reference) = try Self.policies(seed: 1)
    try policy.setParameters(policy.parameters.map { $0 * 1.5 + 0.1 })  // away from the reference
    let gold = SequenceRewardFunction.gold(task)
    let beta = 0.3
    let exact = try KLRegularizedObjective.gradient(
      policy: policy, reference: reference, promptProbabilities: task.promptProbabilities, reward: gold, beta: beta)
    var c = RLHFReinforce.Config()
    c.online.beta = beta
    c.baseline = .none
    let reinforce = try RLHFReinforce(policy: policy, reference: reference, task: task, reward: gold, config: c)
    Self.expectUnbiased(
      try Self.rollouts(reinforce.core, count: 400, prompts: 8, k: 1).map { try reinforce.gradientEstimate($0) },
      exact: exact)
    // The KL part alone (a zero reward): the estimator's β·k1 term against −β∇KL, with the
    // exact gradient far outside the standard errors (so dropping the term would fail).
    let zero = SequenceRewardFunction(name: "zero") { (x, _, _) throws(SwiftPGError) in Array(repeating: 0, count: x.count) }
    let klOnly = try RLHFReinforce(policy: policy, reference: reference, task: task, reward: zero, config: c)
    let klExact = try KLRegularizedObjective.gradient(
      policy: policy, reference: reference, promptProbabilities: task.promptProbabilities, reward: zero, beta: beta)
    let klEstimates = try Self.rollouts(klOnly.core, count: 400, prompts: 8, k: 1).map { try klOnly.gradientEstimate($0) }
    Self.expectUnbiased(klEstimates, exact: klExact)
    let largest = klExact.indices.max { abs(klExact[$0]) < abs(klExact[$1]) } ?? 0
    let xs = klEstimates.map { $0[largest] }
    let mean = xs.reduce(0, +) / 400
    let se = (xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 399 / 400).squareRoot()
    #expect(abs(klExact[largest]) > 10 * se, "the KL gradient \(klExact[largest]) is within 10 SE (\(se)) of 0")
    var rc = RLOO.Config()
    rc.online.beta = beta
    let rloo = try RLOO(policy: policy, reference: reference, task: task, reward: gold, config: rc)
    Self.expectUnbiased(
      try Self.rollouts(rloo.core, count: 400, prompts: 2, k: 4).map { try rloo.gradientEstimate($0) }, exact: exact)
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

  @Test func reinforceAndRLOOConvergeToTheRegularisedOptimum() throws {
    var c = RLHFReinforce.Config()
    c.online.promptsPerIteration = 64
    let reinforce = try Self.converge(RLHFReinforce.self, c)
    #expect(reinforce.start > 0.1 && reinforce.tv < 0.02, "REINFORCE: TV \(reinforce.start) → \(reinforce.tv)")
    var rc = RLOO.Config()
    (rc.online.samplesPerPrompt, rc.online.promptsPerIteration) = (4, 16)
    let rloo = try Self.converge(RLOO.self, rc)
    #expect(rloo.tv < 0.02, "RLOO: TV \(rloo.start) → \(rloo.tv)")
    #expect(rloo.learner.core.iteration == 1500 && rloo.learner.core.totalSamples == 1500 * 64)
  }

  @Test func badInputAndAllOrNothingIterations() throws {
    let task = try Self.task()
    let (policy, reference) = try Self.policies(seed: 3)
    let gold = SequenceRewardFunction.gold(task)
    #expect(throws: SwiftPGError.self) { try RLOO(policy: policy, reference: policy, task: task, reward: gold) }
    var one = RLOO.Config()
    one.online.samplesPerPrompt = 1
    #expect(throws: SwiftPGError.self) { try RLOO(policy: policy, reference: reference, task: task, reward: gold, config: one) }
    // A reward that is NaN for one sample: refused naming it, nothing changes.
    var calls = 0
    let poisoned = SequenceRewardFunction(name: "poisoned") { (x, y, n) throws(SwiftPGError) in
      calls += 1
      var r = try task.goldRewards(prompts: x, tokens: y, lengths: n)
      if calls == 2 { r[5] = .nan }
      return r
    }
    let learner = try RLOO(policy: policy, reference: reference, task: task, reward: poisoned)
    _ = try learner.iterate()
    let before = policy.parameters
    let e = #expect(throws: SwiftPGError.self) { try learner.iterate() }
    #expect(e?.message.contains("sample 5") == true)
    #expect(policy.parameters == before && learner.core.iteration == 1)
    learner.core.cancellation = CancellationFlag()
    learner.core.cancellation?.request()
    let cancelled = #expect(throws: SwiftPGError.self) { try learner.iterate() }
    #expect(cancelled?.code == .cancelled && policy.parameters == before)
    _ = try learner.iterate()  // the same prompts and samples as the refused iteration, now scored finitely
    #expect(learner.core.iteration == 2 && policy.parameters != before)
    // A failure after a step was taken (a cancellation arriving during the second iteration's
    // scoring stops it after its first of two epochs): the policy and Adam are restored.
    let flag = CancellationFlag()
    var scored = 0
    let late = SequenceRewardFunction(name: "late") { (x, y, n) throws(SwiftPGError) in
      scored += 1
      if scored == 2 { flag.request() }
      return try task.goldRewards(prompts: x, tokens: y, lengths: n)
    }
    var twice = RLOO.Config()
    twice.epochs = 2
    let (p2, r2) = try Self.policies(seed: 6)
    let reused = try RLOO(policy: p2, reference: r2, task: task, reward: late, config: twice)
    reused.core.cancellation = flag
    _ = try reused.iterate()
    let (theta, adam) = (p2.parameters, reused.core.optimizer)
    let stopped = #expect(throws: SwiftPGError.self) { try reused.iterate() }
    #expect(stopped?.code == .cancelled)
    #expect(p2.parameters == theta && reused.core.optimizer.t == adam.t && reused.core.optimizer.m == adam.m)
    #expect(reused.core.iteration == 1 && adam.t == 2)
    // External data: groups must answer one prompt each.
    #expect(throws: SwiftPGError.self) {
      try RLHFRollout(
        prompts: [0, 1], tokens: [0, 2, 1, 2], lengths: [2, 2], rewards: [0, 0], groupSize: 2, policy: policy)
    }
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

  @Test func reMaxIsUnbiasedAndREBELAndReMaxConverge() throws {
    let task = try Self.task()
    let gold = SequenceRewardFunction.gold(task)
    let beta = 0.5
    let (policy, reference) = try Self.policies(seed: 5)
    var mc = ReMax.Config()
    mc.online.beta = beta
    let remax = try ReMax(policy: policy, reference: reference, task: task, reward: gold, config: mc)
    let exact = try KLRegularizedObjective.gradient(
      policy: policy, reference: reference, promptProbabilities: task.promptProbabilities, reward: gold, beta: beta)
    Self.expectUnbiased(
      try Self.rollouts(remax.core, count: 400, prompts: 8, k: 1).map { try remax.gradientEstimate($0) }, exact: exact)
    mc.online.promptsPerIteration = 64
    let m = try Self.converge(ReMax.self, mc)
    #expect(m.tv < 0.02, "ReMax: TV \(m.tv)")
    var rc = REBEL.Config()
    (rc.online.promptsPerIteration, rc.eta) = (32, 1)
    let rebel = try Self.converge(REBEL.self, rc)
    #expect(rebel.tv < 0.02, "REBEL: TV \(rebel.tv)")
  }

  /// GRPO without std scaling on a bandit (L = 1, so every response is one
  /// token): its expected update is c ∇E_π[r] − β ∇KL(π_ref ‖ π) with
  /// c = (k − 1)/k (the group mean includes the sample), whose fixed point
  /// is π_a = β π_ref,a / (β − c (r_a − r̄)), r̄ = Σ π_a r_a — not π*.
  @Test func grpoConvergesToItsOwnFixedPointNotPiStar() throws {
    let rewards: [Double] = [0.25, -1.0, 1.25, 0.0]  // canonical order: EOS, then tokens 0, 1, 2
    let task = try ArrayTask(
      vocabularySize: 3, maxLength: 1, promptProbabilities: [1], promptFeatures: [], promptFeatureCount: 0,
      goldTable: rewards)
    let space = try SequenceSpace(vocabularySize: 3, maxLength: 1)
    let refModel = try TabularSequenceModel(space: space, promptCount: 1, logits: [0.4, -0.2, 0.1, 0.3])
    let reference = SequencePolicy(model: refModel)
    let policy = try reference.frozenCopy()
    let beta = 1.0, k = 4
    var c = GRPO.Config()
    c.online.beta = beta
    c.online.samplesPerPrompt = k
    c.online.promptsPerIteration = 64
    c.online.learningRate = 0.02
    c.scaling = .none
    let grpo = try GRPO(policy: policy, reference: reference, task: task, reward: .gold(task), config: c)
    for _ in 0..<1500 { _ = try grpo.iterate() }
    // The fixed point: bisection on r̄ so that Σ π_a(r̄) = 1.
    let ref = try ExactResponses.logProbabilities(reference, prompt: 0).map { _exp($0) }
    let cc = Double(k - 1) / Double(k)
    func fixedPoint(_ rbar: Double) -> [Double] { ref.indices.map { beta * ref[$0] / (beta - cc * (rewards[$0] - rbar)) } }
    var lo = 1.25 - beta / cc + 1e-9, hi = 1.25  // every denominator β − c(r_a − r̄) > 0 on the bracket
    for _ in 0..<200 {
      let mid = (lo + hi) / 2
      if fixedPoint(mid).reduce(0, +) > 1 { lo = mid } else { hi = mid }  // Σ π falls as r̄ rises
    }
    let target = fixedPoint((lo + hi) / 2)
    let p = try ExactResponses.logProbabilities(policy, prompt: 0).map { _exp($0) }
    let star = try KLRegularizedObjective.optimum(
      referenceLogProbabilities: ref.map { _log($0) }, rewards: rewards, beta: beta
    ).map { _exp($0) }
    // The point a forward-KL term would give with the same c: π ∝ π_ref exp(c r/β).
    let forward = try KLRegularizedObjective.optimum(
      referenceLogProbabilities: ref.map { _log($0) }, rewards: rewards.map { cc * $0 }, beta: beta
    ).map { _exp($0) }
    func tv(_ a: [Double], _ b: [Double]) -> Double { 0.5 * zip(a, b).reduce(0) { $0 + abs($1.0 - $1.1) } }
    let d = tv(p, target)
    #expect(d < 0.02, "GRPO: TV to its fixed point \(d)")
    #expect(tv(p, star) > 2 * d && tv(p, forward) > 2 * d, "GRPO: π* at \(tv(p, star)), the forward-KL point at \(tv(p, forward))")
  }

  @Test func ppoWithATabularCriticConvergesToTheRegularisedOptimum() throws {
    let task = try Self.task()
    var c = RLHFPPO.Config()
    (c.online.promptsPerIteration, c.minibatchSize, c.epochs, c.valueLearningRate) = (64, 32, 2, 0.05)
    let ppo = try Self.converge(RLHFPPO.self, c, iterations: 1000)  // a tabular critic
    #expect(ppo.tv < 0.02, "PPO: TV \(ppo.tv)")
    let (policy, reference) = (ppo.learner.core.policy, ppo.learner.core.reference)
    #expect(throws: SwiftPGError.self) {  // the critic cannot be the policy's own model
      try RLHFPPO(
        policy: policy, reference: reference, critic: SequenceCritic(model: policy.model), task: task,
        reward: .gold(task))
    }
  }
  /// GRPO's scalings divide by what they name (a TRL fault kind: a "batch"
  /// scaling that silently used group statistics), and a huge log-ratio is
  /// clamped before k3 (finite objective, counted, no KL gradient).
  @Test func grpoScalingsAndClamp() throws {
    let task = try Self.task()
    let (policy, reference) = try Self.policies(seed: 12)
    // Two groups of 3 with different spreads, answering prompts 0 and 1.
    let rewards: [Double] = [0, 1, 2, 10, 20, 60]
    let responses: [Int32] = [2, 0, 0, 2, 1, 1, 2, 0, 0, 1, 1, 2]  // (V = 2, EOS = 2, L = 2)
    let lengths: [Int32] = [1, 2, 2, 1, 2, 2]
    var rollout = try RLHFRollout(
      prompts: [0, 0, 0, 1, 1, 1], tokens: responses, lengths: lengths, rewards: rewards, groupSize: 3, policy: policy)
    func std(_ xs: [Double]) -> Double {
      let m = xs.reduce(0, +) / Double(xs.count)
      return (xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count - 1)).squareRoot()
    }
    for scaling in [GRPO.Scaling.group, .batch, .none] {
      var c = GRPO.Config()
      (c.scaling, c.online.samplesPerPrompt) = (scaling, 3)
      let grpo = try GRPO(policy: policy, reference: reference, task: task, reward: .gold(task), config: c)
      let a = try grpo.advantages(rollout)
      for (g, range) in [(0, 0..<3), (1, 3..<6)] {
        let group = Array(rewards[range])
        let mean = group.reduce(0, +) / 3
        let s: Double =
          switch scaling {
          case .group: std(group) + c.epsilon
          case .batch: std(rewards) + c.epsilon
          case .none: 1
          }
        for i in range { #expect(abs(a[i] - (rewards[i] - mean) / s) <= 1e-12 * (1 + abs(a[i])), "group \(g)") }
      }
    }
    // A reference that gives the sampled tokens e^-60 of the policy's probability.
    let far = try reference.frozenCopy()
    try far.setParameters(reference.parameters.map { $0 * 200 })
    let grpo = try GRPO(policy: policy, reference: far, task: task, reward: .gold(task))
    try grpo.core.fillLogProbabilities(&rollout)
    let huge = zip(rollout.referenceLogProbabilities, rollout.oldLogProbabilities).filter { abs($0 - $1) > 20 }.count
    let (g, objective, clamped) = try grpo.gradientAndObjective(rollout)
    #expect(huge > 0 && clamped == huge && objective.isFinite && g.allFinite)
  }
}
