import CSwiftPG
import SwiftPG

extension SearchConfig {
  init(_ c: swiftpg_search_config) throws(SwiftPGError) {
    self.init()
    guard let m = SearchMethod(rawValue: c.method) else {
      throw .invalid("unknown search method \(c.method); expected 0 (CEM), 1 (GA) or 2 (pattern search)")
    }
    method = m
    try require(c.greedy == 0 || c.greedy == 1, "greedy must be 0 or 1, got \(c.greedy)")
    episodesPerEvaluation = Int(c.episodes_per_evaluation)
    populationSize = Int(c.population_size)
    eliteCount = Int(c.elite_count)
    initialStd = c.initial_std
    extraNoise = c.extra_noise
    mutationStd = c.mutation_std
    stepSize = c.step_size
    shrink = c.shrink
    tolerance = c.tolerance
    greedy = c.greedy == 1
    seed = c.seed
  }
}

@c @implementation
public func swiftpg_search_default_config(_ config_out: UnsafeMutablePointer<swiftpg_search_config>?) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(config_out, "config_out")
    let d = SearchConfig()
    var c = swiftpg_search_config()
    c.method = d.method.rawValue
    c.episodes_per_evaluation = Int32(d.episodesPerEvaluation)
    c.population_size = Int32(d.populationSize)
    c.elite_count = Int32(d.eliteCount)
    c.greedy = d.greedy ? 1 : 0
    c.initial_std = d.initialStd
    c.extra_noise = d.extraNoise
    c.mutation_std = d.mutationStd
    c.step_size = d.stepSize
    c.shrink = d.shrink
    c.tolerance = d.tolerance
    c.seed = d.seed
    out.pointee = c
  }
}

@c @implementation
public func swiftpg_search_create(
  _ env: UInt64, _ policy: UInt64, _ config: UnsafePointer<swiftpg_search_config>?,
  _ algorithm_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(algorithm_out, "algorithm_out")
    let cfg = try SearchConfig(try need(config, "config").pointee)
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
public func swiftpg_search_save(_ algorithm: UInt64, _ path: UnsafePointer<CChar>?) -> Int32 {
  learnerFileEntry(algorithm, path, .save) { (a) throws(SwiftPGError) in try a.search() }
}

@c @implementation
public func swiftpg_search_load(_ algorithm: UInt64, _ path: UnsafePointer<CChar>?) -> Int32 {
  learnerFileEntry(algorithm, path, .load) { (a) throws(SwiftPGError) in try a.search() }
}
