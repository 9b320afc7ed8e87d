import Testing

@testable import SwiftPG

@Suite struct FastMathTests {
  /// Within 4 ulp of libm's tanh everywhere we sample (and exact limits).
  @Test func tanhMatchesLibm() {
    var worst = 0.0
    for x in ScaledSamples(seed: 1, count: 2_000_000, scales: [1.3, 4, 30, 100]) {
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

  /// The float kernel (float32 networks) is within 3 float ulp of tanh
  /// (libm in double, rounded), with exact limits and odd symmetry.
  @Test func floatTanhMatchesLibm() {
    var xs = ScaledSamples(seed: 3, count: 400_000, scales: [1.3, 4, 30, 100]).map { Float($0) }
    xs += [0, 0.625, -0.625, 1e-30, 50, -50]
    var ys = xs
    ys.withUnsafeMutableBufferPointer { p in
      guard let base = p.baseAddress else { return }
      FastMath.tanh(base, count: p.count)
    }
    var worst: Float = 0
    for (x, y) in zip(xs, ys) {
      let exact = Float(_tanh(Double(x)))
      worst = Swift.max(worst, abs(y - exact) / Swift.max(exact.magnitude.ulp, Float.leastNormalMagnitude))
    }
    #expect(worst <= 3, "worst error \(worst) float ulp")
    let n = ys.count
    #expect(ys[n - 6] == 0 && ys[n - 4] == -ys[n - 5] && ys[n - 3] == 1e-30 && ys[n - 2] == 1 && ys[n - 1] == -1)
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
