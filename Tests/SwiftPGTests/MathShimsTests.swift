import Testing

@testable import SwiftPG

/// `count` arguments across magnitudes for the libm comparisons:
/// x_k = (u_k − ½)·scales[k mod scales.count] with u_k uniform in [0, 1)
/// from `PCG64(seed:)`.
struct ScaledSamples: Sequence, IteratorProtocol {
  private var generator: PCG64
  private let scales: [Double]
  private let count: Int
  private var k = 0

  init(seed: UInt128, count: Int, scales: [Double]) {
    (generator, self.scales, self.count) = (PCG64(seed: seed), scales, count)
  }

  mutating func next() -> Double? {
    guard k < count else { return nil }
    defer { k += 1 }
    return (generator.nextUnitDouble() - 0.5) * scales[k % scales.count]
  }
}

@Suite struct MathShimsTests {
  /// pySquare is bit-identical to glibc's pow(x, 2) (what numpy's x**2
  /// computes) on millions of arguments across magnitudes, while x * x is not.
  @Test func pySquareEqualsPow() {
    var differsFromProduct = 0
    // (u − ½)·2·s: the doubled scales give the same values (×2 is exact).
    for x in ScaledSamples(seed: 42, count: 3_000_000, scales: [2e-3, 2.0, 14.0, 2e3, 2e-150, 2e120]) {
      let expected = _pow(x, 2)
      #expect(pySquare(x).bitPattern == expected.bitPattern, "x = \(x)")
      if (x * x).bitPattern != expected.bitPattern { differsFromProduct += 1 }
    }
    // The shortcut is not vacuous: plain x * x would have been wrong here.
    #expect(differsFromProduct > 100)
    for x in [0.0, -0.0, 1.0, 2.0, 0.5, .infinity, -.infinity, 1e200, 1e-200, .leastNonzeroMagnitude] {
      #expect(pySquare(x).bitPattern == _pow(x, 2).bitPattern)
    }
    #expect(pySquare(.nan).isNaN)
  }

  /// sincos may replace sin and cos only if it is bit-identical to them.
  @Test func sincosEqualsSinAndCos() {
    for x in ScaledSamples(seed: 7, count: 4_000_000, scales: [1.0, 20.0, 200.0, 1e6, 1e18]) {
      let (s, c) = _sincos(x)
      #expect(s.bitPattern == _sin(x).bitPattern && c.bitPattern == _cos(x).bitPattern, "x = \(x)")
    }
  }

  @Test func pythonModuloFollowsTheDivisorSign() {
    #expect(pythonModulo(-1, 3) == 2)
    #expect(pythonModulo(1, -3) == -2)
    #expect(pythonModulo(7.5, 2) == 1.5)
    #expect(pythonModulo(-6, 3).sign == .plus)
  }
}
