import Testing

@testable import SwiftPG

/// Games/MinimaxPlayer.swift: depth 4 against random Connect Four, and the
/// open-lines heuristic (a golden value, symmetry, bounds, the depth-1
/// choice).
@Suite struct MinimaxPlayerTests {
  @Test func minimaxDepthFourBeatsRandomAtConnectFour() throws {
    let g = try ConnectN()
    let r = try Arena.play(g, try MinimaxPlayer(g, depth: 4), RandomPlayer(g), games: 40, seed: 9)
    #expect(r.record.score > 0.9)
  }

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
}
