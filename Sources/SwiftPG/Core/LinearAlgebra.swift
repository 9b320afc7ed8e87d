/// Small dense linear algebra for exact computations (value functions of
/// tabular models, rating fits): sizes in the hundreds, plain loops.
public enum LinearAlgebra {
  /// Solves M x = b (n × n, row-major) by Gaussian elimination with partial
  /// pivoting; throws `.numerical` with `singular` if M is singular (a
  /// pivot below 1e-300 in magnitude).
  public static func solve(_ m: [Double], _ b: [Double], n: Int, singular: String = "the matrix is singular")
    throws(SwiftPGError) -> [Double]
  {
    try require(m.count == n * n && b.count == n, "solve takes an n × n matrix and n values (n = \(n))")
    return try solve(m, b, n: n, columns: 1, singular: singular)
  }

  /// The inverse of M (n × n, row-major): one elimination for the n columns
  /// of the identity (`solve`).
  public static func inverse(_ m: [Double], n: Int, singular: String = "the matrix is singular")
    throws(SwiftPGError) -> [Double]
  {
    try require(m.count == n * n, "inverse takes an n × n matrix (n = \(n))")
    var identity = [Double](repeating: 0, count: n * n)
    for i in 0..<n { identity[i * n + i] = 1 }
    return try solve(m, identity, n: n, columns: n, singular: singular)
  }

  /// M X = B for `k` right-hand sides (B and X n × k, row-major): each
  /// column sees the same operations in the same order as a single solve.
  static func solve(_ m: [Double], _ b: [Double], n: Int, columns k: Int, singular: String)
    throws(SwiftPGError) -> [Double]
  {
    var a = m
    var x = b
    for col in 0..<n {
      var pivot = col
      for r in (col + 1)..<Swift.max(col + 1, n) where abs(a[r * n + col]) > abs(a[pivot * n + col]) { pivot = r }
      guard abs(a[pivot * n + col]) > 1e-300 else { throw SwiftPGError(.numerical, singular) }
      if pivot != col {
        for c in 0..<n { a.swapAt(col * n + c, pivot * n + c) }
        for j in 0..<k { x.swapAt(col * k + j, pivot * k + j) }
      }
      let inv = 1 / a[col * n + col]
      for r in (col + 1)..<Swift.max(col + 1, n) {
        let f = a[r * n + col] * inv
        if f == 0 { continue }
        for c in col..<n { a[r * n + c] -= f * a[col * n + c] }
        for j in 0..<k { x[r * k + j] -= f * x[col * k + j] }
      }
    }
    var t = n - 1
    while t >= 0 {
      for j in 0..<k {
        var s = x[t * k + j]
        for c in (t + 1)..<Swift.max(t + 1, n) { s -= a[t * n + c] * x[c * k + j] }
        x[t * k + j] = s / a[t * n + t]
      }
      t -= 1
    }
    return x
  }
}
