import Testing

@testable import SwiftPG

@Suite struct DiscountedReturnsTests {
  /// Hand-computed: G = r_t + d_t G_{t+1}, bootstrap 10.
  @Test func golden() throws {
    let g = try discountedReturns(rewards: [1, 2, 3], discounts: [0.5, 0.5, 0.5], bootstrap: 10)
    // G2 = 3 + 5 = 8; G1 = 2 + 4 = 6; G0 = 1 + 3 = 4.
    #expect(g == [4, 6, 8])
  }

  /// A zero discount separates two episodes concatenated in one column.
  @Test func episodeBoundary() throws {
    let g = try discountedReturns(rewards: [1, 1, 1, 1, 1], discounts: [0.9, 0.9, 0, 0.9, 0])
    let expected: [Double] = [1 + 0.9 * 1.9, 1.9, 1, 1.9, 1]
    #expect(g == expected)
  }

  /// Time-major [T, N] columns are independent.
  @Test func timeMajorColumns() {
    let rewards: [Double] = [1, 10, 2, 20]  // T = 2, N = 2
    let discounts: [Double] = [1, 0.5, 1, 0.5]
    let bootstrap: [Double] = [0, 100]
    var out = [Double](repeating: 0, count: 4)
    discountedReturns(rewards: rewards, discounts: discounts, bootstrap: bootstrap, steps: 2, batch: 2, into: &out)
    let expected: [Double] = [3, 45, 2, 70]  // column 1: 20 + 0.5·100 = 70, 10 + 0.5·70 = 45
    #expect(out == expected)
  }

  @Test func mismatchedLengthsThrow() {
    #expect(throws: SwiftPGError.self) { try discountedReturns(rewards: [1, 2], discounts: [1]) }
  }

  @Test func baselineAndStandardize() {
    var v: [Double] = [1, 2, 3, 6]
    let b = subtractMeanBaseline(&v, count: 4)
    #expect(b == 3)
    #expect(v == [-2, -1, 0, 3])
    let std = standardize(&v, count: 4, center: false, epsilon: 0)
    #expect(abs(std - (14.0 / 4).squareRoot()) < 1e-15)
    let meanSquare: Double = v.map { (x: Double) -> Double in x * x }.reduce(0, +) / 4
    #expect(abs(meanSquare - 1) < 1e-12)
  }
}
