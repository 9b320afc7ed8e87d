/// Natural policy gradient (Kakade 2001; REFERENCE.md §4): the natural
/// step of NaturalGradient.swift taken in full, θ ← θ + √(2δ / xᵀFx) x,
/// then the critic fitted to the targets. A (numerically) zero gradient
/// skips the policy step only (`lineSearchStep` −1).
public final class NPG: PolicyGradientLearner {
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
    /// KL budget δ of the step.
    public var maxKL = 0.01
    public var cgIterations = 15
    public var cgDamping = 0.1
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
      naturalFields
    }

    public func validate() throws(SwiftPGError) { try validateNaturalGradient() }
  }

  public static let algorithm = PGAlgorithm.npg
  public let config: Config
  public let core: LearnerCore
  private let natural = NaturalGradientStep()

  public init(
    env: (any BatchedEnvironment)?, policy: any Policy, critic: ValueFunction?, config: Config = Config()
  ) throws(SwiftPGError) {
    self.config = config
    core = try config.makeCore(.npg, env: env, policy: policy, critic: critic)
  }

  public var externalMinibatchSize: Int? { config.minibatchSize }

  public func update(_ d: Trajectories, _ s: inout TrainStats) throws(SwiftPGError) {
    let direction = try natural.direction(core, config, d, &s)
    if direction.xFx == 0 {
      s.lineSearchStep = -1
    } else {
      guard let p1 = NaturalGradientStep.trial(core.policy.parameters, direction, maxKL: config.maxKL, fraction: 1)
      else { throw core.numerical("the updated policy parameters") }
      try core.policy.setParameters(p1)
    }
    try natural.finish(core, config, d, &s)
  }
}
