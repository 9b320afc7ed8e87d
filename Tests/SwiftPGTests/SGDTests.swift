import Testing

@testable import SwiftPG

/// Optimizers/SGD.swift.
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
    #expect(throws: SwiftPGError.self) { try SGD(parameterCount: 1, learningRate: -1) }
    #expect(throws: SwiftPGError.self) { try SGD(parameterCount: 1, learningRate: 1, momentum: 1) }
  }
}
