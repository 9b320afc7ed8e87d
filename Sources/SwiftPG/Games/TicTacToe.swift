/// Tic-tac-toe with OpenSpiel's conventions (`tic_tac_toe`).
///
/// - Board: 3 × 3 cells, `cell = row * 3 + column`, row 0 on top; the
///   action is the cell. Player 0 plays `x` and moves first, player 1 `o`.
/// - End: three in a row, column or diagonal wins (+1 / −1); a full board
///   without a line is a draw (0).
/// - Observation (OpenSpiel's, [3, 3, 3]): plane 0 the empty cells, plane 1
///   player 1's stones, plane 2 player 0's.
/// - Text: three rows of `x`, `o`, `.` joined by newlines (no final one).
/// - Symmetries: the 8 of the square (`BoardSymmetry.square`).
/// - Encoded state: the 9 cells (0 empty, 1 player 0, 2 player 1).
public struct TicTacToe: TwoPlayerGame {
  public struct State: Hashable, Sendable {
    /// Bit `cell` set where player 0 / player 1 has a stone.
    public var stones0: UInt16 = 0
    public var stones1: UInt16 = 0
    /// 0 or 1 once a player has a line, else −1.
    public var winner: Int8 = -1
  }

  /// The 8 lines as cell bit masks: rows, columns, diagonals.
  static let lines: [UInt16] = [0x7, 0x38, 0x1C0, 0x49, 0x92, 0x124, 0x111, 0x54]
  static let full: UInt16 = 0x1FF

  public init() {}

  public var name: String { "tic_tac_toe" }
  public var actionCount: Int { 9 }
  public var maxGameLength: Int { 9 }
  public var boardHeight: Int { 3 }
  public var boardWidth: Int { 3 }
  public var observationShape: [Int] { [3, 3, 3] }
  public var planeCount: Int { 3 }
  public var stateSize: Int { 9 }
  public var symmetryCount: Int { 8 }

  public func initialState() -> State { State() }

  @inline(__always)
  static func hasLine(_ stones: UInt16) -> Bool { lines.contains { stones & $0 == $0 } }

  public func isTerminal(_ s: State) -> Bool { s.winner >= 0 || s.stones0 | s.stones1 == Self.full }

  public func currentPlayer(_ s: State) -> Int {
    isTerminal(s) ? GamePlayer.terminal : (s.stones0.nonzeroBitCount + s.stones1.nonzeroBitCount) % 2
  }

  public func isLegal(_ action: Int, in s: State) -> Bool {
    action >= 0 && action < 9 && !isTerminal(s) && (s.stones0 | s.stones1) >> UInt16(action) & 1 == 0
  }

  public func applyLegal(_ action: Int, to s: inout State) {
    let bit: UInt16 = 1 << UInt16(action)
    if currentPlayer(s) == 0 {
      s.stones0 |= bit
      if Self.hasLine(s.stones0) { s.winner = 0 }
    } else {
      s.stones1 |= bit
      if Self.hasLine(s.stones1) { s.winner = 1 }
    }
  }

  public func returnOfPlayer0(_ s: State) -> Double { s.winner < 0 ? 0 : (s.winner == 0 ? 1 : -1) }

  public func owner(ofCell cell: Int, in s: State) -> Int {
    s.stones0 >> UInt16(cell) & 1 == 1 ? 0 : (s.stones1 >> UInt16(cell) & 1 == 1 ? 1 : -1)
  }

  public func writeObservation(_ s: State, into out: UnsafeMutablePointer<Double>) {
    for c in 0..<9 {
      let o = owner(ofCell: c, in: s)
      out[c] = o < 0 ? 1 : 0
      out[9 + c] = o == 1 ? 1 : 0
      out[18 + c] = o == 0 ? 1 : 0
    }
  }

  public func randomLegalAction(in s: State, using rng: inout SplitMix64) -> Int {
    let empty = UInt32(~(s.stones0 | s.stones1) & Self.full)
    return nthSetBit(UInt64(empty), Int.random(in: 0..<empty.nonzeroBitCount, using: &rng))
  }

  public func encode(_ s: State, into out: UnsafeMutablePointer<Int32>) { encodeCells(s, into: out) }

  public func decode(_ words: UnsafePointer<Int32>) throws(SwiftPGError) -> State {
    let (a, b) = try decodeCells(words, bit: { $0 })
    var s = State(stones0: UInt16(a), stones1: UInt16(b))
    let lastMover = (a.nonzeroBitCount + b.nonzeroBitCount + 1) % 2
    let mine = lastMover == 0 ? a : b
    let stones = (0..<9).map { UInt64(1) << UInt64($0) }.filter { mine & $0 != 0 }
    s.winner = Int8(
      try decodedWinner(
        lines: (Self.hasLine(s.stones0), Self.hasLine(s.stones1)), lastMover: lastMover, lastStones: stones,
        stones: mine, hasLine: { Self.hasLine(UInt16($0)) }))
    return s
  }

  public func render(_ s: State) -> String {
    let rows = (0..<3).map { r in String((0..<3).map { c in stoneSymbol(owner(ofCell: r * 3 + c, in: s)) }) }
    return rows.joined(separator: "\n")
  }

  public func cellMap(symmetry k: Int) -> [Int] { BoardSymmetry.square(k, side: 3) }
  public func actionMap(symmetry k: Int) -> [Int] { cellMap(symmetry: k) }
}

/// OpenSpiel's board characters: `x` player 0, `o` player 1, `.` empty.
func stoneSymbol(_ owner: Int) -> Character { owner == 0 ? "x" : (owner == 1 ? "o" : ".") }

/// The index of the `n`-th set bit of `bits` (n = 0 is the lowest; n is
/// below `bits.nonzeroBitCount`).
@inline(__always)
func nthSetBit(_ bits: UInt64, _ n: Int) -> Int {
  var b = bits
  for _ in 0..<n { b &= b &- 1 }
  return b.trailingZeroBitCount
}
