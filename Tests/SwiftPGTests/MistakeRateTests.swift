import Testing

@testable import SwiftPG

/// The perfect tic-tac-toe solver, except after x's corner opening 0 where
/// it answers with the edge 1 (a loss: x takes the centre and forks).
private final class CornerBlunder: GameStrategy {
  let game = TicTacToe()
  let solver = ExactSolverPlayer(TicTacToe())
  let cancellation = CancellationFlag()
  var label: String { "solver with one blunder" }

  func action(for s: TicTacToe.State, using rng: inout SplitMix64) throws(SwiftPGError) -> Int {
    if s.stones0 == 1 && s.stones1 == 0 { return 1 }
    return try solver.action(for: s, using: &rng)
  }
}

/// A strategy that forwards to another without its batched path.
private final class Unbatched<G: TwoPlayerGame>: GameStrategy {
  let inner: any GameStrategy<G>
  init(_ inner: any GameStrategy<G>) { self.inner = inner }
  var game: G { inner.game }
  var label: String { inner.label }
  var cancellation: CancellationFlag { inner.cancellation }
  func action(for s: G.State, using rng: inout SplitMix64) throws(SwiftPGError) -> Int {
    try inner.action(for: s, using: &rng)
  }
}

/// Games/MistakeRate.swift: the exact move values, the enumeration of all
/// reachable positions and the counting of mistakes.
@Suite struct MistakeRateTests {
  @Test func theOracleKnowsTheCornerOpening() throws {
    let g = TicTacToe()
    let oracle = try MoveOracle(g)
    var s = g.initialState()
    #expect(try oracle.moveOutcomes(s).compactMap { $0 } == Array(repeating: 0, count: 9))
    try g.apply(0, to: &s)
    let o = try oracle.moveOutcomes(s)
    #expect(o[0] == nil && o[4] == 0)  // only the centre holds the draw
    #expect([1, 2, 3, 5, 6, 7, 8].allSatisfy { o[$0] == -1 })
    #expect(try oracle.outcome(s) == 0)
  }

  @Test func theSolverMakesNoMistake() throws {
    let g = TicTacToe()
    let r = try MistakeRate.measure(g, player: ExactSolverPlayer(g), oracle: try MoveOracle(g), seed: 3)
    #expect(r.mistakes == 0 && r.rate == 0)
    #expect(r.positionsBySide[0] > 0 && r.positionsBySide[1] > 0)
    #expect(r.positions == r.positionsBySide[0] + r.positionsBySide[1])
    #expect(r.positionsByPly.reduce(0, +) == r.positions)
    // As second player every one of x's 9 openings is met once at ply 1.
    #expect(r.positionsByPly[1] == 9 && r.positionsByPly[0] == 1)
    let connect = try ConnectN(rows: 3, columns: 4, xInRow: 3)
    let c = try MistakeRate.measure(
      connect, player: try ConnectSolverPlayer(connect), oracle: try MoveOracle(connect), seed: 1)
    #expect(c.mistakes == 0 && c.positions > 0)
  }

  @Test func oneBlunderCountsOnce() throws {
    let g = TicTacToe()
    let oracle = try MoveOracle(g)
    let perfect = try MistakeRate.measure(g, player: ExactSolverPlayer(g), oracle: oracle, sides: [0], seed: 5)
    let r = try MistakeRate.measure(g, player: CornerBlunder(), oracle: oracle, sides: [0, 1], seed: 5)
    #expect(r.mistakes == 1)
    #expect(r.mistakesBySide == [0, 1] && r.mistakesByPly[1] == 1)
    #expect(r.lostDraws == 1 && r.lostWins == 0)
    #expect(r.rate == 1 / Double(r.positions))
    // The first seat's positions do not depend on the second seat's play.
    #expect(r.positionsBySide[0] == perfect.positions)
    let second = try MistakeRate.measure(g, player: CornerBlunder(), oracle: oracle, sides: [1], seed: 5)
    #expect(second.positionsBySide == [0, r.positionsBySide[1]] && second.mistakes == 1)
  }

  @Test func theBatchedPathMatchesMoveByMove() throws {
    let g = TicTacToe()
    var rng = SplitMix64(seed: 9)
    let net = try BoardPolicyNetwork.mlp(for: g, hidden: [8], using: &rng)
    let player = try PUCTPlayer(g, config: PUCTConfig(simulations: 3), evaluator: NetworkEvaluator(policy: net, value: nil))
    let oracle = try MoveOracle(g)
    let batched = try MistakeRate.measure(g, player: player, oracle: oracle, seed: 2, chunk: 64)
    let single = try MistakeRate.measure(g, player: Unbatched(player), oracle: oracle, seed: 2)
    #expect(batched == single)
    #expect(batched.mistakes > 0)  // an untrained network blunders
    #expect(try MistakeRate.measure(g, player: player, oracle: oracle, seed: 2) == batched)
  }

  @Test func badInputsAreRefused() throws {
    let g = TicTacToe()
    let oracle = try MoveOracle(g)
    let p = RandomPlayer(g)
    #expect(throws: SwiftPGError.self) { try MistakeRate.measure(g, player: p, oracle: oracle, sides: [], seed: 0) }
    #expect(throws: SwiftPGError.self) { try MistakeRate.measure(g, player: p, oracle: oracle, sides: [2], seed: 0) }
    #expect(throws: SwiftPGError.self) { try MistakeRate.measure(g, player: p, oracle: oracle, seed: 0, chunk: 0) }
    var s = g.initialState()
    for a in [0, 3, 1, 4, 2] { try g.apply(a, to: &s) }
    #expect(throws: SwiftPGError.self) { try oracle.moveOutcomes(s) }  // finished
    #expect(try oracle.outcome(s) == -1)  // x won: o, who would move next, lost
    let flag = CancellationFlag()
    flag.request()
    #expect(throws: SwiftPGError.self) {
      try MistakeRate.measure(g, player: p, oracle: oracle, seed: 0, cancellation: flag)
    }
  }
}
