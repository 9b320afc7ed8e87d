import Testing

@testable import SwiftPG

/// Critics/ExplainedVariance.swift: 1 − Var[y − V] / Var[y] (population variances).
@Suite struct ExplainedVarianceTests {
  func ev(_ y: [Double], _ v: [Double]) -> Double { explainedVariance(targets: y, predictions: v, count: y.count) }

  @Test func goldenValue() {
    // y = (1, 2, 3, 4): mean 2.5, Var[y] = (2.25 + 0.25 + 0.25 + 2.25)/4 = 1.25.
    // V = (1, 2, 3, 5): y − V = (0, 0, 0, −1), mean −0.25,
    // Var = (3·0.0625 + 0.5625)/4 = 0.1875 ⇒ 1 − 0.1875/1.25 = 0.85.
    #expect(abs(ev([1, 2, 3, 4], [1, 2, 3, 5]) - 0.85) < 1e-15)
  }

  @Test func identities() {
    let y: [Double] = [0.5, -2, 3, 1, 7]
    // A constant offset is not penalised (the errors' variance is 0).
    #expect(ev(y, y.map { $0 + 7 }) == 1)
    // Predicting the mean explains nothing.
    let mean = y.reduce(0, +) / Double(y.count)
    #expect(abs(ev(y, [Double](repeating: mean, count: y.count))) < 1e-15)
    // The mirror image 2·mean − y: errors 2(y − mean), four times Var[y] ⇒ 1 − 4 = −3.
    #expect(abs(ev(y, y.map { 2 * mean - $0 }) + 3) < 1e-14)
    // Fewer than two rows, or constant targets: 0.
    #expect(ev([1], [5]) == 0)
    #expect(ev([2, 2, 2], [1, 2, 3]) == 0)
  }
}
