import Testing

@testable import SwiftPG

/// Core/RunningMeanStd.swift: Chan et al.'s parallel update from the
/// pseudo-count 1e-4 (mean 0, variance 1), and the clipped normalisation.
@Suite struct RunningMeanStdTests {
  func update(_ s: inout RunningMeanStd, _ rows: [[Double]]) {
    let flat = rows.flatMap { $0 }
    s.update(flat, rows: rows.count)
  }

  /// The statistics equal the pooled mean and variance of every row seen,
  /// together with the prior (count 1e-4, mean 0, variance 1), however the
  /// rows are split into updates.
  @Test func parallelUpdateEqualsTheBatchStatistics() {
    let rows: [[Double]] = [[1, -4], [2, 0], [3, 2], [6, 10]]
    var once = RunningMeanStd(width: 2)
    update(&once, rows)
    var split = RunningMeanStd(width: 2)
    update(&split, Array(rows[0..<1]))
    update(&split, Array(rows[1..<3]))
    update(&split, Array(rows[3...]))
    // Column 0: x = 1, 2, 3, 6: mean 3, population variance (4 + 1 + 0 + 9)/4 = 3.5.
    // Column 1: x = −4, 0, 2, 10: mean 2, variance (36 + 4 + 0 + 64)/4 = 26.
    // Pooled with the prior (ε = 1e-4, mean 0, variance 1), n = 4, N = n + ε:
    //   mean = n·m / N,  variance = (ε·1 + n·v + m²·ε·n/N) / N.
    let eps = 1e-4
    let n = 4.0
    let total = n + eps
    for (j, (m, v)) in [(3.0, 3.5), (2.0, 26.0)].enumerated() {
      let mean = n * m / total
      let variance = (eps + n * v + m * m * eps * n / total) / total
      #expect(abs(once.mean[j] - mean) < 1e-14)
      #expect(abs(once.variance[j] - variance) < 1e-13)
      #expect(abs(split.mean[j] - mean) < 1e-14)
      #expect(abs(split.variance[j] - variance) < 1e-13)
      // And, the prior being tiny, these are the plain batch statistics to ~1e-4.
      #expect(abs(once.mean[j] - m) < 1e-4 * m && abs(once.variance[j] - v) < 1e-4 * v)
    }
    #expect(once.count == total && split.count == total)
    // No rows: nothing changes.
    let before = once
    once.update([], rows: 0)
    #expect(once.mean == before.mean && once.variance == before.variance && once.count == before.count)
  }

  @Test func normalizeStandardisesAndClips() throws {
    let s = try RunningMeanStd(mean: [1, -2], variance: [4, 0.25], count: 10)
    var x: [Double] = [3, -2, 1, 100, -1000, -2.5]
    s.normalize(&x, rows: 3, clip: 5)
    // (x − mean)/√(var + 1e-8): (3 − 1)/2 = 1, (−2 + 2)/0.5 = 0, 0, (100 + 2)/0.5 → clipped to 5,
    // (−1000 − 1)/2 → −5, (−2.5 + 2)/0.5 = −1.
    let expected: [Double] = [2 / (4 + 1e-8).squareRoot(), 0, 0, 5, -5, -0.5 / (0.25 + 1e-8).squareRoot()]
    for k in 0..<6 { #expect(abs(x[k] - expected[k]) < 1e-15) }
  }

  @Test func restoringRefusesBadStatistics() {
    #expect(throws: SwiftPGError.self) { try RunningMeanStd(mean: [0], variance: [1, 1], count: 1) }
    #expect(throws: SwiftPGError.self) { try RunningMeanStd(mean: [.nan], variance: [1], count: 1) }
    #expect(throws: SwiftPGError.self) { try RunningMeanStd(mean: [0], variance: [-1], count: 1) }
    #expect(throws: SwiftPGError.self) { try RunningMeanStd(mean: [0], variance: [1], count: 0) }
    #expect(throws: SwiftPGError.self) { try RunningMeanStd(mean: [0], variance: [1], count: .infinity) }
  }
}
