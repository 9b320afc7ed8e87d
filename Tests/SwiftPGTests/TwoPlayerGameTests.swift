import Testing

@testable import SwiftPG

/// Helpers of the games' tests (shared by TicTacToeTests, ConnectNTests,
/// GameBatchTests): states reached by move lists, and the pointer-based
/// calls of the games with arrays.
extension TwoPlayerGame {
  /// The state after `moves` from the start (each must be legal).
  func play(_ moves: [Int]) throws -> State {
    var s = initialState()
    for m in moves { try apply(m, to: &s) }
    return s
  }

  func observation(_ s: State) -> [Double] {
    var out = [Double](repeating: -1, count: observationShape.reduce(1, *))
    out.withUnsafeMutableBufferPointer { writeObservation(s, into: $0.baseAddress!) }
    return out
  }

  func planes(_ s: State) -> [Double] {
    var out = [Double](repeating: -1, count: planeCount * cellCount)
    out.withUnsafeMutableBufferPointer { writePlanes(s, into: $0.baseAddress!) }
    return out
  }

  func encoded(_ s: State) -> [Int32] {
    var out = [Int32](repeating: -1, count: stateSize)
    out.withUnsafeMutableBufferPointer { encode(s, into: $0.baseAddress!) }
    return out
  }

  func decoded(_ words: [Int32]) throws(SwiftPGError) -> State {
    try words.withUnsafeBufferPointer { (p) throws(SwiftPGError) in try decode(p.baseAddress!) }
  }

  /// A random game's states from the start to the end.
  func randomGame(seed: UInt64) -> [State] {
    var rng = SplitMix64(seed: seed)
    var s = initialState()
    var states = [s]
    while !isTerminal(s) {
      applyLegal(randomLegalAction(in: s, using: &rng), to: &s)
      states.append(s)
    }
    return states
  }
}

/// The contract of `TwoPlayerGame`, checked on random games of `game`:
/// terminal ⇔ current player −4 ⇔ no legal action, returns 0 before the
/// end, random actions are legal, encode/decode round-trips, and the
/// observation is one-hot over its planes.
func checkGameContract<G: TwoPlayerGame>(_ game: G, games: Int = 50) throws -> [Double] {
  var outcomes: [Double] = []
  for seed in 0..<UInt64(games) {
    for s in game.randomGame(seed: seed) {
      let terminal = game.isTerminal(s)
      guard terminal == (game.currentPlayer(s) == GamePlayer.terminal) else { throw GameContractError.player }
      guard terminal == game.legalActions(s).isEmpty else { throw GameContractError.legal }
      guard terminal || game.returnOfPlayer0(s) == 0 else { throw GameContractError.returns }
      guard try game.decoded(game.encoded(s)) == s else { throw GameContractError.encoding }
      let obs = game.observation(s)
      let n = game.cellCount
      for c in 0..<n where obs[c] + obs[n + c] + obs[2 * n + c] != 1 { throw GameContractError.observation }
      if terminal { outcomes.append(game.returnOfPlayer0(s)) }
    }
  }
  return outcomes
}

enum GameContractError: Error { case player, legal, returns, encoding, observation }

/// The protocol's shared behaviour: `apply`'s refusals, the planes, the
/// symmetry transforms and the checks of decoded boards.
@Suite struct TwoPlayerGameTests {
  @Test func applyRefusesOutOfRangeIllegalAndFinishedMovesAndChangesNothing() throws {
    let game = TicTacToe()
    var s = try game.play([4])
    let before = s
    for (action, code) in [(9, StatusCode.outOfRange), (-1, .outOfRange), (4, .invalidArgument)] {
      #expect(throws: SwiftPGError.self) { try game.apply(action, to: &s) }
      do { try game.apply(action, to: &s) } catch { #expect(error.code == code) }
      #expect(s == before)
    }
    var over = try game.play([0, 3, 1, 4, 2])
    #expect(game.isTerminal(over))
    #expect(throws: SwiftPGError.self) { try game.apply(5, to: &over) }
  }

  @Test func returnsAreOpenSpielsWithPositiveZeroForADraw() throws {
    let game = TicTacToe()
    let win = try game.play([0, 3, 1, 4, 2])
    #expect(game.returns(win) == [1, -1])
    let draw = try game.play([0, 1, 2, 4, 3, 5, 7, 6, 8])
    #expect(game.isTerminal(draw) && game.returns(draw) == [0, 0])
    #expect(game.returns(draw)[1].sign == .plus)
  }

  /// Planes [own, opponent, to-play]: after x in the centre, o moves, so
  /// x's stone is the opponent's and the to-play plane is all zeros.
  @Test func planesTakeThePlayerToMovesPerspective() throws {
    let game = TicTacToe()
    let p = game.planes(try game.play([4]))
    #expect(p[0..<9].allSatisfy { $0 == 0 })
    #expect(p[9 + 4] == 1 && p[9..<18].reduce(0, +) == 1)
    #expect(p[18..<27].allSatisfy { $0 == 0 })
    let q = game.planes(try game.play([4, 0]))
    #expect(q[4] == 1 && q[9] == 1 && q[18..<27].allSatisfy { $0 == 1 })
    // A finished game takes the perspective of who would move next: o.
    let over = game.planes(try game.play([0, 3, 1, 4, 2]))
    #expect(over[18..<27].allSatisfy { $0 == 0 } && over[9 + 0] == 1)
  }

  @Test func transformsMoveValuesAlongTheMaps() {
    let game = TicTacToe()
    let planes = (0..<27).map(Double.init)
    // Symmetry 1: a quarter turn counter-clockwise; the top-left corner goes
    // to the bottom-left.
    let turned = game.transformPlanes(planes, symmetry: 1)
    #expect(turned[6] == 0 && turned[9 + 6] == 9 && turned[2] == 8)
    let policy = (0..<9).map(Double.init)
    #expect(game.transformPolicy(policy, symmetry: 1) == Array(turned[0..<9]))
    #expect(game.transformPolicy(policy, symmetry: 0) == policy)
  }

  @Test func decodedBoardsAreRefusedWhenNoGameReachesThem() {
    let game = TicTacToe()
    let refused: [[Int32]] = [
      [1, 1, 0, 0, 0, 0, 0, 0, 0],  // two x, no o
      [2, 0, 0, 0, 0, 0, 0, 0, 0],  // o first
      [1, 1, 1, 2, 2, 2, 0, 0, 0],  // both have a line
      [1, 1, 1, 2, 2, 0, 2, 0, 0],  // x's line, then o moved
      [1, 1, 1, 2, 2, 2, 1, 2, 1].map { $0 },  // both lines again, full board
      [3, 0, 0, 0, 0, 0, 0, 0, 0],
      [-1, 0, 0, 0, 0, 0, 0, 0, 0],
    ]
    for words in refused {
      #expect(throws: SwiftPGError.self) { try game.decoded(words) }
    }
    let double: [Int32] = [1, 1, 1, 2, 2, 0, 1, 0, 0]
    #expect(throws: SwiftPGError.self) { try game.decoded(double) }  // 4 x vs 2 o: counts
    // x completed its top row last: reachable, and x has won.
    let fork: [Int32] = [1, 1, 1, 2, 2, 0, 1, 2, 0]
    #expect((try? game.decoded(fork)).map { game.returnOfPlayer0($0) } == 1)
  }

  /// The default random action is uniform over the legal ones: 6 legal
  /// cells, 60,000 draws, each count within 5 standard errors of 10,000.
  @Test func reservoirSamplingIsUniformOverLegalActions() throws {
    let game = TicTacToe()
    let s = try game.play([4, 0, 8])
    var rng = SplitMix64(seed: 3)
    var counts = [Int](repeating: 0, count: 9)
    for _ in 0..<60_000 { counts[reservoirLegalAction(game, in: s, using: &rng)] += 1 }
    let legal = game.legalActions(s)
    let se = (60_000 * (1.0 / 6) * (5.0 / 6)).squareRoot()
    for a in 0..<9 {
      if legal.contains(a) {
        #expect(abs(Double(counts[a]) - 10_000) < 5 * se)
      } else {
        #expect(counts[a] == 0)
      }
    }
    #expect(reservoirLegalAction(game, in: try game.play([0, 3, 1, 4, 2]), using: &rng) == -1)
  }
}
