import Testing

@testable import SwiftPG

/// Games/Ladder.swift: the budgets, the rungs and their matches.
@Suite struct LadderTests {
  @Test func budgetsFollowOpenSpiel() {
    #expect(Ladder.mctsBudgets(base: 10, count: 5) == [10, 32, 100, 316, 1000])
    #expect(Ladder.mctsBudgets(base: 3, count: 0).isEmpty)
  }

  @Test func rungsInOrderAndTheSolverDraws() throws {
    let g = TicTacToe()
    var c = Ladder.Config()
    c.gamesPerRung = 4
    c.mctsRungs = 2
    c.minimaxDepths = [1, 9]
    c.seed = 3
    let kinds = try Ladder.opponents(g, c)
    #expect(kinds == [.random, .mcts(simulations: 10, c: 2), .mcts(simulations: 32, c: 2), .minimax(depth: 1),
                      .minimax(depth: 9), .solver])
    let rungs = try Ladder.play(g, player: ExactSolverPlayer(g), config: c)
    #expect(rungs.count == kinds.count)
    #expect(rungs.allSatisfy { $0.result.record.losses == 0 && $0.result.record.games == 4 })
    #expect(rungs[4].result.record.draws == 4 && rungs[5].result.record.draws == 4)  // perfect vs perfect
    let again = try Ladder.play(g, player: ExactSolverPlayer(g), config: c)
    #expect(zip(rungs, again).allSatisfy { $0.result == $1.result })
  }

  @Test func badConfigsAreRefused() {
    let g = TicTacToe()
    for change in [
      { (c: inout Ladder.Config) in c.gamesPerRung = 0 }, { $0.mctsBase = 0 }, { $0.mctsRungs = 17 },
      { $0.mctsC = .nan }, { $0.minimaxDepths = [0] }, { $0.minimaxDepths = [65] },
    ] {
      var c = Ladder.Config()
      change(&c)
      #expect(throws: SwiftPGError.self) { try Ladder.opponents(g, c) }
    }
  }
}
