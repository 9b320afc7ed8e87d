import Testing

@testable import SwiftPG

/// Critics/QNetwork.swift: the loss gradient against central finite
/// differences (float64), the hard and Polyak target updates by hand,
/// greedy actions, torch's default initialisation bound.
@Suite struct QNetworkTests {
  func smallNetwork(seed: UInt64 = 1) throws -> QNetwork {
    try QNetwork(observationSize: 3, actionCount: 2, hidden: [5], activation: .tanh, seed: seed)
  }

  /// Mean Huber / MSE loss of Q(s_i, a_i) by hand from `values`.
  func lossByHand(_ q: QNetwork, _ obs: [Double], _ actions: [Int32], _ y: [Double], _ loss: QNetwork.Loss) -> Double {
    let b = actions.count
    let values = Array(UnsafeBufferPointer(start: q.values(obs, batch: b), count: b * q.actionCount))
    var total = 0.0
    for i in 0..<b {
      let d = values[i * q.actionCount + Int(actions[i])] - y[i]
      switch loss {
      case .mse: total += d * d
      case .huber: total += abs(d) < 1 ? 0.5 * d * d : abs(d) - 0.5
      }
    }
    return total / Double(b)
  }

  /// ∇θ L matches central differences for both losses; the targets put some
  /// errors beyond ±1 so both branches of Huber are used.
  @Test func lossGradientMatchesFiniteDifferences() throws {
    let q = try smallNetwork()
    let obs: [Double] = [0.1, -0.2, 0.3, 1.0, 0.5, -0.7, -0.4, 0.9, 0.2, 0.3, 0.3, -0.3]
    let actions: [Int32] = [0, 1, 1, 0]
    let y: [Double] = [2.5, -0.1, 0.05, -3.0]
    for loss in [QNetwork.Loss.mse, .huber] {
      var g = [Double](repeating: 0, count: q.parameterCount)
      var dOut = [Double](repeating: 0, count: 8)
      let (value, meanQ) = try q.lossAndGradient(
        obs, actions: actions, targets: y, batch: 4, loss: loss, dOutput: &dOut, into: &g)
      #expect(abs(value - lossByHand(q, obs, actions, y, loss)) < 1e-14)
      let values = Array(UnsafeBufferPointer(start: q.values(obs, batch: 4), count: 8))
      let qa = (0..<4).map { values[$0 * 2 + Int(actions[$0])] }
      #expect(abs(meanQ - qa.reduce(0, +) / 4) < 1e-14)
      let fd = try centralDifferences(q.parameters, set: { try q.setParameters($0) }) {
        lossByHand(q, obs, actions, y, loss)
      }
      for k in g.indices { #expect(abs(g[k] - fd[k]) < 1e-7, "\(loss) parameter \(k): \(g[k]) vs \(fd[k])") }
    }
    // An action outside 0..<2 is refused before anything is written.
    var g = [Double](repeating: 7, count: q.parameterCount)
    var dOut = [Double](repeating: 0, count: 8)
    #expect(throws: SwiftPGError.self) {
      try q.lossAndGradient(obs, actions: [0, 2, 1, 0], targets: y, batch: 4, loss: .huber, dOutput: &dOut, into: &g)
    }
    #expect(throws: SwiftPGError.self) {
      try q.lossAndGradient(obs, actions: [0, -1, 1, 0], targets: y, batch: 4, loss: .mse, dOutput: &dOut, into: &g)
    }
    #expect(g.allSatisfy { $0 == 7 })
  }

  /// θ̃ ← θ copies; θ̃ ← τθ + (1 − τ)θ̃ with τ = 0.25 by hand; τ outside (0, 1] refused.
  @Test func targetUpdatesByHand() throws {
    let online = try smallNetwork(seed: 1)
    let target = try smallNetwork(seed: 2)
    let (a, b) = (online.parameters, target.parameters)
    #expect(a != b)
    try target.polyakUpdate(from: online, tau: 0.25)
    for k in a.indices { #expect(abs(target.parameters[k] - (0.25 * a[k] + 0.75 * b[k])) < 1e-15) }
    try target.polyakUpdate(from: online, tau: 1)
    #expect(target.parameters == a)
    try target.setParameters(b)
    try target.copyParameters(from: online)
    #expect(target.parameters == a)
    #expect(throws: SwiftPGError.self) { try target.polyakUpdate(from: online, tau: 0) }
    #expect(throws: SwiftPGError.self) { try target.polyakUpdate(from: online, tau: 1.5) }
    let other = try QNetwork(observationSize: 3, actionCount: 2, hidden: [4], seed: 1)
    #expect(throws: SwiftPGError.self) { try target.polyakUpdate(from: other, tau: 0.5) }
  }

  /// Layer l's weights and biases lie in ±1/√fan_in (torch's nn.Linear
  /// default), and are not all tiny (the bound is nearly reached).
  @Test func initialisationBound() throws {
    let q = try QNetwork(observationSize: 4, actionCount: 2, hidden: [64, 64], seed: 0)
    let net = q.network
    for l in 0..<(net.sizes.count - 1) {
      let bound = 1 / Double(net.sizes[l]).squareRoot()
      let n = net.sizes[l + 1] * (net.sizes[l] + 1)
      let block = q.parameters[net.offsets[l]..<(net.offsets[l] + n)]
      #expect(block.allSatisfy { abs($0) <= bound })
      #expect((block.map { abs($0) }.max() ?? 0) > 0.9 * bound)
    }
    #expect(throws: SwiftPGError.self) { try QNetwork(observationSize: 0, actionCount: 2, hidden: []) }
    #expect(throws: SwiftPGError.self) { try QNetwork(observationSize: 2, actionCount: 0, hidden: []) }
    #expect(throws: SwiftPGError.self) { try QNetwork(observationSize: 2, actionCount: 2, hidden: [0]) }
    #expect(throws: SwiftPGError.self) { try q.setParameters([1]) }
    #expect(throws: SwiftPGError.self) {
      try q.setParameters(Array(repeating: .nan, count: q.parameterCount))
    }
  }

  /// A linear Q (no hidden layers) with W = [[1, 0], [0, 1]], b = 0: the
  /// greedy action is the larger coordinate (the first on ties).
  @Test func greedyActions() throws {
    let q = try QNetwork(observationSize: 2, actionCount: 2, hidden: [])
    try q.setParameters([1, 0, 0, 1, 0, 0])
    var a = [Int32](repeating: 9, count: 3)
    q.greedyActions([1, 2, 3, -1, 0.5, 0.5], batch: 3, into: &a)
    #expect(a == [1, 0, 0])
  }
}
