/// Importance weights and surrogate objectives for off-policy data and
/// trust-region / clipped methods. Log-probabilities of the taken actions:
/// `logProbs` under the policy being optimised (π_θ), `behaviorLogProbs`
/// under the policy that collected the data (β or π_old).

/// Per-step ratios ρ_t = π_θ(a_t|s_t)/β(a_t|s_t) = exp(log π_θ − log β),
/// optionally truncated at `clip` (ρ ← min(ρ, c); pass +∞ for none).
public func importanceRatios(
  logProbs: UnsafePointer<Double>, behaviorLogProbs: UnsafePointer<Double>, count: Int, clip: Double,
  into out: UnsafeMutablePointer<Double>
) {
  for k in 0..<count { out[k] = Swift.min(_exp(logProbs[k] - behaviorLogProbs[k]), clip) }
}

/// Trajectory and per-decision importance weights on a time-major rollout:
/// - trajectory: w_t = Π_{j∈τ} ρ_j, the product over the whole episode
///   segment containing t (ordinary importance sampling of R(τ));
/// - per-decision: w_t = Π_{j≤t, j∈τ} ρ_j, the product up to step t
///   (Precup, Sutton & Singh 2000; the PDIS policy gradient weights
///   γ^t r_t by it);
/// each optionally truncated at `clip` (w ← min(w, c)). `ratios` are the
/// per-step ρ, [T, N]; the episode structure comes from `r`'s flags.
public func importanceWeights(
  _ r: Rollout, ratios: UnsafePointer<Double>, perDecision: Bool, clip: Double,
  into out: UnsafeMutablePointer<Double>
) {
  for i in 0..<r.count {
    var start = 0
    var product = 1.0
    for t in 0..<r.steps {
      product *= ratios[r.index(t, i)]
      if perDecision { out[r.index(t, i)] = Swift.min(product, clip) }
      if !r.continues(t, i) || t == r.steps - 1 {
        if !perDecision {
          for u in start...t { out[r.index(u, i)] = Swift.min(product, clip) }
        }
        start = t + 1
        product = 1
      }
    }
  }
}

/// Summary of a surrogate objective on a batch.
public struct SurrogateSummary: Sendable, Equatable {
  /// Mean of the per-sample objective.
  public var objective: Double
  /// Fraction of samples whose ratio lies outside [1 − ε, 1 + ε].
  public var clipFraction: Double
  /// Mean of (ρ − 1) − log ρ, the k3 estimate of KL(π_old ‖ π_θ).
  public var approxKL: Double
}

/// PPO's clipped surrogate (Schulman et al. 2017, eq. 7), per sample:
///   L_t = min(ρ_t Â_t, clip(ρ_t, 1 − ε, 1 + ε) Â_t),
/// and the weight w_t with ∇_θ L_t = w_t ∇_θ log π_θ(a_t|s_t): ρ_t Â_t when
/// the unclipped term is the minimum (it is not when Â_t > 0 and ρ_t > 1 + ε
/// or Â_t < 0 and ρ_t < 1 − ε), else 0. With ε = ∞ this is the importance-
/// weighted surrogate ρ_t Â_t (weight ρ_t Â_t).
public func clippedSurrogate(
  logProbs: UnsafePointer<Double>, oldLogProbs: UnsafePointer<Double>, advantages: UnsafePointer<Double>,
  count: Int, epsilon: Double, objectives: UnsafeMutablePointer<Double>?, weights: UnsafeMutablePointer<Double>?
) -> SurrogateSummary {
  var total = 0.0
  var clipped = 0
  var kl = 0.0
  for k in 0..<count {
    let logRatio = logProbs[k] - oldLogProbs[k]
    let rho = _exp(logRatio)
    let a = advantages[k]
    let unclipped = rho * a
    let bounded = Swift.min(Swift.max(rho, 1 - epsilon), 1 + epsilon) * a
    let l = Swift.min(unclipped, bounded)
    objectives?[k] = l
    let active = !((a > 0 && rho > 1 + epsilon) || (a < 0 && rho < 1 - epsilon))
    weights?[k] = active ? unclipped : 0
    total += l
    if abs(rho - 1) > epsilon { clipped += 1 }
    kl += (rho - 1) - logRatio
  }
  let n = Double(Swift.max(count, 1))
  return SurrogateSummary(objective: total / n, clipFraction: Double(clipped) / n, approxKL: kl / n)
}

/// Sample estimators of KL(π_old ‖ π_θ) from actions drawn by π_old
/// (Schulman 2020, "Approximating KL divergence"), with ρ = π_θ/π_old:
///   k1 = −log ρ (unbiased, high variance, can be negative),
///   k3 = (ρ − 1) − log ρ (unbiased, ≥ 0).
/// Their derivatives with respect to log π_θ are −1 and ρ − 1.
public func klEstimates(
  logProbs: UnsafePointer<Double>, oldLogProbs: UnsafePointer<Double>, count: Int,
  k1: UnsafeMutablePointer<Double>?, k3: UnsafeMutablePointer<Double>?
) {
  for k in 0..<count {
    let logRatio = logProbs[k] - oldLogProbs[k]
    k1?[k] = -logRatio
    k3?[k] = (_exp(logRatio) - 1) - logRatio
  }
}
