import CSwiftPG
import SwiftPG

@c @implementation
public func swiftpg_policy_create_softmax(
  _ observation_size: Int32, _ num_actions: Int32, _ hidden_sizes: UnsafePointer<Int32>?,
  _ num_hidden: Int32, _ activation: Int32, _ head_gain: Double, _ seed: UInt64,
  _ policy_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(policy_out, "policy_out")
    try require(num_hidden >= 0 && num_hidden <= 64, "num_hidden must be in [0, 64], got \(num_hidden)")
    var hidden: [Int] = []
    if num_hidden > 0 {
      let sizes = try need(hidden_sizes, "hidden_sizes")
      hidden = (0..<Int(num_hidden)).map { Int(sizes[$0]) }
    }
    guard let act = Activation(rawValue: activation) else {
      throw .invalid("unknown activation \(activation); expected 0 (tanh) or 1 (relu)")
    }
    let policy = try SoftmaxPolicy(
      observationSize: Int(observation_size), actionCount: Int(num_actions), hidden: hidden,
      activation: act, headGain: head_gain, seed: seed)
    out.pointee = try policyTable.insert(PolicyObject(policy))
  }
}

@c @implementation
public func swiftpg_policy_destroy(_ policy: UInt64) -> Int32 {
  entry { () throws(SwiftPGError) in try policyTable.remove(policy) }
}

@c @implementation
public func swiftpg_policy_get_sizes(
  _ policy: UInt64, _ observation_size_out: UnsafeMutablePointer<Int32>?,
  _ num_actions_out: UnsafeMutablePointer<Int32>?, _ num_params_out: UnsafeMutablePointer<Int64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let o1 = try need(observation_size_out, "observation_size_out")
    let o2 = try need(num_actions_out, "num_actions_out")
    let o3 = try need(num_params_out, "num_params_out")
    try using(policyTable, policy) { (o) throws(SwiftPGError) in
      o1.pointee = Int32(o.policy.observationSize)
      o2.pointee = Int32(o.policy.actionCount)
      o3.pointee = Int64(o.policy.parameterCount)
    }
  }
}

@c @implementation
public func swiftpg_policy_get_params(_ policy: UInt64, _ params_out: UnsafeMutablePointer<Double>?, _ count: Int64)
  -> Int32
{
  entry { () throws(SwiftPGError) in
    let out = try need(params_out, "params_out")
    try using(policyTable, policy) { (o) throws(SwiftPGError) in
      let n = o.policy.parameterCount
      try require(count == Int64(n), "count must equal the policy's \(n) parameters, got \(count)")
      for (i, v) in o.policy.parameters.enumerated() { out[i] = v }
    }
  }
}

@c @implementation
public func swiftpg_policy_set_params(_ policy: UInt64, _ params: UnsafePointer<Double>?, _ count: Int64) -> Int32 {
  entry { () throws(SwiftPGError) in
    let input = try need(params, "params")
    try using(policyTable, policy) { (o) throws(SwiftPGError) in
      let n = o.policy.parameterCount
      try require(count == Int64(n), "count must equal the policy's \(n) parameters, got \(count)")
      try requireFinite(input, n, "params")
      try o.policy.setParameters(Array(UnsafeBufferPointer(start: input, count: n)))
    }
  }
}

@c @implementation
public func swiftpg_policy_seed(_ policy: UInt64, _ seed: UInt64) -> Int32 {
  entry { () throws(SwiftPGError) in
    try using(policyTable, policy) { (o) throws(SwiftPGError) in o.policy.rng = PCG64(seed: UInt128(seed)) }
  }
}

/// Checks observations `[batch, observationSize]` of a policy call.
private func checkObservations(_ p: UnsafePointer<Double>?, _ batch: Int64, _ policy: SoftmaxPolicy)
  throws(SwiftPGError) -> (UnsafePointer<Double>, Int)
{
  let obs = try need(p, "observations")
  let b = try checkBatch(batch, width: policy.observationSize)
  try requireFinite(obs, b * policy.observationSize, "observations", width: policy.observationSize)
  return (obs, b)
}

private func checkActions(_ p: UnsafePointer<Int32>?, _ batch: Int, _ policy: SoftmaxPolicy)
  throws(SwiftPGError) -> UnsafePointer<Int32>
{
  let actions = try need(p, "actions")
  for i in 0..<batch where actions[i] < 0 || Int(actions[i]) >= policy.actionCount {
    throw SwiftPGError(.outOfRange, "actions[\(i)] = \(actions[i]) is outside {0, ..., \(policy.actionCount - 1)}")
  }
  return actions
}

@c @implementation
public func swiftpg_policy_sample(
  _ policy: UInt64, _ observations: UnsafePointer<Double>?, _ batch: Int64, _ greedy: Int32,
  _ actions_out: UnsafeMutablePointer<Int32>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(actions_out, "actions_out")
    try using(policyTable, policy) { (o) throws(SwiftPGError) in
      let (obs, b) = try checkObservations(observations, batch, o.policy)
      o.policy.sample(obs, batch: b, greedy: greedy != 0, into: out)
    }
  }
}

@c @implementation
public func swiftpg_policy_probabilities(
  _ policy: UInt64, _ observations: UnsafePointer<Double>?, _ batch: Int64,
  _ probabilities_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(probabilities_out, "probabilities_out")
    try using(policyTable, policy) { (o) throws(SwiftPGError) in
      let (obs, b) = try checkObservations(observations, batch, o.policy)
      o.policy.probabilities(obs, batch: b, into: out)
    }
  }
}

@c @implementation
public func swiftpg_policy_log_prob(
  _ policy: UInt64, _ observations: UnsafePointer<Double>?, _ actions: UnsafePointer<Int32>?, _ batch: Int64,
  _ log_probs_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(log_probs_out, "log_probs_out")
    try using(policyTable, policy) { (o) throws(SwiftPGError) in
      let (obs, b) = try checkObservations(observations, batch, o.policy)
      let a = try checkActions(actions, b, o.policy)
      o.policy.logProbabilities(obs, actions: a, batch: b, into: out)
    }
  }
}

@c @implementation
public func swiftpg_policy_entropy(
  _ policy: UInt64, _ observations: UnsafePointer<Double>?, _ batch: Int64,
  _ entropies_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(entropies_out, "entropies_out")
    try using(policyTable, policy) { (o) throws(SwiftPGError) in
      let (obs, b) = try checkObservations(observations, batch, o.policy)
      o.policy.entropies(obs, batch: b, into: out)
    }
  }
}

@c @implementation
public func swiftpg_policy_score_gradient(
  _ policy: UInt64, _ observations: UnsafePointer<Double>?, _ actions: UnsafePointer<Int32>?,
  _ weights: UnsafePointer<Double>?, _ batch: Int64, _ gradient_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(gradient_out, "gradient_out")
    try using(policyTable, policy) { (o) throws(SwiftPGError) in
      let (obs, b) = try checkObservations(observations, batch, o.policy)
      let a = try checkActions(actions, b, o.policy)
      let w = try need(weights, "weights")
      try requireFinite(w, b, "weights")
      o.policy.scoreGradient(obs, actions: a, weights: w, batch: b, into: out)
    }
  }
}

@c @implementation
public func swiftpg_policy_evaluate(
  _ policy: UInt64, _ env: UInt64, _ episodes: Int32, _ greedy: Int32, _ seed: UInt64,
  _ returns_out: UnsafeMutablePointer<Double>?, _ lengths_out: UnsafeMutablePointer<Int32>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let returnsOut: UnsafeMutablePointer<Double>? =
      if let p = returns_out { try need(p, "returns_out") } else { nil }
    let lengthsOut: UnsafeMutablePointer<Int32>? =
      if let p = lengths_out { try need(p, "lengths_out") } else { nil }
    let policyBox = try policyTable.get(policy)
    let envBox = try envTable.get(env)
    try usingAll(
      [
        (policyBox.tryAcquire, policyBox.release, "policy"),
        (envBox.tryAcquire, envBox.release, "environment"),
      ]
    ) { () throws(SwiftPGError) in
      let result = try evaluate(
        policy: policyBox.object.policy, env: envBox.object.env, episodes: Int(episodes),
        greedy: greedy != 0, seed: seed)
      for (i, r) in result.returns.enumerated() {
        returnsOut?[i] = r
        lengthsOut?[i] = Int32(clamping: result.lengths[i])
      }
    }
  }
}
