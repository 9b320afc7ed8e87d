import Dispatch
import Testing

@testable import SwiftPG

/// Batches: steps with active flags, all-or-nothing refusals, the two
/// finished-game modes, states set all or nothing, playouts that leave the
/// games alone.
@Suite struct GameBatchTests {
  /// `step` with arrays: (ended, outcomes, ended count).
  func step(_ b: GameBatch<some TwoPlayerGame>, _ actions: [Int32], active: [UInt8]? = nil) throws(SwiftPGError)
    -> ([UInt8], [Double], Int)
  {
    var ended = [UInt8](repeating: 9, count: b.count)
    var outcomes = [Double](repeating: 9, count: b.count)
    let n = try actions.withUnsafeBufferPointer { (a) throws(SwiftPGError) in
      try ended.withUnsafeMutableBufferPointer { (e) throws(SwiftPGError) in
        try outcomes.withUnsafeMutableBufferPointer { (o) throws(SwiftPGError) in
          if let active {
            return try active.withUnsafeBufferPointer { (f) throws(SwiftPGError) in
              try b.step(actions: a.baseAddress!, active: f.baseAddress, ended: e.baseAddress, outcomes: o.baseAddress)
            }
          }
          return try b.step(actions: a.baseAddress!, active: nil, ended: e.baseAddress, outcomes: o.baseAddress)
        }
      }
    }
    return (ended, outcomes, n)
  }

  @Test func applyMovesOneGameAndReportsItAfterTheMove() throws {
    let b = try GameBatch(TicTacToe(), count: 3, autoReset: true)
    var mask = [UInt8](repeating: 9, count: 9)
    for a in [0, 3, 1, 4] {
      let r = try mask.withUnsafeMutableBufferPointer { (m) throws(SwiftPGError) in
        try b.apply(a, game: 1, legalMask: m.baseAddress)
      }
      #expect(!r.ended && r.outcome == 0 && r.player == b.game.currentPlayer(b.games[1]))
      #expect(mask.enumerated().allSatisfy { ($0.element == 1) == b.game.isLegal($0.offset, in: b.games[1]) })
    }
    #expect(b.games[0] == b.game.initialState() && b.games[2] == b.game.initialState())
    // Refusals change nothing: index, range, illegal.
    let before = b.games
    for (a, i) in [(2, 3), (2, -1), (9, 1), (-1, 1), (0, 1)] {
      #expect(throws: SwiftPGError.self) { try b.apply(a, game: i, legalMask: nil) }
    }
    #expect(b.games == before)
    // The winning move ends the game; with auto-reset it is back at the start.
    let r = try b.apply(2, game: 1, legalMask: nil)
    #expect(r.ended && r.outcome == 1 && r.player == 0 && b.games[1] == b.game.initialState())
  }

  @Test func applyOnAFinishedGameIsRefusedWithoutAutoReset() throws {
    let b = try GameBatch(TicTacToe(), count: 1, autoReset: false)
    for a in [0, 3, 1, 4] { _ = try b.apply(a, game: 0, legalMask: nil) }
    let r = try b.apply(2, game: 0, legalMask: nil)
    #expect(r.ended && r.outcome == 1 && r.player == GamePlayer.terminal)
    #expect(throws: SwiftPGError.self) { try b.apply(5, game: 0, legalMask: nil) }
  }

  @Test func copyGameCopiesOneGameIntoANewBatch() throws {
    let b = try GameBatch(GoGame(boardSize: 5, komi: 7.5, maxGameLength: nil), count: 2, autoReset: true)
    for a in [12, 7] { _ = try b.apply(a, game: 1, legalMask: nil) }
    let copy = try #require(try b.copyGame(1) as? GameBatch<GoGame>)
    #expect(copy.count == 1 && !copy.autoReset && copy.games[0] == b.games[1])
    _ = try copy.apply(13, game: 0, legalMask: nil)
    #expect(copy.games[0] != b.games[1])
    #expect(throws: SwiftPGError.self) { try b.copyGame(2) }
  }

  @Test func playoutsOnSeveralThreadsGiveTheSameResults() throws {
    let b = try GameBatch(ConnectN(rows: 4, columns: 5, xInRow: 3), count: 37, autoReset: false)
    func run(_ threads: Int) throws -> ([Double], [Int32]) {
      b.threadCount = threads
      var outcomes = [Double](repeating: 9, count: 37 * 5)
      var lengths = [Int32](repeating: -1, count: 37 * 5)
      try outcomes.withUnsafeMutableBufferPointer { (o) throws(SwiftPGError) in
        try lengths.withUnsafeMutableBufferPointer { (l) throws(SwiftPGError) in
          try b.playouts(seed: 11, perGame: 5, outcomes: o.baseAddress!, lengths: l.baseAddress)
        }
      }
      return (outcomes, lengths)
    }
    let one = try run(1)
    #expect(one.1.allSatisfy { $0 > 0 })
    for threads in [2, 3, 8] {
      let many = try run(threads)
      #expect(many.0 == one.0 && many.1 == one.1)
    }
    b.threadCount = 0
    #expect(b.threadCount == 1)
  }

  @Test func sizesAreChecked() {
    #expect(throws: SwiftPGError.self) { try GameBatch(TicTacToe(), count: 0, autoReset: false) }
    #expect(throws: SwiftPGError.self) { try GameBatch(TicTacToe(), count: (1 << 24) + 1, autoReset: false) }
  }

  @Test func inactiveGamesDoNotMoveAndTheirActionsAreIgnored() throws {
    let b = try GameBatch(TicTacToe(), count: 2, autoReset: false)
    let (ended, outcomes, n) = try step(b, [4, 99], active: [1, 0])
    #expect(ended == [0, 0] && outcomes == [0, 0] && n == 0)
    #expect(b.games[0] == (try b.game.play([4])) && b.games[1] == b.game.initialState())
  }

  @Test func oneBadActionFailsTheCallAndNothingMoves() throws {
    let b = try GameBatch(TicTacToe(), count: 3, autoReset: false)
    _ = try step(b, [4, 4, 4])
    let before = b.games
    for (actions, active) in [([0, 4, 1], nil), ([0, 1, 9], nil), ([0, -1, 1], nil), ([0, 1, 2], [1, 2, 1])]
      as [([Int32], [UInt8]?)]
    {
      #expect(throws: SwiftPGError.self) { try step(b, actions, active: active) }
      #expect(b.games == before)
    }
  }

  @Test func finishedGamesStayFinishedUntilReset() throws {
    let b = try GameBatch(TicTacToe(), count: 2, autoReset: false)
    var last: ([UInt8], [Double], Int) = ([], [], 0)
    for a: Int32 in [0, 3, 1, 4, 2] { last = try step(b, [a, a]) }
    #expect(last.0 == [1, 1] && last.1 == [1, 1] && last.2 == 2)
    #expect(throws: SwiftPGError.self) { try step(b, [5, 5]) }
    _ = try step(b, [5, 5], active: [0, 0])
    try [UInt8](arrayLiteral: 1, 0).withUnsafeBufferPointer { (w) throws(SwiftPGError) in
      try b.reset(which: w.baseAddress)
    }
    #expect(b.games[0] == b.game.initialState() && b.game.isTerminal(b.games[1]))
  }

  @Test func autoResetWritesTheOutcomeAndRestarts() throws {
    let b = try GameBatch(try ConnectN(rows: 1, columns: 3, xInRow: 2), count: 1, autoReset: true)
    _ = try step(b, [0])
    _ = try step(b, [1])
    let (ended, outcomes, n) = try step(b, [2])
    #expect(ended == [1] && outcomes == [0] && n == 1)
    #expect(b.games[0] == b.game.initialState())
  }

  @Test func setStatesIsAllOrNothing() throws {
    let b = try GameBatch(TicTacToe(), count: 2, autoReset: false)
    let good: [Int32] = [1, 0, 0, 0, 2, 0, 0, 0, 0]
    let bad: [Int32] = [1, 1, 0, 0, 0, 0, 0, 0, 0]
    #expect(throws: SwiftPGError.self) {
      try (good + bad).withUnsafeBufferPointer { (p) throws(SwiftPGError) in try b.setStates(p.baseAddress!) }
    }
    #expect(b.games == [b.game.initialState(), b.game.initialState()])
    try (good + good).withUnsafeBufferPointer { (p) throws(SwiftPGError) in try b.setStates(p.baseAddress!) }
    #expect(b.games[1] == (try b.game.play([0, 4])))
  }

  @Test func playoutsLeaveTheGamesAloneAndDependOnlyOnSeedGameAndPlayout() throws {
    let b = try GameBatch(try ConnectN(), count: 3, autoReset: false)
    let one = try GameBatch(try ConnectN(), count: 1, autoReset: false)
    var outcomes = [Double](repeating: 9, count: 6)
    var lengths = [Int32](repeating: -1, count: 6)
    try b.playouts(seed: 5, perGame: 2, outcomes: &outcomes, lengths: &lengths)
    var first = [Double](repeating: 9, count: 2)
    try one.playouts(seed: 5, perGame: 2, outcomes: &first, lengths: nil)
    #expect(Array(outcomes[0..<2]) == first)
    #expect(outcomes.allSatisfy { [-1, 0, 1].contains($0) } && lengths.allSatisfy { $0 >= 7 && $0 <= 42 })
    #expect(b.games.allSatisfy { $0 == b.game.initialState() })
  }

  /// One game's many playouts (a Monte-Carlo evaluation of one position)
  /// stop too: a request from another thread ends the call long before its
  /// millions of playouts, with the playouts before it written.
  @Test func oneGamesManyPlayoutsStopWhenCancelled() throws {
    let b = try GameBatch(try ConnectN(), count: 1, autoReset: false)
    let n = 4_000_000
    var outcomes = [Double](repeating: 9, count: n)
    let flag = b.cancellation
    DispatchQueue.global().asyncAfter(deadline: .now() + 0.05) { flag.request() }
    let e = #expect(throws: SwiftPGError.self) { try b.playouts(seed: 2, perGame: n, outcomes: &outcomes, lengths: nil) }
    #expect(e?.code == .cancelled)
    let written = outcomes.prefix { $0 != 9 }.count
    #expect(written > 0 && written < n && outcomes[written...].allSatisfy { $0 == 9 }, "\(written) written")
  }

  @Test func aCancelledPlayoutCallStopsAndConsumesTheRequest() throws {
    let b = try GameBatch(TicTacToe(), count: 2, autoReset: false)
    var outcomes = [Double](repeating: 9, count: 2)
    b.cancellation.request()
    #expect(throws: SwiftPGError.self) { try b.playouts(seed: 1, perGame: 1, outcomes: &outcomes, lengths: nil) }
    #expect(outcomes == [9, 9])
    try b.playouts(seed: 1, perGame: 1, outcomes: &outcomes, lengths: nil)
    #expect(outcomes.allSatisfy { [-1, 0, 1].contains($0) })
  }
}
