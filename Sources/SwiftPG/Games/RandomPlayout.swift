/// Plays uniformly random legal moves from `start` to the end of the game.
///
/// - Returns: player 0's final return (+1, −1, 0) and the number of moves
///   played (0 if `start` is already over).
/// - Complexity: O(moves) calls of `randomLegalAction` and `applyLegal`;
///   no allocation.
@inlinable
public func randomPlayout<G: TwoPlayerGame>(_ game: G, from start: G.State, using rng: inout SplitMix64)
  -> (outcome: Double, moves: Int)
{
  var s = start
  var moves = 0
  while !game.isTerminal(s) {
    game.applyLegal(game.randomLegalAction(in: s, using: &rng), to: &s)
    moves += 1
  }
  return (game.returnOfPlayer0(s), moves)
}

/// The generator of playout `playout` of game `game` in a batch playing
/// with `seed`: SplitMix64 seeded from a hash of the three, so each
/// playout's moves depend only on (seed, game, playout).
public func playoutGenerator(seed: UInt64, game: Int, playout: Int) -> SplitMix64 {
  var mixer = SplitMix64(seed: UInt64(truncatingIfNeeded: game) &* 0x1_0000_0001 ^ UInt64(truncatingIfNeeded: playout))
  var g = SplitMix64(seed: seed ^ mixer.next())
  _ = g.next()
  return g
}
