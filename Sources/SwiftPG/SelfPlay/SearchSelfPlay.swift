/// AlphaZero's self-play (Silver et al. 2017, 2018): games in which every
/// move is chosen by a PUCT search with the current networks, recording
/// for each position the search's visit distribution (the policy target)
/// and, once the game is over, its outcome for the player who moved there
/// (the value target). Compare it with AlphaGo's policy-gradient self-play
/// (`SelfPlayReinforce`): here the policy is trained towards the search's
/// improved policy, there along the gradient of the outcome.
public enum SearchSelfPlay {
  /// Positions of search self-play with their targets.
  public struct Examples<G: TwoPlayerGame> {
    public var states: [G.State] = []
    /// `[M, C·H·W]`.
    public var planes: [Double] = []
    /// `[M, A]`.
    public var masks: [UInt8] = []
    /// `[M, A]`: the root visit distribution of the search at each position.
    public var policies: [Double] = []
    /// `[M]`: the final outcome for the player to move at each position.
    public var outcomes: [Double] = []
    /// `[M]`: the game (0..<n) each position belongs to.
    public var games: [Int] = []
  }

  /// Plays `n` games with `search` choosing every move. All unfinished
  /// games are searched together in one `search.run` per ply (their leaves
  /// share the network forwards). Moves are sampled from the visit counts
  /// (temperature 1) for the first `temperatureMoves` plies of each game,
  /// then the most visited (temperature 0), as AlphaZero does for the
  /// opening. Game j's search seeds and move draws come from
  /// `playoutGenerator(seed, j, ·)`, so the result depends only on the
  /// seed, the search and its networks.
  /// - Throws: `.invalidArgument` unless 1 ≤ n ≤ 2^16 and temperatureMoves
  ///   ≥ 0; the search's errors.
  public static func collect<G: TwoPlayerGame>(
    _ search: PUCTSearch<G>, games n: Int, temperatureMoves: Int, seed: UInt64
  ) throws(SwiftPGError) -> Examples<G> {
    try require(n >= 1 && n <= 1 << 16, "games must be in [1, 2^16], got \(n)")
    try require(temperatureMoves >= 0, "temperatureMoves must be >= 0, got \(temperatureMoves)")
    let game = search.game
    let planeSize = game.planeCount * game.cellCount
    let a = game.actionCount
    var states = Array(repeating: game.initialState(), count: n)
    var moveRngs = (0..<n).map { playoutGenerator(seed: seed, game: $0, playout: 0) }
    var examples = Examples<G>()
    var movers: [Int] = []
    var plane = [Double](repeating: 0, count: planeSize)
    var mask = [UInt8](repeating: 0, count: a)
    var ply = 0
    while true {
      let live = (0..<n).filter { !game.isTerminal(states[$0]) }
      if live.isEmpty { break }
      let seeds = live.map { j in
        var g = playoutGenerator(seed: seed, game: j, playout: ply + 1)
        return g.next()
      }
      let result = try search.run(roots: live.map { states[$0] }, seeds: seeds)
      for (i, j) in live.enumerated() {
        let s = states[j]
        game.writePlanes(s, into: &plane)
        game.writeLegalMask(s, into: &mask)
        examples.states.append(s)
        examples.planes += plane
        examples.masks += mask
        examples.policies += try result.policy(i)
        examples.games.append(j)
        movers.append(game.currentPlayer(s))
        let action = try result.action(i, temperature: ply < temperatureMoves ? 1 : 0, using: &moveRngs[j])
        game.applyLegal(action, to: &states[j])
      }
      ply += 1
    }
    examples.outcomes = zip(examples.games, movers).map { j, mover in
      let r0 = game.returnOfPlayer0(states[j])
      return mover == 0 ? r0 : -r0
    }
    return examples
  }
}
