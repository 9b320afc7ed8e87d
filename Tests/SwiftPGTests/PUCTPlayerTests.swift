import Testing

@testable import SwiftPG

/// Games/PUCTPlayer.swift: a player of the arena; with one simulation it
/// plays the policy network's most probable move; with a budget it beats
/// random play; matches replay from their seed.
@Suite struct PUCTPlayerTests {
  @Test func oneSimulationPlaysThePolicysArgmax() throws {
    let g = TicTacToe()
    let nets = try PUCTSearchTests.networks()
    guard let policy = nets.policy else { return }
    try policy.setParameters(policy.parameters.map { $0 * 30 })  // a decisive policy
    let player = try PUCTPlayer(g, config: PUCTConfig(simulations: 1), evaluator: nets)
    let pos = BoardPositions(g, count: 10, seed: 3)
    var probs = [Double](repeating: 0, count: 90)
    try policy.probabilities(planes: pos.planes, masks: pos.masks, batch: 10, into: &probs)
    var rng = SplitMix64(seed: 1)
    for (i, s) in pos.states.enumerated() {
      let row = Array(probs[(9 * i)..<(9 * i + 9)])
      let best = row.indices.max { row[$0] < row[$1] } ?? -1
      #expect(try player.action(for: s, using: &rng) == best)
    }
  }

  @Test func beatsRandomPlayInTheArenaAndReplays() throws {
    let g = TicTacToe()
    let puct = try PUCTPlayer(
      g, config: PUCTConfig(simulations: 100, rolloutWeight: 1), evaluator: NetworkEvaluator(policy: nil, value: nil))
    #expect(puct.label == "puct(100, c 1.5, λ 1.0, uniform)")
    let r = try Arena.play(g, puct, RandomPlayer(g), games: 20, seed: 11)
    #expect(r.record.losses == 0 && r.record.wins >= 14)
    let again = try Arena.play(g, puct, RandomPlayer(g), games: 20, seed: 11)
    #expect(again == r)
    var rng = SplitMix64(seed: 1)
    var over = g.initialState()
    for a in [0, 3, 1, 4, 2] { try g.apply(a, to: &over) }
    #expect(throws: SwiftPGError.self) { try puct.action(for: over, using: &rng) }
    #expect(throws: SwiftPGError.self) {
      try PUCTPlayer(g, config: PUCTConfig(), evaluator: NetworkEvaluator(policy: nil, value: nil), temperature: .nan)
    }
  }
}
