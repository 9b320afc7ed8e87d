/// The evaluation ladder of issue 18: a player's matches against opponents
/// of rising strength — uniformly random, UCT with random rollouts at
/// budgets base · 10^(n/2) (OpenSpiel's evaluations of its MCTS bots),
/// minimax with alpha–beta at several depths, and the perfect solver —
/// each an `Arena.play` from both seats.
public enum Ladder {
  /// Which rungs to play.
  public struct Config: Sendable, Equatable {
    /// Games against each opponent (half with the player first); ≥ 1.
    public var gamesPerRung: Int = 20
    /// Include the uniformly random player.
    public var random = true
    /// b of the MCTS budgets b · 10^(n/2), n = 0 ..< mctsRungs (rounded);
    /// b ≥ 1.
    public var mctsBase: Int = 10
    /// How many MCTS budgets (0: none).
    public var mctsRungs: Int = 4
    /// UCT's exploration constant of the MCTS opponents.
    public var mctsC: Double = 2
    /// Minimax depths (each in 1 ... 64; empty: none).
    public var minimaxDepths: [Int] = [1, 2, 4]
    /// Include the perfect solver (skipped for a game that has none).
    public var solver = true
    public var seed: UInt64 = 0

    public init() {}

    /// Refuses (`.invalidArgument`) games per rung outside [1, 2^20], a
    /// base < 1, rungs outside [0, 16], c not finite or < 0, a depth
    /// outside [1, 64].
    public func validate() throws(SwiftPGError) {
      try require(gamesPerRung >= 1 && gamesPerRung <= 1 << 20, "games per rung must be in [1, 2^20], got \(gamesPerRung)")
      try require(mctsBase >= 1 && mctsBase <= 1 << 20, "the MCTS base budget must be in [1, 2^20], got \(mctsBase)")
      try require(mctsRungs >= 0 && mctsRungs <= 16, "MCTS rungs must be in [0, 16], got \(mctsRungs)")
      try require(mctsC.isFinite && mctsC >= 0, "the MCTS exploration constant must be finite and >= 0, got \(mctsC)")
      for d in minimaxDepths { try require(d >= 1 && d <= 64, "minimax depths must be in [1, 64], got \(d)") }
    }
  }

  /// One opponent and the player's results against it.
  public struct Rung: Sendable {
    public var opponent: PlayerKind
    public var label: String
    public var result: Arena.Result
  }

  /// The MCTS budgets b · 10^(n/2), n = 0 ..< count, rounded to integers.
  public static func mctsBudgets(base: Int, count: Int) -> [Int] {
    (0..<Swift.max(count, 0)).map { n in Int((Double(base) * _pow(10, Double(n) / 2)).rounded()) }
  }

  /// The opponents of `config`, weakest first; the solver is left out for a
  /// game without one.
  public static func opponents<G: TwoPlayerGame>(_ game: G, _ config: Config) throws(SwiftPGError) -> [PlayerKind] {
    try config.validate()
    var kinds: [PlayerKind] = []
    if config.random { kinds.append(.random) }
    for s in mctsBudgets(base: config.mctsBase, count: config.mctsRungs) {
      kinds.append(.mcts(simulations: Swift.min(s, MCTSPlayer<G>.maxSimulations), c: config.mctsC))
    }
    for d in config.minimaxDepths { kinds.append(.minimax(depth: d)) }
    if config.solver, (try? makeSolver(for: game)) != nil { kinds.append(.solver) }
    return kinds
  }

  /// Plays `player` against every opponent of `config`: rung k is
  /// `Arena.play(game, player, opponent, games, seed: k-th draw of
  /// SplitMix64(config.seed))`.
  /// - Throws: a bad config; the players' errors; `.cancelled`.
  public static func play<G: TwoPlayerGame>(
    _ game: G, player: any GameStrategy<G>, config: Config, cancellation: CancellationFlag? = nil
  ) throws(SwiftPGError) -> [Rung] {
    let kinds = try opponents(game, config)
    var seeds = SplitMix64(seed: config.seed)
    var rungs: [Rung] = []
    for kind in kinds {
      let opponent = try kind.make(for: game, cancellation: cancellation ?? CancellationFlag())
      let r = try Arena.play(
        game, player, opponent, games: config.gamesPerRung, seed: seeds.next(), cancellation: cancellation)
      rungs.append(Rung(opponent: kind, label: opponent.label, result: r))
    }
    return rungs
  }
}
