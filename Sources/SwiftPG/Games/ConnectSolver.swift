/// A Connect-N position as two bitboards, in the layout of Pascal Pons'
/// Connect Four solver (blog.gamesolver.org, "Solving Connect 4"): column c
/// holds bits c·(rows + 1) … c·(rows + 1) + rows − 1 from the bottom up, and
/// one empty sentinel bit above, so shifting a board never carries a stone
/// from one column into the next. `(rows + 1) · columns ≤ 64`: 6×7 (Connect
/// Four), 4×5, 5×6, 6×9, 7×8, …
///
/// Columns are numbered from 0 (left), as OpenSpiel's `connect_four`
/// actions. `current` holds the stones of the player to move, `mask` every
/// stone; `current + mask` identifies the position (the key of the
/// transposition table).
public struct ConnectBitboard: Hashable, Sendable {
  public let rows: Int
  public let columns: Int
  /// Stones in a row that win (OpenSpiel's `x_in_row`).
  public let inRow: Int
  /// Stones of the player to move.
  public private(set) var current: UInt64 = 0
  /// Every stone.
  public private(set) var mask: UInt64 = 0
  /// Stones played so far.
  public private(set) var moves = 0
  let bottom: UInt64
  let board: UInt64

  /// The empty board. Throws for sizes outside 1…64 bits or `inRow` < 2.
  public init(rows: Int = 6, columns: Int = 7, inRow: Int = 4) throws(SwiftPGError) {
    try require(rows >= 1 && columns >= 1, "rows and columns must be >= 1, got \(rows)×\(columns)")
    try require(
      (rows + 1) * columns <= 64,
      "(rows + 1) × columns must be at most 64 for the bitboard solver, got (\(rows) + 1) × \(columns)")
    try require(inRow >= 2, "x_in_row must be >= 2, got \(inRow)")
    self.rows = rows
    self.columns = columns
    self.inRow = inRow
    var bottom: UInt64 = 0
    for c in 0..<columns { bottom |= 1 << UInt64(c * (rows + 1)) }
    self.bottom = bottom
    board = bottom &* ((1 << UInt64(rows)) - 1)
  }

  /// The position after `sequence` (columns, 0-based). Throws for a full or
  /// unknown column and for a move after the game ended.
  public init(rows: Int = 6, columns: Int = 7, inRow: Int = 4, sequence: [Int]) throws(SwiftPGError) {
    try self.init(rows: rows, columns: columns, inRow: inRow)
    for (i, c) in sequence.enumerated() {
      do { try play(c) } catch { throw SwiftPGError.invalid("move \(i): \(error.message)") }
    }
  }

  /// The position of a `ConnectN` game state (the same bit layout).
  /// Throws for a game with x_in_row < 2 or whose board the bitboard
  /// cannot hold.
  public init(_ game: ConnectN, _ s: ConnectN.State) throws(SwiftPGError) {
    try self.init(rows: game.rows, columns: game.columns, inRow: game.xInRow)
    mask = s.stones0 | s.stones1
    moves = mask.nonzeroBitCount
    current = moves % 2 == 0 ? s.stones0 : s.stones1
  }

  /// Cells on the board.
  public var cellCount: Int { rows * columns }

  @inline(__always) func columnMask(_ c: Int) -> UInt64 { ((1 << UInt64(rows)) - 1) << UInt64(c * (rows + 1)) }
  @inline(__always) func topCell(_ c: Int) -> UInt64 { 1 << UInt64(rows - 1 + c * (rows + 1)) }

  /// Whether column `c` has room.
  public func canPlay(_ c: Int) -> Bool { c >= 0 && c < columns && mask & topCell(c) == 0 }

  /// Drops a stone of the player to move into column `c`. Throws for a
  /// full or unknown column and after the game ended; nothing changes then.
  public mutating func play(_ c: Int) throws(SwiftPGError) {
    try require(c >= 0 && c < columns, "column \(c) is not in [0, \(columns))")
    try require(canPlay(c), "column \(c) is full")
    try require(!hasEnded, "the game is over")
    play(column: c)
  }

  /// `play` without the checks (`c` a column with room).
  @inline(__always) mutating func play(column c: Int) {
    play(cell: (mask &+ (bottom & columnMask(c))) & columnMask(c))
  }

  @inline(__always) mutating func play(cell: UInt64) {
    current ^= mask
    mask |= cell
    moves += 1
  }

  /// Whether a stone in column `c` completes `inRow` in a row for the
  /// player to move.
  public func isWinning(_ c: Int) -> Bool {
    c >= 0 && c < columns && winningCells(of: current) & playable & columnMask(c) != 0
  }

  /// The cells a stone can drop into now.
  var playable: UInt64 { (mask &+ bottom) & board }

  /// The empty cells where a stone of the player with `stones` would
  /// complete `inRow` in a row: in each direction, a cell with a own stones
  /// right behind it and inRow − 1 − a right ahead of it.
  @inline(__always) func winningCells(of stones: UInt64) -> UInt64 {
    let cells =
      winningCells(of: stones, shift: 1) | winningCells(of: stones, shift: rows)
      | winningCells(of: stones, shift: rows + 1) | winningCells(of: stones, shift: rows + 2)
    return cells & (board ^ mask)
  }

  @inline(__always) private func winningCells(of stones: UInt64, shift s: Int) -> UInt64 {
    let k = inRow
    let shift = UInt64(s)
    if k == 4 {  // Connect Four, unrolled
      let b1 = stones << shift, b2 = b1 & (stones << (2 * shift)), b3 = b2 & (stones << (3 * shift))
      let a1 = stones >> shift, a2 = a1 & (stones >> (2 * shift)), a3 = a2 & (stones >> (3 * shift))
      return a3 | (b1 & a2) | (b2 & a1) | b3
    }
    return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: k) { ahead in
      // ahead[j]: cells with j own stones right ahead of them.
      ahead[0] = ~0
      for j in 1..<k { ahead[j] = ahead[j - 1] & (stones >> (UInt64(j) &* shift)) }
      var behind: UInt64 = ~0
      var cells: UInt64 = 0
      for a in 0..<k {
        if a > 0 { behind &= stones << (UInt64(a) &* shift) }
        cells |= behind & ahead[k - 1 - a]
      }
      return cells
    }
  }

  /// Whether the player to move can win with their next stone.
  public var canWinNext: Bool { winningCells(of: current) & playable != 0 }

  /// The playable cells that do not let the opponent win at once (0: every
  /// move loses).
  func nonLosingMoves() -> UInt64 {
    var possible = playable
    let opponentWins = winningCells(of: current ^ mask)
    let forced = possible & opponentWins
    if forced != 0 {
      if forced & (forced - 1) != 0 { return 0 }  // two threats: lost
      possible = forced
    }
    return possible & ~(opponentWins >> 1)  // never play under an opponent's winning cell
  }

  /// The position's key: `current + mask`, unique per position.
  public var key: UInt64 { current &+ mask }
}

/// Exact scores of Connect-N positions by negamax with alpha–beta pruning,
/// iterative null-window search, centre-first move ordering refined by the
/// number of threats a move creates, and a transposition table of upper
/// and lower bounds — the design of Pascal Pons' Connect Four solver.
///
/// **Score convention (Pons')**, from the point of view of the player to
/// move: 0 for a draw; a positive score if they win, (cells + 1 − m)/2
/// (integer division) where m counts the stones on the board before their
/// winning stone — 1 when they win with the last possible stone, 18 with
/// their 4th stone on 6×7; negative by the same rule if the opponent wins.
/// The empty 6×7 board scores +1 (the first player wins with their last
/// stone; Allis 1988), its seven first moves −2, −1, 0, +1, 0, −1, −2 from the
/// point of view of the player who made them.
///
/// Not thread-safe: one solver per thread (the table is mutable state).
public final class ConnectSolver {
  public let rows: Int
  public let columns: Int
  public let inRow: Int
  /// Nodes searched since creation (or `resetNodeCount`).
  public private(set) var nodeCount = 0
  private var keys: [UInt64]
  private var values: [UInt8]
  private let order: [Int]

  /// A solver for `rows × columns` boards with `inRow` in a row and a table
  /// of `tableSize` entries (9 bytes each; a prime spreads keys best; the
  /// default 8 388 593 takes 75 MB).
  /// `cancellation`: the flag that stops a search (shared with a caller
  /// that cancels through its own handle; a fresh one by default).
  public init(
    rows: Int = 6, columns: Int = 7, inRow: Int = 4, tableSize: Int = 8_388_593,
    cancellation: CancellationFlag = CancellationFlag()
  ) throws(SwiftPGError) {
    _ = try ConnectBitboard(rows: rows, columns: columns, inRow: inRow)
    self.cancellation = cancellation
    try require(tableSize >= 1 && tableSize <= 1 << 28, "table size must be in [1, 2^28], got \(tableSize)")
    self.rows = rows
    self.columns = columns
    self.inRow = inRow
    keys = [UInt64](repeating: 0, count: tableSize)
    values = [UInt8](repeating: 0, count: tableSize)
    // Centre columns first: they take part in more alignments.
    order = (0..<columns).sorted { abs(2 * $0 - (columns - 1)) < abs(2 * $1 - (columns - 1)) }
  }

  public func resetNodeCount() { nodeCount = 0 }

  /// Stops a long `score` / `columnScores` from another thread: the
  /// search checks it every 65 536 nodes and throws `.cancelled` (the
  /// table keeps only exact bounds found before, so later calls stay right).
  public let cancellation: CancellationFlag
  /// Set when a search saw the cancellation request: every node then
  /// returns at once, and `score` throws.
  private var stopping = false

  /// Empties the transposition table.
  public func clear() {
    for i in keys.indices { keys[i] = 0 }
    for i in values.indices { values[i] = 0 }
  }

  /// The score of `position` (Pons' convention, see the type). Throws for a
  /// position of another board size or one whose game is over.
  public func score(_ position: ConnectBitboard) throws(SwiftPGError) -> Int {
    try require(
      position.rows == rows && position.columns == columns && position.inRow == inRow,
      "the position is \(position.rows)×\(position.columns) with \(position.inRow) in a row; the solver's board is "
        + "\(rows)×\(columns) with \(inRow)")
    try require(!position.hasEnded, "the game is over: no score for the player to move")
    let cells = position.cellCount
    if position.canWinNext { return (cells + 1 - position.moves) / 2 }
    var low = -(cells - position.moves) / 2
    var high = (cells + 1 - position.moves) / 2
    while low < high {  // null-window searches narrow [low, high] to the score
      var mid = low + (high - low) / 2
      if mid <= 0 && low / 2 < mid { mid = low / 2 } else if mid >= 0 && high / 2 > mid { mid = high / 2 }
      let r = negamax(position, alpha: mid, beta: mid + 1)
      if stopping {
        stopping = false
        throw SwiftPGError(.cancelled, "the Connect-N solver's search was cancelled")
      }
      if r <= mid { high = r } else { low = r }
    }
    return low
  }

  /// The score of each column for the player to move (nil: full column):
  /// +(cells + 1 − m)/2 for an immediate win, else minus the opponent's
  /// score after the move.
  public func columnScores(_ position: ConnectBitboard) throws(SwiftPGError) -> [Int?] {
    try require(!position.hasEnded, "the game is over: no moves to score")
    var scores = [Int?](repeating: nil, count: columns)
    for c in 0..<columns where position.canPlay(c) {
      if position.isWinning(c) {
        scores[c] = (position.cellCount + 1 - position.moves) / 2
      } else {
        var next = position
        next.play(column: c)
        scores[c] = next.moves == next.cellCount ? 0 : -(try score(next))
      }
    }
    return scores
  }

  private var minScore: Int { -(rows * columns) / 2 + 3 }

  /// Negamax within (alpha, beta) for a position whose player to move
  /// cannot win at once.
  private func negamax(_ p: ConnectBitboard, alpha a: Int, beta b: Int) -> Int {
    var alpha = a
    var beta = b
    nodeCount += 1
    if nodeCount & 0xFFFF == 0 && cancellation.isRequested {
      cancellation.withdraw()
      stopping = true
    }
    if stopping { return a }
    let cells = p.cellCount
    let next = p.nonLosingMoves()
    if next == 0 { return -(cells - p.moves) / 2 }  // the opponent wins with their next stone
    if p.moves >= cells - 2 { return 0 }  // no winner in the last two stones
    let lowest = -(cells - 2 - p.moves) / 2  // the opponent cannot win with their next stone
    if alpha < lowest {
      alpha = lowest
      if alpha >= beta { return alpha }
    }
    var highest = (cells - 1 - p.moves) / 2  // we cannot win with this stone
    let key = p.key
    let slot = Int(key % UInt64(keys.count))
    if keys[slot] == key && values[slot] != 0 {
      let v = Int(values[slot])
      if v > cells {  // a lower bound (Pons, part 12)
        let bound = v - cells + minScore - 1
        if alpha < bound {
          alpha = bound
          if alpha >= beta { return alpha }
        }
      } else {
        highest = min(highest, v + minScore - 1)
      }
    }
    if beta > highest {
      beta = highest
      if alpha >= beta { return beta }
    }
    // Moves sorted by the threats they create (centre first on ties), on the stack.
    let searched = withUnsafeTemporaryAllocation(of: (cell: UInt64, threats: Int).self, capacity: columns) {
      moves -> Int? in
      var count = 0
      for c in order.reversed() {
        let cell = next & p.columnMask(c)
        guard cell != 0 else { continue }
        let threats = p.winningCells(of: p.current | cell).nonzeroBitCount
        var i = count
        while i > 0 && moves[i - 1].threats > threats {
          moves[i] = moves[i - 1]
          i -= 1
        }
        moves[i] = (cell, threats)
        count += 1
      }
      for i in stride(from: count - 1, through: 0, by: -1) {
        var child = p
        child.play(cell: moves[i].cell)
        let score = -negamax(child, alpha: -beta, beta: -alpha)
        if score >= beta {
          let stored = score - minScore + 1 + cells  // lower bounds above `cells`, upper bounds in 1...cells
          if !stopping && score - minScore + 1 >= 1 && stored <= 255 {
            keys[slot] = key
            values[slot] = UInt8(stored)
          }
          return score
        }
        if score > alpha { alpha = score }
      }
      return nil
    }
    if let cut = searched { return cut }
    if stopping { return alpha }
    keys[slot] = key
    values[slot] = UInt8(clamping: alpha - minScore + 1)  // an upper bound; 0 (below the range) means none
    return alpha
  }
}

extension ConnectBitboard {
  /// Whether the player who moved last completed `inRow` in a row, or the
  /// board is full.
  public var hasEnded: Bool { moves == cellCount || hasAlignment(current ^ mask) }

  /// Whether `stones` hold `inRow` in a row in any direction.
  func hasAlignment(_ stones: UInt64) -> Bool { bitboardHasLine(stones, rows: rows, inRow: inRow) }

}
