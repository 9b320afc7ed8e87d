import Testing

@testable import SwiftPG

@Suite struct MathShimsTests {
  /// pySquare is bit-identical to glibc's pow(x, 2) (what numpy's x**2
  /// computes) on millions of arguments across magnitudes, while x * x is not.
  @Test func pySquareEqualsPow() {
    var g = PCG64(seed: 42)
    var differsFromProduct = 0
    for k in 0..<3_000_000 {
      let scale = [1e-3, 1.0, 7.0, 1e3, 1e-150, 1e120][k % 6]
      let x = (g.nextUnitDouble() - 0.5) * 2 * scale
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
    var g = PCG64(seed: 7)
    for k in 0..<4_000_000 {
      let x = (g.nextUnitDouble() - 0.5) * [1.0, 20.0, 200.0, 1e6, 1e18][k % 5]
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
