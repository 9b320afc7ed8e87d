import Testing

@testable import SwiftPG

/// BLAS products against the naive triple loop, and the small helpers.
@Suite struct DenseTests {
  /// C = α op(A) op(B) + β C for every transpose combination (4×3 result,
  /// inner size 5), double and single precision.
  @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
  func gemmMatchesTheNaiveProduct(transposeA: Bool, transposeB: Bool) {
    let (m, n, k) = (4, 3, 5)
    var g = PCG64(seed: 1)
    let a = (0..<(m * k)).map { _ in g.standardNormal() }  // op(A) is m × k
    let b = (0..<(k * n)).map { _ in g.standardNormal() }  // op(B) is k × n
    let c0 = (0..<(m * n)).map { _ in g.standardNormal() }
    func opA(_ i: Int, _ p: Int) -> Double { transposeA ? a[p * m + i] : a[i * k + p] }
    func opB(_ p: Int, _ j: Int) -> Double { transposeB ? b[j * k + p] : b[p * n + j] }
    var expected = c0
    for i in 0..<m {
      for j in 0..<n {
        var s = 0.0
        for p in 0..<k { s += opA(i, p) * opB(p, j) }
        expected[i * n + j] = 2 * s + 0.5 * c0[i * n + j]
      }
    }
    var c = c0
    Dense.gemm(
      transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 2, a: a,
      lda: transposeA ? m : k, b: b, ldb: transposeB ? k : n, beta: 0.5, c: &c, ldc: n)
    #expect(zip(c, expected).allSatisfy { abs($0 - $1) < 1e-13 })
    var cf = c0.map { Float($0) }
    Dense.sgemm(
      transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a.map { Float($0) },
      lda: transposeA ? m : k, b: b.map { Float($0) }, ldb: transposeB ? k : n, beta: 0.5, c: &cf, ldc: n)
    // sgemm has α = 1: compare with (expected − β c0)/2 + β c0.
    for i in 0..<(m * n) {
      let want = (expected[i] - 0.5 * c0[i]) / 2 + 0.5 * c0[i]
      #expect(abs(Double(cf[i]) - want) < 1e-5)
    }
  }

  @Test func allFinite() {
    #expect([Double]().allFinite && [1.0, -2, 1e308].allFinite)
    #expect(![1.0, .nan].allFinite && ![Double.infinity].allFinite)
    // Past any vector width: the last element alone is checked too.
    var long = [Double](repeating: 1, count: 1027)
    #expect(long.allFinite)
    long[1026] = -.infinity
    #expect(!long.allFinite)
  }

  @Test func integerPowersAndNorm() {
    #expect(powInt(2, 10) == 1024 && powInt(0.5, 3) == 0.125 && powInt(-2, 3) == -8 && powInt(7, 0) == 1)
    #expect(abs(powInt(0.99, 100) - _pow(0.99, 100)) < 1e-15)
    let x: [Double] = [3, 4, 12]
    #expect(Dense.norm(x, 3) == 13)
  }
}
