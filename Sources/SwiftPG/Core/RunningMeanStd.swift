/// Running mean and variance of vectors (Chan et al.'s parallel update, as
/// SB3's `RunningMeanStd`), starting from a pseudo-count of 1e-4.
public struct RunningMeanStd: Sendable {
  public private(set) var mean: [Double]
  public private(set) var variance: [Double]
  public private(set) var count: Double

  public init(width: Int) {
    mean = Array(repeating: 0, count: width)
    variance = Array(repeating: 1, count: width)
    count = 1e-4
  }

  /// Restores saved statistics (checkpoints).
  public init(mean: [Double], variance: [Double], count: Double) throws(SwiftPGError) {
    try require(mean.count == variance.count, "normaliser mean and variance sizes differ")
    try require(
      mean.allFinite && variance.allFinite && variance.allSatisfy { $0 >= 0 } && count > 0
        && count.isFinite,
      "normaliser statistics must be finite, variances >= 0 and count > 0", code: .notFinite)
    self.mean = mean
    self.variance = variance
    self.count = count
  }

  public var width: Int { mean.count }

  /// Folds in `rows` vectors of `width` values.
  public mutating func update(_ x: UnsafePointer<Double>, rows: Int) {
    guard rows > 0 else { return }
    let w = width
    let n = Double(rows)
    for j in 0..<w {
      var m = 0.0
      for r in 0..<rows { m += x[r * w + j] }
      m /= n
      var v = 0.0
      for r in 0..<rows {
        let e = x[r * w + j] - m
        v += e * e
      }
      v /= n
      let delta = m - mean[j]
      let total = count + n
      mean[j] += delta * n / total
      variance[j] = (variance[j] * count + v * n + delta * delta * count * n / total) / total
    }
    count += n
  }

  /// x ← clip((x − mean) / √(var + 1e-8), −clip, clip) row by row, in place.
  public func normalize(_ x: UnsafeMutablePointer<Double>, rows: Int, clip: Double) {
    let w = width
    for j in 0..<w {
      let s = 1 / (variance[j] + 1e-8).squareRoot()
      for r in 0..<rows {
        let k = r * w + j
        x[k] = Swift.min(Swift.max((x[k] - mean[j]) * s, -clip), clip)
      }
    }
  }
}
