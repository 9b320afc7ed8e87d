/// AlphaGo's first step, the supervised (SL) policy network (Silver et al.
/// 2016): maximise log π(a|s) on expert moves. The fitting is the one
/// supervised-imitation code of the library, `SupervisedTrainer` (masked
/// cross-entropy, Adam, shuffled minibatches, held-out loss and top-1
/// accuracy), shared with the SFT step of RLHF; here are the board policy
/// network as a `SupervisedModel` and data sets of expert-labelled
/// positions.
extension BoardPolicyNetwork: SupervisedModel {
  /// Flattened planes `[M, C·H·W]`, one row per position.
  public typealias Inputs = FeatureRows

  public func exampleCount(_ inputs: FeatureRows) throws(SwiftPGError) -> Int {
    try require(inputs.width == inputSize, "positions have \(inputs.width) plane values; the network reads \(inputSize)")
    return inputs.count
  }

  /// The logits (before masking; the loss masks them) of positions `rows`.
  public func forward(_ inputs: FeatureRows, rows: UnsafeBufferPointer<Int>) throws(SwiftPGError)
    -> UnsafePointer<Double>
  {
    let w = inputs.width
    if gathered.count < Swift.max(rows.count * w, 1) { gathered = Array(repeating: 0, count: Swift.max(rows.count * w, 1)) }
    for (r, k) in rows.enumerated() {
      try require(k >= 0 && k < inputs.count, "example index \(k) outside 0..<\(inputs.count)")
      for j in 0..<w { gathered[r * w + j] = inputs.values[k * w + j] }
    }
    let out = gathered.withUnsafeBufferPointer { b in b.baseAddress.map { trunk.forward($0, batch: rows.count) } }
    guard let out else { throw SwiftPGError(.internalError, "no plane buffer") }
    return out
  }

  public func backward(_ dLogits: UnsafePointer<Double>, into gradient: UnsafeMutablePointer<Double>) {
    trunk.backward(dLogits, into: gradient)
  }
}

/// Positions of a game with their planes, legal masks and an expert's move.
public struct ExpertExamples<G: TwoPlayerGame> {
  public var states: [G.State] = []
  /// `[M, C·H·W]`.
  public var planes: FeatureRows
  /// The expert's moves, with the legal masks.
  public var labels: SupervisedLabels
}

/// Expert-labelled positions for the supervised policy step.
public enum ExpertMoves {
  /// The distinct unfinished positions met in `games` uniformly random
  /// games (each random game from the start, positions in order of first
  /// appearance), each labelled with `expert`'s move (the solver for
  /// tic-tac-toe and small Connect-N: a move of best exact value, ties
  /// broken by the generator), then split into a training set and a
  /// held-out set of about `heldOutShare` of the positions (chosen by a
  /// seeded shuffle). Game i plays from `playoutGenerator(seed, i, 0)`.
  /// - Throws: `.invalidArgument` unless 1 ≤ games ≤ 2^20 and 0 <
  ///   heldOutShare < 1 and both sets are non-empty; the expert's errors.
  public static func collect<G: TwoPlayerGame>(
    _ game: G, expert: any GameStrategy<G>, games: Int, heldOutShare: Double, seed: UInt64
  ) throws(SwiftPGError) -> (train: ExpertExamples<G>, heldOut: ExpertExamples<G>) {
    try require(games >= 1 && games <= 1 << 20, "games must be in [1, 2^20], got \(games)")
    try require(heldOutShare > 0 && heldOutShare < 1, "the held-out share must be in (0, 1), got \(heldOutShare)")
    var seen = Set<G.State>()
    var states: [G.State] = []
    for i in 0..<games {
      var rng = playoutGenerator(seed: seed, game: i, playout: 0)
      var s = game.initialState()
      while !game.isTerminal(s) {
        if seen.insert(s).inserted { states.append(s) }
        game.applyLegal(game.randomLegalAction(in: s, using: &rng), to: &s)
      }
    }
    var order = Array(states.indices)
    var shuffle = playoutGenerator(seed: seed, game: games, playout: 1)
    order.shuffle(using: &shuffle)
    let heldCount = Int((Double(states.count) * heldOutShare).rounded())
    try require(
      heldCount > 0 && heldCount < states.count,
      "\(states.count) positions do not split into two non-empty sets at share \(heldOutShare)")
    var expertRng = playoutGenerator(seed: seed, game: games, playout: 2)
    let held = try label(game, order[0..<heldCount].map { states[$0] }, expert, &expertRng)
    let train = try label(game, order[heldCount...].map { states[$0] }, expert, &expertRng)
    return (train, held)
  }

  /// The planes, masks and `expert`'s moves of `states` (non-empty).
  static func label<G: TwoPlayerGame>(
    _ game: G, _ states: [G.State], _ expert: any GameStrategy<G>, _ rng: inout SplitMix64
  ) throws(SwiftPGError) -> ExpertExamples<G> {
    let width = game.planeCount * game.cellCount
    let a = game.actionCount
    var planes = [Double](repeating: 0, count: states.count * width)
    var masks = [UInt8](repeating: 0, count: states.count * a)
    var targets: [Int32] = []
    targets.reserveCapacity(states.count)
    for (i, s) in states.enumerated() {
      game.writeNetworkRow(s, row: i, planes: &planes, masks: &masks)
      targets.append(Int32(try expert.action(for: s, using: &rng)))
    }
    return ExpertExamples(
      states: states, planes: try FeatureRows(values: planes, count: states.count, width: width),
      labels: try SupervisedLabels(targets: targets, actionCount: a, mask: masks))
  }
}
