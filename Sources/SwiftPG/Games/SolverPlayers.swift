/// The perfect Connect-N player: `ConnectSolver.columnScores` scores every
/// column exactly (Pons' convention), and the player drops its stone into a
/// column of the best score, ties broken uniformly by the generator — so it
/// wins as fast as possible, and when lost loses as late as possible.
///
/// Speed depends on the position: on 6×7 a move with a dozen stones down
/// takes well under a second, the empty board minutes (bench/
/// connect_four_solver.py). Needs x_in_row ≥ 2.
public final class ConnectSolverPlayer: GameStrategy {
  public let game: ConnectN
  public let solver: ConnectSolver
  public var cancellation: CancellationFlag { solver.cancellation }

  /// - Parameter tableSize: transposition-table entries (9 bytes each);
  ///   nil: 8 388 593 (75 MB) for boards of 36 cells or more, else 1 048 573.
  public init(
    _ game: ConnectN, tableSize: Int? = nil, cancellation: CancellationFlag = CancellationFlag()
  ) throws(SwiftPGError) {
    try require(game.xInRow >= 2, "the Connect-N solver needs x_in_row >= 2, got \(game.xInRow)", code: .notSupported)
    self.game = game
    let size = tableSize ?? (game.rows * game.columns >= 36 ? 8_388_593 : 1_048_573)
    solver = try ConnectSolver(
      rows: game.rows, columns: game.columns, inRow: game.xInRow, tableSize: size, cancellation: cancellation)
  }

  public var label: String { "solver" }

  /// Pons' score of `s` for the player to move (see `ConnectSolver`).
  public func score(_ s: ConnectN.State) throws(SwiftPGError) -> Int {
    try requirePlayable(s)
    return try solver.score(try ConnectBitboard(game, s))
  }

  /// The score of each column for the player to move (nil: a full column).
  public func columnScores(_ s: ConnectN.State) throws(SwiftPGError) -> [Int?] {
    try requirePlayable(s)
    return try solver.columnScores(try ConnectBitboard(game, s))
  }

  public func action(for s: ConnectN.State, using rng: inout SplitMix64) throws(SwiftPGError) -> Int {
    var pick = TieBreak()
    for (c, score) in try columnScores(s).enumerated() {
      if let score { pick.offer(c, Double(score), using: &rng) }
    }
    return pick.choice
  }
}

/// The perfect player of a small game by exact negamax over the whole game
/// tree, with a transposition table of exact values (every position is
/// solved once, then looked up). A win scores (maxGameLength + 1 − moves
/// made at its end), a loss the negation, a draw 0, so the player wins as
/// fast as it can and loses as late as it can; equal moves are broken
/// uniformly by the generator. Meant for tic-tac-toe (5 478 positions)
/// and other games whose positions fit in `maxPositions` and that, like
/// tic-tac-toe and Connect-N, place one stone per move and end only by the
/// mover's line or a full board (the scoring counts stones and credits a
/// win to the player who moved last).
public final class ExactSolverPlayer<G: TwoPlayerGame>: GameStrategy {
  public let game: G
  public let cancellation: CancellationFlag
  /// The value of every position solved so far, for the player to move.
  private var table: [G.State: Int] = [:]
  /// Positions the table may hold before the search gives up (`.tooLarge`).
  public let maxPositions: Int

  public init(_ game: G, maxPositions: Int = 1 << 22, cancellation: CancellationFlag = CancellationFlag()) {
    self.game = game
    self.maxPositions = maxPositions
    self.cancellation = cancellation
  }

  public var label: String { "solver" }
  /// Positions solved so far.
  public var positionCount: Int { table.count }

  /// The exact value of `s` for the player to move (see the type).
  public func value(_ s: G.State) throws(SwiftPGError) -> Int {
    if let v = table[s] { return v }
    if game.isTerminal(s) {
      // Only the player who just moved can have won: a loss for the player to move.
      return game.returnOfPlayer0(s) == 0 ? 0 : -(game.maxGameLength + 1 - stones(s))
    }
    try require(
      table.count < maxPositions, "the exact solver's table exceeds \(maxPositions) positions", code: .tooLarge)
    if table.count & 4095 == 4095 { try cancellation.check("the exact solver") }
    var best = Int.min
    for a in 0..<game.actionCount where game.isLegal(a, in: s) {
      var child = s
      game.applyLegal(a, to: &child)
      best = max(best, -(try value(child)))
    }
    table[s] = best
    return best
  }

  private func stones(_ s: G.State) -> Int {
    (0..<game.cellCount).reduce(0) { $0 + (game.owner(ofCell: $1, in: s) >= 0 ? 1 : 0) }
  }

  public func action(for s: G.State, using rng: inout SplitMix64) throws(SwiftPGError) -> Int {
    try bestAction(in: s, using: &rng) { (child, _) throws(SwiftPGError) in Double(-(try value(child))) }
  }
}

/// The perfect player of `game`: `ConnectSolverPlayer` for Connect-N with
/// x_in_row ≥ 2, `ExactSolverPlayer` for games of at most 16 moves
/// (tic-tac-toe, tiny Connect-N boards); otherwise `.notSupported`.
public func makeSolver<G: TwoPlayerGame>(
  for game: G, cancellation: CancellationFlag = CancellationFlag()
) throws(SwiftPGError) -> any GameStrategy<G> {
  if let connect = game as? ConnectN, connect.xInRow >= 2,
    let player = try ConnectSolverPlayer(connect, cancellation: cancellation) as? any GameStrategy<G>
  {
    return player
  }
  if game.maxGameLength <= 16 { return ExactSolverPlayer(game, cancellation: cancellation) }
  throw SwiftPGError(.notSupported, "no perfect solver for \(game.name) of this size")
}
