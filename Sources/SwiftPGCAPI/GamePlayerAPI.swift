import CSwiftPG
import SwiftPG

// The C ABI of issue 17's players, arena, Elo fit and Connect-N solver
// (Include/swiftpg.h, "Games: players and arena"). A player handle holds a
// `PlayerBox<G>` for the concrete game; every call checks its pointers and
// sizes, then that the batch it is handed is of the player's game.

/// A player behind a handle, whatever its game.
protocol ErasedGamePlayer: AnyObject {
  var cancellation: CancellationFlag { get }
  /// The player's move in game `index` of `batch`.
  func action(in batch: any BatchedGame, index: Int32, seed: UInt64) throws(SwiftPGError) -> Int
  /// A match of this player (A) against `other` (B) of the game of `batch`.
  func arena(against other: any ErasedGamePlayer, of batch: any BatchedGame, games: Int, seed: UInt64)
    throws(SwiftPGError) -> Arena.Result
  /// The Connect-N solver of this player (`.notSupported` for another kind).
  func connectSolver() throws(SwiftPGError) -> ConnectSolverPlayer
  /// The state of game `index` of `batch`, as a `ConnectN` state.
  func connectState(in batch: any BatchedGame, index: Int32) throws(SwiftPGError) -> ConnectN.State
}

/// A batch that can make players of its game.
protocol PlayerMaking {
  func makePlayer(_ kind: PlayerKind) throws(SwiftPGError) -> any ErasedGamePlayer
}

extension GameBatch: PlayerMaking {
  func makePlayer(_ kind: PlayerKind) throws(SwiftPGError) -> any ErasedGamePlayer {
    PlayerBox(game, try kind.make(for: game))
  }
}

/// The game's rules and parameters as text: two games are the same game
/// when these agree (every stored property of the game value).
private func gameKey<G: TwoPlayerGame>(_ game: G) -> String { String(describing: game) }

final class PlayerBox<G: TwoPlayerGame>: ErasedGamePlayer {
  let game: G
  let key: String
  let strategy: any GameStrategy<G>

  init(_ game: G, _ strategy: any GameStrategy<G>) {
    self.game = game
    key = gameKey(game)
    self.strategy = strategy
  }

  var cancellation: CancellationFlag { strategy.cancellation }

  /// `batch` as a batch of this player's game, refusing another game.
  private func same(_ batch: any BatchedGame, _ what: String) throws(SwiftPGError) -> GameBatch<G> {
    guard let b = batch as? GameBatch<G>, gameKey(b.game) == key else {
      throw .invalid(
        "\(what) is \(batch.dimensions.name) \(batch.dimensions.boardHeight)×\(batch.dimensions.boardWidth) "
          + "(or other parameters), but the player was made for \(game.name) "
          + "\(game.boardHeight)×\(game.boardWidth)")
    }
    return b
  }

  private func state(_ batch: any BatchedGame, _ index: Int32) throws(SwiftPGError) -> G.State {
    let b = try same(batch, "the game")
    let i = try checkIndex(index, b.count)
    try require(!game.isTerminal(b.games[i]), "game \(i) is over: no move to choose")
    return b.games[i]
  }

  func action(in batch: any BatchedGame, index: Int32, seed: UInt64) throws(SwiftPGError) -> Int {
    let s = try state(batch, index)
    var rng = SplitMix64(seed: seed)
    return try strategy.action(for: s, using: &rng)
  }

  func arena(against other: any ErasedGamePlayer, of batch: any BatchedGame, games: Int, seed: UInt64)
    throws(SwiftPGError) -> Arena.Result
  {
    _ = try same(batch, "the game")
    guard let b = other as? PlayerBox<G>, b.key == key else {
      throw .invalid("player_b was made for another game than player_a")
    }
    return try Arena.play(game, strategy, b.strategy, games: games, seed: seed, cancellation: batch.cancellation)
  }

  func connectSolver() throws(SwiftPGError) -> ConnectSolverPlayer {
    guard let s = strategy as? ConnectSolverPlayer else {
      throw SwiftPGError(.notSupported, "this player is not a Connect-N solver (\(strategy.label) of \(game.name))")
    }
    return s
  }

  func connectState(in batch: any BatchedGame, index: Int32) throws(SwiftPGError) -> ConnectN.State {
    guard let s = try state(batch, index) as? ConnectN.State else {
      throw SwiftPGError(.notSupported, "\(game.name) is not Connect-N")
    }
    return s
  }
}

/// A player of `kind` for the game of `game`, behind a new handle.
private func createPlayer(_ game: UInt64, _ player_out: UnsafeMutablePointer<UInt64>?, _ kind: PlayerKind) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(player_out, "player_out")
    try using(gameTable, game) { (g) throws(SwiftPGError) in
      guard let maker = g as? any PlayerMaking else {
        throw SwiftPGError(.notSupported, "\(g.dimensions.name) has no players")
      }
      out.pointee = try playerTable.insert(try maker.makePlayer(kind))
    }
  }
}

@c @implementation
public func swiftpg_player_create_random(_ game: UInt64, _ player_out: UnsafeMutablePointer<UInt64>?) -> Int32 {
  createPlayer(game, player_out, .random)
}

@c @implementation
public func swiftpg_player_create_minimax(
  _ game: UInt64, _ depth: Int32, _ player_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  createPlayer(game, player_out, .minimax(depth: Int(depth)))
}

@c @implementation
public func swiftpg_player_create_mcts(
  _ game: UInt64, _ simulations: Int32, _ uct_c: Double, _ player_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  createPlayer(game, player_out, .mcts(simulations: Int(simulations), c: uct_c))
}

@c @implementation
public func swiftpg_player_create_solver(_ game: UInt64, _ player_out: UnsafeMutablePointer<UInt64>?) -> Int32 {
  createPlayer(game, player_out, .solver)
}

@c @implementation
public func swiftpg_player_destroy(_ player: UInt64) -> Int32 {
  entry { () throws(SwiftPGError) in try playerTable.remove(player) }
}

/// Runs `body` with the player and the game batch held (BUSY otherwise).
private func withPlayer(
  _ player: UInt64, _ game: UInt64, _ body: (any ErasedGamePlayer, any BatchedGame) throws(SwiftPGError) -> Void
) throws(SwiftPGError) {
  let p = try playerTable.get(player)
  let g = try gameTable.get(game)
  try using(p, "player", g, "game") { (p, g) throws(SwiftPGError) in try body(p, g) }
}

@c @implementation
public func swiftpg_player_action(
  _ player: UInt64, _ game: UInt64, _ index: Int32, _ seed: UInt64, _ action_out: UnsafeMutablePointer<Int32>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(action_out, "action_out")
    try withPlayer(player, game) { (p, g) throws(SwiftPGError) in
      out.pointee = Int32(try p.action(in: g, index: index, seed: seed))
    }
  }
}

@c @implementation
public func swiftpg_arena_play(
  _ game: UInt64, _ player_a: UInt64, _ player_b: UInt64, _ games: Int32, _ seed: UInt64,
  _ record_out: UnsafeMutablePointer<Int32>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(record_out, "record_out")
    try require(games >= 1 && games <= 1 << 24, "games must be in [1, 2^24], got \(games)")
    let a = try playerTable.get(player_a)
    let b = try playerTable.get(player_b)
    let g = try gameTable.get(game)
    var held: [(acquire: () -> Bool, release: () -> Void, name: String)] = [
      (g.tryAcquire, g.release, "game"), (a.tryAcquire, a.release, "player_a"),
    ]
    if player_b != player_a { held.append((b.tryAcquire, b.release, "player_b")) }
    try usingAll(held) { () throws(SwiftPGError) in
      let r = try a.object.arena(against: b.object, of: g.object, games: Int(games), seed: seed)
      for (k, m) in [r.record, r.asFirst, r.asSecond].enumerated() {
        out[3 * k] = Int32(m.wins)
        out[3 * k + 1] = Int32(m.draws)
        out[3 * k + 2] = Int32(m.losses)
      }
    }
  }
}

@c @implementation
public func swiftpg_elo_fit(
  _ records: UnsafePointer<Int32>?, _ num_players: Int32, _ anchor: Int32, _ prior_games: Double,
  _ ratings_out: UnsafeMutablePointer<Double>?, _ errors_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let r = try need(records, "records")
    let ratingsOut = try need(ratings_out, "ratings_out")
    let errorsOut = try needIfPresent(errors_out, "errors_out")
    try require(num_players >= 1, "num_players must be >= 1, got \(num_players)")
    try require(num_players <= 256, "num_players \(num_players) exceeds 256", code: .tooLarge)
    let n = Int(num_players)
    let a = try checkIndex(anchor, n, "anchor")
    try require(prior_games.isFinite, "prior_games must be finite, got \(prior_games)", code: .notFinite)
    var matrix = [MatchRecord](repeating: MatchRecord(), count: n * n)
    for k in 0..<n * n {
      let (w, d, l) = (r[3 * k], r[3 * k + 1], r[3 * k + 2])
      try require(
        w >= 0 && d >= 0 && l >= 0, "records[\(k / n), \(k % n)] has a negative count: (\(w), \(d), \(l))")
      matrix[k] = MatchRecord(wins: Int(w), draws: Int(d), losses: Int(l))
    }
    let fit = try EloRatings.fit(records: matrix, players: n, anchor: a, priorGames: prior_games)
    try require(
      fit.ratings.allSatisfy(\.isFinite) && fit.standardErrors.allSatisfy(\.isFinite),
      "the fitted ratings are not finite", code: .numerical)
    copyOut(fit.ratings, ratingsOut)
    if let errorsOut { copyOut(fit.standardErrors, errorsOut) }
  }
}

/// A solver query: checks `output`, then runs `body` with the Connect-N
/// solver of `player` and the state of game `index` of `game`.
private func solverEntry<O>(
  _ player: UInt64, _ game: UInt64, _ index: Int32, _ output: UnsafeMutablePointer<O>?, _ name: String,
  _ body: (ConnectSolverPlayer, ConnectN.State, UnsafeMutablePointer<O>) throws(SwiftPGError) -> Void
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(output, name)
    try withPlayer(player, game) { (p, g) throws(SwiftPGError) in
      try body(try p.connectSolver(), try p.connectState(in: g, index: index), out)
    }
  }
}

@c @implementation
public func swiftpg_solver_score(
  _ player: UInt64, _ game: UInt64, _ index: Int32, _ score_out: UnsafeMutablePointer<Int32>?
) -> Int32 {
  solverEntry(player, game, index, score_out, "score_out") { (solver, s, out) throws(SwiftPGError) in
    out.pointee = Int32(try solver.score(s))
  }
}

@c @implementation
public func swiftpg_solver_column_scores(
  _ player: UInt64, _ game: UInt64, _ index: Int32, _ scores_out: UnsafeMutablePointer<Int32>?
) -> Int32 {
  solverEntry(player, game, index, scores_out, "scores_out") { (solver, s, out) throws(SwiftPGError) in
    copyOut(try solver.columnScores(s).map { $0.map { Int32($0) } ?? SWIFTPG_SOLVER_NO_SCORE }, out)
  }
}

@c @implementation
public func swiftpg_solver_node_count(_ player: UInt64, _ count_out: UnsafeMutablePointer<Int64>?) -> Int32 {
  entry(playerTable, player, output: count_out, "count_out") { (p, out) throws(SwiftPGError) in
    out.pointee = Int64(try p.connectSolver().solver.nodeCount)
  }
}
