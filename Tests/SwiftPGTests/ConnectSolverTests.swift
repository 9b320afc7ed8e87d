import Testing

@testable import SwiftPG

/// Games/ConnectSolver.swift: the bitboard position and Pons-style solver
/// against an independent brute-force negamax over a plain grid (no
/// bitboards, no pruning, no table), on small boards from the empty
/// position and on 6×7 positions near the end; move scores against the
/// position's score; bad input.
@Suite struct ConnectSolverTests {
  /// A plain rows × columns grid (0 empty, 1/2 the players) and the exact
  /// Pons score of the player to move by full enumeration, memoised.
  final class BruteForce {
    let rows: Int, columns: Int, inRow: Int
    var memo: [SIMD2<UInt64>: Int] = [:]
    init(rows: Int, columns: Int, inRow: Int) { (self.rows, self.columns, self.inRow) = (rows, columns, inRow) }

    func wins(_ g: [UInt8], _ r: Int, _ c: Int) -> Bool {
      let me = g[r * columns + c]
      for (dr, dc) in [(1, 0), (0, 1), (1, 1), (1, -1)] {
        var count = 1
        for sign in [1, -1] {
          var (rr, cc) = (r + sign * dr, c + sign * dc)
          while rr >= 0 && rr < rows && cc >= 0 && cc < columns && g[rr * columns + cc] == me {
            count += 1
            (rr, cc) = (rr + sign * dr, cc + sign * dc)
          }
        }
        if count >= inRow { return true }
      }
      return false
    }

    /// Score for the player to move (`moves` stones on the board).
    func score(_ g: [UInt8], moves: Int) -> Int {
      // Base 3 over each half of the cells: unique up to 80 cells.
      let half = (g.count + 1) / 2
      let key = SIMD2(
        g[..<half].reduce(UInt64(0)) { $0 &* 3 &+ UInt64($1) }, g[half...].reduce(UInt64(0)) { $0 &* 3 &+ UInt64($1) })
      if let v = memo[key] { return v }
      let cells = rows * columns
      let player: UInt8 = moves % 2 == 0 ? 1 : 2
      var best = Int.min
      for c in 0..<columns {
        guard let r = (0..<rows).first(where: { g[$0 * columns + c] == 0 }) else { continue }
        var h = g
        h[r * columns + c] = player
        let v: Int
        if wins(h, r, c) { v = (cells + 1 - moves) / 2 } else if moves + 1 == cells { v = 0 } else {
          v = -score(h, moves: moves + 1)
        }
        best = max(best, v)
      }
      memo[key] = best
      return best
    }

    func grid(_ sequence: [Int]) -> [UInt8] {
      var g = [UInt8](repeating: 0, count: rows * columns)
      for (i, c) in sequence.enumerated() {
        if let r = (0..<rows).first(where: { g[$0 * columns + c] == 0 }) { g[r * columns + c] = i % 2 == 0 ? 1 : 2 }
      }
      return g
    }
  }

  /// A random game prefix of `length` moves that has not ended (seeded):
  /// each move is one that neither wins at once nor lets the opponent win
  /// at once, while there is one, so the positions keep all outcomes.
  static func randomPosition(_ b: ConnectBitboard, length: Int, rng: inout PCG64) -> [Int]? {
    var p = b
    var seq: [Int] = []
    while seq.count < length {
      let safe = p.nonLosingMoves()
      let quiet = (0..<p.columns).filter { p.canPlay($0) && !p.isWinning($0) }
      let calm = quiet.filter { safe & p.columnMask($0) != 0 }
      let open = calm.isEmpty ? quiet : calm
      guard !open.isEmpty else { return nil }
      let c = open[Int(rng.next() % UInt64(open.count))]
      try? p.play(c)
      seq.append(c)
    }
    return p.hasEnded ? nil : seq
  }

  /// Small boards from the empty position (4×5 with 3 in a row, the
  /// variant OpenSpiel studies exactly, from 6 stones on: its whole tree is
  /// slow to enumerate unpruned in a debug build).
  @Test(arguments: [(4, 4, 3, 0), (3, 5, 3, 0), (4, 4, 4, 0), (4, 5, 3, 6)])
  func smallBoardsMatchBruteForce(rows: Int, columns: Int, inRow: Int, from first: Int) throws {
    let brute = BruteForce(rows: rows, columns: columns, inRow: inRow)
    let solver = try ConnectSolver(rows: rows, columns: columns, inRow: inRow, tableSize: 65_521)
    let empty = try ConnectBitboard(rows: rows, columns: columns, inRow: inRow)
    if first == 0 {
      #expect(try solver.score(empty) == brute.score(brute.grid([]), moves: 0), "\(rows)×\(columns), \(inRow) in a row")
    }
    var rng = PCG64(seed: 5)
    var checked = 0
    for length in Swift.max(first, 1)..<(rows * columns - 1) {
      for _ in 0..<6 {
        guard let seq = Self.randomPosition(empty, length: length, rng: &rng) else { continue }
        let p = try ConnectBitboard(rows: rows, columns: columns, inRow: inRow, sequence: seq)
        #expect(try solver.score(p) == brute.score(brute.grid(seq), moves: seq.count), "\(seq)")
        checked += 1
      }
    }
    #expect(checked > 20)
  }

  /// 6×7 positions with 28–34 stones: the solver, the brute force, and the
  /// best column score agree.
  @Test func connectFourEndgamesMatchBruteForce() throws {
    let brute = BruteForce(rows: 6, columns: 7, inRow: 4)
    let solver = try ConnectSolver(tableSize: 1 << 16)
    let empty = try ConnectBitboard()
    var rng = PCG64(seed: 9)
    var scores: Set<Int> = []
    var checked = 0
    while checked < 12 {
      let length = 28 + checked % 7
      guard let seq = Self.randomPosition(empty, length: length, rng: &rng) else { continue }
      let p = try ConnectBitboard(sequence: seq)
      brute.memo.removeAll(keepingCapacity: true)
      let expected = brute.score(brute.grid(seq), moves: seq.count)
      #expect(try solver.score(p) == expected, "\(seq)")
      let best = try solver.columnScores(p).compactMap { $0 }.max()
      #expect(best == expected, "\(seq)")
      scores.insert(expected.signum())
      checked += 1
    }
    #expect(scores.count >= 2, "the positions should not all have one outcome: \(scores)")
  }

  /// Immediate wins and Pons' convention at both ends: the first player's
  /// 4th stone scores 18, a win with the last stone 1.
  @Test func scoreConvention() throws {
    let solver = try ConnectSolver(tableSize: 1021)
    // First player stacks column 3, second stacks column 0: the 7th stone (first player's 4th) wins.
    let p = try ConnectBitboard(sequence: [3, 0, 3, 0, 3, 0])
    #expect(p.canWinNext && p.isWinning(3) && !p.isWinning(0))
    #expect(try solver.score(p) == 18)
    #expect(try solver.columnScores(p)[3] == 18)
    // The second player must block; any other move loses to the 4th stone (score −18 for them).
    let q = try ConnectBitboard(sequence: [3, 0, 3, 0, 3])
    let columns = try solver.columnScores(q)
    #expect(columns[1] == -18 && columns[6] == -18)
    #expect(try solver.score(q) == columns.compactMap { $0 }.max())
  }

  @Test func badInputIsRefusedAndChangesNothing() throws {
    #expect(throws: SwiftPGError.self) { try ConnectBitboard(rows: 8, columns: 8) }  // 72 bits
    #expect(throws: SwiftPGError.self) { try ConnectBitboard(rows: 0, columns: 7) }
    #expect(throws: SwiftPGError.self) { try ConnectBitboard(inRow: 1) }
    #expect(throws: SwiftPGError.self) { try ConnectBitboard(sequence: [7]) }
    #expect(throws: SwiftPGError.self) { try ConnectBitboard(sequence: [-1]) }
    #expect(throws: SwiftPGError.self) { try ConnectBitboard(sequence: [0, 0, 0, 0, 0, 0, 0]) }  // full column
    #expect(throws: SwiftPGError.self) { try ConnectBitboard(sequence: [3, 0, 3, 0, 3, 0, 3, 1]) }  // after the win
    #expect(throws: SwiftPGError.self) { try ConnectSolver(tableSize: 0) }
    var p = try ConnectBitboard(sequence: [3, 0, 3, 0, 3, 0, 3])
    let before = p
    #expect(throws: SwiftPGError.self) { try p.play(1) }
    #expect(p == before && p.hasEnded)
    #expect(!p.isWinning(-1) && !p.isWinning(99) && !p.canPlay(-1) && !p.canPlay(7))
    let solver = try ConnectSolver(tableSize: 1021)
    #expect(throws: SwiftPGError.self) { try solver.score(p) }  // the game is over
    #expect(throws: SwiftPGError.self) { try solver.score(ConnectBitboard(rows: 4, columns: 5, inRow: 3)) }
  }
}
