import Testing

@testable import SwiftPG

/// Random unfinished positions of a game: their planes [N, C, H, W], legal
/// masks [N, A], one random legal action each, and the states.
struct BoardPositions<G: TwoPlayerGame> {
  var planes: [Double] = []
  var masks: [UInt8] = []
  var actions: [Int32] = []
  var states: [G.State] = []

  init(_ game: G, count: Int, seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let planeSize = game.planeCount * game.cellCount
    while states.count < count {
      var s = game.initialState()
      let moves = Int.random(in: 0..<game.maxGameLength, using: &rng)
      for _ in 0..<moves where !game.isTerminal(s) {
        game.applyLegal(game.randomLegalAction(in: s, using: &rng), to: &s)
      }
      if game.isTerminal(s) { continue }
      states.append(s)
      var p = [Double](repeating: 0, count: planeSize)
      game.writePlanes(s, into: &p)
      planes += p
      var m = [UInt8](repeating: 0, count: game.actionCount)
      game.writeLegalMask(s, into: &m)
      masks += m
      actions.append(Int32(game.randomLegalAction(in: s, using: &rng)))
    }
  }
}

/// Central-difference check of a gradient: ∂f/∂θᵢ for every i (h = 1e-6)
/// against `gradient`. With O(1) smooth losses the truncation error is
/// O(h²) ≈ 1e-12 and the rounding O(1e-16 · |f| / h) ≈ 1e-9, so 1e-6 ·
/// (1 + |g|) flags any wrong term while the method itself stays far inside.
func expectGradient(
  _ gradient: [Double], at theta: [Double], tolerance: Double = 1e-6, _ f: ([Double]) throws -> Double
) throws {
  let h = 1e-6
  for i in 0..<theta.count {
    var plus = theta
    var minus = theta
    plus[i] += h
    minus[i] -= h
    let fd = (try f(plus) - f(minus)) / (2 * h)
    #expect(abs(gradient[i] - fd) < tolerance * (1 + abs(fd)), "parameter \(i): \(gradient[i]) vs \(fd)")
  }
}

/// Policies/BoardPolicyNetwork.swift: masking, the softmax over legal
/// actions, the score gradient against finite differences for both trunks,
/// bad input.
@Suite struct BoardPolicyNetworkTests {
  static func networks() throws -> [BoardPolicyNetwork] {
    let game = try ConnectN(rows: 4, columns: 4, xInRow: 3)
    var rng = SplitMix64(seed: 5)
    let mlp = try BoardPolicyNetwork.mlp(for: game, hidden: [8], activation: .tanh, using: &rng)
    let conv = try BoardPolicyNetwork.conv(for: game, channels: [4, 3], using: &rng)
    // Larger output weights than the near-uniform initialisation, so the
    // softmax is far from flat and every term of the gradient matters.
    for net in [mlp, conv] {
      try net.setParameters(net.parameters.map { $0 + 0.3 * rng.standardNormal() })
    }
    return [mlp, conv]
  }

  @Test func probabilitiesAreASoftmaxOverLegalActions() throws {
    let game = try ConnectN(rows: 4, columns: 4, xInRow: 3)
    let pos = BoardPositions(game, count: 12, seed: 1)
    for net in try Self.networks() {
      var probs = [Double](repeating: -1, count: 12 * game.actionCount)
      try net.probabilities(planes: pos.planes, masks: pos.masks, batch: 12, into: &probs)
      let logits = Array(UnsafeBufferPointer(start: net.trunk.forward(pos.planes, batch: 12), count: probs.count))
      for i in 0..<12 {
        let row = i * game.actionCount
        let legal = (0..<game.actionCount).filter { pos.masks[row + $0] == 1 }
        let z = legal.map { _exp(logits[row + $0]) }.reduce(0, +)
        for a in 0..<game.actionCount {
          let expected = pos.masks[row + a] == 1 ? _exp(logits[row + a]) / z : 0
          #expect(abs(probs[row + a] - expected) < 1e-14)
          if pos.masks[row + a] == 0 { #expect(probs[row + a] == 0) }
        }
      }
    }
  }

  /// One legal action has probability exactly 1, whatever the logits.
  @Test func aSingleLegalActionHasProbabilityOne() throws {
    let game = try ConnectN(rows: 4, columns: 4, xInRow: 3)
    let pos = BoardPositions(game, count: 1, seed: 2)
    for net in try Self.networks() {
      try net.setParameters(net.parameters.map { $0 * 50 })  // huge logits
      var mask = [UInt8](repeating: 0, count: game.actionCount)
      mask[2] = 1
      var probs = [Double](repeating: -1, count: game.actionCount)
      try net.probabilities(planes: pos.planes, masks: mask, batch: 1, into: &probs)
      #expect(probs == (0..<game.actionCount).map { $0 == 2 ? 1 : 0 })
      var grad = [Double](repeating: 0, count: net.parameterCount)
      var logP = [Double](repeating: 1, count: 1)
      _ = try net.addScoreGradient(
        planes: pos.planes, masks: mask, actions: [2], weights: nil, batch: 1, logProbabilities: &logP, into: &grad)
      #expect(logP == [0] && grad.allSatisfy { $0 == 0 })
    }
  }

  /// Σ wᵢ log π(aᵢ|sᵢ) and its gradient for an MLP and a ConvNet trunk.
  @Test func scoreGradientMatchesFiniteDifferences() throws {
    let game = try ConnectN(rows: 4, columns: 4, xInRow: 3)
    let pos = BoardPositions(game, count: 5, seed: 3)
    let weights: [Double] = [1, -0.5, 2, 0.25, -1]
    for net in try Self.networks() {
      var grad = [Double](repeating: 0, count: net.parameterCount)
      var logP = [Double](repeating: 0, count: 5)
      let total = try net.addScoreGradient(
        planes: pos.planes, masks: pos.masks, actions: pos.actions, weights: weights, batch: 5,
        logProbabilities: &logP, into: &grad)
      #expect(abs(total - zip(weights, logP).map(*).reduce(0, +)) < 1e-12)
      #expect(logP.allSatisfy { $0 < 0 })
      let theta = net.parameters
      var scratch = [Double](repeating: 0, count: net.parameterCount)
      try expectGradient(grad, at: theta) { t in
        try net.setParameters(t)
        return try net.addScoreGradient(
          planes: pos.planes, masks: pos.masks, actions: pos.actions, weights: weights, batch: 5, into: &scratch)
      }
    }
  }

  /// Σᵢ −Σₐ πᵢ(a) log π(a|sᵢ) to random target distributions over the
  /// legal actions, and its gradient, for both trunks; a one-hot target
  /// gives minus the score gradient.
  @Test func crossEntropyGradientMatchesFiniteDifferences() throws {
    let game = try ConnectN(rows: 4, columns: 4, xInRow: 3)
    let pos = BoardPositions(game, count: 4, seed: 6)
    var rng = SplitMix64(seed: 7)
    var targets = pos.masks.map { $0 == 1 ? rng.nextUnitDouble() : 0 }
    for i in 0..<4 {
      let sum = targets[(4 * i)..<(4 * i + 4)].reduce(0, +)
      for a in 0..<4 { targets[4 * i + a] /= sum }
    }
    for net in try Self.networks() {
      var grad = [Double](repeating: 0, count: net.parameterCount)
      let loss = try net.addCrossEntropyGradient(
        planes: pos.planes, masks: pos.masks, targets: targets, batch: 4, into: &grad)
      #expect(loss > 0)
      var scratch = [Double](repeating: 0, count: net.parameterCount)
      try expectGradient(grad, at: net.parameters) { t in
        try net.setParameters(t)
        return try net.addCrossEntropyGradient(
          planes: pos.planes, masks: pos.masks, targets: targets, batch: 4, into: &scratch)
      }
      let oneHot = (0..<16).map { pos.actions[$0 / 4] == Int32($0 % 4) ? 1.0 : 0.0 }
      var ce = [Double](repeating: 0, count: net.parameterCount)
      var score = ce
      let l = try net.addCrossEntropyGradient(planes: pos.planes, masks: pos.masks, targets: oneHot, batch: 4, into: &ce)
      let s = try net.addScoreGradient(
        planes: pos.planes, masks: pos.masks, actions: pos.actions, weights: nil, batch: 4, into: &score)
      #expect(abs(l + s) < 1e-12)
      for i in ce.indices { #expect(abs(ce[i] + score[i]) < 1e-12) }
    }
    var bad = targets
    bad[0] += 0.5
    let net = try Self.networks()[0]
    var grad = [Double](repeating: 0, count: net.parameterCount)
    #expect(throws: SwiftPGError.self) {
      try net.addCrossEntropyGradient(planes: pos.planes, masks: pos.masks, targets: bad, batch: 4, into: &grad)
    }
  }

  @Test func badInputIsRefused() throws {
    let game = try ConnectN(rows: 4, columns: 4, xInRow: 3)
    let pos = BoardPositions(game, count: 2, seed: 4)
    let net = try Self.networks()[1]
    var probs = [Double](repeating: 0, count: 2 * game.actionCount)
    var grad = [Double](repeating: 0, count: net.parameterCount)
    var noLegal = pos.masks
    for a in 0..<game.actionCount { noLegal[game.actionCount + a] = 0 }
    #expect(throws: SwiftPGError.self) { try net.probabilities(planes: pos.planes, masks: noLegal, batch: 2, into: &probs) }
    var two = pos.masks
    two[0] = 2
    #expect(throws: SwiftPGError.self) { try net.probabilities(planes: pos.planes, masks: two, batch: 2, into: &probs) }
    var nan = pos.planes
    nan[3] = .nan
    #expect(throws: SwiftPGError.self) { try net.probabilities(planes: nan, masks: pos.masks, batch: 2, into: &probs) }
    var illegalMask = pos.masks
    illegalMask[Int(pos.actions[0])] = 0
    illegalMask[(Int(pos.actions[0]) + 1) % game.actionCount] = 1
    #expect(throws: SwiftPGError.self) {
      try net.addScoreGradient(
        planes: pos.planes, masks: illegalMask, actions: pos.actions, weights: nil, batch: 2, into: &grad)
    }
    #expect(throws: SwiftPGError.self) {
      try net.addScoreGradient(planes: pos.planes, masks: pos.masks, actions: [-1, 0], weights: nil, batch: 2, into: &grad)
    }
    #expect(throws: SwiftPGError.self) {
      try net.addScoreGradient(
        planes: pos.planes, masks: pos.masks, actions: pos.actions, weights: [1, .infinity], batch: 2, into: &grad)
    }
    let huge = #expect(throws: SwiftPGError.self) {
      try net.probabilities(planes: pos.planes, masks: pos.masks, batch: 1 << 40, into: &probs)
    }
    #expect(huge?.code == .tooLarge)
    #expect(grad.allSatisfy { $0 == 0 })  // refused calls add nothing
    let mlp = try MLP(sizes: [10, 9], activation: .relu)
    #expect(throws: SwiftPGError.self) {
      try BoardPolicyNetwork(trunk: mlp, planeCount: 3, boardHeight: 3, boardWidth: 3, actionCount: 9)
    }
  }
}
