/// Connect-N with OpenSpiel's conventions (`connect_four` and its
/// parameters `rows`, `columns`, `x_in_row`; default Connect Four: 6, 7, 4).
///
/// - Board: `rows × columns`; the action is a column, and the stone falls to
///   the lowest empty cell of it. A full column is illegal. Player 0 plays
///   `x` and moves first, player 1 `o`.
/// - End: `x_in_row` stones of one player in a row, column or diagonal win
///   (+1 / −1); a full board without one is a draw (0).
/// - Observation (OpenSpiel's, [3, rows, columns], row 0 the bottom row):
///   plane 0 player 0's stones, plane 1 player 1's, plane 2 the empty cells
///   (OpenSpiel's default `egocentric_obs_tensor=False`).
/// - Text: the rows from the top, each `x`, `o`, `.` and a newline.
/// - Symmetries: the identity and the left-right mirror.
/// - Encoded state: the `rows × columns` cells in the observation's order
///   (0 empty, 1 player 0, 2 player 1).
///
/// The stones are bitboards in John Tromp's layout: bit `column · (rows + 1)
/// + row`, with an always-empty guard row on top of each column so that
/// lines found by shifts never wrap from one column into the next.
public struct ConnectN: TwoPlayerGame {
  public struct State: Hashable, Sendable {
    public var stones0: UInt64 = 0
    public var stones1: UInt64 = 0
    /// 0 or 1 once a player has a line, else −1.
    public var winner: Int8 = -1
  }

  public let rows: Int
  public let columns: Int
  /// The stones in a line that win (OpenSpiel's `x_in_row`).
  public let xInRow: Int
  /// Bits per column (rows + the guard row).
  let columnBits: Int
  /// Every cell of the board (no guard bits).
  let boardMask: UInt64
  /// The top cell of every column: a column is legal while its top is empty.
  let topMask: UInt64

  /// - Throws: `.invalidArgument` unless rows ≥ 1, columns ≥ 1,
  ///   (rows + 1) · columns ≤ 64 (the bitboard) and
  ///   1 ≤ x_in_row ≤ max(rows, columns).
  public init(rows: Int = 6, columns: Int = 7, xInRow: Int = 4) throws(SwiftPGError) {
    try require(rows >= 1 && rows <= 63, "rows must be in [1, 63], got \(rows)")
    try require(columns >= 1 && columns <= 64, "columns must be in [1, 64], got \(columns)")
    try require(
      (rows + 1) * columns <= 64,
      "(rows + 1) × columns must be at most 64 (one 64-bit board with a guard row), got (\(rows) + 1) × \(columns)")
    try require(
      xInRow >= 1 && xInRow <= max(rows, columns),
      "x_in_row must be in [1, max(rows, columns)] = [1, \(max(rows, columns))], got \(xInRow)")
    self.rows = rows
    self.columns = columns
    self.xInRow = xInRow
    columnBits = rows + 1
    let column: UInt64 = (1 << UInt64(rows)) - 1
    boardMask = (0..<columns).reduce(0) { $0 | column << UInt64($1 * (rows + 1)) }
    topMask = (0..<columns).reduce(0) { $0 | 1 << UInt64($1 * (rows + 1) + rows - 1) }
  }

  public var name: String { "connect_four" }
  public var actionCount: Int { columns }
  public var maxGameLength: Int { rows * columns }
  public var boardHeight: Int { rows }
  public var boardWidth: Int { columns }
  public var observationShape: [Int] { [3, rows, columns] }
  public var planeCount: Int { 3 }
  public var stateSize: Int { rows * columns }
  public var symmetryCount: Int { 2 }

  public func initialState() -> State { State() }

  /// The bit of `cell` (row-major, row 0 at the bottom).
  @inline(__always)
  func bit(_ cell: Int) -> Int { (cell % columns) * columnBits + cell / columns }

  /// Whether `stones` hold `xInRow` in a line (`bitboardHasLine`).
  @inline(__always)
  func hasLine(_ stones: UInt64) -> Bool { bitboardHasLine(stones, rows: rows, inRow: xInRow) }

  public func isTerminal(_ s: State) -> Bool { s.winner >= 0 || s.stones0 | s.stones1 == boardMask }

  public func currentPlayer(_ s: State) -> Int {
    isTerminal(s) ? GamePlayer.terminal : (s.stones0.nonzeroBitCount + s.stones1.nonzeroBitCount) % 2
  }

  public func isLegal(_ action: Int, in s: State) -> Bool {
    guard action >= 0 && action < columns && s.winner < 0 else { return false }
    return (s.stones0 | s.stones1) >> UInt64(action * columnBits + rows - 1) & 1 == 0
  }

  public func applyLegal(_ action: Int, to s: inout State) {
    let occupied = s.stones0 | s.stones1
    let shift = UInt64(action * columnBits)
    // The column's stones are a run from the bottom: adding its bottom bit
    // carries into the first empty cell.
    let column: UInt64 = ((1 << UInt64(rows)) - 1) << shift
    let cell = (occupied &+ (1 << shift)) & column
    if (s.stones0.nonzeroBitCount + s.stones1.nonzeroBitCount) % 2 == 0 {
      s.stones0 |= cell
      if hasLine(s.stones0) { s.winner = 0 }
    } else {
      s.stones1 |= cell
      if hasLine(s.stones1) { s.winner = 1 }
    }
  }

  public func returnOfPlayer0(_ s: State) -> Double { s.winner < 0 ? 0 : (s.winner == 0 ? 1 : -1) }

  public func owner(ofCell cell: Int, in s: State) -> Int {
    let b = UInt64(bit(cell))
    return s.stones0 >> b & 1 == 1 ? 0 : (s.stones1 >> b & 1 == 1 ? 1 : -1)
  }

  public func writeObservation(_ s: State, into out: UnsafeMutablePointer<Double>) {
    let n = cellCount
    for c in 0..<n {
      let o = owner(ofCell: c, in: s)
      out[c] = o == 0 ? 1 : 0
      out[n + c] = o == 1 ? 1 : 0
      out[2 * n + c] = o < 0 ? 1 : 0
    }
  }

  public func randomLegalAction(in s: State, using rng: inout SplitMix64) -> Int {
    let open = topMask & ~(s.stones0 | s.stones1)
    return nthSetBit(open, Int.random(in: 0..<open.nonzeroBitCount, using: &rng)) / columnBits
  }

  public func encode(_ s: State, into out: UnsafeMutablePointer<Int32>) { encodeCells(s, into: out) }

  public func decode(_ words: UnsafePointer<Int32>) throws(SwiftPGError) -> State {
    let (a, b) = try decodeCells(words, bit: bit)
    let occupied = a | b
    var tops: [UInt64] = []
    for c in 0..<columns {
      let shift = UInt64(c * columnBits)
      let run = occupied >> shift & ((1 << UInt64(rows)) - 1)
      try require(run & (run &+ 1) == 0, "column \(c) of the state has a stone above an empty cell")
      if run != 0 { tops.append(1 << (shift + UInt64(run.nonzeroBitCount - 1))) }
    }
    let lastMover = (occupied.nonzeroBitCount + 1) % 2
    let mine = lastMover == 0 ? a : b
    var s = State(stones0: a, stones1: b)
    s.winner = Int8(
      try decodedWinner(
        lines: (hasLine(a), hasLine(b)), lastMover: lastMover, lastStones: tops.filter { mine & $0 != 0 },
        stones: mine, hasLine: hasLine))
    return s
  }

  public func render(_ s: State) -> String {
    var text = ""
    for r in stride(from: rows - 1, through: 0, by: -1) {
      for c in 0..<columns { text.append(stoneSymbol(owner(ofCell: r * columns + c, in: s))) }
      text.append("\n")
    }
    return text
  }

  public func cellMap(symmetry k: Int) -> [Int] { BoardSymmetry.mirror(k, height: rows, width: columns) }
  public func actionMap(symmetry k: Int) -> [Int] { (0..<columns).map { k == 1 ? columns - 1 - $0 : $0 } }
}

/// Whether `stones`, a board in the column-major layout of `ConnectN` and
/// `ConnectBitboard` (`rows` + 1 bits a column, the top one always empty),
/// hold `inRow` in a line: the AND of the board shifted by 0, d, …,
/// (inRow − 1)·d is non-zero for some direction d (up 1, right rows + 1,
/// up-right rows + 2, down-right rows). The empty guard bit stops lines
/// from running across columns.
@inline(__always)
func bitboardHasLine(_ stones: UInt64, rows: Int, inRow: Int) -> Bool {
  func run(_ d: Int) -> UInt64 {
    var m = stones
    for j in 1..<Swift.max(inRow, 1) { m &= stones >> (UInt64(j) &* UInt64(d)) }
    return m
  }
  return run(1) | run(rows + 1) | run(rows + 2) | run(rows) != 0
}
