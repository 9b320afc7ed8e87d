import Testing

@testable import SwiftPG

/// Connect-N: parameters, lines in every direction (and none across the
/// edge of a column), OpenSpiel's text and observation (golden values
/// printed by pyspiel 2.0.2), gravity in decoded boards, the contract on
/// random games of several sizes.
@Suite struct ConnectNTests {
  @Test func parametersAreValidated() throws {
    for (r, c, k) in [(0, 7, 4), (6, 0, 4), (9, 7, 4), (6, 7, 0), (6, 7, 8), (4, 5, 6)] {
      #expect(throws: SwiftPGError.self) { try ConnectN(rows: r, columns: c, xInRow: k) }
    }
    let g = try ConnectN(rows: 7, columns: 8, xInRow: 8)  // (7 + 1) · 8 = 64 bits
    #expect(g.actionCount == 8 && g.maxGameLength == 56 && g.observationShape == [3, 7, 8])
  }

  @Test func openSpielsTextAndObservation() throws {
    let game = try ConnectN()
    let s = try game.play([3, 3, 4])
    #expect(game.render(s) == ".......\n.......\n.......\n.......\n...o...\n...xx..\n")
    let obs = game.observation(s)
    // Row 0 is the bottom row: x at (0, 3), (0, 4); o at (1, 3).
    #expect(obs[3] == 1 && obs[4] == 1 && obs[0..<42].reduce(0, +) == 2)
    #expect(obs[42 + 7 + 3] == 1 && obs[42..<84].reduce(0, +) == 1)
    #expect(obs[84..<126].reduce(0, +) == 39)
  }

  @Test func linesInEveryDirectionWin() throws {
    let game = try ConnectN()
    let wins: [[Int]] = [
      [0, 6, 1, 6, 2, 6, 3],  // horizontal
      [0, 1, 0, 1, 0, 1, 0],  // vertical
      [0, 1, 1, 2, 2, 3, 2, 3, 3, 6, 3],  // up-right diagonal
      [6, 5, 5, 4, 4, 3, 4, 3, 3, 0, 3],  // up-left diagonal
    ]
    for moves in wins {
      let s = try game.play(moves)
      #expect(game.isTerminal(s) && game.returnOfPlayer0(s) == 1, "\(moves)")
      // One move earlier the game was still on.
      #expect(!game.isTerminal(try game.play(Array(moves.dropLast()))))
    }
  }

  /// Four stones from the top of one column to the bottom of the next are
  /// not a line (the guard row stops the shift).
  @Test func noLineWrapsAcrossColumns() throws {
    let game = try ConnectN(rows: 2, columns: 4, xInRow: 3)
    // x at the top of column 0 and the bottom and top of column 1: without
    // the guard row these would be three consecutive bits.
    let s = try game.play([3, 0, 0, 2, 1, 3, 1])
    #expect(game.owner(ofCell: 4, in: s) == 0 && game.owner(ofCell: 1, in: s) == 0)
    #expect(game.owner(ofCell: 5, in: s) == 0)
    #expect(!game.isTerminal(s))
  }

  @Test func aFullBoardWithoutALineIsADraw() throws {
    let game = try ConnectN(rows: 1, columns: 3, xInRow: 2)
    let s = try game.play([0, 1, 2])
    #expect(game.isTerminal(s) && game.returns(s) == [0, 0] && game.render(s) == "xox\n")
    var full = try game.play([0])
    #expect(throws: SwiftPGError.self) { try game.apply(0, to: &full) }
  }

  @Test func decodedBoardsKeepGravity() throws {
    let game = try ConnectN(rows: 4, columns: 5, xInRow: 3)
    var words = [Int32](repeating: 0, count: 20)
    words[5] = 1  // row 1 of column 0 above an empty cell
    #expect(throws: SwiftPGError.self) { try game.decoded(words) }
    words[0] = 1
    words[5] = 2
    #expect(try game.decoded(words) == (try game.play([0, 0])))
  }

  @Test(arguments: [(6, 7, 4), (4, 5, 3), (4, 4, 3), (5, 4, 4), (1, 3, 2)])
  func randomGamesKeepTheContract(_ size: (Int, Int, Int)) throws {
    let game = try ConnectN(rows: size.0, columns: size.1, xInRow: size.2)
    let outcomes = try checkGameContract(game, games: 100)
    #expect(outcomes.count == 100)
  }
}
