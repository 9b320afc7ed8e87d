/// Matches between players of a two-player game.
public enum Arena {
  /// The outcome of a match from player A's side.
  public struct Result: Sendable, Equatable {
    /// All games.
    public var record: MatchRecord
    /// The games A played first (player 0; the even-numbered games).
    public var asFirst: MatchRecord
    /// The games A played second.
    public var asSecond: MatchRecord
  }

  /// Plays `games` games of A against B from the start, alternating colours:
  /// A moves first in games 0, 2, 4, … and second in games 1, 3, 5, ….
  /// In game i, A draws from the generator `playoutGenerator(seed, i, 0)`
  /// and B from `playoutGenerator(seed, i, 1)`, so a game depends only on
  /// (seed, i) and the players (the same seed replays the match exactly).
  /// `a` and `b` may be the same player (self-play).
  ///
  /// - Throws: `.invalidArgument` unless 1 ≤ games ≤ 2^24; a player's
  ///   error; `.cancelled` when `cancellation` or a player's own flag is
  ///   requested (checked between moves; a player's flag also inside its
  ///   search).
  public static func play<G: TwoPlayerGame>(
    _ game: G, _ a: any GameStrategy<G>, _ b: any GameStrategy<G>, games: Int, seed: UInt64,
    cancellation: CancellationFlag? = nil
  ) throws(SwiftPGError) -> Result {
    try require(games >= 1 && games <= 1 << 24, "games must be in [1, 2^24], got \(games)")
    var result = Result(record: MatchRecord(), asFirst: MatchRecord(), asSecond: MatchRecord())
    for i in 0..<games {
      var rngA = playoutGenerator(seed: seed, game: i, playout: 0)
      var rngB = playoutGenerator(seed: seed, game: i, playout: 1)
      let aIsFirst = i % 2 == 0
      var s = game.initialState()
      while !game.isTerminal(s) {
        try cancellation?.check("the arena")
        try a.cancellation.check("the arena")
        try b.cancellation.check("the arena")
        let aMoves = (game.currentPlayer(s) == 0) == aIsFirst
        let action =
          aMoves ? try a.action(for: s, using: &rngA) : try b.action(for: s, using: &rngB)
        try game.apply(action, to: &s)  // a player's illegal move is an error, not a loss
      }
      let r = aIsFirst ? game.returnOfPlayer0(s) : -game.returnOfPlayer0(s)
      let one = MatchRecord(wins: r > 0 ? 1 : 0, draws: r == 0 ? 1 : 0, losses: r < 0 ? 1 : 0)
      result.record.add(one)
      if aIsFirst { result.asFirst.add(one) } else { result.asSecond.add(one) }
    }
    return result
  }

  /// A round robin: every pair (i < j) of `players` plays `gamesPerPair`
  /// games (`play` with i as A, seeded from (seed, i, j)), then the Elo
  /// ratings are fitted (`EloRatings.fit`, anchored at player 0, with
  /// `priorGames` virtual draws against a 0-rated reference per player).
  /// - Returns: the records `[n × n]` (entry i·n + j: i's games against j,
  ///   from i's side; both triangles filled) and the fit.
  public static func roundRobin<G: TwoPlayerGame>(
    _ game: G, _ players: [any GameStrategy<G>], gamesPerPair: Int, seed: UInt64, priorGames: Double = 1,
    cancellation: CancellationFlag? = nil
  ) throws(SwiftPGError) -> (records: [MatchRecord], fit: EloRatings.Fit) {
    let n = players.count
    try require(n >= 2 && n <= 64, "a round robin needs 2 to 64 players, got \(n)")
    var records = [MatchRecord](repeating: MatchRecord(), count: n * n)
    for i in 0..<n {
      for j in (i + 1)..<n {
        var mixer = SplitMix64(seed: seed ^ UInt64(i * n + j) &* 0x9E37_79B9_7F4A_7C15)
        let r = try play(
          game, players[i], players[j], games: gamesPerPair, seed: mixer.next(), cancellation: cancellation)
        records[i * n + j] = r.record
        records[j * n + i] = r.record.reversed
      }
    }
    // The fit counts (i, j) and (j, i) both: give it one triangle.
    var upper = records
    for i in 0..<n { for j in 0..<i { upper[i * n + j] = MatchRecord() } }
    let fit = try EloRatings.fit(records: upper, players: n, anchor: 0, priorGames: priorGames)
    return (records, fit)
  }
}

extension MatchRecord {
  /// Adds the games of `other`.
  public mutating func add(_ other: MatchRecord) {
    wins += other.wins
    draws += other.draws
    losses += other.losses
  }
}
