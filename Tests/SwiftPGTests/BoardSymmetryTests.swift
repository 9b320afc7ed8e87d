import Testing

@testable import SwiftPG

/// The square's 8 symmetries and the mirror: permutations, all distinct,
/// composing as the dihedral group does.
@Suite struct BoardSymmetryTests {
  func compose(_ a: [Int], _ b: [Int]) -> [Int] { a.indices.map { b[a[$0]] } }  // a, then b

  @Test(arguments: [1, 3, 5]) func squareSymmetriesFormTheDihedralGroup(_ side: Int) {
    let maps = (0..<8).map { BoardSymmetry.square($0, side: side) }
    let identity = Array(0..<(side * side))
    for m in maps { #expect(m.sorted() == identity) }
    #expect(maps[0] == identity)
    if side > 1 { #expect(Set(maps).count == 8) }
    // Four quarter turns are the identity; a mirror is its own inverse.
    #expect(compose(compose(maps[1], maps[1]), compose(maps[1], maps[1])) == identity)
    #expect(compose(maps[4], maps[4]) == identity)
    // k = 4 + r: mirror, then r quarter turns.
    for r in 0..<4 { #expect(compose(maps[4], maps[r]) == maps[4 + r]) }
    // The closure: every composition is one of the eight.
    for a in maps { for b in maps { #expect(maps.contains(compose(a, b))) } }
  }

  @Test func quarterTurnSendsTheTopLeftCornerToTheBottomLeft() {
    #expect(BoardSymmetry.square(1, side: 3) == [6, 3, 0, 7, 4, 1, 8, 5, 2])
    #expect(BoardSymmetry.square(4, side: 3) == [2, 1, 0, 5, 4, 3, 8, 7, 6])
  }

  @Test func mirrorReversesEveryRow() {
    #expect(BoardSymmetry.mirror(1, height: 2, width: 3) == [2, 1, 0, 5, 4, 3])
    #expect(BoardSymmetry.mirror(0, height: 2, width: 3) == [0, 1, 2, 3, 4, 5])
  }
}
