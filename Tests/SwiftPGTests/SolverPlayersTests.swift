import Testing

@testable import SwiftPG

/// Games/SolverPlayers.swift: the exact tic-tac-toe solver (value 0, never
/// loses), the Connect-N solver player against exact search on a tiny
/// board and against random play on 4 × 5 Connect-3.
@Suite struct SolverPlayersTests {
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
}
