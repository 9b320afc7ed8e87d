import CSwiftPG
import SwiftPG

/// Writes `text` as a NUL-terminated string, or fails with BUFFER_TOO_SMALL
/// (length_out always receives the length).
func writeText(
  _ text: String, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int,
  _ length_out: UnsafeMutablePointer<Int>?
) throws(SwiftPGError) {
  let lengthOut = try need(length_out, "length_out")
  let bytes = Array(text.utf8)
  lengthOut.pointee = bytes.count
  // `capacity` is a C size_t: values of 2^63 and above (SIZE_MAX, say)
  // arrive negative here and are simply more than enough room.
  guard capacity < 0 || capacity > bytes.count else {
    throw SwiftPGError(.bufferTooSmall, "the text needs \(bytes.count + 1) bytes, capacity is \(capacity)")
  }
  let out = try need(buffer, "buffer")
  for (i, byte) in bytes.enumerated() { out[i] = CChar(bitPattern: byte) }
  out[bytes.count] = 0
}

/// Copies a pair of bound vectors to caller buffers of their length.
func writeBounds(
  _ low: [Double], _ high: [Double], _ low_out: UnsafeMutablePointer<Double>?,
  _ high_out: UnsafeMutablePointer<Double>?
) throws(SwiftPGError) {
  let lowOut = try need(low_out, "low_out")
  let highOut = try need(high_out, "high_out")
  for (i, v) in low.enumerated() { lowOut[i] = v }
  for (i, v) in high.enumerated() { highOut[i] = v }
}

@c @implementation
public func swiftpg_env_list(
  _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int, _ length_out: UnsafeMutablePointer<Int>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    try writeText(EnvironmentRegistry.ids.joined(separator: "\n"), buffer, capacity, length_out)
  }
}

@c @implementation
public func swiftpg_env_create(
  _ id: UnsafePointer<CChar>?, _ num_envs: Int32, _ seed: UInt64, _ env_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    try register(envTable, env_out, "env_out") { () throws(SwiftPGError) in
      EnvObject(try EnvironmentRegistry.make(try cString(id, "id"), count: Int(num_envs), seed: seed))
    }
  }
}

@c @implementation
public func swiftpg_env_destroy(_ env: UInt64) -> Int32 {
  entry { () throws(SwiftPGError) in try envTable.remove(env) }
}

@c @implementation
public func swiftpg_env_get_info(_ env: UInt64, _ info_out: UnsafeMutablePointer<swiftpg_env_info>?) -> Int32 {
  entry(envTable, env, output: info_out, "info_out") { (o, out) throws(SwiftPGError) in
    let e = o.env
    var info = swiftpg_env_info()
    info.num_envs = Int32(e.count)
    info.observation_size = Int32(e.observationSize)
    info.state_size = Int32(e.stateSize)
    (info.action_kind, info.num_actions, info.action_size) = actionFields(e.actionSpace)
    info.max_episode_steps = Int32(clamping: e.maxEpisodeSteps)
    info.observation_kind = e.observationKind.rawValue
    info.reward_threshold = e.rewardThreshold ?? .nan
    out.pointee = info
  }
}

@c @implementation
public func swiftpg_env_observation_bounds(
  _ env: UInt64, _ low_out: UnsafeMutablePointer<Double>?, _ high_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    try using(envTable, env) { (o) throws(SwiftPGError) in
      try writeBounds(o.env.observationLow, o.env.observationHigh, low_out, high_out)
    }
  }
}

@c @implementation
public func swiftpg_env_reset(
  _ env: UInt64, _ seed: UnsafePointer<UInt64>?, _ observations_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry(envTable, env, output: observations_out, "observations_out") { (o, obs) throws(SwiftPGError) in
    if let seed { o.env.reseed(try need(seed, "seed").pointee) }
    o.env.reset(observations: obs)
  }
}

@c @implementation
public func swiftpg_env_reseed_instances(_ env: UInt64, _ seeds: UnsafePointer<UInt64>?, _ which: UnsafePointer<UInt8>?)
  -> Int32
{
  entry { () throws(SwiftPGError) in
    let s = try need(seeds, "seeds")
    try using(envTable, env) { (o) throws(SwiftPGError) in
      let n = o.env.count
      var list: [UInt64?] = []
      list.reserveCapacity(n)
      for i in 0..<n {
        let flag = which?[i] ?? 1
        try require(flag <= 1, "which[\(i)] is \(flag); flags must be 0 or 1")
        list.append(flag == 1 ? s[i] : nil)
      }
      try o.env.reseed(instances: list)
    }
  }
}

@c @implementation
public func swiftpg_env_step(
  _ env: UInt64, _ actions: UnsafeRawPointer?, _ observations_out: UnsafeMutablePointer<Double>?,
  _ rewards_out: UnsafeMutablePointer<Double>?, _ terminated_out: UnsafeMutablePointer<UInt8>?,
  _ truncated_out: UnsafeMutablePointer<UInt8>?, _ final_observations_out: UnsafeMutablePointer<Double>?,
  _ ended_count_out: UnsafeMutablePointer<Int32>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    guard let actions else { throw SwiftPGError(.nullPointer, "actions is NULL") }
    let obs = try need(observations_out, "observations_out")
    let rewards = try need(rewards_out, "rewards_out")
    let terminated = try need(terminated_out, "terminated_out")
    let truncated = try need(truncated_out, "truncated_out")
    let final = try needIfPresent(final_observations_out, "final_observations_out")
    let endedOut = try needIfPresent(ended_count_out, "ended_count_out")
    try using(envTable, env) { (o) throws(SwiftPGError) in
      try requireActionAlignment(actions, o.env.actionSpace, "actions")
      try o.env.validateActions(actions)
      let ended = o.env.step(
        actions: actions, observations: obs, rewards: rewards, terminated: terminated,
        truncated: truncated, finalObservations: final)
      endedOut?.pointee = Int32(ended)
    }
  }
}

@c @implementation
public func swiftpg_env_get_state(_ env: UInt64, _ states_out: UnsafeMutablePointer<Double>?) -> Int32 {
  entry(envTable, env, output: states_out, "states_out") { (o, out) throws(SwiftPGError) in o.env.getStates(out) }
}

@c @implementation
public func swiftpg_env_set_state(
  _ env: UInt64, _ states: UnsafePointer<Double>?, _ observations_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let input = try need(states, "states")
    let obs = try needIfPresent(observations_out, "observations_out")
    try using(envTable, env) { (o) throws(SwiftPGError) in
      try o.env.setStates(input)
      if let obs { o.env.observe(into: obs) }
    }
  }
}

@c @implementation
public func swiftpg_env_get_elapsed_steps(_ env: UInt64, _ steps_out: UnsafeMutablePointer<Int32>?) -> Int32 {
  entry(envTable, env, output: steps_out, "steps_out") { (o, out) throws(SwiftPGError) in
    o.env.elapsedSteps(into: out)
  }
}

@c @implementation
public func swiftpg_env_get_final_state(
  _ env: UInt64, _ states_out: UnsafeMutablePointer<Double>?, _ steps_out: UnsafeMutablePointer<Int32>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(states_out, "states_out")
    let steps = try needIfPresent(steps_out, "steps_out")
    try using(envTable, env) { (o) throws(SwiftPGError) in
      o.env.getFinalStates(out)
      if let steps { o.env.finalElapsedSteps(into: steps) }
    }
  }
}

@c @implementation
public func swiftpg_env_action_bounds(
  _ env: UInt64, _ low_out: UnsafeMutablePointer<Double>?, _ high_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    try using(envTable, env) { (o) throws(SwiftPGError) in
      guard case .box(let lo, let hi) = o.env.actionSpace else {
        throw .invalid("\(o.env.id) has a discrete action space; it has no action bounds")
      }
      try writeBounds(lo, hi, low_out, high_out)
    }
  }
}

@c @implementation
public func swiftpg_env_parameter_names(
  _ env: UInt64, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int, _ length_out: UnsafeMutablePointer<Int>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    try using(envTable, env) { (o) throws(SwiftPGError) in
      try writeText(o.env.parameterNames.joined(separator: "\n"), buffer, capacity, length_out)
    }
  }
}

@c @implementation
public func swiftpg_env_set_parameter(_ env: UInt64, _ name: UnsafePointer<CChar>?, _ value: Double) -> Int32 {
  entry { () throws(SwiftPGError) in
    let key = try cString(name, "name")
    try using(envTable, env) { (o) throws(SwiftPGError) in try o.env.setParameter(key, value) }
  }
}

@c @implementation
public func swiftpg_env_randomize_parameter(
  _ env: UInt64, _ name: UnsafePointer<CChar>?, _ low: Double, _ high: Double
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let key = try cString(name, "name")
    try using(envTable, env) { (o) throws(SwiftPGError) in try o.env.randomizeParameter(key, low: low, high: high) }
  }
}

@c @implementation
public func swiftpg_env_get_parameter(
  _ env: UInt64, _ name: UnsafePointer<CChar>?, _ values_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let key = try cString(name, "name")
    let out = try need(values_out, "values_out")
    try using(envTable, env) { (o) throws(SwiftPGError) in try o.env.parameterValues(key, into: out) }
  }
}

@c @implementation
public func swiftpg_env_set_autoreset_mode(_ env: UInt64, _ mode: Int32) -> Int32 {
  entry { () throws(SwiftPGError) in
    guard let m = AutoresetMode(rawValue: mode) else {
      throw .invalid("autoreset mode must be SWIFTPG_AUTORESET_SAME_STEP (0) or _NEXT_STEP (1), got \(mode)")
    }
    try using(envTable, env) { (o) throws(SwiftPGError) in o.env.setAutoresetMode(m) }
  }
}

@c @implementation
public func swiftpg_env_set_max_action_delay(_ env: UInt64, _ max_action_delay: Int32) -> Int32 {
  entry { () throws(SwiftPGError) in
    try using(envTable, env) { (o) throws(SwiftPGError) in try o.env.setActionDelayCapacity(Int(max_action_delay)) }
  }
}

@c @implementation
public func swiftpg_env_get_max_action_delay(_ env: UInt64, _ max_action_delay_out: UnsafeMutablePointer<Int32>?) -> Int32 {
  entry(envTable, env, output: max_action_delay_out, "max_action_delay_out") { (o, out) throws(SwiftPGError) in
    out.pointee = Int32(o.env.actionDelayCapacity)
  }
}

@c @implementation
public func swiftpg_env_get_autoreset_mode(_ env: UInt64, _ mode_out: UnsafeMutablePointer<Int32>?) -> Int32 {
  entry(envTable, env, output: mode_out, "mode_out") { (o, out) throws(SwiftPGError) in
    out.pointee = o.env.autoresetMode.rawValue
  }
}

@c @implementation
public func swiftpg_env_adr_enable(
  _ env: UInt64, _ names: UnsafePointer<CChar>?, _ nominals: UnsafePointer<Double>?, _ steps: UnsafePointer<Double>?,
  _ lower_limits: UnsafePointer<Double>?, _ upper_limits: UnsafePointer<Double>?, _ count: Int32,
  _ boundary_probability: Double, _ buffer_size: Int32, _ upper_threshold: Double, _ lower_threshold: Double,
  _ success_return: Double
) -> Int32 {
  entry { () throws(SwiftPGError) in
    try require(count >= 1 && count <= 1024, "count must be in 1 ... 1024, got \(count)")
    let list = try cString(names, "names", limit: 1 << 16).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    try require(list.count == Int(count), "names holds \(list.count) names separated by '\\n', count is \(count)")
    let n = Int(count)
    let s = try need(steps, "steps")
    let lo = try need(lower_limits, "lower_limits")
    let hi = try need(upper_limits, "upper_limits")
    var nominal: UnsafePointer<Double>? = nil
    var columns = [("steps", s), ("lower_limits", lo), ("upper_limits", hi)]
    if let nominals {
      let p = try need(nominals, "nominals")
      nominal = p
      columns.append(("nominals", p))
    }
    for (what, values) in columns {
      for k in 0..<n where !values[k].isFinite {
        throw SwiftPGError(.notFinite, "\(what)[\(k)] is \(values[k]); it must be finite")
      }
    }
    for value in [boundary_probability, upper_threshold, lower_threshold, success_return] where !value.isFinite {
      throw SwiftPGError(.notFinite, "the ADR settings must be finite, got \(value)")
    }
    let specs = (0..<n).map {
      ADRSpec(name: list[$0], step: s[$0], lowerLimit: lo[$0], upperLimit: hi[$0], nominal: nominal?[$0])
    }
    let settings = AutomaticDomainRandomization.Settings(
      boundaryProbability: boundary_probability, bufferSize: Int(buffer_size), upperThreshold: upper_threshold,
      lowerThreshold: lower_threshold, successReturn: success_return)
    try using(envTable, env) { (o) throws(SwiftPGError) in try o.env.enableADR(specs, settings: settings) }
  }
}

@c @implementation
public func swiftpg_env_adr_parameter_names(
  _ env: UInt64, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int, _ length_out: UnsafeMutablePointer<Int>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    try using(envTable, env) { (o) throws(SwiftPGError) in
      try writeText((o.env.adr?.parameters ?? []).map(\.name).joined(separator: "\n"), buffer, capacity, length_out)
    }
  }
}

@c @implementation
public func swiftpg_env_adr_disable(_ env: UInt64) -> Int32 {
  entry { () throws(SwiftPGError) in
    try using(envTable, env) { (o) throws(SwiftPGError) in o.env.disableADR() }
  }
}

@c @implementation
public func swiftpg_env_adr_state(
  _ env: UInt64, _ stats_out: UnsafeMutablePointer<swiftpg_adr_stats>?, _ low_out: UnsafeMutablePointer<Double>?,
  _ high_out: UnsafeMutablePointer<Double>?, _ capacity: Int32
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(stats_out, "stats_out")
    let low = try needIfPresent(low_out, "low_out")
    let high = try needIfPresent(high_out, "high_out")
    try using(envTable, env) { (o) throws(SwiftPGError) in
      guard let a = o.env.adr else {
        out.pointee = swiftpg_adr_stats(
          enabled: 0, num_parameters: 0, episodes: 0, boundary_episodes: 0, successes: 0, decisions: 0, moves: 0,
          entropy: .nan)
        return
      }
      let p = a.parameters.count
      if low != nil || high != nil {
        try require(
          Int(capacity) >= p, "capacity \(capacity) < \(p) ADR parameters", code: .bufferTooSmall)
      }
      for (k, q) in a.parameters.enumerated() {
        low?[k] = q.low
        high?[k] = q.high
      }
      out.pointee = swiftpg_adr_stats(
        enabled: 1, num_parameters: Int32(p), episodes: Int64(a.episodes), boundary_episodes: Int64(a.boundaryEpisodes),
        successes: Int64(a.successes), decisions: Int64(a.decisions), moves: Int64(a.moves),
        entropy: a.entropy ?? .nan)
    }
  }
}

@c @implementation
public func swiftpg_env_last_episodes(
  _ env: UInt64, _ tags_out: UnsafeMutablePointer<Int32>?, _ returns_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry(envTable, env, outputs: tags_out, "tags_out", returns_out, "returns_out") {
    (o, tags, returns) throws(SwiftPGError) in o.env.lastEpisodes(tags: tags, returns: returns)
  }
}

@c @implementation
public func swiftpg_env_set_threads(_ env: UInt64, _ num_threads: Int32) -> Int32 {
  entry { () throws(SwiftPGError) in
    try require(
      num_threads >= 1 && Int(num_threads) <= WorkerPool.maxThreads,
      "num_threads must be in [1, \(WorkerPool.maxThreads)], got \(num_threads)")
    try using(envTable, env) { (o) throws(SwiftPGError) in o.env.threadCount = Int(num_threads) }
  }
}
