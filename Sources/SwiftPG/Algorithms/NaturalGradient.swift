/// The natural-gradient step shared by NPG (NPG.swift) and TRPO
/// (TRPO.swift) on N × T rollouts (REFERENCE.md §4):
/// 1. V(s_t), GAE advantages Â (normalised if configured), targets;
/// 2. g = ∇ of the surrogate L(θ) = mean ρ_t Â_t + c_H · mean H(π_θ(·|s_t))
///    at θ_old, i.e. (1/M) Σ Â_t ∇log π(a_t|s_t) + c_H ∇ mean H (c_H =
///    `entropyCoef`, 0 by default as in Schulman et al.);
/// 3. x ≈ (F + damping·I)⁻¹ g by `cgIterations` of conjugate gradient on
///    Fisher-vector products (F = mean over states of the action Fisher);
/// 4. the full step Δ = √(2δ / xᵀFx) · x, which meets KL ≈ δ to second order.
/// The learners then step (NPG: θ + Δ; TRPO: a line search along Δ) and
/// fit the critic.
extension CommonFields {
  /// NPG's and TRPO's reference settings of the critic's optimiser (the
  /// policy takes the natural step): Adam, lr 1e-3, no clipping.
  public static let naturalGradient = CommonFields(learningRate: 1e-3, adamEpsilon: 1e-5)
}

extension SegmentFields {
  /// NPG's and TRPO's reference segments: T = 256, GAE λ 0.95, 10 critic
  /// passes of minibatches of 128.
  public static let naturalGradient = SegmentFields(
    stepsPerEnv: 256, gaeLambda: 0.95, valueEpochs: 10, minibatchSize: 128)
}

/// Steps 1–4 above, with the scratch they need.
final class NaturalGradientStep {
  let estimates = ValueEstimates()
  let advantages = Store<Double>()
  private let scaledAdvantages = Store<Double>()
  private let entropyWeights = Store<Double>()
  private let entropyGradient = Store<Double>()
  private let logProbs = Store<Double>()
  private let entropies = Store<Double>()

  /// The direction x, xᵀFx, the step scale β = √(2δ / xᵀFx) and L(θ_old).
  struct Direction {
    var x: [Double]
    var xFx: Double
    var surrogateOld: Double
  }

  /// Steps 1–3 on the batch; fills the critic and gradient statistics of `s`.
  func direction<C: NaturalGradientSettings>(
    _ core: LearnerCore, _ config: C, _ d: Trajectories, _ s: inout TrainStats
  ) throws(SwiftPGError) -> Direction {
    let policy = core.policy
    let m = d.count
    let p = policy.parameterCount
    let obs = d.observations.pointer
    // 1. Advantages.
    try estimates.estimate(d, core: core, config: config, &s)
    let adv = advantages.reserve(m)
    adv.update(from: estimates.advantages.pointer, count: m)
    if config.segments.normalizeAdvantages { standardize(adv, count: m, center: true) }
    // 2. Surrogate gradient at θ_old.
    let scaled = scaledAdvantages.reserve(m)
    for k in 0..<m { scaled[k] = adv[k] / Double(m) }
    var g = [Double](repeating: 0, count: p)
    g.withUnsafeMutableBufferPointer { gp in
      guard let base = gp.baseAddress else { return }
      policy.scoreGradient(obs, rawActions: d.actions, weights: scaled, batch: m, into: base)
      if config.common.entropyCoef != 0 {
        // entropyGradient overwrites its output: add it to the score part.
        let we = entropyWeights.reserve(m)
        for k in 0..<m { we[k] = config.common.entropyCoef / Double(m) }
        let eg = entropyGradient.reserve(p)
        policy.entropyGradient(obs, weights: we, batch: m, into: eg)
        for i in 0..<p { base[i] += eg[i] }
      }
    }
    guard g.allFinite else { throw core.numerical("the policy gradient") }
    s.gradNorm = Statistics.norm(g)
    let surrogateOld = surrogate(policy, d, entropyCoef: config.common.entropyCoef)
    s.policyLoss = -surrogateOld
    // 3. Conjugate gradient on F + damping·I.
    let damping = config.natural.cgDamping
    let fvp: ([Double]) -> [Double] = { v in
      var out = [Double](repeating: 0, count: p)
      v.withUnsafeBufferPointer { vp in
        out.withUnsafeMutableBufferPointer { op in
          guard let vb = vp.baseAddress, let ob = op.baseAddress else { return }
          policy.fisherVectorProduct(obs, batch: m, vector: vb, into: ob)
        }
      }
      for i in 0..<p { out[i] += damping * v[i] }
      return out
    }
    let x = conjugateGradient(fvp, g, iterations: config.natural.cgIterations)
    // 4. xᵀFx for the step scale.
    let fx = fvp(x)
    var xFx = 0.0
    for i in 0..<p { xFx += x[i] * fx[i] }
    guard xFx.isFinite, xFx >= 0 else { throw core.numerical("xᵀFx of the natural step") }
    return Direction(x: x, xFx: xFx, surrogateOld: surrogateOld)
  }

  /// L(θ) = mean exp(log π_θ − log π_old) Â (+ c_H mean H(π_θ) when entropyCoef ≠ 0)
  /// with the (normalised) advantages of the last `direction` call.
  func surrogate(_ policy: any Policy, _ d: Trajectories, entropyCoef: Double) -> Double {
    let m = d.count
    let adv = advantages.pointer
    let lp = logProbs.reserve(m)
    policy.logProbabilities(d.observations.pointer, actions: d.actions, batch: m, into: lp)
    var total = 0.0
    for k in 0..<m { total += _exp(lp[k] - d.behaviorLogProbs[k]) * adv[k] }
    guard entropyCoef != 0 else { return total / Double(m) }
    let h = entropies.reserve(m)
    policy.entropies(d.observations.pointer, batch: m, into: h)
    var entropy = 0.0
    for k in 0..<m { entropy += h[k] }
    return total / Double(m) + entropyCoef * entropy / Double(m)
  }

  /// θ_old + fraction · β · x with β = √(2δ / xᵀFx), or nil if not finite.
  static func trial(_ old: [Double], _ dir: Direction, maxKL: Double, fraction: Double) -> [Double]? {
    let beta = (2 * maxKL / dir.xFx).squareRoot()
    var p1 = old
    for i in 0..<p1.count { p1[i] += fraction * beta * dir.x[i] }
    return p1.allFinite ? p1 : nil
  }

  /// One NPG/TRPO update: the direction (steps 1–4), then `step` takes the
  /// policy step and returns `lineSearchStep` (skipped, with −1, when the
  /// gradient is numerically zero: xᵀFx = 0), then the critic (step 6).
  func update<C: NaturalGradientSettings>(
    _ core: LearnerCore, _ config: C, _ d: Trajectories, _ s: inout TrainStats,
    step: (Direction) throws(SwiftPGError) -> Int
  ) throws(SwiftPGError) {
    let direction = try self.direction(core, config, d, &s)
    s.lineSearchStep = direction.xFx == 0 ? -1 : try step(direction)
    try finish(core, config, d, &s)
  }

  /// Step 6: fits the critic to the targets; sets the entropy/KL statistics first.
  func finish<C: NaturalGradientSettings>(
    _ core: LearnerCore, _ config: C, _ d: Trajectories, _ s: inout TrainStats
  ) throws(SwiftPGError) {
    (s.entropy, s.approxKL) = core.entropyAndKL(d)
    s.valueLoss = try core.fitCritic(
      d, targets: estimates.returns.pointer, epochs: config.segments.valueEpochs, minibatchSize: config.segments.minibatchSize,
      maxGradNorm: config.common.maxGradNorm)
  }
}
