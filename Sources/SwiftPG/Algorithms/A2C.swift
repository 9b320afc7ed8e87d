/// Batch actor-critic / A2C (Mnih et al. 2016, synchronous): N envs × T
/// steps, n-step or GAE advantages, a fitted value function.
///
/// One iteration:
/// 1. V(s_t) with the critic that collected; advantages Â (GAE(γ, λ), or
///    n-step) and targets (bootstrapped, or Monte Carlo to the segment end);
/// 2. optionally normalised Â;
/// 3. policy gradient ĝ = (1/M) Σ Â_t ∇log π(a_t|s_t) + c_H ∇ mean H;
/// 4. critic gradient of c_V · ½ mean (V − y)²; global norm clipping;
/// 5. one step of each; then `valueEpochs − 1` more critic passes on the
///    same targets (several value iterations per batch).
extension PolicyGradient {
  func a2cUpdate(_ d: Trajectories, _ s: inout TrainStats) throws(SwiftPGError) {
    let m = d.count
    // 1. Advantages and targets.
    try computeValues(d)
    computeAdvantages(d)
    s.explainedVariance = explainedVariance(count: m)
    // 2. Normalisation.
    let adv = weights.reserve(m)
    adv.update(from: advantages.pointer, count: m)
    if config.normalizeAdvantages { standardize(adv, count: m, center: true) }
    // 3. Policy gradient.
    s.policyLoss = policyGradientStep(d, advantages: adv)
    // 4. Critic gradient and joint clipping.
    let y = targets.pointer
    s.valueLoss = valueLossGradient(
      obs: d.observations.pointer, targets: { y[$0] }, oldValues: nil, count: m, coefficient: config.valueCoef)
    s.gradNorm = clipJointNorm()
    // 5. Steps.
    try stepPolicy()
    try stepCritic()
    if config.valueEpochs > 1 { s.valueLoss = try fitCritic(d, epochs: config.valueEpochs - 1) }
    (s.entropy, s.approxKL) = entropyAndKL(d)
  }

  /// Writes (1/M) Σ Â_t ∇log π + c_H ∇ mean H into `policyGradient`;
  /// returns the surrogate mean Â_t log π(a_t|s_t).
  func policyGradientStep(_ d: Trajectories, advantages adv: UnsafePointer<Double>) -> Double {
    let m = d.count
    let scale = 1 / Double(m)
    let lp = logProbs.reserve(m)
    let h = entropies.reserve(m)
    var surrogate = 0.0
    let entropyWeight = config.entropyCoef * scale
    policyGradient.withUnsafeMutableBufferPointer { grad in
      guard let gp = grad.baseAddress else { return }
      policy.surrogateGradient(
        d.observations.pointer, rawActions: d.actions, batch: m, logProbabilities: lp, entropies: h,
        weigh: { lp, _, ws, we in
          for k in 0..<m {
            ws[k] = adv[k] * scale
            we[k] = entropyWeight
            surrogate += adv[k] * lp[k] * scale
          }
        }, into: gp)
    }
    return surrogate
  }
}
