/// A two-player, zero-sum, perfect-information board game with OpenSpiel's
/// conventions: players 0 and 1 (player 0 moves first), actions
/// `0..<actionCount`, `currentPlayer` = `GamePlayer.terminal` (−4) once the
/// game is over, returns +1 / −1 / 0 for a win, a loss and a draw.
///
/// The game value holds the rules and parameters; `State` is a small value
/// type (copying it clones the game). An illegal move is an error
/// (`apply`), never a silent loss.
///
/// Boards have `boardHeight × boardWidth` cells, numbered row-major in the
/// order of OpenSpiel's observation tensor (for Connect-N row 0 is the
/// bottom row). A game whose actions are not all cells maps its actions
/// itself (`actionMap(symmetry:)`): Go's actions are its points plus pass
/// (fixed by every symmetry), its `returnOfPlayer0` the sign of the final
/// score margin (the margin itself is Go's own), and its `State` may carry
/// whatever its rules need (ko point, passes, position history).
///
/// Invariants: `isTerminal(s) ⇔ currentPlayer(s) == GamePlayer.terminal`;
/// a terminal state has no legal action; `returns` is 0 before the end.
public protocol TwoPlayerGame: GameDimensions {
  associatedtype State: Hashable, Sendable

  func initialState() -> State
  /// 0 or 1, or `GamePlayer.terminal` once the game is over.
  func currentPlayer(_ s: State) -> Int
  func isTerminal(_ s: State) -> Bool
  /// Whether `action` (any Int) is legal in `s`; false in a terminal state.
  func isLegal(_ action: Int, in s: State) -> Bool
  /// Plays a legal action (the caller checked `isLegal`).
  func applyLegal(_ action: Int, to s: inout State)
  /// Player 0's return: +1 if player 0 won, −1 if player 1 won, 0 for a
  /// draw or an unfinished game. Player 1's return is its negation.
  func returnOfPlayer0(_ s: State) -> Double
  /// The final score margin behind the returns (Go: black's area minus
  /// white's minus komi, in any state), or nil for a game without one
  /// (the default).
  func scoreMargin(_ s: State) -> Double?
  /// Writes `actionCount` flags, 1 where the action is legal in `s`. The
  /// default asks `isLegal` for each action; Go reads its legal mask.
  func writeLegalMask(_ s: State, into out: UnsafeMutablePointer<UInt8>)
  /// The owner of `cell`: 0, 1, or −1 for an empty cell.
  func owner(ofCell cell: Int, in s: State) -> Int
  /// OpenSpiel's `observation_tensor` (absolute: planes by player, not by
  /// who moves), `observationShape.reduce(1, *)` values.
  func writeObservation(_ s: State, into out: UnsafeMutablePointer<Double>)
  /// A uniformly random legal action (the state is not terminal). The
  /// default draws among `legalActions` by reservoir sampling (no
  /// allocation); games with bitboards pick the bit directly.
  func randomLegalAction(in s: State, using rng: inout SplitMix64) -> Int
  /// The network input planes [planeCount, H, W] from the perspective of
  /// the player to move. The default is AlphaGo Zero's three planes (see
  /// the extension); a game that needs more (Go: history, liberties)
  /// writes its own.
  func writePlanes(_ s: State, into out: UnsafeMutablePointer<Double>)
  /// `stateSize` words that `decode` turns back into `s`.
  func encode(_ s: State, into out: UnsafeMutablePointer<Int32>)
  /// The state encoded in `words` (`stateSize` of them), refused with
  /// `.invalidArgument` naming the problem when no game reaches it.
  func decode(_ words: UnsafePointer<Int32>) throws(SwiftPGError) -> State
  /// OpenSpiel's `ToString()` of the state.
  func render(_ s: State) -> String
  /// Where symmetry `k` sends each cell: `map[cell]` is the image cell.
  func cellMap(symmetry k: Int) -> [Int]
  /// Where symmetry `k` sends each action: `map[action]` is the image action.
  func actionMap(symmetry k: Int) -> [Int]
  /// A static evaluation of positions for depth-limited search
  /// (`MinimaxPlayer`), from player 0's point of view, strictly inside
  /// (−1, 1): positive when player 0 stands better. Built once per player
  /// (it may precompute tables). The default rates every position 0, so
  /// minimax then sees only the wins and losses within its depth.
  func positionHeuristic() -> @Sendable (State) -> Double
}

/// What a game's arrays look like: its name, actions, board, observation,
/// planes, encoded states and symmetries (shared by a game and a batch of
/// it).
public protocol GameDimensions: Sendable {
  /// OpenSpiel's name of the game ("tic_tac_toe", "connect_four").
  var name: String { get }
  /// OpenSpiel's `num_distinct_actions`.
  var actionCount: Int { get }
  /// The most moves a game can last (OpenSpiel's `max_game_length`).
  var maxGameLength: Int { get }
  var boardHeight: Int { get }
  var boardWidth: Int { get }
  /// OpenSpiel's `observation_tensor_shape`.
  var observationShape: [Int] { get }
  /// C of the network input planes [C, boardHeight, boardWidth].
  var planeCount: Int { get }
  /// Int32 words of an encoded state (`encode` / `decode`).
  var stateSize: Int { get }
  /// The symmetries of the board (1 = the identity only); symmetry 0 is
  /// the identity.
  var symmetryCount: Int { get }
}

extension GameDimensions {
  public var cellCount: Int { boardHeight * boardWidth }
}

/// OpenSpiel's special player ids.
public enum GamePlayer {
  /// `kTerminalPlayerId`: the player "to move" in a finished game.
  public static let terminal = -4
}

extension TwoPlayerGame {
  /// Plays `action`, refusing an action outside `0..<actionCount`
  /// (`.outOfRange`), a finished game and an illegal move
  /// (`.invalidArgument`); a refused move changes nothing.
  public func apply(_ action: Int, to s: inout State) throws(SwiftPGError) {
    try require(
      action >= 0 && action < actionCount, "action \(action) is outside 0..<\(actionCount) of \(name)",
      code: .outOfRange)
    try require(!isTerminal(s), "the game is over: no action is legal")
    try require(isLegal(action, in: s), "action \(action) is illegal in this \(name) position")
    applyLegal(action, to: &s)
  }

  /// The legal actions in increasing order (empty once the game is over).
  public func legalActions(_ s: State) -> [Int] {
    (0..<actionCount).filter { isLegal($0, in: s) }
  }

  public func scoreMargin(_ s: State) -> Double? { nil }

  public func writeLegalMask(_ s: State, into out: UnsafeMutablePointer<UInt8>) {
    for a in 0..<actionCount { out[a] = isLegal(a, in: s) ? 1 : 0 }
  }

  /// A network's input for `s` as row `row` of a batch: its planes into
  /// `planes` (`[rows, planeCount · cellCount]`) and its legal mask into
  /// `masks` (`[rows, actionCount]`); both must hold the row.
  public func writeNetworkRow(_ s: State, row: Int, planes: inout [Double], masks: inout [UInt8]) {
    let width = planeCount * cellCount
    let a = actionCount
    planes.withUnsafeMutableBufferPointer { b in
      if let p = b.baseAddress { writePlanes(s, into: p + row * width) }
    }
    masks.withUnsafeMutableBufferPointer { b in
      if let p = b.baseAddress { writeLegalMask(s, into: p + row * a) }
    }
  }

  /// The returns of players 0 and 1.
  public func returns(_ s: State) -> [Double] {
    let r = returnOfPlayer0(s)
    return [r, 0 - r]  // +0.0 for a draw, as OpenSpiel
  }

  /// The player whose perspective the planes take: the player to move, or
  /// in a finished game the player who would move next (by stone count).
  func perspective(_ s: State) -> Int {
    let p = currentPlayer(s)
    if p >= 0 { return p }
    var stones = 0
    for c in 0..<cellCount where owner(ofCell: c, in: s) >= 0 { stones += 1 }
    return stones % 2
  }

  public func randomLegalAction(in s: State, using rng: inout SplitMix64) -> Int {
    reservoirLegalAction(self, in: s, using: &rng)
  }

  public func positionHeuristic() -> @Sendable (State) -> Double { { _ in 0 } }

  /// The network input planes [3, H, W] from the perspective of the player
  /// to move (AlphaGo Zero's encoding): plane 0 the mover's stones, plane
  /// 1 the opponent's, plane 2 all ones when player 0 moves and all zeros
  /// when player 1 does. A finished game takes the perspective of the
  /// player who would move next.
  public func writePlanes(_ s: State, into out: UnsafeMutablePointer<Double>) {
    let n = cellCount
    let me = perspective(s)
    let toPlay: Double = me == 0 ? 1 : 0
    for c in 0..<n {
      let o = owner(ofCell: c, in: s)
      out[c] = o == me ? 1 : 0
      out[n + c] = o == 1 - me ? 1 : 0
      out[2 * n + c] = toPlay
    }
  }

  /// Planes [C, H, W] moved by symmetry `k` (a policy over the cells moves
  /// the same way; over actions use `transformPolicy`).
  public func transformPlanes(_ planes: [Double], symmetry k: Int) -> [Double] {
    permute(planes, by: cellMap(symmetry: k), blocks: planes.count / max(1, cellCount))
  }

  /// A vector over actions (a policy, visit counts) moved by symmetry `k`.
  public func transformPolicy(_ policy: [Double], symmetry k: Int) -> [Double] {
    permute(policy, by: actionMap(symmetry: k), blocks: 1)
  }

  private func permute(_ values: [Double], by map: [Int], blocks: Int) -> [Double] {
    var out = values
    let n = map.count
    for b in 0..<blocks {
      for i in 0..<n { out[b * n + map[i]] = values[b * n + i] }
    }
    return out
  }

  /// The first `count` cells as encoded states store them: 0 empty, 1 a
  /// stone of player 0, 2 a stone of player 1.
  func encodeCells(_ s: State, into out: UnsafeMutablePointer<Int32>) {
    for c in 0..<cellCount { out[c] = Int32(owner(ofCell: c, in: s) + 1) }
  }

  /// The stones of an encoded board as two bit sets (bit `bit(cell)`),
  /// refusing a cell value other than 0, 1, 2 and stone counts no game
  /// reaches (player 0 moves first, so it has as many stones as player 1
  /// or one more).
  func decodeCells(_ words: UnsafePointer<Int32>, bit: (Int) -> Int) throws(SwiftPGError) -> (UInt64, UInt64) {
    var stones: (UInt64, UInt64) = (0, 0)
    var counts = (0, 0)
    for c in 0..<cellCount {
      switch words[c] {
      case 0: break
      case 1:
        stones.0 |= 1 << UInt64(bit(c))
        counts.0 += 1
      case 2:
        stones.1 |= 1 << UInt64(bit(c))
        counts.1 += 1
      default:
        throw .invalid("state cell \(c) is \(words[c]); expected 0 (empty), 1 (player 0) or 2 (player 1)")
      }
    }
    try require(
      counts.0 == counts.1 || counts.0 == counts.1 + 1,
      "the state has \(counts.0) stones of player 0 and \(counts.1) of player 1; player 0 moves first, so it "
        + "has as many stones as player 1 or one more")
    return stones
  }
}

/// Checks the winner of a decoded board: at most one player has a line,
/// and that player made the last move (`lastMover`) with a stone whose
/// removal (`lastStones`: the stones that could have been placed last)
/// leaves no line. Returns the winner, or −1.
func decodedWinner(
  lines: (Bool, Bool), lastMover: Int, lastStones: [UInt64], stones: UInt64, hasLine: (UInt64) -> Bool
) throws(SwiftPGError) -> Int {
  try require(!(lines.0 && lines.1), "both players have a line in the state; no game reaches it")
  guard lines.0 || lines.1 else { return -1 }
  let winner = lines.0 ? 0 : 1
  try require(
    winner == lastMover,
    "player \(winner) has a line but player \(1 - winner) moved last; the game would have ended before")
  try require(
    lastStones.contains { !hasLine(stones & ~$0) },
    "player \(winner) has a line that no single last move completed; the game would have ended before")
  return winner
}

/// A uniformly random legal action of `game` in `s` by reservoir sampling
/// over `0..<actionCount` (the protocol's default `randomLegalAction`):
/// the k-th legal action seen replaces the choice with probability 1/k.
/// - Complexity: O(actionCount) `isLegal` calls, no allocation.
/// - Returns: −1 when no action is legal.
func reservoirLegalAction<G: TwoPlayerGame>(_ game: G, in s: G.State, using rng: inout SplitMix64) -> Int {
  var chosen = -1
  var seen = 0
  for a in 0..<game.actionCount where game.isLegal(a, in: s) {
    seen += 1
    if Int.random(in: 0..<seen, using: &rng) == 0 { chosen = a }
  }
  return chosen
}
