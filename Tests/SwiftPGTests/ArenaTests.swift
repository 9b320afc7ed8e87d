import Testing

@testable import SwiftPG

/// Games/Arena.swift with the players of Players.swift, MinimaxPlayer.swift,
/// MCTSPlayer.swift and SolverPlayers.swift: statistical checks with fixed
/// seeds and tolerances of four standard errors, exact values where the
/// game can be enumerated, determinism, round robins and bad input.
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

  @Test func ticTacToeSolversNeverLose() throws {
    let g = TicTacToe()
    let solver = ExactSolverPlayer(g)
    #expect(try solver.value(g.initialState()) == 0)  // tic-tac-toe is a draw
    let minimax = try MinimaxPlayer(g, depth: 9)
    for perfect in [solver, minimax] as [any GameStrategy<TicTacToe>] {
      let r = try Arena.play(g, perfect, RandomPlayer(g), games: 200, seed: 11)
      #expect(r.record.losses == 0)
      #expect(r.record.wins > 150)
    }
    let selfPlay = try Arena.play(g, solver, minimax, games: 20, seed: 1)
    #expect(selfPlay.record.draws == 20)
  }

  @Test func connectSolverMatchesExactSearchOnATinyBoard() throws {
    // 3 × 4 with 3 in a row: at most 12 moves, so the exact negamax over the
    // whole game is an independent check of the bitboard solver's signs.
    let g = try ConnectN(rows: 3, columns: 4, xInRow: 3)
    let exact = ExactSolverPlayer(g)
    let solver = try ConnectSolverPlayer(g)
    var rng = SplitMix64(seed: 5)
    for _ in 0..<60 {
      var s = g.initialState()
      for _ in 0..<Int.random(in: 0..<8, using: &rng) where !g.isTerminal(s) {
        g.applyLegal(g.randomLegalAction(in: s, using: &rng), to: &s)
      }
      guard !g.isTerminal(s) else { continue }
      let v = try exact.value(s)
      let p = try solver.score(s)
      #expect(v.signum() == p.signum())
      // A win with m stones on the board at its end: Pons' (cells + 1 − m)/2 ...
      if v > 0 { #expect(p == (g.cellCount + 1 - (g.maxGameLength + 1 - v - 1)) / 2) }
    }
  }

  @Test func connectSolverNeverLosesToRandom() throws {
    let g = try ConnectN(rows: 4, columns: 5, xInRow: 3)
    // The first player wins 4 × 5 Connect-3 (the empty board scores +6):
    // the solver never loses as first player; as second a random opponent
    // may stumble on the win, rarely.
    let solver = try ConnectSolverPlayer(g)
    #expect(try solver.score(g.initialState()) == 6)
    let r = try Arena.play(g, solver, RandomPlayer(g), games: 40, seed: 2)
    #expect(r.asFirst.wins == 20 && r.record.wins >= 36)
    let selfPlay = try Arena.play(g, solver, solver, games: 4, seed: 2)
    #expect(selfPlay.asFirst.wins == 2 && selfPlay.asSecond.losses == 2)
  }

  @Test func minimaxDepthFourBeatsRandomAtConnectFour() throws {
    let g = try ConnectN()
    let r = try Arena.play(g, try MinimaxPlayer(g, depth: 4), RandomPlayer(g), games: 40, seed: 9)
    #expect(r.record.score > 0.9)
  }

  @Test func moreSimulationsBeatFewer() throws {
    let g = try ConnectN(rows: 4, columns: 5, xInRow: 3)
    let r = try Arena.play(g, try MCTSPlayer(g, simulations: 300), try MCTSPlayer(g, simulations: 10), games: 40, seed: 4)
    // Far above a coin flip: the score's 95 % interval lies above 0.6.
    #expect(r.record.scoreInterval().low > 0.6)
  }

  @Test func mctsFindsAnImmediateWin() throws {
    let g = TicTacToe()
    var s = g.initialState()
    for a in [0, 3, 1, 4] { try g.apply(a, to: &s) }  // x to move wins at 2; o threatens 5
    var rng = SplitMix64(seed: 1)
    #expect(try MCTSPlayer(g, simulations: 200).action(for: s, using: &rng) == 2)
    #expect(try MinimaxPlayer(g, depth: 1).action(for: s, using: &rng) == 2)
    #expect(try ExactSolverPlayer(g).action(for: s, using: &rng) == 2)
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
  @Test func heuristicsRateOpenLines() throws {
    let c = try ConnectN()
    #expect(c.windows.count == 69)
    let h = c.positionHeuristic()
    func value(_ moves: [Int]) throws -> Double {
      var s = c.initialState()
      for m in moves { try c.apply(m, to: &s) }
      return h(s)
    }
    let (centre4, edge, mirrored) = (try value([3]), try value([0]), try value([6]))
    #expect(centre4 > edge && edge > 0 && edge == mirrored)
    let (pair, mirroredPair) = (try value([1, 2]), try value([5, 4]))
    #expect(pair == mirroredPair)
    let (xCentre, oCentre) = (try value([3, 0]), try value([0, 3]))
    #expect(xCentre > 0 && oCentre < 0)
    #expect(h(c.initialState()) == 0)
    // x at (0, 3) and (1, 3), o at (0, 0): Σ over open windows of ±n² is 16
    // (enumerated on a plain grid), squashed 16 / (16 + 4 · 4²) = 0.2.
    #expect(abs(try value([3, 0, 3]) - 0.2) < 1e-12)
    // At depth 1 the heuristic alone decides: x opens in the centre.
    var empty = SplitMix64(seed: 0)
    #expect(try MinimaxPlayer(c, depth: 1).action(for: c.initialState(), using: &empty) == 3)
    var rng = SplitMix64(seed: 3)
    for _ in 0..<50 {
      var s = c.initialState()
      for _ in 0..<Int.random(in: 0..<30, using: &rng) where !c.isTerminal(s) {
        c.applyLegal(c.randomLegalAction(in: s, using: &rng), to: &s)
      }
      #expect(abs(h(s)) < 1)
    }
    let t = TicTacToe()
    var centre = t.initialState()
    try t.apply(4, to: &centre)
    var corner = t.initialState()
    try t.apply(0, to: &corner)
    let ht = t.positionHeuristic()
    #expect(ht(centre) > ht(corner) && ht(corner) > 0)
    try t.apply(4, to: &corner)  // o in the centre answers x's corner: o stands better
    #expect(ht(corner) < 0)
  }

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
