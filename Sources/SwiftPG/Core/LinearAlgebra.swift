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
    var a = m
    var x = b
    for col in 0..<n {
      var pivot = col
      for r in (col + 1)..<Swift.max(col + 1, n) where abs(a[r * n + col]) > abs(a[pivot * n + col]) { pivot = r }
      guard abs(a[pivot * n + col]) > 1e-300 else { throw SwiftPGError(.numerical, singular) }
      if pivot != col {
        for k in 0..<n { a.swapAt(col * n + k, pivot * n + k) }
        x.swapAt(col, pivot)
      }
      let inv = 1 / a[col * n + col]
      for r in (col + 1)..<Swift.max(col + 1, n) {
        let f = a[r * n + col] * inv
        if f == 0 { continue }
        for k in col..<n { a[r * n + k] -= f * a[col * n + k] }
        x[r] -= f * x[col]
      }
    }
    var t = n - 1
    while t >= 0 {
      var s = x[t]
      for k in (t + 1)..<Swift.max(t + 1, n) { s -= a[t * n + k] * x[k] }
      x[t] = s / a[t * n + t]
      t -= 1
    }
    return x
  }

  /// The inverse of M (n × n, row-major), column by column (`solve`).
  public static func inverse(_ m: [Double], n: Int, singular: String = "the matrix is singular")
    throws(SwiftPGError) -> [Double]
  {
    var out = [Double](repeating: 0, count: n * n)
    for j in 0..<n {
      var e = [Double](repeating: 0, count: n)
      e[j] = 1
      let col = try solve(m, e, n: n, singular: singular)
      for i in 0..<n { out[i * n + j] = col[i] }
    }
    return out
  }
}
