/// Off-policy policy gradient with importance sampling: each update reuses
/// the last `reuseBatches` batches of whole episodes, collected by earlier
/// policies β, reweighted to the current π_θ (Sutton & Barto §5.5, 13;
/// Precup et al. 2000). Shows the variance problem of products of ratios
/// (watch `effectiveSampleSize`) and its mitigations: per-decision weights
/// and truncation.
///
/// One iteration:
/// 1. store the new batch with log β(a|s) (= log π at collection time);
/// 2. for every stored batch: ρ_t = π_θ(a_t|s_t) / β(a_t|s_t)
///    (`importanceRatios`), and the weights w (`importanceWeights`);
/// 3. weights ψ_t:
///    - trajectory: ψ_t = W(τ) (G_t − b), W(τ) = Π_{j∈τ} ρ_j;
///    - per-decision: ψ_t = Σ_{k≥t} γ^{k−t} r_k w_k − w_t b, w_k = Π_{j≤k} ρ_j
///      (each reward weighted by the ratios of the actions before it);
///    each w truncated at `importanceClip`; b the current batch's mean G
///    (`baseline` mean) or 0;
/// 4. ĝ = (1/M) Σ ψ_t ∇log π(a_t|s_t) over all stored steps (ψ optionally
///    divided by its std), one optimiser ascent step.
public final class OffPolicyPG: PolicyGradientLearnerBase<OffPolicyPG.Config>, PolicyGradientLearner {
  @dynamicMemberLookup
  public struct Config: DirectSettings {
    /// Adam lr 0.01 (ε 1e-8), no clipping.
    public var common = CommonFields(learningRate: 0.01, adamEpsilon: 1e-8)
    /// Minimum transitions of whole episodes per iteration.
    public var stepsPerIteration = 5000
    /// .none or .mean (the newest batch's mean return).
    public var baseline = BaselineKind.mean
    /// Divide the weights by their std.
    public var normalizeAdvantages = true
    /// Batches reused per update, the current one included.
    public var reuseBatches = 4
    /// Per-decision (else trajectory-level) importance weights.
    public var perDecision = true
    /// Truncate importance weights at this value (∞: none).
    public var importanceClip = Double.infinity

    public init() {}

    /// The checkpoint fields (`ConfigRecord.swift`).
    public static var recordFields: [ConfigField<Self>] {
      commonFields + [
        .int("steps_per_iteration", \Self.stepsPerIteration), .choice("baseline", \Self.baseline),
        .bool("normalize_advantages", \Self.normalizeAdvantages), .int("reuse_batches", \Self.reuseBatches),
        .bool("per_decision", \Self.perDecision), .double("importance_clip", \Self.importanceClip),
      ]
    }

    public var coreShape: (collection: LearnerCore.Collection, needsCritic: Bool, valueLearningRate: Double) {
      (.episodes(minimumSteps: stepsPerIteration), false, 0)
    }

    public func validate() throws(SwiftPGError) {
      try common.validate()
      try Check.range(stepsPerIteration, 1, 1 << 26, "steps_per_iteration")
      try require(
        baseline == .none || baseline == .mean, "off-policy PG supports baseline none or mean, not \(baseline)")
      try Check.range(reuseBatches, 1, 1000, "reuse_batches")
      try require(!importanceClip.isNaN && importanceClip > 0, "importance_clip must be > 0 (inf: none)")
    }
  }

  public static let algorithm = PGAlgorithm.offPolicy
  /// The last `reuseBatches` batches with their behaviour log-probs.
  public private(set) var replay: [Trajectories] = []
  private let returns = Store<Double>()
  private let weights = Store<Double>()
  private let logProbs = Store<Double>()
  private let ratiosAndWeights = Store<Double>()
  private let weightedRewards = Store<Double>()
  private let surrogate = PolicySurrogate()

  /// The replay (`batches`: one record per stored batch, oldest first) for
  /// checkpoints.
  public var algorithmState: Record? {
    var r = Record()
    r.set("batches", .records(replay.map { $0.record() }))
    return r
  }

  public func prepareRestoreAlgorithmState(_ r: RecordReader?) throws(SwiftPGError) -> () -> Void {
    guard let r else { throw SwiftPGError(.badFormat, "the learner state has no replay of off-policy PG") }
    let records = try r.records("batches")
    guard records.count <= config.reuseBatches else {
      throw r.fail("\(records.count) stored batches, more than reuse_batches = \(config.reuseBatches)")
    }
    var batches: [Trajectories] = []
    for b in records {
      batches.append(try Trajectories.decode(b, observationSize: core.observationSize, actionSpace: core.actionSpace))
    }
    try r.finish()
    return { [self] in replay = batches }
  }

  public func update(_ d: Trajectories, _ s: inout TrainStats) throws(SwiftPGError) {
    let saved = replay
    do throws(SwiftPGError) { try reweightedUpdate(d, &s) } catch {
      replay = saved  // a failed update leaves the replay as it was
      throw error
    }
  }

  private func reweightedUpdate(_ d: Trajectories, _ s: inout TrainStats) throws(SwiftPGError) {
    let policy = core.policy
    // 1. The replay of recent batches (externally supplied data is copied too).
    replay.append(d.copy())
    if replay.count > config.reuseBatches { replay.removeFirst(replay.count - config.reuseBatches) }
    // Baseline from the newest batch's returns.
    var b = 0.0
    if config.baseline == .mean {
      let g = returns.reserve(d.count)
      discountedReturns(d.rollout(values: nil, finalValues: nil), gamma: config.gamma, into: g)
      let mask = completeEpisodeMask(d)
      var n = 0.0
      for k in 0..<d.count where mask[k] {
        b += g[k]
        n += 1
      }
      b = n > 0 ? b / n : 0
    }
    // 2, 3. Weights for every stored step.
    let total = replay.reduce(0) { $0 + $1.count }
    let rows = Trajectories(observationSize: d.observationSize, actionSpace: d.actionSpace)
    rows.resize(steps: total, lanes: 1)
    let psi = weights.reserve(total)
    var offset = 0
    var sumW = 0.0
    var sumW2 = 0.0
    var trajectories = 0.0
    for batch in replay {
      let m = batch.count
      let r = batch.rollout(values: nil, finalValues: nil)
      let lp = logProbs.reserve(m)
      policy.logProbabilities(batch.observations.pointer, actions: batch.actions, batch: m, into: lp)
      let rho = ratiosAndWeights.reserve(2 * m)
      let w = rho + m
      importanceRatios(logProbs: lp, behaviorLogProbs: batch.behaviorLogProbs.pointer, count: m, clip: .infinity, into: rho)
      importanceWeights(r, ratios: rho, perDecision: config.perDecision, clip: config.importanceClip, into: w)
      let out = psi + offset
      if config.perDecision {
        let weighted = weightedRewards.reserve(m)
        for k in 0..<m { weighted[k] = batch.rewards[k] * w[k] }
        let weightedRollout = Rollout(
          steps: r.steps, count: r.count, rewards: weighted, terminated: r.terminated, truncated: r.truncated,
          values: nil, finalValues: nil)
        discountedReturns(weightedRollout, gamma: config.gamma, into: out)
        for k in 0..<m { out[k] -= w[k] * b }
      } else {
        discountedReturns(r, gamma: config.gamma, into: out)
        for k in 0..<m { out[k] = w[k] * (out[k] - b) }
      }
      let mask = completeEpisodeMask(batch)
      for k in 0..<m {
        if !mask[k] { out[k] = 0 }
        if batch.terminated[k] != 0 || batch.truncated[k] != 0 {
          // Trajectory weight of the episode ending here (for the ESS).
          let full = w[k]  // the whole-trajectory product under both weightings
          sumW += full
          sumW2 += full * full
          trajectories += 1
        }
      }
      (rows.observations.pointer + offset * d.observationSize).update(
        from: batch.observations.pointer, count: m * d.observationSize)
      for k in 0..<m { batch.copyAction(from: k, to: rows.actions, row: offset + k) }
      offset += m
    }
    s.effectiveSampleSize = trajectories > 0 && sumW2 > 0 ? sumW * sumW / sumW2 / trajectories : 0
    // 4. Gradient over all stored steps and the step.
    if config.normalizeAdvantages { standardize(psi, count: total, center: false) }
    for k in 0..<total { psi[k] /= Double(total) }
    let entropyWeight = config.entropyCoef / Double(total)
    s.policyLoss = -surrogate.gradient(
      policy, observations: rows.observations.pointer, actions: rows.actions, count: total, weights: psi,
      entropyWeight: { _ in entropyWeight }, into: &core.policyGradient)
    s.gradNorm = scaleGradient(&core.policyGradient, maxNorm: config.maxGradNorm)
    try core.stepPolicy()
    (s.entropy, s.approxKL) = core.entropyAndKL(d)
  }
}
