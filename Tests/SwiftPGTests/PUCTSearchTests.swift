import Testing

@testable import SwiftPG

/// An evaluator that records the batch of every call and delegates.
final class CountingEvaluator: PositionEvaluator {
  let inner: any PositionEvaluator
  var batches: [Int] = []
  init(_ inner: any PositionEvaluator) { self.inner = inner }
  var label: String { "counting" }
  func check(for game: any GameDimensions) throws(SwiftPGError) { try inner.check(for: game) }
  func evaluate(
    planes: UnsafePointer<Double>, masks: UnsafePointer<UInt8>, batch: Int, actionCount: Int,
    priors: UnsafeMutablePointer<Double>, values: UnsafeMutablePointer<Double>
  ) throws(SwiftPGError) {
    batches.append(batch)
    try inner.evaluate(
      planes: planes, masks: masks, batch: batch, actionCount: actionCount, priors: priors, values: values)
  }
}

/// Games/PUCTSearch.swift: the PUCT score and backup on a hand-made tree,
/// forced wins in tic-tac-toe, reproducibility by seed, root noise,
/// batched evaluation across trees, move selection, bad input.
@Suite struct PUCTSearchTests {
  static func networks(seed: UInt64 = 7) throws -> NetworkEvaluator {
    var rng = SplitMix64(seed: seed)
    let game = TicTacToe()
    return NetworkEvaluator(
      policy: try BoardPolicyNetwork.mlp(for: game, hidden: [16], using: &rng),
      value: try BoardValueNetwork.conv(for: game, channels: [4], using: &rng))
  }

  static func position(_ moves: [Int]) throws -> TicTacToe.State {
    let g = TicTacToe()
    var s = g.initialState()
    for a in moves { try g.apply(a, to: &s) }
    return s
  }

  /// Root (N = 10) with three children: (N 4, W 2, P 0.2), (N 5, W 1,
  /// P 0.3), (N 0, P p). With c = 1.5, √10 = 3.16228:
  ///   child 1: 0.5 + 1.5·0.2·3.16228/5 = 0.689737
  ///   child 2: 0.2 + 1.5·0.3·3.16228/6 = 0.437171
  ///   child 3: 0   + 1.5·p·3.16228/1  = 4.743416·p
  /// so child 3 is chosen for p = 0.5 (2.371708) and child 1 for p = 0.1
  /// (0.474342).
  @Test func puctArithmeticOnAHandMadeTree() throws {
    let g = TicTacToe()
    let tree = PUCTTree<TicTacToe>()
    tree.reset(root: g.initialState(), game: g, seed: 1)
    for (a, p) in [(0, 0.2), (1, 0.3), (2, 0.5)] { tree.addNode(g.initialState(), action: a, prior: p, by: 0) }
    tree.firstChild[0] = 1
    tree.childCount[0] = 3
    tree.visits = [10, 4, 5, 0]
    tree.totals = [0, 2, 1, 0]
    let scores = (1...3).map {
      PUCTTree<TicTacToe>.score(
        total: tree.totals[$0], visits: tree.visits[$0], prior: tree.priors[$0], parentVisits: 10, c: 1.5)
    }
    #expect(abs(scores[0] - 0.689737) < 1e-6 && abs(scores[1] - 0.437171) < 1e-6 && abs(scores[2] - 2.371708) < 1e-6)
    #expect(tree.select(0, c: 1.5) == 3)
    tree.priors[3] = 0.1
    #expect(tree.select(0, c: 1.5) == 1)
    // A smaller c trusts Q more; a larger one the prior: c = 20 picks child 3.
    #expect(tree.select(0, c: 20) == 3)
    // Backup: player 0 moved into child 1, player 1 into the root.
    tree.mover[0] = 1
    _ = tree.descend(game: g, c: 1.5)
    #expect(tree.path == [0, 1] && tree.leaf == 1)
    tree.backup(1)
    #expect(tree.visits == [11, 5, 5, 0] && tree.totals == [-1, 3, 1, 0])
  }

  /// Positions where X (to move) has exactly one winning move, a fork,
  /// with no immediate win or threat on the board (found by exhaustive
  /// search; the solver confirms it here).
  static let forcedWins: [([Int], Int)] = [([0, 2, 1, 3], 4), ([0, 1, 2, 6], 8)]

  @Test(arguments: forcedWins)
  func findsTheForcedWin(moves: [Int], win: Int) throws {
    let g = TicTacToe()
    let s = try Self.position(moves)
    let solver = ExactSolverPlayer(g)
    let winning = try g.legalActions(s).filter { a in
      var c = s
      g.applyLegal(a, to: &c)
      return try solver.value(c) < 0
    }
    #expect(winning == [win] && g.legalActions(s).count == 5)
    // Uniform priors with random rollouts (λ = 1), and the untrained
    // networks with exact values at finished games only (λ = 0).
    let searches = [
      try PUCTSearch(g, config: PUCTConfig(simulations: 300, rolloutWeight: 1), evaluator: NetworkEvaluator(policy: nil, value: nil)),
      try PUCTSearch(g, config: PUCTConfig(simulations: 300, rolloutWeight: 0), evaluator: try Self.networks()),
    ]
    for search in searches {
      let r = try search.run(roots: [s], seeds: [3])
      var rng = SplitMix64(seed: 1)
      #expect(try r.action(0, temperature: 0, using: &rng) == win, "\(search.evaluator.label)")
      #expect(r.rootValues[0] > 0.3)
    }
  }

  @Test func reproducibleBySeed() throws {
    let g = TicTacToe()
    let roots = [g.initialState(), try Self.position([4]), try Self.position([0, 4])]
    let config = PUCTConfig(simulations: 60, rolloutWeight: 0.5, dirichletEpsilon: 0.25)
    let a = try PUCTSearch(g, config: config, evaluator: try Self.networks()).run(roots: roots, seeds: [1, 2, 3])
    let b = try PUCTSearch(g, config: config, evaluator: try Self.networks()).run(roots: roots, seeds: [1, 2, 3])
    #expect(a.visits == b.visits && a.rootPriors == b.rootPriors && a.rootValues == b.rootValues)
    let c = try PUCTSearch(g, config: config, evaluator: try Self.networks()).run(roots: roots, seeds: [4, 5, 6])
    #expect(a.visits != c.visits && a.rootPriors != c.rootPriors)
    // A tree's search depends on its root and seed, not on the other trees
    // (uniform priors: the evaluator's outputs do not depend on the batch).
    let uniform = try PUCTSearch(
      g, config: PUCTConfig(simulations: 40, rolloutWeight: 1, dirichletEpsilon: 0.25),
      evaluator: NetworkEvaluator(policy: nil, value: nil))
    let together = try uniform.run(roots: roots, seeds: [7, 8, 9])
    for i in 0..<3 {
      let alone = try uniform.run(roots: [roots[i]], seeds: [7 + UInt64(i)])
      #expect(alone.visits == Array(together.visits[(9 * i)..<(9 * i + 9)]))
    }
  }

  /// All trees' leaves go to the evaluator together: one call per
  /// simulation (no finished game is reached in 5 simulations from these
  /// roots), each with every tree's leaf; visits add up.
  @Test func leavesOfAllTreesAreEvaluatedInOneBatch() throws {
    let g = TicTacToe()
    let counting = CountingEvaluator(try Self.networks())
    let search = try PUCTSearch(g, config: PUCTConfig(simulations: 5), evaluator: counting)
    let roots = Array(repeating: g.initialState(), count: 6)
    let r = try search.run(roots: roots, seeds: Array(1...6))
    #expect(counting.batches == [6, 6, 6, 6, 6])
    for i in 0..<6 { #expect(r.visits[(9 * i)..<(9 * i + 9)].reduce(0, +) == 4) }  // the root's own evaluation is the 5th
  }

  /// P = (1 − ε)·p + ε·η at the root only: with ε = 0 the root priors are
  /// the policy's; with ε = 0.25 the remainder (P − 0.75 p)/0.25 is a
  /// distribution over the legal moves (η), and not the uniform one.
  @Test func dirichletNoiseAtTheRoot() throws {
    let g = TicTacToe()
    let s = try Self.position([4])
    let nets = try Self.networks()
    var p = [Double](repeating: 0, count: 9)
    var planes = [Double](repeating: 0, count: 27)
    g.writePlanes(s, into: &planes)
    var mask = [UInt8](repeating: 0, count: 9)
    g.writeLegalMask(s, into: &mask)
    try nets.policy?.probabilities(planes: planes, masks: mask, batch: 1, into: &p)
    let clean = try PUCTSearch(g, config: PUCTConfig(simulations: 3), evaluator: nets).run(roots: [s], seeds: [1])
    for a in 0..<9 { #expect(abs(clean.rootPriors[a] - p[a]) < 1e-15) }
    let noisy = try PUCTSearch(
      g, config: PUCTConfig(simulations: 3, dirichletAlpha: 0.5, dirichletEpsilon: 0.25), evaluator: nets
    ).run(roots: [s], seeds: [1])
    let eta = (0..<9).map { (noisy.rootPriors[$0] - 0.75 * p[$0]) / 0.25 }
    #expect(abs(eta.reduce(0, +) - 1) < 1e-12 && eta[4] == 0)
    #expect(eta.allSatisfy { $0 > -1e-12 } && eta.contains { abs($0 - 0.125) > 0.05 })
  }

  /// τ = 0 plays the most visited move; τ = 1 samples ∝ visits (4000 draws
  /// from visits (6, 3, 1): each frequency within 5 standard errors).
  @Test func moveSelectionByVisitCounts() throws {
    var visits = [Double](repeating: 0, count: 9)
    visits[2] = 6
    visits[5] = 3
    visits[7] = 1
    let r = PUCTSearch<TicTacToe>.Result(
      visits: visits, rootPriors: Array(repeating: 1.0 / 9, count: 9), rootValues: [0], actionCount: 9)
    var rng = SplitMix64(seed: 5)
    #expect(try r.action(0, temperature: 0, using: &rng) == 2)
    var counts = [Int](repeating: 0, count: 9)
    for _ in 0..<4000 { counts[try r.action(0, temperature: 1, using: &rng)] += 1 }
    for (a, p) in [(2, 0.6), (5, 0.3), (7, 0.1)] {
      let se = (p * (1 - p) / 4000).squareRoot()
      #expect(abs(Double(counts[a]) / 4000 - p) < 5 * se)
    }
    #expect(counts.reduce(0, +) == counts[2] + counts[5] + counts[7])
    // τ → 0 concentrates on the most visited; τ = 0.01 gives (3/6)^100 ≈ 0.
    for _ in 0..<100 { #expect(try r.action(0, temperature: 0.01, using: &rng) == 2) }
    #expect(throws: SwiftPGError.self) { try r.action(0, temperature: -1, using: &rng) }
    #expect(try r.policy(0)[2] == 0.6)
    #expect(throws: SwiftPGError.self) { try r.policy(1) }
    #expect(throws: SwiftPGError.self) { try r.action(-1, temperature: 0, using: &rng) }
  }

  @Test func badInputIsRefused() throws {
    let g = TicTacToe()
    let nets = try Self.networks()
    #expect(throws: SwiftPGError.self) { try PUCTSearch(g, config: PUCTConfig(simulations: 0), evaluator: nets) }
    #expect(throws: SwiftPGError.self) { try PUCTSearch(g, config: PUCTConfig(cPuct: .nan), evaluator: nets) }
    #expect(throws: SwiftPGError.self) { try PUCTSearch(g, config: PUCTConfig(rolloutWeight: 1.5), evaluator: nets) }
    #expect(throws: SwiftPGError.self) { try PUCTSearch(g, config: PUCTConfig(dirichletEpsilon: -0.1), evaluator: nets) }
    #expect(throws: SwiftPGError.self) { try PUCTSearch(g, config: PUCTConfig(dirichletAlpha: 0), evaluator: nets) }
    let connect = try ConnectN(rows: 4, columns: 4, xInRow: 3)
    #expect(throws: SwiftPGError.self) { try PUCTSearch(connect, config: PUCTConfig(), evaluator: nets) }
    let search = try PUCTSearch(g, config: PUCTConfig(simulations: 4), evaluator: nets)
    let over = try Self.position([0, 3, 1, 4, 2])
    #expect(throws: SwiftPGError.self) { try search.run(roots: [over], seeds: [1]) }
    #expect(throws: SwiftPGError.self) { try search.run(roots: [g.initialState()], seeds: []) }
    #expect(try search.run(roots: [], seeds: []).visits.isEmpty)  // no roots: nothing to do
  }
}
