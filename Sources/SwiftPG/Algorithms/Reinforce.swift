/// REINFORCE (Williams 1992) with the lectures' variants selected by
/// configuration: weights R(τ), G_t or γᵗG_t, and baselines none, batch
/// mean, the per-parameter optimal constant, or a learned V(s_t).
///
/// One iteration on whole episodes (`Trajectories` with N = 1 lane):
/// 1. weights ψ_t from the rewards (`weighting`);
/// 2. baseline: ψ_t −= b (mean), ψ_t −= V(s_t) (value; times γᵗ for the
///    discounted weighting), or the optimal b_i per parameter;
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
extension PolicyGradient {
  func reinforceUpdate(_ d: Trajectories, _ s: inout TrainStats) throws(SwiftPGError) {
    let m = d.count
    let r = d.rollout(values: nil, finalValues: nil)
    let psi = weights.reserve(m)
    let g = targets.reserve(m)  // reward-to-go G_t: the critic's targets

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
      throw SwiftPGError.invalid("iteration \(iteration): the batch holds no complete episode")
    }
    switch config.baseline {
    case .optimal:
      try optimalBaselineGradient(d, psi: psi, complete: complete, episodes: episodesCount)
    case .none, .mean, .value:
      if config.baseline == .mean {
        var mean = 0.0
        for k in 0..<m where complete[k] { mean += psi[k] }
        mean /= Double(used)
        for k in 0..<m { psi[k] -= mean }
      } else if config.baseline == .value, let critic {
        let v = values.reserve(m)
        critic.predict(d.observations.pointer, batch: m, into: v)
        let index = mbIndex.reserve(m)
        episodeIndices(r, into: index)
        for k in 0..<m {
          let discount = config.weighting == .discountedRewardToGo ? powInt(config.gamma, index[k]) : 1
          psi[k] -= discount * v[k]
        }
        s.explainedVariance = explainedVariance(count: m)
      }
      for k in 0..<m where !complete[k] { psi[k] = 0 }
      if config.normalizeAdvantages { scaleToUnitStd(psi, count: m, mask: complete) }
      let divisor = config.episodeAverage ? Double(Swift.max(episodesCount, 1)) : Double(used)
      for k in 0..<m { psi[k] /= divisor }
      let lp = logProbs.reserve(m)
      let h = entropies.reserve(m)
      let ent = config.entropyCoef / divisor
      var surrogate = 0.0
      policyGradient.withUnsafeMutableBufferPointer { grad in
        guard let gp = grad.baseAddress else { return }
        policy.surrogateGradient(
          d.observations.pointer, rawActions: d.actions, batch: m, logProbabilities: lp, entropies: h,
          weigh: { lp, _, ws, we in
            for k in 0..<m {
              ws[k] = psi[k]
              we[k] = complete[k] ? ent : 0
              surrogate += psi[k] * lp[k]
            }
          }, into: gp)
      }
      s.policyLoss = surrogate
    }

    // 5. Ascent step.
    s.gradNorm = scaleGradient(&policyGradient, maxNorm: config.maxGradNorm)
    try stepPolicy()
    (s.entropy, s.approxKL) = entropyAndKL(d)

    // 6. The learned baseline follows the returns.
    if config.baseline == .value {
      for k in 0..<m where !complete[k] { g[k] = values[k] }
      // The critic's loss is the mean over steps even with episodeAverage:
      // summing an episode's steps at a fixed V multiplies the step by the
      // episode length and diverges where Sutton & Barto's per-step updates
      // do not.
      s.valueLoss = try fitCritic(d, epochs: config.valueEpochs)
    }
  }

  /// Per-parameter optimal constant baseline (pooled over steps) and the
  /// resulting gradient, into `policyGradient`.
  private func optimalBaselineGradient(
    _ d: Trajectories, psi: UnsafeMutablePointer<Double>, complete: [Bool], episodes: Int
  ) throws(SwiftPGError) {
    let m = d.count
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
        policyGradient.withUnsafeMutableBufferPointer { gp in
          guard let i = idp.baseAddress, let bb = bp.baseAddress, let gg = gp.baseAddress else { return }
          optimalBaseline(
            scores: sp, returns: psi, episodes: i, steps: m, parameters: p, trajectories: Swift.max(episodes, 1),
            perTrajectory: false, baseline: bb, gradient: gg)
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
}
