import Foundation
import Testing

@testable import SwiftPG

/// One game of `Fixtures/go_openspiel.json` (written by
/// `tools/games/go_fixtures.py` from OpenSpiel 2.0.2's pyspiel).
struct GoFixtureGame: Decodable {
  struct Observation: Decodable {
    var at: Int
    var planes: [String]
  }
  var n: Int
  var komi: Double
  var max: Int
  var actions: [Int]
  /// Per state (the initial one, then after each action).
  var players: [Int]
  var terminal: [Int]
  var legal: [String]
  var obs: [Observation]
  var returns: [Double]
  var text: String
  /// "two_passes", "max_game_length" or "superko".
  var end: String
}

/// The recorded OpenSpiel games, loaded once.
let goFixtureGames: [GoFixtureGame] = {
  struct File: Decodable { var games: [GoFixtureGame] }
  let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/go_openspiel.json")
  guard let data = try? Data(contentsOf: url), let file = try? JSONDecoder().decode(File.self, from: data)
  else { return [] }
  return file.games
}()

func goMask(_ hex: String) -> UInt128? { UInt128(hex, radix: 16) }

/// The mask of `n`² points' plane `k` of a flattened tensor.
func goPlaneMask(_ tensor: [Float], plane k: Int, points: Int) -> UInt128 {
  var mask: UInt128 = 0
  for p in 0..<points where tensor[k * points + p] != 0 { mask |= 1 << p }
  return mask
}

@Suite struct GoTests {
  @Test func fixtureHoldsEveryKindOfEnding() {
    let games = goFixtureGames
    #expect(games.count == 180)
    for n in [5, 7, 9] {
      let sized = games.filter { $0.n == n }
      #expect(sized.count == 60)
      for end in ["two_passes", "max_game_length", "superko"] {
        #expect(sized.contains { $0.end == end }, "\(n)×\(n): no game ends by \(end)")
      }
      #expect(sized.contains { $0.returns == [0, 0] && $0.end != "superko" }, "\(n)×\(n): no drawn score")
    }
  }

  /// Every fixture game replayed: after every action the legal actions,
  /// the player, the terminal flag equal OpenSpiel's; at the end the
  /// returns and the text; the observation tensor at the recorded moves.
  /// Along the way, an illegal action is refused without changing the
  /// state, `isLegal` agrees with the mask, and snapshots round-trip (the
  /// game goes on from the restored state).
  @Test func replaysOpenSpielGamesExactly() throws {
    var kos = 0
    var suicides = 0
    for (index, game) in goFixtureGames.enumerated() {
      var state = try GoState(boardSize: game.n, komi: game.komi, maxGameLength: game.max)
      let points = game.n * game.n
      for step in 0...game.actions.count {
        if step > 0 { try state.apply(game.actions[step - 1]) }
        let what = "game \(index) (\(game.n)×\(game.n)) after \(step) actions"
        #expect(state.legalActionBits() == goMask(game.legal[step]), "\(what): legal actions")
        #expect(state.currentPlayer == game.players[step], "\(what): player")
        #expect(state.isTerminal == (game.terminal[step] == 1), "\(what): terminal")
        if let o = game.obs.first(where: { $0.at == step }) {
          let tensor = state.observationTensor()
          for k in 0..<4 {
            #expect(goPlaneMask(tensor, plane: k, points: points) == goMask(o.planes[k]), "\(what): plane \(k)")
          }
        }
        if state.koPoint >= 0 { kos += 1 }
        let bits = state.legalActionBits()
        let refused = (0..<points).filter { state.color(at: $0) == 0 && (bits >> $0) & 1 == 0 }
        suicides += refused.filter { $0 != state.koPoint }.count
        // An illegal action (refused point, else an occupied one) throws
        // and leaves the state as it was.
        let occupied = (0..<points).first { state.color(at: $0) != 0 }
        if let bad = refused.first ?? occupied, !state.isTerminal {
          var copy = state
          #expect(throws: SwiftPGError.self) { try copy.apply(bad) }
          #expect(copy == state)
        }
        if step % 7 == 0 {
          let byIsLegal = (0...points).filter { state.isLegal($0) }
          #expect(byIsLegal == state.legalActions(), "\(what): isLegal")
          let restored = try GoState(snapshot: state.snapshot)
          #expect(restored == state, "\(what): snapshot")
          state = restored  // the rest of the game runs on the restored state
        }
      }
      #expect(state.returns() == game.returns, "game \(index): returns")
      #expect(state.description == game.text, "game \(index): text")
      #expect(state.endedBySuperko == (game.end == "superko"), "game \(index): superko")
    }
    // States with a ko point, and empty points refused as suicide, met on
    // the way (72 and 15121 with the fixture of 180 games).
    #expect(kos > 50 && suicides > 1000, "kos \(kos), suicide points \(suicides)")
  }

  /// `randomLegalAction` draws only legal actions, each of them, about
  /// uniformly (a 5 standard-error band), and nil at the end.
  @Test func randomLegalActionIsUniformOverLegalActions() throws {
    var state = try GoState(boardSize: 5)
    for action in [12, 6, 7, 11, 13, 17] { try state.apply(action) }  // a few stones
    let legal = state.legalActions()
    var rng = SplitMix64(seed: 3)
    var counts = [Int: Int]()
    let draws = 20_000
    for _ in 0..<draws {
      if let a = state.randomLegalAction(using: &rng) { counts[a, default: 0] += 1 }
    }
    #expect(Set(counts.keys) == Set(legal))
    let p = 1 / Double(legal.count)
    let band = 5 * (Double(draws) * p * (1 - p)).squareRoot()
    for a in legal { #expect(abs(Double(counts[a, default: 0]) - Double(draws) * p) < band) }
    try state.apply(25)
    try state.apply(25)
    #expect(state.randomLegalAction(using: &rng) == nil)
  }

  @Test func parametersFollowOpenSpiel() throws {
    let state = try GoState()
    #expect(state.boardSize == 9 && state.komi == 7.5 && state.maxGameLength == 162)
    #expect(state.numDistinctActions == 82 && state.passAction == 81)
    #expect(state.currentPlayer == 0 && !state.isTerminal && state.legalActions().count == 82)
    #expect(try GoState(boardSize: 5).maxGameLength == 50)
    #expect(state.pointName(0) == "a1" && state.pointName(8) == "j1" && state.pointName(80) == "j9")
    #expect(state.pointName(81) == "PASS")
  }

  @Test func badParametersAndActionsThrow() throws {
    for size in [-1, 0, 4, 10, 19, Int.max] {
      #expect(throws: SwiftPGError.self) { try GoState(boardSize: size) }
    }
    for komi in [Double.nan, .infinity, -.infinity, 1e9] {
      #expect(throws: SwiftPGError.self) { try GoState(komi: komi) }
    }
    for length in [0, -5, Int.max] {
      #expect(throws: SwiftPGError.self) { try GoState(maxGameLength: length) }
    }
    #expect(throws: SwiftPGError.self) { try GoState(handicap: 2) }
    var state = try GoState(boardSize: 5)
    for action in [-1, 26, Int.min, Int.max] {
      #expect(!state.isLegal(action))
      #expect(throws: SwiftPGError.self) { try state.apply(action) }
    }
    try state.apply(12)
    #expect(throws: SwiftPGError.self) { try state.apply(12) }  // occupied
    try state.apply(25)
    try state.apply(25)
    #expect(state.isTerminal && state.currentPlayer == GoState.terminalPlayer)
    #expect(state.legalActions().isEmpty && state.legalActionMask() == Array(repeating: false, count: 26))
    let ended = state
    #expect(throws: SwiftPGError.self) { try state.apply(25) }
    #expect(state == ended)
    var small = [UInt8](repeating: 0, count: 25)
    var floats = [Float](repeating: 0, count: 99)
    small.withUnsafeMutableBufferPointer { buffer in
      _ = #expect(throws: SwiftPGError.self) { try state.legalActionMask(into: buffer) }
    }
    floats.withUnsafeMutableBufferPointer { buffer in
      #expect(throws: SwiftPGError.self) { try state.observationTensor(into: buffer) }
      #expect(throws: SwiftPGError.self) { try state.inputPlanes(into: buffer) }
    }
  }

  /// Plays a 5×5 position from rows written top (row 5) first:
  /// "X" black, "O" white, "." empty.
  func position(_ rows: [String], toPlay: Int) throws -> GoState {
    var board = [Int8](repeating: 0, count: 25)
    for (i, row) in rows.enumerated() {
      for (c, ch) in row.enumerated() { board[(4 - i) * 5 + c] = ch == "X" ? 1 : (ch == "O" ? 2 : 0) }
    }
    return try GoState(
      snapshot: .init(
        boardSize: 5, komi: 0.5, maxGameLength: 50, board: board, toPlay: toPlay, moveCount: 10,
        consecutivePasses: 0, koPoint: -1, superko: false, positionHashes: []))
  }

  /// White to play on 5×5: a black eye at b4, black stones around a5, a
  /// white stone at d1 in atari.
  func eyeAndAtari() throws -> GoState {
    try position(
      [
        ".X...",
        "X.X..",
        ".X...",
        "...XX",
        "..XO.",
      ], toPlay: 1)
  }

  /// Ko: black takes at c3, white may not retake at once, may after a move
  /// elsewhere; suicide of one stone and of a group is refused.
  @Test func koAndSuicide() throws {
    var state = try position(
      [
        ".....",
        "..XO.",
        ".XO.O",
        "..XO.",
        ".....",
      ], toPlay: 0)
    let d3 = 2 * 5 + 3
    let c3 = 2 * 5 + 2
    try state.apply(d3)  // captures c3
    #expect(state.stone(row: 2, column: 2) == 0 && state.koPoint == c3)
    #expect(!state.isLegal(c3))
    #expect(throws: SwiftPGError.self) { try state.apply(c3) }
    try state.apply(0)  // white elsewhere
    try state.apply(24)  // black elsewhere
    #expect(state.isLegal(c3))
    try state.apply(c3)  // white retakes d3
    #expect(state.stone(row: 2, column: 3) == 0 && state.koPoint == d3)

    // b4 is surrounded by black and a5 has only black neighbours: suicide
    // for white. White e1 would leave {d1, e1} without a liberty: suicide
    // of a group; black e1 captures d1 instead.
    let suicide = try eyeAndAtari()
    let b4 = 3 * 5 + 1
    let a5 = 4 * 5
    let e1 = 4
    for point in [b4, a5, e1] {
      #expect(!suicide.isLegal(point))
      var copy = suicide
      #expect(throws: SwiftPGError.self) { try copy.apply(point) }
      #expect(copy == suicide)
    }
    #expect(suicide.legalActions().count == 26 - 8 - 3)
    var snapshot = suicide.snapshot
    snapshot.toPlay = 0
    var black = try GoState(snapshot: snapshot)
    #expect(black.isLegal(e1) && black.isLegal(b4) && black.isLegal(a5))
    try black.apply(e1)
    // e1 joins e2, so taking d1 back is not a ko.
    #expect(black.stone(row: 0, column: 3) == 0 && black.koPoint == -1)
  }

  /// Area scoring worked by hand on 5×5 with komi 0.5: walls of black on
  /// column c and white on column d give black a–c (15) and white d–e (10);
  /// with column c empty instead, it touches both colours and counts for
  /// neither (10 against 10).
  @Test func areaScoring() throws {
    let walls = try position(Array(repeating: "..XO.", count: 5), toPlay: 0)
    #expect(walls.scoreMargin == 15 - 10 - 0.5)
    let dame = try position(Array(repeating: ".X.O.", count: 5), toPlay: 0)
    #expect(dame.scoreMargin == 10 - 10 - 0.5)
    var ended = dame
    try ended.apply(25)
    try ended.apply(25)
    #expect(ended.returns() == [-1, 1])
    var even = try GoState(
      snapshot: {
        var s = dame.snapshot
        s.komi = 0
        return s
      }())
    try even.apply(25)
    try even.apply(25)
    #expect(even.scoreMargin == 0 && even.returns() == [0, 0])  // integer komi: a draw
  }

  /// The input planes from the mover's side: own and opponent stones swap
  /// with the colour to play, legal placements, groups in atari, colour.
  @Test func inputPlanesFollowTheMover() throws {
    // White d1 is in atari (its liberty e1); no black group is.
    let state = try eyeAndAtari()
    let planes = state.inputPlanes()
    let mask = { (k: Int) in goPlaneMask(planes, plane: k, points: 25) }
    let obs = state.observationTensor()
    #expect(mask(0) == goPlaneMask(obs, plane: 1, points: 25))  // white's own
    #expect(mask(1) == goPlaneMask(obs, plane: 0, points: 25))
    #expect(mask(2) == goPlaneMask(obs, plane: 2, points: 25))
    #expect(mask(3) == state.legalActionBits() & ~(1 << 25))
    #expect(mask(4) == 1 << 3)  // d1
    #expect(mask(5) == 0)
    #expect(mask(6) == 0)  // white to play
    var snapshot = state.snapshot
    snapshot.toPlay = 0
    let black = try GoState(snapshot: snapshot).inputPlanes()
    #expect(goPlaneMask(black, plane: 0, points: 25) == mask(1))
    #expect(goPlaneMask(black, plane: 5, points: 25) == 1 << 3)
    #expect(goPlaneMask(black, plane: 6, points: 25) == (1 << 25) - 1)
    var buffer = [Float](repeating: -1, count: state.inputPlanesSize)
    try buffer.withUnsafeMutableBufferPointer { try state.inputPlanes(into: $0) }
    #expect(buffer == planes)
    var tensor = [Float](repeating: -1, count: state.observationTensorSize)
    try tensor.withUnsafeMutableBufferPointer { try state.observationTensor(into: $0) }
    #expect(tensor == obs)
    var flags = [UInt8](repeating: 7, count: state.numDistinctActions)
    try flags.withUnsafeMutableBufferPointer { try state.legalActionMask(into: $0) }
    #expect(flags.map { $0 == 1 } == state.legalActionMask())
  }

  /// Bad snapshots are refused with an error, never a trap.
  @Test func badSnapshotsThrow() throws {
    let good = try position(Array(repeating: "..XO.", count: 5), toPlay: 0).snapshot
    #expect(try GoState(snapshot: good).snapshot == good)
    let edits: [(inout GoState.Snapshot) -> Void] = [
      { $0.board.removeLast() },
      { $0.board[0] = 3 },
      { $0.board[0] = -1 },
      { $0.board = Array(repeating: 1, count: 25) },  // no liberty
      { $0.toPlay = 2 },
      { $0.moveCount = -1 },
      { $0.moveCount = 51 },
      { $0.consecutivePasses = 3 },
      { $0.koPoint = 2 },  // occupied
      { $0.koPoint = 25 },
      { $0.positionHashes = Array(repeating: 0, count: 11) },
      { $0.boardSize = 10 },
      { $0.komi = .nan },
      { $0.maxGameLength = 0 },
    ]
    for edit in edits {
      var bad = good
      edit(&bad)
      #expect(throws: SwiftPGError.self) { try GoState(snapshot: bad) }
    }
  }
}
