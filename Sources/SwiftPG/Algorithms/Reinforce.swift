/// REINFORCE (Williams 1992) with the lectures' variants selected by
/// configuration: weights R(τ), G_t or γᵗG_t, and baselines none, batch
/// mean, the per-parameter optimal constant, or a learned V(s_t).
///
/// One iteration on whole episodes (`Trajectories` with N = 1 lane):
/// 1. weights ψ_t from the rewards (`weighting`);
/// 2. baseline: ψ_t −= b (mean, `subtractMeanBaseline` over the complete
///    episodes' steps), ψ_t −= V(s_t) (value; times γᵗ for the discounted
///    weighting), or the optimal b_i per parameter (`optimalBaseline`);
/// 3. optionally ψ ← ψ / std(ψ) (`normalizeAdvantages`; not with the
///    optimal baseline, which is defined for the raw returns);
/// 4. ĝ = (1/M) Σ_t ψ_t ∇log π(a_t|s_t) over M steps, or ÷ the number of
///    episodes with `episodeAverage` (and always with the optimal baseline,
///    Kochenderfer's convention);
/// 5. one optimiser ascent step along ĝ;
/// 6. value baseline: fit V to the returns G_t (`valueEpochs` passes).
///
/// Incomplete episodes (only in externally supplied data) are dropped:
/// their steps get weight 0.
public final class Reinforce: PolicyGradientLearnerBase<Reinforce.Config>, PolicyGradientLearner {
  @dynamicMemberLookup
  public struct Config: DirectSettings {
    /// Adam lr 0.01 (ε 1e-8), no clipping.
    public var common = CommonFields(learningRate: 0.01, adamEpsilon: 1e-8)
    /// Minimum transitions of whole episodes per iteration.
    public var stepsPerIteration = 5000
    public var weighting = ReturnWeighting.rewardToGo
    public var baseline = BaselineKind.mean
    /// Divide the weights by their std (after the baseline; not with .optimal).
    public var normalizeAdvantages = true
    /// Divide the summed gradient by the number of episodes (Sutton &
    /// Barto's Monte Carlo estimate of ∇J) instead of the number of steps.
    public var episodeAverage = false
    /// Value baseline: critic passes per batch.
    public var valueEpochs = 5
    /// Value baseline: the critic's step size; 0: `learningRate`.
    public var valueLearningRate = 1e-3

    public init() {}

    /// The checkpoint fields (`ConfigRecord.swift`).
    public static var recordFields: [ConfigField<Self>] {
      commonFields + [
        .int("steps_per_iteration", \Self.stepsPerIteration), .choice("weighting", \Self.weighting),
        .choice("baseline", \Self.baseline), .bool("normalize_advantages", \Self.normalizeAdvantages),
        .bool("episode_average", \Self.episodeAverage), .int("value_epochs", \Self.valueEpochs),
        .double("value_learning_rate", \Self.valueLearningRate),
      ]
    }

    public var coreShape: (collection: LearnerCore.Collection, needsCritic: Bool, valueLearningRate: Double) {
      (.episodes(minimumSteps: stepsPerIteration), baseline == .value, valueLearningRate)
    }

    public func validate() throws(SwiftPGError) {
      try common.validate()
      try Check.range(stepsPerIteration, 1, 1 << 26, "steps_per_iteration")
      try Check.range(valueEpochs, 0, 10_000, "value_epochs")
      try Check.nonNegative(valueLearningRate, "value_learning_rate")
      try require(
        weighting != .fullReturn || baseline != .value,
        "a learned value baseline needs per-step weights (weighting reward_to_go or discounted_reward_to_go)")
    }
  }

  public static let algorithm = PGAlgorithm.reinforce
  private let weights = Store<Double>()
  private let rewardToGo = Store<Double>()
  private let baselineValues = Store<Double>()
  private let stepIndices = Store<Int>()
  private let surrogate = PolicySurrogate()

  public func update(_ d: Trajectories, _ s: inout TrainStats) throws(SwiftPGError) {
    let m = d.count
    let r = d.rollout(values: nil, finalValues: nil)
    let psi = weights.reserve(m)
    let g = rewardToGo.reserve(m)  // G_t: also the critic's targets

    // 1. Weights.
    discountedReturns(r, gamma: config.gamma, into: g)
    switch config.weighting {
    case .fullReturn: episodeReturns(r, gamma: config.gamma, into: psi)
    case .rewardToGo: psi.update(from: g, count: m)
    case .discountedRewardToGo: discountedRewardToGo(r, gamma: config.gamma, into: psi)
    }
    let complete = completeEpisodeMask(d)

    // 2–4. Baseline, scaling and the gradient estimate.
    var episodesCount = 0
    for k in 0..<m where complete[k] && (d.terminated[k] != 0 || d.truncated[k] != 0) { episodesCount += 1 }
    let used = complete.reduce(0) { $0 + ($1 ? 1 : 0) }
    guard used > 0 else {
      throw SwiftPGError.invalid("iteration \(core.iteration): the batch holds no complete episode")
    }
    var values: UnsafeMutablePointer<Double>?
    switch config.baseline {
    case .optimal:
      try optimalBaselineGradient(d, psi: psi, complete: complete, episodes: episodesCount)
    case .none, .mean, .value:
      if config.baseline == .mean {
        var mean = 0.0
        for k in 0..<m where complete[k] { mean += psi[k] }
        mean /= Double(used)
        for k in 0..<m { psi[k] -= mean }
      } else if config.baseline == .value, let critic = core.critic {
        let v = baselineValues.reserve(m)
        critic.predict(d.observations.pointer, batch: m, into: v)
        let index = stepIndices.reserve(m)
        episodeIndices(r, into: index)
        for k in 0..<m {
          let discount = config.weighting == .discountedRewardToGo ? powInt(config.gamma, index[k]) : 1
          psi[k] -= discount * v[k]
        }
        s.explainedVariance = explainedVariance(targets: g, predictions: v, count: m)
        values = v
      }
      for k in 0..<m where !complete[k] { psi[k] = 0 }
      if config.normalizeAdvantages { scaleToUnitStd(psi, count: m, mask: complete) }
      let divisor = config.episodeAverage ? Double(Swift.max(episodesCount, 1)) : Double(used)
      for k in 0..<m { psi[k] /= divisor }
      let ent = config.entropyCoef / divisor
      s.policyLoss = -surrogate.gradient(
        core.policy, observations: d.observations.pointer, actions: d.actions, count: m, weights: psi,
        entropyWeight: { complete[$0] ? ent : 0 }, into: &core.policyGradient)
    }

    // 5. Ascent step.
    s.gradNorm = scaleGradient(&core.policyGradient, maxNorm: config.maxGradNorm)
    try core.stepPolicy()
    (s.entropy, s.approxKL) = core.entropyAndKL(d)

    // 6. The learned baseline follows the returns.
    if config.baseline == .value, let values {
      for k in 0..<m where !complete[k] { g[k] = values[k] }
      // The critic's loss is the mean over steps even with episodeAverage:
      // summing an episode's steps at a fixed V multiplies the step by the
      // episode length and diverges where Sutton & Barto's per-step updates
      // do not.
      s.valueLoss = try core.fitCritic(
        d, targets: g, epochs: config.valueEpochs, minibatchSize: 0, maxGradNorm: config.maxGradNorm)
    }
  }

  /// Per-parameter optimal constant baseline (pooled over steps) and the
  /// resulting gradient, into the policy gradient.
  private func optimalBaselineGradient(
    _ d: Trajectories, psi: UnsafeMutablePointer<Double>, complete: [Bool], episodes: Int
  ) throws(SwiftPGError) {
    let m = d.count
    let policy = core.policy
    let p = policy.parameterCount
    try require(
      m * p <= 1 << 27, "the optimal baseline needs M × P score values; \(m) × \(p) is too many", code: .tooLarge)
    let scores = Store<Double>()
    let sp = scores.reserve(m * p)
    policy.scoreVectors(d.observations.pointer, actions: d.actions, batch: m, into: sp)
    var ids = [Int32](repeating: 0, count: m)
    var e: Int32 = 0
    for k in 0..<m {
      ids[k] = e
      if d.terminated[k] != 0 || d.truncated[k] != 0 { e += 1 }
      if !complete[k] {
        psi[k] = 0
        for j in 0..<p { sp[k * p + j] = 0 }
      }
    }
    var b = [Double](repeating: 0, count: p)
    ids.withUnsafeBufferPointer { idp in
      b.withUnsafeMutableBufferPointer { bp in
        core.policyGradient.withUnsafeMutableBufferPointer { gp in
          guard let i = idp.baseAddress, let bb = bp.baseAddress, let gg = gp.baseAddress else { return }
          optimalBaseline(
            scores: sp, returns: psi, episodes: i, steps: m, parameters: p, trajectories: Swift.max(episodes, 1),
            perTrajectory: false, baseline: bb, gradient: gg)
        }
      }
    }
  }
}

/// true for the steps of episodes that end inside the batch (per lane).
func completeEpisodeMask(_ d: Trajectories) -> [Bool] {
  var mask = [Bool](repeating: false, count: d.count)
  for i in 0..<d.lanes {
    var ended = false
    for t in stride(from: d.steps - 1, through: 0, by: -1) {
      let k = t * d.lanes + i
      if d.terminated[k] != 0 || d.truncated[k] != 0 { ended = true }
      mask[k] = ended
    }
  }
  return mask
}

/// Divides the masked entries by their standard deviation (computed after
/// centring; the entries themselves are not centred). Skipped when the
/// entries are constant (`stdScaleDivisor`).
func scaleToUnitStd(_ x: UnsafeMutablePointer<Double>, count m: Int, mask: [Bool]) {
  var n = 0.0
  var mean = 0.0
  for k in 0..<m where mask[k] {
    n += 1
    mean += x[k]
  }
  guard n > 1 else { return }
  mean /= n
  var v = 0.0
  for k in 0..<m where mask[k] { v += (x[k] - mean) * (x[k] - mean) }
  guard let sd = stdScaleDivisor(std: (v / n).squareRoot(), mean: mean) else { return }
  for k in 0..<m where mask[k] { x[k] /= sd }
}
