import Testing

@testable import SwiftPG

/// The logit models of categorical policies (MLP/linear, table, linear
/// features): forward passes by hand, `backward` and `jvp` against finite
/// differences of `forward`, and the policy gradients through each.
@Suite struct LogitModelsTests {
  static let cases: [PolicyCase] = [
    PolicyCase(name: "linear softmax") {
      try SoftmaxPolicy(observationSize: 3, actionCount: 3, hidden: [], headGain: 1, seed: 1)
    },
    PolicyCase(name: "tabular softmax") { CategoricalPolicy(model: try TabularLogits(stateCount: 3, actionCount: 3)) },
    PolicyCase(name: "linear features") { CategoricalPolicy(model: try FeatureLogits(featureSize: 2, actionCount: 3)) },
  ]

  /// Score, entropy and KL gradients and the Fisher-vector product
  /// against finite differences (`PolicyChecks`).
  @Test(arguments: cases)
  func derivativesMatchFiniteDifferences(_ c: PolicyCase) throws {
    try PolicyChecks.derivativesMatchFiniteDifferences(c)
  }

  /// For J = ∂logits/∂θ at random θ: `jvp(v)` equals the central
  /// difference of `forward` along v, and `backward(u)` adds Jᵀu, i.e.
  /// uᵀ(Jv) = (Jᵀu)ᵀv; `backward` accumulates into its output.
  static func checkJacobian(_ m: some LogitModel, obs: [Double], batch: Int, seed: UInt64) throws {
    var g = PCG64(seed: UInt128(seed))
    let theta = m.parameters.map { _ in g.standardNormal() }
    let v = theta.map { _ in g.standardNormal() }
    let u = (0..<(batch * m.actionCount)).map { _ in g.standardNormal() }
    func logits(_ t: Double) throws -> [Double] {
      try m.setParameters(zip(theta, v).map { $0 + t * $1 })
      return Array(UnsafeBufferPointer(start: m.forward(obs, batch: batch), count: batch * m.actionCount))
    }
    let h = 1e-6
    let numeric = zip(try logits(h), try logits(-h)).map { ($0 - $1) / (2 * h) }
    _ = try logits(0)
    let jv = Array(UnsafeBufferPointer(start: m.jvp(v), count: batch * m.actionCount))
    PolicyChecks.expectClose(jv, numeric, "J·v", tolerance: 1e-7)
    var jtu = [Double](repeating: 1, count: theta.count)
    m.backward(u, into: &jtu)
    let lhs = zip(u, jv).map(*).reduce(0, +)
    let rhs = zip(jtu, v).map { ($0 - 1) * $1 }.reduce(0, +)
    #expect(abs(lhs - rhs) <= 1e-10 * Swift.max(1, abs(lhs)))
  }

  @Test func jacobians() throws {
    var g = PCG64(seed: 2)
    let mlp = try MLP(sizes: [3, 4], activation: .tanh)
    try Self.checkJacobian(MLPLogits(network: mlp), obs: (0..<15).map { _ in g.standardNormal() }, batch: 5, seed: 1)
    var oneHot = [Double](repeating: 0, count: 5 * 4)
    for r in 0..<5 { oneHot[r * 4 + (r * 3) % 4] = 1 }
    try Self.checkJacobian(try TabularLogits(stateCount: 4, actionCount: 3), obs: oneHot, batch: 5, seed: 2)
    let phi = (0..<(5 * 3 * 2)).map { _ in g.standardNormal() }
    try Self.checkJacobian(try FeatureLogits(featureSize: 2, actionCount: 3), obs: phi, batch: 5, seed: 3)
  }

  /// θ[s, ·] for the one-hot row of s; rows that are not one-hot are named.
  @Test func tabularLogitsByHand() throws {
    let m = try TabularLogits(stateCount: 3, actionCount: 2)
    try m.setParameters([1, 2, 3, 4, 5, 6])
    let obs: [Double] = [0, 0, 1, 1, 0, 0]
    #expect(Array(UnsafeBufferPointer(start: m.forward(obs, batch: 2), count: 4)) == [5, 6, 1, 2])
    #expect(m.checkObservations(obs, batch: 2) == nil)
    #expect(m.checkObservations([1, 1, 0], batch: 1)?.contains("2 entries") == true)
    #expect(m.checkObservations([0.5, 0, 0], batch: 1)?.contains("entry 0") == true)
    #expect(m.specification == [3, 2] && m.inputSize == 3)
    #expect(throws: SwiftPGError.self) { try m.setParameters([1, 2]) }
    #expect(throws: SwiftPGError.self) { try TabularLogits(stateCount: 0, actionCount: 2) }
    #expect(throws: SwiftPGError.self) { try TabularLogits(stateCount: 2, actionCount: 1) }
    #expect(throws: SwiftPGError.self) { try TabularLogits(stateCount: 1 << 20, actionCount: 1 << 7) }
  }

  /// z_a = θᵀφ(s, a) with an observation row φ(s, ·) of [A, d].
  @Test func featureLogitsByHand() throws {
    let m = try FeatureLogits(featureSize: 2, actionCount: 3)
    try m.setParameters([2, -1])
    let phi: [Double] = [1, 0, 0, 1, 3, 4]
    #expect(Array(UnsafeBufferPointer(start: m.forward(phi, batch: 1), count: 3)) == [2, -1, 2])
    #expect(m.inputSize == 6 && m.parameterCount == 2 && m.specification == [2, 3])
    #expect(throws: SwiftPGError.self) { try FeatureLogits(featureSize: 0, actionCount: 3) }
    #expect(throws: SwiftPGError.self) { try FeatureLogits(featureSize: 1 << 20, actionCount: 1 << 7) }
  }

  /// [observation size, actions, activation, hidden count, hidden sizes…]
  @Test func mlpLogitsSpecification() throws {
    let m = MLPLogits(network: try MLP(sizes: [4, 8, 6, 3], activation: .relu))
    #expect(m.specification == [4, 3, 1, 2, 8, 6])
    #expect(m.inputSize == 4 && m.actionCount == 3 && m.parameterCount == 5 * 8 + 9 * 6 + 7 * 3)
  }
}
