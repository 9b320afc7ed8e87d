import CMathShims
import COpenBLAS

/// Dense linear algebra on row-major matrices through OpenBLAS.
public enum Dense {
  private static let singleThreaded: Bool = {
    // Single-threaded: the batches here are small, and threads spun up by
    // OpenBLAS would compete with the caller's own parallelism.
    openblas_set_num_threads(1)
    return true
  }()

  /// C = alpha · op(A) · op(B) + beta · C, with op(X) = X or Xᵀ; C is m × n.
  @inlinable
  public static func gemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    alpha: Double, a: UnsafePointer<Double>, lda: Int,
    b: UnsafePointer<Double>, ldb: Int,
    beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
  ) {
    rowMajor(transposeA, transposeB, m: m, n: n, beta: beta, c: c, ldc: ldc) { (ta, tb, beta) in
      cblas_dgemm(
        CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
  }

  /// What both precisions' products do around the BLAS call `gemm`: the
  /// single-threaded set-up, C zeroed for beta = 0 (`zeroed`) and the
  /// transposes as CBLAS flags; `gemm` gets the flags and the beta to pass.
  @inlinable
  static func rowMajor<T: BinaryFloatingPoint>(
    _ transposeA: Bool, _ transposeB: Bool, m: Int, n: Int, beta: T, c: UnsafeMutablePointer<T>, ldc: Int,
    _ gemm: (CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, T) -> Void
  ) {
    _ = singleThreadedOnce
    let beta = zeroed(beta, c, m: m, n: n, ldc: ldc)
    gemm(transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans, beta)
  }

  /// beta = 0: C is zeroed here and the product accumulates into it with
  /// beta = 1 — the same values (0 + x = x), but OpenBLAS's own zeroing of
  /// a row-major C (column by column of the transposed problem) cost as
  /// much as a sixth of a small network's update. Other betas pass through.
  @usableFromInline
  static func zeroed<T: BinaryFloatingPoint>(
    _ beta: T, _ c: UnsafeMutablePointer<T>, m: Int, n: Int, ldc: Int
  ) -> T {
    guard beta == 0, m > 0, n > 0 else { return beta }
    if ldc == n {
      c.update(repeating: 0, count: m * n)
    } else {
      for r in 0..<m { (c + r * ldc).update(repeating: 0, count: n) }
    }
    return 1
  }

  /// Single-precision C = op(A)·op(B) + beta·C (alpha 1), by `spg_sgemm`
  /// rather than OpenBLAS: every element is the products summed in the
  /// order of k, each rounded, so a row of C depends only on its row of
  /// op(A) — not on m, on how a batch is split between workers, or on the
  /// CPU (CMathShims/sgemm.c; NaN payloads aside). Betas other than 0 and
  /// 1 scale C first. C must not overlap A or B.
  public static func sgemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    orderedProduct(
      spg_sgemm, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
      beta: beta, c: c, ldc: ldc)
  }

  /// Double-precision C = op(A)·op(B) + beta·C (alpha 1) for the small
  /// products of the networks' passes, by `spg_dgemm` rather than OpenBLAS
  /// (whose packing dominated products of a few hundred rows): per block of
  /// 256 values of k, each element's products summed by one chain of fused
  /// multiply-adds in the order of k, then added to C — OpenBLAS's Haswell
  /// arithmetic up to 256 inputs (so the float64 results do not change
  /// there), with every element depending only on its row of op(A) and
  /// column of op(B), on every CPU (CMathShims/training.c). Beta 0: C's
  /// values are not read (the sums are added to +0); other betas than 0
  /// and 1 scale C first. C must not overlap A or B.
  public static func dgemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
    beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
  ) {
    orderedProduct(
      spg_dgemm, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
      beta: beta, c: c, ldc: ldc)
  }

  /// `sgemm` and `dgemm`: betas other than 0 and 1 scale C, then `kernel`
  /// (row and column strides of op(A) and op(B); accumulate = beta ≠ 0).
  private static func orderedProduct<T: BinaryFloatingPoint>(
    _ kernel: (
      Int, Int, Int, UnsafePointer<T>, Int, Int, UnsafePointer<T>, Int, Int, UnsafeMutablePointer<T>, Int, Int32
    ) -> Void,
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<T>, lda: Int,
    b: UnsafePointer<T>, ldb: Int, beta: T, c: UnsafeMutablePointer<T>, ldc: Int
  ) {
    guard m > 0, n > 0 else { return }
    if beta != 0 && beta != 1 {
      for r in 0..<m {
        for j in 0..<n { c[r * ldc + j] *= beta }
      }
    }
    kernel(
      m, n, Swift.max(k, 0), a, transposeA ? 1 : lda, transposeA ? lda : 1, b, transposeB ? 1 : ldb,
      transposeB ? ldb : 1, c, ldc, beta == 0 ? 0 : 1)
  }

  @usableFromInline static var singleThreadedOnce: Bool { singleThreaded }

  /// Euclidean norm of `x[0..<n]`.
  public static func norm(_ x: UnsafePointer<Double>, _ n: Int) -> Double { Statistics.norm(x, n) }
}

extension Array where Element == Double {
  /// True when every element is finite.
  public var allFinite: Bool {
    withUnsafeBufferPointer { b in b.baseAddress.map { spg_all_finite($0, b.count) != 0 } ?? true }
  }
}

/// xⁿ by repeated squaring (n ≥ 0): Adam's bias corrections, γᵗ factors.
@inline(__always) func powInt(_ x: Double, _ n: Int) -> Double {
  var r = 1.0
  var b = x
  var e = n
  while e > 0 {
    if e & 1 == 1 { r *= b }
    b *= b
    e >>= 1
  }
  return r
}
