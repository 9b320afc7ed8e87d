/// Proximal policy optimisation (Schulman et al. 2017) with the
/// implementation details of Huang et al. (2022), each configurable.
///
/// One iteration on an N × T rollout collected by π_old:
/// 1. V(s_t) and GAE(γ, λ) advantages Â with value bootstrap (truncation
///    bootstraps from the final observation); targets R_t = Â_t + V(s_t);
/// 2. for each of `epochs` epochs, for each shuffled minibatch:
///    a. Â normalised within the minibatch (`normalizeAdvantages`);
///    b. ρ = exp(log π − log π_old); the k3 approx KL; stop all epochs
///       before stepping if it exceeds 1.5 × `targetKL`;
///    c. policy objective L^CLIP = mean min(ρÂ, clip(ρ, 1 ± ε)Â)
///       (`clippedSurrogate`; with `klPenalty`, mean ρÂ − β KL(π_old ‖ π))
///       + c_H · mean H;
///    d. value loss ½ mean (V − R)², clipped around V_old (`valueClipRange`);
///    e. global grad-norm clipping over both networks, then Adam steps
///       (`sharedNetwork`: the hidden layers take ∇value loss − ∇objective);
/// 3. KL-penalty variant: β halves when KL < target/1.5, doubles when > 1.5·target.
/// ε and the learning rate decay linearly when annealing is on.
public final class PPO: PolicyGradientLearnerBase<PPO.Config>, PolicyGradientLearner {
  @dynamicMemberLookup
  public struct Config: SegmentSettings {
    /// CleanRL's `ppo.py` defaults: lr 3e-4, Adam ε 1e-5, joint norm clip 0.5.
    public var common = CommonFields(learningRate: 3e-4, adamEpsilon: 1e-5, maxGradNorm: 0.5)
    /// T = 128 (`num_steps`), GAE λ 0.95, minibatches of 64, advantages
    /// standardised per minibatch (`valueEpochs` is not read: the critic
    /// trains in the epochs).
    public var segments = SegmentFields(stepsPerEnv: 128, gaeLambda: 0.95, minibatchSize: 64)
    /// Passes over each batch (CleanRL `update_epochs`).
    public var epochs = 10
    /// ε of the clipped surrogate.
    public var clipRange = 0.2
    /// Decay ε linearly to 0 over `totalEnvSteps`.
    public var annealClipRange = false
    /// Clip V − V_old to ±this (0: off; Huang et al. detail 9).
    public var valueClipRange = 0.0
    /// Weight c_V of the value loss.
    public var valueCoef = 0.5
    /// Stop the epochs once approx KL > 1.5 × this (0: never).
    public var targetKL = 0.0
    /// Adaptive KL penalty instead of clipping (Schulman et al. 2017 §4).
    public var klPenalty = false
    /// Initial β of the KL penalty.
    public var klBeta = 1.0
    /// d_targ of the KL penalty.
    public var klTarget = 0.01
    /// Policy and critic share their hidden layers (one network with two
    /// heads; the value loss, weighted by `valueCoef`, trains them too).
    public var sharedNetwork = false
    /// Threads of the update (1–64): 2 or more run each minibatch's policy
    /// and critic passes concurrently — the update's two independent
    /// computations, so threads beyond 2 find nothing more to do in one
    /// learner (they serve `trainTogether`). Results are identical for every
    /// count.
    public var updateThreads = 1

    public init() {}

    /// The checkpoint fields (`ConfigRecord.swift`).
    public static var recordFields: [ConfigField<Self>] {
      segmentFields + [
        .int("epochs", \Self.epochs), .bool("anneal_clip_range", \Self.annealClipRange),
        .bool("kl_penalty", \Self.klPenalty), .bool("shared_network", \Self.sharedNetwork),
        .int("update_threads", \Self.updateThreads), .double("clip_range", \Self.clipRange),
        .double("value_clip_range", \Self.valueClipRange), .double("value_coef", \Self.valueCoef),
        .double("target_kl", \Self.targetKL), .double("kl_beta", \Self.klBeta),
        .double("kl_target", \Self.klTarget),
      ]
    }

    public func validate() throws(SwiftPGError) {
      try common.validate()
      try segments.validate()
      try Check.range(epochs, 1, 10_000, "epochs")
      try Check.nonNegative(clipRange, "clip_range")
      try Check.off(valueClipRange, "value_clip_range")
      try Check.nonNegative(valueCoef, "value_coef")
      try Check.off(targetKL, "target_kl")
      try Check.nonNegative(klBeta, "kl_beta")
      try Check.positive(klTarget, "kl_target")
      try Check.range(updateThreads, 1, WorkerPool.maxThreads, "update_threads")
      if annealClipRange {
        try require(segments.totalEnvSteps > 0, "annealing needs total_env_steps > 0 (the schedule's horizon)")
      }
      if sharedNetwork {
        try require(
          segments.valueLearningRate == 0 || segments.valueLearningRate == common.learningRate,
          "shared_network steps the shared layers once: value_learning_rate must be 0 or equal learning_rate")
      }
    }
  }

  public static let algorithm = PGAlgorithm.ppo
  /// The KL-penalty coefficient β (adapted after each iteration with `klPenalty`).
  public var klBeta: Double { core.adaptiveCoefficient }
  /// Shared network: the leading parameters (the hidden layers) that the
  /// policy and the critic hold as identical copies; 0 when not shared.
  let sharedCount: Int
  private let estimates = ValueEstimates()
  private let minibatchAdvantages = Store<Double>()
  private let minibatchOldLogProbs = Store<Double>()
  private let minibatchLogProbs = Store<Double>()
  private let minibatchEntropies = Store<Double>()
  private let klPenaltyWeights = Store<Double>()
  private let klPenaltyGradient = Store<Double>()
  private let pair = TwoTasks()

  public required init(config: Config, core: LearnerCore) throws(SwiftPGError) {
    sharedCount = config.sharedNetwork ? try tieHiddenLayers(policy: core.policy, critic: core.critic) : 0
    try super.init(config: config, core: core)
  }

  public static func makeCore(
    _ config: Config, env: (any BatchedEnvironment)?, policy: any Policy, critic: ValueFunction?
  ) throws(SwiftPGError) -> LearnerCore {
    try config.makeCore(algorithm, env: env, policy: policy, critic: critic, adaptiveCoefficient: config.klBeta)
  }

  public var externalMinibatchSize: Int? { config.minibatchSize }

  public func update(_ d: Trajectories, _ s: inout TrainStats) throws(SwiftPGError) {
    guard let critic = core.critic else { return }
    let m = d.count
    let policy = core.policy

    // 1. Advantages and value targets.
    try estimates.estimate(d, core: core, config: config, &s)
    let oldParameters = policy.parameters
    let eps = config.annealClipRange ? config.clipRange * core.scheduleRemaining : config.clipRange
    let size = config.minibatchSize > 0 ? config.minibatchSize : m

    // 2. Epochs of shuffled minibatches.
    var clipped = 0.0
    var seen = 0.0
    var objective = 0.0
    var valueLoss = 0.0
    var gradNorm = 0.0
    var minibatchCount = 0.0
    var epochsRun = 0
    epochs: for _ in 0..<config.epochs {
      let index = try core.minibatches.shuffled(m, using: &core.rng)
      var start = 0
      while start < m {
        let b = Swift.min(size, m - start)
        let rows = index + start
        let (obs, actions) = core.minibatches.gather(d, rows: rows, count: b)
        // a. Minibatch advantages and the acting policy's log-probabilities.
        let adv = minibatchAdvantages.reserve(b)
        let oldLogProbs = minibatchOldLogProbs.reserve(b)
        for r in 0..<b {
          adv[r] = estimates.advantages[rows[r]]
          oldLogProbs[r] = d.behaviorLogProbs[rows[r]]
        }
        if config.normalizeAdvantages { standardize(adv, count: b, center: true) }
        // b, c. Ratios, KL and the surrogate's weights in the policy's
        // forward pass; d. the value loss's gradient — independent
        // computations, run on two threads when `updateThreads` is 2 or more.
        let lp = minibatchLogProbs.reserve(b)
        let h = minibatchEntropies.reserve(b)
        var summary = SurrogateSummary(objective: 0, clipFraction: 0, approxKL: 0)
        var mbValueLoss = 0.0
        let scale = 1 / Double(b)
        let entropyWeight = config.entropyCoef * scale
        let epsilon = config.klPenalty ? Double.infinity : eps
        let policyPass = {
          self.core.policyGradient.withUnsafeMutableBufferPointer { grad in
            guard let gp = grad.baseAddress else { return }
            policy.surrogateGradient(
              obs, rawActions: actions, batch: b, logProbabilities: lp, entropies: h,
              weigh: { lp, _, ws, we in
                summary = clippedSurrogate(
                  logProbs: lp, oldLogProbs: oldLogProbs, advantages: adv, count: b, epsilon: epsilon,
                  objectives: nil, weights: ws)
                for r in 0..<b {
                  ws[r] *= scale
                  we[r] = entropyWeight
                }
              }, into: gp)
          }
        }
        let y = estimates.returns.pointer
        let old = estimates.values.pointer  // V_old: computed once above, unchanged by the epochs
        let valuePass = {
          mbValueLoss = valueLossGradient(
            critic: critic, observations: obs, count: b, targets: { y[rows[$0]] },
            oldValues: self.config.valueClipRange > 0 ? { old[rows[$0]] } : nil, clipRange: self.config.valueClipRange,
            coefficient: self.config.valueCoef, scratch: self.core.valueScratch, into: &self.core.valueGradient)
        }
        if config.updateThreads > 1 {
          pair.first = policyPass
          pair.second = valuePass
          WorkerPool.shared.run(chunks: 2, threads: 2, job: pair)
          pair.clear()
        } else {
          policyPass()
          valuePass()
        }
        if config.targetKL > 0 && summary.approxKL > 1.5 * config.targetKL {
          break epochs
        }
        if config.klPenalty && klBeta > 0 { subtractKLPenaltyGradient(obs, count: b, oldParameters: oldParameters) }
        valueLoss += mbValueLoss
        // e. Shared layers' gradient, joint clipping and the steps.
        tieSharedGradients()
        gradNorm += clipGlobalNorm(
          &core.policyGradient, &core.valueGradient, sharedPrefix: sharedCount, maxNorm: config.maxGradNorm)
        try core.stepPolicy()
        try core.stepCritic()
        objective += summary.objective
        clipped += summary.clipFraction * Double(b)
        seen += Double(b)
        minibatchCount += 1
        start += b
      }
      epochsRun += 1
    }

    // 3. Adaptive KL coefficient.
    if config.klPenalty {
      let mean = core.meanKL(d, oldParameters: oldParameters)
      var beta = klBeta
      if mean < config.klTarget / 1.5 { beta /= 2 } else if mean > config.klTarget * 1.5 { beta *= 2 }
      core.adaptiveCoefficient = beta
      s.klCoef = beta
    }

    let mb = Swift.max(minibatchCount, 1)
    s.policyLoss = -(objective / mb)
    s.valueLoss = valueLoss / mb
    s.gradNorm = gradNorm / mb
    s.clipFraction = seen > 0 ? clipped / seen : 0
    s.epochs = epochsRun
    (s.entropy, s.approxKL) = core.entropyAndKL(d)
    guard s.policyLoss.isFinite else { throw core.numerical("the policy loss") }
    guard s.valueLoss.isFinite else { throw core.numerical("the value loss") }
  }

  /// KL-penalty PPO: policyGradient −= β ∇ mean KL(π_old ‖ π_θ) on the minibatch.
  private func subtractKLPenaltyGradient(_ obs: UnsafePointer<Double>, count b: Int, oldParameters: [Double]) {
    let policy = core.policy
    let kg = klPenaltyGradient.reserve(policy.parameterCount)
    let w = klPenaltyWeights.reserve(b)
    for r in 0..<b { w[r] = klBeta * (1 / Double(b)) }
    oldParameters.withUnsafeBufferPointer { op in
      if let base = op.baseAddress {
        policy.klGradient(obs, oldParameters: base, weights: w, batch: b, into: kg)
      }
    }
    for k in core.policyGradient.indices { core.policyGradient[k] -= kg[k] }
  }

  /// Shared network: the loss to minimise is −(policy objective) + value
  /// loss, so the shared layers' descent gradient is g = ∇value − ∇policy.
  /// Both copies get it (the policy ascends −g), so with the same optimiser
  /// settings their parameters and moments stay identical.
  private func tieSharedGradients() {
    for k in 0..<sharedCount {
      let g = core.valueGradient[k] - core.policyGradient[k]
      core.valueGradient[k] = g
      core.policyGradient[k] = -g
    }
  }
}

/// Shared network: checks that the policy's MLP and the critic's have the
/// same hidden layers, copies the policy's into the critic, and returns
/// their parameter count (a prefix of both parameter vectors).
func tieHiddenLayers(policy: any Policy, critic: ValueFunction?) throws(SwiftPGError) -> Int {
  guard let net = policy.mlp, let critic, let valueNet = critic.network else {
    throw .invalid("shared_network needs an MLP policy (softmax or Gaussian) and an MLP critic")
  }
  try require(
    net.sizes.count >= 3 && Array(net.sizes.dropLast()) == Array(valueNet.sizes.dropLast())
      && net.activation == valueNet.activation,
    "shared_network: the policy's hidden layers \(Array(net.sizes.dropLast())) (\(net.activation)) and the "
      + "critic's \(Array(valueNet.sizes.dropLast())) (\(valueNet.activation)) must be the same, with at least one")
  let count = net.offsets[net.offsets.count - 1]
  var values = critic.parameters
  let trunk = policy.parameters
  for k in 0..<count { values[k] = trunk[k] }
  try critic.setParameters(values)
  return count
}

/// Two closures run as the two chunks of a `WorkerPool` loop.
final class TwoTasks: ParallelJob {
  var first: () -> Void = {}
  var second: () -> Void = {}

  func runChunk(_ k: Int) { if k == 0 { first() } else { second() } }

  func clear() {
    first = {}
    second = {}
  }
}
