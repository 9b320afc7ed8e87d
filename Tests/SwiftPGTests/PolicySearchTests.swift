import Testing

@testable import SwiftPG

/// U(θ) = −|θ − c|², the utility every search here should climb.
func quadraticEvaluator(_ c: [Double]) -> PopulationEvaluator {
  return { p, count, d, u in
    for i in 0..<count {
      var s = 0.0
      for j in 0..<d { s += (p[i * d + j] - c[j]) * (p[i * d + j] - c[j]) }
      u[i] = -s
    }
  }
}

@Suite struct PolicySearchTests {
  let target = [2.0, -1.0, 0.5]

  @Test func crossEntropyFindsTheMaximum() throws {
    var cem = try CrossEntropySearch(mean: [0, 0, 0], standardDeviation: 2, populationSize: 40, eliteCount: 8, seed: 1)
    for _ in 0..<40 { cem.step(quadraticEvaluator(target)) }
    for j in 0..<3 { #expect(abs(cem.mean[j] - target[j]) < 1e-2) }  // from a distance of 2.3
    #expect(cem.generation == 40)
    // The same seed gives the same run.
    var again = try CrossEntropySearch(mean: [0, 0, 0], standardDeviation: 2, populationSize: 40, eliteCount: 8, seed: 1)
    for _ in 0..<40 { again.step(quadraticEvaluator(target)) }
    #expect(again.mean == cem.mean)
  }

  @Test func noisyCrossEntropyKeepsExploring() throws {
    var cem = try CrossEntropySearch(mean: [0, 0, 0], standardDeviation: 2, extraNoise: 0.01, seed: 2)
    for _ in 0..<40 { cem.step(quadraticEvaluator(target)) }
    for j in 0..<3 { #expect(cem.standardDeviation[j] >= 0.1) }  // σ² ≥ noise
    for j in 0..<3 { #expect(abs(cem.mean[j] - target[j]) < 0.1) }
  }

  @Test func nanUtilitiesRankLast() throws {
    var cem = try CrossEntropySearch(mean: [0], standardDeviation: 1, populationSize: 10, eliteCount: 2, seed: 3)
    let result = cem.step { p, count, _, u in
      for i in 0..<count { u[i] = p[i] > 0 ? .nan : p[i] }
    }
    #expect(result.best[0] <= 0)
  }

  @Test func patternSearchFollowsTheBook() throws {
    var search = try PatternSearch(parameters: [0, 0, 0], stepSize: 1, shrink: 0.5, tolerance: 1e-3)
    let moved = search.step(quadraticEvaluator(target))  // best neighbour: +1 on the first coordinate
    #expect(moved)
    #expect(search.parameters == [1, 0, 0])
    while !search.isDone { search.step(quadraticEvaluator(target)) }
    for j in 0..<3 { #expect(abs(search.parameters[j] - target[j]) < 1e-3) }
    #expect(search.stepSize <= 1e-3)
    #expect(throws: SwiftPGError.self) { try PatternSearch(parameters: [0], shrink: 1) }
  }

  @Test func geneticSearchImprovesMonotonically() throws {
    var ga = try GeneticSearch(parameters: [0, 0, 0], initialStd: 1, populationSize: 60, eliteCount: 10,
                               mutationStd: 0.1, seed: 4)
    var previous = -Double.infinity
    for _ in 0..<60 {
      ga.step(quadraticEvaluator(target))
      #expect(ga.bestUtility >= previous)  // elitism: the best never gets lost
      previous = ga.bestUtility
    }
    #expect(ga.bestUtility > -0.05)
    #expect(throws: SwiftPGError.self) { try GeneticSearch(parameters: [0], populationSize: 5, eliteCount: 5) }
  }
}

@Suite struct ZerothOrderPolicySearchTests {
  func cartPoleRun(_ method: SearchMethod, iterations: Int, seed: UInt64) throws -> (SearchStats, Double) {
    let env = try VectorEnvironment(CartPole(), count: 5, seed: seed)
    let policy = try SoftmaxPolicy(observationSize: 4, actionCount: 2, hidden: [], seed: seed)
    var config = SearchConfig()
    config.method = method
    config.seed = seed
    config.populationSize = 30
    config.eliteCount = 6
    config.stepSize = 0.5
    let search = try ZerothOrderPolicySearch(env: env, policy: policy, config: config)
    var last = SearchStats()
    for _ in 0..<iterations {
      last = try search.iterate()
      if method == .patternSearch && last.done { break }
    }
    #expect(policy.parameters == search.solution)
    let evalEnv = try VectorEnvironment(CartPole(), count: 10, seed: 1000 + seed)
    let (returns, _) = try evaluate(policy: policy, env: evalEnv, episodes: 50, greedy: true, seed: 1000 + seed)
    return (last, returns.reduce(0, +) / Double(returns.count))
  }

  /// A linear softmax policy on CartPole: a few CEM generations reach the
  /// 500-step cap on fresh episodes.
  @Test func crossEntropySolvesCartPole() throws {
    let (stats, evaluation) = try cartPoleRun(.crossEntropy, iterations: 10, seed: 0)
    #expect(stats.evaluations == 30)
    #expect(stats.bestUtility == 500)
    #expect(evaluation >= 475)
  }

  @Test func patternSearchAndGeneticImprove() throws {
    let (p, pEval) = try cartPoleRun(.patternSearch, iterations: 40, seed: 1)
    #expect(p.currentUtility >= 200)
    #expect(pEval >= 100)
    let (g, _) = try cartPoleRun(.genetic, iterations: 6, seed: 2)
    #expect(g.bestUtility >= 200)
  }

  @Test func rejectsBadConfigurations() throws {
    let env = try VectorEnvironment(CartPole(), count: 2, seed: 0)
    let policy = try SoftmaxPolicy(observationSize: 4, actionCount: 2, hidden: [], seed: 0)
    var config = SearchConfig()
    config.episodesPerEvaluation = 0
    #expect(throws: SwiftPGError.self) { try ZerothOrderPolicySearch(env: env, policy: policy, config: config) }
    config = SearchConfig()
    config.eliteCount = 100
    #expect(throws: SwiftPGError.self) { try ZerothOrderPolicySearch(env: env, policy: policy, config: config) }
    let wrong = try SoftmaxPolicy(observationSize: 3, actionCount: 2, hidden: [], seed: 0)
    #expect(throws: SwiftPGError.self) { try ZerothOrderPolicySearch(env: env, policy: wrong, config: SearchConfig()) }
  }
}
