import CSwiftPG
import SwiftPG

/// Validates the arrays of a rollout estimator call and builds the Rollout.
private func rollout(
  _ steps: Int64, _ numEnvs: Int64, _ rewards: UnsafePointer<Double>?, _ terminated: UnsafePointer<UInt8>?,
  _ truncated: UnsafePointer<UInt8>?, _ values: UnsafePointer<Double>?, _ finalValues: UnsafePointer<Double>?,
  gamma: Double, needsValues: Bool, rewardsName: String = "rewards"
) throws(SwiftPGError) -> Rollout {
  try require(steps >= 1, "steps must be >= 1, got \(steps)")
  try require(numEnvs >= 1, "num_envs must be >= 1, got \(numEnvs)")
  try require(steps <= 1 << 26 && numEnvs <= 1 << 26, "steps × num_envs is too large", code: .tooLarge)
  let t = Int(steps)
  let n = Int(numEnvs)
  let size = try checkedProduct(t + 1, n, "(steps + 1) × num_envs")
  try require(size <= 1 << 28, "steps × num_envs = \(t * n) exceeds 2^28", code: .tooLarge)
  try require(gamma >= 0 && gamma <= 1, "gamma must be in [0, 1], got \(gamma)")
  let r = try need(rewards, rewardsName)
  let te = try need(terminated, "terminated")
  let tr = try need(truncated, "truncated")
  try requireFinite(r, t * n, rewardsName, width: n)
  // Branch-free scans (they vectorise); the slow search only names the culprit.
  var flagBits: UInt8 = 0
  var truncatedOnly: UInt8 = 0
  for k in 0..<(t * n) {
    flagBits |= te[k] | tr[k]
    truncatedOnly |= tr[k] & ~te[k]
  }
  if flagBits > 1 {
    for k in 0..<(t * n) where te[k] > 1 || tr[k] > 1 {
      throw .invalid("terminated/truncated[\(k / n), \(k % n)] must be 0 or 1")
    }
  }
  let anyTruncated = truncatedOnly & 1 != 0
  if needsValues { _ = try need(values, "values") }
  if let values { try requireFinite(try need(values, "values"), (t + 1) * n, "values", width: n) }
  if let finalValues { try requireFinite(try need(finalValues, "final_values"), t * n, "final_values", width: n) }
  try require(
    !anyTruncated || finalValues != nil || values == nil,
    "a step is truncated: final_values (V of the final observations) are needed to bootstrap it")
  return Rollout(
    steps: t, count: n, rewards: r, terminated: te, truncated: tr, values: values, finalValues: finalValues)
}

/// The entry point of an estimator over a rollout: checks the output
/// pointer and the estimator's own arguments (`check`), validates the
/// rollout arrays, then writes `compute(rollout, output)`.
private func rolloutEstimate(
  _ output: UnsafeMutablePointer<Double>?, _ outputName: String, _ steps: Int64, _ numEnvs: Int64,
  _ rewards: UnsafePointer<Double>?, _ terminated: UnsafePointer<UInt8>?, _ truncated: UnsafePointer<UInt8>?,
  _ values: UnsafePointer<Double>?, _ finalValues: UnsafePointer<Double>?, gamma: Double, needsValues: Bool,
  check: () throws(SwiftPGError) -> Void = {}, _ compute: (Rollout, UnsafeMutablePointer<Double>) -> Void
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(output, outputName)
    try check()
    let r = try rollout(
      steps, numEnvs, rewards, terminated, truncated, values, finalValues, gamma: gamma, needsValues: needsValues)
    compute(r, out)
  }
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
  rolloutEstimate(
    returns_out, "returns_out", steps, num_envs, rewards, terminated, truncated, values, final_values,
    gamma: gamma, needsValues: false
  ) { discountedReturns($0, gamma: gamma, into: $1) }
}

@c @implementation
public func swiftpg_td_errors(
  _ steps: Int64, _ num_envs: Int64, _ rewards: UnsafePointer<Double>?, _ terminated: UnsafePointer<UInt8>?,
  _ truncated: UnsafePointer<UInt8>?, _ values: UnsafePointer<Double>?, _ final_values: UnsafePointer<Double>?,
  _ gamma: Double, _ deltas_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  rolloutEstimate(
    deltas_out, "deltas_out", steps, num_envs, rewards, terminated, truncated, values, final_values,
    gamma: gamma, needsValues: true
  ) { temporalDifferences($0, gamma: gamma, into: $1) }
}

@c @implementation
public func swiftpg_gae(
  _ steps: Int64, _ num_envs: Int64, _ rewards: UnsafePointer<Double>?, _ terminated: UnsafePointer<UInt8>?,
  _ truncated: UnsafePointer<UInt8>?, _ values: UnsafePointer<Double>?, _ final_values: UnsafePointer<Double>?,
  _ gamma: Double, _ lambda: Double, _ advantages_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  rolloutEstimate(
    advantages_out, "advantages_out", steps, num_envs, rewards, terminated, truncated, values, final_values,
    gamma: gamma, needsValues: true, check: { () throws(SwiftPGError) in try checkLambda(lambda) }
  ) { generalizedAdvantages($0, gamma: gamma, lambda: lambda, into: $1) }
}

@c @implementation
public func swiftpg_lambda_returns(
  _ steps: Int64, _ num_envs: Int64, _ rewards: UnsafePointer<Double>?, _ terminated: UnsafePointer<UInt8>?,
  _ truncated: UnsafePointer<UInt8>?, _ values: UnsafePointer<Double>?, _ final_values: UnsafePointer<Double>?,
  _ gamma: Double, _ lambda: Double, _ returns_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  rolloutEstimate(
    returns_out, "returns_out", steps, num_envs, rewards, terminated, truncated, values, final_values,
    gamma: gamma, needsValues: true, check: { () throws(SwiftPGError) in try checkLambda(lambda) }
  ) { lambdaReturns($0, gamma: gamma, lambda: lambda, into: $1) }
}

@c @implementation
public func swiftpg_n_step_returns(
  _ steps: Int64, _ num_envs: Int64, _ rewards: UnsafePointer<Double>?, _ terminated: UnsafePointer<UInt8>?,
  _ truncated: UnsafePointer<UInt8>?, _ values: UnsafePointer<Double>?, _ final_values: UnsafePointer<Double>?,
  _ gamma: Double, _ n: Int32, _ returns_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  rolloutEstimate(
    returns_out, "returns_out", steps, num_envs, rewards, terminated, truncated, values, final_values,
    gamma: gamma, needsValues: false, check: { () throws(SwiftPGError) in try checkN(n) }
  ) { nStepReturns($0, gamma: gamma, n: Int(n), into: $1) }
}

@c @implementation
public func swiftpg_vtrace(
  _ steps: Int64, _ num_envs: Int64, _ rewards: UnsafePointer<Double>?, _ terminated: UnsafePointer<UInt8>?,
  _ truncated: UnsafePointer<UInt8>?, _ values: UnsafePointer<Double>?, _ final_values: UnsafePointer<Double>?,
  _ log_rhos: UnsafePointer<Double>?, _ gamma: Double, _ rho_bar: Double, _ c_bar: Double, _ lambda: Double,
  _ targets_out: UnsafeMutablePointer<Double>?, _ advantages_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let targets = try need(targets_out, "targets_out")
    let advantages = try need(advantages_out, "advantages_out")
    try checkLambda(lambda)
    try require(rho_bar > 0 && !rho_bar.isNaN, "rho_bar must be > 0 (inf: no truncation), got \(rho_bar)")
    try require(c_bar > 0 && !c_bar.isNaN, "c_bar must be > 0 (inf: no truncation), got \(c_bar)")
    let r = try rollout(
      steps, num_envs, rewards, terminated, truncated, values, final_values, gamma: gamma, needsValues: true)
    let lr = try need(log_rhos, "log_rhos")
    try requireFinite(lr, r.steps * r.count, "log_rhos", width: r.count)
    vtrace(r, gamma: gamma, logRhos: lr, rhoBar: rho_bar, cBar: c_bar, lambda: lambda, targets: targets,
           advantages: advantages)
  }
}

@c @implementation
public func swiftpg_n_step_advantages(
  _ steps: Int64, _ num_envs: Int64, _ rewards: UnsafePointer<Double>?, _ terminated: UnsafePointer<UInt8>?,
  _ truncated: UnsafePointer<UInt8>?, _ values: UnsafePointer<Double>?, _ final_values: UnsafePointer<Double>?,
  _ gamma: Double, _ n: Int32, _ advantages_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  rolloutEstimate(
    advantages_out, "advantages_out", steps, num_envs, rewards, terminated, truncated, values, final_values,
    gamma: gamma, needsValues: true, check: { () throws(SwiftPGError) in try checkN(n) }
  ) { nStepAdvantages($0, gamma: gamma, n: Int(n), into: $1) }
}

@c @implementation
public func swiftpg_episode_returns(
  _ steps: Int64, _ num_envs: Int64, _ rewards: UnsafePointer<Double>?, _ terminated: UnsafePointer<UInt8>?,
  _ truncated: UnsafePointer<UInt8>?, _ gamma: Double, _ returns_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  rolloutEstimate(
    returns_out, "returns_out", steps, num_envs, rewards, terminated, truncated, nil, nil,
    gamma: gamma, needsValues: false
  ) { episodeReturns($0, gamma: gamma, into: $1) }
}

@c @implementation
public func swiftpg_discounted_reward_to_go(
  _ steps: Int64, _ num_envs: Int64, _ rewards: UnsafePointer<Double>?, _ terminated: UnsafePointer<UInt8>?,
  _ truncated: UnsafePointer<UInt8>?, _ gamma: Double, _ weights_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  rolloutEstimate(
    weights_out, "weights_out", steps, num_envs, rewards, terminated, truncated, nil, nil,
    gamma: gamma, needsValues: false
  ) { discountedRewardToGo($0, gamma: gamma, into: $1) }
}

@c @implementation
public func swiftpg_time_step_baseline(
  _ steps: Int64, _ num_envs: Int64, _ values: UnsafePointer<Double>?, _ terminated: UnsafePointer<UInt8>?,
  _ truncated: UnsafePointer<UInt8>?, _ out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let result = try need(out, "out")
    let r = try rollout(
      steps, num_envs, values, terminated, truncated, nil, nil, gamma: 1, needsValues: false, rewardsName: "values")
    let total = r.steps * r.count
    result.update(from: r.rewards, count: total)
    let indices = UnsafeMutablePointer<Int>.allocate(capacity: total)
    defer { indices.deallocate() }
    subtractTimeStepMeanBaseline(r, returns: result, indices: indices)
  }
}

@c @implementation
public func swiftpg_importance_weights(
  _ steps: Int64, _ num_envs: Int64, _ log_probs: UnsafePointer<Double>?,
  _ behavior_log_probs: UnsafePointer<Double>?, _ terminated: UnsafePointer<UInt8>?,
  _ truncated: UnsafePointer<UInt8>?, _ kind: Int32, _ clip: Double, _ weights_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(weights_out, "weights_out")
    try require(kind >= 0 && kind <= 2, "kind must be 0 (per step), 1 (per decision) or 2 (trajectory), got \(kind)")
    try require(clip > 0, "clip must be > 0 (+inf for none), got \(clip)")
    let r = try rollout(
      steps, num_envs, log_probs, terminated, truncated, nil, nil, gamma: 1, needsValues: false,
      rewardsName: "log_probs")
    let total = r.steps * r.count
    let behavior = try need(behavior_log_probs, "behavior_log_probs")
    try requireFinite(behavior, total, "behavior_log_probs", width: r.count)
    if kind == 0 {
      importanceRatios(logProbs: r.rewards, behaviorLogProbs: behavior, count: total, clip: clip, into: out)
    } else {
      let ratios = UnsafeMutablePointer<Double>.allocate(capacity: total)
      defer { ratios.deallocate() }
      importanceRatios(logProbs: r.rewards, behaviorLogProbs: behavior, count: total, clip: .infinity, into: ratios)
      importanceWeights(r, ratios: ratios, perDecision: kind == 1, clip: clip, into: out)
    }
  }
}

/// Checks `count` samples of paired log-probability arrays.
private func samples(_ count: Int64, _ a: UnsafePointer<Double>?, _ b: UnsafePointer<Double>?, _ names: (String, String))
  throws(SwiftPGError) -> (Int, UnsafePointer<Double>, UnsafePointer<Double>)
{
  let n = try checkBatch(count, width: 1, "count")
  let x = try need(a, names.0)
  let y = try need(b, names.1)
  try requireFinite(x, n, names.0)
  try requireFinite(y, n, names.1)
  return (n, x, y)
}

@c @implementation
public func swiftpg_clipped_surrogate(
  _ count: Int64, _ log_probs: UnsafePointer<Double>?, _ old_log_probs: UnsafePointer<Double>?,
  _ advantages: UnsafePointer<Double>?, _ epsilon: Double, _ objectives_out: UnsafeMutablePointer<Double>?,
  _ weights_out: UnsafeMutablePointer<Double>?, _ summary_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let (n, lp, old) = try samples(count, log_probs, old_log_probs, ("log_probs", "old_log_probs"))
    let adv = try need(advantages, "advantages")
    try requireFinite(adv, n, "advantages")
    try require(epsilon > 0 && !epsilon.isNaN, "epsilon must be > 0 (+inf: no clipping), got \(epsilon)")
    let s = clippedSurrogate(
      logProbs: lp, oldLogProbs: old, advantages: adv, count: n, epsilon: epsilon, objectives: objectives_out,
      weights: weights_out)
    if let summary = summary_out {
      summary[0] = s.objective
      summary[1] = s.clipFraction
      summary[2] = s.approxKL
    }
  }
}

@c @implementation
public func swiftpg_kl_estimates(
  _ count: Int64, _ log_probs: UnsafePointer<Double>?, _ old_log_probs: UnsafePointer<Double>?,
  _ k1_out: UnsafeMutablePointer<Double>?, _ k3_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let (n, lp, old) = try samples(count, log_probs, old_log_probs, ("log_probs", "old_log_probs"))
    klEstimates(logProbs: lp, oldLogProbs: old, count: n, k1: k1_out, k3: k3_out)
  }
}

@c @implementation
public func swiftpg_optimal_baseline(
  _ steps: Int64, _ num_params: Int64, _ scores: UnsafePointer<Double>?, _ returns: UnsafePointer<Double>?,
  _ episodes: UnsafePointer<Int32>?, _ num_trajectories: Int32, _ per_trajectory: Int32,
  _ baseline_out: UnsafeMutablePointer<Double>?, _ gradient_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let b = try need(baseline_out, "baseline_out")
    let g = try need(gradient_out, "gradient_out")
    try require(num_params >= 1 && num_params <= 1 << 24, "num_params must be in [1, 2^24], got \(num_params)")
    let m = try checkBatch(steps, width: Int(num_params), "steps")
    try require(m >= 1, "steps must be >= 1")
    try require(per_trajectory == 0 || per_trajectory == 1, "per_trajectory must be 0 or 1")
    try require(num_trajectories >= 1, "num_trajectories must be >= 1, got \(num_trajectories)")
    // Every trajectory has at least one step; this bounds the per-trajectory
    // scratch (num_trajectories × num_params) by the caller's own scores.
    try require(
      Int(num_trajectories) <= m, "num_trajectories \(num_trajectories) exceeds steps \(m) (a trajectory has >= 1 step)",
      code: .outOfRange)
    let s = try need(scores, "scores")
    let r = try need(returns, "returns")
    let e = try need(episodes, "episodes")
    try requireFinite(s, m * Int(num_params), "scores", width: Int(num_params))
    try requireFinite(r, m, "returns")
    for k in 0..<m where e[k] < 0 || e[k] >= num_trajectories {
      throw SwiftPGError(.outOfRange, "episodes[\(k)] = \(e[k]) is outside 0 ..< \(num_trajectories)")
    }
    optimalBaseline(
      scores: s, returns: r, episodes: e, steps: m, parameters: Int(num_params),
      trajectories: Int(num_trajectories), perTrajectory: per_trajectory == 1, baseline: b, gradient: g)
  }
}

@c @implementation
public func swiftpg_finite_difference_gradient(
  _ num_params: Int64, _ base: Double, _ plus: UnsafePointer<Double>?, _ minus: UnsafePointer<Double>?,
  _ delta: Double, _ gradient_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let g = try need(gradient_out, "gradient_out")
    try require(num_params >= 1 && num_params <= 1 << 24, "num_params must be in [1, 2^24], got \(num_params)")
    let p = Int(num_params)
    try require(delta > 0 && delta.isFinite, "delta must be a positive finite number, got \(delta)")
    try require(base.isFinite, "base utility is \(base); it must be finite", code: .notFinite)
    let up = try need(plus, "plus")
    try requireFinite(up, p, "plus")
    var down: UnsafePointer<Double>? = nil
    if let minus {
      let m = try need(minus, "minus")
      try requireFinite(m, p, "minus")
      down = m
    }
    finiteDifferenceGradient(base: base, plus: up, minus: down, count: p, delta: delta, into: g)
  }
}

@c @implementation
public func swiftpg_scale_gradient(
  _ num_params: Int64, _ gradient: UnsafePointer<Double>?, _ max_norm: Double,
  _ gradient_out: UnsafeMutablePointer<Double>?, _ norm_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let (g, out) = try gradientArrays(num_params, gradient, gradient_out)
    let normOut = try needIfPresent(norm_out, "norm_out")
    try require(max_norm >= 0 && !max_norm.isNaN, "max_norm must be >= 0 (0: no scaling), got \(max_norm)")
    var v = g
    let norm = scaleGradient(&v, maxNorm: max_norm)
    for i in v.indices { out[i] = v[i] }
    normOut?.pointee = norm
  }
}

@c @implementation
public func swiftpg_clip_gradient(
  _ num_params: Int64, _ gradient: UnsafePointer<Double>?, _ low: Double, _ high: Double,
  _ gradient_out: UnsafeMutablePointer<Double>?, _ clipped_out: UnsafeMutablePointer<Int64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let (g, out) = try gradientArrays(num_params, gradient, gradient_out)
    let clippedOut = try needIfPresent(clipped_out, "clipped_out")
    try require(!low.isNaN && !high.isNaN && low <= high, "need low <= high, got low \(low), high \(high)")
    var v = g
    let clipped = clipGradient(&v, low: low, high: high)
    for i in v.indices { out[i] = v[i] }
    clippedOut?.pointee = Int64(clipped)
  }
}

/// A finite gradient of `count` entries copied out of `gradient`, and the
/// output buffer (which may alias the input).
private func gradientArrays(
  _ count: Int64, _ gradient: UnsafePointer<Double>?, _ out: UnsafeMutablePointer<Double>?
) throws(SwiftPGError) -> ([Double], UnsafeMutablePointer<Double>) {
  try require(count >= 1, "num_params must be >= 1, got \(count)")
  try require(
    count <= Limits.maxScratchElements, "num_params \(count) exceeds 2^28 (this call copies the gradient)",
    code: .tooLarge)
  let g = try need(gradient, "gradient")
  let o = try need(out, "gradient_out")
  try requireFinite(g, Int(count), "gradient")
  return (Array(UnsafeBufferPointer(start: g, count: Int(count))), o)
}

@c @implementation
public func swiftpg_regression_gradient(
  _ num_perturbations: Int64, _ num_params: Int64, _ perturbations: UnsafePointer<Double>?,
  _ changes: UnsafePointer<Double>?, _ gradient_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let g = try need(gradient_out, "gradient_out")
    try require(num_params >= 1 && num_params <= 1 << 12, "num_params must be in [1, 4096], got \(num_params)")
    try require(
      num_perturbations >= 1 && num_perturbations <= 1 << 16,
      "num_perturbations must be in [1, 65536], got \(num_perturbations)")
    let rows = Int(num_perturbations)
    let cols = Int(num_params)
    let d = try need(perturbations, "perturbations")
    let du = try need(changes, "changes")
    try requireFinite(d, rows * cols, "perturbations", width: cols)
    try requireFinite(du, rows, "changes")
    try regressionGradient(perturbations: d, changes: du, rows: rows, columns: cols, into: g)
  }
}

@c @implementation
public func swiftpg_mean_baseline(
  _ count: Int64, _ values: UnsafePointer<Double>?, _ leave_one_out: Int32, _ out: UnsafeMutablePointer<Double>?,
  _ mean_out: UnsafeMutablePointer<Double>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let result = try need(out, "out")
    let n = try checkBatch(count, width: 1, "count")
    try require(n >= 1, "count must be >= 1 (an empty batch has no mean)")
    try require(leave_one_out == 0 || leave_one_out == 1, "leave_one_out must be 0 or 1, got \(leave_one_out)")
    try require(leave_one_out == 0 || n >= 2, "the leave-one-out baseline needs count >= 2, got \(n)")
    let v = try need(values, "values")
    try requireFinite(v, n, "values")
    result.update(from: v, count: n)
    var mean = 0.0
    if leave_one_out == 1 {
      mean = subtractLeaveOneOutMean(result, count: n)
    } else {
      mean = subtractMeanBaseline(result, count: n)
    }
    if let mean_out { mean_out.pointee = mean }
  }
}

/// Checks the arrays of an optimiser step and returns them as Swift arrays.
private func stepArrays(
  _ count: Int64, _ params: UnsafeMutablePointer<Double>?, _ gradient: UnsafePointer<Double>?,
  _ states: [(UnsafeMutablePointer<Double>?, String)]
) throws(SwiftPGError) -> (UnsafeMutablePointer<Double>, [Double], [Double], [UnsafeMutablePointer<Double>]) {
  try require(count >= 1, "num_params must be >= 1, got \(count)")
  try require(count <= Limits.maxScratchElements, "num_params \(count) exceeds 2^28", code: .tooLarge)
  let n = Int(count)
  let p = try need(params, "params")
  let g = try need(gradient, "gradient")
  try requireFinite(UnsafePointer(p), n, "params")
  try requireFinite(g, n, "gradient")
  var out: [UnsafeMutablePointer<Double>] = []
  for (pointer, name) in states {
    let s = try need(pointer, name)
    try requireFinite(UnsafePointer(s), n, name)
    out.append(s)
  }
  return (p, Array(UnsafeBufferPointer(start: p, count: n)), Array(UnsafeBufferPointer(start: g, count: n)), out)
}

@c @implementation
public func swiftpg_adam_step(
  _ num_params: Int64, _ params: UnsafeMutablePointer<Double>?, _ gradient: UnsafePointer<Double>?,
  _ m: UnsafeMutablePointer<Double>?, _ v: UnsafeMutablePointer<Double>?, _ t: UnsafeMutablePointer<Int64>?,
  _ learning_rate: Double, _ beta1: Double, _ beta2: Double, _ epsilon: Double, _ ascend: Int32
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let (p, theta, g, state) = try stepArrays(num_params, params, gradient, [(m, "m"), (v, "v")])
    let step = try need(t, "t")
    try require(step.pointee >= 0 && step.pointee < Int64(Int32.max), "t must be in [0, 2^31 - 1), got \(step.pointee)")
    try require(ascend == 0 || ascend == 1, "ascend must be 0 or 1, got \(ascend)")
    let n = theta.count
    var adam = try Adam(
      learningRate: learning_rate, beta1: beta1, beta2: beta2, epsilon: epsilon,
      m: Array(UnsafeBufferPointer(start: state[0], count: n)), v: Array(UnsafeBufferPointer(start: state[1], count: n)),
      t: Int(step.pointee))
    var next = theta
    adam.step(&next, gradient: g, ascend: ascend == 1)
    try require(next.allFinite, "the updated parameters are not finite", code: .numerical)
    p.update(from: next, count: n)
    state[0].update(from: adam.m, count: n)
    state[1].update(from: adam.v, count: n)
    step.pointee = Int64(adam.t)
  }
}

@c @implementation
public func swiftpg_sgd_step(
  _ num_params: Int64, _ params: UnsafeMutablePointer<Double>?, _ gradient: UnsafePointer<Double>?,
  _ velocity: UnsafeMutablePointer<Double>?, _ learning_rate: Double, _ momentum: Double, _ ascend: Int32
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let (p, theta, g, state) = try stepArrays(num_params, params, gradient, [(velocity, "velocity")])
    try require(ascend == 0 || ascend == 1, "ascend must be 0 or 1, got \(ascend)")
    let n = theta.count
    var sgd = try SGD(
      learningRate: learning_rate, momentum: momentum, velocity: Array(UnsafeBufferPointer(start: state[0], count: n)))
    var next = theta
    sgd.step(&next, gradient: g, ascend: ascend == 1)
    try require(next.allFinite, "the updated parameters are not finite", code: .numerical)
    p.update(from: next, count: n)
    state[0].update(from: sgd.velocity, count: n)
  }
}
