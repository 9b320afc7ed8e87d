/// The settings of a PUCT search (`PUCTSearch`).
public struct PUCTConfig: Sendable, Equatable {
  /// Simulations per search, the root's evaluation included (each adds one
  /// leaf evaluation). With 1 only the root is evaluated: moves then follow
  /// the prior (the raw policy network).
  public var simulations: Int = 100
  /// c_puct, the weight of the prior-guided exploration term.
  public var cPuct: Double = 1.5
  /// λ, the weight of the random rollout in a leaf's value:
  /// (1 − λ)·V(s) + λ·z (AlphaGo used λ = 0.5; AlphaZero λ = 0, no
  /// rollouts; λ = 1 ignores the value network).
  public var rolloutWeight: Double = 0
  /// α of the symmetric Dirichlet noise at the root (AlphaZero: 0.3 for
  /// chess, 0.03 for Go; roughly 10 / typical number of legal moves).
  public var dirichletAlpha: Double = 0.3
  /// ε, the share of the noise in the root's priors: P = (1 − ε)·p + ε·η,
  /// η ~ Dir(α). 0 (the default) for evaluation, 0.25 for self-play.
  public var dirichletEpsilon: Double = 0

  public init(
    simulations: Int = 100, cPuct: Double = 1.5, rolloutWeight: Double = 0, dirichletAlpha: Double = 0.3,
    dirichletEpsilon: Double = 0
  ) {
    self.simulations = simulations
    self.cPuct = cPuct
    self.rolloutWeight = rolloutWeight
    self.dirichletAlpha = dirichletAlpha
    self.dirichletEpsilon = dirichletEpsilon
  }

  /// The largest simulation budget (bounds a tree's memory).
  public static let maxSimulations = 1 << 20

  /// Refuses (`.invalidArgument`) simulations outside [1, 2^20], c_puct or
  /// α not finite and > 0 (α only matters with ε > 0 but is checked
  /// always), λ or ε outside [0, 1].
  public func validate() throws(SwiftPGError) {
    try require(
      simulations >= 1 && simulations <= Self.maxSimulations,
      "simulations must be in [1, 2^20], got \(simulations)")
    try require(cPuct.isFinite && cPuct > 0, "c_puct must be finite and > 0, got \(cPuct)")
    try require(rolloutWeight >= 0 && rolloutWeight <= 1, "the rollout weight λ must be in [0, 1], got \(rolloutWeight)")
    try require(dirichletAlpha.isFinite && dirichletAlpha > 0, "the Dirichlet α must be finite and > 0, got \(dirichletAlpha)")
    try require(
      dirichletEpsilon >= 0 && dirichletEpsilon <= 1, "the Dirichlet ε must be in [0, 1], got \(dirichletEpsilon)")
  }
}

/// Monte Carlo tree search with a policy and a value network, many trees at
/// once: AlphaGo's search (Silver et al. 2016) and AlphaZero's (Silver et
/// al. 2017, 2018), after Rosin's (2011) PUCT.
///
/// Each simulation descends every tree from its root, at each node taking
/// the child a that maximises
///
///     Q(s, a) + c_puct · P(s, a) · √N(s) / (1 + N(s, a)),
///
/// Q the mean value of the child for the player choosing at s (0 for an
/// unvisited child), P the prior, N(s) the visits of s and N(s, a) the
/// child's; ties are broken uniformly by the tree's generator. At a leaf
/// not yet expanded, the leaves of all trees go to the evaluator in one
/// batch (one network forward); each leaf is expanded with its priors as P
/// and scored (1 − λ)·V(leaf) + λ·z, z the outcome of one uniformly random
/// playout from the leaf; a finished game scores its exact outcome. The
/// score is backed up along the path (visits + 1, value added for the
/// player who moved into each node). At the root of every tree the priors
/// get Dirichlet noise when ε > 0 (AlphaZero's exploration in self-play).
///
/// Every tree draws from its own generator, seeded from the seed given for
/// its root (`run(roots:seeds:)`), so a tree's search depends only on its
/// root, its seed and the evaluator's outputs (equal whatever the batch
/// when the evaluator's are). Memory: the trees keep about
/// simulations × branching nodes each, reused between searches.
/// Not thread-safe: one search at a time.
public final class PUCTSearch<G: TwoPlayerGame> {
  public let game: G
  public let config: PUCTConfig
  public let evaluator: any PositionEvaluator
  public let cancellation = CancellationFlag()

  private var trees: [PUCTTree<G>] = []
  // The batch of leaves of one simulation round.
  private var planes: [Double] = []
  private var masks: [UInt8] = []
  private var priors: [Double] = []
  private var values: [Double] = []
  private var noise: [Double] = []

  /// - Throws: `.invalidArgument` for a bad `config` (`PUCTConfig.validate`)
  ///   or networks that do not fit the game; `.tooLarge` when simulations ×
  ///   actions exceeds `MCTSPlayer.maxNodes`.
  public init(_ game: G, config: PUCTConfig, evaluator: any PositionEvaluator) throws(SwiftPGError) {
    try config.validate()
    try evaluator.check(for: game)
    let nodes = try checkedProduct(config.simulations, max(game.actionCount, 1), "PUCT tree nodes")
    try require(
      nodes <= MCTSPlayer<G>.maxNodes,
      "simulations × actions = \(nodes) tree nodes exceeds \(MCTSPlayer<G>.maxNodes) (the tree's memory)",
      code: .tooLarge)
    self.game = game
    self.config = config
    self.evaluator = evaluator
  }

  /// The result of a search over N roots.
  public struct Result: Sendable {
    /// `[N, A]`: the visits of each root's children (0 for illegal actions).
    public var visits: [Double]
    /// `[N, A]`: the root priors the search used (after noise).
    public var rootPriors: [Double]
    /// `[N]`: each root's mean backed-up value for the player to move there.
    public var rootValues: [Double]
    public var actionCount: Int

    /// `[A]`: root i's visit distribution N(a) / Σ N (AlphaZero's policy
    /// target); the priors when no child was visited (1 simulation).
    /// - Throws: `.outOfRange` unless 0 ≤ i < N.
    public func policy(_ i: Int) throws(SwiftPGError) -> [Double] {
      try require(
        i >= 0 && i < rootValues.count, "root \(i) is outside 0..<\(rootValues.count)", code: .outOfRange)
      let row = Array(visits[(i * actionCount)..<((i + 1) * actionCount)])
      let total = row.reduce(0, +)
      return total > 0 ? row.map { $0 / total } : Array(rootPriors[(i * actionCount)..<((i + 1) * actionCount)])
    }

    /// Root i's move: with temperature τ = 0 the most visited child (ties
    /// broken uniformly); τ > 0 samples a ∝ N(a)^(1/τ). With no visits (1
    /// simulation) the prior plays the visits' part.
    /// - Throws: `.invalidArgument` for τ < 0 or not finite; `.outOfRange`
    ///   unless 0 ≤ i < N.
    public func action(_ i: Int, temperature: Double, using rng: inout SplitMix64) throws(SwiftPGError) -> Int {
      try require(temperature.isFinite && temperature >= 0, "the temperature must be finite and >= 0, got \(temperature)")
      let weights = try policy(i)
      let top = weights.max() ?? 0
      if temperature == 0 || top <= 0 {
        var pick = TieBreak()
        for (a, w) in weights.enumerated() where w > 0 || top <= 0 { pick.offer(a, w, using: &rng) }
        return pick.choice
      }
      // w^(1/τ) relative to the largest, in logs (no overflow for small τ).
      var cumulative = [Double](repeating: 0, count: weights.count)
      var sum = 0.0
      for (a, w) in weights.enumerated() {
        sum += w > 0 ? _exp((_log(w) - _log(top)) / temperature) : 0
        cumulative[a] = sum
      }
      let u = rng.nextUnitDouble() * sum
      for (a, c) in cumulative.enumerated() where u < c && weights[a] > 0 { return a }
      return weights.lastIndex { $0 > 0 } ?? 0
    }
  }

  /// Searches from every root (unfinished positions), one tree each, tree
  /// i drawing from a generator seeded by `seeds[i]`.
  /// - Throws: `.invalidArgument` for a finished root or a seed count other
  ///   than the root count; the evaluator's errors; `.cancelled`.
  public func run(roots: [G.State], seeds: [UInt64]) throws(SwiftPGError) -> Result {
    try require(seeds.count == roots.count, "\(roots.count) roots need as many seeds, got \(seeds.count)")
    for (i, s) in roots.enumerated() {
      try require(!game.isTerminal(s), "root \(i) is a finished game: there is nothing to search")
    }
    let n = roots.count
    let actions = game.actionCount
    let planeSize = game.planeCount * game.cellCount
    while trees.count < n { trees.append(PUCTTree()) }
    if values.count < n {
      planes = Array(repeating: 0, count: n * planeSize)
      masks = Array(repeating: 0, count: n * actions)
      priors = Array(repeating: 0, count: n * actions)
      values = Array(repeating: 0, count: n)
    }
    if noise.count < actions { noise = Array(repeating: 0, count: actions) }
    for i in 0..<n { trees[i].reset(root: roots[i], game: game, seed: seeds[i]) }

    var pending: [Int] = []  // trees whose leaf awaits evaluation, in batch order
    pending.reserveCapacity(n)
    for k in 0..<config.simulations {
      if k & 15 == 15 { try cancellation.check("the PUCT search") }
      pending.removeAll(keepingCapacity: true)
      for i in 0..<n {
        let tree = trees[i]
        let leaf = tree.descend(game: game, c: config.cPuct)
        let s = tree.states[leaf]
        if game.isTerminal(s) {
          tree.backup(game.returnOfPlayer0(s))
        } else {
          let slot = pending.count
          game.writeNetworkRow(s, row: slot, planes: &planes, masks: &masks)
          pending.append(i)
        }
      }
      guard !pending.isEmpty else { continue }
      try evaluator.evaluate(
        planes: planes, masks: masks, batch: pending.count, actionCount: actions, priors: &priors, values: &values)
      // Networks with extreme parameters overflow to NaN or ∞: refuse to search on them.
      for slot in 0..<pending.count {
        guard values[slot].isFinite else {
          throw SwiftPGError(.numerical, "the value network returned \(values[slot]) for a position")
        }
        for a in 0..<actions where !priors[slot * actions + a].isFinite {
          throw SwiftPGError(.numerical, "the policy network returned a prior of \(priors[slot * actions + a])")
        }
      }
      for (slot, i) in pending.enumerated() {
        let tree = trees[i]
        let leaf = tree.leaf
        let s = tree.states[leaf]
        if leaf == 0 && config.dirichletEpsilon > 0 {
          addNoise(to: slot, mask: slot * actions, using: &tree.rng)
        }
        tree.expand(leaf, game: game, priors: priors, offset: slot * actions)
        let mover = game.currentPlayer(s)
        var value0 = mover == 0 ? values[slot] : -values[slot]  // player 0's view
        if config.rolloutWeight > 0 {
          let z = randomPlayout(game, from: s, using: &tree.rng).outcome
          value0 = (1 - config.rolloutWeight) * value0 + config.rolloutWeight * z
        }
        tree.backup(value0)
      }
    }

    var result = Result(
      visits: Array(repeating: 0, count: n * actions), rootPriors: Array(repeating: 0, count: n * actions),
      rootValues: Array(repeating: 0, count: n), actionCount: actions)
    for i in 0..<n {
      let tree = trees[i]
      let first = Int(tree.firstChild[0])
      for c in first..<(first + Int(tree.childCount[0])) {
        let a = Int(tree.action[c])
        result.visits[i * actions + a] = Double(tree.visits[c])
        result.rootPriors[i * actions + a] = tree.priors[c]
      }
      // The root's totals are from the view of the player who moved into it.
      result.rootValues[i] = tree.visits[0] > 0 ? -tree.totals[0] / Double(tree.visits[0]) : 0
    }
    return result
  }

  /// P = (1 − ε)·p + ε·η on the legal actions of batch row `slot`, η ~
  /// Dir(α) over them.
  private func addNoise(to slot: Int, mask: Int, using rng: inout SplitMix64) {
    let actions = game.actionCount
    var legal = 0
    for a in 0..<actions where masks[mask + a] == 1 { legal += 1 }
    noise.withUnsafeMutableBufferPointer { b in
      if let p = b.baseAddress { rng.dirichlet(alpha: config.dirichletAlpha, count: legal, into: p) }
    }
    let eps = config.dirichletEpsilon
    var j = 0
    for a in 0..<actions where masks[mask + a] == 1 {
      priors[slot * actions + a] = (1 - eps) * priors[slot * actions + a] + eps * noise[j]
      j += 1
    }
  }
}

/// One search tree, structure of arrays; node 0 is the root. Internal so
/// that tests can build trees by hand.
final class PUCTTree<G: TwoPlayerGame> {
  var states: [G.State] = []
  var visits: [Int32] = []
  /// Sum of backed-up values for the player who moved into the node.
  var totals: [Double] = []
  var priors: [Double] = []
  /// −1 until the node is expanded.
  var firstChild: [Int32] = []
  var childCount: [Int32] = []
  var action: [Int32] = []
  /// The player who moved into the node (0 or 1).
  var mover: [UInt8] = []
  var path: [Int32] = []
  /// The node the last `descend` stopped at.
  var leaf = 0
  var rng = SplitMix64(seed: 0)

  func reset(root: G.State, game: G, seed: UInt64) {
    states.removeAll(keepingCapacity: true)
    visits.removeAll(keepingCapacity: true)
    totals.removeAll(keepingCapacity: true)
    priors.removeAll(keepingCapacity: true)
    firstChild.removeAll(keepingCapacity: true)
    childCount.removeAll(keepingCapacity: true)
    action.removeAll(keepingCapacity: true)
    mover.removeAll(keepingCapacity: true)
    addNode(root, action: -1, prior: 1, by: 1 - max(game.currentPlayer(root), 0))
    rng = SplitMix64(seed: seed)
  }

  func addNode(_ s: G.State, action a: Int, prior: Double, by player: Int) {
    states.append(s)
    visits.append(0)
    totals.append(0)
    priors.append(prior)
    firstChild.append(-1)
    childCount.append(0)
    action.append(Int32(a))
    mover.append(UInt8(truncatingIfNeeded: player))
  }

  /// The PUCT score of a child: Q + c · P · √N(parent) / (1 + N(child)),
  /// Q = 0 for an unvisited child.
  static func score(total: Double, visits: Int32, prior: Double, parentVisits: Int32, c: Double) -> Double {
    let q = visits > 0 ? total / Double(visits) : 0
    return q + c * prior * Double(parentVisits).squareRoot() / (1 + Double(visits))
  }

  /// The child of an expanded `node` with the best PUCT score.
  func select(_ node: Int, c: Double) -> Int {
    var pick = TieBreak()
    let first = Int(firstChild[node])
    for i in first..<(first + Int(childCount[node])) {
      pick.offer(
        i, Self.score(total: totals[i], visits: visits[i], prior: priors[i], parentVisits: visits[node], c: c),
        using: &rng)
    }
    return pick.choice
  }

  /// Descends from the root through expanded nodes to a leaf (a node not
  /// yet expanded, or a finished game); records the path and the leaf.
  func descend(game: G, c: Double) -> Int {
    path.removeAll(keepingCapacity: true)
    var node = 0
    path.append(0)
    while firstChild[node] >= 0 && childCount[node] > 0 {
      node = select(node, c: c)
      path.append(Int32(node))
    }
    leaf = node
    return node
  }

  /// Adds a child for every legal action of `node`, with the prior at
  /// `priors[offset + action]`.
  func expand(_ node: Int, game: G, priors p: [Double], offset: Int) {
    let s = states[node]
    let first = states.count
    var count: Int32 = 0
    let player = game.currentPlayer(s)
    for a in 0..<game.actionCount where game.isLegal(a, in: s) {
      var child = s
      game.applyLegal(a, to: &child)
      addNode(child, action: a, prior: p[offset + a], by: player)
      count += 1
    }
    firstChild[node] = Int32(first)
    childCount[node] = count
  }

  /// Adds one visit and `value0` (player 0's view) to every node of the
  /// last path, as seen by the player who moved into each.
  func backup(_ value0: Double) {
    for p in path {
      let i = Int(p)
      visits[i] += 1
      totals[i] += mover[i] == 0 ? value0 : -value0
    }
  }
}
