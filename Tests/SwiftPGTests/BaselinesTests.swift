import Testing

@testable import SwiftPG

/// Estimators/Baselines.swift on its own (not only through Python):
/// mean and leave-one-out baselines, standardisation.
@Suite struct BaselinesTests {
  @Test func meanBaselineCentresAndReturnsTheMean() {
    var x = [1.0, 2.0, 6.0]
    let b = subtractMeanBaseline(&x, count: 3)
    #expect(b == 3 && x == [-2, -1, 3])
  }

  /// RLOO (Kool et al. 2019): b_i is the mean of the other samples, and
  /// Σ_i ψ_i = M/(M−1) · Σ_i (G_i − mean).
  @Test func leaveOneOutUsesTheOtherSamples() {
    var x = [1.0, 2.0, 6.0]
    let mean = x.withUnsafeMutableBufferPointer { subtractLeaveOneOutMean($0.baseAddress!, count: 3) }
    #expect(mean == 3)
    let expected: [Double] = [-3, -1.5, 4.5]  // G_i − (Σ_j G_j − G_i)/2
    #expect(x == expected)
    #expect(Swift.abs(x.reduce(0, +)) < 1e-12)  // M/(M−1)·Σ(G − mean) = 0
    var one = [5.0]
    #expect(one.withUnsafeMutableBufferPointer { subtractLeaveOneOutMean($0.baseAddress!, count: 1) } == 5)
  }

  /// The same at values whose plain sum overflows (issue 11, kind 10).
  @Test func baselinesAtHugeValues() {
    var x = [1.5e308, 1.5e308]
    #expect(subtractMeanBaseline(&x, count: 2) == 1.5e308 && x == [0, 0])
    var y = [1.5e308, 1.5e308, 0.5e308]
    _ = y.withUnsafeMutableBufferPointer { subtractLeaveOneOutMean($0.baseAddress!, count: 3) }
    #expect(Swift.abs(y[0] / 0.5e308 - 1) < 1e-12 && Swift.abs(y[2] / -1e308 - 1) < 1e-12)
  }

  @Test func standardizeGivesUnitStd() {
    var x = [1.0, 2.0, 3.0, 4.0]
    let sd = standardize(&x, count: 4, center: true)
    #expect(Swift.abs(sd - 1.25.squareRoot()) < 1e-15)
    let mean = x.reduce(0, +) / 4
    let variance = x.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 4
    #expect(Swift.abs(mean) < 1e-15 && Swift.abs(variance - 1) < 1e-7)
    var y = [2.0, 4.0]
    standardize(&y, count: 2, center: false)  // divided, not centred
    #expect(Swift.abs(y[0] - 2) < 1e-7 && Swift.abs(y[1] - 4) < 1e-7)
  }
}
