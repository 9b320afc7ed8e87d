import Testing

@testable import SwiftPG

/// Statistics.swift: norms, means and standard deviations at the ends of
/// the Double range (issue 11, kind 10), and the plain path's bits unchanged.
@Suite struct StatisticsTests {
  func norm(_ x: [Double]) -> Double { Statistics.norm(x) }

  func meanAndStd(_ x: [Double]) -> (mean: Double, std: Double) {
    x.withUnsafeBufferPointer { Statistics.meanAndStd($0.baseAddress!, $0.count) }
  }

  @Test func ordinaryValuesGiveThePlainFormulasBits() {
    var g = PCG64(seed: 4)
    let x = (0..<1000).map { _ in g.standardNormal() * 3 + 1 }
    // The sum of squares: 32 partial sums (lane l takes i ≡ l mod 32), a
    // fixed pairwise tree (vectors of 8 added as (a0 + a1) + (a2 + a3),
    // then lanes ((t0 + t1) + (t2 + t3)) + ((t4 + t5) + (t6 + t7))), then
    // the remaining terms in order.
    var lanes = [Double](repeating: 0, count: 32)
    let whole = x.count / 32 * 32
    for i in 0..<whole { lanes[i % 32] += x[i] * x[i] }
    var t = [Double](repeating: 0, count: 8)
    for j in 0..<8 {
      let low: Double = lanes[j] + lanes[8 + j]
      let high: Double = lanes[16 + j] + lanes[24 + j]
      t[j] = low + high
    }
    let left: Double = (t[0] + t[1]) + (t[2] + t[3])
    let right: Double = (t[4] + t[5]) + (t[6] + t[7])
    var s = left + right
    for i in whole..<x.count { s += x[i] * x[i] }
    #expect(norm(x).bitPattern == s.squareRoot().bitPattern)
    var sum = 0.0
    for v in x { sum += v }
    let mean = sum / 1000
    var ss = 0.0
    for v in x { ss += (v - mean) * (v - mean) }
    let (m, sd) = meanAndStd(x)
    #expect(m.bitPattern == mean.bitPattern && sd.bitPattern == (ss / 1000).squareRoot().bitPattern)
  }

  @Test func hugeAndTinyValues() {
    #expect(norm([1e200, 1e200, 1e200, 1e200]) == 2e200)  // the squares overflow
    #expect(Swift.abs(norm([3e-200, 4e-200]) - 5e-200) <= 1e-215)  // the squares underflow
    #expect(norm([1e308, 1e308]).isFinite)
    #expect(norm([.greatestFiniteMagnitude, .greatestFiniteMagnitude]) == .infinity)  // truly out of range
    #expect(norm([1, .nan]).isNaN && norm([1, .infinity]) == .infinity && norm([]) == 0 && norm([0, 0]) == 0)
    let (m, sd) = meanAndStd([1.5e308, 1.5e308, -1.5e308, -1.5e308])
    #expect(m == 0 && sd == 1.5e308)
    let (m2, sd2) = meanAndStd([1.7e308, 1.7e308])
    #expect(m2 == 1.7e308 && sd2 == 0)
    #expect(Swift.abs(Statistics.hypot(3e200, 4e200) / 5e200 - 1) < 1e-15)
  }

  /// `standardize`: scaling by a standard deviation never amplifies
  /// constant values (kind 11); centring still happens.
  @Test func standardizeSkipsScalingOfConstantValues() {
    var x = [5.0, 5.0, 5.0, 5.0]
    let sd = standardize(&x, count: 4, center: true)
    #expect(sd == 0 && x == [0, 0, 0, 0])
    var y = [1e9, 1e9 + 1e-7, 1e9, 1e9]  // std ~4e-8 < 1e-8·|mean|: rounding noise
    standardize(&y, count: 4, center: false)
    #expect(y[0] == 1e9)
    var z = [1.0, 3.0]
    standardize(&z, count: 2, center: true)
    #expect(Swift.abs(z[0] + 1) < 1e-7 && Swift.abs(z[1] - 1) < 1e-7)
    #expect(stdScaleDivisor(std: 0, mean: 0) == nil && stdScaleDivisor(std: 1, mean: 1e6) == 1 + 1e-8)
    #expect(stdScaleDivisor(std: 1, mean: 1e12) == nil)  // 1 < 1e-8·1e12: noise at this scale
  }
}
