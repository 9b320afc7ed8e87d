import Testing

@testable import SwiftPG

@Suite struct AdamTests {
  /// With bias correction the first step is lr · g / (|g| + ε') ≈ ±lr.
  @Test func firstStepIsLearningRateTimesSign() throws {
    var adam = try Adam(parameterCount: 3, learningRate: 0.1, epsilon: 1e-12)
    var p: [Double] = [0, 0, 0]
    adam.step(&p, gradient: [2, -0.5, 0], ascend: true)
    #expect(abs(p[0] - 0.1) < 1e-9 && abs(p[1] + 0.1) < 1e-9 && p[2] == 0)
    var q: [Double] = [0]
    var descent = try Adam(parameterCount: 1, learningRate: 0.1)
    descent.step(&q, gradient: [3], ascend: false)
    #expect(q[0] < 0)
  }

  /// Minimises a quadratic.
  @Test func minimisesQuadratic() throws {
    var adam = try Adam(parameterCount: 2, learningRate: 0.05)
    var p: [Double] = [3, -2]
    for _ in 0..<2000 {
      adam.step(&p, gradient: [2 * (p[0] - 1), 2 * (p[1] + 1)], ascend: false)
    }
    #expect(abs(p[0] - 1) < 1e-3 && abs(p[1] + 1) < 1e-3)
  }

  @Test func invalidHyperparameters() {
    #expect(throws: SwiftPGError.self) { try Adam(parameterCount: 1, learningRate: -1) }
    #expect(throws: SwiftPGError.self) { try Adam(parameterCount: 1, learningRate: 0.1, beta1: 1) }
    #expect(throws: SwiftPGError.self) { try Adam(parameterCount: 1, learningRate: .nan) }
  }
}

@Suite struct AdamOverflowTests {
  /// A gradient whose square overflows would make v = +∞ and every later
  /// step of that parameter 0 (a silent no-op): the guarded steps refuse it.
  @Test func gradientsBeyondTheSquareRootOfTheRangeAreRefused() throws {
    #expect(Adam.acceptsGradient([1e154, -1e154, 0]))
    #expect(!Adam.acceptsGradient([1e155]) && !Adam.acceptsGradient([.nan]))
    var params = [1.0, 2.0]
    var gradient = [1e200, 0.0]
    var adam = try Adam(parameterCount: 2, learningRate: 0.1)
    #expect(throws: SwiftPGError.self) {
      try SupervisedTrainer.descend(&params, gradient: &gradient, weightDecay: 0, optimizer: &adam, what: "x")
    }
    #expect(params == [1, 2] && adam.t == 0 && adam.v == [0, 0])
    var step = ParameterStep(optimizer: .adam(adam), maxGradValue: 0)
    #expect(throws: SwiftPGError.self) {
      try step.apply(
        gradient: &gradient, ascend: true, learningRate: 0.1, what: "x", get: { params },
        set: { (_: [Double]) throws(SwiftPGError) in Issue.record("set after a refused step") },
        failure: { SwiftPGError(.numerical, $0) })
    }
  }
}

