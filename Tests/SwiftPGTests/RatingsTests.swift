import Testing

@testable import SwiftPG

/// Games/Ratings.swift: Wilson intervals against published values, the
/// Bradley–Terry/Elo fit against its closed form for two players, recovery
/// of known ratings, standard errors against the delta method, the prior,
/// and bad input.
@Suite struct RatingsTests {
  static let scale = 400 / _log(10.0)

  @Test func wilsonIntervals() {
    // 0 of 10 and 5 of 10 at 95 %: (0, 0.2775) and (0.2366, 0.7634) (Wilson 1927; Agresti & Coull 1998).
    let none = MatchRecord(losses: 10).scoreInterval()
    #expect(none.low == 0 && abs(none.high - 0.27753) < 1e-5)
    let half = MatchRecord(wins: 5, losses: 5).scoreInterval()
    #expect(abs(half.low - 0.23659) < 1e-5 && abs(half.high - 0.76341) < 1e-5)
    // A draw is half a win: 10 draws score as 5 wins of 10.
    #expect(MatchRecord(draws: 10).scoreInterval() == half)
    #expect(MatchRecord().scoreInterval() == (0, 1) && MatchRecord().score == 0)
    #expect(MatchRecord(wins: 3, draws: 2, losses: 1).reversed == MatchRecord(wins: 1, draws: 2, losses: 3))
  }

  static func records(_ n: Int, _ entries: [(Int, Int, MatchRecord)]) -> [MatchRecord] {
    var r = [MatchRecord](repeating: MatchRecord(), count: n * n)
    for (i, j, m) in entries { r[i * n + j] = m }
    return r
  }

  /// Two players, 300 wins in 400 games: R = 400 log10(3) with standard
  /// error (400/ln 10)/√(n p (1 − p)); draws count as half wins, and the
  /// record may be given from either side.
  @Test func twoPlayersMatchTheClosedForm() throws {
    let fit = try EloRatings.fit(records: Self.records(2, [(1, 0, MatchRecord(wins: 300, losses: 100))]), players: 2)
    #expect(abs(fit.ratings[1] - 400 * _log(3.0) / _log(10.0)) < 1e-9 && fit.ratings[0] == 0)
    #expect(abs(fit.standardErrors[1] - Self.scale / (400 * 0.75 * 0.25).squareRoot()) < 1e-9)
    let draws = try EloRatings.fit(records: Self.records(2, [(0, 1, MatchRecord(draws: 200, losses: 200))]), players: 2)
    #expect(abs(draws.ratings[1] - fit.ratings[1]) < 1e-9)
    let anchored = try EloRatings.fit(
      records: Self.records(2, [(1, 0, MatchRecord(wins: 300, losses: 100))]), players: 2, anchor: 1)
    #expect(abs(anchored.ratings[0] + fit.ratings[1]) < 1e-9 && anchored.ratings[1] == 0)
  }

  /// Records drawn from known ratings (0, 120, −80, 300; 4000 seeded games
  /// a pair) are fitted back within 4 standard errors; at the fit the
  /// log-likelihood's gradient vanishes.
  @Test func knownRatingsAreRecovered() throws {
    let truth: [Double] = [0, 120, -80, 300]
    let n = truth.count
    var rng = PCG64(seed: 17)
    var entries: [(Int, Int, MatchRecord)] = []
    for i in 0..<n {
      for j in (i + 1)..<n {
        let p = 1 / (1 + _exp((truth[j] - truth[i]) / Self.scale))
        var m = MatchRecord()
        for _ in 0..<4000 { if rng.nextUnitDouble() < p { m.wins += 1 } else { m.losses += 1 } }
        entries.append((i, j, m))
      }
    }
    let fit = try EloRatings.fit(records: Self.records(n, entries), players: n)
    for i in 1..<n {
      #expect(abs(fit.ratings[i] - truth[i]) < 4 * fit.standardErrors[i], "player \(i): \(fit.ratings[i])")
      #expect(fit.standardErrors[i] > 3 && fit.standardErrors[i] < 12)
    }
    // The fitted ratings satisfy the likelihood equations: expected score = observed score.
    for i in 0..<n {
      var observed = 0.0, expected = 0.0
      for (a, b, m) in entries where a == i || b == i {
        let mine = a == i ? m : m.reversed
        let other = a == i ? b : a
        observed += Double(mine.wins) + 0.5 * Double(mine.draws)
        expected += Double(mine.games) / (1 + _exp((fit.ratings[other] - fit.ratings[i]) / Self.scale))
      }
      #expect(abs(observed - expected) < 1e-6, "player \(i)")
    }
  }

  @Test func perfectRecordsNeedThePrior() throws {
    let sweep = Self.records(2, [(1, 0, MatchRecord(wins: 10))])
    let e = #expect(throws: SwiftPGError.self) { try EloRatings.fit(records: sweep, players: 2) }
    #expect(e?.code == .numerical)
    let fit = try EloRatings.fit(records: sweep, players: 2, priorGames: 1)
    #expect(fit.ratings[1] > 200 && fit.ratings[1].isFinite)
  }

  @Test func badInputIsRefused() {
    let one = MatchRecord(wins: 1, losses: 1)
    #expect(throws: SwiftPGError.self) { try EloRatings.fit(records: [], players: 0) }
    #expect(throws: SwiftPGError.self) { try EloRatings.fit(records: [one], players: 2) }
    #expect(throws: SwiftPGError.self) { try EloRatings.fit(records: Self.records(2, [(0, 0, one)]), players: 2) }
    #expect(throws: SwiftPGError.self) {
      try EloRatings.fit(records: Self.records(2, [(0, 1, MatchRecord(wins: -1, losses: 3))]), players: 2)
    }
    #expect(throws: SwiftPGError.self) {  // player 2 played nobody: not identified
      try EloRatings.fit(records: Self.records(3, [(0, 1, one)]), players: 3)
    }
    #expect(throws: SwiftPGError.self) { try EloRatings.fit(records: Self.records(2, [(0, 1, one)]), players: 2, anchor: 2) }
    #expect(throws: SwiftPGError.self) {
      try EloRatings.fit(records: Self.records(2, [(0, 1, one)]), players: 2, priorGames: .nan)
    }
  }
}
