/// Online actor-critic, the five-step loop of the actor-critic lecture
/// (Levine, CS 285; Sutton & Barto §13.5 without traces), on N batched
/// environments (T = `stepsPerEnv`, 1 by default):
/// 1. take a_t ~ π(·|s_t), observe (s_t, a_t, r_t, s_{t+1}) — the collection;
/// 2. update V̂ toward y_t = r_t + γ V̂(s_{t+1}) (0 after termination, V̂ of
///    the final observation after truncation): one step on ½ mean (V̂ − y)²;
/// 3. evaluate Â_t = r_t + γ V̂(s_{t+1}) − V̂(s_t) with the updated critic;
/// 4. ∇J ≈ mean ∇log π(a_t|s_t) Â_t;
/// 5. θ ← θ + α ∇J (plain SGD by default, as in the lecture).
extension PolicyGradient {
  func actorCriticUpdate(_ d: Trajectories, _ s: inout TrainStats) throws(SwiftPGError) {
    let m = d.count
    let y = targets.reserve(m)
    let delta = advantages.reserve(m)
    // 2. Critic step toward the TD target.
    try computeValues(d)
    temporalDifferences(d.rollout(values: values.pointer, finalValues: finalValues.pointer), gamma: config.gamma, into: delta)
    for k in 0..<m { y[k] = delta[k] + values[k] }
    s.explainedVariance = explainedVariance(count: m)
    for _ in 0..<Swift.max(config.valueEpochs, 1) {
      s.valueLoss = valueLossGradient(
        obs: d.observations.pointer, targets: { y[$0] }, oldValues: nil, count: m, coefficient: 1)
      scaleGradient(&valueGradient, maxNorm: config.maxGradNorm)
      try stepCritic()
    }
    // 3. TD-error advantages with the updated critic.
    try computeValues(d)
    temporalDifferences(d.rollout(values: values.pointer, finalValues: finalValues.pointer), gamma: config.gamma, into: delta)
    let adv = weights.reserve(m)
    adv.update(from: delta, count: m)
    if config.normalizeAdvantages { standardize(adv, count: m, center: true) }
    // 4, 5. Policy gradient and ascent step.
    s.policyLoss = policyGradientStep(d, advantages: adv)
    s.gradNorm = scaleGradient(&policyGradient, maxNorm: config.maxGradNorm)
    try stepPolicy()
    (s.entropy, s.approxKL) = entropyAndKL(d)
  }
}
