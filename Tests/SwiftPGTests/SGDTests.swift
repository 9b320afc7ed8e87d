import Testing

@testable import SwiftPG

/// SGD with heavy-ball momentum and element-wise gradient clipping.
@Suite struct SGDTests {
  @Test func sgdWithAndWithoutMomentum() throws {
    var plain = try SGD(parameterCount: 2, learningRate: 0.5)
    var theta = [1.0, -1.0]
    plain.step(&theta, gradient: [2, 4], ascend: true)
    #expect(theta == [2.0, 1.0])
    plain.step(&theta, gradient: [2, 4], ascend: false)
    #expect(theta == [1.0, -1.0])
    var heavy = try SGD(parameterCount: 1, learningRate: 1, momentum: 0.5)
    var x = [0.0]
    heavy.step(&x, gradient: [1], ascend: true)  // v = 1
    heavy.step(&x, gradient: [1], ascend: true)  // v = 1.5
    #expect(x == [2.5])
    #expect(heavy.velocity == [1.5])
    #expect(throws: SwiftPGError.self) { try SGD(parameterCount: 1, learningRate: -1) }
    #expect(throws: SwiftPGError.self) { try SGD(parameterCount: 1, learningRate: 1, momentum: 1) }
    #expect(throws: SwiftPGError.self) { try SGD(parameterCount: 1, learningRate: .nan) }
    #expect(throws: SwiftPGError.self) { try SGD(parameterCount: 1, learningRate: 1, momentum: -0.1) }
  }

  /// Descending with momentum 0.9, α = 0.1 on g = [1, −2] three times:
  /// v = g, 1.9g, 2.71g, so θ moves by −0.1·5.61·g.
  @Test func momentumDescentByHand() throws {
    var sgd = try SGD(parameterCount: 2, learningRate: 0.1, momentum: 0.9)
    var theta = [0.0, 0.0]
    for _ in 0..<3 { sgd.step(&theta, gradient: [1, -2], ascend: false) }
    #expect(abs(theta[0] - -0.561) < 1e-15 && abs(theta[1] - 1.122) < 1e-15)
  }

  /// Resuming from a saved velocity continues the same trajectory.
  @Test func resumeFromVelocity() throws {
    var whole = try SGD(parameterCount: 2, learningRate: 0.2, momentum: 0.7)
    var a = [1.0, 2.0]
    whole.step(&a, gradient: [0.3, -0.1], ascend: true)
    var resumed = try SGD(learningRate: 0.2, momentum: 0.7, velocity: whole.velocity)
    var b = a
    whole.step(&a, gradient: [-0.2, 0.4], ascend: true)
    resumed.step(&b, gradient: [-0.2, 0.4], ascend: true)
    #expect(a == b)
    #expect(throws: SwiftPGError.self) { try SGD(learningRate: 0.2, momentum: 0, velocity: [.nan]) }
  }

  @Test func elementwiseClipping() {
    var g = [-3.0, 0.5, 2.0]
    let clipped = clipGradient(&g, low: -1, high: 1)
    #expect(clipped == 2)
    #expect(g == [-1, 0.5, 1])
    var inside = [0.25, -0.25]
    #expect(clipGradient(&inside, low: -1, high: 1) == 0 && inside == [0.25, -0.25])
  }
}
