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

extension RandomNumberGenerator {
  /// A draw from Gamma(shape, 1) (shape > 0, finite): Marsaglia & Tsang's
  /// (2000) squeeze-and-reject method for shape ≥ 1, and for shape < 1
  /// Gamma(shape + 1) · U^(1/shape) (their boosting). Mean = variance = shape.
  public mutating func gamma(shape: Double) -> Double {
    if shape < 1 {
      let u = 1 - nextUnitDouble()  // (0, 1]
      return gamma(shape: shape + 1) * _pow(u, 1 / shape)
    }
    let d = shape - 1.0 / 3
    let c = 1 / (9 * d).squareRoot()
    while true {
      var x: Double
      var v: Double
      repeat {
        x = standardNormal()
        v = 1 + c * x
      } while v <= 0
      v = v * v * v
      let u = 1 - nextUnitDouble()  // (0, 1]
      if u < 1 - 0.0331 * x * x * x * x { return d * v }
      if _log(u) < 0.5 * x * x + d * (1 - v + _log(v)) { return d * v }
    }
  }

  /// A draw from the symmetric Dirichlet(α, …, α) over `count` entries into
  /// `out` (normalised Gamma(α) draws; α > 0 finite, count ≥ 1): AlphaZero's
  /// root noise (Silver et al. 2018: α = 0.3 chess, 0.03 Go; ε = 0.25).
  /// A draw whose gammas all underflow to 0 (tiny α) puts all mass on one
  /// uniformly chosen entry, the limit of the distribution as α → 0.
  public mutating func dirichlet(alpha: Double, count: Int, into out: UnsafeMutablePointer<Double>) {
    var sum = 0.0
    for i in 0..<count {
      out[i] = gamma(shape: alpha)
      sum += out[i]
    }
    if sum > 0 {
      for i in 0..<count { out[i] /= sum }
    } else if count > 0 {
      let k = Int.random(in: 0..<count, using: &self)
      for i in 0..<count { out[i] = i == k ? 1 : 0 }
    }
  }
}
