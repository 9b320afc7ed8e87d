import Testing

@testable import SwiftPG

/// Games/GameNetworks.swift: networks sized for each game read its planes
/// and write its actions; the first policy is near uniform over the legal
/// moves and the first values near 0.
@Suite struct GameNetworksTests {
  func check<G: TwoPlayerGame>(_ game: G) throws {
    var rng = SplitMix64(seed: 1)
    let s = game.initialState()
    var planes = [Double](repeating: 0, count: game.planeCount * game.cellCount)
    game.writePlanes(s, into: &planes)
    var mask = [UInt8](repeating: 0, count: game.actionCount)
    game.writeLegalMask(s, into: &mask)
    let legal = Double(mask.reduce(0) { $0 + Int($1) })
    let policies = [
      try BoardPolicyNetwork.mlp(for: game, hidden: [32], using: &rng),
      try BoardPolicyNetwork.conv(for: game, channels: [8, 8], using: &rng),
    ]
    for p in policies {
      #expect(p.actionCount == game.actionCount && p.inputSize == planes.count)
      var probs = [Double](repeating: 0, count: game.actionCount)
      try p.probabilities(planes: planes, masks: mask, batch: 1, into: &probs)
      for a in 0..<game.actionCount where mask[a] == 1 { #expect(abs(probs[a] * legal - 1) < 0.05, "\(game.name)") }
    }
    let values = [
      try BoardValueNetwork.mlp(for: game, hidden: [32], using: &rng),
      try BoardValueNetwork.conv(for: game, channels: [8], using: &rng),
    ]
    for v in values {
      var out = [9.0]
      try v.values(planes: planes, batch: 1, into: &out)
      #expect(abs(out[0]) < 0.05 && out[0] != 0)
    }
  }

  @Test func networksFitEachGame() throws {
    try check(TicTacToe())
    try check(try ConnectN(rows: 6, columns: 7, xInRow: 4))
    try check(try GoGame(boardSize: 5, komi: 7.5))
  }
}
