import CMathShims
#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// Sums, norms, means and standard deviations that stay right for finite
/// values near the ends of the Double range (issue 11, kind 10).
///
/// Each function first computes the plain formula (so ordinary inputs give
/// exactly the bits they always did) and only when that overflowed or
/// underflowed recomputes with scaling: a sum of squares of values ~1e200
/// is +∞ although the norm (1e200·√n) is representable, and one of values
/// ~1e-200 is 0 although the norm is not.
public enum Statistics {
  /// Below this, a sum of squares may have lost digits to underflow.
  @usableFromInline static let underflowRisk = 0x1p-900

  /// ‖x[0..<n]‖₂ without spurious overflow or underflow; +∞ only when the
  /// true norm exceeds the Double range; NaN if any element is NaN.
  public static func norm(_ x: UnsafePointer<Double>, _ n: Int) -> Double {
    let s = spg_sum_squares(x, n)  // partial sums in a fixed order, vectorised
    if s.isFinite && (s >= underflowRisk || s == 0 && maxMagnitude(x, n) == 0) { return s.squareRoot() }
    if s.isNaN { return s }
    let m = maxMagnitude(x, n)
    guard m > 0, m.isFinite else { return m }
    var scaled = 0.0
    for i in 0..<n {
      let y = x[i] / m
      scaled += y * y
    }
    return m * scaled.squareRoot()
  }

  /// √(a² + b²) without spurious overflow or underflow (C's hypot).
  public static func hypot(_ a: Double, _ b: Double) -> Double {
    #if canImport(Glibc)
      Glibc.hypot(a, b)
    #else
      Musl.hypot(a, b)
    #endif
  }

  public static func norm(_ x: [Double]) -> Double {
    x.withUnsafeBufferPointer { b in b.baseAddress.map { norm($0, b.count) } ?? 0 }
  }

  /// max_i |x_i| (NaN if any element is NaN).
  public static func maxMagnitude(_ x: UnsafePointer<Double>, _ n: Int) -> Double {
    var m = 0.0
    for i in 0..<n {
      let a = Swift.abs(x[i])
      if a.isNaN { return a }
      if a > m { m = a }
    }
    return m
  }

  /// (Σ x) / n, without overflow of the running sum when the mean itself is
  /// representable.
  public static func mean(_ x: UnsafePointer<Double>, _ n: Int) -> Double {
    guard n > 0 else { return 0 }
    var s = 0.0
    for i in 0..<n { s += x[i] }
    if s.isFinite { return s / Double(n) }
    // A NaN or infinite element makes the mean NaN/∞ for real; otherwise
    // the sum overflowed: divide first.
    for i in 0..<n where !x[i].isFinite { return s }
    var scaled = 0.0
    let k = Double(n)
    for i in 0..<n { scaled += x[i] / k }
    return scaled
  }

  /// The mean and the population standard deviation √(Σ(x−μ)²/n), each
  /// right when representable (deviations are taken at half scale when the
  /// plain sum of squares overflows).
  public static func meanAndStd(_ x: UnsafePointer<Double>, _ n: Int) -> (mean: Double, std: Double) {
    guard n > 0 else { return (0, 0) }
    let mu = mean(x, n)
    var ss = 0.0
    for i in 0..<n { ss += (x[i] - mu) * (x[i] - mu) }
    let plain = (ss / Double(n)).squareRoot()
    if plain.isFinite && (ss >= underflowRisk || ss == 0) { return (mu, plain) }
    guard mu.isFinite else { return (mu, .nan) }
    // Half-scale deviations cannot overflow for finite x and μ.
    var m = 0.0
    for i in 0..<n { m = Swift.max(m, Swift.abs(x[i] / 2 - mu / 2)) }
    guard m > 0, m.isFinite else { return (mu, m.isNaN ? m : 0) }
    var scaled = 0.0
    for i in 0..<n {
      let y = (x[i] / 2 - mu / 2) / m
      scaled += y * y
    }
    return (mu, 2 * m * (scaled / Double(n)).squareRoot())
  }
}
