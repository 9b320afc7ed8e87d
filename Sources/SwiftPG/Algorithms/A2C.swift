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
public final class A2C: PolicyGradientLearnerBase<A2C.Config>, PolicyGradientLearner {
  @dynamicMemberLookup
  public struct Config: SegmentSettings {
    /// SB3's A2C defaults: lr 7e-4, joint norm clip 0.5.
    public var common = CommonFields(learningRate: 7e-4, adamEpsilon: 1e-5, maxGradNorm: 0.5)
    /// T = 5 (SB3 `n_steps`), GAE λ 1 (the segment's n-step returns),
    /// advantages not normalised; `valueEpochs` − 1 extra critic passes of
    /// `minibatchSize` rows after the joint step.
    public var segments = SegmentFields(stepsPerEnv: 5, gaeLambda: 1, normalizeAdvantages: false)
    /// Weight c_V of the value loss in the joint step.
    public var valueCoef = 0.5

    public init() {}

    /// The checkpoint fields (`ConfigRecord.swift`).
    public static var recordFields: [ConfigField<Self>] {
      segmentFields + [.double("value_coef", \Self.valueCoef)]
    }

    public func validate() throws(SwiftPGError) {
      try common.validate()
      try segments.validate()
      try Check.nonNegative(valueCoef, "value_coef")
    }
  }

  public static let algorithm = PGAlgorithm.a2c
  private let estimates = ValueEstimates()
  private let advantages = Store<Double>()
  private let surrogate = PolicySurrogate()

  public func update(_ d: Trajectories, _ s: inout TrainStats) throws(SwiftPGError) {
    guard let critic = core.critic else { return }
    let m = d.count
    // 1. Advantages and targets.
    try estimates.estimate(d, core: core, config: config, &s)
    // 2. Normalisation.
    let adv = advantages.reserve(m)
    adv.update(from: estimates.advantages.pointer, count: m)
    if config.normalizeAdvantages { standardize(adv, count: m, center: true) }
    // 3. Policy gradient.
    s.policyLoss = -surrogate.gradient(
      core.policy, d, advantages: adv, entropyCoef: config.entropyCoef, into: &core.policyGradient)
    // 4. Critic gradient and joint clipping.
    let y = estimates.returns.pointer
    s.valueLoss = valueLossGradient(
      critic: critic, observations: d.observations.pointer, count: m, targets: { y[$0] }, oldValues: nil,
      clipRange: 0, coefficient: config.valueCoef, scratch: core.valueScratch, into: &core.valueGradient)
    s.gradNorm = clipGlobalNorm(&core.policyGradient, &core.valueGradient, maxNorm: config.maxGradNorm)
    // 5. Steps.
    try core.stepPolicy()
    try core.stepCritic()
    if config.valueEpochs > 1 {
      s.valueLoss = try core.fitCritic(
        d, targets: y, epochs: config.valueEpochs - 1, minibatchSize: config.minibatchSize,
        maxGradNorm: config.maxGradNorm)
    }
    (s.entropy, s.approxKL) = core.entropyAndKL(d)
  }
}
