import Testing

@testable import SwiftPG

/// Optimizers/GradientClipping.swift: norm rescaling (Kochenderfer's
/// `scale_gradient`), element-wise clamping (`clip_gradient`) and the joint
/// norm of two networks' gradients (PPO/A2C), with a shared prefix counted once.
@Suite struct GradientClippingTests {
  @Test func scaleGradientLimitsNorm() {
    var g: [Double] = [3, 4]
    let norm = scaleGradient(&g, maxNorm: 1)
    #expect(norm == 5)
    #expect(abs(g[0] - 0.6) < 1e-15 && abs(g[1] - 0.8) < 1e-15)
    var h: [Double] = [0.3, 0.4]
    scaleGradient(&h, maxNorm: 1)
    #expect(h == [0.3, 0.4])
    // maxNorm 0: off, but the norm is still reported.
    var k: [Double] = [30, 40]
    #expect(scaleGradient(&k, maxNorm: 0) == 50 && k == [30, 40])
  }

  @Test func elementwiseClipping() {
    var g = [-3.0, 0.5, 2.0]
    let clipped = clipGradient(&g, low: -1, high: 1)
    #expect(clipped == 2)
    #expect(g == [-1, 0.5, 1])
    // Entries on the bound are not counted as clipped.
    var h = [1.0, -1.0, 0.0, 7.0]
    #expect(clipGradient(&h, low: -1, high: 1) == 1)
    #expect(h == [1, -1, 0, 1])
  }

  /// ‖(a, b)‖ over both vectors; with a shared prefix of length s the first
  /// s entries of b duplicate a's and are counted once.
  @Test func jointNormWithAndWithoutSharedPrefix() {
    // a = (3, 0), b = (3, 4): without sharing √(9 + 0 + 9 + 16) = √34;
    // sharing b[0] (= a[0]): √(9 + 0 + 16) = 5.
    var a: [Double] = [3, 0]
    var b: [Double] = [3, 4]
    #expect(clipGlobalNorm(&a, &b, maxNorm: 0) == 34.0.squareRoot())
    #expect(a == [3, 0] && b == [3, 4])
    #expect(clipGlobalNorm(&a, &b, sharedPrefix: 1, maxNorm: 0) == 5)
    // Over the limit: every entry of both is multiplied by maxNorm / norm.
    let k = 2.5 / 5
    #expect(clipGlobalNorm(&a, &b, sharedPrefix: 1, maxNorm: 2.5) == 5)
    #expect(a == [3 * k, 0] && b == [3 * k, 4 * k])
    // Under the limit: untouched.
    var c: [Double] = [0.1]
    var d: [Double] = [0.2]
    #expect(abs(clipGlobalNorm(&c, &d, maxNorm: 1) - (0.05).squareRoot()) < 1e-16)
    #expect(c == [0.1] && d == [0.2])
  }

  /// Entries of 1e200 overflow the sum of squares (and 1e-200 underflow
  /// it): the norm falls back to the scaled computation.
  @Test func overflowAndUnderflowFallBackToScaledNorms() {
    var a = [1e200, 1e200]
    var b = [1e200]
    let norm = clipGlobalNorm(&a, &b, maxNorm: 0)
    #expect(abs(norm / (3.0.squareRoot() * 1e200) - 1) < 1e-15)
    // Shared prefix in the fallback: b[0] duplicates a[0]; ‖(a, b[1...])‖ = √2·1e200.
    var p = [1e200]
    var q = [1e200, 1e200]
    let shared = clipGlobalNorm(&p, &q, sharedPrefix: 1, maxNorm: 0)
    #expect(abs(shared / (2.0.squareRoot() * 1e200) - 1) < 1e-15)
    // And the scaling still happens, to the requested norm.
    let before = clipGlobalNorm(&a, &b, maxNorm: 1)
    #expect(before.isFinite)
    let after = (a.map { $0 * $0 }.reduce(0, +) + b.map { $0 * $0 }.reduce(0, +)).squareRoot()
    #expect(abs(after - 1) < 1e-15)
    var tiny = [1e-200, 1e-200]
    var tinier = [1e-200]
    let small = clipGlobalNorm(&tiny, &tinier, maxNorm: 0)
    #expect(abs(small / (3.0.squareRoot() * 1e-200) - 1) < 1e-15)
  }
}
