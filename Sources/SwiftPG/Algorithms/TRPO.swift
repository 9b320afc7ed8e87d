/// TRPO (Schulman et al. 2015; REFERENCE.md §4): the natural step of
/// NaturalGradient.swift with a backtracking line search: θ ← θ + c^j Δ for
/// the first j < `lineSearchSteps` with mean KL(π_old ‖ π_θ) ≤ δ and
/// L(θ) > L(θ_old); none: keep θ_old (`lineSearchStep` −1). A (numerically)
/// zero gradient skips the policy step only. Then the critic is fitted.
public final class TRPO: PolicyGradientLearner {
  public struct Config: NaturalGradientSettings {
    public var stepsPerEnv = 256
    public var advantage = AdvantageKind.gae
    public var gaeLambda = 0.95
    public var nSteps = 5
    public var valueTarget = ValueTarget.bootstrap
    /// Critic passes of minibatches per batch.
    public var valueEpochs = 10
    public var normalizeAdvantages = true
    /// The critic's minibatches (0: the whole batch).
    public var minibatchSize = 128
    /// KL budget δ (the line search's constraint).
    public var maxKL = 0.01
    public var cgIterations = 15
    public var cgDamping = 0.1
    /// Step fraction c per backtrack, in (0, 1).
    public var backtrackRatio = 0.8
    /// Backtracking trials (1…100).
    public var lineSearchSteps = 10
    public var gamma = 0.99
    /// The critic's optimiser (the policy takes the natural step).
    public var optimizer = OptimizerKind.adam
    /// The critic's step size unless `valueLearningRate` is set.
    public var learningRate = 1e-3
    public var valueLearningRate = 0.0
    public var adamEpsilon = 1e-5
    /// Norm clip of the critic's gradient; 0: off.
    public var maxGradNorm = 0.0
    public var maxGradValue = 0.0
    public var annealLearningRate = false
    public var totalEnvSteps = 0
    public var entropyCoef = 0.0
    public var normalizeObservations = false
    public var normalizeRewards = false
    public var clipObservations = 10.0
    public var clipRewards = 10.0
    public var seed: UInt64 = 0

    public init() {}

    /// The checkpoint fields (`ConfigRecord.swift`).
    public static var recordFields: [ConfigField<Self>] {
      naturalFields + [
        .int("line_search_steps", \Self.lineSearchSteps), .double("backtrack_ratio", \Self.backtrackRatio),
      ]
    }

    public func validate() throws(SwiftPGError) {
      try validateNaturalGradient()
      try require(backtrackRatio > 0 && backtrackRatio < 1, "backtrack_ratio must be in (0, 1), got \(backtrackRatio)")
      try Check.range(lineSearchSteps, 1, 100, "line_search_steps")
    }
  }

  public static let algorithm = PGAlgorithm.trpo
  public let config: Config
  public let core: LearnerCore
  private let natural = NaturalGradientStep()

  public init(
    env: (any BatchedEnvironment)?, policy: any Policy, critic: ValueFunction?, config: Config = Config()
  ) throws(SwiftPGError) {
    self.config = config
    core = try config.makeCore(.trpo, env: env, policy: policy, critic: critic)
  }

  public var externalMinibatchSize: Int? { config.minibatchSize }

  public func update(_ d: Trajectories, _ s: inout TrainStats) throws(SwiftPGError) {
    let direction = try natural.direction(core, config, d, &s)
    if direction.xFx == 0 {
      s.lineSearchStep = -1
    } else {
      let policy = core.policy
      let old = policy.parameters
      let accepted = try backtrackingLineSearch(steps: config.lineSearchSteps, ratio: config.backtrackRatio) {
        (fraction: Double) throws(SwiftPGError) -> Bool in
        guard let p1 = NaturalGradientStep.trial(old, direction, maxKL: config.maxKL, fraction: fraction) else {
          return false
        }
        try policy.setParameters(p1)
        let kl = natural.meanKL(policy, d, oldParameters: old)
        let improved = natural.surrogate(policy, d, entropyCoef: config.entropyCoef)
        return kl.isFinite && kl <= config.maxKL && improved > direction.surrogateOld
      }
      if accepted == nil { try policy.setParameters(old) }
      s.lineSearchStep = accepted ?? -1
    }
    try natural.finish(core, config, d, &s)
  }
}
