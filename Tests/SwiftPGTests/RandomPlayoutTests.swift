import Testing

@testable import SwiftPG

/// Random playouts: reproducible per (seed, game, playout), and with the
/// statistics of uniformly random tic-tac-toe.
@Suite struct RandomPlayoutTests {
  @Test func generatorsDependOnSeedGameAndPlayout() {
    var a = playoutGenerator(seed: 1, game: 0, playout: 0)
    var b = playoutGenerator(seed: 1, game: 0, playout: 0)
    #expect(a.next() == b.next())
    let firsts = Set([(1, 0, 0), (2, 0, 0), (1, 1, 0), (1, 0, 1)].map { s, g, p in
      var r = playoutGenerator(seed: UInt64(s), game: g, playout: p)
      return r.next()
    })
    #expect(firsts.count == 4)
  }

  /// From the empty board, uniformly random play: x wins 737/1260 ≈ 0.585,
  /// o ≈ 0.288, draws ≈ 0.127; 20,000 playouts, within 5 standard errors
  /// (≤ 0.0035 each). Lengths are 5 to 9 moves.
  @Test func ticTacToeOutcomeFrequencies() {
    let game = TicTacToe()
    var counts: [Double: Int] = [:]
    for j in 0..<20_000 {
      var rng = playoutGenerator(seed: 7, game: 0, playout: j)
      let (outcome, moves) = randomPlayout(game, from: game.initialState(), using: &rng)
      #expect(moves >= 5 && moves <= 9)
      counts[outcome, default: 0] += 1
    }
    for (value, p) in [(1.0, 0.585), (-1.0, 0.288), (0.0, 0.127)] {
      #expect(abs(Double(counts[value] ?? 0) / 20_000 - p) < 0.0175)
    }
  }

  @Test func aFinishedGameIsItsOwnOutcome() throws {
    let game = try ConnectN(rows: 1, columns: 3, xInRow: 2)
    var rng = SplitMix64(seed: 0)
    let (outcome, moves) = randomPlayout(game, from: try game.play([0, 1, 2]), using: &rng)
    #expect(outcome == 0 && moves == 0)
  }
}
