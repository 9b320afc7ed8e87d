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
