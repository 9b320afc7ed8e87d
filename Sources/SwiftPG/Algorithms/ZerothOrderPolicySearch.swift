/// Zeroth-order policy search on an environment: the cross-entropy method,
/// a genetic algorithm or Hooke–Jeeves pattern search (Search/PolicySearch.swift)
/// over the parameters of a discrete policy, with the utility U(θ) = the mean
/// undiscounted return of `episodesPerEvaluation` episodes.
///
/// Within one iteration every candidate is evaluated on the same episode
/// seeds (common random numbers: candidates are compared on the same start
/// states, which removes most of the noise of the comparison); the seeds
/// change from iteration to iteration.

public enum SearchMethod: Int32, Sendable {
  case crossEntropy = 0
  case genetic = 1
  case patternSearch = 2
}

public struct SearchConfig: Sendable {
  /// Which search.
  public var method = SearchMethod.crossEntropy
  /// Episodes averaged per utility evaluation.
  public var episodesPerEvaluation = 5
  /// Candidates per generation (CEM, GA).
  public var populationSize = 50
  /// Elites refitted (CEM) or bred from (GA).
  public var eliteCount = 10
  /// CEM: initial σ of the proposal; GA: spread of the initial population.
  public var initialStd = 1.0
  /// CEM: variance added after each refit (noisy CEM); 0 = the book's CEM.
  public var extraNoise = 0.0
  /// GA: σ of the Gaussian mutation.
  public var mutationStd = 0.1
  /// Pattern search: initial step α, shrink factor c, tolerance ε.
  public var stepSize = 1.0
  public var shrink = 0.5
  public var tolerance = 1e-2
  /// Act greedily (argmax) during evaluations; otherwise sample.
  public var greedy = true
  /// Seeds the search and the evaluation episodes.
  public var seed: UInt64 = 0

  public init() {}
}

public struct SearchStats: Sendable {
  public var iteration = 0
  public var evaluations = 0  // utility evaluations in this iteration
  public var envSteps = 0
  public var totalEnvSteps = 0
  public var bestUtility = -Double.infinity  // best candidate of this iteration
  public var meanUtility = -Double.infinity  // mean over this iteration's candidates
  public var currentUtility = Double.nan  // pattern search: U(θ) of the incumbent
  public var spread = 0.0  // CEM: mean σ; GA: mutation σ; pattern search: α
  public var done = false  // pattern search: α ≤ ε
  public var seconds = 0.0
}

public final class ZerothOrderPolicySearch {
  public let env: any BatchedEnvironment
  public let policy: any Policy
  public let config: SearchConfig
  public private(set) var iteration = 0
  public private(set) var totalEnvSteps = 0
  /// Checked between episode steps; a request makes `iterate` throw `.cancelled`.
  public var cancellation: CancellationFlag?
  private var cem: CrossEntropySearch?
  private var ga: GeneticSearch?
  private var pattern: PatternSearch?

  public init(env: any BatchedEnvironment, policy: any Policy, config: SearchConfig) throws(SwiftPGError) {
    try require(
      config.episodesPerEvaluation >= 1 && config.episodesPerEvaluation <= 1 << 20,
      "episodes_per_evaluation must be in [1, 2^20], got \(config.episodesPerEvaluation)")
    try require(
      env.observationSize == policy.observationSize,
      "policy observation size \(policy.observationSize) does not match \(env.id)'s \(env.observationSize)")
    guard case .discrete(let n) = env.actionSpace, policy.actionSpace == .discrete(n) else {
      throw .invalid("policy search needs a discrete policy whose actions match \(env.id)'s")
    }
    self.env = env
    self.policy = policy
    self.config = config
    let theta = policy.parameters
    switch config.method {
    case .crossEntropy:
      cem = try CrossEntropySearch(
        mean: theta, standardDeviation: config.initialStd, populationSize: config.populationSize,
        eliteCount: config.eliteCount, extraNoise: config.extraNoise, seed: config.seed)
    case .genetic:
      ga = try GeneticSearch(
        parameters: theta, initialStd: config.initialStd, populationSize: config.populationSize,
        eliteCount: config.eliteCount, mutationStd: config.mutationStd, seed: config.seed)
    case .patternSearch:
      pattern = try PatternSearch(
        parameters: theta, stepSize: config.stepSize, shrink: config.shrink, tolerance: config.tolerance)
    }
  }

  /// The parameters the search currently proposes (CEM: the mean; GA: the
  /// best seen; pattern search: the incumbent).
  public var solution: [Double] {
    if let cem { return cem.mean }
    if let ga { return ga.best }
    return pattern?.parameters ?? policy.parameters
  }

  /// The episode seed of the next iteration's evaluations (common random
  /// numbers: every candidate of it is evaluated on episodes reseeded so).
  public var nextEvaluationSeed: UInt64 { config.seed &+ UInt64(iteration + 1) &* 0x9E37_79B9_7F4A_7C15 }

  /// The parameter vectors the next `iterate` evaluates, row-major, in the
  /// order it evaluates them (pattern search's first poll starts with the
  /// incumbent). Changes nothing: the method's state is stepped on a copy.
  public func nextCandidates() -> [Double] {
    var rows: [Double] = []
    let record: PopulationEvaluator = { p, count, d, u in
      rows.append(contentsOf: UnsafeBufferPointer(start: p, count: count * d))
      for i in 0..<count { u[i] = -.infinity }
    }
    if var s = cem { s.step(record) } else if var s = ga { s.step(record) } else if var s = pattern { s.step(record) }
    return rows
  }

  /// Every episode the last successful `iterate` ran (all evaluations, in
  /// order; `episodesPerEvaluation` per evaluation): undiscounted return and
  /// length. Empty before the first iteration, and after one whose
  /// utilities were given (their episodes ran elsewhere).
  public private(set) var lastEpisodes: [EpisodeRecord] = []

  /// One generation (CEM, GA) or one poll (pattern search); afterwards the
  /// policy holds `solution`.
  ///
  /// `iterate(given:)`: `given`: the utilities of `nextCandidates()`
  /// in order (evaluated elsewhere, e.g. by rollout workers, each as this
  /// search would: greedy/sampled episodes of the candidate reseeded with
  /// `nextEvaluationSeed`) and the env steps they took, instead of
  /// evaluating here; a count that differs throws `.invalid`, changing nothing.
  public func iterate() throws(SwiftPGError) -> SearchStats { try iterate(given: nil) }

  public func iterate(given: (utilities: [Double], envSteps: Int)?) throws(SwiftPGError) -> SearchStats {
    if let given {
      let expected = nextCandidates().count / Swift.max(policy.parameterCount, 1)
      try require(
        given.utilities.count == expected,
        "the next iteration evaluates \(expected) candidates, got \(given.utilities.count) utilities")
      try require(given.envSteps >= 0, "env_steps must be >= 0, got \(given.envSteps)")
    }
    let start = monotonicSeconds()
    var episodes: [EpisodeRecord] = []
    let next = iteration + 1
    var stats = SearchStats()
    stats.iteration = next
    let evalSeed = nextEvaluationSeed
    var failure: SwiftPGError?
    var utilities: [Double] = []
    var consumed = 0
    let evaluate: PopulationEvaluator = { p, count, d, u in
      for i in 0..<count {
        if failure != nil {
          u[i] = -.infinity
          continue
        }
        if let given {
          u[i] = consumed < given.utilities.count ? given.utilities[consumed] : -.infinity
          consumed += 1
          utilities.append(u[i])
          stats.evaluations += 1
          continue
        }
        do throws(SwiftPGError) {
          try self.policy.setParameters(Array(UnsafeBufferPointer(start: p + i * d, count: d)))
          let (returns, lengths) = try SwiftPG.evaluate(
            policy: self.policy, env: self.env, episodes: self.config.episodesPerEvaluation,
            greedy: self.config.greedy, seed: evalSeed, cancellation: self.cancellation)
          var total = 0.0
          for r in returns { total += r }
          for l in lengths { stats.envSteps += l }
          for (r, l) in zip(returns, lengths) { episodes.append(EpisodeRecord(episodeReturn: r, length: l, success: nil)) }
          u[i] = total / Double(returns.count)
        } catch {
          failure = error
          u[i] = -.infinity
        }
        utilities.append(u[i])
        stats.evaluations += 1
      }
    }
    // The method's state is committed only when every evaluation succeeded:
    // a failed (or cancelled) generation changes nothing.
    if var s = cem {
      s.step(evaluate)
      var spread = 0.0
      for x in s.standardDeviation { spread += x }
      stats.spread = spread / Double(s.standardDeviation.count)
      if failure == nil { cem = s }
    } else if var s = ga {
      s.step(evaluate)
      stats.spread = s.mutationStd
      if failure == nil { ga = s }
    } else if var s = pattern {
      s.step(evaluate)
      stats.currentUtility = s.utility
      stats.spread = s.stepSize
      stats.done = s.isDone
      if failure == nil { pattern = s }
    }
    try policy.setParameters(solution)
    if let failure { throw failure }
    if let given { stats.envSteps = given.envSteps }
    iteration = next
    lastEpisodes = episodes
    totalEnvSteps += stats.envSteps
    stats.totalEnvSteps = totalEnvSteps
    if !utilities.isEmpty {
      stats.bestUtility = utilities.max() ?? -.infinity
      var sum = 0.0
      for u in utilities { sum += u }
      stats.meanUtility = sum / Double(utilities.count)
    }
    stats.seconds = monotonicSeconds() - start
    return stats
  }
}

/// Checkpoints of a whole search (kind `.learner`, family 100 + method):
/// specification [policy family, parameter count, observation size,
/// population size, elite count, episodes per evaluation]; parameters
/// [iteration, total env steps, the method's state (PolicySearch.swift)].
/// The policy's parameters are `solution` after loading.
extension ZerothOrderPolicySearch {
  static let checkpointFamilyBase: UInt32 = 100

  var checkpointSpecification: [Double] {
    [
      Double(policy.family.rawValue), Double(policy.parameterCount), Double(policy.observationSize),
      Double(config.populationSize), Double(config.eliteCount), Double(config.episodesPerEvaluation),
    ]
  }

  public func save(to path: String) throws(SwiftPGError) {
    let state = cem?.checkpointState ?? ga?.checkpointState ?? pattern?.checkpointState ?? []
    try Checkpoint.write(
      Checkpoint.encode(
        Checkpoint.Contents(
          kind: .learner, family: Self.checkpointFamilyBase + UInt32(config.method.rawValue),
          specification: checkpointSpecification, parameters: [Double(iteration), Double(totalEnvSteps)] + state)),
      to: path)
  }

  public func load(from path: String) throws(SwiftPGError) {
    let c = try Checkpoint.decode(try Checkpoint.read(path))
    try require(
      c.kind == .learner, "\(path) is not a learner checkpoint (use the policy or value loaders)", code: .badFormat)
    try require(
      c.family == Self.checkpointFamilyBase + UInt32(config.method.rawValue),
      "\(path) does not hold a \(config.method) search", code: .badFormat)
    try require(
      c.specification == checkpointSpecification,
      "\(path) was saved from a search with another policy, population or evaluation size", code: .badFormat)
    let x = c.parameters
    try require(x.count >= 2, "\(path): search state is truncated", code: .badFormat)
    let (savedIteration, savedSteps) = (try Checkpoint.count(x[0], "iteration"), try Checkpoint.count(x[1], "env steps"))
    let state = Array(x[2...])
    // Restore into copies; commit only when everything validated.
    var (newCem, newGa, newPattern) = (cem, ga, pattern)
    try newCem?.restore(state)
    try newGa?.restore(state)
    try newPattern?.restore(state)
    (cem, ga, pattern) = (newCem, newGa, newPattern)
    iteration = savedIteration
    totalEnvSteps = savedSteps
    lastEpisodes = []
    try policy.setParameters(solution)
  }
}

extension ZerothOrderPolicySearch: Learner {
  /// A population search ranks whole parameter vectors by their returns; it
  /// has no update on individual transitions: throws `.notSupported`.
  public func update(external: Trajectories) throws(SwiftPGError) -> SearchStats {
    throw SwiftPGError(
      .notSupported, "policy search (\(config.method)) evaluates whole parameter vectors; it cannot update on transitions")
  }

  /// Returns and lengths of fresh episodes of `env` under the current solution.
  public func evaluate(env evalEnv: any BatchedEnvironment, episodes: Int, greedy: Bool, seed: UInt64)
    throws(SwiftPGError) -> (returns: [Double], lengths: [Int])
  {
    try SwiftPG.evaluate(
      policy: policy, env: evalEnv, episodes: episodes, greedy: greedy, seed: seed, cancellation: cancellation)
  }
}
