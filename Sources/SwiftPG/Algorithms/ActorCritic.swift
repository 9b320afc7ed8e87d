/// Online actor-critic, the five-step loop of the actor-critic lecture
/// (Levine, CS 285; Sutton & Barto §13.5 without traces), on N batched
/// environments (T = `stepsPerEnv`, 1 by default):
/// 1. take a_t ~ π(·|s_t), observe (s_t, a_t, r_t, s_{t+1}) — the collection;
/// 2. update V̂ toward y_t = r_t + γ V̂(s_{t+1}) (0 after termination, V̂ of
///    the final observation after truncation): one step on ½ mean (V̂ − y)²;
/// 3. evaluate Â_t = r_t + γ V̂(s_{t+1}) − V̂(s_t) with the updated critic;
/// 4. ∇J ≈ mean ∇log π(a_t|s_t) Â_t;
/// 5. θ ← θ + α ∇J (plain SGD by default, as in the lecture).
public final class ActorCritic: PolicyGradientLearnerBase<ActorCritic.Config>, PolicyGradientLearner {
  @dynamicMemberLookup
  public struct Config: DirectSettings {
    /// The lecture's loop: plain SGD, lr 0.01, no clipping.
    public var common = CommonFields(optimizer: .sgd, learningRate: 0.01, adamEpsilon: 1e-5)
    /// Steps T of every environment per iteration (1: the lecture's loop).
    public var stepsPerEnv = 1
    /// Critic steps toward the TD targets per batch (at least one is taken).
    public var valueEpochs = 1
    /// Standardise the TD-error advantages.
    public var normalizeAdvantages = false
    /// The critic's step size; 0: `learningRate`.
    public var valueLearningRate = 0.05

    public init() {}

    /// The checkpoint fields (`ConfigRecord.swift`).
    public static var recordFields: [ConfigField<Self>] {
      commonFields + [
        .int("steps_per_env", \Self.stepsPerEnv), .int("value_epochs", \Self.valueEpochs),
        .bool("normalize_advantages", \Self.normalizeAdvantages),
        .double("value_learning_rate", \Self.valueLearningRate),
      ]
    }

    public var coreShape: (collection: LearnerCore.Collection, needsCritic: Bool, valueLearningRate: Double) {
      (.segments(stepsPerEnv: stepsPerEnv), true, valueLearningRate)
    }

    public func validate() throws(SwiftPGError) {
      try common.validate()
      try Check.range(stepsPerEnv, 1, 1 << 20, "steps_per_env")
      try Check.range(valueEpochs, 0, 10_000, "value_epochs")
      try Check.nonNegative(valueLearningRate, "value_learning_rate")
    }
  }

  public static let algorithm = PGAlgorithm.actorCritic
  private let estimates = ValueEstimates()
  private let tdTargets = Store<Double>()
  private let advantages = Store<Double>()
  private let surrogate = PolicySurrogate()

  public func update(_ d: Trajectories, _ s: inout TrainStats) throws(SwiftPGError) {
    guard let critic = core.critic else { return }
    let m = d.count
    let y = tdTargets.reserve(m)
    let delta = estimates.advantages.reserve(m)
    // 2. Critic step toward the TD target.
    try estimates.predict(critic: critic, d, failure: core.numerical)
    temporalDifferences(estimates.rollout(d), gamma: config.gamma, into: delta)
    for k in 0..<m { y[k] = delta[k] + estimates.values[k] }
    s.explainedVariance = explainedVariance(targets: y, predictions: estimates.values.pointer, count: m)
    for _ in 0..<Swift.max(config.valueEpochs, 1) {
      s.valueLoss = valueLossGradient(
        critic: critic, observations: d.observations.pointer, count: m, targets: { y[$0] }, oldValues: nil,
        clipRange: 0, coefficient: 1, scratch: core.valueScratch, into: &core.valueGradient)
      scaleGradient(&core.valueGradient, maxNorm: config.maxGradNorm)
      try core.stepCritic()
    }
    // 3. TD-error advantages with the updated critic.
    try estimates.predict(critic: critic, d, failure: core.numerical)
    temporalDifferences(estimates.rollout(d), gamma: config.gamma, into: delta)
    let adv = advantages.reserve(m)
    adv.update(from: delta, count: m)
    if config.normalizeAdvantages { standardize(adv, count: m, center: true) }
    // 4, 5. Policy gradient and ascent step.
    s.policyLoss = -surrogate.gradient(
      core.policy, d, advantages: adv, entropyCoef: config.entropyCoef, into: &core.policyGradient)
    s.gradNorm = scaleGradient(&core.policyGradient, maxNorm: config.maxGradNorm)
    try core.stepPolicy()
    (s.entropy, s.approxKL) = core.entropyAndKL(d)
  }
}
