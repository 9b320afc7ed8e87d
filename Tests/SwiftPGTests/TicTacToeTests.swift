import Testing

@testable import SwiftPG

/// Tic-tac-toe: OpenSpiel's text, observation and outcomes on hand-played
/// games (golden values printed by pyspiel 2.0.2), and the contract on
/// random games. (python/tests/test_games.py compares random games with
/// pyspiel move by move.)
@Suite struct TicTacToeTests {
  @Test func openSpielsTextAndObservation() throws {
    let game = TicTacToe()
    let s = try game.play([4, 0, 8])
    #expect(game.render(s) == "o..\n.x.\n..x")
    #expect(game.currentPlayer(s) == 1)
    #expect(game.legalActions(s) == [1, 2, 3, 5, 6, 7])
    // Planes: empty, o (player 1), x (player 0).
    let expected: [Double] = [0, 1, 1, 1, 0, 1, 1, 1, 0] + [1, 0, 0, 0, 0, 0, 0, 0, 0] + [0, 0, 0, 0, 1, 0, 0, 0, 1]
    #expect(game.observation(s) == expected)
  }

  @Test func everyLineWinsAndAFullBoardWithoutOneDraws() throws {
    let game = TicTacToe()
    // x completes each line (cells a, b, c) while o plays elsewhere.
    let lines = [[0, 1, 2], [3, 4, 5], [6, 7, 8], [0, 3, 6], [1, 4, 7], [2, 5, 8], [0, 4, 8], [2, 4, 6]]
    for line in lines {
      let others = (0..<9).filter { !line.contains($0) }
      // o's two moves must not make a line of their own: any two free cells do not.
      let s = try game.play([line[0], others[0], line[1], others[1], line[2]])
      #expect(game.isTerminal(s) && game.returnOfPlayer0(s) == 1, "line \(line)")
    }
    let oWins = try game.play([0, 3, 1, 4, 8, 5])
    #expect(game.returns(oWins) == [-1, 1])
    let draw = try game.play([0, 1, 2, 4, 3, 5, 7, 6, 8])
    #expect(game.isTerminal(draw) && game.returnOfPlayer0(draw) == 0)
  }

  @Test func randomGamesKeepTheContract() throws {
    let outcomes = try checkGameContract(TicTacToe(), games: 200)
    #expect(Set(outcomes) == [-1, 0, 1])
  }
}
