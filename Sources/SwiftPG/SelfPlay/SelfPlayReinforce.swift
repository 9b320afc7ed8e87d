/// AlphaGo's second step, policy-gradient self-play (Silver et al. 2016):
/// the current policy network plays a batch of games against an opponent
/// drawn uniformly from a pool of its former selves (`OpponentPool`, a
/// snapshot every `snapshotInterval` iterations), and ascends REINFORCE's
/// gradient over its own moves,
///
///     Δθ ∝ (1/n) Σ_games Σ_{t: learner moves} ∇θ log π(a_t|s_t) · (G − b(s_t)),
///
/// G = +1 / −1 / 0 the game's outcome for the learner (γ = 1, no reward
/// before the end), b = 0 or, with a value network, b(s) = V(s) (a
/// baseline: the same expected gradient, less variance), the value network
/// then fitted by one step of ½(V(s) − G)² on the same positions. The
/// learner moves first in the even-numbered games of a batch and second in
/// the odd ones. Both players sample from their policies (temperature 1).
///
/// All games of an iteration advance together: each ply, one forward of the
/// learner on the positions where it moves and one of the opponent on the
/// others. Game j of iteration t samples from `playoutGenerator(seed,
/// t·n + j, 0)` and the opponent is drawn from `playoutGenerator(seed, t,
/// 1)`, so a run replays exactly from its seed.
public final class SelfPlayReinforce<G: TwoPlayerGame> {
  public struct Config: Sendable {
    /// n, games per iteration (half with the learner first).
    public var gamesPerIteration: Int = 64
    /// Adam's step size for the policy (ascent).
    public var learningRate: Double = 1e-3
    /// Adam's step size for the value network (the baseline), if any.
    public var valueLearningRate: Double = 1e-3
    /// A snapshot of the policy joins the pool every k iterations.
    public var snapshotInterval: Int = 10
    /// The most snapshots the pool holds (the oldest is dropped).
    public var poolCapacity: Int = 64
    public var seed: UInt64 = 0

    public init(
      gamesPerIteration: Int = 64, learningRate: Double = 1e-3, valueLearningRate: Double = 1e-3,
      snapshotInterval: Int = 10, poolCapacity: Int = 64, seed: UInt64 = 0
    ) {
      self.gamesPerIteration = gamesPerIteration
      self.learningRate = learningRate
      self.valueLearningRate = valueLearningRate
      self.snapshotInterval = snapshotInterval
      self.poolCapacity = poolCapacity
      self.seed = seed
    }
  }

  /// What one iteration did.
  public struct Stats: Sendable, Equatable {
    /// The learner's results against the drawn opponent.
    public var record: MatchRecord
    /// The pool index of the opponent, and the iteration it was taken at.
    public var opponent: Int
    public var opponentIteration: Int
    /// The learner's moves the gradient used.
    public var moves: Int
    /// The mean of ½(V − G)² over those moves before the value step (0
    /// without a value network).
    public var valueLoss: Double
  }

  public let game: G
  public let config: Config
  public let policy: BoardPolicyNetwork
  public let value: BoardValueNetwork?
  public internal(set) var pool: OpponentPool
  public internal(set) var iteration = 0
  /// Checked before every ply of an iteration's games: a request stops
  /// `iterate` with `.cancelled` before anything changes.
  public let cancellation = CancellationFlag()
  private let opponent: BoardPolicyNetwork
  var optimizer: Adam
  var valueOptimizer: Adam?

  /// Starts the pool with the policy's current parameters (iteration 0).
  /// The opponent network is a copy of the policy's architecture.
  /// - Throws: `.invalidArgument` for networks that do not fit `game` or a
  ///   bad config value (games in [1, 2^16], finite positive learning
  ///   rates, interval ≥ 1, capacity in [1, 2^16]).
  public init(_ game: G, policy: BoardPolicyNetwork, value: BoardValueNetwork?, config: Config) throws(SwiftPGError) {
    try NetworkEvaluator(policy: policy, value: value).check(for: game)
    try require(
      config.gamesPerIteration >= 1 && config.gamesPerIteration <= 1 << 16,
      "games per iteration must be in [1, 2^16], got \(config.gamesPerIteration)")
    try require(config.snapshotInterval >= 1, "the snapshot interval must be >= 1, got \(config.snapshotInterval)")
    self.game = game
    self.config = config
    self.policy = policy
    self.value = value
    pool = try OpponentPool(capacity: config.poolCapacity)
    pool.add(policy.parameters, iteration: 0)
    let trunk = try makeBoardTrunk(family: policy.trunk.family, specification: policy.trunk.trunkSpecification)
    trunk.setPrecision(policy.trunk.precision)
    opponent = try BoardPolicyNetwork(
      trunk: trunk, planeCount: policy.planeCount, boardHeight: policy.boardHeight, boardWidth: policy.boardWidth,
      actionCount: policy.actionCount)
    optimizer = try Adam(parameterCount: policy.parameterCount, learningRate: config.learningRate)
    if let value {
      valueOptimizer = try Adam(parameterCount: value.parameterCount, learningRate: config.valueLearningRate)
    }
  }

  /// One iteration: draw an opponent, play the batch, step the policy (and
  /// the value network), add a snapshot every k iterations.
  /// - Throws: `.numerical` for a non-finite gradient (nothing changes
  ///   then); network errors.
  public func iterate() throws(SwiftPGError) -> Stats {
    let n = config.gamesPerIteration
    let drawn = try drawOpponent()
    let games = try playBatch(n)
    var stats = Stats(
      record: MatchRecord(), opponent: drawn, opponentIteration: pool.iterations[drawn], moves: games.actions.count,
      valueLoss: 0)
    for r in games.outcomes {
      stats.record.add(MatchRecord(wins: r > 0 ? 1 : 0, draws: r == 0 ? 1 : 0, losses: r < 0 ? 1 : 0))
    }
    let m = games.actions.count
    var targets = games.moveGame.map { games.outcomes[$0] }
    var weights = targets
    var valueGradient: [Double] = []
    if let value, m > 0 {
      var v = [Double](repeating: 0, count: m)
      valueGradient = Array(repeating: 0, count: value.parameterCount)
      let loss = try value.addLossGradient(
        planes: games.planes, targets: &targets, weights: nil, batch: m, values: &v, into: &valueGradient)
      stats.valueLoss = loss / Double(m)
      for i in 0..<m { weights[i] -= v[i] }
      for i in valueGradient.indices { valueGradient[i] /= Double(m) }
    }
    for i in 0..<m { weights[i] /= Double(n) }
    var gradient = [Double](repeating: 0, count: policy.parameterCount)
    if m > 0 {
      _ = try policy.addScoreGradient(
        planes: games.planes, masks: games.masks, actions: games.actions, weights: weights, batch: m, into: &gradient)
    }
    var theta = policy.parameters
    try require(gradient.allFinite && Adam.acceptsGradient(gradient), "the policy gradient is not finite", code: .numerical)
    if let value, var valueOptimizer, !valueGradient.isEmpty {
      var vTheta = value.parameters
      try SupervisedTrainer.descend(
        &vTheta, gradient: &valueGradient, weightDecay: 0, optimizer: &valueOptimizer, what: "the value network")
      try value.setParameters(vTheta)
      self.valueOptimizer = valueOptimizer
    }
    optimizer.step(&theta, gradient: gradient, ascend: true)
    try policy.setParameters(theta)
    iteration += 1
    if iteration % config.snapshotInterval == 0 { pool.add(policy.parameters, iteration: iteration) }
    return stats
  }

  /// Draws this iteration's opponent from the pool and loads it; returns
  /// its pool index.
  func drawOpponent() throws(SwiftPGError) -> Int {
    var pick = playoutGenerator(seed: config.seed, game: iteration, playout: 1)
    let drawn = try pool.sample(using: &pick)
    try opponent.setParameters(pool.snapshots[drawn])
    return drawn
  }

  /// The learner's positions, masks, moves and game of each move, and each
  /// game's outcome for the learner.
  struct Batch {
    var planes: [Double] = []
    var masks: [UInt8] = []
    var actions: [Int32] = []
    var moveGame: [Int] = []
    var outcomes: [Double] = []
  }

  /// Plays n games learner against opponent, all advanced ply by ply.
  func playBatch(_ n: Int) throws(SwiftPGError) -> Batch {
    let planeSize = game.planeCount * game.cellCount
    let a = game.actionCount
    var states = Array(repeating: game.initialState(), count: n)
    var rngs = (0..<n).map { playoutGenerator(seed: config.seed, game: iteration * n + $0, playout: 0) }
    var batch = Batch()
    var planes = [Double](repeating: 0, count: n * planeSize)
    var masks = [UInt8](repeating: 0, count: n * a)
    var probs = [Double](repeating: 0, count: n * a)
    var rows: [Int] = []
    while true {
      try cancellation.check("the self-play games")
      var anyLive = false
      for learnerSide in [true, false] {
        rows.removeAll(keepingCapacity: true)
        for j in 0..<n where !game.isTerminal(states[j]) {
          anyLive = true
          let learnerIsFirst = j % 2 == 0
          if (game.currentPlayer(states[j]) == 0) == learnerIsFirst && learnerSide
            || (game.currentPlayer(states[j]) == 0) != learnerIsFirst && !learnerSide
          {
            game.writeNetworkRow(states[j], row: rows.count, planes: &planes, masks: &masks)
            rows.append(j)
          }
        }
        guard !rows.isEmpty else { continue }
        let net = learnerSide ? policy : opponent
        try net.probabilities(planes: planes, masks: masks, batch: rows.count, into: &probs)
        for (r, j) in rows.enumerated() {
          let action = sample(probs, row: r, actions: a, using: &rngs[j])
          guard action >= 0 else {
            throw SwiftPGError(.numerical, "the \(learnerSide ? "learner's" : "opponent's") move probabilities are not finite")
          }
          if learnerSide {
            batch.planes.append(contentsOf: planes[(r * planeSize)..<((r + 1) * planeSize)])
            batch.masks.append(contentsOf: masks[(r * a)..<((r + 1) * a)])
            batch.actions.append(Int32(action))
            batch.moveGame.append(j)
          }
          game.applyLegal(action, to: &states[j])
        }
      }
      if !anyLive { break }
    }
    batch.outcomes = (0..<n).map { j in
      let r = game.returnOfPlayer0(states[j])
      return j % 2 == 0 ? r : -r
    }
    return batch
  }

  /// An action drawn from row `row` of `probs` (legal entries only are
  /// positive); −1 when no entry is positive (NaN probabilities).
  private func sample(_ probs: [Double], row: Int, actions: Int, using rng: inout SplitMix64) -> Int {
    let u = rng.nextUnitDouble()
    var c = 0.0
    var last = -1
    for b in 0..<actions where probs[row * actions + b] > 0 {
      c += probs[row * actions + b]
      last = b
      if u < c { return b }
    }
    return last
  }
}
