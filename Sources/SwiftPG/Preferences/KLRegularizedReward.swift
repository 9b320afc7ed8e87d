/// The KL-regularised reward of RLHF (Ziegler et al. 2019; Stiennon et al.
/// 2020 eq. 1; Ouyang et al. 2022 eq. 2):
///
///   R̂(x, y) = r(x, y) − β log(π(y|x) / π_ref(y|x)),
///
/// with the log-ratio of the sequence written as a sum over its generated
/// positions t < n of a per-token penalty kl_t, and the estimator of that
/// penalty always stated: k1 = log π(y_t) − log π_ref(y_t) (the plain
/// log-ratio: unbiased, can be negative), k2 = ½ (k1)² (biased, ≥ 0, low
/// variance) or k3 = (r − 1) − log r with r = π_ref(y_t)/π(y_t) (unbiased,
/// ≥ 0; Schulman 2020) at the sampled tokens — or the exact per-token
/// KL(π(·|c_t) ‖ π_ref(·|c_t)) over the vocabulary
/// (`SequencePolicy.tokenKL`), passed in as the penalties.
///
/// Arrays: per-token `[B, L]` row-major, positions ≥ lengths[b] ignored on
/// input and 0 on output; lengths `[B]` in 1…L.
public enum KLRegularizedReward {
  public enum Estimator: Int32, Sendable, CaseIterable {
    case k1 = 1
    case k2 = 2
    case k3 = 3
  }

  static func check(_ lengths: [Int32], maxLength l: Int, arrays: [(String, [Double])]) throws(SwiftPGError) {
    try require(l >= 1, "max_length must be >= 1, got \(l)")
    let cells = try checkedProduct(lengths.count, l, "responses × max_length")
    for (b, n) in lengths.enumerated() where n < 1 || Int(n) > l {
      throw SwiftPGError.invalid("lengths[\(b)] must be in [1, \(l)], got \(n)")
    }
    for (name, a) in arrays {
      try require(a.count == cells, "\(name) must have \(lengths.count) × \(l) entries, got \(a.count)")
      for (b, n) in lengths.enumerated() {
        for t in 0..<Int(n) where !a[b * l + t].isFinite {
          throw SwiftPGError(.notFinite, "\(name)[\(b), \(t)] must be finite, got \(a[b * l + t])")
        }
      }
    }
  }

  static func checkBeta(_ beta: Double) throws(SwiftPGError) {
    try require(beta.isFinite && beta >= 0, "beta (the KL coefficient) must be finite and >= 0, got \(beta)")
  }

  /// The per-token penalties kl_t of `estimator` from the policy's and the
  /// reference's log-probabilities of the sampled tokens (`[B, L]` each).
  public static func penalties(
    logProbabilities lp: [Double], referenceLogProbabilities lq: [Double], lengths: [Int32], maxLength l: Int,
    estimator: Estimator
  ) throws(SwiftPGError) -> [Double] {
    try check(lengths, maxLength: l, arrays: [("log_probs", lp), ("ref_log_probs", lq)])
    var out = [Double](repeating: 0, count: lp.count)
    for (b, n) in lengths.enumerated() {
      for t in 0..<Int(n) {
        let i = b * l + t
        let logRatio = lp[i] - lq[i]  // log π − log π_ref = −log r
        out[i] =
          switch estimator {
          case .k1: logRatio
          case .k2: 0.5 * logRatio * logRatio
          case .k3: KLEstimates.k3(logR: -logRatio)
          }
      }
    }
    try require(
      out.allFinite, "the \(estimator) penalties overflow (π_ref/π beyond the Double range)", code: .numerical)
    return out
  }

  /// Sequence level: R̂_b = r_b − β Σ_{t < n_b} kl_bt, `[B]`.
  public static func sequenceRewards(
    rewards: [Double], penalties: [Double], lengths: [Int32], maxLength l: Int, beta: Double
  ) throws(SwiftPGError) -> [Double] {
    try checkRewards(rewards, penalties, lengths, maxLength: l, beta: beta)
    let out = lengths.indices.map { b in
      var kl = 0.0
      for t in 0..<Int(lengths[b]) { kl += penalties[b * l + t] }
      return rewards[b] - beta * kl
    }
    try require(out.allFinite, "the KL-regularised rewards overflow", code: .numerical)
    return out
  }

  /// Per token: R̂_bt = −β kl_bt, plus r_b at the response's last generated
  /// position t = n_b − 1 (where the reward model scores the whole response,
  /// as in the PPO of Ziegler et al. 2019), `[B, L]`. Summed over t it is
  /// the sequence-level reward.
  public static func tokenRewards(
    rewards: [Double], penalties: [Double], lengths: [Int32], maxLength l: Int, beta: Double
  ) throws(SwiftPGError) -> [Double] {
    try checkRewards(rewards, penalties, lengths, maxLength: l, beta: beta)
    var out = [Double](repeating: 0, count: penalties.count)
    for (b, n) in lengths.enumerated() {
      for t in 0..<Int(n) { out[b * l + t] = -beta * penalties[b * l + t] }
      out[b * l + Int(n) - 1] += rewards[b]
    }
    try require(out.allFinite, "the KL-regularised token rewards overflow", code: .numerical)
    return out
  }

  /// β, the rewards `[B]` and the penalties `[B, L]` of both reward forms.
  static func checkRewards(
    _ rewards: [Double], _ penalties: [Double], _ lengths: [Int32], maxLength l: Int, beta: Double
  ) throws(SwiftPGError) {
    try checkBeta(beta)
    try require(rewards.count == lengths.count, "rewards must have \(lengths.count) entries, got \(rewards.count)")
    for (b, r) in rewards.enumerated() where !r.isFinite {
      throw SwiftPGError(.notFinite, "rewards[\(b)] must be finite, got \(r)")
    }
    try check(lengths, maxLength: l, arrays: [("penalties", penalties)])
  }
}
