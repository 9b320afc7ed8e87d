import Testing

@testable import SwiftPG

/// Policies/BoardValueNetwork.swift: values in [−1, 1] as tanh of the
/// trunk, the loss and its gradient against finite differences for both
/// trunks, bad input.
@Suite struct BoardValueNetworkTests {
  static func networks() throws -> [BoardValueNetwork] {
    let game = TicTacToe()
    var rng = SplitMix64(seed: 6)
    let mlp = try BoardValueNetwork.mlp(for: game, hidden: [7], activation: .tanh, using: &rng)
    let conv = try BoardValueNetwork.conv(for: game, channels: [3], using: &rng)
    for net in [mlp, conv] {
      try net.setParameters(net.parameters.map { $0 + 0.3 * rng.standardNormal() })
    }
    return [mlp, conv]
  }

  @Test func valuesAreTanhOfTheTrunk() throws {
    let pos = BoardPositions(TicTacToe(), count: 8, seed: 1)
    for net in try Self.networks() {
      var v = [Double](repeating: 9, count: 8)
      try net.values(planes: pos.planes, batch: 8, into: &v)
      let z = net.trunk.forward(pos.planes, batch: 8)
      for i in 0..<8 { #expect(abs(v[i] - _tanh(z[i])) < 1e-14 && abs(v[i]) <= 1) }
      #expect(Set(v).count > 1)
    }
  }

  /// Σ wᵢ ½ (V(sᵢ) − Gᵢ)² and its gradient (tolerance: `expectGradient`).
  @Test func lossGradientMatchesFiniteDifferences() throws {
    let pos = BoardPositions(TicTacToe(), count: 6, seed: 2)
    let targets: [Double] = [1, -1, 0, 1, 0.5, -1]
    let weights: [Double] = [1, 2, 0.5, 1, 1, 3]
    for net in try Self.networks() {
      var grad = [Double](repeating: 0, count: net.parameterCount)
      var v = [Double](repeating: 0, count: 6)
      let loss = try net.addLossGradient(
        planes: pos.planes, targets: targets, weights: weights, batch: 6, values: &v, into: &grad)
      var expected = 0.0
      for i in 0..<6 {
        let e = v[i] - targets[i]
        expected += weights[i] * 0.5 * e * e
      }
      #expect(abs(loss - expected) < 1e-12 && loss > 0)
      var scratch = [Double](repeating: 0, count: net.parameterCount)
      try expectGradient(grad, at: net.parameters) { t in
        try net.setParameters(t)
        return try net.addLossGradient(planes: pos.planes, targets: targets, weights: weights, batch: 6, into: &scratch)
      }
    }
  }

  @Test func badInputIsRefused() throws {
    let pos = BoardPositions(TicTacToe(), count: 2, seed: 3)
    let net = try Self.networks()[0]
    var grad = [Double](repeating: 0, count: net.parameterCount)
    #expect(throws: SwiftPGError.self) {
      try net.addLossGradient(planes: pos.planes, targets: [1, .nan], weights: nil, batch: 2, into: &grad)
    }
    var v = [Double](repeating: 0, count: 2)
    #expect(throws: SwiftPGError.self) { try net.values(planes: pos.planes, batch: -1, into: &v) }
    #expect(grad.allSatisfy { $0 == 0 })
    let wide = try MLP(sizes: [27, 2], activation: .relu)
    #expect(throws: SwiftPGError.self) { try BoardValueNetwork(trunk: wide, planeCount: 3, boardHeight: 3, boardWidth: 3) }
  }
}
