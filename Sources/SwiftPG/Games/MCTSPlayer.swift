/// Monte Carlo tree search with UCT (Kocsis & Szepesvári 2006) and
/// uniformly random rollouts: `simulations` times per move it descends from
/// the root choosing the child that maximises
///
///     Q(child) + c · √(ln N(node) / N(child)),
///
/// Q the mean outcome of the child for the player who moved into it (win 1,
/// draw 0, loss −1) and N the visit counts; an unvisited child comes first
/// (ties among them broken at random); the first visit of a leaf expands
/// all its children, then one random playout from a new child scores the
/// simulation, and the outcome is backed up along the path. The move played
/// is the root child with the most visits (ties: the higher mean, then
/// random). OpenSpiel's `MCTSBot` works the same way (its default c = 2,
/// one rollout); its evaluations compare budgets base · 10^(n/2).
///
/// The tree is rebuilt for every move (no reuse between moves); its storage
/// is kept and reused. Memory: about (1 + branching) · simulations nodes.
public final class MCTSPlayer<G: TwoPlayerGame>: GameStrategy {
  public let game: G
  public let simulations: Int
  public let c: Double
  public let cancellation = CancellationFlag()

  // The tree, structure of arrays; node 0 is the root.
  private var states: [G.State] = []
  private var visits: [Int32] = []
  /// Sum of outcomes for the player who moved into the node.
  private var totals: [Double] = []
  private var firstChild: [Int32] = []
  private var childCount: [Int32] = []
  private var actionInto: [Int32] = []
  /// The player who made the move into the node (0 or 1).
  private var mover: [UInt8] = []
  private var path: [Int32] = []

  /// Largest simulation budget (bounds the tree's memory).
  public static var maxSimulations: Int { 1 << 20 }
  /// Largest simulations × actions (the most nodes a tree can reach, about
  /// 50 bytes each for the Connect-N games).
  public static var maxNodes: Int { 1 << 24 }

  /// - Throws: `.invalidArgument` unless 1 ≤ simulations ≤ 2^20 and c is
  ///   finite and ≥ 0; `.tooLarge` when simulations × actions > 2^24.
  public init(_ game: G, simulations: Int, c: Double = 2) throws(SwiftPGError) {
    try require(
      simulations >= 1 && simulations <= Self.maxSimulations,
      "simulations must be in [1, \(Self.maxSimulations)], got \(simulations)")
    try require(c.isFinite && c >= 0, "the exploration constant c must be finite and >= 0, got \(c)")
    let nodes = try checkedProduct(simulations, max(game.actionCount, 1), "MCTS tree nodes")
    try require(
      nodes <= Self.maxNodes,
      "simulations × actions = \(nodes) tree nodes exceeds \(Self.maxNodes) (the tree's memory)", code: .tooLarge)
    self.game = game
    self.simulations = simulations
    self.c = c
  }

  public var label: String { "mcts(\(simulations), c \(c))" }

  private func addNode(_ s: G.State, action: Int, by player: Int) {
    states.append(s)
    visits.append(0)
    totals.append(0)
    firstChild.append(-1)
    childCount.append(0)
    actionInto.append(Int32(action))
    mover.append(UInt8(truncatingIfNeeded: player))
  }

  private func expand(_ node: Int) {
    let s = states[node]
    let first = states.count
    var n: Int32 = 0
    let player = game.currentPlayer(s)
    for a in 0..<game.actionCount where game.isLegal(a, in: s) {
      var child = s
      game.applyLegal(a, to: &child)
      addNode(child, action: a, by: player)
      n += 1
    }
    firstChild[node] = Int32(first)
    childCount[node] = n
  }

  /// The child of `node` that UCT descends to.
  private func select(_ node: Int, using rng: inout SplitMix64) -> Int {
    let logN = _log(Double(max(visits[node], 1)))
    var pick = TieBreak()
    let first = Int(firstChild[node])
    for i in first..<first + Int(childCount[node]) {
      let n = Double(visits[i])
      let value = n == 0 ? Double.infinity : totals[i] / n + c * (logN / n).squareRoot()
      pick.offer(i, value, using: &rng)
    }
    return pick.choice
  }

  public func action(for s: G.State, using rng: inout SplitMix64) throws(SwiftPGError) -> Int {
    try requirePlayable(s)
    states.removeAll(keepingCapacity: true)
    visits.removeAll(keepingCapacity: true)
    totals.removeAll(keepingCapacity: true)
    firstChild.removeAll(keepingCapacity: true)
    childCount.removeAll(keepingCapacity: true)
    actionInto.removeAll(keepingCapacity: true)
    mover.removeAll(keepingCapacity: true)
    addNode(s, action: -1, by: 1 - game.currentPlayer(s))
    for k in 0..<simulations {
      if k & 255 == 255 { try cancellation.check("the MCTS search") }
      path.removeAll(keepingCapacity: true)
      var node = 0
      path.append(0)
      // Selection: descend through expanded nodes.
      while firstChild[node] >= 0 && childCount[node] > 0 {
        node = select(node, using: &rng)
        path.append(Int32(node))
      }
      // Expansion at a visited, unfinished leaf; then one new child.
      if !game.isTerminal(states[node]) && visits[node] > 0 {
        expand(node)
        node = select(node, using: &rng)
        path.append(Int32(node))
      }
      let outcome = randomPlayout(game, from: states[node], using: &rng).outcome  // player 0's return
      for p in path {
        let i = Int(p)
        visits[i] += 1
        totals[i] += mover[i] == 0 ? outcome : -outcome
      }
    }
    if firstChild[0] < 0 { expand(0) }
    var best = -1
    var bestVisits: Int32 = -1
    var bestMean = -Double.infinity
    var ties = 0
    let first = Int(firstChild[0])
    for i in first..<first + Int(childCount[0]) {
      let mean = visits[i] > 0 ? totals[i] / Double(visits[i]) : -Double.infinity
      if visits[i] > bestVisits || (visits[i] == bestVisits && mean > bestMean) {
        (best, bestVisits, bestMean, ties) = (i, visits[i], mean, 1)
      } else if visits[i] == bestVisits && mean == bestMean {
        ties += 1
        if Int.random(in: 0..<ties, using: &rng) == 0 { best = i }
      }
    }
    return Int(actionInto[best])
  }
}
