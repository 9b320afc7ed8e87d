/// Sampling from the distributions the environments need.

extension RandomNumberGenerator {
  /// A draw from N(mean, std²) truncated to [low, high] (low < high, std > 0).
  ///
  /// Exact for every mean: plain rejection when the mean lies inside the
  /// interval (acceptance ≥ ½·P(interval)), otherwise Robert's (1995)
  /// exponential-proposal rejection on the near tail, which stays efficient
  /// however far the mean is from the interval.
  public mutating func truncatedNormal(mean: Double, std: Double, low: Double, high: Double) -> Double {
    let a = (low - mean) / std
    let b = (high - mean) / std
    // The interval is beyond the Double range in units of std (a mean ~1e308
    // away, or std ~0): the distribution is a point mass at the nearer bound
    // (or at the mean when it lies inside).
    guard a.isFinite && b.isFinite else { return Swift.min(Swift.max(mean, low), high) }
    if a <= 0 && b >= 0 && b - a >= 1 {
      while true {
        let z = standardNormal()
        if z >= a && z <= b { return mean + std * z }
      }
    }
    // Sample z from N(0,1) on [lo, hi] with lo ≥ 0 (mirror when needed).
    let mirrored = b < 0 || (a < 0 && -a > b)
    let lo = mirrored ? Swift.max(-b, 0) : Swift.max(a, 0)
    let hi = mirrored ? -a : b
    let z: Double
    if hi - lo < 1e-3 || lo == 0 {
      // Narrow (or touching 0): uniform proposal, accept ∝ exp(−z²/2)/exp(−lo²/2).
      var v: Double
      repeat {
        v = lo + (hi - lo) * nextUnitDouble()
      } while nextUnitDouble() > _exp((lo * lo - v * v) / 2)
      z = v
    } else {
      let lambda = (lo + (lo * lo + 4).squareRoot()) / 2
      var v: Double
      repeat {
        v = lo - _log(1 - nextUnitDouble()) / lambda
      } while v > hi || nextUnitDouble() > _exp(-(v - lambda) * (v - lambda) / 2)
      z = v
    }
    return mean + std * (mirrored ? -z : z)
  }

  /// An index drawn from a cumulative distribution `cdf[0..<count]` (last
  /// entry ~1): the first k with u < cdf[k] (the last index if rounding
  /// leaves u above every entry).
  public mutating func categorical(cumulative cdf: UnsafePointer<Double>, count: Int) -> Int {
    let u = nextUnitDouble()
    for k in 0..<count where u < cdf[k] { return k }
    return count - 1
  }
}
