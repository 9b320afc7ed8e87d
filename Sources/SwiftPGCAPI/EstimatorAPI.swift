import CSwiftPG
import SwiftPG

/// Validates the arrays of a rollout estimator call and builds the Rollout.
private func rollout(
  _ steps: Int64, _ numEnvs: Int64, _ rewards: UnsafePointer<Double>?, _ terminated: UnsafePointer<UInt8>?,
  _ truncated: UnsafePointer<UInt8>?, _ values: UnsafePointer<Double>?, _ finalValues: UnsafePointer<Double>?,
  gamma: Double, needsValues: Bool
) throws(SwiftPGError) -> Rollout {
  try require(steps >= 1, "steps must be >= 1, got \(steps)")
  try require(numEnvs >= 1, "num_envs must be >= 1, got \(numEnvs)")
  try require(steps <= 1 << 26 && numEnvs <= 1 << 26, "steps × num_envs is too large", code: .tooLarge)
  let t = Int(steps)
  let n = Int(numEnvs)
  let size = try checkedProduct(t + 1, n, "(steps + 1) × num_envs")
  try require(size <= 1 << 28, "steps × num_envs = \(t * n) exceeds 2^28", code: .tooLarge)
  try require(gamma >= 0 && gamma <= 1, "gamma must be in [0, 1], got \(gamma)")
  let r = try need(rewards, "rewards")
  let te = try need(terminated, "terminated")
  let tr = try need(truncated, "truncated")
  try requireFinite(r, t * n, "rewards", width: n)
  var anyTruncated = false
  for k in 0..<(t * n) {
    guard te[k] <= 1 && tr[k] <= 1 else {
      throw .invalid("terminated/truncated[\(k / n), \(k % n)] must be 0 or 1")
    }
    if tr[k] == 1 && te[k] == 0 { anyTruncated = true }
  }
  if needsValues { _ = try need(values, "values") }
  if let values { try requireFinite(try need(values, "values"), (t + 1) * n, "values", width: n) }
  if let finalValues { try requireFinite(try need(finalValues, "final_values"), t * n, "final_values", width: n) }
  try require(
    !anyTruncated || finalValues != nil || values == nil,
    "a step is truncated: final_values (V of the final observations) are needed to bootstrap it")
  return Rollout(
    steps: t, count: n, rewards: r, terminated: te, truncated: tr, values: values, finalValues: finalValues)
}

private func checkLambda(_ lambda: Double) throws(SwiftPGError) {
  try require(lambda >= 0 && lambda <= 1, "lambda must be in [0, 1], got \(lambda)")
}

private func checkN(_ n: Int32) throws(SwiftPGError) {
  try require(n >= 1, "n must be >= 1, got \(n)")
}

@c @implementation
public func swiftpg_discounted_returns(
  _ steps: Int64, _ num_envs: Int64, _ rewards: UnsafePointer<Double>?, _ terminated: UnsafePointer<UInt8>?,
  _ truncated: UnsafePointer<UInt8>?, _ values: UnsafePointer<Double>?, _ final_values: UnsafePointer<Double>?,
  _ gamma: Double, _ returns_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(returns_out, "returns_out")
    let r = try rollout(
      steps, num_envs, rewards, terminated, truncated, values, final_values, gamma: gamma, needsValues: false)
    discountedReturns(r, gamma: gamma, into: out)
  }
}

@c @implementation
public func swiftpg_td_errors(
  _ steps: Int64, _ num_envs: Int64, _ rewards: UnsafePointer<Double>?, _ terminated: UnsafePointer<UInt8>?,
  _ truncated: UnsafePointer<UInt8>?, _ values: UnsafePointer<Double>?, _ final_values: UnsafePointer<Double>?,
  _ gamma: Double, _ deltas_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(deltas_out, "deltas_out")
    let r = try rollout(
      steps, num_envs, rewards, terminated, truncated, values, final_values, gamma: gamma, needsValues: true)
    temporalDifferences(r, gamma: gamma, into: out)
  }
}

@c @implementation
public func swiftpg_gae(
  _ steps: Int64, _ num_envs: Int64, _ rewards: UnsafePointer<Double>?, _ terminated: UnsafePointer<UInt8>?,
  _ truncated: UnsafePointer<UInt8>?, _ values: UnsafePointer<Double>?, _ final_values: UnsafePointer<Double>?,
  _ gamma: Double, _ lambda: Double, _ advantages_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(advantages_out, "advantages_out")
    try checkLambda(lambda)
    let r = try rollout(
      steps, num_envs, rewards, terminated, truncated, values, final_values, gamma: gamma, needsValues: true)
    generalizedAdvantages(r, gamma: gamma, lambda: lambda, into: out)
  }
}

@c @implementation
public func swiftpg_lambda_returns(
  _ steps: Int64, _ num_envs: Int64, _ rewards: UnsafePointer<Double>?, _ terminated: UnsafePointer<UInt8>?,
  _ truncated: UnsafePointer<UInt8>?, _ values: UnsafePointer<Double>?, _ final_values: UnsafePointer<Double>?,
  _ gamma: Double, _ lambda: Double, _ returns_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(returns_out, "returns_out")
    try checkLambda(lambda)
    let r = try rollout(
      steps, num_envs, rewards, terminated, truncated, values, final_values, gamma: gamma, needsValues: true)
    lambdaReturns(r, gamma: gamma, lambda: lambda, into: out)
  }
}

@c @implementation
public func swiftpg_n_step_returns(
  _ steps: Int64, _ num_envs: Int64, _ rewards: UnsafePointer<Double>?, _ terminated: UnsafePointer<UInt8>?,
  _ truncated: UnsafePointer<UInt8>?, _ values: UnsafePointer<Double>?, _ final_values: UnsafePointer<Double>?,
  _ gamma: Double, _ n: Int32, _ returns_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(returns_out, "returns_out")
    try checkN(n)
    let r = try rollout(
      steps, num_envs, rewards, terminated, truncated, values, final_values, gamma: gamma, needsValues: false)
    nStepReturns(r, gamma: gamma, n: Int(n), into: out)
  }
}

@c @implementation
public func swiftpg_n_step_advantages(
  _ steps: Int64, _ num_envs: Int64, _ rewards: UnsafePointer<Double>?, _ terminated: UnsafePointer<UInt8>?,
  _ truncated: UnsafePointer<UInt8>?, _ values: UnsafePointer<Double>?, _ final_values: UnsafePointer<Double>?,
  _ gamma: Double, _ n: Int32, _ advantages_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(advantages_out, "advantages_out")
    try checkN(n)
    let r = try rollout(
      steps, num_envs, rewards, terminated, truncated, values, final_values, gamma: gamma, needsValues: true)
    nStepAdvantages(r, gamma: gamma, n: Int(n), into: out)
  }
}
