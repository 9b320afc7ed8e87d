#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The settings of `AlphaGoPipeline`, AlphaGo's four steps in miniature
/// (Silver et al. 2016), with the AlphaZero loop (Silver et al. 2017) as an
/// option. Every field is read by exactly one step.
public struct AlphaGoPipelineConfig: Sendable, Equatable {
  // Networks
  /// Hidden layer sizes of the MLP trunks of both networks (used when
  /// `convChannels` is empty).
  public var hidden: [Int] = [128, 128]
  /// Channels of the convolution layers of `ConvNet` trunks (3 × 3, same
  /// padding); empty: MLP trunks.
  public var convChannels: [Int] = []

  // Step 1: the supervised (SL) policy.
  /// Uniformly random games whose distinct positions the expert labels.
  public var expertGames = 3000
  /// The expert's budget when the game has no exact solver or a board of
  /// more than 25 cells: UCT with random rollouts at this many simulations
  /// per position.
  public var expertSimulations = 2000
  /// Share of the labelled positions held out for the top-1 accuracy.
  public var heldOutShare = 0.1
  /// Epochs of supervised training (one pipeline step each).
  public var supervisedEpochs = 40
  public var supervisedMinibatch = 64
  public var supervisedLearningRate = 3e-3

  // Step 2: policy-gradient self-play against former selves.
  /// REINFORCE iterations (0 skips the step; the RL policy is then the SL one).
  public var selfPlayIterations = 50
  public var selfPlayGames = 64
  public var selfPlayLearningRate = 1e-4
  /// A snapshot joins the opponent pool (and a checkpoint is written) every
  /// k iterations.
  public var snapshotInterval = 10
  public var poolCapacity = 64
  /// Games of the RL policy against the SL policy (both sampling) at every
  /// snapshot and at the end of the step (0: not measured).
  public var evaluationGames = 200

  // Step 3: the value network.
  /// Self-play games of the RL policy, one position kept from each.
  public var valueGames = 4000
  public var valueEpochs = 30
  public var valueMinibatch = 64
  public var valueLearningRate = 1e-3
  /// Share of the value positions held out for the MSE.
  public var valueHeldOutShare = 0.1

  // Optional: the AlphaZero loop after step 3, from the RL policy and the
  // value network.
  /// AlphaZero iterations (0: none).
  public var alphaZeroIterations = 0
  public var alphaZeroGames = 32
  public var alphaZeroTemperatureMoves = 4
  public var alphaZeroEpochs = 4
  public var alphaZeroMinibatch = 64
  public var alphaZeroLearningRate = 1e-3
  /// The self-play search (Dirichlet noise ε = 0.25 at the roots).
  public var alphaZeroSearch = PUCTConfig(simulations: 50, rolloutWeight: 0, dirichletEpsilon: 0.25)

  // Step 4: the search with both networks, and the final evaluation.
  /// PUCT with the final policy as prior and the value network at the
  /// leaves (λ mixes in a random rollout).
  public var search = PUCTConfig(simulations: 200, cPuct: 1.5, rolloutWeight: 0)
  /// Games of the raw policy and of the search against the perfect solver
  /// (half from each seat; 0, a game without a solver or a board of more
  /// than 25 cells: not played).
  public var solverGames = 20
  /// Measure the mistake rate (`MistakeRate`) of the raw policy and of the
  /// search, on games with an exact solver.
  public var measureMistakes = true
  /// Games per pair of the round robin that rates the checkpoints (random,
  /// each policy checkpoint played greedily, the search) by Elo; 0: none.
  public var eloGamesPerPair = 0

  public var seed: UInt64 = 0

  public init() {}

  /// Refuses (`.invalidArgument`) sizes and rates out of range (see each
  /// check's message).
  public func validate() throws(SwiftPGError) {
    func count(_ v: Int, _ name: String, _ low: Int, _ high: Int) throws(SwiftPGError) {
      try require(v >= low && v <= high, "\(name) must be in [\(low), \(high)], got \(v)")
    }
    func rate(_ v: Double, _ name: String) throws(SwiftPGError) {
      try require(v.isFinite && v > 0, "\(name) must be finite and > 0, got \(v)")
    }
    try require(!hidden.isEmpty || !convChannels.isEmpty, "the networks need hidden layers or convolution channels")
    try require(hidden.count <= 16 && convChannels.count <= 16, "at most 16 layers")
    for h in hidden { try count(h, "hidden sizes", 1, 1024) }
    for c in convChannels { try count(c, "convolution channels", 1, 256) }
    try count(expertGames, "expert games", 1, 1 << 20)
    try count(expertSimulations, "expert simulations", 1, 1 << 20)
    try require(heldOutShare > 0 && heldOutShare < 1, "the held-out share must be in (0, 1), got \(heldOutShare)")
    try count(supervisedEpochs, "supervised epochs", 1, 1 << 16)
    try count(supervisedMinibatch, "the supervised minibatch", 1, 1 << 16)
    try rate(supervisedLearningRate, "the supervised learning rate")
    try count(selfPlayIterations, "self-play iterations", 0, 1 << 20)
    try count(selfPlayGames, "self-play games", 1, 1 << 16)
    try rate(selfPlayLearningRate, "the self-play learning rate")
    try count(snapshotInterval, "the snapshot interval", 1, 1 << 20)
    try count(poolCapacity, "the pool capacity", 1, 1 << 16)
    try count(evaluationGames, "evaluation games", 0, 1 << 20)
    try count(valueGames, "value games", 2, 1 << 20)
    try count(valueEpochs, "value epochs", 1, 1 << 16)
    try count(valueMinibatch, "the value minibatch", 1, 1 << 16)
    try rate(valueLearningRate, "the value learning rate")
    try require(
      valueHeldOutShare > 0 && valueHeldOutShare < 1,
      "the value held-out share must be in (0, 1), got \(valueHeldOutShare)")
    try count(alphaZeroIterations, "AlphaZero iterations", 0, 1 << 20)
    try count(alphaZeroGames, "AlphaZero games", 1, 1 << 16)
    try count(alphaZeroTemperatureMoves, "AlphaZero temperature moves", 0, 1 << 16)
    try count(alphaZeroEpochs, "AlphaZero epochs", 1, 1 << 16)
    try count(alphaZeroMinibatch, "the AlphaZero minibatch", 1, 1 << 16)
    try rate(alphaZeroLearningRate, "the AlphaZero learning rate")
    try alphaZeroSearch.validate()
    try search.validate()
    try count(solverGames, "solver games", 0, 1 << 20)
    try count(eloGamesPerPair, "Elo games per pair", 0, 1 << 20)
  }
}

/// AlphaGo's four steps as one reproducible run (Silver et al. 2016, in
/// miniature; the lecture's outline):
///
/// 1. **SL policy**: maximise log π(a|s) on expert moves (the exact solver
///    for tic-tac-toe and Connect-N, else UCT with a large budget) over the
///    positions of random games, with held-out top-1 accuracy
///    (`ExpertMoves`, `SupervisedTrainer`). One step per epoch.
/// 2. **RL policy**: REINFORCE self-play of a copy of the SL policy against
///    a pool of its former selves (`SelfPlayReinforce`), with its win rate
///    against the SL policy (both sampling). One step per iteration.
/// 3. **Value network**: ½(V(s) − G)² on one position per self-play game of
///    the RL policy (`ValueTargets`), held-out MSE and, with an exact
///    solver, MSE against the exact outcomes. One step.
/// 4. Optionally the **AlphaZero loop** from the RL policy and the value
///    network (`AlphaZeroLearner`), one step per iteration; then the
///    **evaluation**: PUCT with both networks (`PUCTPlayer`) and the raw
///    policy (greedy) against the solver from both seats, their mistake
///    rates (`MistakeRate`) and an Elo fit of the checkpoints. One step.
///
/// `step()` runs the next unit of work and reports it (the C ABI and
/// Python drive the loop, so progress and Ctrl-C work); `run(progress:)`
/// loops to the end. Checkpoints (`BoardNetworkRecord` files) go to
/// `directory` (created with its parents if missing): `sl_policy.spg`,
/// `rl_policy_<iteration>.spg` at each snapshot and `rl_policy.spg`,
/// `value.spg`, `az_policy_<k>.spg` / `az_value_<k>.spg`. Every random
/// choice derives from `config.seed`: the same seed and build give the
/// same networks and reports.
public final class AlphaGoPipeline<G: TwoPlayerGame> {
  public enum Stage: Int32, Sendable {
    case supervised = 1, selfPlay = 2, value = 3, alphaZero = 4, evaluation = 5, done = 6
  }

  /// What one step did; metrics not measured in the step are NaN.
  public struct Progress: Sendable {
    public var stage: Stage
    /// 1-based within the stage, and the stage's total.
    public var iteration: Int
    public var iterations: Int
    /// Seconds since the pipeline started (its steps only).
    public var seconds: Double
    /// SL: training and held-out top-1 accuracy and held-out loss (nats).
    public var trainAccuracy = Double.nan
    public var heldOutAccuracy = Double.nan
    public var heldOutLoss = Double.nan
    /// RL: the score (win 1, draw ½) against this iteration's pool
    /// opponent, and against the SL policy when measured.
    public var scoreVsOpponent = Double.nan
    public var scoreVsSupervised = Double.nan
    /// Value: mean squared errors on the training and held-out positions
    /// (against the game outcomes) and against the exact outcomes.
    public var valueTrainMSE = Double.nan
    public var valueHeldOutMSE = Double.nan
    public var valueExactMSE = Double.nan
    /// AlphaZero: the last epoch's policy cross-entropy and value loss.
    public var policyLoss = Double.nan
    public var valueLoss = Double.nan
    /// The checkpoint files written in this step.
    public var checkpoints: [String] = []

    init(_ stage: Stage, _ iteration: Int, _ iterations: Int, _ seconds: Double) {
      (self.stage, self.iteration, self.iterations, self.seconds) = (stage, iteration, iterations, seconds)
    }
  }

  /// A written checkpoint.
  public struct CheckpointEntry: Sendable, Equatable {
    public var path: String
    /// true: a policy network; false: a value network.
    public var isPolicy: Bool
    public var stage: Stage
    /// The stage iteration it was taken at.
    public var iteration: Int
  }

  /// The final evaluation (stage `.evaluation`).
  public struct Evaluation: Sendable {
    /// Against the solver (nil without one or with `solverGames` 0).
    public var rawVsSolver: Arena.Result?
    public var searchVsSolver: Arena.Result?
    /// Mistake rates (nil without an exact solver or measurement).
    public var rawMistakes: MistakeRate.Report?
    public var searchMistakes: MistakeRate.Report?
    /// The Elo round robin: labels and ratings (random anchored at 0).
    public var eloLabels: [String] = []
    public var eloRatings: [Double] = []
    public var eloErrors: [Double] = []
  }

  public let game: G
  public let config: AlphaGoPipelineConfig
  public let directory: String
  public let cancellation = CancellationFlag()
  /// The SL policy (fixed after step 1), the RL policy (trained in step 2
  /// and by AlphaZero), the value network.
  public let supervisedPolicy: BoardPolicyNetwork
  public let policy: BoardPolicyNetwork
  public let value: BoardValueNetwork
  public private(set) var stage: Stage = .supervised
  public private(set) var checkpoints: [CheckpointEntry] = []
  public private(set) var evaluation: Evaluation?
  /// The SL training history: loss and top-1 accuracy per epoch, on the
  /// training and the held-out positions.
  public private(set) var supervisedHistory = SupervisedTrainer.History()

  private var stageIteration = 0
  private var elapsed = 0.0
  private var expert: (train: ExpertExamples<G>, heldOut: ExpertExamples<G>)?
  private var trainer: SupervisedTrainer?
  private var reinforce: SelfPlayReinforce<G>?
  private var alphaZero: AlphaZeroLearner<G>?
  private let oracle: MoveOracle<G>?

  /// Builds both networks (seeded from `config.seed`) and checks the
  /// directory. Nothing is trained yet.
  /// - Throws: `.invalidArgument` for a bad config or a directory path that
  ///   is empty or longer than 4096 bytes; `.io` when the directory cannot
  ///   be created; network construction errors.
  public init(_ game: G, config: AlphaGoPipelineConfig, directory: String) throws(SwiftPGError) {
    try config.validate()
    try require(!directory.isEmpty && directory.utf8.count <= 4096, "the checkpoint directory must be a path of 1 to 4096 bytes")
    try require(!directory.utf8.contains(0), "the checkpoint directory contains a NUL byte")
    self.game = game
    self.config = config
    self.directory = directory
    var rng = PCG64(seed: UInt128(config.seed))
    if config.convChannels.isEmpty {
      supervisedPolicy = try BoardPolicyNetwork.mlp(for: game, hidden: config.hidden, using: &rng)
      value = try BoardValueNetwork.mlp(for: game, hidden: config.hidden, using: &rng)
    } else {
      supervisedPolicy = try BoardPolicyNetwork.conv(for: game, channels: config.convChannels, using: &rng)
      value = try BoardValueNetwork.conv(for: game, channels: config.convChannels, using: &rng)
    }
    policy = try copyPolicy(supervisedPolicy)
    oracle = game.cellCount <= Self.maxExactCells ? try? MoveOracle(game) : nil
    try Self.makeDirectory(directory)
  }

  /// The largest board (cells) on which the pipeline asks the exact solver
  /// (the expert of step 1, value MSE against exact outcomes, games against
  /// the solver, mistake rates): 4 × 5, 5 × 5 and smaller solve in moments;
  /// 6 × 7 positions early in the game take minutes, so there the expert is
  /// UCT and the solver's measures are left out.
  public static var maxExactCells: Int { 25 }

  /// Creates `path` and its missing parents (as `mkdir -p`), unless it is
  /// a directory already.
  static func makeDirectory(_ path: String) throws(SwiftPGError) {
    var prefix = path.hasPrefix("/") ? "/" : ""
    for part in path.split(separator: "/") {
      prefix += String(part)
      var st = stat()
      if stat(prefix, &st) == 0 {
        try require((st.st_mode & S_IFMT) == S_IFDIR, "\(prefix) exists and is not a directory", code: .io)
      } else if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
        throw SwiftPGError(.io, "cannot create the checkpoint directory \(prefix): \(String(cString: strerror(errno)))")
      }
      prefix += "/"
    }
  }

  public var isDone: Bool { stage == .done }

  /// The number of steps of `stage` under this config.
  public func iterations(of stage: Stage) -> Int {
    switch stage {
    case .supervised: config.supervisedEpochs
    case .selfPlay: config.selfPlayIterations
    case .value: 1
    case .alphaZero: config.alphaZeroIterations
    case .evaluation: 1
    case .done: 0
    }
  }

  /// Runs the next step and reports it.
  /// - Throws: `.invalidArgument` when the pipeline is done; `.cancelled`
  ///   (the step's work is discarded where its learner rolls back; the
  ///   pipeline stays at the same step); the steps' errors.
  public func step() throws(SwiftPGError) -> Progress {
    try require(stage != .done, "the pipeline is done")
    try cancellation.check("the AlphaGo pipeline")
    let start = monotonicSeconds()
    var p = Progress(stage, stageIteration + 1, iterations(of: stage), elapsed)
    switch stage {
    case .supervised: try supervisedStep(&p)
    case .selfPlay: try selfPlayStep(&p)
    case .value: try valueStep(&p)
    case .alphaZero: try alphaZeroStep(&p)
    case .evaluation: try evaluationStep(&p)
    case .done: break
    }
    p.iteration = stageIteration + 1
    stageIteration += 1
    while stage != .done && stageIteration >= iterations(of: stage) {
      stage = Stage(rawValue: stage.rawValue + 1) ?? .done
      stageIteration = 0
    }
    elapsed += monotonicSeconds() - start
    p.seconds = elapsed
    return p
  }

  /// Runs every remaining step, calling `progress` after each (return false
  /// to stop early).
  public func run(progress: (Progress) -> Bool = { _ in true }) throws(SwiftPGError) {
    while !isDone {
      if !progress(try step()) { return }
    }
  }

  // MARK: - The steps

  private func supervisedStep(_ p: inout Progress) throws(SwiftPGError) {
    if expert == nil {
      let teacher: any GameStrategy<G>
      if game.cellCount <= Self.maxExactCells, let solver = try? makeSolver(for: game) {
        teacher = solver
      } else {
        teacher = try MCTSPlayer(game, simulations: config.expertSimulations)
      }
      expert = try ExpertMoves.collect(
        game, expert: teacher, games: config.expertGames, heldOutShare: config.heldOutShare,
        seed: derivedSeed(1))
      trainer = try SupervisedTrainer(
        parameterCount: supervisedPolicy.parameterCount,
        config: SupervisedTrainer.Config(
          epochs: 1, minibatchSize: config.supervisedMinibatch, learningRate: config.supervisedLearningRate,
          seed: derivedSeed(2)))
    }
    guard let expert, let trainer else { throw SwiftPGError(.internalError, "no expert data") }
    trainer.cancellation = cancellation
    let h = try trainer.fit(
      supervisedPolicy, inputs: expert.train.planes, labels: expert.train.labels,
      heldOut: (expert.heldOut.planes, expert.heldOut.labels))
    supervisedHistory.loss += h.loss
    supervisedHistory.accuracy += h.accuracy
    supervisedHistory.heldOutLoss += h.heldOutLoss
    supervisedHistory.heldOutAccuracy += h.heldOutAccuracy
    p.trainAccuracy = h.accuracy.last ?? .nan
    p.heldOutAccuracy = h.heldOutAccuracy.last ?? .nan
    p.heldOutLoss = h.heldOutLoss.last ?? .nan
    if stageIteration + 1 == config.supervisedEpochs {
      try policy.setParameters(supervisedPolicy.parameters)
      p.checkpoints.append(try save(supervisedPolicy, "sl_policy", .supervised, stageIteration + 1))
      self.expert = nil  // the data is no longer needed
    }
  }

  private func selfPlayStep(_ p: inout Progress) throws(SwiftPGError) {
    if reinforce == nil {
      reinforce = try SelfPlayReinforce(
        game, policy: policy, value: nil,
        config: SelfPlayReinforce.Config(
          gamesPerIteration: config.selfPlayGames, learningRate: config.selfPlayLearningRate,
          snapshotInterval: config.snapshotInterval, poolCapacity: config.poolCapacity, seed: derivedSeed(3)))
    }
    guard let reinforce else { throw SwiftPGError(.internalError, "no self-play learner") }
    let stats = try reinforce.iterate()
    p.scoreVsOpponent = stats.record.score
    let k = reinforce.iteration
    // The stage's count follows the learner's (a later failure of this step,
    // e.g. writing its checkpoint, does not make the stage run an extra
    // iteration).
    stageIteration = k - 1
    let last = k >= config.selfPlayIterations
    if k % config.snapshotInterval == 0 || last {
      if config.evaluationGames > 0 {
        p.scoreVsSupervised = try scoreAgainstSupervised(games: config.evaluationGames, seed: derivedSeed(4 + UInt64(k)))
      }
      p.checkpoints.append(try save(policy, last ? "rl_policy" : "rl_policy_\(k)", .selfPlay, k))
    }
    if last { self.reinforce = nil }
  }

  /// The RL policy's score against the SL policy, both sampling (AlphaGo's
  /// measure: its RL policy won about 80 % of games against the SL one).
  public func scoreAgainstSupervised(games: Int, seed: UInt64) throws(SwiftPGError) -> Double {
    let one = PUCTConfig(simulations: 1)
    let rl = try PUCTPlayer(game, config: one, evaluator: NetworkEvaluator(policy: policy, value: nil), temperature: 1)
    let sl = try PUCTPlayer(
      game, config: one, evaluator: NetworkEvaluator(policy: supervisedPolicy, value: nil), temperature: 1)
    return try Arena.play(game, rl, sl, games: games, seed: seed, cancellation: cancellation).record.score
  }

  private func valueStep(_ p: inout Progress) throws(SwiftPGError) {
    let ex = try ValueTargets.collect(game, policy: policy, games: config.valueGames, seed: derivedSeed(5))
    let m = ex.targets.count
    let width = value.inputSize
    let held = Swift.min(Swift.max(1, Int((Double(m) * config.valueHeldOutShare).rounded())), m - 1)
    let train = m - held
    let trainPlanes = Array(ex.planes[0..<(train * width)])
    let trainTargets = Array(ex.targets[0..<train])
    try cancellation.check("the AlphaGo pipeline")
    _ = try ValueTargets.fit(
      value, planes: trainPlanes, targets: trainTargets, epochs: config.valueEpochs,
      minibatchSize: config.valueMinibatch, learningRate: config.valueLearningRate, seed: derivedSeed(6))
    let v = try values(ex.planes, count: m)
    p.valueTrainMSE = meanSquaredError(v[0..<train], ex.targets[0..<train])
    p.valueHeldOutMSE = meanSquaredError(v[train...], ex.targets[train...])
    if let oracle {
      var exact: [Double] = []
      for s in ex.states[train...] { exact.append(Double(try oracle.outcome(s))) }
      p.valueExactMSE = meanSquaredError(v[train...], exact[...])
    }
    p.checkpoints.append(try save(value, "value", .value, 1))
  }

  private func alphaZeroStep(_ p: inout Progress) throws(SwiftPGError) {
    if alphaZero == nil {
      alphaZero = try AlphaZeroLearner(
        game, policy: policy, value: value,
        config: AlphaZeroLearner.Config(
          gamesPerIteration: config.alphaZeroGames, temperatureMoves: config.alphaZeroTemperatureMoves,
          epochs: config.alphaZeroEpochs, minibatchSize: config.alphaZeroMinibatch,
          learningRate: config.alphaZeroLearningRate, search: config.alphaZeroSearch, seed: derivedSeed(7)))
    }
    guard let alphaZero else { throw SwiftPGError(.internalError, "no AlphaZero learner") }
    let stats = try alphaZero.iterate()
    p.policyLoss = stats.policyLoss.last ?? .nan
    p.valueLoss = stats.valueLoss.last ?? .nan
    let k = alphaZero.iteration
    stageIteration = k - 1  // as in the self-play stage
    if k % config.snapshotInterval == 0 || k >= config.alphaZeroIterations {
      p.checkpoints.append(try save(policy, "az_policy_\(k)", .alphaZero, k))
      p.checkpoints.append(try save(value, "az_value_\(k)", .alphaZero, k))
    }
    if k >= config.alphaZeroIterations { self.alphaZero = nil }
  }

  /// A copy of the current policy network (for a player that must not
  /// change while the pipeline trains).
  public func policyCopy() throws(SwiftPGError) -> BoardPolicyNetwork { try copyPolicy(policy) }

  /// A copy of the current value network.
  public func valueCopy() throws(SwiftPGError) -> BoardValueNetwork {
    let trunk = try makeBoardTrunk(family: value.trunk.family, specification: value.trunk.trunkSpecification)
    try trunk.setParameters(value.parameters)
    trunk.setPrecision(value.trunk.precision)
    return try BoardValueNetwork(
      trunk: trunk, planeCount: value.planeCount, boardHeight: value.boardHeight, boardWidth: value.boardWidth)
  }

  /// The raw policy network as a player: its most probable legal move.
  public func rawPlayer() throws(SwiftPGError) -> PUCTPlayer<G> {
    try PUCTPlayer(game, config: PUCTConfig(simulations: 1), evaluator: NetworkEvaluator(policy: policy, value: nil))
  }

  /// PUCT with both networks (`config.search`), most visited move.
  public func searchPlayer() throws(SwiftPGError) -> PUCTPlayer<G> {
    try PUCTPlayer(game, config: config.search, evaluator: NetworkEvaluator(policy: policy, value: value))
  }

  private func evaluationStep(_ p: inout Progress) throws(SwiftPGError) {
    var e = Evaluation()
    let raw = try rawPlayer()
    let search = try searchPlayer()
    if config.solverGames > 0, game.cellCount <= Self.maxExactCells, let solver = try? makeSolver(for: game) {
      e.rawVsSolver = try Arena.play(
        game, raw, solver, games: config.solverGames, seed: derivedSeed(8), cancellation: cancellation)
      e.searchVsSolver = try Arena.play(
        game, search, solver, games: config.solverGames, seed: derivedSeed(9), cancellation: cancellation)
    }
    if config.measureMistakes, let oracle {
      e.rawMistakes = try MistakeRate.measure(
        game, player: raw, oracle: oracle, seed: derivedSeed(10), cancellation: cancellation)
      e.searchMistakes = try MistakeRate.measure(
        game, player: search, oracle: oracle, seed: derivedSeed(11), cancellation: cancellation)
    }
    if config.eloGamesPerPair > 0 {
      var players: [any GameStrategy<G>] = [RandomPlayer(game)]
      var labels = ["random"]
      for c in checkpoints where c.isPolicy {
        let net = try Checkpoint.loadBoardPolicy(c.path)
        players.append(
          try PUCTPlayer(game, config: PUCTConfig(simulations: 1), evaluator: NetworkEvaluator(policy: net, value: nil)))
        labels.append(baseName(c.path))
      }
      players.append(search)
      labels.append("search(\(config.search.simulations))")
      if players.count <= 64 {
        let rr = try Arena.roundRobin(
          game, players, gamesPerPair: config.eloGamesPerPair, seed: derivedSeed(12), priorGames: 1,
          cancellation: cancellation)
        e.eloLabels = labels
        e.eloRatings = rr.fit.ratings
        e.eloErrors = rr.fit.standardErrors
      }
    }
    evaluation = e
  }

  // MARK: - Helpers

  private func derivedSeed(_ k: UInt64) -> UInt64 {
    var g = playoutGenerator(seed: config.seed, game: Int(truncatingIfNeeded: k), playout: 18)
    return g.next()
  }

  private func values(_ planes: [Double], count: Int) throws(SwiftPGError) -> [Double] {
    var out = [Double](repeating: 0, count: count)
    let width = value.inputSize
    var start = 0
    while start < count {
      let b = Swift.min(1024, count - start)
      let chunk = Array(planes[(start * width)..<((start + b) * width)])
      var v = [Double](repeating: 0, count: b)
      try value.values(planes: chunk, batch: b, into: &v)
      for i in 0..<b { out[start + i] = v[i] }
      start += b
    }
    return out
  }

  private func meanSquaredError(_ v: ArraySlice<Double>, _ t: ArraySlice<Double>) -> Double {
    guard !v.isEmpty else { return .nan }
    var s = 0.0
    for (a, b) in zip(v, t) { s += (a - b) * (a - b) }
    return s / Double(v.count)
  }

  private func path(_ name: String) -> String {
    directory.hasSuffix("/") ? directory + name + ".spg" : directory + "/" + name + ".spg"
  }

  private func baseName(_ path: String) -> String {
    var name = String(path.split(separator: "/").last ?? Substring(path))
    if name.hasSuffix(".spg") { name.removeLast(4) }
    return name
  }

  private func save(_ net: BoardPolicyNetwork, _ name: String, _ stage: Stage, _ iteration: Int) throws(SwiftPGError)
    -> String
  {
    let file = path(name)
    try Checkpoint.save(net, to: file)
    checkpoints.append(CheckpointEntry(path: file, isPolicy: true, stage: stage, iteration: iteration))
    return file
  }

  private func save(_ net: BoardValueNetwork, _ name: String, _ stage: Stage, _ iteration: Int) throws(SwiftPGError)
    -> String
  {
    let file = path(name)
    try Checkpoint.save(net, to: file)
    checkpoints.append(CheckpointEntry(path: file, isPolicy: false, stage: stage, iteration: iteration))
    return file
  }
}

/// A new policy network of the same architecture, parameters and
/// precision as `net`.
func copyPolicy(_ net: BoardPolicyNetwork) throws(SwiftPGError) -> BoardPolicyNetwork {
  let trunk = try makeBoardTrunk(family: net.trunk.family, specification: net.trunk.trunkSpecification)
  try trunk.setParameters(net.parameters)
  trunk.setPrecision(net.trunk.precision)
  return try BoardPolicyNetwork(
    trunk: trunk, planeCount: net.planeCount, boardHeight: net.boardHeight, boardWidth: net.boardWidth,
    actionCount: net.actionCount)
}
