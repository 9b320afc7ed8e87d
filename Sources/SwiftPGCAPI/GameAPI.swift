import CSwiftPG
import SwiftPG

// The C ABI of issue 17's two-player games (Include/swiftpg.h, "Two-player
// board games"). Every entry point checks its pointers and sizes, then lets
// the batch check flags, actions and states before anything changes.

/// Reads a C flag that must be 0 or 1.
private func flag(_ value: Int32, _ name: String) throws(SwiftPGError) -> Bool {
  try require(value == 0 || value == 1, "\(name) must be 0 or 1, got \(value)")
  return value == 1
}

/// A batch of `num_games` games of `make()` behind a new handle.
private func createGame<G: TwoPlayerGame>(
  _ num_games: Int32, _ auto_reset: Int32, _ game_out: UnsafeMutablePointer<UInt64>?,
  _ make: () throws(SwiftPGError) -> G
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let autoReset = try flag(auto_reset, "auto_reset")
    try register(gameTable, game_out, "game_out") { () throws(SwiftPGError) in
      try GameBatch(try make(), count: Int(num_games), autoReset: autoReset) as any BatchedGame
    }
  }
}

@c @implementation
public func swiftpg_game_create_tic_tac_toe(
  _ num_games: Int32, _ auto_reset: Int32, _ game_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  createGame(num_games, auto_reset, game_out) { TicTacToe() }
}

@c @implementation
public func swiftpg_game_create_connect_n(
  _ rows: Int32, _ columns: Int32, _ x_in_row: Int32, _ num_games: Int32, _ auto_reset: Int32,
  _ game_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  createGame(num_games, auto_reset, game_out) { () throws(SwiftPGError) in
    try ConnectN(rows: Int(rows), columns: Int(columns), xInRow: Int(x_in_row))
  }
}

@c @implementation
public func swiftpg_game_create_go(
  _ board_size: Int32, _ komi: Double, _ max_game_length: Int32, _ num_games: Int32, _ auto_reset: Int32,
  _ game_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  createGame(num_games, auto_reset, game_out) { () throws(SwiftPGError) in
    try GoGame(
      boardSize: Int(board_size), komi: komi, maxGameLength: max_game_length == 0 ? nil : Int(max_game_length))
  }
}

@c @implementation
public func swiftpg_game_score_margin(_ game: UInt64, _ margins_out: UnsafeMutablePointer<Double>?) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(margins_out, "margins_out")
    try using(gameTable, game) { (g) throws(SwiftPGError) in try g.scoreMargins(into: out) }
  }
}

@c @implementation
public func swiftpg_game_destroy(_ game: UInt64) -> Int32 {
  entry { () throws(SwiftPGError) in try gameTable.remove(game) }
}

@c @implementation
public func swiftpg_game_get_info(_ game: UInt64, _ info_out: UnsafeMutablePointer<swiftpg_game_info>?) -> Int32 {
  entry(gameTable, game, output: info_out, "info_out") { (b, out) throws(SwiftPGError) in
    let g = b.dimensions
    out.pointee = swiftpg_game_info(
      num_games: Int32(b.count), num_actions: Int32(g.actionCount), max_game_length: Int32(g.maxGameLength),
      board_height: Int32(g.boardHeight), board_width: Int32(g.boardWidth),
      observation_planes: Int32(g.observationShape.first ?? 0), num_planes: Int32(g.planeCount),
      state_size: Int32(g.stateSize), num_symmetries: Int32(g.symmetryCount), auto_reset: b.autoReset ? 1 : 0)
  }
}

@c @implementation
public func swiftpg_game_reset(_ game: UInt64, _ which: UnsafePointer<UInt8>?) -> Int32 {
  entry { () throws(SwiftPGError) in
    try using(gameTable, game) { (g) throws(SwiftPGError) in try g.reset(which: which) }
  }
}

@c @implementation
public func swiftpg_game_step(
  _ game: UInt64, _ actions: UnsafePointer<Int32>?, _ active: UnsafePointer<UInt8>?,
  _ ended_out: UnsafeMutablePointer<UInt8>?, _ outcomes_out: UnsafeMutablePointer<Double>?,
  _ ended_count_out: UnsafeMutablePointer<Int32>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let a = try need(actions, "actions")
    let endedOut = try needIfPresent(ended_out, "ended_out")
    let outcomesOut = try needIfPresent(outcomes_out, "outcomes_out")
    let countOut = try needIfPresent(ended_count_out, "ended_count_out")
    try using(gameTable, game) { (g) throws(SwiftPGError) in
      let n = try g.step(actions: a, active: active, ended: endedOut, outcomes: outcomesOut)
      countOut?.pointee = Int32(n)
    }
  }
}

@c @implementation
public func swiftpg_game_apply(
  _ game: UInt64, _ index: Int32, _ action: Int32, _ ended_out: UnsafeMutablePointer<UInt8>?,
  _ outcome_out: UnsafeMutablePointer<Double>?, _ player_out: UnsafeMutablePointer<Int32>?,
  _ legal_mask_out: UnsafeMutablePointer<UInt8>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let endedOut = try needIfPresent(ended_out, "ended_out")
    let outcomeOut = try needIfPresent(outcome_out, "outcome_out")
    let playerOut = try needIfPresent(player_out, "player_out")
    let maskOut = try needIfPresent(legal_mask_out, "legal_mask_out")
    try using(gameTable, game) { (g) throws(SwiftPGError) in
      let r = try g.apply(Int(action), game: Int(index), legalMask: maskOut)
      endedOut?.pointee = r.ended ? 1 : 0
      outcomeOut?.pointee = r.outcome
      playerOut?.pointee = Int32(r.player)
    }
  }
}

@c @implementation
public func swiftpg_game_set_threads(_ game: UInt64, _ num_threads: Int32) -> Int32 {
  entry { () throws(SwiftPGError) in
    try require(
      num_threads >= 1 && Int(num_threads) <= WorkerPool.maxThreads,
      "num_threads must be in [1, \(WorkerPool.maxThreads)], got \(num_threads)")
    try using(gameTable, game) { (g) throws(SwiftPGError) in g.threadCount = Int(num_threads) }
  }
}

@c @implementation
public func swiftpg_game_clone(_ game: UInt64, _ index: Int32, _ game_out: UnsafeMutablePointer<UInt64>?) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(game_out, "game_out")
    var copy: (any BatchedGame)?
    try using(gameTable, game) { (g) throws(SwiftPGError) in copy = try g.copyGame(Int(index)) }
    guard let copy else { throw SwiftPGError(.internalError, "swiftpg_game_clone made no copy") }
    out.pointee = try gameTable.insert(copy)
  }
}

/// An entry point that writes one required per-game output of the batch.
private func gameOutput<O>(
  _ game: UInt64, _ output: UnsafeMutablePointer<O>?, _ name: String,
  _ body: (any BatchedGame, UnsafeMutablePointer<O>) -> Void
) -> Int32 {
  entry(gameTable, game, output: output, name) { (g, out) throws(SwiftPGError) in body(g, out) }
}

@c @implementation
public func swiftpg_game_legal_mask(_ game: UInt64, _ mask_out: UnsafeMutablePointer<UInt8>?) -> Int32 {
  gameOutput(game, mask_out, "mask_out") { $0.legalMask(into: $1) }
}

@c @implementation
public func swiftpg_game_status(
  _ game: UInt64, _ players_out: UnsafeMutablePointer<Int32>?, _ terminal_out: UnsafeMutablePointer<UInt8>?,
  _ returns_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let players = try needIfPresent(players_out, "players_out")
    let terminal = try needIfPresent(terminal_out, "terminal_out")
    let returns = try needIfPresent(returns_out, "returns_out")
    try using(gameTable, game) { (g) throws(SwiftPGError) in
      g.status(players: players, terminal: terminal, returns: returns)
    }
  }
}

@c @implementation
public func swiftpg_game_observation(_ game: UInt64, _ observations_out: UnsafeMutablePointer<Double>?) -> Int32 {
  gameOutput(game, observations_out, "observations_out") { $0.observations(into: $1) }
}

@c @implementation
public func swiftpg_game_planes(_ game: UInt64, _ planes_out: UnsafeMutablePointer<Double>?) -> Int32 {
  gameOutput(game, planes_out, "planes_out") { $0.planes(into: $1) }
}

@c @implementation
public func swiftpg_game_get_state(_ game: UInt64, _ states_out: UnsafeMutablePointer<Int32>?) -> Int32 {
  gameOutput(game, states_out, "states_out") { $0.states(into: $1) }
}

@c @implementation
public func swiftpg_game_set_state(_ game: UInt64, _ states: UnsafePointer<Int32>?) -> Int32 {
  entry { () throws(SwiftPGError) in
    let words = try need(states, "states")
    try using(gameTable, game) { (g) throws(SwiftPGError) in try g.setStates(words) }
  }
}

@c @implementation
public func swiftpg_game_render_text(
  _ game: UInt64, _ index: Int32, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int,
  _ length_out: UnsafeMutablePointer<Int>?
) -> Int32 {
  textEntry(gameTable, game, buffer, capacity, length_out) { (g) throws(SwiftPGError) in
    g.render(try checkIndex(index, g.count))
  }
}

@c @implementation
public func swiftpg_game_symmetry(
  _ game: UInt64, _ symmetry: Int32, _ cell_map_out: UnsafeMutablePointer<Int32>?,
  _ action_map_out: UnsafeMutablePointer<Int32>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let cells = try needIfPresent(cell_map_out, "cell_map_out")
    let actions = try needIfPresent(action_map_out, "action_map_out")
    try using(gameTable, game) { (g) throws(SwiftPGError) in
      let k = try checkIndex(symmetry, g.dimensions.symmetryCount, "symmetry")
      if let cells { copyOut(g.cellMap(symmetry: k).map { Int32($0) }, cells) }
      if let actions { copyOut(g.actionMap(symmetry: k).map { Int32($0) }, actions) }
    }
  }
}

@c @implementation
public func swiftpg_game_playouts(
  _ game: UInt64, _ seed: UInt64, _ playouts_per_game: Int32, _ outcomes_out: UnsafeMutablePointer<Double>?,
  _ lengths_out: UnsafeMutablePointer<Int32>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let outcomes = try need(outcomes_out, "outcomes_out")
    let lengths = try needIfPresent(lengths_out, "lengths_out")
    try require(playouts_per_game >= 1, "playouts_per_game must be >= 1, got \(playouts_per_game)")
    try using(gameTable, game) { (g) throws(SwiftPGError) in
      _ = try Limits.product(
        [g.count, Int(playouts_per_game)], limit: Limits.maxScratchElements, "playouts [N, P]")
      try g.playouts(seed: seed, perGame: Int(playouts_per_game), outcomes: outcomes, lengths: lengths)
    }
  }
}
