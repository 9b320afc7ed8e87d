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

  /// The single-precision product sums each element in the order of k,
  /// each product and sum rounded: bit-identical to that scalar loop for
  /// every transpose, beta 0 or 1, and sizes around the kernel's blocks
  /// (16-column vectors, 64-column panels, 4-row tiles, 128-deep k
  /// blocks), and each row the same when computed alone.
  @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
  func sgemmIsTheOrderedSumBitForBit(transposeA: Bool, transposeB: Bool) {
    var g = PCG64(seed: 7)
    for (m, n, k) in [(1, 1, 1), (5, 17, 3), (9, 64, 130), (4, 80, 0), (13, 131, 257), (70, 2, 200), (3, 48, 128)] {
      let a = (0..<(m * k)).map { _ in Float(g.standardNormal()) }
      let b = (0..<(k * n)).map { _ in Float(g.standardNormal()) }
      let c0 = (0..<(m * n)).map { _ in Float(g.standardNormal()) }
      func opA(_ i: Int, _ p: Int) -> Float { transposeA ? a[p * m + i] : a[i * k + p] }
      func opB(_ p: Int, _ j: Int) -> Float { transposeB ? b[j * k + p] : b[p * n + j] }
      for beta: Float in [0, 1] {
        var expected = c0
        for i in 0..<m {
          for j in 0..<n {
            var s: Float = beta == 0 ? 0 : c0[i * n + j]
            for p in 0..<k {
              let product = opA(i, p) * opB(p, j)
              s = s + product
            }
            expected[i * n + j] = s
          }
        }
        var c = c0
        Dense.sgemm(
          transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a, lda: transposeA ? m : k, b: b,
          ldb: transposeB ? k : n, beta: beta, c: &c, ldc: n)
        #expect(c == expected, "m \(m) n \(n) k \(k) beta \(beta)")
        // Row i alone (op(A)'s row i as a 1 × k matrix, not transposed).
        for i in [0, m / 2, m - 1] {
          let row = (0..<k).map { opA(i, $0) }
          var ci = Array(c0[(i * n)..<((i + 1) * n)])
          Dense.sgemm(
            transposeA: false, transposeB: transposeB, m: 1, n: n, k: k, a: row, lda: Swift.max(k, 1), b: b,
            ldb: transposeB ? k : n, beta: beta, c: &ci, ldc: n)
          #expect(ci == Array(expected[(i * n)..<((i + 1) * n)]), "row \(i) of m \(m) n \(n) k \(k)")
        }
      }
    }
  }

  /// The double-precision product of the networks' passes: per block of
  /// 256 values of k, each element's products summed by one chain of fused
  /// multiply-adds from 0 in the order of k, then added to C (to +0 for
  /// beta 0) — bit-identical to that scalar loop for every transpose and
  /// sizes around the kernel's paths (n ≤ 3 by 64-row blocks, 8-row tiles
  /// for n mod 8, 4-row tiles, 16- and 32-column panels, 128-row blocks,
  /// k blocks), and each row the same when computed alone.
  @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
  func dgemmIsTheFusedChainBitForBit(transposeA: Bool, transposeB: Bool) {
    var g = PCG64(seed: 11)
    let shapes = [
      (1, 1, 1), (5, 17, 3), (9, 64, 130), (4, 80, 0), (13, 131, 257), (70, 2, 200), (3, 48, 128), (256, 7, 64),
      (1, 64, 256), (64, 3, 300), (130, 20, 10), (2, 40, 513),
    ]
    for (m, n, k) in shapes {
      let a = (0..<(m * k)).map { _ in g.standardNormal() }
      let b = (0..<(k * n)).map { _ in g.standardNormal() }
      let c0 = (0..<(m * n)).map { _ in g.standardNormal() }
      func opA(_ i: Int, _ p: Int) -> Double { transposeA ? a[p * m + i] : a[i * k + p] }
      func opB(_ p: Int, _ j: Int) -> Double { transposeB ? b[j * k + p] : b[p * n + j] }
      for beta in [0.0, 1.0] {
        var expected = c0
        for i in 0..<m {
          for j in 0..<n {
            var c = beta == 0 ? 0 : c0[i * n + j]
            for block in stride(from: 0, to: k, by: 256) {
              var s = 0.0
              for p in block..<Swift.min(k, block + 256) { s = s.addingProduct(opA(i, p), opB(p, j)) }
              c = c + s
            }
            expected[i * n + j] = c
          }
        }
        var c = c0
        Dense.dgemm(
          transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a, lda: transposeA ? m : k, b: b,
          ldb: transposeB ? k : n, beta: beta, c: &c, ldc: n)
        #expect(c == expected, "m \(m) n \(n) k \(k) beta \(beta)")
        for i in [0, m / 2, m - 1] {
          let row = (0..<k).map { opA(i, $0) }
          var ci = Array(c0[(i * n)..<((i + 1) * n)])
          Dense.dgemm(
            transposeA: false, transposeB: transposeB, m: 1, n: n, k: k, a: row, lda: Swift.max(k, 1), b: b,
            ldb: transposeB ? k : n, beta: beta, c: &ci, ldc: n)
          #expect(ci == Array(expected[(i * n)..<((i + 1) * n)]), "row \(i) of m \(m) n \(n) k \(k)")
        }
      }
    }
  }

  /// The sum of squares behind `Statistics.norm`: 32 partial sums in a
  /// fixed order, within rounding of the plain sum, exact on small integers.
  @Test func sumOfSquares() {
    var g = PCG64(seed: 3)
    for n in [0, 1, 31, 32, 33, 100, 1027] {
      let x = (0..<n).map { _ in g.standardNormal() }
      var plain = 0.0
      for v in x { plain += v * v }
      #expect(abs(Statistics.norm(x) - plain.squareRoot()) <= 1e-14 * Swift.max(1, plain.squareRoot()))
    }
    let ones = [Double](repeating: 2, count: 1000)
    #expect(Statistics.norm(ones) == (4000.0).squareRoot())
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
