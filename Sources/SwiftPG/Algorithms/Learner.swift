/// What every learner offers, whatever its algorithm: iterate (collect →
/// estimate → update), update on externally collected data where the
/// algorithm can take it, evaluate, save/load, counters and cancellation.
/// A learner that cannot learn from outside data (a population search)
/// throws `.notSupported` from `update(external:)`.
public protocol Learner: AnyObject {
  associatedtype Stats
  /// Iterations (or updates) done since creation (restored by `load`).
  var iteration: Int { get }
  /// Transitions used since creation.
  var totalEnvSteps: Int { get }
  /// Checked between episode steps of collection and evaluation; a request
  /// makes `iterate`/`evaluate` throw `.cancelled` (the iteration is rolled back).
  var cancellation: CancellationFlag? { get set }
  /// One iteration: collect with the current policy, estimate, update.
  func iterate() throws(SwiftPGError) -> Stats
  /// One update on transitions collected elsewhere.
  func update(external: Trajectories) throws(SwiftPGError) -> Stats
  /// Returns and lengths of fresh episodes of `env` under the learner's policy.
  func evaluate(env: any BatchedEnvironment, episodes: Int, greedy: Bool, seed: UInt64)
    throws(SwiftPGError) -> (returns: [Double], lengths: [Int])
  func save(to path: String) throws(SwiftPGError)
  func load(from path: String) throws(SwiftPGError)
}

/// The policy-gradient learners (raw values: the C ABI's SWIFTPG_ALGO_*,
/// and the family recorded in learner checkpoints).
public enum PGAlgorithm: Int32, Sendable, CaseIterable {
  case reinforce = 0
  case actorCritic = 1
  case a2c = 2
  case offPolicy = 3
  case npg = 4
  case trpo = 5
  case ppo = 6

  /// "a ppo", "an a2c": the name with its indefinite article, for messages.
  public var withArticle: String {
    (["a2c", "actor-critic", "offpolicy-pg", "npg"].contains(name) ? "an " : "a ") + name
  }

  public var name: String {
    switch self {
    case .reinforce: "reinforce"
    case .actorCritic: "actor-critic"
    case .a2c: "a2c"
    case .offPolicy: "offpolicy-pg"
    case .npg: "npg"
    case .trpo: "trpo"
    case .ppo: "ppo"
    }
  }
}

/// One episode that ended in a batch: its undiscounted return (raw
/// rewards), its length, and whether it reached the environment's goal
/// (nil where the environment defines no success).
public struct EpisodeRecord: Sendable, Equatable {
  public var episodeReturn: Double
  public var length: Int
  public var success: Bool?
  public init(episodeReturn: Double, length: Int, success: Bool?) {
    self.episodeReturn = episodeReturn
    self.length = length
    self.success = success
  }
}

/// Statistics of one policy-gradient iteration. Each field has one
/// meaning; a quantity a learner does not have stays at its zero (NaN for
/// the episode statistics of a batch without a finished episode).
public struct TrainStats: Sendable {
  public var iteration = 0
  public var envSteps = 0
  public var totalEnvSteps = 0
  /// Episodes that ended in this batch, in the order they ended.
  public var episodes: [EpisodeRecord] = []
  public var meanReturn = Double.nan
  public var stdReturn = Double.nan
  public var minReturn = Double.nan
  public var maxReturn = Double.nan
  public var meanLength = Double.nan
  /// Fraction of the episodes that reached the goal (NaN without episodes
  /// or where the environment defines no success).
  public var successRate = Double.nan
  /// The loss minimised: minus the surrogate objective at the start of the
  /// update (CleanRL's `pg_loss` sign; PPO: the mean over minibatches).
  public var policyLoss = 0.0
  /// ½ mean (V − target)² (the last critic pass).
  public var valueLoss = 0.0
  /// Mean policy entropy over the batch after the update.
  public var entropy = 0.0
  /// k3 estimate of KL(π_old ‖ π_new) over the batch after the update.
  public var approxKL = 0.0
  /// PPO: fraction of ratios outside 1 ± ε.
  public var clipFraction = 0.0
  public var explainedVariance = 0.0
  /// L2 norm of the gradient before clipping (PPO: mean over minibatches).
  public var gradNorm = 0.0
  /// The policy's learning rate after annealing.
  public var learningRate = 0.0
  /// PPO: epochs run (fewer when the target KL stops them); others 1.
  public var epochs = 1
  /// TRPO: the accepted backtracking step j (−1: every trial rejected, or
  /// a zero gradient); NPG: 0 for its full step.
  public var lineSearchStep = 0
  /// PPO with the KL penalty: β after its adaptation.
  public var klCoef = 0.0
  /// Off-policy PG: (Σw)² / Σw² over the stored trajectories' weights,
  /// divided by their number — 1 when all weights are equal.
  public var effectiveSampleSize = 0.0
  public var seconds = 0.0
  public init() {}

  /// Fills the episode fields from the episodes that ended in `d`;
  /// `success(terminated)` tells whether an episode that ended so reached the goal.
  mutating func summarizeEpisodes(_ d: Trajectories, success: (Bool) -> Bool?) {
    let returns = d.episodeReturns
    episodes = []
    episodes.reserveCapacity(returns.count)
    var successes = 0
    var defined = true
    for k in returns.indices {
      let ok = k < d.episodeTerminated.count ? success(d.episodeTerminated[k]) : nil
      if let ok { successes += ok ? 1 : 0 } else { defined = false }
      episodes.append(EpisodeRecord(episodeReturn: returns[k], length: d.episodeLengths[k], success: ok))
    }
    guard !returns.isEmpty else { return }
    let (mean, std) = returns.withUnsafeBufferPointer { b in
      b.baseAddress.map { Statistics.meanAndStd($0, b.count) } ?? (0, 0)
    }
    let k = Double(returns.count)
    meanReturn = mean
    stdReturn = std
    minReturn = returns.min() ?? 0
    maxReturn = returns.max() ?? 0
    meanLength = Double(d.episodeLengths.reduce(0, +)) / k
    successRate = defined ? Double(successes) / k : .nan
  }
}
