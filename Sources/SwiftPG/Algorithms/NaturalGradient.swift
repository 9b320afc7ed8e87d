/// Natural policy gradient (Kakade 2001) and TRPO (Schulman et al. 2015)
/// on N × T rollouts (REFERENCE.md §4).
///
/// One iteration:
/// 1. V(s_t), GAE advantages Â (normalised if configured), targets;
/// 2. g = ∇ of the surrogate L(θ) = mean ρ_t Â_t + c_H · mean H(π_θ(·|s_t))
///    at θ_old, i.e. (1/M) Σ Â_t ∇log π(a_t|s_t) + c_H ∇ mean H (c_H =
///    `entropyCoef`, 0 by default as in Schulman et al.);
/// 3. x ≈ (F + damping·I)⁻¹ g by `cgIterations` of conjugate gradient on
///    Fisher-vector products (F = mean over states of the action Fisher);
/// 4. the full step Δ = √(2δ / xᵀFx) · x, which meets KL ≈ δ to second order;
/// 5. NPG: θ ← θ + Δ. TRPO: θ ← θ + c^j Δ for the first j < `lineSearchSteps`
///    with mean KL(π_old ‖ π_θ) ≤ δ and L(θ) > L(θ_old); none: keep θ_old;
///    a (numerically) zero gradient skips the policy step only;
/// 6. fit the critic to the targets (`valueEpochs` passes of minibatches).
extension PolicyGradient {
  func naturalGradientUpdate(_ d: Trajectories, _ s: inout TrainStats) throws(SwiftPGError) {
    let m = d.count
    let p = policy.parameterCount
    let obs = d.observations.pointer
    // 1. Advantages.
    try computeValues(d)
    computeAdvantages(d)
    s.explainedVariance = explainedVariance(count: m)
    let adv = weights.reserve(m)
    adv.update(from: advantages.pointer, count: m)
    if config.normalizeAdvantages { standardize(adv, count: m, center: true) }
    // 2. Surrogate gradient at θ_old.
    let scaled = mbScratch.reserve(m)
    for k in 0..<m { scaled[k] = adv[k] / Double(m) }
    var g = [Double](repeating: 0, count: p)
    g.withUnsafeMutableBufferPointer { gp in
      guard let base = gp.baseAddress else { return }
      policy.scoreGradient(obs, rawActions: d.actions, weights: scaled, batch: m, into: base)
      if config.entropyCoef != 0 {
        let we = entropies.reserve(m)
        for k in 0..<m { we[k] = config.entropyCoef / Double(m) }
        policy.entropyGradient(obs, weights: we, batch: m, into: base)
      }
    }
    guard g.allFinite else { throw numerical("the policy gradient") }
    s.gradNorm = Statistics.norm(g)
    let surrogateOld = surrogate(d, advantages: adv)
    s.policyLoss = surrogateOld
    // 3. Conjugate gradient on F + damping·I.
    let damping = config.cgDamping
    let fvp: ([Double]) -> [Double] = { v in
      var out = [Double](repeating: 0, count: p)
      v.withUnsafeBufferPointer { vp in
        out.withUnsafeMutableBufferPointer { op in
          guard let vb = vp.baseAddress, let ob = op.baseAddress else { return }
          self.policy.fisherVectorProduct(obs, batch: m, vector: vb, into: ob)
        }
      }
      for i in 0..<p { out[i] += damping * v[i] }
      return out
    }
    let x = conjugateGradient(fvp, g, iterations: config.cgIterations)
    // 4. Full step scaled to the KL budget.
    let fx = fvp(x)
    var xFx = 0.0
    for i in 0..<p { xFx += x[i] * fx[i] }
    guard xFx.isFinite, xFx >= 0 else { throw numerical("xᵀFx of the natural step") }
    if xFx == 0 {
      // Zero (or numerically zero) gradient: no policy step; the critic is
      // still fitted below and the stats report its real loss.
      s.updateSteps = -1
    } else {
      try naturalStep(d, x: x, xFx: xFx, advantages: adv, surrogateOld: surrogateOld, &s)
    }
    (s.entropy, s.approxKL) = entropyAndKL(d)
    // 6. Critic.
    s.valueLoss = try fitCritic(d, epochs: config.valueEpochs)
  }

  /// Steps 4–5: θ ← θ + (c^j) √(2δ / xᵀFx) x, with TRPO's line search.
  private func naturalStep(
    _ d: Trajectories, x: [Double], xFx: Double, advantages adv: UnsafePointer<Double>, surrogateOld: Double,
    _ s: inout TrainStats
  ) throws(SwiftPGError) {
    let p = policy.parameterCount
    let beta = (2 * config.maxKL / xFx).squareRoot()
    let old = policy.parameters
    // 5. Step (with line search for TRPO).
    if config.lineSearchSteps == 0 {
      var p1 = old
      for i in 0..<p { p1[i] += beta * x[i] }
      guard p1.allFinite else { throw numerical("the updated policy parameters") }
      try policy.setParameters(p1)
      s.updateSteps = 0
    } else {
      var fraction = 1.0
      var accepted = -1
      for j in 0..<config.lineSearchSteps {
        var p1 = old
        for i in 0..<p { p1[i] += fraction * beta * x[i] }
        if p1.allFinite {
          try policy.setParameters(p1)
          let kl = meanKL(d, oldParameters: old)
          let improved = surrogate(d, advantages: adv)
          if kl.isFinite && kl <= config.maxKL && improved > surrogateOld {
            accepted = j
            break
          }
        }
        fraction *= config.backtrackRatio
      }
      if accepted < 0 { try policy.setParameters(old) }
      s.updateSteps = accepted
    }
  }

  /// L(θ) = mean exp(log π_θ − log π_old) Â (+ c_H mean H(π_θ) when entropyCoef ≠ 0).
  private func surrogate(_ d: Trajectories, advantages adv: UnsafePointer<Double>) -> Double {
    let m = d.count
    let lp = logProbs.reserve(m)
    policy.logProbabilities(d.observations.pointer, actions: d.actions, batch: m, into: lp)
    var total = 0.0
    for k in 0..<m { total += _exp(lp[k] - d.behaviorLogProbs[k]) * adv[k] }
    guard config.entropyCoef != 0 else { return total / Double(m) }
    let h = entropies.reserve(m)
    policy.entropies(d.observations.pointer, batch: m, into: h)
    var entropy = 0.0
    for k in 0..<m { entropy += h[k] }
    return total / Double(m) + config.entropyCoef * entropy / Double(m)
  }

  /// Mean over the batch's states of KL(π_old ‖ π_θ) (exact, per state).
  private func meanKL(_ d: Trajectories, oldParameters: [Double]) -> Double {
    let m = d.count
    let kl = entropies.reserve(m)
    oldParameters.withUnsafeBufferPointer { op in
      if let base = op.baseAddress {
        policy.klDivergences(d.observations.pointer, batch: m, oldParameters: base, into: kl)
      }
    }
    var total = 0.0
    for k in 0..<m { total += kl[k] }
    return total / Double(m)
  }
}

/// Solves A x = b for symmetric positive-definite A given as a product,
/// with at most `iterations` conjugate-gradient steps from x = 0
/// (stopping when the residual norm² < 1e-10).
public func conjugateGradient(_ a: ([Double]) -> [Double], _ b: [Double], iterations: Int) -> [Double] {
  var x = [Double](repeating: 0, count: b.count)
  var r = b
  var p = b
  var rr = r.reduce(0) { $0 + $1 * $1 }
  for _ in 0..<iterations {
    if rr < 1e-10 { break }
    let ap = a(p)
    var pap = 0.0
    for i in p.indices { pap += p[i] * ap[i] }
    guard pap > 0, pap.isFinite else { break }
    let alpha = rr / pap
    for i in x.indices {
      x[i] += alpha * p[i]
      r[i] -= alpha * ap[i]
    }
    let next = r.reduce(0) { $0 + $1 * $1 }
    let beta = next / rr
    rr = next
    for i in p.indices { p[i] = r[i] + beta * p[i] }
  }
  return x
}
