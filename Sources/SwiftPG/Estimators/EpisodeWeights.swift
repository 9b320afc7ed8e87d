/// Per-step weights Ψ_t of the score-function estimator ĝ = Σ_t Ψ_t ∇log π(a_t|s_t)
/// that depend on whole episodes, on time-major rollouts (`Rollout`; values
/// are not used). An episode segment starts at row 0 or after a step that
/// ended an episode (terminated or truncated) and runs to its end or the
/// last row. Within a segment, k is the step's index counted from its start.

/// Position of every step in its episode segment: `index[t, i]` = k.
public func episodeIndices(_ r: Rollout, into out: UnsafeMutablePointer<Int>) {
  for i in 0..<r.count {
    var k = 0
    for t in 0..<r.steps {
      out[r.index(t, i)] = k
      k = r.continues(t, i) ? k + 1 : 0
    }
  }
}

/// The whole episode's discounted return R(τ) = Σ_k γ^k r_k, assigned to
/// every step of the episode: the weight of plain REINFORCE
/// (Kochenderfer Alg. 11.4; Williams 1992).
public func episodeReturns(_ r: Rollout, gamma: Double, into out: UnsafeMutablePointer<Double>) {
  for i in 0..<r.count {
    var start = 0
    var total = 0.0
    var discount = 1.0
    for t in 0..<r.steps {
      total += discount * r.rewards[r.index(t, i)]
      discount *= gamma
      if !r.continues(t, i) || t == r.steps - 1 {
        for u in start...t { out[r.index(u, i)] = total }
        start = t + 1
        total = 0
        discount = 1
      }
    }
  }
}

/// γ^k · G_k: the reward-to-go discounted relative to step k, times γ^k, the
/// weight of the unbiased discounted policy gradient (Kochenderfer Alg.
/// 11.5: Σ_{ℓ≥k} γ^ℓ r_ℓ). Common implementations drop the γ^k factor
/// (`discountedReturns` alone), which biases the gradient for γ < 1.
public func discountedRewardToGo(_ r: Rollout, gamma: Double, into out: UnsafeMutablePointer<Double>) {
  let plain = Rollout(
    steps: r.steps, count: r.count, rewards: r.rewards, terminated: r.terminated, truncated: r.truncated,
    values: nil, finalValues: nil)
  discountedReturns(plain, gamma: gamma, into: out)
  for i in 0..<r.count {
    var factor = 1.0
    for t in 0..<r.steps {
      out[r.index(t, i)] *= factor
      factor = r.continues(t, i) ? factor * gamma : 1
    }
  }
}

/// Per-time-step mean baseline: b_k = mean of `returns` over the steps with
/// episode index k (k counted as in `episodeIndices`), subtracted in place.
public func subtractTimeStepMeanBaseline(
  _ r: Rollout, returns: UnsafeMutablePointer<Double>, indices: UnsafeMutablePointer<Int>
) {
  episodeIndices(r, into: indices)
  let total = r.steps * r.count
  var sums = [Double](repeating: 0, count: r.steps)
  var counts = [Int](repeating: 0, count: r.steps)
  for k in 0..<total {
    sums[indices[k]] += returns[k]
    counts[indices[k]] += 1
  }
  for k in 0..<total { returns[k] -= sums[indices[k]] / Double(counts[indices[k]]) }
}

/// Kochenderfer's optimal per-parameter baseline (Alg. 11.6) and the
/// gradient it gives.
///
/// With ℓ_i(k) the i-th component of the (γ^k-weighted) score vector of step
/// k and G_k its reward-to-go:
///   pooled:               b_i = Σ_k ℓ_i(k)² G_k / Σ_k ℓ_i(k)²  (over all steps),
///   per-trajectory ratio: b_i = mean_τ [ Σ_{k∈τ} ℓ_i(k)² G_k / Σ_{k∈τ} ℓ_i(k)² ]
///                         (what the book's code computes),
/// and ĝ_i = (1/m) Σ_k ℓ_i(k) (G_k − b_i) over m trajectories. Components
/// with Σ ℓ_i² = 0 get b_i = 0.
/// - Parameters:
///   - scores: `[M, P]` score vectors of M steps; `returns`: `[M]`;
///   - episodes: `[M]` trajectory id of each step (0..<m, any order).
public func optimalBaseline(
  scores: UnsafePointer<Double>, returns: UnsafePointer<Double>, episodes: UnsafePointer<Int32>,
  steps m: Int, parameters p: Int, trajectories: Int, perTrajectory: Bool,
  baseline: UnsafeMutablePointer<Double>, gradient: UnsafeMutablePointer<Double>
) {
  for j in 0..<p {
    if perTrajectory {
      var numerators = [Double](repeating: 0, count: trajectories)
      var denominators = numerators
      for k in 0..<m {
        let l2 = scores[k * p + j] * scores[k * p + j]
        numerators[Int(episodes[k])] += l2 * returns[k]
        denominators[Int(episodes[k])] += l2
      }
      var b = 0.0
      for e in 0..<trajectories where denominators[e] > 0 { b += numerators[e] / denominators[e] }
      baseline[j] = trajectories > 0 ? b / Double(trajectories) : 0
    } else {
      var numerator = 0.0
      var denominator = 0.0
      for k in 0..<m {
        let l2 = scores[k * p + j] * scores[k * p + j]
        numerator += l2 * returns[k]
        denominator += l2
      }
      baseline[j] = denominator > 0 ? numerator / denominator : 0
    }
    var g = 0.0
    for k in 0..<m { g += scores[k * p + j] * (returns[k] - baseline[j]) }
    gradient[j] = trajectories > 0 ? g / Double(trajectories) : 0
  }
}
