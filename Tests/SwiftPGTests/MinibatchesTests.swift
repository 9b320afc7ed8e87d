import Testing

@testable import SwiftPG

/// Algorithms/Minibatches.swift: Fisher–Yates permutations from the
/// learner's generator, injected permutations, and gathering rows.
@Suite struct MinibatchesTests {
  func draw(_ mb: Minibatches, _ m: Int, _ g: inout PCG64) -> [Int] {
    guard let p = try? mb.shuffled(m, using: &g) else { return [] }
    return Array(UnsafeBufferPointer(start: p, count: m))
  }

  @Test func aReproduciblePermutationFromTheSeed() {
    let mb = Minibatches()
    var g1 = PCG64(seed: 11)
    let p = draw(mb, 10, &g1)
    #expect(p.sorted() == Array(0..<10))
    #expect(p != Array(0..<10))
    var g2 = PCG64(seed: 11)
    #expect(draw(Minibatches(), 10, &g2) == p)
    var g3 = PCG64(seed: 12)
    #expect(draw(mb, 10, &g3) != p)
    // The documented algorithm (so an outside implementation can reproduce
    // it): Fisher–Yates from the last index, j = next() % (k + 1), m − 1 draws.
    var g = PCG64(seed: 11)
    var q = Array(0..<10)
    for k in stride(from: 9, to: 0, by: -1) { q.swapAt(k, Int(g.next() % UInt64(k + 1))) }
    #expect(q == p)
    #expect(g.next() == g1.next())
    // m = 1 and m = 0 draw nothing.
    var h = PCG64(seed: 3)
    #expect(draw(mb, 1, &h) == [0])
    var fresh = PCG64(seed: 3)
    #expect(h.next() == fresh.next())
  }

  @Test func injectedPermutationsAreUsedInOrderThenRandomAgain() {
    let mb = Minibatches()
    mb.permutations = [[2, 0, 1, 3], [3, 2, 1, 0]]
    var g = PCG64(seed: 1)
    #expect(draw(mb, 4, &g) == [2, 0, 1, 3])
    #expect(draw(mb, 4, &g) == [3, 2, 1, 0])
    #expect(mb.permutations.isEmpty)
    // The injected ones drew nothing from the generator: the next
    // permutation is the first random one of a fresh generator.
    var fresh = PCG64(seed: 1)
    #expect(draw(mb, 4, &g) == draw(Minibatches(), 4, &fresh))
  }

  @Test func validateRefusesNonPermutations() throws {
    try Minibatches.validate([[0, 1, 2], [2, 1, 0]], count: 3)
    try Minibatches.validate([], count: 3)
    for bad in [[0, 1], [0, 1, 1], [0, 1, 3], [-1, 0, 1], [0, 1, 2, 3]] {
      #expect(throws: SwiftPGError.self) { try Minibatches.validate([[0, 1, 2], bad], count: 3) }
    }
  }

  @Test func gatherCopiesTheRowsInOrder() {
    let mb = Minibatches()
    let d = makeTrajectories(
      observationSize: 2, actionSpace: .discrete(5), steps: 4, observations: [0, 1, 10, 11, 20, 21, 30, 31],
      actions: [4, 3, 2, 1], rewards: [0, 0, 0, 0])
    let rows = [3, 0, 2]
    let (obs, actions) = rows.withUnsafeBufferPointer { mb.gather(d, rows: $0.baseAddress!, count: 3) }
    #expect(Array(UnsafeBufferPointer(start: obs, count: 6)) == [30, 31, 0, 1, 20, 21])
    #expect(Array(UnsafeBufferPointer(start: actions.assumingMemoryBound(to: Int32.self), count: 3)) == [1, 4, 2])
    let c = makeTrajectories(
      observationSize: 1, actionSpace: .box(low: [-1, -1], high: [1, 1]), steps: 3, observations: [0, 1, 2],
      continuousActions: [0.1, 0.2, 1.1, 1.2, 2.1, 2.2], rewards: [0, 0, 0])
    let (cobs, cactions) = [2, 1].withUnsafeBufferPointer { mb.gather(c, rows: $0.baseAddress!, count: 2) }
    #expect(Array(UnsafeBufferPointer(start: cobs, count: 2)) == [2, 1])
    #expect(Array(UnsafeBufferPointer(start: cactions.assumingMemoryBound(to: Double.self), count: 4)) == [2.1, 2.2, 1.1, 1.2])
  }
}
