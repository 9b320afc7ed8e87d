import CSwiftPG
import SwiftPG

// The C ABI of issue 18's pipeline, mistake rate and ladder
// (Include/swiftpg.h, "Self-play pipeline and evaluation ladder").

/// A pipeline behind a handle, whatever its game.
protocol ErasedPipeline: AnyObject {
  var cancellation: CancellationFlag { get }
  func step() throws(SwiftPGError) -> swiftpg_alphago_progress
  var checkpointEntries: [(path: String, isPolicy: Bool, stage: Int32, iteration: Int)] { get }
  var summary: swiftpg_alphago_evaluation { get }
  var ratings: [(label: String, rating: Double, error: Double)] { get }
  func makePlayer(simulations: Int) throws(SwiftPGError) -> any ErasedGamePlayer
}

final class PipelineBox<G: TwoPlayerGame>: ErasedPipeline {
  let pipeline: AlphaGoPipeline<G>
  init(_ pipeline: AlphaGoPipeline<G>) { self.pipeline = pipeline }

  var cancellation: CancellationFlag { pipeline.cancellation }

  func step() throws(SwiftPGError) -> swiftpg_alphago_progress {
    let p = try pipeline.step()
    var c = swiftpg_alphago_progress()
    c.size = UInt32(MemoryLayout<swiftpg_alphago_progress>.size)
    c.stage = p.stage.rawValue
    c.iteration = Int32(clamping: p.iteration)
    c.iterations = Int32(clamping: p.iterations)
    c.num_checkpoints = Int32(clamping: p.checkpoints.count)
    c.done = pipeline.isDone ? 1 : 0
    c.seconds = p.seconds
    c.train_accuracy = p.trainAccuracy
    c.held_out_accuracy = p.heldOutAccuracy
    c.held_out_loss = p.heldOutLoss
    c.score_vs_opponent = p.scoreVsOpponent
    c.score_vs_supervised = p.scoreVsSupervised
    c.value_train_mse = p.valueTrainMSE
    c.value_held_out_mse = p.valueHeldOutMSE
    c.value_exact_mse = p.valueExactMSE
    c.policy_loss = p.policyLoss
    c.value_loss = p.valueLoss
    return c
  }

  var checkpointEntries: [(path: String, isPolicy: Bool, stage: Int32, iteration: Int)] {
    pipeline.checkpoints.map { ($0.path, $0.isPolicy, $0.stage.rawValue, $0.iteration) }
  }

  var summary: swiftpg_alphago_evaluation {
    var c = swiftpg_alphago_evaluation()
    c.size = UInt32(MemoryLayout<swiftpg_alphago_evaluation>.size)
    let e = pipeline.evaluation
    c.evaluated = e == nil ? 0 : 1
    withUnsafeMutableBytes(of: &c.raw_vs_solver) { writeRecord(e?.rawVsSolver, $0) }
    withUnsafeMutableBytes(of: &c.search_vs_solver) { writeRecord(e?.searchVsSolver, $0) }
    c.num_ratings = Int32(clamping: e?.eloRatings.count ?? 0)
    c.raw_positions = Int64(e?.rawMistakes?.positions ?? -1)
    c.raw_mistakes = Int64(e?.rawMistakes?.mistakes ?? -1)
    c.search_positions = Int64(e?.searchMistakes?.positions ?? -1)
    c.search_mistakes = Int64(e?.searchMistakes?.mistakes ?? -1)
    c.raw_mistake_rate = e?.rawMistakes?.rate ?? .nan
    c.search_mistake_rate = e?.searchMistakes?.rate ?? .nan
    return c
  }

  var ratings: [(label: String, rating: Double, error: Double)] {
    guard let e = pipeline.evaluation else { return [] }
    return (0..<e.eloRatings.count).map { (e.eloLabels[$0], e.eloRatings[$0], e.eloErrors[$0]) }
  }

  func makePlayer(simulations: Int) throws(SwiftPGError) -> any ErasedGamePlayer {
    try require(
      simulations >= 1 && simulations <= PUCTConfig.maxSimulations,
      "simulations must be in [1, 2^20], got \(simulations)")
    let policy = try pipeline.policyCopy()
    if simulations == 1 {
      return PlayerBox(
        pipeline.game,
        try PUCTPlayer(pipeline.game, config: PUCTConfig(simulations: 1), evaluator: NetworkEvaluator(policy: policy, value: nil)))
    }
    var config = pipeline.config.search
    config.simulations = simulations
    return PlayerBox(
      pipeline.game,
      try PUCTPlayer(
        pipeline.game, config: config, evaluator: NetworkEvaluator(policy: policy, value: try pipeline.valueCopy())))
  }
}

/// Writes a record [9] (overall, as first, as second) or nine −1.
private func writeRecord(_ r: Arena.Result?, _ raw: UnsafeMutableRawBufferPointer) {
  let out = raw.bindMemory(to: Int32.self)
  guard let r else {
    for i in 0..<9 { out[i] = -1 }
    return
  }
  for (k, m) in [r.record, r.asFirst, r.asSecond].enumerated() {
    out[3 * k] = Int32(clamping: m.wins)
    out[3 * k + 1] = Int32(clamping: m.draws)
    out[3 * k + 2] = Int32(clamping: m.losses)
  }
}

/// A batch that can make pipelines of its game.
protocol PipelineMaking {
  func makePipeline(_ config: AlphaGoPipelineConfig, directory: String) throws(SwiftPGError) -> any ErasedPipeline
}

extension GameBatch: PipelineMaking {
  func makePipeline(_ config: AlphaGoPipelineConfig, directory: String) throws(SwiftPGError) -> any ErasedPipeline {
    PipelineBox(try AlphaGoPipeline(game, config: config, directory: directory))
  }
}

let pipelineTable = HandleTable<any ErasedPipeline>(kind: .selfplayPipeline)

extension AlphaGoPipelineConfig {
  init(_ c: swiftpg_alphago_config) throws(SwiftPGError) {
    self.init()
    try require(
      c.num_hidden >= 0 && c.num_hidden <= SWIFTPG_ALPHAGO_MAX_LAYERS,
      "num_hidden must be in [0, \(SWIFTPG_ALPHAGO_MAX_LAYERS)], got \(c.num_hidden)")
    try require(
      c.num_conv >= 0 && c.num_conv <= SWIFTPG_ALPHAGO_MAX_LAYERS,
      "num_conv must be in [0, \(SWIFTPG_ALPHAGO_MAX_LAYERS)], got \(c.num_conv)")
    hidden = withUnsafeBytes(of: c.hidden) { Array($0.bindMemory(to: Int32.self).prefix(Int(c.num_hidden))) }.map {
      Int($0)
    }
    convChannels = withUnsafeBytes(of: c.conv_channels) {
      Array($0.bindMemory(to: Int32.self).prefix(Int(c.num_conv)))
    }.map { Int($0) }
    try require(c.measure_mistakes == 0 || c.measure_mistakes == 1, "measure_mistakes must be 0 or 1, got \(c.measure_mistakes)")
    expertGames = Int(c.expert_games)
    expertSimulations = Int(c.expert_simulations)
    heldOutShare = c.held_out_share
    supervisedEpochs = Int(c.supervised_epochs)
    supervisedMinibatch = Int(c.supervised_minibatch)
    supervisedLearningRate = c.supervised_learning_rate
    selfPlayIterations = Int(c.selfplay_iterations)
    selfPlayGames = Int(c.selfplay_games)
    selfPlayLearningRate = c.selfplay_learning_rate
    snapshotInterval = Int(c.snapshot_interval)
    poolCapacity = Int(c.pool_capacity)
    evaluationGames = Int(c.evaluation_games)
    valueGames = Int(c.value_games)
    valueEpochs = Int(c.value_epochs)
    valueMinibatch = Int(c.value_minibatch)
    valueLearningRate = c.value_learning_rate
    valueHeldOutShare = c.value_held_out_share
    alphaZeroIterations = Int(c.alphazero_iterations)
    alphaZeroGames = Int(c.alphazero_games)
    alphaZeroTemperatureMoves = Int(c.alphazero_temperature_moves)
    alphaZeroEpochs = Int(c.alphazero_epochs)
    alphaZeroMinibatch = Int(c.alphazero_minibatch)
    alphaZeroLearningRate = c.alphazero_learning_rate
    alphaZeroSearch = PUCTConfig(
      simulations: Int(c.alphazero_simulations), cPuct: c.alphazero_c_puct, rolloutWeight: 0,
      dirichletAlpha: c.alphazero_dirichlet_alpha, dirichletEpsilon: c.alphazero_dirichlet_epsilon)
    search = PUCTConfig(
      simulations: Int(c.search_simulations), cPuct: c.search_c_puct, rolloutWeight: c.search_rollout_weight)
    solverGames = Int(c.solver_games)
    measureMistakes = c.measure_mistakes == 1
    eloGamesPerPair = Int(c.elo_games_per_pair)
    seed = c.seed
    for (name, v) in [
      ("held_out_share", heldOutShare), ("supervised_learning_rate", supervisedLearningRate),
      ("selfplay_learning_rate", selfPlayLearningRate), ("value_learning_rate", valueLearningRate),
      ("value_held_out_share", valueHeldOutShare), ("alphazero_learning_rate", alphaZeroLearningRate),
      ("alphazero_c_puct", c.alphazero_c_puct), ("alphazero_dirichlet_alpha", c.alphazero_dirichlet_alpha),
      ("alphazero_dirichlet_epsilon", c.alphazero_dirichlet_epsilon), ("search_c_puct", c.search_c_puct),
      ("search_rollout_weight", c.search_rollout_weight),
    ] {
      try require(v.isFinite, "\(name) must be finite, got \(v)", code: .notFinite)
    }
    try validate()
  }

  var c: swiftpg_alphago_config {
    var c = swiftpg_alphago_config()
    c.size = UInt32(MemoryLayout<swiftpg_alphago_config>.size)
    c.num_hidden = Int32(hidden.count)
    withUnsafeMutableBytes(of: &c.hidden) { raw in
      let out = raw.bindMemory(to: Int32.self)
      for (i, h) in hidden.prefix(out.count).enumerated() { out[i] = Int32(clamping: h) }
    }
    c.num_conv = Int32(convChannels.count)
    withUnsafeMutableBytes(of: &c.conv_channels) { raw in
      let out = raw.bindMemory(to: Int32.self)
      for (i, h) in convChannels.prefix(out.count).enumerated() { out[i] = Int32(clamping: h) }
    }
    c.expert_games = Int32(clamping: expertGames)
    c.expert_simulations = Int32(clamping: expertSimulations)
    c.held_out_share = heldOutShare
    c.supervised_epochs = Int32(clamping: supervisedEpochs)
    c.supervised_minibatch = Int32(clamping: supervisedMinibatch)
    c.supervised_learning_rate = supervisedLearningRate
    c.selfplay_iterations = Int32(clamping: selfPlayIterations)
    c.selfplay_games = Int32(clamping: selfPlayGames)
    c.selfplay_learning_rate = selfPlayLearningRate
    c.snapshot_interval = Int32(clamping: snapshotInterval)
    c.pool_capacity = Int32(clamping: poolCapacity)
    c.evaluation_games = Int32(clamping: evaluationGames)
    c.value_games = Int32(clamping: valueGames)
    c.value_epochs = Int32(clamping: valueEpochs)
    c.value_minibatch = Int32(clamping: valueMinibatch)
    c.value_learning_rate = valueLearningRate
    c.value_held_out_share = valueHeldOutShare
    c.alphazero_iterations = Int32(clamping: alphaZeroIterations)
    c.alphazero_games = Int32(clamping: alphaZeroGames)
    c.alphazero_temperature_moves = Int32(clamping: alphaZeroTemperatureMoves)
    c.alphazero_epochs = Int32(clamping: alphaZeroEpochs)
    c.alphazero_minibatch = Int32(clamping: alphaZeroMinibatch)
    c.alphazero_learning_rate = alphaZeroLearningRate
    c.alphazero_simulations = Int32(clamping: alphaZeroSearch.simulations)
    c.alphazero_c_puct = alphaZeroSearch.cPuct
    c.alphazero_dirichlet_alpha = alphaZeroSearch.dirichletAlpha
    c.alphazero_dirichlet_epsilon = alphaZeroSearch.dirichletEpsilon
    c.search_simulations = Int32(clamping: search.simulations)
    c.search_c_puct = search.cPuct
    c.search_rollout_weight = search.rolloutWeight
    c.solver_games = Int32(clamping: solverGames)
    c.measure_mistakes = measureMistakes ? 1 : 0
    c.elo_games_per_pair = Int32(clamping: eloGamesPerPair)
    c.seed = seed
    return c
  }
}

@c @implementation
public func swiftpg_alphago_default_config(_ config_out: UnsafeMutablePointer<swiftpg_alphago_config>?) -> Int32 {
  entry { () throws(SwiftPGError) in try need(config_out, "config_out").pointee = AlphaGoPipelineConfig().c }
}

@c @implementation
public func swiftpg_alphago_create(
  _ game: UInt64, _ config: UnsafePointer<swiftpg_alphago_config>?, _ directory: UnsafePointer<CChar>?,
  _ pipeline_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(pipeline_out, "pipeline_out")
    let cfg = try AlphaGoPipelineConfig(try readConfig(config, "swiftpg_alphago_config"))
    let dir = try cString(directory, "directory", limit: 4097)
    try require(dir.utf8.count <= 4096, "directory is longer than 4096 bytes")
    try using(gameTable, game) { (g) throws(SwiftPGError) in
      guard let maker = g as? any PipelineMaking else {
        throw SwiftPGError(.notSupported, "\(g.dimensions.name) has no self-play pipeline")
      }
      out.pointee = try pipelineTable.insert(try maker.makePipeline(cfg, directory: dir))
    }
  }
}

@c @implementation
public func swiftpg_alphago_destroy(_ pipeline: UInt64) -> Int32 {
  entry { () throws(SwiftPGError) in try pipelineTable.remove(pipeline) }
}

@c @implementation
public func swiftpg_alphago_step(
  _ pipeline: UInt64, _ progress_out: UnsafeMutablePointer<swiftpg_alphago_progress>?
) -> Int32 {
  entry(pipelineTable, pipeline, output: progress_out, "progress_out") { (p, out) throws(SwiftPGError) in
    out.pointee = try p.step()
  }
}

@c @implementation
public func swiftpg_alphago_checkpoint_count(_ pipeline: UInt64, _ count_out: UnsafeMutablePointer<Int32>?) -> Int32 {
  entry(pipelineTable, pipeline, output: count_out, "count_out") { (p, out) throws(SwiftPGError) in
    out.pointee = Int32(clamping: p.checkpointEntries.count)
  }
}

@c @implementation
public func swiftpg_alphago_checkpoint(
  _ pipeline: UInt64, _ index: Int32, _ path_out: UnsafeMutablePointer<CChar>?, _ capacity: Int,
  _ length_out: UnsafeMutablePointer<Int>?, _ info_out: UnsafeMutablePointer<Int32>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    _ = try need(length_out, "length_out")
    let info = try needIfPresent(info_out, "info_out")
    try using(pipelineTable, pipeline) { (p) throws(SwiftPGError) in
      let entries = p.checkpointEntries
      let e = entries[try checkIndex(index, entries.count)]
      try writeText(e.path, path_out, capacity, length_out)
      if let info {
        info[0] = e.isPolicy ? 1 : 0
        info[1] = e.stage
        info[2] = Int32(clamping: e.iteration)
      }
    }
  }
}

@c @implementation
public func swiftpg_alphago_evaluation_summary(
  _ pipeline: UInt64, _ evaluation_out: UnsafeMutablePointer<swiftpg_alphago_evaluation>?
) -> Int32 {
  entry(pipelineTable, pipeline, output: evaluation_out, "evaluation_out") { (p, out) throws(SwiftPGError) in
    out.pointee = p.summary
  }
}

@c @implementation
public func swiftpg_alphago_rating(
  _ pipeline: UInt64, _ index: Int32, _ label_out: UnsafeMutablePointer<CChar>?, _ capacity: Int,
  _ length_out: UnsafeMutablePointer<Int>?, _ rating_out: UnsafeMutablePointer<Double>?,
  _ error_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    _ = try need(length_out, "length_out")
    let rating = try need(rating_out, "rating_out")
    let error = try needIfPresent(error_out, "error_out")
    try using(pipelineTable, pipeline) { (p) throws(SwiftPGError) in
      let all = p.ratings
      let r = all[try checkIndex(index, all.count)]
      try writeText(r.label, label_out, capacity, length_out)
      rating.pointee = r.rating
      error?.pointee = r.error
    }
  }
}

@c @implementation
public func swiftpg_alphago_player(
  _ pipeline: UInt64, _ simulations: Int32, _ player_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(player_out, "player_out")
    try using(pipelineTable, pipeline) { (p) throws(SwiftPGError) in
      out.pointee = try playerTable.insert(try p.makePlayer(simulations: Int(simulations)))
    }
  }
}

// MARK: - Mistake rate and ladder

/// A player that can be measured on the game of a batch.
protocol EvaluatedPlayer: AnyObject {
  func mistakeRate(of batch: any BatchedGame, sides: [Int], seed: UInt64) throws(SwiftPGError) -> MistakeRate.Report
  func ladderRungCount(of batch: any BatchedGame, _ config: Ladder.Config) throws(SwiftPGError) -> Int
  func ladder(of batch: any BatchedGame, _ config: Ladder.Config) throws(SwiftPGError) -> [Ladder.Rung]
}

extension PlayerBox: EvaluatedPlayer {
  private func sameGame(_ batch: any BatchedGame) throws(SwiftPGError) -> G {
    guard let b = batch as? GameBatch<G>, String(describing: b.game) == key else {
      throw .invalid(
        "the game is \(batch.dimensions.name) \(batch.dimensions.boardHeight)×\(batch.dimensions.boardWidth) "
          + "(or other parameters), but the player was made for \(game.name) \(game.boardHeight)×\(game.boardWidth)")
    }
    return b.game
  }

  func mistakeRate(of batch: any BatchedGame, sides: [Int], seed: UInt64) throws(SwiftPGError) -> MistakeRate.Report {
    let g = try sameGame(batch)
    let oracle = try MoveOracle(g, cancellation: batch.cancellation)  // Ctrl-C on the batch stops the solver too
    return try MistakeRate.measure(
      g, player: strategy, oracle: oracle, sides: sides, seed: seed, cancellation: batch.cancellation)
  }

  func ladderRungCount(of batch: any BatchedGame, _ config: Ladder.Config) throws(SwiftPGError) -> Int {
    try Ladder.opponents(try sameGame(batch), config).count
  }

  func ladder(of batch: any BatchedGame, _ config: Ladder.Config) throws(SwiftPGError) -> [Ladder.Rung] {
    try Ladder.play(try sameGame(batch), player: strategy, config: config, cancellation: batch.cancellation)
  }
}

/// Runs `body` with the evaluated player and the game batch held.
private func withEvaluatedPlayer(
  _ player: UInt64, _ game: UInt64, _ body: (any EvaluatedPlayer, any BatchedGame) throws(SwiftPGError) -> Void
) throws(SwiftPGError) {
  let p = try playerTable.get(player)
  let g = try gameTable.get(game)
  try using(p, "player", g, "game") { (p, g) throws(SwiftPGError) in
    guard let e = p as? any EvaluatedPlayer else {
      throw SwiftPGError(.notSupported, "this player cannot be evaluated")
    }
    try body(e, g)
  }
}

@c @implementation
public func swiftpg_mistake_rate(
  _ player: UInt64, _ game: UInt64, _ sides: Int32, _ seed: UInt64,
  _ report_out: UnsafeMutablePointer<swiftpg_mistake_report>?, _ positions_by_ply_out: UnsafeMutablePointer<Int64>?,
  _ mistakes_by_ply_out: UnsafeMutablePointer<Int64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(report_out, "report_out")
    let byPly = try needIfPresent(positions_by_ply_out, "positions_by_ply_out")
    let mistakesByPly = try needIfPresent(mistakes_by_ply_out, "mistakes_by_ply_out")
    try require(sides >= 1 && sides <= 3, "sides must be 1 (first), 2 (second) or 3 (both), got \(sides)")
    let seats = [0, 1].filter { sides & (1 << Int32($0)) != 0 }
    try withEvaluatedPlayer(player, game) { (p, g) throws(SwiftPGError) in
      let r = try p.mistakeRate(of: g, sides: seats, seed: seed)
      var c = swiftpg_mistake_report()
      c.size = UInt32(MemoryLayout<swiftpg_mistake_report>.size)
      c.max_ply = Int32(clamping: r.positionsByPly.count)
      c.positions = Int64(r.positions)
      c.mistakes = Int64(r.mistakes)
      c.lost_wins = Int64(r.lostWins)
      c.lost_draws = Int64(r.lostDraws)
      c.positions_first = Int64(r.positionsBySide[0])
      c.mistakes_first = Int64(r.mistakesBySide[0])
      c.positions_second = Int64(r.positionsBySide[1])
      c.mistakes_second = Int64(r.mistakesBySide[1])
      c.rate = r.rate
      out.pointee = c
      if let byPly { copyOut(r.positionsByPly.map { Int64($0) }, byPly) }
      if let mistakesByPly { copyOut(r.mistakesByPly.map { Int64($0) }, mistakesByPly) }
    }
  }
}

extension Ladder.Config {
  init(_ c: swiftpg_ladder_config) throws(SwiftPGError) {
    self.init()
    try require(c.random == 0 || c.random == 1, "random must be 0 or 1, got \(c.random)")
    try require(c.solver == 0 || c.solver == 1, "solver must be 0 or 1, got \(c.solver)")
    try require(
      c.num_minimax_depths >= 0 && c.num_minimax_depths <= 8,
      "num_minimax_depths must be in [0, 8], got \(c.num_minimax_depths)")
    try require(c.mcts_c.isFinite, "mcts_c must be finite, got \(c.mcts_c)", code: .notFinite)
    gamesPerRung = Int(c.games_per_rung)
    random = c.random == 1
    mctsBase = Int(c.mcts_base)
    mctsRungs = Int(c.mcts_rungs)
    mctsC = c.mcts_c
    minimaxDepths = withUnsafeBytes(of: c.minimax_depths) {
      Array($0.bindMemory(to: Int32.self).prefix(Int(c.num_minimax_depths)))
    }.map { Int($0) }
    solver = c.solver == 1
    seed = c.seed
    try validate()
  }

  var c: swiftpg_ladder_config {
    var c = swiftpg_ladder_config()
    c.size = UInt32(MemoryLayout<swiftpg_ladder_config>.size)
    c.games_per_rung = Int32(clamping: gamesPerRung)
    c.random = random ? 1 : 0
    c.mcts_base = Int32(clamping: mctsBase)
    c.mcts_rungs = Int32(clamping: mctsRungs)
    c.mcts_c = mctsC
    c.num_minimax_depths = Int32(clamping: minimaxDepths.count)
    withUnsafeMutableBytes(of: &c.minimax_depths) { raw in
      let out = raw.bindMemory(to: Int32.self)
      for (i, d) in minimaxDepths.prefix(out.count).enumerated() { out[i] = Int32(clamping: d) }
    }
    c.solver = solver ? 1 : 0
    c.seed = seed
    return c
  }
}

@c @implementation
public func swiftpg_ladder_default_config(_ config_out: UnsafeMutablePointer<swiftpg_ladder_config>?) -> Int32 {
  entry { () throws(SwiftPGError) in try need(config_out, "config_out").pointee = Ladder.Config().c }
}

@c @implementation
public func swiftpg_ladder_play(
  _ player: UInt64, _ game: UInt64, _ config: UnsafePointer<swiftpg_ladder_config>?,
  _ rungs_out: UnsafeMutablePointer<swiftpg_ladder_rung>?, _ capacity: Int32, _ count_out: UnsafeMutablePointer<Int32>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let cfg = try Ladder.Config(try readConfig(config, "swiftpg_ladder_config"))
    let out = try need(rungs_out, "rungs_out")
    let count = try need(count_out, "count_out")
    try require(capacity >= 0, "capacity must be >= 0, got \(capacity)")
    try withEvaluatedPlayer(player, game) { (p, g) throws(SwiftPGError) in
      let needed = try p.ladderRungCount(of: g, cfg)
      try require(
        needed <= Int(capacity), "the ladder has \(needed) rungs; capacity is \(capacity)", code: .bufferTooSmall)
      let rungs = try p.ladder(of: g, cfg)
      for (i, r) in rungs.enumerated() {
        var c = swiftpg_ladder_rung()
        switch r.opponent {
        case .random: (c.kind, c.parameter) = (SWIFTPG_LADDER_RANDOM, 0)
        case .mcts(let s, _): (c.kind, c.parameter) = (SWIFTPG_LADDER_MCTS, Int32(clamping: s))
        case .minimax(let d): (c.kind, c.parameter) = (SWIFTPG_LADDER_MINIMAX, Int32(clamping: d))
        case .solver: (c.kind, c.parameter) = (SWIFTPG_LADDER_SOLVER, 0)
        }
        withUnsafeMutableBytes(of: &c.record) { writeRecord(r.result, $0) }
        out[i] = c
      }
      count.pointee = Int32(rungs.count)
    }
  }
}
