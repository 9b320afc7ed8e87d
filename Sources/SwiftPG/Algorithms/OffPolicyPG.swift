/// Off-policy policy gradient with importance sampling: each update reuses
/// the last `reuseBatches` batches of whole episodes, collected by earlier
/// policies β, reweighted to the current π_θ (Sutton & Barto §5.5, 13;
/// Precup et al. 2000). Shows the variance problem of products of ratios
/// (watch the effective sample size in `extra`) and its mitigations:
/// per-decision weights and truncation.
///
/// One iteration:
/// 1. store the new batch with log β(a|s) (= log π at collection time);
/// 2. for every stored batch: ρ_t = π_θ(a_t|s_t) / β(a_t|s_t);
/// 3. weights ψ_t:
///    - trajectory: ψ_t = W(τ) (G_t − b), W(τ) = Π_{j∈τ} ρ_j;
///    - per-decision: ψ_t = Σ_{k≥t} γ^{k−t} r_k w_k − w_t b, w_k = Π_{j≤k} ρ_j
///      (each reward weighted by the ratios of the actions before it);
///    each w truncated at `importanceClip`; b the current batch's mean G
///    (`baseline` mean) or 0;
/// 4. ĝ = (1/M) Σ ψ_t ∇log π(a_t|s_t) over all stored steps (ψ optionally
///    divided by its std), one optimiser ascent step.
extension PolicyGradient {
  func offPolicyUpdate(_ d: Trajectories, _ s: inout TrainStats) throws(SwiftPGError) {
    // 1. The replay of recent batches (externally supplied data is copied too).
    replay.append(d.copy())
    if replay.count > config.reuseBatches { replay.removeFirst(replay.count - config.reuseBatches) }
    // Baseline from the newest batch's returns.
    var b = 0.0
    if config.baseline == .mean {
      let g = targets.reserve(d.count)
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
    let rowsObs = Trajectories(observationSize: d.observationSize, actionSpace: d.actionSpace)
    rowsObs.resize(steps: total, lanes: 1)
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
      let rho = mbScratch.reserve(2 * m)
      let w = rho + m
      importanceRatios(logProbs: lp, behaviorLogProbs: batch.behaviorLogProbs.pointer, count: m, clip: .infinity, into: rho)
      importanceWeights(r, ratios: rho, perDecision: config.perDecision, clip: config.importanceClip, into: w)
      let out = psi + offset
      if config.perDecision {
        let weighted = entropies.reserve(m)
        for k in 0..<m { weighted[k] = batch.rewards[k] * w[k] }
        let weightedRewards = Rollout(
          steps: r.steps, count: r.count, rewards: weighted, terminated: r.terminated, truncated: r.truncated,
          values: nil, finalValues: nil)
        discountedReturns(weightedRewards, gamma: config.gamma, into: out)
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
      (rowsObs.observations.pointer + offset * d.observationSize).update(
        from: batch.observations.pointer, count: m * d.observationSize)
      for k in 0..<m { batch.copyAction(from: k, to: rowsObs.actions, row: offset + k) }
      offset += m
    }
    s.extra = trajectories > 0 && sumW2 > 0 ? sumW * sumW / sumW2 / trajectories : 0
    // 4. Gradient over all stored steps and the step.
    if config.normalizeAdvantages { standardize(psi, count: total, center: false) }
    for k in 0..<total { psi[k] /= Double(total) }
    var surrogate = 0.0
    let lp = logProbs.reserve(total)
    let h = entropies.reserve(total)
    let entropyWeight = config.entropyCoef / Double(total)
    policyGradient.withUnsafeMutableBufferPointer { grad in
      guard let gp = grad.baseAddress else { return }
      policy.surrogateGradient(
        rowsObs.observations.pointer, rawActions: rowsObs.actions, batch: total, logProbabilities: lp,
        entropies: h,
        weigh: { lp, _, ws, we in
          for k in 0..<total {
            ws[k] = psi[k]
            we[k] = entropyWeight
            surrogate += psi[k] * lp[k]
          }
        }, into: gp)
    }
    s.policyLoss = surrogate
    s.gradNorm = scaleGradient(&policyGradient, maxNorm: config.maxGradNorm)
    try stepPolicy()
    (s.entropy, s.approxKL) = entropyAndKL(d)
  }

}
