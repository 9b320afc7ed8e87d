import Testing

@testable import SwiftPG

@Suite struct ZerothOrderTests {
  func solve(_ d: [Double], _ du: [Double], rows: Int, columns: Int) throws -> [Double] {
    var out = [Double](repeating: .nan, count: columns)
    try d.withUnsafeBufferPointer { dp in
      try du.withUnsafeBufferPointer { up in
        try out.withUnsafeMutableBufferPointer { op in
          guard let a = dp.baseAddress, let b = up.baseAddress, let o = op.baseAddress else { return }
          try regressionGradient(perturbations: a, changes: b, rows: rows, columns: columns, into: o)
        }
      }
    }
    return out
  }

  /// An exactly linear utility U(θ + d) − U(θ) = gᵀd is recovered from P
  /// or more independent directions.
  @Test func recoversLinearGradient() throws {
    let g = [0.5, -2.0, 3.0]
    let d: [Double] = [1, 0.2, -0.3, 0.1, -1, 0.4, 0.7, 0.3, 1.1, -0.5, 0.6, 0.2]
    let du = (0..<4).map { (i: Int) -> Double in (0..<3).reduce(0.0) { (s: Double, j: Int) -> Double in s + d[i * 3 + j] * g[j] } }
    let fit = try solve(d, du, rows: 4, columns: 3)
    for j in 0..<3 { #expect(abs(fit[j] - g[j]) < 1e-12) }
  }

  /// Fewer directions than parameters: the minimum-norm solution, which
  /// lies in the row space — here one direction e₁ + e₂ with ΔU = 2 gives (1, 1, 0).
  @Test func minimumNormWhenWide() throws {
    let fit = try solve([1, 1, 0], [2], rows: 1, columns: 3)
    #expect(abs(fit[0] - 1) < 1e-12 && abs(fit[1] - 1) < 1e-12 && abs(fit[2]) < 1e-12)
  }

  /// Least squares: the residual of the fit is orthogonal to the columns.
  @Test func leastSquaresNormalEquations() throws {
    let d: [Double] = [1, 2, 3, 4, 5, 7, -1, 0, 2, 2]
    let du: [Double] = [1, -1, 2, 0.5, 3]
    let fit = try solve(d, du, rows: 5, columns: 2)
    for j in 0..<2 {
      var dot = 0.0
      for i in 0..<5 { dot += d[i * 2 + j] * (du[i] - d[i * 2] * fit[0] - d[i * 2 + 1] * fit[1]) }
      #expect(abs(dot) < 1e-10)
    }
  }

  @Test func rankDeficientIsAnError() {
    #expect(throws: SwiftPGError.self) { try solve([1, 2, 2, 4], [1, 2], rows: 2, columns: 2) }
  }

  @Test func finiteDifferences() {
    var out = [0.0, 0.0]
    let plus = [2.0, 0.5]
    let minus = [1.0, 1.5]
    plus.withUnsafeBufferPointer { p in
      minus.withUnsafeBufferPointer { m in
        out.withUnsafeMutableBufferPointer { o in
          guard let pp = p.baseAddress, let mp = m.baseAddress, let op = o.baseAddress else { return }
          finiteDifferenceGradient(base: 1, plus: pp, minus: nil, count: 2, delta: 0.5, into: op)
          #expect(o[0] == 2 && o[1] == -1)
          finiteDifferenceGradient(base: 1, plus: pp, minus: mp, count: 2, delta: 0.5, into: op)
          #expect(o[0] == 1 && o[1] == -1)
        }
      }
    }
  }
}
