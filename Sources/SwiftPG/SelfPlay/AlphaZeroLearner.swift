/// The AlphaZero loop (Silver et al. 2017, 2018): each iteration plays
/// games with PUCT search guided by the current networks
/// (`SearchSelfPlay`, Dirichlet noise at the roots), then fits the policy
/// network to the searches' visit distributions (cross-entropy) and the
/// value network to the outcomes (½(V − z)²) by Adam on shuffled
/// minibatches. The search improves on the raw policy; training distils
/// the improvement back into the networks. Compare with AlphaGo's
/// policy-gradient self-play (`SelfPlayReinforce`).
public final class AlphaZeroLearner<G: TwoPlayerGame> {
  public struct Config: Sendable {
    /// Games of search self-play per iteration.
    public var gamesPerIteration: Int = 32
    /// Plies per game whose moves are sampled from the visits (then the
    /// most visited).
    public var temperatureMoves: Int = 4
    /// Passes over the iteration's positions.
    public var epochs: Int = 4
    public var minibatchSize: Int = 64
    /// Adam's step size for both networks.
    public var learningRate: Double = 1e-3
    /// The search (AlphaZero: no rollouts, λ = 0; root noise ε = 0.25).
    public var search = PUCTConfig(simulations: 50, rolloutWeight: 0, dirichletEpsilon: 0.25)
    public var seed: UInt64 = 0

    public init(
      gamesPerIteration: Int = 32, temperatureMoves: Int = 4, epochs: Int = 4, minibatchSize: Int = 64,
      learningRate: Double = 1e-3, search: PUCTConfig = PUCTConfig(simulations: 50, rolloutWeight: 0, dirichletEpsilon: 0.25),
      seed: UInt64 = 0
    ) {
      self.gamesPerIteration = gamesPerIteration
      self.temperatureMoves = temperatureMoves
      self.epochs = epochs
      self.minibatchSize = minibatchSize
      self.learningRate = learningRate
      self.search = search
      self.seed = seed
    }
  }

  /// What one iteration did.
  public struct Stats: Sendable, Equatable {
    /// Positions collected.
    public var examples: Int
    /// Mean policy cross-entropy and value loss of each epoch (each
    /// minibatch's before its step).
    public var policyLoss: [Double]
    public var valueLoss: [Double]
    /// The mean entropy of the visit distributions: the least the policy
    /// loss can reach (policy loss − this = the mean KL from the targets).
    public var targetEntropy: Double
  }

  public let game: G
  public let config: Config
  public let policy: BoardPolicyNetwork
  public let value: BoardValueNetwork
  public let search: PUCTSearch<G>
  public internal(set) var iteration = 0
  var policyOptimizer: Adam
  var valueOptimizer: Adam

  /// - Throws: `.invalidArgument` for networks that do not fit `game`, a
  ///   bad search config, or epochs / minibatch size < 1 (and the
  ///   optimiser's checks of the learning rate).
  public init(_ game: G, policy: BoardPolicyNetwork, value: BoardValueNetwork, config: Config) throws(SwiftPGError) {
    try require(config.epochs >= 1 && config.minibatchSize >= 1, "epochs and minibatch size must be >= 1")
    search = try PUCTSearch(game, config: config.search, evaluator: NetworkEvaluator(policy: policy, value: value))
    self.game = game
    self.config = config
    self.policy = policy
    self.value = value
    policyOptimizer = try Adam(parameterCount: policy.parameterCount, learningRate: config.learningRate)
    valueOptimizer = try Adam(parameterCount: value.parameterCount, learningRate: config.learningRate)
  }

  /// One iteration: collect (seeded from (seed, iteration)), then fit.
  /// - Throws: the search's and networks' errors; `.numerical` for a
  ///   non-finite step (that minibatch's step is not taken).
  public func iterate() throws(SwiftPGError) -> Stats {
    var mixer = playoutGenerator(seed: config.seed, game: iteration, playout: 2)
    let ex = try SearchSelfPlay.collect(
      search, games: config.gamesPerIteration, temperatureMoves: config.temperatureMoves, seed: mixer.next())
    let m = ex.states.count
    let width = policy.inputSize
    let a = policy.actionCount
    var entropy = 0.0
    for p in ex.policies where p > 0 { entropy -= p * _log(p) }
    var stats = Stats(examples: m, policyLoss: [], valueLoss: [], targetEntropy: entropy / Double(Swift.max(m, 1)))
    var order = Array(0..<m)
    var shuffle = playoutGenerator(seed: config.seed, game: iteration, playout: 3)
    let size = Swift.min(config.minibatchSize, m)
    var planes = [Double](repeating: 0, count: size * width)
    var masks = [UInt8](repeating: 0, count: size * a)
    var targets = [Double](repeating: 0, count: size * a)
    var outcomes = [Double](repeating: 0, count: size)
    for _ in 0..<config.epochs {
      order.shuffle(using: &shuffle)
      var policyTotal = 0.0
      var valueTotal = 0.0
      var start = 0
      while start < m {
        let b = Swift.min(size, m - start)
        for r in 0..<b {
          let k = order[start + r]
          for j in 0..<width { planes[r * width + j] = ex.planes[k * width + j] }
          for j in 0..<a {
            masks[r * a + j] = ex.masks[k * a + j]
            targets[r * a + j] = ex.policies[k * a + j]
          }
          outcomes[r] = ex.outcomes[k]
        }
        var g = [Double](repeating: 0, count: policy.parameterCount)
        policyTotal += try policy.addCrossEntropyGradient(
          planes: planes, masks: masks, targets: targets, batch: b, into: &g)
        for i in g.indices { g[i] /= Double(b) }
        var theta = policy.parameters
        try SupervisedTrainer.descend(&theta, gradient: &g, weightDecay: 0, optimizer: &policyOptimizer, what: "the policy network")
        try policy.setParameters(theta)
        var gv = [Double](repeating: 0, count: value.parameterCount)
        valueTotal += try value.addLossGradient(planes: planes, targets: outcomes, weights: nil, batch: b, into: &gv)
        for i in gv.indices { gv[i] /= Double(b) }
        var phi = value.parameters
        try SupervisedTrainer.descend(&phi, gradient: &gv, weightDecay: 0, optimizer: &valueOptimizer, what: "the value network")
        try value.setParameters(phi)
        start += b
      }
      stats.policyLoss.append(policyTotal / Double(m))
      stats.valueLoss.append(valueTotal / Double(m))
    }
    iteration += 1
    return stats
  }
}
