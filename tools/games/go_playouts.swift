// Random playouts of GoState per second, uniform over the legal actions at
// each move (the same policy as a pyspiel loop calling legal_actions and
// apply_action), one thread. Built and run by tools/games/go_speed.sh with
// `swiftc -O` from the library's sources (no C ABI needed).

/// `sampled`: draw with `randomLegalAction` (no list built) instead of
/// picking from `legalActions()`.
func playouts(boardSize: Int, games: Int, seed: UInt64, sampled: Bool) throws -> (moves: Int, blackWins: Int) {
  var rng = SplitMix64(seed: seed)
  var moves = 0
  var blackWins = 0
  let start = try GoState(boardSize: boardSize)
  for _ in 0..<games {
    var state = start
    while !state.isTerminal {
      if sampled, let action = state.randomLegalAction(using: &rng) {
        try state.apply(action)
      } else {
        let legal = state.legalActions()
        try state.apply(legal[Int(rng.next() % UInt64(legal.count))])
      }
      moves += 1
    }
    if state.returns()[0] > 0 { blackWins += 1 }
  }
  return (moves, blackWins)
}

@main struct GoPlayouts {
  static func main() throws {
    let clock = ContinuousClock()
    for (n, sampled) in [(5, false), (7, false), (9, false), (9, true)] {
      let games = n == 9 ? 20_000 : 40_000
      var result = (moves: 0, blackWins: 0)
      let elapsed = try clock.measure {
        result = try playouts(boardSize: n, games: games, seed: 7, sampled: sampled)
      }
      let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
      print(
        "swiftpg GoState \(n)x\(n)\(sampled ? " (randomLegalAction)" : ""): \(Int(Double(games) / seconds)) playouts/s, "
          + "\(Int(Double(result.moves) / seconds)) moves/s, "
          + "\(Double(result.moves) / Double(games)) moves/game")
    }
  }
}
