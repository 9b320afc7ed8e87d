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
  entry { () throws(SwiftPGError) in
    let out = try need(stats_out, "stats_out")
    try using(algorithmTable, algorithm) { (a) throws(SwiftPGError) in
      let search = try a.search()
      try a.exclusive { () throws(SwiftPGError) in
        let s = try search.iterate()
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
public func swiftpg_search_save(_ algorithm: UInt64, _ path: UnsafePointer<CChar>?) -> Int32 {
  learnerFileEntry(algorithm, path, .save) { (a) throws(SwiftPGError) in try a.search() }
}

@c @implementation
public func swiftpg_search_load(_ algorithm: UInt64, _ path: UnsafePointer<CChar>?) -> Int32 {
  learnerFileEntry(algorithm, path, .load) { (a) throws(SwiftPGError) in try a.search() }
}
