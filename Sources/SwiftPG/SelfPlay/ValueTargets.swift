/// AlphaGo's third step, the value network (Silver et al. 2016): regression
/// of V(s) on the outcomes of self-play games of a policy, with **one
/// position per game** — successive positions of one game are strongly
/// correlated and share one target, and AlphaGo's value network overfitted
/// when trained on whole games.
public enum ValueTargets {
  /// Self-play positions and their outcomes.
  public struct Examples<G: TwoPlayerGame> {
    public var states: [G.State] = []
    /// `[M, C·H·W]`: the planes of each position (mover's perspective).
    public var planes: [Double] = []
    /// `[M]`: the game's final outcome for the player to move in the
    /// position (+1, −1, 0).
    public var targets: [Double] = []
  }

  /// Plays `games` games of `policy` against itself (both sides sample from
  /// it; all games advance together, one forward per ply) and keeps one
  /// position of each game, drawn uniformly among its unfinished positions,
  /// with the outcome for the player to move there. Game j samples from
  /// `playoutGenerator(seed, j, 0)`.
  /// - Throws: `.invalidArgument` unless 1 ≤ games ≤ 2^20 and the policy
  ///   fits the game; `.numerical` for non-finite move probabilities.
  public static func collect<G: TwoPlayerGame>(
    _ game: G, policy: BoardPolicyNetwork, games n: Int, seed: UInt64
  ) throws(SwiftPGError) -> Examples<G> {
    try require(n >= 1 && n <= 1 << 20, "games must be in [1, 2^20], got \(n)")
    try NetworkEvaluator(policy: policy, value: nil).check(for: game)
    let planeSize = game.planeCount * game.cellCount
    let a = game.actionCount
    var states = Array(repeating: game.initialState(), count: n)
    var rngs = (0..<n).map { playoutGenerator(seed: seed, game: $0, playout: 0) }
    // The kept position of each game: reservoir sampling over its plies.
    var kept = states
    var seen = [Int](repeating: 0, count: n)
    var planes = [Double](repeating: 0, count: n * planeSize)
    var masks = [UInt8](repeating: 0, count: n * a)
    var probs = [Double](repeating: 0, count: n * a)
    var rows: [Int] = []
    while true {
      rows.removeAll(keepingCapacity: true)
      for j in 0..<n where !game.isTerminal(states[j]) {
        seen[j] += 1
        if Int.random(in: 0..<seen[j], using: &rngs[j]) == 0 { kept[j] = states[j] }
        game.writeNetworkRow(states[j], row: rows.count, planes: &planes, masks: &masks)
        rows.append(j)
      }
      if rows.isEmpty { break }
      try policy.probabilities(planes: planes, masks: masks, batch: rows.count, into: &probs)
      for (r, j) in rows.enumerated() {
        let u = rngs[j].nextUnitDouble()
        var c = 0.0
        var action = -1
        for b in 0..<a where probs[r * a + b] > 0 {
          c += probs[r * a + b]
          action = b
          if u < c { break }
        }
        guard action >= 0 else { throw SwiftPGError(.numerical, "the policy's move probabilities are not finite") }
        game.applyLegal(action, to: &states[j])
      }
    }
    var examples = Examples<G>()
    examples.planes = Array(repeating: 0, count: n * planeSize)
    for j in 0..<n {
      let s = kept[j]
      examples.states.append(s)
      examples.planes.withUnsafeMutableBufferPointer { b in
        if let p = b.baseAddress { game.writePlanes(s, into: p + j * planeSize) }
      }
      let r0 = game.returnOfPlayer0(states[j])
      examples.targets.append(game.currentPlayer(s) == 0 ? r0 : -r0)
    }
    return examples
  }

  /// Fits `value` by Adam on ½(V(s) − G)², mean over shuffled minibatches
  /// (a Fisher–Yates shuffle per epoch from `SplitMix64(seed)`).
  /// - Returns: the mean loss of each epoch (each minibatch's before its
  ///   step).
  /// - Throws: `.invalidArgument` for sizes that do not match, epochs or
  ///   minibatch < 1, a learning rate not finite and > 0; `.notFinite` for
  ///   a bad target; `.numerical` for a non-finite step (that step is not
  ///   taken).
  public static func fit(
    _ value: BoardValueNetwork, planes: [Double], targets: [Double], epochs: Int, minibatchSize: Int,
    learningRate: Double, seed: UInt64
  ) throws(SwiftPGError) -> [Double] {
    let m = targets.count
    let width = value.inputSize
    try require(m >= 1 && planes.count == m * width, "\(planes.count) plane values for \(m) targets of width \(width)")
    try require(epochs >= 1 && minibatchSize >= 1, "epochs and minibatch size must be >= 1")
    var optimizer = try Adam(parameterCount: value.parameterCount, learningRate: learningRate)
    var rng = SplitMix64(seed: seed)
    var order = Array(0..<m)
    var batchPlanes = [Double](repeating: 0, count: Swift.min(minibatchSize, m) * width)
    var batchTargets = [Double](repeating: 0, count: Swift.min(minibatchSize, m))
    var losses: [Double] = []
    for _ in 0..<epochs {
      order.shuffle(using: &rng)
      var total = 0.0
      var start = 0
      while start < m {
        let b = Swift.min(minibatchSize, m - start)
        for r in 0..<b {
          let k = order[start + r]
          batchTargets[r] = targets[k]
          for j in 0..<width { batchPlanes[r * width + j] = planes[k * width + j] }
        }
        var gradient = [Double](repeating: 0, count: value.parameterCount)
        let loss = try value.addLossGradient(
          planes: batchPlanes, targets: batchTargets, weights: nil, batch: b, into: &gradient)
        total += loss
        for i in gradient.indices { gradient[i] /= Double(b) }
        var theta = value.parameters
        try SupervisedTrainer.descend(
          &theta, gradient: &gradient, weightDecay: 0, optimizer: &optimizer, what: "the value network")
        try value.setParameters(theta)
        start += b
      }
      losses.append(total / Double(m))
    }
    return losses
  }
}
