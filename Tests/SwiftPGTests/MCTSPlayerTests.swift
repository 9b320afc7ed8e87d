import Testing

@testable import SwiftPG

/// Games/MCTSPlayer.swift: more simulations beat fewer; an immediate win
/// is found (by every searching player).
@Suite struct MCTSPlayerTests {
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
}
