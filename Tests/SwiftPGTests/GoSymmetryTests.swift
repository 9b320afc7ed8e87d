import Testing

@testable import SwiftPG

@Suite struct GoSymmetryTests {
  @Test func inverseUndoesEverySymmetry() throws {
    for n in GoState.boardSizes {
      for s in 0..<GoSymmetry.count {
        let back = try GoSymmetry.inverse(s)
        var images = Set<Int>()
        for a in 0...(n * n) {
          let image = try GoSymmetry.transformAction(a, boardSize: n, symmetry: s)
          images.insert(image)
          #expect(try GoSymmetry.transformAction(image, boardSize: n, symmetry: back) == a)
        }
        #expect(images.count == n * n + 1)  // a permutation
        #expect(try GoSymmetry.transformAction(n * n, boardSize: n, symmetry: s) == n * n)
      }
    }
  }

  /// The 8 images of the 5×5 point b1 (row 0, column 1), worked by hand:
  /// identity, quarter turns (r, c) → (c, N−1−r), transpose then turns.
  @Test func imagesOfOnePoint() throws {
    let images = try (0..<8).map { try GoSymmetry.transformAction(1, boardSize: 5, symmetry: $0) }
    // b1 = (0,1); turns: (1,4) = 9, (4,3) = 23, (3,0) = 15;
    // transposed (1,0) = 5, then (0,3) = 3, (3,4) = 19, (4,1) = 21.
    #expect(images == [1, 9, 23, 15, 5, 3, 19, 21])
    // The corner a1 has 4 images, the centre one.
    let corner = try Set((0..<8).map { try GoSymmetry.transformAction(0, boardSize: 5, symmetry: $0) })
    #expect(corner == [0, 4, 20, 24])
    let centre = try Set((0..<8).map { try GoSymmetry.transformAction(12, boardSize: 5, symmetry: $0) })
    #expect(centre == [12])
  }

  @Test func policyAndPlanesMoveWithTheirPoints() throws {
    let n = 7
    let policy = (0...(n * n)).map { Double($0) }
    let planes = (0..<(3 * n * n)).map { $0 }
    for s in 0..<8 {
      let p = try GoSymmetry.transformPolicy(policy, boardSize: n, symmetry: s)
      let q = try GoSymmetry.transformPlanes(planes, boardSize: n, symmetry: s)
      for a in 0...(n * n) {
        let image = try GoSymmetry.transformAction(a, boardSize: n, symmetry: s)
        #expect(p[image] == policy[a])
        if a < n * n {
          for k in 0..<3 { #expect(q[k * n * n + image] == planes[k * n * n + a]) }
        }
      }
    }
  }

  /// Fixture games replayed under every symmetry: the legal actions are
  /// the transformed legal actions, the observation and input planes the
  /// transformed planes, and the outcome the same.
  @Test func rulesCommuteWithSymmetries() throws {
    for game in goFixtureGames.enumerated().filter({ $0.offset % 6 == 0 }).map(\.element) {
      let n = game.n
      for s in 1..<GoSymmetry.count {
        var original = try GoState(boardSize: n, komi: game.komi, maxGameLength: game.max)
        var image = original
        for step in 0...game.actions.count {
          if step > 0 {
            try original.apply(game.actions[step - 1])
            try image.apply(GoSymmetry.transformAction(game.actions[step - 1], boardSize: n, symmetry: s))
          }
          let legal = try Set(original.legalActions().map { try GoSymmetry.transformAction($0, boardSize: n, symmetry: s) })
          #expect(Set(image.legalActions()) == legal)
          if step % 5 == 0 || image.isTerminal {
            #expect(
              image.observationTensor()
                == (try GoSymmetry.transformPlanes(original.observationTensor(), boardSize: n, symmetry: s)))
            #expect(
              image.inputPlanes() == (try GoSymmetry.transformPlanes(original.inputPlanes(), boardSize: n, symmetry: s)))
          }
        }
        #expect(image.isTerminal && image.returns() == original.returns())
        #expect(image.scoreMargin == original.scoreMargin)
      }
    }
  }

  @Test func badArgumentsThrow() {
    for s in [-1, 8, Int.max] {
      #expect(throws: SwiftPGError.self) { try GoSymmetry.inverse(s) }
      #expect(throws: SwiftPGError.self) { try GoSymmetry.transformAction(0, boardSize: 5, symmetry: s) }
    }
    for n in [0, 4, 10] {
      #expect(throws: SwiftPGError.self) { try GoSymmetry.transformAction(0, boardSize: n, symmetry: 1) }
    }
    for a in [-1, 26, Int.min] {
      #expect(throws: SwiftPGError.self) { try GoSymmetry.transformAction(a, boardSize: 5, symmetry: 1) }
    }
    #expect(throws: SwiftPGError.self) { try GoSymmetry.transformPolicy([0.0, 1], boardSize: 5, symmetry: 1) }
    #expect(throws: SwiftPGError.self) { try GoSymmetry.transformPlanes([Float](repeating: 0, count: 26), boardSize: 5, symmetry: 1) }
  }
}
