import Testing

@testable import SwiftPG

/// Games/Arena.swift and Games/Players.swift: random against random
/// tic-tac-toe against exact enumeration (tolerance four standard errors),
/// determinism given the seed, round robins and Elo, and bad input for
/// every player.
@Suite struct ArenaTests {
  /// P(player 0 wins), P(draw) of uniformly random tic-tac-toe by exact
  /// enumeration (each legal move equally likely).
  static func randomTicTacToe(_ s: TicTacToe.State = TicTacToe.State()) -> (win0: Double, draw: Double) {
    let g = TicTacToe()
    if g.isTerminal(s) {
      let r = g.returnOfPlayer0(s)
      return (r > 0 ? 1 : 0, r == 0 ? 1 : 0)
    }
    let moves = g.legalActions(s)
    var total = (win0: 0.0, draw: 0.0)
    for a in moves {
      var child = s
      g.applyLegal(a, to: &child)
      let p = randomTicTacToe(child)
      total.win0 += p.win0 / Double(moves.count)
      total.draw += p.draw / Double(moves.count)
    }
    return total
  }

  /// |observed − p| within four standard errors of a proportion over n games.
  static func near(_ count: Int, _ n: Int, _ p: Double) -> Bool {
    abs(Double(count) / Double(n) - p) <= 4 * (p * (1 - p) / Double(n)).squareRoot()
  }

  @Test func randomAgainstRandomMatchesTheEnumeration() throws {
    let exact = Self.randomTicTacToe()
    // The known values (e.g. OpenSpiel's random-play statistics): 0.585 and 0.127.
    #expect(abs(exact.win0 - 0.5849) < 1e-3 && abs(exact.draw - 0.1270) < 1e-3)
    let g = TicTacToe()
    let r = try Arena.play(g, RandomPlayer(g), RandomPlayer(g), games: 4000, seed: 7)
    #expect(r.asFirst.games == 2000 && r.asSecond.games == 2000 && r.record.games == 4000)
    #expect(Self.near(r.asFirst.wins, 2000, exact.win0) && Self.near(r.asFirst.draws, 2000, exact.draw))
    #expect(Self.near(r.asSecond.losses, 2000, exact.win0) && Self.near(r.asSecond.draws, 2000, exact.draw))
  }

  @Test func matchesAreDeterministicGivenTheSeed() throws {
    let g = TicTacToe()
    let a = try MCTSPlayer(g, simulations: 20)
    let b = RandomPlayer(g)
    let first = try Arena.play(g, a, b, games: 40, seed: 3)
    #expect(try Arena.play(g, a, b, games: 40, seed: 3) == first)
    let other = try Arena.play(g, RandomPlayer(g), RandomPlayer(g), games: 40, seed: 4)
    #expect(try Arena.play(g, RandomPlayer(g), RandomPlayer(g), games: 40, seed: 5) != other)
  }

  @Test func roundRobinOrdersThePlayers() throws {
    let g = TicTacToe()
    let players: [any GameStrategy<TicTacToe>] = [RandomPlayer(g), try MCTSPlayer(g, simulations: 50), ExactSolverPlayer(g)]
    let (records, fit) = try Arena.roundRobin(g, players, gamesPerPair: 60, seed: 1)
    #expect(records[0 * 3 + 2].wins == 0 && records[2 * 3 + 0].losses == 0)
    #expect(records[0 * 3 + 1] == records[1 * 3 + 0].reversed)
    #expect(fit.ratings[0] == 0 && fit.ratings[1] > 0 && fit.ratings[2] > fit.ratings[1])
    #expect(fit.standardErrors[0] == 0 && fit.standardErrors[1] > 0)
  }

  /// The open-lines heuristic: 69 windows on 6×7 with 4 in a row, a centre
  /// stone is worth more than an edge stone, mirror images score the same,
  /// colours swapped negate, values stay inside (−1, 1).

  @Test func badInputIsRefused() throws {
    let g = TicTacToe()
    #expect(throws: SwiftPGError.self) { try Arena.play(g, RandomPlayer(g), RandomPlayer(g), games: 0, seed: 0) }
    #expect(throws: SwiftPGError.self) { try MinimaxPlayer(g, depth: 0) }
    #expect(throws: SwiftPGError.self) { try MCTSPlayer(g, simulations: 0) }
    #expect(throws: SwiftPGError.self) { try MCTSPlayer(g, simulations: 10, c: .nan) }
    #expect(throws: SwiftPGError.self) { try ConnectSolverPlayer(try ConnectN(rows: 3, columns: 3, xInRow: 1)) }
    var finished = g.initialState()
    for a in [0, 3, 1, 4, 2] { try g.apply(a, to: &finished) }
    var rng = SplitMix64(seed: 0)
    for p in [RandomPlayer(g), try MinimaxPlayer(g, depth: 2), try MCTSPlayer(g, simulations: 5), ExactSolverPlayer(g)]
      as [any GameStrategy<TicTacToe>]
    {
      #expect(throws: SwiftPGError.self) { try p.action(for: finished, using: &rng) }
    }
    let cancelled = try MCTSPlayer(g, simulations: 10_000)
    cancelled.cancellation.request()
    #expect(throws: SwiftPGError.self) { try cancelled.action(for: g.initialState(), using: &rng) }
    let flag = CancellationFlag()
    flag.request()
    #expect(throws: SwiftPGError.self) {
      try Arena.play(g, RandomPlayer(g), RandomPlayer(g), games: 3, seed: 0, cancellation: flag)
    }
  }
}
