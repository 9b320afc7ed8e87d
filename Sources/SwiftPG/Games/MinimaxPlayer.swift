/// Depth-limited negamax with alpha–beta pruning (Knuth & Moore 1975) and
/// the game's `positionHeuristic` at the horizon.
///
/// Values, from the point of view of the player to move: a win found at ply
/// p scores 2 − p/1000 (sooner is better), a loss −(2 − p/1000), a draw 0,
/// and a position at the horizon the heuristic (strictly inside (−1, 1)),
/// so a proven result always outweighs a heuristic one. Among root moves of
/// equal value (within 1e−12) the choice is uniform, drawn from the
/// generator handed to `action`.
///
/// Tic-tac-toe at depth ≥ 9 is an exact solver.
/// - Complexity: O(b^depth) positions per move (b: legal moves).
public final class MinimaxPlayer<G: TwoPlayerGame>: GameStrategy {
  public let game: G
  public let depth: Int
  public let cancellation = CancellationFlag()
  private let heuristic: @Sendable (G.State) -> Double
  /// Positions evaluated since creation.
  public private(set) var nodeCount = 0

  /// - Throws: `.invalidArgument` unless 1 ≤ depth ≤ 64.
  public init(_ game: G, depth: Int) throws(SwiftPGError) {
    try require(depth >= 1 && depth <= 64, "depth must be in [1, 64], got \(depth)")
    self.game = game
    self.depth = depth
    heuristic = game.positionHeuristic()
  }

  public var label: String { "minimax(depth \(depth))" }

  public func action(for s: G.State, using rng: inout SplitMix64) throws(SwiftPGError) -> Int {
    let opponent = 1 - game.currentPlayer(s)
    return try bestAction(in: s, using: &rng, tolerance: 1e-12) { (child, best) throws(SwiftPGError) in
      // A window just below the best so far: worse moves fail low, ties and
      // better moves get their exact value.
      let alpha = best.isFinite ? best - 1e-9 : -.infinity
      return -(try negamax(child, opponent, depth - 1, ply: 1, alpha: -.infinity, beta: -alpha))
    }
  }

  /// The value of `s` for `player`, the player to move in it (players
  /// alternate, so in a finished game it is the one who would move next).
  private func negamax(
    _ s: G.State, _ player: Int, _ remaining: Int, ply: Int, alpha a: Double, beta: Double
  ) throws(SwiftPGError) -> Double {
    nodeCount += 1
    if nodeCount & 4095 == 0 { try cancellation.check("the minimax search") }
    if game.isTerminal(s) {
      let r = player == 0 ? game.returnOfPlayer0(s) : -game.returnOfPlayer0(s)
      return r == 0 ? 0 : (r > 0 ? 1 : -1) * (2 - Double(ply) / 1000)
    }
    if remaining == 0 { return player == 0 ? heuristic(s) : -heuristic(s) }
    var alpha = a
    var best = -Double.infinity
    for m in 0..<game.actionCount where game.isLegal(m, in: s) {
      var child = s
      game.applyLegal(m, to: &child)
      let v = -(try negamax(child, 1 - player, remaining - 1, ply: ply + 1, alpha: -beta, beta: -alpha))
      if v > best { best = v }
      if v > alpha { alpha = v }
      if alpha >= beta { break }
    }
    return best
  }
}

/// Open lines weighted by their stones: each line of `k` cells holding only
/// player 0's stones (n of them, n ≥ 1) adds n², only player 1's subtracts
/// n²; the sum over lines is squashed into (−1, 1) by x / (|x| + k² · 4).
/// A line holding stones of both players counts nothing (it can never be
/// completed).
func openLineHeuristic(lines: [UInt64], length k: Int) -> @Sendable (UInt64, UInt64) -> Double
{
  let scale = Double(k * k * 4)
  return { (a: UInt64, b: UInt64) -> Double in
    var x = 0.0
    for line in lines {
      let na = (a & line).nonzeroBitCount
      let nb = (b & line).nonzeroBitCount
      if nb == 0 && na > 0 { x += Double(na * na) } else if na == 0 && nb > 0 { x -= Double(nb * nb) }
    }
    return x / (abs(x) + scale)
  }
}

extension TicTacToe {
  /// Open lines weighted by stones (`openLineHeuristic` over the 8 lines).
  public func positionHeuristic() -> @Sendable (State) -> Double {
    let f = openLineHeuristic(lines: Self.lines.map { UInt64($0) }, length: 3)
    return { s in f(UInt64(s.stones0), UInt64(s.stones1)) }
  }
}

extension ConnectN {
  /// Every window of `x_in_row` cells in a row, column or diagonal, as a
  /// bitboard mask.
  var windows: [UInt64] {
    var out: [UInt64] = []
    let k = xInRow
    for (dr, dc) in [(0, 1), (1, 0), (1, 1), (-1, 1)] {
      for r in 0..<rows {
        for c in 0..<columns {
          let endR = r + dr * (k - 1)
          let endC = c + dc * (k - 1)
          guard endR >= 0 && endR < rows && endC < columns else { continue }
          var m: UInt64 = 0
          for i in 0..<k { m |= 1 << UInt64((c + dc * i) * columnBits + r + dr * i) }
          out.append(m)
        }
      }
    }
    return Array(Set(out)).sorted()
  }

  /// Open lines weighted by stones (`openLineHeuristic` over every window
  /// of `x_in_row` cells).
  public func positionHeuristic() -> @Sendable (State) -> Double {
    let f = openLineHeuristic(lines: windows, length: xInRow)
    return { s in f(s.stones0, s.stones1) }
  }
}
