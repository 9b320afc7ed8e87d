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

/// Core/Distributions.swift: Gamma(k) draws have mean k and variance k;
/// symmetric Dirichlet draws sum to 1 with each mean 1/K and variance
/// (K − 1)/(K²(Kα + 1)).
extension DistributionsTests {
  /// 40 000 draws: the mean within 5 standard errors (√(k/n)).
  @Test(arguments: [0.03, 0.3, 1.0, 2.5])
  func gammaMeanIsTheShape(shape: Double) {
    var g = SplitMix64(seed: 21)
    let n = 40_000
    var sum = 0.0
    var sumSq = 0.0
    for _ in 0..<n {
      let x = g.gamma(shape: shape)
      #expect(x >= 0 && x.isFinite)
      sum += x
      sumSq += x * x
    }
    let mean = sum / Double(n)
    #expect(abs(mean - shape) < 5 * (shape / Double(n)).squareRoot())
    let variance = sumSq / Double(n) - mean * mean
    #expect(abs(variance - shape) < 0.1 * shape)  // a loose check of the spread (the estimate's CV is a few %)
  }

  @Test func dirichletMomentsAndSum() {
    var g = SplitMix64(seed: 22)
    let (k, alpha, n) = (5, 0.3, 20_000)
    var out = [Double](repeating: 0, count: k)
    var sum = [Double](repeating: 0, count: k)
    for _ in 0..<n {
      g.dirichlet(alpha: alpha, count: k, into: &out)
      #expect(abs(out.reduce(0, +) - 1) < 1e-12 && out.allSatisfy { $0 >= 0 })
      for i in 0..<k { sum[i] += out[i] }
    }
    let variance = Double(k - 1) / (Double(k * k) * (Double(k) * alpha + 1))
    let se = (variance / Double(n)).squareRoot()
    for i in 0..<k { #expect(abs(sum[i] / Double(n) - 1 / Double(k)) < 5 * se) }
    // A tiny α whose gammas underflow still gives a distribution.
    g.dirichlet(alpha: 1e-300, count: k, into: &out)
    #expect(out.reduce(0, +) == 1)
  }
}
