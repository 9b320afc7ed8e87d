import Testing

@testable import SwiftPG

/// Games/PositionEvaluator.swift: with networks, their probabilities and
/// values; without, uniform priors over the legal actions and values 0;
/// networks of another game refused.
@Suite struct PositionEvaluatorTests {
  @Test func networksOrUniform() throws {
    let g = TicTacToe()
    let pos = BoardPositions(g, count: 5, seed: 1)
    var rng = SplitMix64(seed: 2)
    let policy = try BoardPolicyNetwork.mlp(for: g, hidden: [8], using: &rng)
    let value = try BoardValueNetwork.mlp(for: g, hidden: [8], using: &rng)
    var priors = [Double](repeating: -1, count: 45)
    var values = [Double](repeating: -1, count: 5)
    try NetworkEvaluator(policy: policy, value: value).evaluate(
      planes: pos.planes, masks: pos.masks, batch: 5, actionCount: 9, priors: &priors, values: &values)
    var p = [Double](repeating: 0, count: 45)
    var v = [Double](repeating: 0, count: 5)
    try policy.probabilities(planes: pos.planes, masks: pos.masks, batch: 5, into: &p)
    try value.values(planes: pos.planes, batch: 5, into: &v)
    #expect(priors == p && values == v)
    try NetworkEvaluator(policy: nil, value: nil).evaluate(
      planes: pos.planes, masks: pos.masks, batch: 5, actionCount: 9, priors: &priors, values: &values)
    for i in 0..<5 {
      let legal = Double(pos.masks[(9 * i)..<(9 * i + 9)].reduce(0) { $0 + Int($1) })
      for a in 0..<9 { #expect(priors[9 * i + a] == (pos.masks[9 * i + a] == 1 ? 1 / legal : 0)) }
    }
    #expect(values == [0, 0, 0, 0, 0])
    #expect(NetworkEvaluator(policy: policy, value: nil).label == "policy")
  }

  @Test func networksOfAnotherGameAreRefused() throws {
    var rng = SplitMix64(seed: 3)
    let connect = try ConnectN(rows: 4, columns: 4, xInRow: 3)
    let policy = try BoardPolicyNetwork.mlp(for: connect, hidden: [8], using: &rng)
    let value = try BoardValueNetwork.mlp(for: connect, hidden: [8], using: &rng)
    #expect(throws: SwiftPGError.self) { try NetworkEvaluator(policy: policy, value: nil).check(for: TicTacToe()) }
    #expect(throws: SwiftPGError.self) { try NetworkEvaluator(policy: nil, value: value).check(for: TicTacToe()) }
    try NetworkEvaluator(policy: policy, value: value).check(for: connect)
    var priors = [Double](repeating: 0, count: 4)
    var values = [0.0]
    #expect(throws: SwiftPGError.self) {
      try NetworkEvaluator(policy: nil, value: nil).evaluate(
        planes: [Double](repeating: 0, count: 48), masks: [0, 0, 0, 0], batch: 1, actionCount: 4, priors: &priors,
        values: &values)
    }
  }
}
