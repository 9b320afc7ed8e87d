import CSwiftPG
import SwiftPG

extension ReinforceConfig {
  init(_ c: swiftpg_reinforce_config) throws(SwiftPGError) {
    self.init()
    stepsPerIteration = Int(c.steps_per_iteration)
    guard let kind = BaselineKind(rawValue: c.baseline) else {
      throw .invalid("unknown baseline \(c.baseline); expected 0 (none) or 1 (mean)")
    }
    baseline = kind
    try require(
      c.normalize_weights == 0 || c.normalize_weights == 1,
      "normalize_weights must be 0 or 1, got \(c.normalize_weights)")
    normalizeWeights = c.normalize_weights == 1
    gamma = c.gamma
    learningRate = c.learning_rate
    adamBeta1 = c.adam_beta1
    adamBeta2 = c.adam_beta2
    adamEpsilon = c.adam_epsilon
    maxGradNorm = c.max_grad_norm
    seed = c.seed
  }
}

@c @implementation
public func swiftpg_reinforce_default_config(_ config_out: UnsafeMutablePointer<swiftpg_reinforce_config>?) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(config_out, "config_out")
    let d = ReinforceConfig()
    var c = swiftpg_reinforce_config()
    c.steps_per_iteration = Int32(d.stepsPerIteration)
    c.baseline = d.baseline.rawValue
    c.normalize_weights = d.normalizeWeights ? 1 : 0
    c.gamma = d.gamma
    c.learning_rate = d.learningRate
    c.adam_beta1 = d.adamBeta1
    c.adam_beta2 = d.adamBeta2
    c.adam_epsilon = d.adamEpsilon
    c.max_grad_norm = d.maxGradNorm
    c.seed = d.seed
    out.pointee = c
  }
}

@c @implementation
public func swiftpg_reinforce_create(
  _ env: UInt64, _ policy: UInt64, _ config: UnsafePointer<swiftpg_reinforce_config>?,
  _ algorithm_out: UnsafeMutablePointer<UInt64>?
) -> Int32 {
  entry { () throws(SwiftPGError) in
    let out = try need(algorithm_out, "algorithm_out")
    let cfg = try ReinforceConfig(try need(config, "config").pointee)
    let envBox = try envTable.get(env)
    let policyBox = try policyTable.get(policy)
    guard let softmax = policyBox.object.policy as? SoftmaxPolicy else {
      throw .invalid("REINFORCE trains a softmax-MLP policy (SWIFTPG_POLICY_SOFTMAX_MLP)")
    }
    let learner = try Reinforce(env: envBox.object.env, policy: softmax, config: cfg)
    out.pointee = try algorithmTable.insert(AlgorithmObject(.reinforce(learner), env: envBox, policy: policyBox))
  }
}

@c @implementation
public func swiftpg_reinforce_iterate(_ algorithm: UInt64, _ stats_out: UnsafeMutablePointer<swiftpg_iteration_stats>?)
  -> Int32
{
  entry { () throws(SwiftPGError) in
    let out = try need(stats_out, "stats_out")
    try using(algorithmTable, algorithm) { (a) throws(SwiftPGError) in
      try a.exclusive { () throws(SwiftPGError) in
        let s = try a.reinforce().iterate()
        var c = swiftpg_iteration_stats()
        c.iteration = Int64(s.iteration)
        c.env_steps = Int64(s.envSteps)
        c.total_env_steps = Int64(s.totalEnvSteps)
        c.episodes = Int32(clamping: s.episodes)
        c.mean_return = s.meanReturn
        c.std_return = s.stdReturn
        c.min_return = s.minReturn
        c.max_return = s.maxReturn
        c.mean_length = s.meanLength
        c.entropy = s.entropy
        c.grad_norm = s.gradNorm
        c.surrogate = s.surrogate
        c.seconds = s.seconds
        out.pointee = c
      }
    }
  }
}

@c @implementation
public func swiftpg_algorithm_destroy(_ algorithm: UInt64) -> Int32 {
  entry { () throws(SwiftPGError) in try algorithmTable.remove(algorithm) }
}
