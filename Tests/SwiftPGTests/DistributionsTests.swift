#if canImport(Glibc)
  import Glibc
#endif
import Testing

@testable import SwiftPG

@Suite struct DistributionsTests {
  /// Moments of N(μ, σ²) truncated to [a, b] against the closed form
  /// mean = μ + σ(φ(α) − φ(β))/Z, within 5 standard errors.
  @Test(arguments: [(0.3, 0.1, -10.0, 10.0), (15.0, 0.1, -10.0, 10.0), (-30.0, 1.0, -10.0, 10.0), (0.0, 1.0, 0.5, 0.6)])
  func truncatedNormalMean(mean: Double, std: Double, low: Double, high: Double) {
    var g = PCG64(seed: 17)
    let n = 100_000
    var sum = 0.0
    var sumSq = 0.0
    for _ in 0..<n {
      let x = g.truncatedNormal(mean: mean, std: std, low: low, high: high)
      #expect(x >= low && x <= high)
      sum += x
      sumSq += x * x
    }
    let m = sum / Double(n)
    let sd = (sumSq / Double(n) - m * m).squareRoot()
    func phi(_ z: Double) -> Double { _exp(-z * z / 2) / (2 * Double.pi).squareRoot() }
    func cdf(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }
    let a = (low - mean) / std
    let b = (high - mean) / std
    // Far tails: E[Z | Z > α] = α + 1/α − 2/α³ + O(α⁻⁵) (Mills ratio).
    let expected: Double
    if a > 5 {
      expected = low + std * (1 / a - 2 / (a * a * a))
    } else if b < -5 {
      expected = high - std * (1 / -b - 2 / (-b * -b * -b))
    } else {
      expected = mean + std * (phi(a) - phi(b)) / (cdf(b) - cdf(a))
    }
    let tolerance = 5 * sd / Double(n).squareRoot() + (a > 5 || b < -5 ? 1e-4 * std : 0)
    #expect(abs(m - expected) <= tolerance, "mean \(m) vs \(expected)")
  }

  @Test func categoricalFrequencies() {
    var g = PCG64(seed: 3)
    let cdf: [Double] = [0.1, 0.5, 1.0]
    var counts = [0, 0, 0]
    let n = 60_000
    cdf.withUnsafeBufferPointer { c in
      guard let base = c.baseAddress else { return }
      for _ in 0..<n { counts[g.categorical(cumulative: base, count: 3)] += 1 }
    }
    for (k, p) in [0.1, 0.4, 0.5].enumerated() {
      #expect(abs(Double(counts[k]) / Double(n) - p) < 5 * (p * (1 - p) / Double(n)).squareRoot())
    }
  }

  /// Issue 11: a truncation interval ~1e308 standard deviations away gives
  /// the near bound.
  @Test func truncatedNormalFarAwayGivesTheNearBound() {
    var g = PCG64(seed: 1)
    #expect(g.truncatedNormal(mean: 1e308, std: 0.1, low: -10, high: 10) == 10)
    #expect(g.truncatedNormal(mean: -1e308, std: 0.1, low: -10, high: 10) == -10)
  }
}
