import Testing

@testable import SwiftPG

/// SelfPlay/SearchSelfPlay.swift: every move of every game recorded with a
/// visit distribution over its legal moves and the outcome for its mover;
/// all games searched in one batch; reproducible by seed.
@Suite struct SearchSelfPlayTests {
  @Test func examplesOfSearchSelfPlay() throws {
    let g = TicTacToe()
    let counting = CountingEvaluator(try PUCTSearchTests.networks())
    let search = try PUCTSearch(g, config: PUCTConfig(simulations: 20, rolloutWeight: 0.5), evaluator: counting)
    let ex = try SearchSelfPlay.collect(search, games: 6, temperatureMoves: 2, seed: 1)
    #expect(counting.batches.prefix(20) == ArraySlice(repeating: 6, count: 20))  // the first ply: all 6 games together
    let m = ex.states.count
    #expect(ex.planes.count == m * 27 && ex.masks.count == m * 9 && ex.policies.count == m * 9)
    #expect(Set(ex.games) == Set(0..<6) && m >= 6 * 5 && m <= 6 * 9)
    for i in 0..<m {
      let row = ex.policies[(9 * i)..<(9 * i + 9)]
      #expect(abs(row.reduce(0, +) - 1) < 1e-12)
      for a in 0..<9 where row[row.startIndex + a] > 0 { #expect(ex.masks[9 * i + a] == 1) }
    }
    // Within a game the movers alternate, so the outcomes alternate in sign
    // (or are all 0 for a draw); the last mover of a won game won.
    for j in 0..<6 {
      let z = zip(ex.games, ex.outcomes).filter { $0.0 == j }.map(\.1)
      for k in 1..<z.count { #expect(z[k] == -z[k - 1]) }
      #expect(z.last == 1 || z.allSatisfy { $0 == 0 })
    }
    let again = try SearchSelfPlay.collect(
      try PUCTSearch(g, config: PUCTConfig(simulations: 20, rolloutWeight: 0.5), evaluator: try PUCTSearchTests.networks()),
      games: 6, temperatureMoves: 2, seed: 1)
    #expect(again.states == ex.states && again.policies == ex.policies && again.outcomes == ex.outcomes)
    #expect(throws: SwiftPGError.self) { try SearchSelfPlay.collect(search, games: 0, temperatureMoves: 2, seed: 1) }
  }
}
