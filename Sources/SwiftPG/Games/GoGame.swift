/// Go (`GoState`, OpenSpiel's `go`) as a `TwoPlayerGame`, so it plays in
/// `GameBatch`, random playouts, symmetries and the C ABI like the other
/// games.
///
/// - Players: 0 black (moves first), 1 white. Actions: point
///   `row · boardSize + column` (row 0 the bottom row), `boardSize²` pass.
/// - Returns: the sign of `scoreMargin` at the end (black's area minus
///   white's minus komi); a superko repetition is a draw.
/// - Observation: OpenSpiel's [4, N, N]. Planes: `GoState.inputPlaneCount`
///   (see `GoState.inputPlaneCount`), from the colour to play.
/// - Symmetries: the 8 of the square (`GoSymmetry`); pass maps to pass.
/// - Encoded state (`stateSize` = N² + 5 + 2 · maxGameLength words):
///   the N² points (0 empty, 1 black, 2 white); then the move count
///   (passes included), the passes at the end of the history (0…2), the
///   ko point (−1 or a point), the superko flag (0 or 1), the number H of
///   placements so far; then the positions after each placement as 64-bit
///   hashes, two words each (low then high 32 bits), H of them and zeros
///   after. The hashes come from this library's own fixed Zobrist table:
///   an encoded state is meant for `decode` of the same library, not for
///   editing by hand. `decode` refuses any word no game reaches (see
///   `decode`).
public struct GoGame: TwoPlayerGame {
  public typealias State = GoState

  /// Most `maxGameLength` a `GoGame` accepts (its encoded states keep one
  /// position per move).
  public static let maxGameLengthLimit = 4096
  /// Words of the encoded state between the points and the hashes.
  static let headerWords = 5

  /// The empty board of this game's parameters.
  let start: GoState

  /// - Parameters: as `GoState.init` (OpenSpiel's `board_size`, `komi`,
  ///   `max_game_length`, nil for OpenSpiel's default `boardSize² · 2`).
  /// - Throws: `.invalidArgument` naming a parameter out of range
  ///   (`maxGameLength` at most `maxGameLengthLimit`).
  public init(boardSize: Int = 9, komi: Double = 7.5, maxGameLength: Int? = nil) throws(SwiftPGError) {
    if let maxGameLength {
      try require(
        (1...Self.maxGameLengthLimit).contains(maxGameLength),
        "Go: max_game_length must be in 1...\(Self.maxGameLengthLimit), got \(maxGameLength)")
    }
    start = try GoState(boardSize: boardSize, komi: komi, maxGameLength: maxGameLength)
  }

  public var boardSize: Int { start.boardSize }
  public var komi: Double { start.komi }

  public var name: String { "go" }
  public var actionCount: Int { boardSize * boardSize + 1 }
  public var maxGameLength: Int { start.maxGameLength }
  public var boardHeight: Int { boardSize }
  public var boardWidth: Int { boardSize }
  public var observationShape: [Int] { [GoState.observationPlaneCount, boardSize, boardSize] }
  public var planeCount: Int { GoState.inputPlaneCount }
  public var stateSize: Int { boardSize * boardSize + Self.headerWords + 2 * maxGameLength }
  public var symmetryCount: Int { GoSymmetry.count }

  public func initialState() -> GoState { start }
  public func currentPlayer(_ s: GoState) -> Int { s.currentPlayer }
  public func isTerminal(_ s: GoState) -> Bool { s.isTerminal }
  public func isLegal(_ action: Int, in s: GoState) -> Bool { s.isLegal(action) }

  public func applyLegal(_ action: Int, to s: inout GoState) { s.play(action) }

  public func writeLegalMask(_ s: GoState, into out: UnsafeMutablePointer<UInt8>) {
    let bits = s.legalActionBits()
    for a in 0..<actionCount { out[a] = UInt8(truncatingIfNeeded: bits >> a) & 1 }
  }

  public func returnOfPlayer0(_ s: GoState) -> Double {
    guard s.isTerminal, !s.superko else { return 0 }
    let margin = s.scoreMargin
    return margin > 0 ? 1 : (margin < 0 ? -1 : 0)
  }

  public func scoreMargin(_ s: GoState) -> Double? { s.scoreMargin }

  public func owner(ofCell cell: Int, in s: GoState) -> Int { s.color(at: cell) - 1 }

  public func writeObservation(_ s: GoState, into out: UnsafeMutablePointer<Double>) {
    write([s.black, s.white, s.empty, s.toPlay == 1 ? s.geometry.full : 0], into: out)
  }

  public func writePlanes(_ s: GoState, into out: UnsafeMutablePointer<Double>) {
    write(s.inputPlaneMasks(), into: out)
  }

  private func write(_ masks: [UInt128], into out: UnsafeMutablePointer<Double>) {
    let points = boardSize * boardSize
    for (k, mask) in masks.enumerated() {
      for p in 0..<points { out[k * points + p] = (mask >> p) & 1 == 0 ? 0 : 1 }
    }
  }

  public func randomLegalAction(in s: GoState, using rng: inout SplitMix64) -> Int {
    s.randomLegalAction(using: &rng) ?? s.passAction
  }

  public func encode(_ s: GoState, into out: UnsafeMutablePointer<Int32>) {
    let points = boardSize * boardSize
    for p in 0..<points { out[p] = Int32(s.color(at: p)) }
    let header = out + points
    header[0] = Int32(s.moveCount)
    header[1] = Int32(s.consecutivePasses)
    header[2] = Int32(s.koPoint)
    header[3] = s.superko ? 1 : 0
    header[4] = Int32(s.seenHashes.count)
    let hashes = header + Self.headerWords
    for i in 0..<maxGameLength {
      let h = i < s.seenHashes.count ? s.seenHashes[i] : 0
      hashes[2 * i] = Int32(bitPattern: UInt32(truncatingIfNeeded: h))
      hashes[2 * i + 1] = Int32(bitPattern: UInt32(truncatingIfNeeded: h >> 32))
    }
  }

  /// The state `encode` wrote. Refuses (`.invalidArgument`, naming the
  /// word) a point other than 0, 1, 2, a group without liberties, a move
  /// count outside 0…maxGameLength, passes outside 0…2 or more than the
  /// moves, a ko point that is not an empty point (or one after a pass), a
  /// superko flag other than 0 or 1, a placement count that does not fit
  /// the moves and passes, an empty history with stones on the board, a
  /// last position that is not the board, a repeated position other than a
  /// final superko repetition, a superko flag that disagrees with the
  /// history, and nonzero words after the history. The earlier positions
  /// are opaque hashes: that they are distinct is checked, not that a game
  /// passes through them (they only decide later superko repetitions).
  public func decode(_ words: UnsafePointer<Int32>) throws(SwiftPGError) -> GoState {
    let points = boardSize * boardSize
    var board = [Int8](repeating: 0, count: points)
    for p in 0..<points {
      try require((0...2).contains(words[p]), "Go state: point \(p) is \(words[p]); expected 0, 1 or 2")
      board[p] = Int8(words[p])
    }
    let header = words + points
    let moves = Int(header[0])
    let passes = Int(header[1])
    let superko = header[3]
    let placements = Int(header[4])
    try require(
      (0...maxGameLength).contains(moves), "Go state: move count \(moves) is outside 0...\(maxGameLength)")
    try require(superko == 0 || superko == 1, "Go state: superko flag \(superko) is not 0 or 1")
    try require(
      (0...min(2, moves)).contains(passes), "Go state: \(passes) trailing passes after \(moves) moves (at most 2)")
    try require(
      (0...(moves - passes)).contains(placements),
      "Go state: \(placements) placements do not fit \(moves) moves ending in \(passes) passes")
    try require(
      placements >= 1 || passes == moves,
      "Go state: no placement in \(moves) moves, but only the last \(passes) are passes")
    try require(
      header[2] == -1 || passes == 0, "Go state: ko point \(header[2]) after a pass (a pass clears the ko)")
    let stored = header + Self.headerWords
    var history: [UInt64] = []
    history.reserveCapacity(placements)
    for i in 0..<maxGameLength {
      let h = UInt64(UInt32(bitPattern: stored[2 * i])) | UInt64(UInt32(bitPattern: stored[2 * i + 1])) << 32
      if i < placements {
        history.append(h)
      } else {
        try require(h == 0, "Go state: position word \(i) after the \(placements) placements is not 0")
      }
    }
    let snapshot = GoState.Snapshot(
      boardSize: boardSize, komi: komi, maxGameLength: maxGameLength, board: board, toPlay: moves % 2,
      moveCount: moves, consecutivePasses: passes, koPoint: Int(header[2]), superko: superko == 1,
      positionHashes: history)
    let s: GoState
    do {
      s = try GoState(snapshot: snapshot)
    } catch {
      throw SwiftPGError(error.code, error.message.replacingPrefix("Go snapshot", with: "Go state"))
    }
    if let last = history.last {
      try require(last == s.hash, "Go state: the last position of the history is not the board")
    } else {
      try require(board.allSatisfy { $0 == 0 }, "Go state: stones on the board but no placement in the history")
    }
    var seen = Set<UInt64>()
    for (i, h) in history.enumerated() where !seen.insert(h).inserted {
      try require(
        i == history.count - 1 && superko == 1,
        "Go state: placement \(i) repeats an earlier position, which ends the game (superko)")
    }
    try require(
      superko == 0 || (seen.count < history.count && passes == 0),
      "Go state: the superko flag is set but the last placement repeats no earlier position")
    return s
  }

  public func render(_ s: GoState) -> String { s.description }

  public func cellMap(symmetry k: Int) -> [Int] {
    (0..<(boardSize * boardSize)).map { GoSymmetry.map($0, boardSize, k) }
  }

  public func actionMap(symmetry k: Int) -> [Int] {
    (0..<actionCount).map { GoSymmetry.map($0, boardSize, k) }
  }
}

extension GoState: Hashable {
  /// Hashes what `==` compares.
  public func hash(into hasher: inout Hasher) {
    hasher.combine(boardSize)
    hasher.combine(komi)
    hasher.combine(maxGameLength)
    hasher.combine(black)
    hasher.combine(white)
    hasher.combine(toPlay)
    hasher.combine(moveCount)
    hasher.combine(consecutivePasses)
    hasher.combine(koPoint)
    hasher.combine(superko)
    hasher.combine(seenHashes)
  }
}

extension String {
  /// This string with `prefix` replaced by `replacement` (unchanged when it
  /// does not start with `prefix`).
  func replacingPrefix(_ prefix: String, with replacement: String) -> String {
    hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
  }
}
