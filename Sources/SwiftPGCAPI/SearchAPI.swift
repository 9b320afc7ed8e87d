import CSwiftPG
import SwiftPG

/// SearchConfig ↔ swiftpg_search_config: one table of field pairs serves
/// both directions (the numeric fields; method and greedy are checked).
extension SearchConfig {
  private static var doubleFields:
    [(WritableKeyPath<SearchConfig, Double>, WritableKeyPath<swiftpg_search_config, Double>)]
  {
    [
      (\.initialStd, \.initial_std), (\.extraNoise, \.extra_noise), (\.mutationStd, \.mutation_std),
      (\.stepSize, \.step_size), (\.shrink, \.shrink), (\.tolerance, \.tolerance),
    ]
  }
  private static var intFields: [(WritableKeyPath<SearchConfig, Int>, WritableKeyPath<swiftpg_search_config, Int32>)] {
    [
      (\.episodesPerEvaluation, \.episodes_per_evaluation), (\.populationSize, \.population_size),
      (\.eliteCount, \.elite_count),
    ]
  }

  init(_ c: swiftpg_search_config) throws(SwiftPGError) {
    self.init()
    guard let m = SearchMethod(rawValue: c.method) else {
      throw .invalid("unknown search method \(c.method); expected 0 (CEM), 1 (GA) or 2 (pattern search)")
    }
    method = m
    try require(c.greedy == 0 || c.greedy == 1, "greedy must be 0 or 1, got \(c.greedy)")
    for (field, cField) in Self.doubleFields { self[keyPath: field] = c[keyPath: cField] }
    for (field, cField) in Self.intFields { self[keyPath: field] = Int(c[keyPath: cField]) }
    greedy = c.greedy == 1
    seed = c.seed
  }

  var c: swiftpg_search_config {
    var c = swiftpg_search_config()
    c.size = UInt32(MemoryLayout<swiftpg_search_config>.size)
    c.method = method.rawValue
    for (field, cField) in Self.doubleFields { c[keyPath: cField] = self[keyPath: field] }
    for (field, cField) in Self.intFields { c[keyPath: cField] = Int32(clamping: self[keyPath: field]) }
    c.greedy = greedy ? 1 : 0
    c.seed = seed
    return c
  }
}

@c @implementation
public func swiftpg_search_default_config(_ config_out: UnsafeMutablePointer<swiftpg_search_config>?) -> Int32 {
  entry { () throws(SwiftPGError) in try need(config_out, "config_out").pointee = SearchConfig().c }
}

@c @implementation
public func swiftpg_search_create(
  _ env: UInt64, _ policy: UInt64, _ config: UnsafePointer<swiftpg_search_config>?,
  _ algorithm_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(algorithm_out, "algorithm_out")
    let cfg = try SearchConfig(try readConfig(config))
    let envBox = try envTable.get(env)
    let policyBox = try policyTable.get(policy)
    let search = try ZerothOrderPolicySearch(env: envBox.object.env, policy: policyBox.object.policy, config: cfg)
    out.pointee = try algorithmTable.insert(AlgorithmObject(.search(search), env: envBox, policy: policyBox))
  }
}

@c @implementation
public func swiftpg_search_iterate(_ algorithm: UInt64, _ stats_out: UnsafeMutablePointer<swiftpg_search_stats>?)
  -> Int32
{
  searchIteration(algorithm, nil, stats_out)
}

@c @implementation
public func swiftpg_search_candidates(
  _ algorithm: UInt64, _ parameters_out: UnsafeMutablePointer<Double>?, _ capacity: Int64,
  _ count_out: UnsafeMutablePointer<Int64>?, _ seed_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let countOut = try need(count_out, "count_out")
    let seedOut = try need(seed_out, "seed_out")
    try require(capacity >= 0, "capacity must be >= 0, got \(capacity)")
    // Checked before anything is written (only BUFFER_TOO_SMALL writes the count and seed).
    let out = capacity > 0 ? try need(parameters_out, "parameters_out") : nil
    try using(algorithmTable, algorithm) { (a) throws(SwiftPGError) in
      let search = try a.search()
      try a.exclusive { () throws(SwiftPGError) in
        let rows = search.nextCandidates()
        let d = Swift.max(search.policy.parameterCount, 1)
        let count = rows.count / d
        countOut.pointee = Int64(count)
        seedOut.pointee = search.nextEvaluationSeed
        try require(Int64(count) <= capacity, "\(count) candidates do not fit in capacity \(capacity)", code: .bufferTooSmall)
        if let out {
          rows.withUnsafeBufferPointer { b in if let base = b.baseAddress { out.update(from: base, count: rows.count) } }
        }
      }
    }
  }
}

@c @implementation
public func swiftpg_search_episodes(
  _ algorithm: UInt64, _ returns_out: UnsafeMutablePointer<Double>?, _ lengths_out: UnsafeMutablePointer<Int32>?,
  _ capacity: Int64, _ count_out: UnsafeMutablePointer<Int64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    try writeEpisodes(returns: returns_out, lengths: lengths_out, capacity: capacity, count: count_out) {
      () throws(SwiftPGError) in
      var episodes: [EpisodeRecord] = []
      try using(algorithmTable, algorithm) { (o) throws(SwiftPGError) in episodes = try o.search().lastEpisodes }
      return episodes
    }
  }
}

@c @implementation
public func swiftpg_search_tell(
  _ algorithm: UInt64, _ utilities: UnsafePointer<Double>?, _ count: Int64, _ env_steps: Int64,
  _ stats_out: UnsafeMutablePointer<swiftpg_search_stats>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    try require(count >= 1 && count <= 1 << 24, "count must be in [1, 2^24], got \(count)")
    try require(env_steps >= 0, "env_steps must be >= 0, got \(env_steps)")
    let u = try need(utilities, "utilities")
    let given = (0..<Int(count)).map { u[$0] }
    for (k, x) in given.enumerated() where x.isNaN || x == .infinity {
      throw SwiftPGError(.notFinite, "utilities[\(k)] is \(x) (NaN or +inf; -inf marks a failed evaluation)")
    }
    try searchIterationStatus(algorithm, (given, Int(env_steps)), stats_out)
  }
}

/// One search iteration through the C ABI, evaluating here or with `given` utilities.
private func searchIteration(
  _ algorithm: UInt64, _ given: (utilities: [Double], envSteps: Int)?,
  _ stats_out: UnsafeMutablePointer<swiftpg_search_stats>?
) -> Int32 {
  entry { () throws(SwiftPGError) in try searchIterationStatus(algorithm, given, stats_out) }
}

private func searchIterationStatus(
  _ algorithm: UInt64, _ given: (utilities: [Double], envSteps: Int)?,
  _ stats_out: UnsafeMutablePointer<swiftpg_search_stats>?
) throws(SwiftPGError) {
  let out = try need(stats_out, "stats_out")
  try using(algorithmTable, algorithm) { (a) throws(SwiftPGError) in
    let search = try a.search()
    try a.exclusive { () throws(SwiftPGError) in
      let s = try search.iterate(given: given)
      var c = swiftpg_search_stats()
      c.iteration = Int64(s.iteration)
      c.env_steps = Int64(s.envSteps)
      c.total_env_steps = Int64(s.totalEnvSteps)
      c.evaluations = Int32(clamping: s.evaluations)
      c.done = s.done ? 1 : 0
      c.best_utility = s.bestUtility
      c.mean_utility = s.meanUtility
      c.current_utility = s.currentUtility
      c.spread = s.spread
      c.seconds = s.seconds
      out.pointee = c
    }
  }
}

@c @implementation
public func swiftpg_search_save(_ algorithm: UInt64, _ path: UnsafePointer<CChar>?) -> Int32 {
  learnerFileEntry(algorithm, path, .save) { (a) throws(SwiftPGError) in try a.search() }
}

@c @implementation
public func swiftpg_search_load(_ algorithm: UInt64, _ path: UnsafePointer<CChar>?) -> Int32 {
  learnerFileEntry(algorithm, path, .load) { (a) throws(SwiftPGError) in try a.search() }
}
