/// Which baseline REINFORCE subtracts from the reward-to-go.
public enum BaselineKind: Int32, Sendable {
  case none = 0
  /// The mean reward-to-go of the batch.
  case mean = 1
}

/// Configuration of `Reinforce`. Defaults solve CartPole-v1.
public struct ReinforceConfig: Sendable {
  /// Minimum transitions per update; whole episodes are collected.
  public var stepsPerIteration = 5000
  /// Baseline subtracted from the reward-to-go.
  public var baseline = BaselineKind.mean
  /// Divide the weights ψ by their standard deviation.
  public var normalizeWeights = true
  /// Discount γ ∈ [0, 1] of the reward-to-go.
  public var gamma = 0.99
  /// Adam step size.
  public var learningRate = 0.01
  public var adamBeta1 = 0.9
  public var adamBeta2 = 0.999
  public var adamEpsilon = 1e-8
  /// Rescale the gradient to this L2 norm when longer; ≤ 0 disables.
  public var maxGradNorm = 0.0
  /// Seeds the action sampling of the learner.
  public var seed: UInt64 = 0

  public init() {}

  public func validate() throws(SwiftPGError) {
    try require(stepsPerIteration >= 1, "steps_per_iteration must be >= 1, got \(stepsPerIteration)")
    try require(stepsPerIteration <= 1 << 26, "steps_per_iteration \(stepsPerIteration) exceeds 2^26", code: .tooLarge)
    try require(gamma >= 0 && gamma <= 1, "gamma must be in [0, 1], got \(gamma)")
    try require(learningRate.isFinite && learningRate > 0, "learning_rate must be finite and > 0, got \(learningRate)")
    try require(adamBeta1 >= 0 && adamBeta1 < 1, "adam_beta1 must be in [0, 1), got \(adamBeta1)")
    try require(adamBeta2 >= 0 && adamBeta2 < 1, "adam_beta2 must be in [0, 1), got \(adamBeta2)")
    try require(adamEpsilon.isFinite && adamEpsilon > 0, "adam_epsilon must be finite and > 0, got \(adamEpsilon)")
    try require(!maxGradNorm.isNaN && maxGradNorm != .infinity, "max_grad_norm must be finite, got \(maxGradNorm)")
  }
}

/// Statistics of one training iteration.
public struct IterationStats: Sendable {
  public var iteration = 0
  public var envSteps = 0
  public var totalEnvSteps = 0
  public var episodes = 0
  public var meanReturn = 0.0
  public var stdReturn = 0.0
  public var minReturn = 0.0
  public var maxReturn = 0.0
  public var meanLength = 0.0
  public var entropy = 0.0
  public var gradNorm = 0.0
  public var surrogate = 0.0
  public var seconds = 0.0
  public init() {}
}

/// REINFORCE (Williams 1992) with reward-to-go and an optional mean baseline.
///
/// One iteration:
/// 1. collect whole episodes until `stepsPerIteration` transitions;
/// 2. reward-to-go G_t = Σ_{k≥t} γ^{k−t} r_k within each episode;
/// 3. ψ_t = G_t − b (b: batch mean or 0), optionally divided by std(ψ);
/// 4. g = (1/M) Σ_t ψ_t ∇_θ log π(a_t|s_t);
/// 5. one Adam ascent step along g (after optional norm rescaling).
///
/// Truncated episodes are treated as ended (there is no critic to bootstrap
/// from). Like most implementations this drops the γ^t factor of the exact
/// discounted gradient; with γ = 1 the estimator is the unbiased one.
public final class Reinforce {
  public let policy: SoftmaxPolicy
  public let env: any BatchedEnvironment
  public let config: ReinforceConfig
  public private(set) var optimizer: Adam
  public private(set) var iteration = 0
  public private(set) var totalEnvSteps = 0
  private var rng: PCG64
  private let collector: EpisodeCollector
  private var batch: EpisodeBatch
  private var weights: [Double] = []
  private var discounts: [Double] = []
  private var gradient: [Double]
  private var logProbs: [Double] = []
  private var entropies: [Double] = []

  public init(env: any BatchedEnvironment, policy: SoftmaxPolicy, config: ReinforceConfig) throws(SwiftPGError) {
    try config.validate()
    try policy.checkCompatible(with: env)
    self.env = env
    self.policy = policy
    self.config = config
    optimizer = try Adam(
      parameterCount: policy.parameterCount, learningRate: config.learningRate,
      beta1: config.adamBeta1, beta2: config.adamBeta2, epsilon: config.adamEpsilon)
    rng = PCG64(seed: UInt128(config.seed))
    collector = try EpisodeCollector(env: env)
    batch = EpisodeBatch(observationSize: env.observationSize)
    gradient = Array(repeating: 0, count: policy.parameterCount)
  }

  /// Runs one iteration: collect, estimate, update.
  /// Throws `.numerical` (leaving the parameters unchanged) if the gradient
  /// or the updated parameters are not finite.
  public func iterate() throws(SwiftPGError) -> IterationStats {
    let start = monotonicSeconds()
    iteration += 1

    // 1. Collect whole episodes with the current policy.
    var g = rng
    let policy = self.policy
    let n = env.count
    collector.collect(.steps(config.stepsPerIteration), into: &batch) { obs, actions in
      policy.sample(obs, batch: n, greedy: false, into: actions, using: &g)
    }
    rng = g
    let m = batch.count
    totalEnvSteps += m

    // 2. Reward-to-go within each episode: the discount is 0 after its last step.
    discounts.removeAll(keepingCapacity: true)
    for t in 0..<m {
      discounts.append(batch.terminated[t] != 0 || batch.truncated[t] != 0 ? 0 : config.gamma)
    }
    if weights.count < m { weights = Array(repeating: 0, count: m) }
    batch.rewards.withUnsafeBufferPointer { r in
      discounts.withUnsafeBufferPointer { d in
        weights.withUnsafeMutableBufferPointer { w in
          guard let rp = r.baseAddress, let dp = d.baseAddress, let wp = w.baseAddress else { return }
          discountedReturns(rewards: rp, discounts: dp, bootstrap: nil, steps: m, batch: 1, into: wp)
        }
      }
    }

    // 3. Baseline and scaling.
    if config.baseline == .mean { subtractMeanBaseline(&weights, count: m) }
    if config.normalizeWeights { standardize(&weights, count: m, center: false) }

    // 4. g = (1/M) Σ ψ_t ∇ log π(a_t|s_t).
    for t in 0..<m { weights[t] /= Double(m) }
    if logProbs.count < m {
      logProbs = Array(repeating: 0, count: m)
      entropies = logProbs
    }
    batch.observations.withUnsafeBufferPointer { o in
      batch.actions.withUnsafeBufferPointer { a in
        weights.withUnsafeBufferPointer { w in
          gradient.withUnsafeMutableBufferPointer { gr in
            logProbs.withUnsafeMutableBufferPointer { lp in
              entropies.withUnsafeMutableBufferPointer { en in
                guard let op = o.baseAddress, let ap = a.baseAddress, let wp = w.baseAddress,
                  let gp = gr.baseAddress
                else { return }
                policy.scoreGradient(
                  op, actions: ap, weights: wp, batch: m, into: gp,
                  logProbabilities: lp.baseAddress, entropies: en.baseAddress)
              }
            }
          }
        }
      }
    }
    guard gradient.allFinite else {
      throw SwiftPGError(.numerical, "iteration \(iteration): the policy gradient is not finite")
    }

    // 5. Optimizer step (committed only if the result is finite).
    let gradNorm = scaleGradient(&gradient, maxNorm: config.maxGradNorm)
    var params = policy.parameters
    var opt = optimizer
    opt.step(&params, gradient: gradient, ascend: true)
    guard params.allFinite else {
      throw SwiftPGError(.numerical, "iteration \(iteration): the updated parameters are not finite")
    }
    try policy.setParameters(params)
    optimizer = opt

    var stats = IterationStats()
    stats.iteration = iteration
    stats.envSteps = m
    stats.totalEnvSteps = totalEnvSteps
    summarize(batch, into: &stats)
    var surrogate = 0.0
    var entropy = 0.0
    for t in 0..<m {
      surrogate += weights[t] * logProbs[t]
      entropy += entropies[t]
    }
    stats.surrogate = surrogate
    stats.entropy = m > 0 ? entropy / Double(m) : 0
    stats.gradNorm = gradNorm
    stats.seconds = monotonicSeconds() - start
    return stats
  }
}

/// Fills the episode statistics of `stats` from `batch`.
func summarize(_ batch: EpisodeBatch, into stats: inout IterationStats) {
  let returns = batch.episodeReturns
  stats.episodes = returns.count
  guard !returns.isEmpty else { return }
  let k = Double(returns.count)
  let mean = returns.reduce(0, +) / k
  stats.meanReturn = mean
  stats.stdReturn = (returns.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / k).squareRoot()
  stats.minReturn = returns.min() ?? 0
  stats.maxReturn = returns.max() ?? 0
  stats.meanLength = Double(batch.episodeLengths.reduce(0, +)) / k
}
