/// The exact game-theoretic outcome of every move of a small game: +1 when
/// the move wins against perfect play, 0 when it draws, −1 when it loses
/// (for the player who makes it). Connect-N (x_in_row ≥ 2) asks the
/// bitboard solver (`ConnectSolver`, Pons' scores reduced to their sign);
/// other games of at most 16 moves (tic-tac-toe) the exact negamax of
/// `ExactSolverPlayer`. Not thread-safe (the solvers' tables are state).
public final class MoveOracle<G: TwoPlayerGame> {
  public let game: G
  private let connect: ConnectSolverPlayer?
  private let exact: ExactSolverPlayer<G>?

  /// - Throws: `.notSupported` for a game without an exact solver.
  /// `cancellation` stops the solver's long searches (shared with a caller
  /// that cancels through its own handle).
  public init(_ game: G, cancellation: CancellationFlag = CancellationFlag()) throws(SwiftPGError) {
    self.game = game
    if let c = game as? ConnectN, c.xInRow >= 2 {
      connect = try ConnectSolverPlayer(c, cancellation: cancellation)
      exact = nil
    } else if game.maxGameLength <= 16 {
      connect = nil
      exact = ExactSolverPlayer(game, cancellation: cancellation)
    } else {
      throw SwiftPGError(.notSupported, "no exact solver for \(game.name) of this size: no exact move values")
    }
  }

  /// The cancellation flag of the solver inside (stops a long solve).
  public var cancellation: CancellationFlag { connect?.cancellation ?? exact?.cancellation ?? CancellationFlag() }

  /// `[A]`: the outcome of each legal action for the player to move in `s`
  /// (+1, 0, −1), nil for an illegal action.
  /// - Throws: `.invalidArgument` for a finished game; the solver's errors.
  public func moveOutcomes(_ s: G.State) throws(SwiftPGError) -> [Int?] {
    try require(!game.isTerminal(s), "the game is over: no moves to value")
    if let connect, let cs = s as? ConnectN.State {
      return try connect.columnScores(cs).map { $0.map { $0.signum() } }
    }
    var out = [Int?](repeating: nil, count: game.actionCount)
    guard let exact else { throw SwiftPGError(.internalError, "the move oracle has no solver") }
    let mover = game.currentPlayer(s)
    for a in 0..<game.actionCount where game.isLegal(a, in: s) {
      var child = s
      game.applyLegal(a, to: &child)
      if game.isTerminal(child) {
        let r = game.returnOfPlayer0(child)
        out[a] = Int(mover == 0 ? r : -r)
      } else {
        out[a] = -(try exact.value(child)).signum()
      }
    }
    return out
  }

  /// The outcome of `s` under perfect play for the player to move there
  /// (the best of `moveOutcomes`); for a finished game the final outcome
  /// for the player who would move next.
  public func outcome(_ s: G.State) throws(SwiftPGError) -> Int {
    if game.isTerminal(s) {
      let r = game.returnOfPlayer0(s)
      return Int(game.perspective(s) == 0 ? r : -r)
    }
    return try moveOutcomes(s).compactMap { $0 }.max() ?? 0
  }
}

/// A player that can choose moves for many positions in one call (a search
/// over many trees whose network evaluations are batched). The result is
/// the same as calling `action(for:using:)` on each position with a
/// generator `SplitMix64(seed: seeds[i])` (up to the evaluator's
/// floating-point differences between batch sizes).
public protocol BatchedGameStrategy<Game>: GameStrategy {
  func actions(for states: [Game.State], seeds: [UInt64]) throws(SwiftPGError) -> [Int]
}

extension PUCTPlayer: BatchedGameStrategy {
  public func actions(for states: [G.State], seeds: [UInt64]) throws(SwiftPGError) -> [Int] {
    try require(seeds.count == states.count, "\(states.count) positions need as many seeds, got \(seeds.count)")
    for s in states { try requirePlayable(s) }
    var rngs = seeds.map { SplitMix64(seed: $0) }
    let searchSeeds = (0..<rngs.count).map { rngs[$0].next() }
    let result = try search.run(roots: states, seeds: searchSeeds)
    var out = [Int](repeating: 0, count: states.count)
    for i in 0..<states.count { out[i] = try result.action(i, temperature: temperature, using: &rngs[i]) }
    return out
  }
}

/// The mistake rate of a player (Issue 18's measure of perfect play): the
/// share of its moves whose exact outcome (win / draw / loss against
/// perfect play, `MoveOracle`) is worse than the best move's, over **all**
/// positions reachable when it plays a side against any opponent.
///
/// The positions are enumerated exactly, breadth first by ply: from the
/// start, every legal move of the opponent is followed, and at the
/// player's turn the one move it chooses; each distinct position is
/// counted once (however many move orders reach it). A position where
/// every move loses (or every move wins) cannot hold a mistake but is
/// counted. A move that wins more slowly than another is not a mistake
/// (only the outcome counts).
///
/// The player's choice must be a function of the position: its generator
/// for a position is `SplitMix64(seed: positionSeed(seed, position))`, a
/// hash of the encoded position, so a player with random tie-breaks makes
/// one fixed choice per position. A stochastic player (a policy network
/// sampling at temperature 1) is thereby measured on one sample per
/// position; evaluate the greedy player (temperature 0) for the policy's
/// own choice.
public enum MistakeRate {
  /// The counts of a measurement; `bySide` and `byPly` split them by the
  /// player's seat (0 first, 1 second) and by the stones on the board
  /// before the move (0 ..< maxGameLength).
  public struct Report: Sendable, Equatable {
    /// Distinct positions where the player moved.
    public var positions = 0
    /// Those where its move's outcome is worse than the best.
    public var mistakes = 0
    /// Mistakes that turn a won position into a draw or a loss.
    public var lostWins = 0
    /// Mistakes that turn a drawn position into a loss.
    public var lostDraws = 0
    public var positionsBySide = [0, 0]
    public var mistakesBySide = [0, 0]
    public var positionsByPly: [Int] = []
    public var mistakesByPly: [Int] = []

    /// mistakes / positions (0 with no position).
    public var rate: Double { positions == 0 ? 0 : Double(mistakes) / Double(positions) }
  }

  /// The largest number of player positions a measurement visits.
  public static let maxPositions = 1 << 22

  /// The seed of the player's generator at `s`: `seed` mixed with the
  /// encoded position (FNV-1a over its words, then SplitMix64).
  public static func positionSeed<G: TwoPlayerGame>(_ game: G, _ s: G.State, seed: UInt64) -> UInt64 {
    var words = [Int32](repeating: 0, count: game.stateSize)
    words.withUnsafeMutableBufferPointer { b in if let p = b.baseAddress { game.encode(s, into: p) } }
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for w in words {
      h ^= UInt64(UInt32(bitPattern: w))
      h = h &* 0x100_0000_01b3
    }
    var mixer = SplitMix64(seed: seed ^ h)
    return mixer.next()
  }

  /// Measures `player` on the seats `sides` (a subset of [0, 1]).
  /// - Parameters:
  ///   - chunk: positions handed at once to a `BatchedGameStrategy`.
  /// - Throws: `.invalidArgument` for sides outside {0, 1} or empty;
  ///   `.tooLarge` beyond `maxPositions` player positions; `.cancelled`
  ///   (checked between chunks); the player's and the oracle's errors.
  public static func measure<G: TwoPlayerGame>(
    _ game: G, player: any GameStrategy<G>, oracle: MoveOracle<G>, sides: [Int] = [0, 1], seed: UInt64,
    chunk: Int = 256, cancellation: CancellationFlag? = nil
  ) throws(SwiftPGError) -> Report {
    try require(!sides.isEmpty && sides.allSatisfy { $0 == 0 || $0 == 1 }, "sides must be a non-empty subset of {0, 1}, got \(sides)")
    try require(chunk >= 1, "chunk must be >= 1, got \(chunk)")
    var report = Report()
    report.positionsByPly = Array(repeating: 0, count: game.maxGameLength)
    report.mistakesByPly = Array(repeating: 0, count: game.maxGameLength)
    for side in Set(sides).sorted() {
      var level = [game.initialState()]
      var ply = 0
      while !level.isEmpty {
        try cancellation?.check("the mistake-rate measurement")
        var next = Set<G.State>()
        if game.currentPlayer(level[0]) == side {
          try require(
            report.positions + level.count <= maxPositions,
            "more than \(maxPositions) positions to measure", code: .tooLarge)
          var start = 0
          while start < level.count {
            try cancellation?.check("the mistake-rate measurement")
            let part = Array(level[start..<Swift.min(start + chunk, level.count)])
            let moves = try choose(game, player, part, seed: seed)
            for (s, a) in zip(part, moves) {
              try require(game.isLegal(a, in: s), "the player chose the illegal action \(a)")
              let outcomes = try oracle.moveOutcomes(s)
              let best = outcomes.compactMap { $0 }.max() ?? 0
              let got = outcomes[a] ?? -1
              let slot = Swift.min(ply, game.maxGameLength - 1)
              report.positions += 1
              report.positionsBySide[side] += 1
              report.positionsByPly[slot] += 1
              if got < best {
                report.mistakes += 1
                report.mistakesBySide[side] += 1
                report.mistakesByPly[slot] += 1
                if best > 0 { report.lostWins += 1 } else { report.lostDraws += 1 }
              }
              var child = s
              game.applyLegal(a, to: &child)
              if !game.isTerminal(child) { next.insert(child) }
            }
            start += chunk
          }
        } else {
          for s in level {
            for a in 0..<game.actionCount where game.isLegal(a, in: s) {
              var child = s
              game.applyLegal(a, to: &child)
              if !game.isTerminal(child) { next.insert(child) }
            }
          }
        }
        // A deterministic order (the set's is not): by encoded words.
        level = sortedStates(game, next)
        ply += 1
      }
    }
    return report
  }

  /// The player's moves in `states`, each with its position's generator.
  static func choose<G: TwoPlayerGame>(
    _ game: G, _ player: any GameStrategy<G>, _ states: [G.State], seed: UInt64
  ) throws(SwiftPGError) -> [Int] {
    let seeds = states.map { positionSeed(game, $0, seed: seed) }
    if let batched = player as? any BatchedGameStrategy<G> {
      return try batched.actions(for: states, seeds: seeds)
    }
    var out: [Int] = []
    out.reserveCapacity(states.count)
    for (s, k) in zip(states, seeds) {
      var rng = SplitMix64(seed: k)
      out.append(try player.action(for: s, using: &rng))
    }
    return out
  }

  /// `states` sorted by their encoded words (lexicographically).
  static func sortedStates<G: TwoPlayerGame>(_ game: G, _ states: Set<G.State>) -> [G.State] {
    let n = game.stateSize
    var keyed: [([Int32], G.State)] = states.map { s in
      var w = [Int32](repeating: 0, count: n)
      w.withUnsafeMutableBufferPointer { b in if let p = b.baseAddress { game.encode(s, into: p) } }
      return (w, s)
    }
    keyed.sort { $0.0.lexicographicallyPrecedes($1.0) }
    return keyed.map { $0.1 }
  }
}
