/// Baird's counterexample (Baird 1995; Sutton & Barto 2018, Example 11.1,
/// Figure 11.2): linear semi-gradient TD(0) diverging off-policy — the
/// "deadly triad" of function approximation, bootstrapping and off-policy
/// training, with all three in their mildest form.
///
/// Seven states. The *dashed* action moves to one of the six upper states
/// (1–6) with equal probability, the *solid* action to the lower state 7.
/// Every reward is 0, γ = 0.99, so v_π = 0 and w = 0 represents it exactly.
/// Behaviour b: dashed with probability 6/7, solid 1/7 — the next state is
/// then uniform over the seven whatever the current one, so b's on-policy
/// state distribution is uniform. Target π: always solid — its on-policy
/// distribution is all on state 7. Linear values v̂(s) = wᵀx(s), w ∈ ℝ⁸:
///   x(i) = 2eᵢ + e₈ (i = 1…6),  x(7) = e₇ + 2e₈,
/// starting from w₀ = (1, 1, 1, 1, 1, 1, 10, 1).
///
/// Two updates, each under a chosen state distribution μ:
/// - sampled, off-policy semi-gradient TD(0) (S&B eq. 11.2):
///   S ~ μ, A ~ b, S′ from the dynamics, ρ = π(A|S)/b(A|S) (7 for solid,
///   0 for dashed), w ← w + α ρ (R + γ v̂(S′) − v̂(S)) x(S);
///   with μ uniform the states are distributed exactly as along b's own
///   trajectory;
/// - expected (DP) semi-gradient TD(0) (S&B Figure 11.2, right):
///   w ← w + α Σ_s μ(s) (E_π[R + γ v̂(S′) | s] − v̂(s)) x(s)
///     = w + α Σ_s μ(s) (γ v̂(7) − v̂(s)) x(s).
/// Under μ uniform (b's distribution) both diverge for any α > 0; under μ on
/// state 7 (π's distribution) the same updates converge: w moves only along
/// x(7) and v̂(7) contracts by (1 − α(1 − γ)‖x(7)‖²) per expected step.
/// Policy-gradient methods avoid the triad's bootstrapped fixed point: they
/// ascend J(θ) itself (REINFORCE is a true gradient method).
public enum BairdCounterexample {
  public static let stateCount = 7
  public static let featureCount = 8
  public static let gamma = 0.99
  /// Index of the lower state (state 7 of the book, 0-based 6).
  public static let lowerState = 6
  /// b(solid | s) = 1/7 for every s; b(dashed | s) = 6/7.
  public static let behaviourSolidProbability = 1.0 / 7.0
  /// w₀ of the book's figure.
  public static let initialWeights: [Double] = [1, 1, 1, 1, 1, 1, 10, 1]

  public enum Action: Int, Sendable {
    case dashed = 0
    case solid = 1
  }

  /// x(s) for states 0…6 (the book's 1…7).
  public static func features(_ s: Int) -> [Double] {
    var x = [Double](repeating: 0, count: featureCount)
    guard s >= 0 && s < stateCount else { return x }
    if s == lowerState {
      x[6] = 1
      x[7] = 2
    } else {
      x[s] = 2
      x[7] = 1
    }
    return x
  }

  /// v̂(s) = wᵀx(s).
  public static func value(_ w: [Double], _ s: Int) -> Double {
    let x = features(s)
    var v = 0.0
    for k in 0..<Swift.min(w.count, featureCount) { v += w[k] * x[k] }
    return v
  }

  /// π(A|s)/b(A|s): 7 for solid (π always takes it), 0 for dashed.
  public static func importanceRatio(_ a: Action) -> Double {
    a == .solid ? 1 / behaviourSolidProbability : 0
  }

  /// The distribution of states under the behaviour policy (uniform) and
  /// under the target policy (all on the lower state).
  public static var behaviourDistribution: [Double] { Array(repeating: 1 / Double(stateCount), count: stateCount) }
  public static var targetDistribution: [Double] {
    (0..<stateCount).map { $0 == lowerState ? 1 : 0 }
  }

  /// One sampled off-policy semi-gradient TD(0) update of `w` on the
  /// transition (s, a, s′) with reward 0.
  public static func sampledUpdate(_ w: inout [Double], state s: Int, action a: Action, next: Int, alpha: Double) {
    let rho = importanceRatio(a)
    guard rho != 0 else { return }
    let delta = 0 + gamma * value(w, next) - value(w, s)
    let x = features(s)
    for k in 0..<featureCount { w[k] += alpha * rho * delta * x[k] }
  }

  /// One transition: S ~ `distribution`, A ~ b, S′ from the dynamics.
  public static func sampleTransition(
    distribution mu: [Double], using rng: inout some RandomNumberGenerator
  ) -> (state: Int, action: Action, next: Int) {
    let s = draw(mu, using: &rng)
    let a: Action = rng.nextUnitDouble() < behaviourSolidProbability ? .solid : .dashed
    let next = a == .solid ? lowerState : Int.random(in: 0..<(stateCount - 1), using: &rng)
    return (s, a, next)
  }

  /// `steps` sampled updates from `w0` with states drawn from
  /// `distribution` (7 probabilities summing to 1); returns ‖w‖ after each.
  public static func runSampled(
    distribution mu: [Double], alpha: Double, steps: Int, from w0: [Double] = initialWeights,
    using rng: inout some RandomNumberGenerator
  ) throws(SwiftPGError) -> (weights: [Double], norms: [Double]) {
    try run(distribution: mu, alpha: alpha, count: steps, from: w0) { w in
      let t = sampleTransition(distribution: mu, using: &rng)
      sampledUpdate(&w, state: t.state, action: t.action, next: t.next, alpha: alpha)
    }
  }

  /// One expected (DP) semi-gradient update of `w` under the state
  /// distribution `mu`: w ← w + α Σ_s μ(s)(γ v̂(7) − v̂(s)) x(s).
  public static func expectedUpdate(_ w: inout [Double], distribution mu: [Double], alpha: Double) {
    let target = gamma * value(w, lowerState)
    var step = [Double](repeating: 0, count: featureCount)
    for s in 0..<Swift.min(stateCount, mu.count) where mu[s] != 0 {
      let delta = target - value(w, s)
      let x = features(s)
      for k in 0..<featureCount { step[k] += mu[s] * delta * x[k] }
    }
    for k in 0..<featureCount { w[k] += alpha * step[k] }
  }

  /// `sweeps` expected updates from `w0`; returns ‖w‖ after each.
  public static func runExpected(
    distribution mu: [Double], alpha: Double, sweeps: Int, from w0: [Double] = initialWeights
  ) throws(SwiftPGError) -> (weights: [Double], norms: [Double]) {
    try run(distribution: mu, alpha: alpha, count: sweeps, from: w0) { w in
      expectedUpdate(&w, distribution: mu, alpha: alpha)
    }
  }

  /// Validates the arguments, then applies `update` `count` times from
  /// `w0`, recording ‖w‖ after each.
  private static func run(
    distribution mu: [Double], alpha: Double, count: Int, from w0: [Double], _ update: (inout [Double]) -> Void
  ) throws(SwiftPGError) -> (weights: [Double], norms: [Double]) {
    try require(mu.count == stateCount, "a state distribution has \(stateCount) entries, got \(mu.count)")
    try require(mu.allSatisfy { $0.isFinite && $0 >= 0 }, "state probabilities must be finite and >= 0")
    try require(abs(mu.reduce(0, +) - 1) < 1e-9, "state probabilities must sum to 1, got \(mu.reduce(0, +))")
    try require(alpha.isFinite && alpha > 0, "alpha must be finite and > 0, got \(alpha)")
    try require(count >= 0 && count <= 1 << 24, "the number of updates must be in [0, 2^24], got \(count)")
    try require(w0.count == featureCount, "expected \(featureCount) weights, got \(w0.count)")
    var w = w0
    var norms: [Double] = []
    norms.reserveCapacity(count)
    for _ in 0..<count {
      update(&w)
      norms.append(Statistics.norm(w))
    }
    return (w, norms)
  }

  /// Inverse-CDF draw of an index from probabilities `p`.
  private static func draw(_ p: [Double], using rng: inout some RandomNumberGenerator) -> Int {
    let u = rng.nextUnitDouble()
    var c = 0.0
    for (i, q) in p.enumerated() {
      c += q
      if u < c { return i }
    }
    return (p.lastIndex { $0 > 0 }) ?? 0
  }
}
