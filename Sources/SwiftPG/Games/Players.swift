/// A player of a two-player game: chooses a legal action in any position
/// whose game is not over. Every player is deterministic given the
/// generator it is handed (its random tie-breaks and rollouts draw from
/// it), so an arena with a seed replays exactly.
///
/// Players are classes because most keep state between moves (a solver's
/// transposition table, a search tree's storage); one player is used by
/// one thread at a time.
public protocol GameStrategy<Game>: AnyObject {
  associatedtype Game: TwoPlayerGame
  var game: Game { get }
  /// A short description ("random", "minimax(depth 4)", "mcts(1000, c 2)").
  var label: String { get }
  /// Stops a long `action` from another thread (`.cancelled`); players
  /// that search check it every few thousand nodes or simulations.
  var cancellation: CancellationFlag { get }
  /// A legal action in `s` (not terminal: refused with `.invalidArgument`).
  func action(for s: Game.State, using rng: inout SplitMix64) throws(SwiftPGError) -> Int
}

extension GameStrategy {
  /// Refuses a finished game (the first check of every `action`).
  func requirePlayable(_ s: Game.State) throws(SwiftPGError) {
    try require(!game.isTerminal(s), "the game is over: no action to choose")
  }

  /// The legal action of `s` whose child position has the best `value`
  /// (for the player to move in `s`; `value` also gets the best value so
  /// far, −∞ at first), ties broken uniformly by `rng`. Refuses a finished
  /// game.
  func bestAction(
    in s: Game.State, using rng: inout SplitMix64, tolerance: Double = 0,
    value: (_ child: Game.State, _ best: Double) throws(SwiftPGError) -> Double
  ) throws(SwiftPGError) -> Int {
    try requirePlayable(s)
    var pick = TieBreak()
    for a in 0..<game.actionCount where game.isLegal(a, in: s) {
      var child = s
      game.applyLegal(a, to: &child)
      pick.offer(a, try value(child, pick.best), using: &rng, tolerance: tolerance)
    }
    return pick.choice
  }
}

/// Uniformly random legal moves (the game's `randomLegalAction`).
public final class RandomPlayer<G: TwoPlayerGame>: GameStrategy {
  public let game: G
  public let cancellation = CancellationFlag()
  public init(_ game: G) { self.game = game }
  public var label: String { "random" }

  public func action(for s: G.State, using rng: inout SplitMix64) throws(SwiftPGError) -> Int {
    try requirePlayable(s)
    return game.randomLegalAction(in: s, using: &rng)
  }
}

/// Picks uniformly among the `count` best entries so far: call `offer`
/// with each candidate in turn (reservoir sampling over ties, no
/// allocation).
struct TieBreak {
  private(set) var best = -Double.infinity
  private(set) var choice = -1
  private var ties = 0

  /// Offers `action` with `value`; values within `tolerance` of the best
  /// count as ties. NaN counts as −∞, so some action is always chosen.
  mutating func offer(_ action: Int, _ score: Double, using rng: inout SplitMix64, tolerance: Double = 0) {
    let value = score.isNaN ? -Double.infinity : score
    if value > best + tolerance {
      best = value
      choice = action
      ties = 1
    } else if value >= best - tolerance {
      ties += 1
      if Int.random(in: 0..<ties, using: &rng) == 0 { choice = action }
    }
  }
}

/// The kinds of player the C ABI and Python create by name.
public enum PlayerKind: Sendable, Equatable {
  case random
  /// Negamax with alpha–beta to `depth` plies and the game's heuristic.
  case minimax(depth: Int)
  /// UCT with random rollouts, `simulations` per move, exploration `c`.
  case mcts(simulations: Int, c: Double)
  /// The perfect player: Connect-N through `ConnectSolver`, other small
  /// games through `ExactSolverPlayer`.
  case solver

  /// A player of this kind for `game`. Throws `.invalidArgument` for bad
  /// parameters and `.notSupported` for a solver the game has none of.
  /// `cancellation` stops a solver's long search (shared with the caller).
  public func make<G: TwoPlayerGame>(
    for game: G, cancellation: CancellationFlag = CancellationFlag()
  ) throws(SwiftPGError) -> any GameStrategy<G> {
    switch self {
    case .random: return RandomPlayer(game)
    case .minimax(let depth): return try MinimaxPlayer(game, depth: depth)
    case .mcts(let simulations, let c): return try MCTSPlayer(game, simulations: simulations, c: c)
    case .solver: return try makeSolver(for: game, cancellation: cancellation)
    }
  }
}
