import Testing

@testable import SwiftPG

@Suite struct FastMathTests {
  /// Within 4 ulp of libm's tanh everywhere we sample (and exact limits).
  @Test func tanhMatchesLibm() {
    var g = PCG64(seed: 1)
    var worst = 0.0
    for k in 0..<2_000_000 {
      let x = (g.nextUnitDouble() - 0.5) * [1.3, 4, 30, 100][k % 4]
      let exact = _tanh(x)
      let ulps = abs(FastMath.tanh(x) - exact) / Swift.max(exact.magnitude.ulp, Double.leastNormalMagnitude)
      worst = Swift.max(worst, ulps)
    }
    #expect(worst <= 4, "worst error \(worst) ulp")
    #expect(FastMath.tanh(0) == 0 && FastMath.tanh(1e300) == 1 && FastMath.tanh(-1e300) == -1)
    #expect(FastMath.tanh(-0.3) == -FastMath.tanh(0.3))
    #expect(abs(FastMath.tanh(1e-300) - 1e-300) == 0)
  }

  /// The vector kernel (whichever instruction set the CPU selects) gives the
  /// same bits as the Swift scalar code.
  @Test func vectorKernelEqualsScalarCode() {
    var g = PCG64(seed: 2)
    var xs = (0..<100_003).map { _ in (g.nextUnitDouble() - 0.5) * 12 } + [0, -0, 1e-300, 30, -30, 0.625, -0.625]
    let scalar = xs.map { FastMath.tanh($0) }
    xs.withUnsafeMutableBufferPointer { p in
      guard let base = p.baseAddress else { return }
      FastMath.tanh(base, count: p.count)
    }
    #expect(xs.map(\.bitPattern) == scalar.map(\.bitPattern))
  }

  @Test func expMatchesLibm() {
    var worst = 0.0
    for i in 0...70_000 {
      let y = Double(i) * 0.01
      let exact = _exp(y)
      worst = Swift.max(worst, abs(FastMath.expNonNegative(y) - exact) / exact.ulp)
    }
    #expect(worst <= 4, "worst error \(worst) ulp")
  }
}
