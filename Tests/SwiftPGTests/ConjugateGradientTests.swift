import Testing

@testable import SwiftPG

/// Optimizers/ConjugateGradient.swift: Nocedal & Wright Alg. 5.2 from x = 0.
@Suite struct ConjugateGradientTests {
  /// A x for a dense row-major square matrix, counting the products.
  final class Product {
    let a: [[Double]]
    var calls = 0
    init(_ a: [[Double]]) { self.a = a }
    func callAsFunction(_ x: [Double]) -> [Double] {
      calls += 1
      return a.map { row in zip(row, x).map(*).reduce(0, +) }
    }
  }

  @Test func solvesASymmetricPositiveDefiniteSystem() {
    let a = Product([[4, 1, 0], [1, 3, 1], [0, 1, 2]])
    let b: [Double] = [1, 2, 3]
    let x = conjugateGradient({ a($0) }, b, iterations: 10)
    // By hand: 4x₀ + x₁ = 1, x₀ + 3x₁ + x₂ = 2, x₁ + 2x₂ = 3
    // ⇒ x₀ = (1 − x₁)/4, x₂ = (3 − x₁)/2, (1 − x₁)/4 + 3x₁ + (3 − x₁)/2 = 2
    // ⇒ (1 − x₁) + 12x₁ + 6 − 2x₁ = 8 ⇒ 9x₁ = 1 ⇒ x₁ = 1/9, x₀ = 2/9, x₂ = 13/9.
    let exact = [2.0 / 9, 1.0 / 9, 13.0 / 9]
    for i in 0..<3 { #expect(abs(x[i] - exact[i]) < 1e-10) }
    // Three directions suffice (exact in exact arithmetic); then the
    // residual test stops the loop before a fourth product.
    #expect(a.calls == 3)
    let r = zip(b, a(x)).map { $0 - $1 }
    #expect(r.map { $0 * $0 }.reduce(0, +).squareRoot() < 1e-10)
  }

  /// One iteration is a steepest-descent step with the exact line search:
  /// x = (bᵀb / bᵀAb) b.
  @Test func oneIterationIsTheExactSteepestDescentStep() {
    let a = Product([[2, 0], [0, 1]])
    let b: [Double] = [1, 1]
    let x = conjugateGradient({ a($0) }, b, iterations: 1)
    // bᵀb = 2, bᵀAb = 3 ⇒ x = (2/3, 2/3).
    let expected: [Double] = [2.0 / 3, 2.0 / 3]
    #expect(x == expected)
    #expect(a.calls == 1)
  }

  /// Stops when the residual norm² is below 1e-10.
  @Test func stopsEarlyAtTheTolerance() {
    // A = 2I: the first step is exact (x = b/2, r = 0), then it stops.
    let a = Product([[2, 0, 0], [0, 2, 0], [0, 0, 2]])
    let x = conjugateGradient({ a($0) }, [1, 1, 1], iterations: 50)
    #expect(x == [0.5, 0.5, 0.5])
    #expect(a.calls == 1)
    // ‖b‖² = 1e-12 < 1e-10: nothing to do, no product at all.
    let z = Product([[1]])
    #expect(conjugateGradient({ z($0) }, [1e-6], iterations: 5) == [0])
    #expect(z.calls == 0)
    // ‖b‖² = 4e-10 is not below the tolerance: one step.
    let w = Product([[1]])
    #expect(conjugateGradient({ w($0) }, [2e-5], iterations: 5) == [2e-5])
    #expect(w.calls == 1)
  }

  /// A non-positive pᵀAp (not positive definite, or NaN) stops the solver
  /// with the iterate reached so far.
  @Test func stopsOnANonPositiveDefiniteProduct() {
    let negative = Product([[-1, 0], [0, -1]])
    #expect(conjugateGradient({ negative($0) }, [1, 2], iterations: 10) == [0, 0])
    #expect(negative.calls == 1)
    // A = diag(2, −1), b = (1, 1): pᵀAp = 1, α = 2, x = (2, 2),
    // r = b − αAp = (−3, 3), β = 18/2 = 9, p = (6, 12), pᵀAp = 72 − 144 < 0: stop at (2, 2).
    let indefinite = Product([[2, 0], [0, -1]])
    #expect(conjugateGradient({ indefinite($0) }, [1, 1], iterations: 10) == [2, 2])
    #expect(indefinite.calls == 2)
    let nan = Product([[.nan]])
    #expect(conjugateGradient({ nan($0) }, [1], iterations: 10) == [0])
  }
}
