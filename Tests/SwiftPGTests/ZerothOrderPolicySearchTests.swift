import Testing

@testable import SwiftPG

/// Algorithms/ZerothOrderPolicySearch.swift: CEM, GA and pattern search
/// over a discrete policy's parameters, ranked by mean returns.
@Suite struct ZerothOrderPolicySearchTests {
  /// A search over a linear softmax policy on `lanes` CartPole lanes (both
  /// seeded `seed`), its config changed by `change`.
  func cartPoleSearch(
    _ method: SearchMethod, seed: UInt64, lanes: Int, populationSize: Int, eliteCount: Int,
    _ change: (inout SearchConfig) -> Void
  ) throws -> ZerothOrderPolicySearch {
    let env = try VectorEnvironment(CartPole(), count: lanes, seed: seed)
    let policy = try SoftmaxPolicy(observationSize: 4, actionCount: 2, hidden: [], seed: seed)
    var config = SearchConfig()
    config.method = method
    config.seed = seed
    config.populationSize = populationSize
    config.eliteCount = eliteCount
    change(&config)
    return try ZerothOrderPolicySearch(env: env, policy: policy, config: config)
  }

  func cartPoleRun(_ method: SearchMethod, iterations: Int, seed: UInt64) throws -> (SearchStats, Double) {
    let search = try cartPoleSearch(method, seed: seed, lanes: 5, populationSize: 30, eliteCount: 6) { $0.stepSize = 0.5 }
    let policy = search.policy
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

  func smallSearch(_ method: SearchMethod, seed: UInt64 = 3) throws -> ZerothOrderPolicySearch {
    try cartPoleSearch(method, seed: seed, lanes: 2, populationSize: 6, eliteCount: 2) { $0.episodesPerEvaluation = 2 }
  }

  /// A population search has no update on transitions.
  @Test func externalUpdatesAreNotSupported() throws {
    let search = try smallSearch(.crossEntropy)
    let d = makeTrajectories(
      observationSize: 4, actionSpace: .discrete(2), steps: 1, observations: [0, 0, 0, 0], actions: [0], rewards: [1])
    #expect { _ = try search.update(external: d) } throws: { ($0 as? SwiftPGError)?.code == .notSupported }
  }

  /// A cancelled generation commits nothing: the next one equals the first
  /// generation of a fresh search, for every method.
  @Test(arguments: [SearchMethod.crossEntropy, .genetic, .patternSearch])
  func aCancelledGenerationChangesNothing(_ method: SearchMethod) throws {
    let a = try smallSearch(method)
    let start = a.solution
    let flag = CancellationFlag()
    a.cancellation = flag
    flag.request()
    #expect { _ = try a.iterate() } throws: { ($0 as? SwiftPGError)?.code == .cancelled }
    #expect(a.iteration == 0 && a.totalEnvSteps == 0 && a.solution == start && a.policy.parameters == start)
    let sa = try a.iterate()
    let b = try smallSearch(method)
    let sb = try b.iterate()
    #expect(sa.bestUtility == sb.bestUtility && sa.envSteps == sb.envSteps)
    #expect(a.solution == b.solution)
  }

  /// Every utility is the mean undiscounted return of the same evaluation
  /// episodes: for pattern search the incumbent's utility equals a direct
  /// evaluation with the iteration's seed.
  @Test func utilitiesAreMeanReturnsOnCommonEpisodes() throws {
    let search = try smallSearch(.patternSearch)
    let s = try search.iterate()
    // Pattern search's first poll: the incumbent and its 2·P neighbours.
    #expect(s.evaluations == 1 + 2 * search.policy.parameterCount)
    let seed = search.config.seed &+ 1 &* 0x9E37_79B9_7F4A_7C15
    let probe = try SoftmaxPolicy(observationSize: 4, actionCount: 2, hidden: [], seed: 0)
    try probe.setParameters(search.solution)
    let (returns, _) = try evaluate(policy: probe, env: search.env, episodes: 2, greedy: true, seed: seed)
    #expect(s.currentUtility == returns.reduce(0, +) / 2)
    #expect(s.totalEnvSteps == s.envSteps && search.totalEnvSteps == s.envSteps)
  }

  @Test func checkpointResumesExactly() throws {
    let path = temporaryPath("search")
    for method in [SearchMethod.crossEntropy, .genetic, .patternSearch] {
      let a = try smallSearch(method)
      _ = try a.iterate()
      try a.save(to: path)
      let b = try smallSearch(method, seed: 3)
      try b.load(from: path)
      #expect(b.iteration == 1 && b.totalEnvSteps == a.totalEnvSteps && b.solution == a.solution)
      let (sa, sb) = (try a.iterate(), try b.iterate())
      #expect(sa.bestUtility == sb.bestUtility && a.solution == b.solution)
      // Another method's checkpoint is refused.
      let other = try smallSearch(method == .genetic ? .crossEntropy : .genetic)
      #expect { try other.load(from: path) } throws: { ($0 as? SwiftPGError)?.code == .badFormat }
    }
  }

  /// Utilities evaluated elsewhere (rollout workers) and passed in give the
  /// search `iterate()` gives, for every method; a count that differs is
  /// refused and changes nothing.
  @Test func utilitiesGivenFromOutsideReproduceIterate() throws {
    for method in [SearchMethod.crossEntropy, .genetic, .patternSearch] {
      let a = try cartPoleSearch(method, seed: 3, lanes: 2, populationSize: 6, eliteCount: 2) {
        $0.episodesPerEvaluation = 2
      }
      let b = try cartPoleSearch(method, seed: 3, lanes: 2, populationSize: 6, eliteCount: 2) {
        $0.episodesPerEvaluation = 2
      }
      let evalEnv = try VectorEnvironment(CartPole(), count: 2, seed: 99)
      let copy = try SoftmaxPolicy(observationSize: 4, actionCount: 2, hidden: [], seed: 3)
      let d = copy.parameterCount
      for _ in 0..<3 {
        _ = try a.iterate()
        let rows = b.nextCandidates()
        let seed = b.nextEvaluationSeed
        var utilities: [Double] = []
        var steps = 0
        for i in 0..<(rows.count / d) {
          try copy.setParameters(Array(rows[(i * d)..<(i * d + d)]))
          let (r, l) = try evaluate(policy: copy, env: evalEnv, episodes: 2, greedy: true, seed: seed)
          utilities.append(r.reduce(0, +) / Double(r.count))
          steps += l.reduce(0, +)
        }
        _ = try b.iterate(given: (utilities, steps))
        #expect(a.solution == b.solution)
        #expect(a.totalEnvSteps == b.totalEnvSteps)
      }
      let before = b.solution
      #expect { try b.iterate(given: ([1.0], 0)) } throws: { ($0 as? SwiftPGError)?.code == .invalidArgument }
      #expect(b.solution == before && b.iteration == 3)
    }
  }
}
