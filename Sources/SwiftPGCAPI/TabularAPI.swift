import CSwiftPG
import SwiftPG

/// Copies `count` values from a C array (NULL allowed only if `count` is 0).
private func readArray<T>(_ p: UnsafePointer<T>?, _ count: Int, _ name: String) throws(SwiftPGError) -> [T] {
  if count == 0 { return [] }
  let base = try need(p, name)
  return Array(UnsafeBufferPointer(start: base, count: count))
}

private func timeLimit(_ v: Int32) throws(SwiftPGError) -> Int? {
  try require(v >= 0, "max_episode_steps must be >= 0, got \(v)")
  return v == 0 ? nil : Int(v)
}

@c @implementation
public func swiftpg_env_create_tabular(
  _ num_envs: Int32, _ seed: UInt64, _ num_states: Int32, _ num_actions: Int32,
  _ transitions: UnsafePointer<Double>?, _ rewards: UnsafePointer<Double>?, _ rewards_per_next_state: Int32,
  _ initial: UnsafePointer<Double>?, _ terminal: UnsafePointer<UInt8>?, _ horizon: Int32, _ gamma: Double,
  _ max_episode_steps: Int32, _ env_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    try register(envTable, env_out, "env_out") { () throws(SwiftPGError) in
      let s = Int(num_states)
      let a = Int(num_actions)
      try require(
        s >= 1 && s <= TabularModel.maxStates, "num_states must be in [1, \(TabularModel.maxStates)], got \(s)")
      try require(
        a >= 1 && a <= TabularModel.maxActions, "num_actions must be in [1, \(TabularModel.maxActions)], got \(a)")
      try require(horizon >= 0, "horizon must be >= 0 (0: discounted), got \(horizon)")
      try require(
        rewards_per_next_state == 0 || rewards_per_next_state == 1, "rewards_per_next_state must be 0 or 1")
      let sas = try TabularModel.tableEntries(states: s, actions: a)
      let p = try readArray(transitions, sas, "transitions")
      let r = try readArray(rewards, rewards_per_next_state == 1 ? sas : s * a, "rewards")
      let mu = try readArray(initial, s, "initial")
      let term: [Bool]? = if let terminal { (0..<s).map { terminal[$0] != 0 } } else { nil }
      let model = try TabularModel(
        stateCount: s, actionCount: a, transitions: p, rewards: r, rewardsPerNextState: rewards_per_next_state == 1,
        initial: mu, terminal: term, horizon: horizon > 0 ? Int(horizon) : nil, gamma: gamma)
      let env = try VectorEnvironment(
        TabularMDP(model: model, maxEpisodeSteps: try timeLimit(max_episode_steps)), count: Int(num_envs), seed: seed)
      return EnvObject(env)
    }
  }
}

@c @implementation
public func swiftpg_env_create_gridworld(
  _ num_envs: Int32, _ seed: UInt64, _ layout: UnsafePointer<CChar>?, _ slip: Double, _ step_reward: Double,
  _ goal_reward: Double, _ pit_reward: Double, _ gamma: Double, _ max_episode_steps: Int32,
  _ env_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    try register(envTable, env_out, "env_out") { () throws(SwiftPGError) in
      let text = try cString(layout, "layout", limit: 1 << 20)
      let model = try GridWorld.model(
        layout: text, slip: slip, stepReward: step_reward, goalReward: goal_reward, pitReward: pit_reward,
        gamma: gamma)
      let env = try VectorEnvironment(
        TabularMDP(model: model, maxEpisodeSteps: try timeLimit(max_episode_steps), id: "GridWorld"),
        count: Int(num_envs), seed: seed)
      return EnvObject(env)
    }
  }
}

@c @implementation
public func swiftpg_env_create_bandit(
  _ num_envs: Int32, _ seed: UInt64, _ kind: Int32, _ num_arms: Int32, _ means: UnsafePointer<Double>?,
  _ stds: UnsafePointer<Double>?, _ horizon: Int32, _ env_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    try register(envTable, env_out, "env_out") { () throws(SwiftPGError) in
      guard let k = Bandit.Kind(rawValue: kind) else {
        throw .invalid("unknown bandit kind \(kind); expected 0 (Gaussian) or 1 (Bernoulli)")
      }
      try require(num_arms >= 1 && num_arms <= 1 << 16, "num_arms must be in [1, 65536], got \(num_arms)")
      let m = try readArray(means, Int(num_arms), "means")
      let sd: [Double]? = stds == nil ? nil : try readArray(stds, Int(num_arms), "stds")
      let bandit = try Bandit(kind: k, means: m, stds: sd, horizon: Int(horizon))
      return EnvObject(try VectorEnvironment(bandit, count: Int(num_envs), seed: seed))
    }
  }
}

@c @implementation
public func swiftpg_env_render_text(
  _ env: UInt64, _ instance: Int32, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int,
  _ length_out: UnsafeMutablePointer<Int>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    try using(envTable, env) { (o) throws(SwiftPGError) in
      try require(
        instance >= 0 && Int(instance) < o.env.count,
        "instance must be in [0, \(o.env.count - 1)], got \(instance)", code: .outOfRange)
      guard let text = o.env.renderText(instance: Int(instance)) else {
        throw .invalid("\(o.env.id) has no text rendering")
      }
      try writeText(text, buffer, capacity, length_out)
    }
  }
}

private func tabularModel(_ o: EnvObject) throws(SwiftPGError) -> TabularModel {
  guard let model = o.env.tabularModel else { throw .invalid("\(o.env.id) is not a tabular environment") }
  return model
}

@c @implementation
public func swiftpg_env_tabular_sizes(
  _ env: UInt64, _ num_states_out: UnsafeMutablePointer<Int32>?, _ num_actions_out: UnsafeMutablePointer<Int32>?
) -> Int32 {
  entry(envTable, env, outputs: num_states_out, "num_states_out", num_actions_out, "num_actions_out") {
    (o, so, ao) throws(SwiftPGError) in
    let m = try tabularModel(o)
    so.pointee = Int32(m.stateCount)
    ao.pointee = Int32(m.actionCount)
  }
}

@c @implementation
public func swiftpg_env_get_tabular(
  _ env: UInt64, _ transitions_out: UnsafeMutablePointer<Double>?, _ rewards_out: UnsafeMutablePointer<Double>?,
  _ initial_out: UnsafeMutablePointer<Double>?, _ terminal_out: UnsafeMutablePointer<UInt8>?,
  _ horizon_out: UnsafeMutablePointer<Int32>?, _ gamma_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    try using(envTable, env) { (o) throws(SwiftPGError) in
      let m = try tabularModel(o)
      if let p = transitions_out { for (i, v) in m.transitions.enumerated() { p[i] = v } }
      if let p = rewards_out { for (i, v) in m.rewards.enumerated() { p[i] = v } }
      if let p = initial_out { for (i, v) in m.initial.enumerated() { p[i] = v } }
      if let p = terminal_out { for (i, v) in m.terminal.enumerated() { p[i] = v ? 1 : 0 } }
      horizon_out?.pointee = Int32(m.horizon ?? 0)
      gamma_out?.pointee = m.gamma
    }
  }
}
