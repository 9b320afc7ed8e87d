/// A player that searches every move with `PUCTSearch` (one tree) and plays
/// the root's most visited child (temperature 0; ties broken by the
/// generator) or samples from the visits (temperature τ > 0). With 1
/// simulation it plays the policy network's most probable move (the raw
/// policy); with no networks and λ = 1 it is PUCT with uniform priors and
/// random rollouts. Usable wherever a `GameStrategy` is (the arena, Elo).
///
/// The search's seed for a move is drawn from the generator the arena
/// hands the player, so a match replays exactly from its seed.
public final class PUCTPlayer<G: TwoPlayerGame>: GameStrategy {
  public let search: PUCTSearch<G>
  public let temperature: Double
  public var game: G { search.game }
  public var cancellation: CancellationFlag { search.cancellation }

  /// - Throws: as `PUCTSearch.init`; `.invalidArgument` for a temperature
  ///   not finite or < 0.
  public init(_ game: G, config: PUCTConfig, evaluator: any PositionEvaluator, temperature: Double = 0)
    throws(SwiftPGError)
  {
    try require(temperature.isFinite && temperature >= 0, "the temperature must be finite and >= 0, got \(temperature)")
    search = try PUCTSearch(game, config: config, evaluator: evaluator)
    self.temperature = temperature
  }

  public var label: String {
    let c = search.config
    return "puct(\(c.simulations), c \(c.cPuct), λ \(c.rolloutWeight), \(search.evaluator.label))"
  }

  public func action(for s: G.State, using rng: inout SplitMix64) throws(SwiftPGError) -> Int {
    try requirePlayable(s)
    let result = try search.run(roots: [s], seeds: [rng.next()])
    return try result.action(0, temperature: temperature, using: &rng)
  }
}
