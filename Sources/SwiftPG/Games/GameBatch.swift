/// N games of one kind stepped together, with every per-game array in and
/// out through caller buffers (the C ABI's `swiftpg_game_*` works on this
/// protocol; `GameBatch<G>` implements it for any `TwoPlayerGame`).
///
/// Finished games: with `autoReset` false a finished game stays finished
/// (stepping it is an error) until `reset`; with `autoReset` true the step
/// that ends a game writes its outcome and puts it back at the start.
public protocol BatchedGame: AnyObject {
  /// The game's name, actions, board and array sizes.
  var dimensions: any GameDimensions { get }
  /// N, the number of games.
  var count: Int { get }
  var autoReset: Bool { get }

  /// Puts every game (`which` nil) or the games with `which[i] == 1` back
  /// at the start. Flags other than 0 and 1 are refused before any reset.
  func reset(which: UnsafePointer<UInt8>?) throws(SwiftPGError)
  /// Plays `actions[i]` in every game with `active[i] == 1` (`active` nil:
  /// all); inactive games and their actions are ignored. Every flag and
  /// every active game's action is checked first: a flag other than 0/1, a
  /// finished game, an action outside `0..<actionCount` or an illegal one
  /// fails the call and no game moves.
  /// - Parameters:
  ///   - ended: [N] (optional): 1 where this step ended the game.
  ///   - outcomes: [N] (optional): player 0's return where the game ended
  ///     (+1, −1, 0), 0 elsewhere.
  /// - Returns: the number of games this step ended.
  func step(
    actions: UnsafePointer<Int32>, active: UnsafePointer<UInt8>?, ended: UnsafeMutablePointer<UInt8>?,
    outcomes: UnsafeMutablePointer<Double>?
  ) throws(SwiftPGError) -> Int
  /// [N, actionCount]: 1 for a legal action (all 0 in a finished game).
  func legalMask(into out: UnsafeMutablePointer<UInt8>)
  /// One move in game `i` alone (the per-move path of a one-state API):
  /// checks and plays `action` as `step` does for an active game `i`, then
  /// reports the game after the move — with `autoReset`, after its reset.
  /// - Parameter legalMask: [actionCount] (optional): the new legal mask.
  /// - Returns: whether the move ended the game, player 0's return if it
  ///   did (else 0), and the player to move now (0, 1 or −4).
  /// - Throws: `.outOfRange` (i or action), `.invalidArgument` (illegal
  ///   action, finished game); nothing changes then.
  func apply(_ action: Int, game i: Int, legalMask: UnsafeMutablePointer<UInt8>?) throws(SwiftPGError)
    -> (ended: Bool, outcome: Double, player: Int)
  /// A new batch of one game: a copy of game `i` (state and history), not
  /// resetting itself. - Throws: `.outOfRange` (i).
  func copyGame(_ i: Int) throws(SwiftPGError) -> any BatchedGame
  /// Each output is optional: current players [N] (0, 1 or −4), terminal
  /// flags [N], returns [N, 2].
  func status(
    players: UnsafeMutablePointer<Int32>?, terminal: UnsafeMutablePointer<UInt8>?,
    returns: UnsafeMutablePointer<Double>?)
  /// The score margin of every game, [N] (Go: black's area minus white's
  /// minus komi); `.notSupported` for a game without one.
  func scoreMargins(into out: UnsafeMutablePointer<Double>) throws(SwiftPGError)
  /// OpenSpiel's observation tensors, [N, observation size].
  func observations(into out: UnsafeMutablePointer<Double>)
  /// The network input planes, [N, planeCount, boardHeight, boardWidth].
  func planes(into out: UnsafeMutablePointer<Double>)
  /// The encoded states, [N, stateSize].
  func states(into out: UnsafeMutablePointer<Int32>)
  /// Sets every game from encoded states ([N, stateSize]); all are decoded
  /// before any game changes.
  func setStates(_ words: UnsafePointer<Int32>) throws(SwiftPGError)
  /// OpenSpiel's text of game `i` (0 ≤ i < N).
  func render(_ i: Int) -> String
  func cellMap(symmetry k: Int) -> [Int]
  func actionMap(symmetry k: Int) -> [Int]
  /// `perGame` uniformly random playouts from the current state of every
  /// game (the games do not change): `outcomes` [N, perGame] player 0's
  /// final return, `lengths` [N, perGame] (optional) the moves played.
  /// Playout j of game i draws from its own generator, seeded from
  /// (seed, i, j), so results do not depend on N.
  /// - Throws: `.cancelled` when `cancellation` is requested (checked
  ///   before every 256th playout of each game, so one game's many
  ///   playouts stop too; the outputs of the playouts before are written).
  func playouts(
    seed: UInt64, perGame: Int, outcomes: UnsafeMutablePointer<Double>, lengths: UnsafeMutablePointer<Int32>?
  ) throws(SwiftPGError)
  /// Stops a long `playouts` call from another thread.
  var cancellation: CancellationFlag { get }
  /// Threads `playouts` uses (clamped to 1 ... WorkerPool.maxThreads).
  var threadCount: Int { get set }
}

/// N games of `G`, stored as an array of states.
public final class GameBatch<G: TwoPlayerGame>: BatchedGame {
  public let game: G
  /// Exclusivity is checked statically only: every caller of a batch holds
  /// it alone (the C ABI's busy flag), and the per-move path (`apply`)
  /// would otherwise spend a third of its time in dynamic access checks.
  @exclusivity(unchecked) public private(set) var games: [G.State]
  public let autoReset: Bool
  public let cancellation = CancellationFlag()
  /// Threads `playouts` uses (1: the calling thread only). Every playout has
  /// its own generator, so the results do not depend on it.
  public var threadCount = 1 {
    didSet { threadCount = Swift.max(1, Swift.min(threadCount, WorkerPool.maxThreads)) }
  }

  /// Most games one batch may hold.
  public static var maxCount: Int { 1 << 24 }

  /// - Throws: `.invalidArgument` / `.tooLarge` unless 1 ≤ count ≤ 2^24.
  public init(_ game: G, count: Int, autoReset: Bool) throws(SwiftPGError) {
    try require(count >= 1, "num_games must be >= 1, got \(count)")
    try require(count <= Self.maxCount, "num_games \(count) exceeds \(Self.maxCount)", code: .tooLarge)
    self.game = game
    self.autoReset = autoReset
    games = Array(repeating: game.initialState(), count: count)
  }

  public var dimensions: any GameDimensions { game }
  public var count: Int { games.count }

  /// Refuses a flag other than 0 or 1.
  private func checkFlags(_ flags: UnsafePointer<UInt8>?, _ name: String) throws(SwiftPGError) {
    guard let flags else { return }
    for i in 0..<count where flags[i] > 1 {
      throw .invalid("\(name)[\(i)] is \(flags[i]); flags must be 0 or 1")
    }
  }

  public func reset(which: UnsafePointer<UInt8>?) throws(SwiftPGError) {
    try checkFlags(which, "which")
    for i in 0..<count where which.map({ $0[i] == 1 }) ?? true { games[i] = game.initialState() }
  }

  public func step(
    actions: UnsafePointer<Int32>, active: UnsafePointer<UInt8>?, ended: UnsafeMutablePointer<UInt8>?,
    outcomes: UnsafeMutablePointer<Double>?
  ) throws(SwiftPGError) -> Int {
    try checkFlags(active, "active")
    for i in 0..<count where active.map({ $0[i] == 1 }) ?? true {
      let a = Int(actions[i])
      try require(
        a >= 0 && a < game.actionCount, "actions[\(i)] is \(a), outside 0..<\(game.actionCount) of \(game.name)",
        code: .outOfRange)
      try require(
        !game.isTerminal(games[i]),
        "game \(i) is over; reset it\(autoReset ? "" : " (this batch does not reset finished games itself)") "
          + "or mark it inactive")
      try require(game.isLegal(a, in: games[i]), "actions[\(i)] = \(a) is illegal in game \(i)")
    }
    var endedCount = 0
    for i in 0..<count {
      var outcome = 0.0
      var done = false
      if active.map({ $0[i] == 1 }) ?? true {
        game.applyLegal(Int(actions[i]), to: &games[i])
        if game.isTerminal(games[i]) {
          done = true
          outcome = game.returnOfPlayer0(games[i])
          endedCount += 1
          if autoReset { games[i] = game.initialState() }
        }
      }
      ended?[i] = done ? 1 : 0
      outcomes?[i] = outcome
    }
    return endedCount
  }

  private func checkIndex(_ i: Int) throws(SwiftPGError) {
    try require(i >= 0 && i < count, "index \(i) is outside 0..<\(count) games", code: .outOfRange)
  }

  @_specialize(where G == TicTacToe)
  @_specialize(where G == ConnectN)
  @_specialize(where G == GoGame)
  public func apply(_ action: Int, game i: Int, legalMask: UnsafeMutablePointer<UInt8>?) throws(SwiftPGError)
    -> (ended: Bool, outcome: Double, player: Int)
  {
    try checkIndex(i)
    try require(
      action >= 0 && action < game.actionCount, "action \(action) is outside 0..<\(game.actionCount) of \(game.name)",
      code: .outOfRange)
    try require(!game.isTerminal(games[i]), "game \(i) is over; reset it")
    try require(game.isLegal(action, in: games[i]), "action \(action) is illegal in game \(i)")
    game.applyLegal(action, to: &games[i])
    var ended = false
    var outcome = 0.0
    if game.isTerminal(games[i]) {
      ended = true
      outcome = game.returnOfPlayer0(games[i])
      if autoReset { games[i] = game.initialState() }
    }
    if let legalMask { game.writeLegalMask(games[i], into: legalMask) }
    return (ended, outcome, game.currentPlayer(games[i]))
  }

  public func copyGame(_ i: Int) throws(SwiftPGError) -> any BatchedGame {
    try checkIndex(i)
    let copy = try GameBatch(game, count: 1, autoReset: false)
    copy.games[0] = games[i]
    return copy
  }

  public func legalMask(into out: UnsafeMutablePointer<UInt8>) {
    let a = game.actionCount
    for i in 0..<count {
      game.writeLegalMask(games[i], into: out + i * a)
    }
  }

  public func status(
    players: UnsafeMutablePointer<Int32>?, terminal: UnsafeMutablePointer<UInt8>?,
    returns: UnsafeMutablePointer<Double>?
  ) {
    for (i, s) in games.enumerated() {
      players?[i] = Int32(game.currentPlayer(s))
      terminal?[i] = game.isTerminal(s) ? 1 : 0
      let r = game.returnOfPlayer0(s)
      returns?[2 * i] = r
      returns?[2 * i + 1] = 0 - r  // +0.0 for a draw, as OpenSpiel
    }
  }

  public func scoreMargins(into out: UnsafeMutablePointer<Double>) throws(SwiftPGError) {
    for (i, s) in games.enumerated() {
      guard let margin = game.scoreMargin(s) else {
        throw SwiftPGError(.notSupported, "\(game.name) has no score margin (Go has)")
      }
      out[i] = margin
    }
  }

  public func observations(into out: UnsafeMutablePointer<Double>) {
    let size = game.observationShape.reduce(1, *)
    for (i, s) in games.enumerated() { game.writeObservation(s, into: out + i * size) }
  }

  public func planes(into out: UnsafeMutablePointer<Double>) {
    let size = game.planeCount * game.cellCount
    for (i, s) in games.enumerated() { game.writePlanes(s, into: out + i * size) }
  }

  public func states(into out: UnsafeMutablePointer<Int32>) {
    for (i, s) in games.enumerated() { game.encode(s, into: out + i * game.stateSize) }
  }

  public func setStates(_ words: UnsafePointer<Int32>) throws(SwiftPGError) {
    var decoded: [G.State] = []
    decoded.reserveCapacity(count)
    for i in 0..<count {
      do {
        decoded.append(try game.decode(words + i * game.stateSize))
      } catch {
        throw SwiftPGError(error.code, "states[\(i)]: \(error.message)")
      }
    }
    games = decoded
  }

  public func render(_ i: Int) -> String { game.render(games[i]) }
  public func cellMap(symmetry k: Int) -> [Int] { game.cellMap(symmetry: k) }
  public func actionMap(symmetry k: Int) -> [Int] { game.actionMap(symmetry: k) }

  public func playouts(
    seed: UInt64, perGame: Int, outcomes: UnsafeMutablePointer<Double>, lengths: UnsafeMutablePointer<Int32>?
  ) throws(SwiftPGError) {
    let chunks = Swift.min(count, 4 * threadCount)
    guard threadCount > 1 && chunks >= 2 else {
      playGames(0..<count, seed: seed, perGame: perGame, outcomes: outcomes, lengths: lengths)
      try cancellation.check("the playouts")
      return
    }
    // Contiguous chunks of games on the pool's threads; every playout has
    // its own generator, so the results do not depend on the chunking.
    let job = PlayoutJob(
      batch: self, seed: seed, perGame: perGame, outcomes: outcomes, lengths: lengths, chunks: chunks)
    WorkerPool.shared.run(chunks: chunks, threads: threadCount, job: job)
    try cancellation.check("the playouts")
  }

  /// The playouts of the games in `range`; stops (leaving the request for
  /// `playouts` to consume) when cancellation is requested, checked before
  /// every 256th playout of each game.
  fileprivate func playGames(
    _ range: Range<Int>, seed: UInt64, perGame: Int, outcomes: UnsafeMutablePointer<Double>,
    lengths: UnsafeMutablePointer<Int32>?
  ) {
    for i in range {
      let start = games[i]
      for j in 0..<perGame {
        if j & 255 == 0 && cancellation.isRequested { return }  // also within one game's many playouts
        var rng = playoutGenerator(seed: seed, game: i, playout: j)
        let (outcome, moves) = randomPlayout(game, from: start, using: &rng)
        outcomes[i * perGame + j] = outcome
        lengths?[i * perGame + j] = Int32(moves)
      }
    }
  }
}

/// One `playouts` call split into chunks of games (see `WorkerPool`).
private final class PlayoutJob<G: TwoPlayerGame>: ParallelJob {
  let batch: GameBatch<G>
  let seed: UInt64
  let perGame: Int
  let outcomes: UnsafeMutablePointer<Double>
  let lengths: UnsafeMutablePointer<Int32>?
  let chunks: Int

  init(
    batch: GameBatch<G>, seed: UInt64, perGame: Int, outcomes: UnsafeMutablePointer<Double>,
    lengths: UnsafeMutablePointer<Int32>?, chunks: Int
  ) {
    self.batch = batch
    self.seed = seed
    self.perGame = perGame
    self.outcomes = outcomes
    self.lengths = lengths
    self.chunks = chunks
  }

  func runChunk(_ k: Int) {
    let n = batch.count
    batch.playGames(
      (k * n / chunks)..<((k + 1) * n / chunks), seed: seed, perGame: perGame, outcomes: outcomes, lengths: lengths)
  }
}
