#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The preference losses of reward modelling and direct alignment, as pure
/// functions on arrays of N comparisons. Each returns the mean loss over the
/// N comparisons (with statistics) and writes the derivatives of that mean
/// with respect to its inputs into `inout` arrays (resized to N, or N·k).
///
/// Numerics: log σ(x) = −softplus(−x) with softplus(x) = max(x, 0) +
/// log1p(exp(−|x|)), and σ from exp(−|x|), so nothing overflows for score
/// differences of ±1e4 or beyond (the loss is then ≈ |x| and the derivative
/// ±1 or 0). Bad input (N = 0, mismatched sizes, non-finite values, β ≤ 0)
/// throws `SwiftPGError` before anything is written.
public enum PreferenceLosses {
  // MARK: - Stable scalar pieces

  /// softplus(x) = log(1 + eˣ), without overflow.
  @inlinable
  public static func softplus(_ x: Double) -> Double {
    Swift.max(x, 0) + log1p(exp(-Swift.abs(x)))
  }

  /// log σ(x) = −softplus(−x).
  @inlinable
  public static func logSigmoid(_ x: Double) -> Double { -softplus(-x) }

  /// σ(x) = 1/(1 + e⁻ˣ), without overflow.
  @inlinable
  public static func sigmoid(_ x: Double) -> Double {
    let e = exp(-Swift.abs(x))
    return x >= 0 ? 1 / (1 + e) : e / (1 + e)
  }

  // MARK: - Validation

  static func checkFinite(_ x: [Double], _ name: String) throws(SwiftPGError) {
    for (i, v) in x.enumerated() where !v.isFinite {
      throw SwiftPGError(.notFinite, "\(name)[\(i)] is \(v)")
    }
  }

  static func checkPairs(_ a: [Double], _ b: [Double], _ na: String, _ nb: String) throws(SwiftPGError) {
    try require(!a.isEmpty, "\(na) is empty: at least one comparison is needed")
    try require(a.count == b.count, "\(na) has \(a.count) entries but \(nb) has \(b.count)")
    try checkFinite(a, na)
    try checkFinite(b, nb)
  }

  // MARK: - Bradley–Terry (pairwise reward-model loss)

  /// Statistics of a pairwise reward-model loss.
  public struct PairwiseResult: Sendable, Equatable {
    /// Mean loss over the pairs (including the centring term).
    public var loss: Double
    /// Fraction of pairs with r_c > r_r, ties counted ½.
    public var accuracy: Double
    /// Mean of r_c − r_r.
    public var meanMargin: Double
  }

  /// The Bradley–Terry reward-model loss (Ouyang et al. 2022; Bai et al.
  /// 2022), with an optional per-pair margin m (Touvron et al. 2023,
  /// "Llama 2", eq. 2) and an optional reward-centring term (Eisenstein et
  /// al. 2023, "Helping or herding?", the auxiliary loss that pins the
  /// free additive constant of a BT reward):
  ///
  ///   L = (1/N) Σₙ [ −log σ(r_c,n − r_r,n − m_n) + c·(r_c,n + r_r,n)² ]
  ///
  /// Shapes: `chosen`, `rejected`, `margins` (optional) are `[N]`;
  /// `centring` c ≥ 0. Writes ∂L/∂r_c and ∂L/∂r_r (`[N]`):
  ///   ∂L/∂r_c = (−σ(−(Δ − m)) + 2c(r_c + r_r))/N,
  ///   ∂L/∂r_r = (+σ(−(Δ − m)) + 2c(r_c + r_r))/N.
  /// Accuracy ignores margins: r_c > r_r counts 1, r_c = r_r counts ½.
  public static func bradleyTerry(
    chosen: [Double], rejected: [Double], margins: [Double]? = nil, centring: Double = 0,
    dChosen: inout [Double], dRejected: inout [Double]
  ) throws(SwiftPGError) -> PairwiseResult {
    try checkPairs(chosen, rejected, "chosen", "rejected")
    let n = chosen.count
    if let margins {
      try require(margins.count == n, "margins has \(margins.count) entries for \(n) pairs")
      try checkFinite(margins, "margins")
    }
    try require(centring.isFinite && centring >= 0, "centring coefficient must be finite and >= 0, got \(centring)")
    if dChosen.count != n { dChosen = Array(repeating: 0, count: n) }
    if dRejected.count != n { dRejected = Array(repeating: 0, count: n) }
    let inv = 1 / Double(n)
    var loss = 0.0, correct = 0.0, margin = 0.0
    for i in 0..<n {
      let d = chosen[i] - rejected[i]
      let x = d - (margins?[i] ?? 0)
      let s = chosen[i] + rejected[i]
      loss += softplus(-x) + centring * s * s
      let g = sigmoid(-x)
      dChosen[i] = (-g + 2 * centring * s) * inv
      dRejected[i] = (g + 2 * centring * s) * inv
      correct += d > 0 ? 1 : (d == 0 ? 0.5 : 0)
      margin += d
    }
    guard loss.isFinite else { throw SwiftPGError(.numerical, "the Bradley–Terry loss overflowed (centring term)") }
    return PairwiseResult(loss: loss * inv, accuracy: correct * inv, meanMargin: margin * inv)
  }

  // MARK: - k-way ranking loss

  /// C(k, 2) = k(k − 1)/2.
  static func pairCount(_ k: Int) -> Int { k * (k - 1) / 2 }

  /// Checks `rankings` `[N, k]`: each row a permutation of 0..<k.
  static func checkRankings(_ rankings: [Int32], rows: Int, k: Int) throws(SwiftPGError) {
    try require(k >= 2, "a ranking needs k >= 2 candidates, got \(k)")
    try require(k <= 1 << 16, "at most 65536 candidates per ranking, got \(k)", code: .tooLarge)
    try require(rows >= 1, "at least one ranking is needed")
    let total = try checkedProduct(rows, k, "rankings")
    try require(rankings.count == total, "rankings has \(rankings.count) entries, expected \(rows) × \(k)")
    var seen = [Int](repeating: -1, count: k)
    for r in 0..<rows {
      for a in 0..<k {
        let c = Int(rankings[r * k + a])
        try require(c >= 0 && c < k, "ranking \(r) names candidate \(c), outside 0..<\(k)")
        try require(seen[c] != r, "ranking \(r) lists candidate \(c) twice")
        seen[c] = r
      }
    }
  }

  /// The k-way ranking loss of InstructGPT (Ouyang et al. 2022, eq. 1): all
  /// C(k, 2) pairs of one ranking in one term,
  ///
  ///   L = (1/N) Σₙ −(1/C(k,2)) Σ_{i ranked above j} log σ(r_n,i − r_n,j).
  ///
  /// Shapes: `scores` `[N, k]` (score of candidate j of comparison n);
  /// `rankings` `[N, k]` (Int32), row n lists the candidates best first and
  /// must be a permutation of 0..<k (k ≥ 2; repeats are rejected). Writes
  /// ∂L/∂scores `[N, k]`. With k = 2 this is `bradleyTerry` without margins
  /// or centring. Accuracy: the fraction of the ranked pairs that the scores
  /// order the same way (ties ½).
  public static func ranking(
    scores: [Double], rankings: [Int32], k: Int, dScores: inout [Double]
  ) throws(SwiftPGError) -> PairwiseResult {
    try require(k >= 2, "a ranking needs k >= 2 candidates, got \(k)")
    try require(!scores.isEmpty && scores.count % k == 0, "scores has \(scores.count) entries, not a multiple of k = \(k)")
    let rows = scores.count / k
    try checkRankings(rankings, rows: rows, k: k)
    try checkFinite(scores, "scores")
    if dScores.count != scores.count { dScores = Array(repeating: 0, count: scores.count) }
    for i in dScores.indices { dScores[i] = 0 }
    let pairs = Double(pairCount(k))
    let w = 1 / (pairs * Double(rows))
    var loss = 0.0, correct = 0.0, margin = 0.0
    for r in 0..<rows {
      let base = r * k
      for a in 0..<(k - 1) {
        let i = base + Int(rankings[base + a])
        for b in (a + 1)..<k {
          let j = base + Int(rankings[base + b])
          let d = scores[i] - scores[j]
          loss += softplus(-d)
          let g = sigmoid(-d) * w
          dScores[i] -= g
          dScores[j] += g
          correct += d > 0 ? 1 : (d == 0 ? 0.5 : 0)
          margin += d
        }
      }
    }
    guard loss.isFinite && margin.isFinite else {
      throw SwiftPGError(.numerical, "the ranking loss overflowed (score differences too large)")
    }
    return PairwiseResult(loss: loss * w, accuracy: correct * w, meanMargin: margin * w)
  }

  // MARK: - DPO and IPO

  /// Statistics of a direct-alignment loss (DPO, IPO), as TRL's
  /// `DPOTrainer` logs them: implicit rewards β·(log π − log π_ref).
  public struct DirectResult: Sendable, Equatable {
    /// Mean loss.
    public var loss: Double
    /// Mean implicit reward of the chosen responses, β(log π − log π_ref)(y_w).
    public var chosenReward: Double
    /// Mean implicit reward of the rejected responses.
    public var rejectedReward: Double
    /// Fraction of pairs whose chosen implicit reward exceeds the rejected
    /// one (ties ½).
    public var rewardAccuracy: Double
    /// Mean of (chosen − rejected) implicit reward, i.e. mean β·h.
    public var rewardMargin: Double

    /// Adds `weight` × each field of `r` (for weighted means over minibatches).
    public mutating func accumulate(_ r: DirectResult, weight: Double) {
      loss += weight * r.loss
      chosenReward += weight * r.chosenReward
      rejectedReward += weight * r.rejectedReward
      rewardAccuracy += weight * r.rewardAccuracy
      rewardMargin += weight * r.rewardMargin
    }

    mutating func scale(by c: Double) {
      loss *= c
      chosenReward *= c
      rejectedReward *= c
      rewardAccuracy *= c
      rewardMargin *= c
    }
  }

  /// The log-ratio difference of a pair,
  ///   h = [log π(y_w) − log π_ref(y_w)] − [log π(y_l) − log π_ref(y_l)].
  @inlinable
  public static func logRatioDifference(
    policyChosen: Double, policyRejected: Double, referenceChosen: Double, referenceRejected: Double
  ) -> Double {
    (policyChosen - referenceChosen) - (policyRejected - referenceRejected)
  }

  static func checkDirect(
    _ pc: [Double], _ pr: [Double], _ rc: [Double], _ rr: [Double]
  ) throws(SwiftPGError) {
    try checkPairs(pc, pr, "policy_chosen", "policy_rejected")
    try require(
      rc.count == pc.count && rr.count == pc.count,
      "reference log-probabilities have \(rc.count) and \(rr.count) entries for \(pc.count) pairs")
    try checkFinite(rc, "reference_chosen")
    try checkFinite(rr, "reference_rejected")
  }

  /// `weights` scaled by a power of two (exactly) so the largest is in
  /// [1, 2): only their ratios matter, and sums of them never overflow.
  /// Throws unless every weight is finite and ≥ 0 with a positive sum.
  static func scaledWeights(_ weights: [Double], count n: Int) throws(SwiftPGError) -> [Double] {
    try require(weights.count == n, "weights have \(weights.count) entries for \(n) pairs")
    var largest = 0.0
    for (i, w) in weights.enumerated() {
      try require(w.isFinite && w >= 0, "weights[\(i)] must be finite and >= 0, got \(w)", code: .notFinite)
      largest = Swift.max(largest, w)
    }
    try require(largest > 0, "the pair weights sum to 0")
    let scale = Double(sign: .plus, exponent: Swift.min(-largest.exponent, 1023), significand: 1)
    return weights.map { $0 * scale }
  }

  /// The pair weights w_n / Σ w (uniform 1/N without `weights`), from the
  /// scaled weights (see `scaledWeights`).
  static func pairShares(_ weights: [Double]?, count n: Int) throws(SwiftPGError) -> [Double] {
    guard let weights else { return Array(repeating: 1 / Double(n), count: n) }
    let scaled = try scaledWeights(weights, count: n)
    let total = scaled.reduce(0, +)
    return scaled.map { $0 / total }
  }

  /// The implicit-reward statistics, Σ w·x / Σ w over the pairs with the
  /// scaled weights (1 without weights); throws `.numerical` when they (or
  /// `loss`) overflow.
  static func directStats(
    loss: Double, _ pc: [Double], _ pr: [Double], _ rc: [Double], _ rr: [Double], scale: Double, weights: [Double]?,
    _ name: String
  ) throws(SwiftPGError) -> DirectResult {
    let weights = try weights.map { (w) throws(SwiftPGError) in try scaledWeights(w, count: pc.count) }
    var cw = 0.0, rw = 0.0, acc = 0.0, margin = 0.0, total = 0.0
    for i in pc.indices {
      let a = scale * (pc[i] - rc[i])
      let b = scale * (pr[i] - rr[i])
      let w = weights?[i] ?? 1
      cw += w * a
      rw += w * b
      acc += w * (a > b ? 1 : (a == b ? 0.5 : 0))
      margin += w * (a - b)
      total += w
    }
    let r = DirectResult(
      loss: loss, chosenReward: cw / total, rejectedReward: rw / total, rewardAccuracy: acc / total,
      rewardMargin: margin / total)
    guard r.loss.isFinite && r.chosenReward.isFinite && r.rejectedReward.isFinite && r.rewardMargin.isFinite else {
      throw SwiftPGError(
        .numerical, "the \(name) loss or its implicit rewards overflowed (log-ratios too large for scale \(scale))")
    }
    return r
  }

  /// Direct Preference Optimization (Rafailov et al. 2023, eq. 7), with
  /// optional label smoothing ε (the "conservative DPO" of Mitchell 2023,
  /// TRL's `label_smoothing`: the label is flipped with probability ε):
  ///
  ///   L = (1/N) Σₙ [ −(1 − ε) log σ(β hₙ) − ε log σ(−β hₙ) ],
  ///
  /// hₙ the log-ratio difference (`logRatioDifference`) of per-sequence
  /// log-probability sums. Shapes: all four inputs `[N]`; β > 0;
  /// ε ∈ [0, ½). Writes ∂L/∂log π(y_w) and ∂L/∂log π(y_l) (`[N]`):
  ///
  ///   ∂L/∂log π(y_w) = −∂L/∂log π(y_l) = −β [(1 − ε) σ(−β h) − ε σ(β h)] / N,
  ///
  /// which for ε = 0 is the paper's weight β σ(−β h) = β σ(r̂_l − r̂_w): pairs the
  /// implicit reward already orders correctly get little weight. The
  /// reference log-probabilities are constants (no derivative). With pair
  /// `weights` (≥ 0, positive sum; nil: uniform) the mean is the weighted
  /// one, Σ wₙ ℓₙ / Σ w, and so are the derivatives and statistics — a data
  /// set of every pair weighted by its probability gives the population loss.
  public static func dpo(
    policyChosen: [Double], policyRejected: [Double], referenceChosen: [Double], referenceRejected: [Double],
    beta: Double, labelSmoothing: Double = 0, weights: [Double]? = nil, dPolicyChosen: inout [Double],
    dPolicyRejected: inout [Double]
  ) throws(SwiftPGError) -> DirectResult {
    try require(beta.isFinite && beta > 0, "beta must be finite and > 0, got \(beta)")
    try require(
      labelSmoothing.isFinite && labelSmoothing >= 0 && labelSmoothing < 0.5,
      "label smoothing must be in [0, 0.5), got \(labelSmoothing)")
    try checkDirect(policyChosen, policyRejected, referenceChosen, referenceRejected)
    let n = policyChosen.count
    let shares = try pairShares(weights, count: n)
    if dPolicyChosen.count != n { dPolicyChosen = Array(repeating: 0, count: n) }
    if dPolicyRejected.count != n { dPolicyRejected = Array(repeating: 0, count: n) }
    let eps = labelSmoothing
    var loss = 0.0
    for i in 0..<n {
      let h = logRatioDifference(
        policyChosen: policyChosen[i], policyRejected: policyRejected[i],
        referenceChosen: referenceChosen[i], referenceRejected: referenceRejected[i])
      let x = beta * h
      loss += shares[i] * ((1 - eps) * softplus(-x) + (eps > 0 ? eps * softplus(x) : 0))
      let g = -beta * ((1 - eps) * sigmoid(-x) - (eps > 0 ? eps * sigmoid(x) : 0)) * shares[i]
      dPolicyChosen[i] = g
      dPolicyRejected[i] = -g
    }
    return try directStats(
      loss: loss, policyChosen, policyRejected, referenceChosen, referenceRejected, scale: beta, weights: weights, "DPO")
  }

  /// Identity Preference Optimization (Azar et al. 2023, "A general
  /// theoretical paradigm to understand learning from human preferences",
  /// eq. 17, the empirical IPO loss):
  ///
  ///   L = (1/N) Σₙ (hₙ − 1/(2τ))²,
  ///
  /// h the same log-ratio difference as DPO (not multiplied by anything).
  /// The paper's regulariser τ is the argument `tau`; TRL calls it `beta`
  /// for `loss_type="ipo"` (`(logits − 1/(2β))²`), but TRL's DPOTrainer
  /// first divides each sequence log-probability by its token count (a
  /// per-token mean) for IPO, while h here is whatever the caller passes
  /// (the trainers pass sums over response tokens, the paper's form): to
  /// reproduce TRL, pass length-normalised log-probabilities. The minimiser is
  /// h = 1/(2τ): a small τ (weak regularisation) asks for a large log-ratio
  /// gap, but never an infinite one, unlike DPO on deterministic labels.
  /// Shapes and derivatives as `dpo`:
  ///   ∂L/∂log π(y_w) = −∂L/∂log π(y_l) = 2(h − 1/(2τ))/N.
  /// The implicit-reward statistics use τ as the scale (TRL's convention).
  public static func ipo(
    policyChosen: [Double], policyRejected: [Double], referenceChosen: [Double], referenceRejected: [Double],
    tau: Double, weights: [Double]? = nil, dPolicyChosen: inout [Double], dPolicyRejected: inout [Double]
  ) throws(SwiftPGError) -> DirectResult {
    try require(tau.isFinite && tau > 0, "tau must be finite and > 0, got \(tau)")
    try checkDirect(policyChosen, policyRejected, referenceChosen, referenceRejected)
    let n = policyChosen.count
    let shares = try pairShares(weights, count: n)
    if dPolicyChosen.count != n { dPolicyChosen = Array(repeating: 0, count: n) }
    if dPolicyRejected.count != n { dPolicyRejected = Array(repeating: 0, count: n) }
    let target = 1 / (2 * tau)
    var loss = 0.0
    for i in 0..<n {
      let h = logRatioDifference(
        policyChosen: policyChosen[i], policyRejected: policyRejected[i],
        referenceChosen: referenceChosen[i], referenceRejected: referenceRejected[i])
      let e = h - target
      loss += shares[i] * e * e
      dPolicyChosen[i] = 2 * e * shares[i]
      dPolicyRejected[i] = -2 * e * shares[i]
    }
    return try directStats(
      loss: loss, policyChosen, policyRejected, referenceChosen, referenceRejected, scale: tau, weights: weights, "IPO")
  }
}
