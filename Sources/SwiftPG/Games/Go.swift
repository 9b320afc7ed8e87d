/// Go on a small board (5×5 to 9×9) with the rules of OpenSpiel 2.0.2's
/// `go` game, move for move: the same action ids, legal actions, players,
/// terminal states, returns, observation tensor and text.
/// `Tests/SwiftPGTests/GoTests.swift` replays 180 games recorded from
/// pyspiel (`tools/games/go_fixtures.py`) and requires equality after every
/// move.
///
/// ## Description
/// Two players, black (player 0, moves first) and white (player 1), place
/// stones in turn or pass. A placed stone removes every adjacent opponent
/// group it leaves without liberties (orthogonally adjacent empty points).
///
/// ## Action Space
/// `boardSize² + 1` actions. Point (row r, column c), with row 0 the bottom
/// row ("1" in the text) and column 0 the left column ("A"), is action
/// `r · boardSize + c`; `boardSize²` is pass. Pass is always legal in a
/// non-terminal state. A placement is legal when the point is empty, is not
/// the ko point, and is not suicide:
/// - **Suicide** is forbidden: a stone that captures nothing and leaves its
///   own group without liberties is illegal (single stones and groups alike).
/// - **Simple ko**: when a single stone (with no friendly neighbour) captures
///   exactly one stone and is left with one liberty, the captured point is
///   forbidden to the opponent's next move only (any move, a pass too,
///   clears it).
/// - **Positional superko ends the game**: a placement that recreates a
///   board position that occurred earlier in the game (whoever was to play)
///   is legal, but the game ends at once as a draw (both returns 0). OpenSpiel
///   does this too; its legal actions do not exclude such moves.
///
/// ## Observation Space
/// `observationTensor`: OpenSpiel's, shape [4, N, N] as floats, the same for
/// both players (absolute colours): plane 0 black stones, plane 1 white
/// stones, plane 2 empty points, plane 3 all ones when white is to play
/// (the colour to play flips on every action, the final one included).
/// `inputPlanes`: a network's input from the player to move's perspective
/// (see `inputPlaneCount`).
///
/// ## Rewards
/// Only at the end: area scoring (stones plus empty regions bordered by one
/// colour only) with komi for white; `returns()` is [+1, −1] when black's
/// area exceeds white's plus komi, [−1, +1] when it falls short, and [0, 0]
/// on an exact tie (integer komi) or after a superko repetition.
/// `scoreMargin` is black's area minus white's minus komi.
///
/// ## Starting State
/// The empty board, black to play (handicap 0 only).
///
/// ## Episode End
/// After two consecutive passes, when the number of actions (passes
/// included) reaches `maxGameLength`, or after a superko repetition.
///
/// ## Arguments
/// OpenSpiel's parameters: `board_size` (`boardSize`, 5…9, default 9),
/// `komi` (7.5), `max_game_length` (`boardSize² · 2`, as OpenSpiel), and
/// `handicap` (0 only: other values are refused).
public struct GoState: Sendable, Equatable, CustomStringConvertible {
  /// The board sizes supported (81 points and pass fit one 128-bit mask).
  public static let boardSizes = 5...9
  /// OpenSpiel's player id of a terminal state.
  public static let terminalPlayer = -4
  /// The number of players.
  public static let numPlayers = 2
  /// Largest |komi| accepted.
  public static let maxKomi = 1000.0
  /// Largest `maxGameLength` accepted.
  public static let maxGameLengthLimit = 1 << 20
  /// Planes of the observation tensor (OpenSpiel's).
  public static let observationPlaneCount = 4
  /// Planes of `inputPlanes`: 0 the mover's stones, 1 the opponent's
  /// stones, 2 empty points, 3 points where the mover may place a stone
  /// (empty, not ko, not suicide), 4 the mover's stones in atari (their
  /// group has one liberty), 5 the opponent's stones in atari, 6 all ones
  /// when black is to play. At the end of the game plane 3 is all zeros.
  public static let inputPlaneCount = 7

  /// Side length of the board.
  public let boardSize: Int
  /// Points added to white's area.
  public let komi: Double
  /// Actions (passes included) after which the game ends.
  public let maxGameLength: Int

  /// Stones of each colour, bit `r · boardSize + c`.
  @usableFromInline var black: UInt128 = 0
  @usableFromInline var white: UInt128 = 0
  /// 0 black, 1 white; flips on every action.
  @usableFromInline var toPlay = 0
  /// Actions played so far (OpenSpiel's history size).
  public private(set) var moveCount = 0
  /// Passes at the end of the history.
  @usableFromInline var consecutivePasses = 0
  /// The point the player to move may not take back, or −1.
  @usableFromInline var koPoint = -1
  /// A placement recreated an earlier position: the game is over, drawn.
  @usableFromInline var superko = false
  /// Zobrist hash of the board.
  @usableFromInline var hash: UInt64 = 0
  /// Hashes of the positions after each placement, in order.
  @usableFromInline var seenHashes: [UInt64] = []
  /// Index in `seenHashes` of the last position a capture made. A
  /// placement that captures nothing only adds a stone, so it can repeat
  /// only a position before that one (the later ones have fewer stones
  /// and no others). A cache: not part of `==`.
  @usableFromInline var lastCaptureIndex = 0
  /// A 4096-bit filter of `seenHashes` (bit `hash >> 52` set for each):
  /// a position whose bit is clear is new without a scan. A cache: not
  /// part of `==`.
  @usableFromInline var seenFilter = [UInt64](repeating: 0, count: 64)
  /// The group of each stone, as an index into `groupStones` (one of the
  /// group's own points); entries of empty points are stale.
  @usableFromInline var groupOf = [UInt8](repeating: 0, count: 81)
  /// The stones of each group at its index; entries not in use are stale.
  @usableFromInline var groupStones = [UInt128](repeating: 0, count: 81)
  @usableFromInline let geometry: GoGeometry

  /// States are equal when their parameters, boards, colours to play,
  /// counters, ko points and position histories are.
  public static func == (a: GoState, b: GoState) -> Bool {
    a.boardSize == b.boardSize && a.komi == b.komi && a.maxGameLength == b.maxGameLength
      && a.black == b.black && a.white == b.white && a.toPlay == b.toPlay
      && a.moveCount == b.moveCount && a.consecutivePasses == b.consecutivePasses
      && a.koPoint == b.koPoint && a.superko == b.superko && a.seenHashes == b.seenHashes
  }

  /// The empty board with black to play.
  ///
  /// - Parameters:
  ///   - boardSize: OpenSpiel's `board_size`, 5…9.
  ///   - komi: OpenSpiel's `komi`, finite, |komi| ≤ 1000.
  ///   - maxGameLength: OpenSpiel's `max_game_length`, ≥ 1; `nil` is
  ///     OpenSpiel's default `boardSize² · 2`.
  ///   - handicap: OpenSpiel's `handicap`; only 0 is supported.
  /// - Throws: `.invalidArgument` naming the parameter out of range.
  public init(boardSize: Int = 9, komi: Double = 7.5, maxGameLength: Int? = nil, handicap: Int = 0)
    throws(SwiftPGError)
  {
    try require(
      Self.boardSizes.contains(boardSize),
      "Go: board_size must be in 5...9, got \(boardSize)")
    try require(
      komi.isFinite && abs(komi) <= Self.maxKomi,
      "Go: komi must be finite with |komi| ≤ 1000, got \(komi)")
    let length = maxGameLength ?? boardSize * boardSize * 2
    try require(
      (1...Self.maxGameLengthLimit).contains(length),
      "Go: max_game_length must be in 1...\(Self.maxGameLengthLimit), got \(length)")
    try require(
      handicap == 0,
      "Go: handicap \(handicap) is not supported (only 0; OpenSpiel places handicap stones "
        + "at its own points, which swiftpg does not reproduce)", code: .notSupported)
    self.boardSize = boardSize
    self.komi = komi
    self.maxGameLength = length
    geometry = GoGeometry(boardSize)
  }

  // MARK: - Game state

  /// Actions of the game: the points and pass.
  public var numDistinctActions: Int { boardSize * boardSize + 1 }
  /// The pass action, `boardSize²`.
  public var passAction: Int { boardSize * boardSize }

  /// The game is over: two consecutive passes, the move limit, or a
  /// superko repetition.
  public var isTerminal: Bool {
    consecutivePasses >= 2 || moveCount >= maxGameLength || superko
  }

  /// 0 (black) or 1 (white) to move; `terminalPlayer` (−4) once the game
  /// is over.
  public var currentPlayer: Int { isTerminal ? Self.terminalPlayer : toPlay }

  /// The game ended because a placement repeated an earlier position.
  public var endedBySuperko: Bool { superko }

  /// The colour at a point: 0 empty, 1 black, 2 white (nil off the board).
  public func stone(row: Int, column: Int) -> Int? {
    guard (0..<boardSize).contains(row), (0..<boardSize).contains(column) else { return nil }
    return color(at: row * boardSize + column)
  }

  @inline(__always) func color(at point: Int) -> Int {
    let bit: UInt128 = 1 << point
    return black & bit != 0 ? 1 : (white & bit != 0 ? 2 : 0)
  }

  @inline(__always) var empty: UInt128 { geometry.full & ~(black | white) }

  // MARK: - Legality

  /// Why a placement at `point` is illegal for the player to move, or nil.
  @usableFromInline func refusal(ofPoint point: Int) -> String? {
    let bit: UInt128 = 1 << point
    if (black | white) & bit != 0 { return "the point is occupied" }
    if point == koPoint { return "it retakes the ko" }
    let free = empty
    if geometry.neighbors(bit) & free != 0 { return nil }
    return keepsLiberty(bit, own: toPlay == 0 ? black : white, free: free) ? nil : "it is suicide"
  }

  /// The stones of the group of the stone at `point`.
  @inline(__always) func stonesOfGroup(at point: Int) -> UInt128 {
    groupStones[Int(groupOf[point])]
  }

  /// A stone at the empty point `bit`, all of whose neighbours are stones,
  /// captures (an adjacent opponent group has this point as its only
  /// liberty) or joins an own group with another liberty.
  @inline(__always) func keepsLiberty(_ bit: UInt128, own: UInt128, free: UInt128) -> Bool {
    var adjacent = geometry.neighbors(bit)
    while adjacent != 0 {
      let q = adjacent.trailingZeroBitCount
      adjacent &= adjacent &- 1
      let liberties = geometry.neighbors(stonesOfGroup(at: q)) & free
      if own & (1 << q) != 0 ? liberties & ~bit != 0 : liberties == bit { return true }
    }
    return false
  }

  /// `action` is legal in this state (false out of range or at the end).
  public func isLegal(_ action: Int) -> Bool {
    guard !isTerminal, (0...passAction).contains(action) else { return false }
    return action == passAction || refusal(ofPoint: action) == nil
  }

  /// The legal placements as a mask over points (pass not included); 0 at
  /// the end of the game.
  @usableFromInline func legalPointMask() -> UInt128 {
    if isTerminal { return 0 }
    let free = empty
    var ko: UInt128 = 0
    if koPoint >= 0 { ko = 1 << koPoint }
    // A point with an empty neighbour is always legal (unless it is the ko).
    let open = free & geometry.neighbors(free) & ~ko
    let enclosed = free & ~open & ~ko
    if enclosed == 0 { return open }
    // An enclosed point (all neighbours stones) is legal when it captures
    // (an adjacent opponent group has one liberty, necessarily this point)
    // or joins an own group that keeps another liberty (has two or more).
    // Each group next to an enclosed point is looked at once.
    var inAtari: UInt128 = 0
    var pending = geometry.neighbors(enclosed) & (black | white)
    while pending != 0 {
      let group = stonesOfGroup(at: pending.trailingZeroBitCount)
      pending &= ~group
      let liberties = geometry.neighbors(group) & free
      if liberties & (liberties &- 1) == 0 { inAtari |= group }
    }
    let own = toPlay == 0 ? black : white
    let opponent = (black | white) & ~own
    return open | (enclosed & geometry.neighbors((opponent & inAtari) | (own & ~inAtari)))
  }

  /// The legal actions in increasing order, pass last; empty at the end.
  public func legalActions() -> [Int] {
    if isTerminal { return [] }
    var mask = legalPointMask()
    var actions: [Int] = []
    actions.reserveCapacity(mask.nonzeroBitCount + 1)
    while mask != 0 {
      actions.append(mask.trailingZeroBitCount)
      mask &= mask &- 1
    }
    actions.append(passAction)
    return actions
  }

  /// The legal actions as a mask over action ids (bit `a` for action `a`,
  /// pass at bit `boardSize²`); 0 at the end.
  public func legalActionBits() -> UInt128 {
    isTerminal ? 0 : legalPointMask() | (1 << passAction)
  }

  /// A legal action drawn uniformly (pass included), without building the
  /// list; nil at the end of the game.
  public func randomLegalAction(using rng: inout some RandomNumberGenerator) -> Int? {
    let bits = legalActionBits()
    let count = bits.nonzeroBitCount
    guard count > 0 else { return nil }
    // Lemire's unbiased multiply-shift draw of k in 0..<count (the standard
    // library's bounded draw goes through unspecialised generic code).
    let bound = UInt64(count)
    var product = rng.next().multipliedFullWidth(by: bound)
    if product.low < bound {
      let threshold = (0 &- bound) % bound
      while product.low < threshold { product = rng.next().multipliedFullWidth(by: bound) }
    }
    var k = Int(product.high)
    var word = UInt64(truncatingIfNeeded: bits)
    var base = 0
    if k >= word.nonzeroBitCount {
      k -= word.nonzeroBitCount
      word = UInt64(truncatingIfNeeded: bits >> 64)
      base = 64
    }
    for _ in 0..<k { word &= word &- 1 }
    return base + word.trailingZeroBitCount
  }

  /// Writes 1 for each legal action and 0 for the others.
  /// - Throws: `.bufferTooSmall` unless `mask.count == numDistinctActions`.
  public func legalActionMask(into mask: UnsafeMutableBufferPointer<UInt8>) throws(SwiftPGError) {
    try require(
      mask.count == numDistinctActions,
      "Go: the legal-action mask holds \(mask.count) entries, expected \(numDistinctActions)",
      code: .bufferTooSmall)
    let bits = legalActionBits()
    for a in 0..<mask.count { mask[a] = (bits >> a) & 1 == 0 ? 0 : 1 }
  }

  /// `numDistinctActions` flags, true where the action is legal.
  public func legalActionMask() -> [Bool] {
    let bits = legalActionBits()
    return (0..<numDistinctActions).map { (bits >> $0) & 1 != 0 }
  }

  // MARK: - Playing

  /// Plays `action` for the player to move.
  ///
  /// - Throws: `.invalidArgument` (state unchanged) when the game is over,
  ///   the action is out of range, or the placement is illegal (occupied,
  ///   ko, suicide), naming the reason.
  /// - Complexity: O(size of the groups adjacent to the point) word
  ///   operations, plus O(moves so far) to check for a repeated position.
  public mutating func apply(_ action: Int) throws(SwiftPGError) {
    // (The messages capture locals only: capturing `self`, a large value,
    // would copy it on every call.)
    let pass = passAction
    try require(!isTerminal, "Go: the game is over; no action can be applied")
    try require((0...pass).contains(action), "Go: action \(action) is out of range 0...\(pass) (\(pass) is pass)")
    if action != pass, let reason = refusal(ofPoint: action) {
      throw SwiftPGError.invalid(
        "Go: action \(action) (\(pointName(action))) is illegal for \(toPlay == 0 ? "black" : "white"): \(reason)")
    }
    play(action)
  }

  /// Plays `action`, legal in this state (the caller checked `isLegal`):
  /// `apply` without its checks.
  @usableFromInline mutating func play(_ action: Int) {
    if action == passAction {
      consecutivePasses += 1
      koPoint = -1
    } else {
      let captured = place(action)
      consecutivePasses = 0
      // OpenSpiel compares the board alone (not the colour to play).
      let slot = Int(hash >> 52)
      let bit: UInt64 = 1 << (slot & 63)
      if seenFilter[slot >> 6] & bit != 0 {
        let earlier = captured ? seenHashes.count : lastCaptureIndex
        if seenHashes[..<earlier].contains(hash) { superko = true }
      }
      seenFilter[slot >> 6] |= bit
      if captured { lastCaptureIndex = seenHashes.count }
      seenHashes.append(hash)
    }
    moveCount += 1
    toPlay ^= 1
  }

  /// Places a stone of the player to move at a legal `point`, merges the
  /// groups it joins, removes the groups it captures and sets the ko point.
  /// Returns whether it captured.
  @inline(__always) mutating func place(_ point: Int) -> Bool {
    let bit: UInt128 = 1 << point
    var own = toPlay == 0 ? black : white
    var opponent = toPlay == 0 ? white : black
    hash ^= goZobrist[toPlay * goZobristStride + point]
    // Join the adjacent own groups into the largest one.
    var group = bit
    var id = point
    var largest = 0
    var friends = geometry.neighbors(bit) & own
    while friends != 0 {
      let q = friends.trailingZeroBitCount
      let stones = stonesOfGroup(at: q)
      friends &= ~stones
      group |= stones
      if stones.nonzeroBitCount > largest {
        largest = stones.nonzeroBitCount
        id = Int(groupOf[q])
      }
    }
    own |= bit
    var relabel = group & ~(id == point ? 0 : groupStones[id])
    while relabel != 0 {
      groupOf[relabel.trailingZeroBitCount] = UInt8(truncatingIfNeeded: id)
      relabel &= relabel &- 1
    }
    groupStones[id] = group
    // Remove the adjacent opponent groups left without liberties.
    let free = geometry.full & ~(own | opponent)
    var captured = 0
    var capturedPoint = -1
    var adjacent = geometry.neighbors(bit) & opponent
    while adjacent != 0 {
      let stones = stonesOfGroup(at: adjacent.trailingZeroBitCount)
      adjacent &= ~stones
      if geometry.neighbors(stones) & free == 0 {
        opponent &= ~stones
        captured += stones.nonzeroBitCount
        capturedPoint = stones.trailingZeroBitCount
        var rest = stones
        while rest != 0 {
          hash ^= goZobrist[(toPlay ^ 1) * goZobristStride + rest.trailingZeroBitCount]
          rest &= rest &- 1
        }
      }
    }
    koPoint = -1
    if captured == 1, group == bit,
      (geometry.neighbors(bit) & ~(own | opponent) & geometry.full).nonzeroBitCount == 1
    {
      koPoint = capturedPoint
    }
    if toPlay == 0 {
      black = own
      white = opponent
    } else {
      white = own
      black = opponent
    }
    return captured > 0
  }

  /// A copy with `action` applied.
  public func applying(_ action: Int) throws(SwiftPGError) -> GoState {
    var next = self
    try next.apply(action)
    return next
  }

  // MARK: - Outcome

  /// Black's area (stones plus empty regions that border black only) minus
  /// white's, minus komi. Defined in every state; at the end it decides
  /// `returns()` (except after a superko repetition, a draw).
  public var scoreMargin: Double {
    var area = black.nonzeroBitCount - white.nonzeroBitCount
    var remaining = empty
    while remaining != 0 {
      let seed = remaining & (~remaining &+ 1)
      let region = geometry.group(seed, within: empty)
      remaining &= ~region
      let border = geometry.neighbors(region)
      let touchesBlack = border & black != 0
      let touchesWhite = border & white != 0
      if touchesBlack != touchesWhite {
        area += touchesBlack ? region.nonzeroBitCount : -region.nonzeroBitCount
      }
    }
    return Double(area) - komi
  }

  /// [black, white]: [0, 0] before the end; at the end +1 to the player
  /// with the larger area (komi included), −1 to the other, [0, 0] on a
  /// tie or after a superko repetition.
  public func returns() -> [Double] {
    guard isTerminal, !superko else { return [0, 0] }
    let margin = scoreMargin
    return margin > 0 ? [1, -1] : (margin < 0 ? [-1, 1] : [0, 0])
  }

  // MARK: - Tensors

  /// Floats in the observation tensor: 4 · boardSize².
  public var observationTensorSize: Int { Self.observationPlaneCount * boardSize * boardSize }
  /// Floats in the input planes: `inputPlaneCount` · boardSize².
  public var inputPlanesSize: Int { Self.inputPlaneCount * boardSize * boardSize }

  /// Writes OpenSpiel's observation tensor [4, N, N] (see the type's doc).
  /// - Throws: `.bufferTooSmall` unless `tensor.count == observationTensorSize`.
  public func observationTensor(into tensor: UnsafeMutableBufferPointer<Float>) throws(SwiftPGError) {
    try require(
      tensor.count == observationTensorSize,
      "Go: the observation buffer holds \(tensor.count) floats, expected \(observationTensorSize)",
      code: .bufferTooSmall)
    writePlanes([black, white, empty, toPlay == 1 ? geometry.full : 0], into: tensor)
  }

  /// OpenSpiel's observation tensor, flattened [4, N, N].
  public func observationTensor() -> [Float] {
    planes([black, white, empty, toPlay == 1 ? geometry.full : 0])
  }

  /// Writes the network input [inputPlaneCount, N, N] from the perspective
  /// of the colour to play (the one that would move next, also at the end).
  /// - Throws: `.bufferTooSmall` unless `planes.count == inputPlanesSize`.
  public func inputPlanes(into planes: UnsafeMutableBufferPointer<Float>) throws(SwiftPGError) {
    try require(
      planes.count == inputPlanesSize,
      "Go: the input-plane buffer holds \(planes.count) floats, expected \(inputPlanesSize)",
      code: .bufferTooSmall)
    writePlanes(inputPlaneMasks(), into: planes)
  }

  /// The network input, flattened [inputPlaneCount, N, N].
  public func inputPlanes() -> [Float] { planes(inputPlaneMasks()) }

  func inputPlaneMasks() -> [UInt128] {
    let (own, opponent) = toPlay == 0 ? (black, white) : (white, black)
    let free = empty
    var atari: UInt128 = 0
    var remaining = black | white
    while remaining != 0 {
      let group = stonesOfGroup(at: remaining.trailingZeroBitCount)
      remaining &= ~group
      if (geometry.neighbors(group) & free).nonzeroBitCount == 1 { atari |= group }
    }
    return [
      own, opponent, free, legalPointMask(), own & atari, opponent & atari,
      toPlay == 0 ? geometry.full : 0,
    ]
  }

  func planes(_ masks: [UInt128]) -> [Float] {
    var out = [Float](repeating: 0, count: masks.count * boardSize * boardSize)
    out.withUnsafeMutableBufferPointer { writePlanes(masks, into: $0) }
    return out
  }

  func writePlanes(_ masks: [UInt128], into out: UnsafeMutableBufferPointer<Float>) {
    let points = boardSize * boardSize
    for (k, mask) in masks.enumerated() {
      for p in 0..<points { out[k * points + p] = (mask >> p) & 1 == 0 ? 0 : 1 }
    }
  }

  // MARK: - Get and set

  /// Everything that determines a Go state, in plain values.
  public struct Snapshot: Sendable, Equatable {
    public var boardSize: Int
    public var komi: Double
    public var maxGameLength: Int
    /// `boardSize²` points in action order: 0 empty, 1 black, 2 white.
    public var board: [Int8]
    /// 0 black, 1 white (the colour that moves next, also at the end).
    public var toPlay: Int
    /// Actions played so far, passes included.
    public var moveCount: Int
    /// Passes at the end of the history (0, 1 or 2).
    public var consecutivePasses: Int
    /// The point the player to move may not retake, or −1.
    public var koPoint: Int
    /// The last placement repeated an earlier position (the game is over).
    public var superko: Bool
    /// Hashes of the positions after each placement so far (opaque values,
    /// for the superko check; only equality matters).
    public var positionHashes: [UInt64]
  }

  /// This state as plain values (`init(snapshot:)` restores it).
  public var snapshot: Snapshot {
    Snapshot(
      boardSize: boardSize, komi: komi, maxGameLength: maxGameLength,
      board: (0..<(boardSize * boardSize)).map { Int8(color(at: $0)) }, toPlay: toPlay,
      moveCount: moveCount, consecutivePasses: consecutivePasses, koPoint: koPoint,
      superko: superko, positionHashes: seenHashes)
  }

  /// The state a snapshot describes.
  /// - Throws: `.invalidArgument` naming the first inconsistent field (a
  ///   parameter out of range, a board of the wrong size or with values
  ///   other than 0, 1, 2, a group without liberties, a counter out of
  ///   range, a ko point that is not an empty point).
  public init(snapshot s: Snapshot) throws(SwiftPGError) {
    self = try GoState(boardSize: s.boardSize, komi: s.komi, maxGameLength: s.maxGameLength)
    let points = boardSize * boardSize
    try require(
      s.board.count == points, "Go snapshot: board has \(s.board.count) points, expected \(points)")
    for (p, value) in s.board.enumerated() {
      try require((0...2).contains(value), "Go snapshot: board[\(p)] = \(value), expected 0, 1 or 2")
      if value != 0 {
        black |= value == 1 ? 1 << p : 0
        white |= value == 2 ? 1 << p : 0
        hash ^= goZobrist[Int(value - 1) * goZobristStride + p]
      }
    }
    var remaining = black | white
    while remaining != 0 {
      let seed = remaining & (~remaining &+ 1)
      let group = geometry.group(seed, within: black & seed != 0 ? black : white)
      remaining &= ~group
      let id = seed.trailingZeroBitCount
      try require(
        geometry.neighbors(group) & empty != 0, "Go snapshot: the group at point \(id) has no liberty")
      groupStones[id] = group
      var stones = group
      while stones != 0 {
        groupOf[stones.trailingZeroBitCount] = UInt8(truncatingIfNeeded: id)
        stones &= stones &- 1
      }
    }
    try require((0...1).contains(s.toPlay), "Go snapshot: toPlay = \(s.toPlay), expected 0 or 1")
    try require(
      (0...maxGameLength).contains(s.moveCount),
      "Go snapshot: moveCount = \(s.moveCount), expected 0...\(maxGameLength)")
    try require(
      (0...min(2, s.moveCount)).contains(s.consecutivePasses),
      "Go snapshot: consecutivePasses = \(s.consecutivePasses), expected 0...\(min(2, s.moveCount))")
    try require(
      s.koPoint == -1 || ((0..<points).contains(s.koPoint) && s.board[s.koPoint] == 0),
      "Go snapshot: koPoint = \(s.koPoint) is neither -1 nor an empty point")
    try require(
      s.positionHashes.count <= s.moveCount,
      "Go snapshot: \(s.positionHashes.count) position hashes after \(s.moveCount) moves")
    toPlay = s.toPlay
    moveCount = s.moveCount
    consecutivePasses = s.consecutivePasses
    koPoint = s.koPoint
    superko = s.superko
    seenHashes = s.positionHashes
    lastCaptureIndex = seenHashes.count  // unknown: compare with every position
    for h in seenHashes { seenFilter[Int(h >> 58)] |= 1 << ((h >> 52) & 63) }
  }

  // MARK: - Text

  /// "a1" … for a point, "PASS" for pass (OpenSpiel's coordinates, no "i").
  public func pointName(_ action: Int) -> String {
    guard (0..<passAction).contains(action) else { return "PASS" }
    let column = Array(goColumnLetters)[action % boardSize]
    return "\(column.lowercased())\(action / boardSize + 1)"
  }

  /// OpenSpiel's text of the state: a header line, then the board from the
  /// top row down (X black, O white, + empty) and the column letters.
  /// Identical to OpenSpiel's for a komi of at most 6 significant digits.
  public var description: String {
    var text = "GoState(komi=\(goFormat(komi)), to_play=\(toPlay == 0 ? "B" : "W"), "
    text += "history.size()=\(moveCount))\n\n"
    for row in stride(from: boardSize - 1, through: 0, by: -1) {
      let label = String(row + 1)
      text += String(repeating: " ", count: max(0, 2 - label.count)) + label + " "
      for column in 0..<boardSize {
        text += ["+", "X", "O"][color(at: row * boardSize + column)]
      }
      text += "\n"
    }
    text += "   " + String(goColumnLetters.prefix(boardSize)) + "\n"
    return text
  }
}

/// Column letters of Go diagrams (no "I").
let goColumnLetters = "ABCDEFGHJKLMNOPQRST"

/// `value` as C's "%g" prints it for up to 6 significant digits.
func goFormat(_ value: Double) -> String {
  if value == value.rounded(), abs(value) < 1e6 { return String(Int(value)) }
  return String(value)
}

/// Zobrist keys: one per colour and point (81 points per colour).
let goZobristStride = 81
let goZobrist: [UInt64] = {
  var generator = SplitMix64(seed: 0x5EED_0060_2026)
  return (0..<(2 * goZobristStride)).map { _ in generator.next() }
}()

/// Bit masks of one board size, for the stone and liberty arithmetic.
@usableFromInline struct GoGeometry: Sendable, Equatable {
  /// Bits of the points on the board.
  @usableFromInline let full: UInt128
  /// Points not in the first (left) column / not in the last column.
  @usableFromInline let notFirstColumn: UInt128
  @usableFromInline let notLastColumn: UInt128
  @usableFromInline let size: Int

  init(_ size: Int) {
    self.size = size
    var full: UInt128 = 0
    var first: UInt128 = 0
    var last: UInt128 = 0
    for p in 0..<(size * size) {
      full |= 1 << p
      if p % size == 0 { first |= 1 << p }
      if p % size == size - 1 { last |= 1 << p }
    }
    self.full = full
    notFirstColumn = full & ~first
    notLastColumn = full & ~last
  }

  /// Points orthogonally adjacent to some point of `x`, on the board.
  @inline(__always) @usableFromInline func neighbors(_ x: UInt128) -> UInt128 {
    let east = (x & notLastColumn) << 1
    let west = (x & notFirstColumn) >> 1
    return (east | west | (x << size) | (x >> size)) & full
  }

  /// The connected part of `within` that contains `seed` (flood fill).
  @inline(__always) @usableFromInline func group(_ seed: UInt128, within: UInt128) -> UInt128 {
    var group = seed & within
    while true {
      let grown = (group | neighbors(group)) & within
      if grown == group { return group }
      group = grown
    }
  }
}
