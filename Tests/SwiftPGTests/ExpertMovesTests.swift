import Testing

@testable import SwiftPG

/// Games/ExpertMoves.swift: solver-labelled tic-tac-toe positions, the
/// supervised policy step through `SupervisedTrainer`, held-out top-1
/// accuracy and the share of held-out positions where the network's move
/// keeps the game's exact value.
@Suite struct ExpertMovesTests {
  /// The share of `examples` where the network's most probable legal move
  /// has the best exact value (a win kept a win, a draw a draw).
  static func optimalShare(
    _ net: BoardPolicyNetwork, _ examples: ExpertExamples<TicTacToe>, _ solver: ExactSolverPlayer<TicTacToe>
  ) throws -> Double {
    let g = TicTacToe()
    let m = examples.states.count
    var probs = [Double](repeating: 0, count: m * 9)
    guard let masks = examples.labels.mask else { return 0 }
    try net.probabilities(planes: examples.planes.values, masks: masks, batch: m, into: &probs)
    var good = 0
    for (i, s) in examples.states.enumerated() {
      let row = Array(probs[(9 * i)..<(9 * i + 9)])
      let move = row.indices.max { row[$0] < row[$1] } ?? 0
      let outcome = { (a: Int) throws -> Int in
        var c = s
        g.applyLegal(a, to: &c)
        return -(try solver.value(c)).signum()
      }
      let best = try g.legalActions(s).map(outcome).max() ?? 0
      if try outcome(move) == best { good += 1 }
    }
    return Double(good) / Double(m)
  }

  @Test func datasetIsDistinctLabelledAndSplit() throws {
    let g = TicTacToe()
    let solver = ExactSolverPlayer(g)
    let (train, held) = try ExpertMoves.collect(g, expert: solver, games: 50, heldOutShare: 0.25, seed: 1)
    #expect(Set(train.states).isDisjoint(with: Set(held.states)))
    #expect(Set(train.states).count == train.states.count && train.planes.count == train.states.count)
    let total = Double(train.states.count + held.states.count)
    #expect(abs(Double(held.states.count) / total - 0.25) < 0.01)
    // Every label is one of the solver's best moves, and legal.
    for (i, s) in held.states.enumerated() {
      let a = Int(held.labels.targets[i])
      #expect(g.isLegal(a, in: s))
      var c = s
      g.applyLegal(a, to: &c)
      let value = -(try solver.value(c))
      let best = try g.legalActions(s).map { b in
        var d = s
        g.applyLegal(b, to: &d)
        return -(try solver.value(d))
      }.max()
      #expect(value == best)
    }
    let again = try ExpertMoves.collect(g, expert: solver, games: 50, heldOutShare: 0.25, seed: 1)
    #expect(again.train.labels.targets == train.labels.targets && again.heldOut.states == held.states)
    #expect(throws: SwiftPGError.self) { try ExpertMoves.collect(g, expert: solver, games: 0, heldOutShare: 0.25, seed: 1) }
    #expect(throws: SwiftPGError.self) { try ExpertMoves.collect(g, expert: solver, games: 5, heldOutShare: 1, seed: 1) }
  }

  /// Training on solver moves raises held-out top-1 accuracy far above the
  /// untrained network's, and the share of held-out positions where the
  /// network's move is value-optimal (untrained: about what a random legal
  /// move gets).
  @Test func supervisedPolicyLearnsTheSolversMoves() throws {
    let g = TicTacToe()
    let solver = ExactSolverPlayer(g)
    let (train, held) = try ExpertMoves.collect(g, expert: solver, games: 400, heldOutShare: 0.2, seed: 2)
    var rng = SplitMix64(seed: 3)
    let net = try BoardPolicyNetwork.mlp(for: g, hidden: [64], using: &rng)
    let trainer = try SupervisedTrainer(
      parameterCount: net.parameterCount,
      config: SupervisedTrainer.Config(epochs: 40, minibatchSize: 64, learningRate: 3e-3, seed: 4))
    let before = try trainer.evaluate(net, inputs: held.planes, labels: held.labels)
    let optimalBefore = try Self.optimalShare(net, held, solver)
    let history = try trainer.fit(net, inputs: train.planes, labels: train.labels, heldOut: (held.planes, held.labels))
    let after = try Self.optimalShare(net, held, solver)
    print(
      "SL tic-tac-toe: \(train.states.count) train / \(held.states.count) held-out positions; held-out top-1 "
        + "\(before.accuracy) → \(history.heldOutAccuracy.last ?? 0), value-optimal moves \(optimalBefore) → \(after)")
    #expect((history.loss.last ?? 9) < history.loss[0])
    #expect((history.heldOutAccuracy.last ?? 0) > before.accuracy + 0.2)
    #expect(after > 0.85 && after > optimalBefore + 0.2)
  }
}
