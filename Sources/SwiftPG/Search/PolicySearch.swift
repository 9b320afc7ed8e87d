/// Zeroth-order policy search (Kochenderfer, Wheeler & Wray 2022, ch. 10):
/// optimisers of a black-box utility U(θ) — in practice the mean return of
/// a few rollouts of the policy with parameters θ — that need no gradient.
/// Each search is a value type with a `step(_:)` that evaluates one
/// generation / one poll through the caller's `evaluate` closure, so the
/// caller controls iterations (progress, early stopping, checkpoints).

/// The utilities of a population, evaluated by the caller:
/// `evaluate(θs, count, dimension, utilities)` with θs row-major.
public typealias PopulationEvaluator = (
  _ parameters: UnsafePointer<Double>, _ count: Int, _ dimension: Int, _ utilities: UnsafeMutablePointer<Double>
) -> Void

/// Indices of the `k` largest utilities, best first (ties: lower index first).
func topIndices(_ utilities: [Double], _ k: Int) -> [Int] {
  let order = utilities.indices.sorted { a, b in
    utilities[a] != utilities[b] ? utilities[a] > utilities[b] : a < b
  }
  return Array(order.prefix(k))
}

/// The cross-entropy method (Rubinstein 1999; Kochenderfer Alg. 10.4) with
/// a diagonal Gaussian proposal: draw `populationSize` θ ~ N(μ, diag σ²),
/// evaluate, refit μ and σ² to the `eliteCount` best by maximum likelihood,
/// then add `extraNoise` to σ² (Szita & Lőrincz 2006's noisy CEM; 0 for the
/// book's version). The result is the mode μ.
public struct CrossEntropySearch: Sendable {
  public var mean: [Double]
  public var standardDeviation: [Double]
  public let populationSize: Int
  public let eliteCount: Int
  public let extraNoise: Double
  public private(set) var generation = 0
  public private(set) var rng: PCG64

  public init(
    mean: [Double], standardDeviation: Double, populationSize: Int = 50, eliteCount: Int = 10,
    extraNoise: Double = 0, seed: UInt64 = 0
  ) throws(SwiftPGError) {
    try require(!mean.isEmpty, "the parameter vector must not be empty")
    try require(mean.allSatisfy(\.isFinite), "the initial mean must be finite")
    try require(standardDeviation.isFinite && standardDeviation > 0, "the initial standard deviation must be > 0")
    try require(populationSize >= 2, "population_size must be >= 2, got \(populationSize)")
    try require(
      populationSize <= Limits.maxPopulation, "population_size must be <= \(Limits.maxPopulation), got \(populationSize)",
      code: .tooLarge)
    _ = try Limits.product([populationSize, mean.count], limit: Limits.maxScratchElements, "population_size × parameters")
    try require(
      eliteCount >= 1 && eliteCount <= populationSize,
      "elite_count must be in [1, population_size = \(populationSize)], got \(eliteCount)")
    try require(extraNoise.isFinite && extraNoise >= 0, "extra_noise must be >= 0, got \(extraNoise)")
    self.mean = mean
    self.standardDeviation = Array(repeating: standardDeviation, count: mean.count)
    self.populationSize = populationSize
    self.eliteCount = eliteCount
    self.extraNoise = extraNoise
    rng = PCG64(seed: UInt128(seed))
  }

  /// One generation. Returns the utilities of the population (drawn in
  /// order, so a seed fixes the whole run) and the best sample.
  @discardableResult
  public mutating func step(_ evaluate: PopulationEvaluator) -> (utilities: [Double], best: [Double]) {
    let d = mean.count
    var population = [Double](repeating: 0, count: populationSize * d)
    for i in 0..<populationSize {
      for j in 0..<d { population[i * d + j] = mean[j] + standardDeviation[j] * rng.standardNormal() }
    }
    var utilities = [Double](repeating: -.infinity, count: populationSize)
    population.withUnsafeBufferPointer { p in
      utilities.withUnsafeMutableBufferPointer { u in
        if let pp = p.baseAddress, let up = u.baseAddress { evaluate(pp, populationSize, d, up) }
      }
    }
    // NaN utilities rank last.
    let ranked = utilities.map { $0.isNaN ? -Double.infinity : $0 }
    let elites = topIndices(ranked, eliteCount)
    for j in 0..<d {
      var mu = 0.0
      for e in elites { mu += population[e * d + j] }
      mu /= Double(eliteCount)
      var variance = 0.0
      for e in elites { variance += (population[e * d + j] - mu) * (population[e * d + j] - mu) }
      variance = variance / Double(eliteCount) + extraNoise
      mean[j] = mu
      standardDeviation[j] = variance.squareRoot()
    }
    generation += 1
    let b = elites[0]
    return (utilities, Array(population[(b * d)..<(b * d + d)]))
  }
}

/// Hooke–Jeeves pattern search as in Kochenderfer Alg. 10.2: poll the 2n
/// points θ ± α eᵢ; move to the best if it beats U(θ), else α ← cα. Stops
/// (`isDone`) when α ≤ ε.
public struct PatternSearch: Sendable {
  public private(set) var parameters: [Double]
  public private(set) var utility: Double
  public private(set) var stepSize: Double
  public let shrink: Double
  public let tolerance: Double
  public private(set) var polls = 0

  public init(
    parameters: [Double], stepSize: Double = 1, shrink: Double = 0.5, tolerance: Double = 1e-2
  ) throws(SwiftPGError) {
    try require(!parameters.isEmpty && parameters.allSatisfy(\.isFinite), "parameters must be finite and non-empty")
    try require(stepSize.isFinite && stepSize > 0, "step size must be > 0, got \(stepSize)")
    try require(shrink > 0 && shrink < 1, "shrink factor c must be in (0, 1), got \(shrink)")
    try require(tolerance.isFinite && tolerance > 0, "tolerance ε must be > 0, got \(tolerance)")
    self.parameters = parameters
    self.utility = -.infinity
    self.stepSize = stepSize
    self.shrink = shrink
    self.tolerance = tolerance
  }

  public var isDone: Bool { stepSize <= tolerance }

  /// One poll (the first call also evaluates the starting point). Returns
  /// whether it moved.
  @discardableResult
  public mutating func step(_ evaluate: PopulationEvaluator) -> Bool {
    let d = parameters.count
    if utility == -.infinity {
      var u = [-Double.infinity]
      parameters.withUnsafeBufferPointer { p in
        u.withUnsafeMutableBufferPointer { up in
          if let pp = p.baseAddress, let uu = up.baseAddress { evaluate(pp, 1, d, uu) }
        }
      }
      utility = u[0].isNaN ? -.infinity : u[0]
    }
    var candidates = [Double](repeating: 0, count: 2 * d * d)
    for i in 0..<(2 * d) {
      for j in 0..<d { candidates[i * d + j] = parameters[j] }
      candidates[i * d + i / 2] += i % 2 == 0 ? stepSize : -stepSize
    }
    var utilities = [Double](repeating: -.infinity, count: 2 * d)
    candidates.withUnsafeBufferPointer { p in
      utilities.withUnsafeMutableBufferPointer { u in
        if let pp = p.baseAddress, let up = u.baseAddress { evaluate(pp, 2 * d, d, up) }
      }
    }
    polls += 1
    let best = topIndices(utilities.map { $0.isNaN ? -Double.infinity : $0 }, 1)[0]
    if utilities[best] > utility {
      utility = utilities[best]
      parameters = Array(candidates[(best * d)..<(best * d + d)])
      return true
    }
    stepSize *= shrink
    return false
  }
}

/// A simple genetic algorithm (Kochenderfer Alg. 10.3 with elitism; as in
/// Such et al. 2017's deep GA): keep the `eliteCount` best of the
/// population, refill it with mutated copies θ + σε of elites chosen
/// uniformly (truncation selection, Gaussian mutation); the best elite is
/// carried over unchanged (elitism).
public struct GeneticSearch: Sendable {
  public private(set) var population: [Double]  // row-major [populationSize, dimension]
  public let dimension: Int
  public let populationSize: Int
  public let eliteCount: Int
  public let mutationStd: Double
  public private(set) var best: [Double]
  public private(set) var bestUtility = -Double.infinity
  public private(set) var generation = 0
  public private(set) var rng: PCG64

  public init(
    parameters: [Double], initialStd: Double = 1, populationSize: Int = 50, eliteCount: Int = 10,
    mutationStd: Double = 0.1, seed: UInt64 = 0
  ) throws(SwiftPGError) {
    try require(!parameters.isEmpty && parameters.allSatisfy(\.isFinite), "parameters must be finite and non-empty")
    try require(initialStd.isFinite && initialStd >= 0, "initial_std must be >= 0, got \(initialStd)")
    try require(populationSize >= 2, "population_size must be >= 2, got \(populationSize)")
    try require(
      populationSize <= Limits.maxPopulation, "population_size must be <= \(Limits.maxPopulation), got \(populationSize)",
      code: .tooLarge)
    _ = try Limits.product(
      [populationSize, parameters.count], limit: Limits.maxScratchElements, "population_size × parameters")
    try require(
      eliteCount >= 1 && eliteCount < populationSize,
      "elite_count must be in [1, population_size − 1], got \(eliteCount)")
    try require(mutationStd.isFinite && mutationStd > 0, "mutation_std must be > 0, got \(mutationStd)")
    dimension = parameters.count
    self.populationSize = populationSize
    self.eliteCount = eliteCount
    self.mutationStd = mutationStd
    rng = PCG64(seed: UInt128(seed))
    population = [Double](repeating: 0, count: populationSize * parameters.count)
    for i in 0..<populationSize {
      for j in 0..<dimension {
        population[i * dimension + j] = parameters[j] + (i == 0 ? 0 : initialStd * rng.standardNormal())
      }
    }
    best = parameters
  }

  /// Evaluates the population, records the best, and breeds the next one.
  @discardableResult
  public mutating func step(_ evaluate: PopulationEvaluator) -> [Double] {
    let d = dimension
    var utilities = [Double](repeating: -.infinity, count: populationSize)
    population.withUnsafeBufferPointer { p in
      utilities.withUnsafeMutableBufferPointer { u in
        if let pp = p.baseAddress, let up = u.baseAddress { evaluate(pp, populationSize, d, up) }
      }
    }
    let elites = topIndices(utilities.map { $0.isNaN ? -Double.infinity : $0 }, eliteCount)
    if utilities[elites[0]] > bestUtility {
      bestUtility = utilities[elites[0]]
      best = Array(population[(elites[0] * d)..<(elites[0] * d + d)])
    }
    var next = [Double](repeating: 0, count: populationSize * d)
    for j in 0..<d { next[j] = population[elites[0] * d + j] }  // elitism
    for i in 1..<populationSize {
      let parent = elites[Int(rng.nextUnitDouble() * Double(eliteCount)) % eliteCount]
      for j in 0..<d { next[i * d + j] = population[parent * d + j] + mutationStd * rng.standardNormal() }
    }
    population = next
    generation += 1
    return utilities
  }
}

// MARK: - Checkpoint state
//
// Each search flattens its whole state to doubles (the generator as four
// 64-bit words stored bit for bit) and restores it after validating the
// sizes, so a resumed run continues exactly where the saved one stopped.


extension CrossEntropySearch {
  /// [generation, generator (4), mean (d), σ (d)]
  var checkpointState: [Double] { [Double(generation)] + rng.checkpointWords + mean + standardDeviation }

  mutating func restore(_ x: [Double]) throws(SwiftPGError) {
    let d = mean.count
    guard x.count == 5 + 2 * d else { throw SwiftPGError(.badFormat, "cross-entropy state has the wrong length") }
    let newMean = Array(x[5..<(5 + d)])
    let newStd = Array(x[(5 + d)...])
    try require(
      newMean.allFinite && newStd.allFinite && newStd.allSatisfy { $0 >= 0 }, "saved CEM mean/σ are not valid",
      code: .badFormat)
    generation = try Checkpoint.count(x[0], "the CEM generation")
    rng = PCG64(checkpointWords: x[1..<5])
    mean = newMean
    standardDeviation = newStd
  }
}

extension GeneticSearch {
  /// [generation, generator (4), best utility, best (d), population (P·d)]
  var checkpointState: [Double] {
    [Double(generation)] + rng.checkpointWords + [bestUtility] + best + population
  }

  mutating func restore(_ x: [Double]) throws(SwiftPGError) {
    let d = dimension
    guard x.count == 6 + d + populationSize * d else {
      throw SwiftPGError(.badFormat, "genetic-algorithm state has the wrong length")
    }
    let newBest = Array(x[6..<(6 + d)])
    let newPopulation = Array(x[(6 + d)...])
    try require(
      newBest.allFinite && newPopulation.allFinite && !x[5].isNaN, "saved GA population is not finite",
      code: .badFormat)
    generation = try Checkpoint.count(x[0], "the GA generation")
    rng = PCG64(checkpointWords: x[1..<5])
    bestUtility = x[5]
    best = newBest
    population = newPopulation
  }
}

extension PatternSearch {
  /// [polls, utility, step size α, parameters (d)]
  var checkpointState: [Double] { [Double(polls), utility, stepSize] + parameters }

  mutating func restore(_ x: [Double]) throws(SwiftPGError) {
    guard x.count == 3 + parameters.count else { throw SwiftPGError(.badFormat, "pattern-search state has the wrong length") }
    let newParameters = Array(x[3...])
    try require(
      newParameters.allFinite && x[2].isFinite && x[2] > 0 && !x[1].isNaN, "saved pattern-search state is not valid",
      code: .badFormat)
    polls = try Checkpoint.count(x[0], "the pattern-search poll count")
    utility = x[1]
    stepSize = x[2]
    parameters = newParameters
  }
}
