import Testing

@testable import SwiftPG

/// SelfPlay/OpponentPool.swift: uniform draws, the oldest dropped at
/// capacity, an empty pool refused.
@Suite struct OpponentPoolTests {
  @Test func drawsUniformlyAndDropsTheOldest() throws {
    var pool = try OpponentPool(capacity: 3)
    var rng = SplitMix64(seed: 1)
    #expect(throws: SwiftPGError.self) { try pool.sample(using: &rng) }
    for t in 0..<5 { pool.add([Double(t)], iteration: t * 10) }
    #expect(pool.snapshots == [[2], [3], [4]] && pool.iterations == [20, 30, 40])
    // 6000 draws over 3 snapshots: each share within 5 standard errors of 1/3.
    var counts = [0, 0, 0]
    for _ in 0..<6000 { counts[try pool.sample(using: &rng)] += 1 }
    let se = (1.0 / 3 * 2 / 3 / 6000).squareRoot()
    for c in counts { #expect(abs(Double(c) / 6000 - 1.0 / 3) < 5 * se) }
    #expect(throws: SwiftPGError.self) { try OpponentPool(capacity: 0) }
  }
}
