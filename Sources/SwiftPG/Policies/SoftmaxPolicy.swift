/// A categorical policy with logits from an MLP of the observation:
/// π(a|s) = softmax(f_θ(s))_a.
///
/// With no hidden layers f_θ(s) = W s + b, the linear softmax policy
/// π(a|s) ∝ exp(θᵀφ(s, a)) with φ(s, a) = one-hot(a) ⊗ (s, 1).
///
/// Score: ∇_θ log π(a|s) = Σ_k (1[k = a] − π(k|s)) ∇_θ f_θ(s)_k, computed by
/// back-propagating the logit gradient `1[k = a] − π(k|s)` through the MLP.
/// Not thread-safe (the MLP keeps its batch workspace).
public final class SoftmaxPolicy {
  public let network: MLP
  public var observationSize: Int { network.inputSize }
  public var actionCount: Int { network.outputSize }
  public var parameterCount: Int { network.parameterCount }
  /// The policy's own generator, used by `sample` when none is passed.
  public var rng: PCG64

  private var probs: [Double] = []
  private var dLogits: [Double] = []

  /// - Parameters:
  ///   - hidden: hidden layer sizes (empty: linear softmax).
  ///   - headGain: gain of the orthogonal init of the logit layer (PPO: 0.01).
  ///   - seed: seeds the initial parameters and the sampling generator.
  public init(
    observationSize: Int, actionCount: Int, hidden: [Int], activation: Activation = .tanh,
    headGain: Double = 0.01, seed: UInt64 = 0
  ) throws(SwiftPGError) {
    try require(observationSize >= 1, "observation size must be at least 1, got \(observationSize)")
    try require(actionCount >= 2, "a softmax policy needs at least 2 actions, got \(actionCount)")
    try require(headGain.isFinite && headGain >= 0, "head gain must be finite and >= 0, got \(headGain)")
    network = try MLP(sizes: [observationSize] + hidden + [actionCount], activation: activation)
    var initRng = PCG64(seed: UInt128(seed))
    network.initializeOrthogonal(hiddenGain: 2.0.squareRoot(), outputGain: headGain, using: &initRng)
    rng = PCG64(seed: UInt128(seed) | (UInt128(1) << 64))
  }

  public var parameters: [Double] { network.parameters }
  public func setParameters(_ values: [Double]) throws(SwiftPGError) {
    try require(values.allFinite, "parameters must be finite", code: .notFinite)
    try network.setParameters(values)
  }

  /// Computes π(·|s_i) for the batch into `probs` ([batch, A]); returns the
  /// logits pointer of the forward pass.
  @discardableResult
  private func computeProbabilities(_ obs: UnsafePointer<Double>, batch: Int) -> UnsafePointer<Double> {
    let a = actionCount
    if probs.count < batch * a { probs = Array(repeating: 0, count: batch * a) }
    let logits = network.forward(obs, batch: batch)
    probs.withUnsafeMutableBufferPointer { pb in
      guard let p = pb.baseAddress else { return }
      for r in 0..<batch {
        let z = logits + r * a
        let out = p + r * a
        var m = z[0]
        for k in 1..<a where z[k] > m { m = z[k] }
        var sum = 0.0
        for k in 0..<a {
          let e = _exp(z[k] - m)
          out[k] = e
          sum += e
        }
        let inv = 1 / sum
        for k in 0..<a { out[k] *= inv }
      }
    }
    return logits
  }

  /// log Σ_k exp(z_k) for one row, computed stably.
  @inline(__always)
  private func logSumExp(_ z: UnsafePointer<Double>) -> Double {
    var m = z[0]
    for k in 1..<actionCount where z[k] > m { m = z[k] }
    var s = 0.0
    for k in 0..<actionCount { s += _exp(z[k] - m) }
    return m + _log(s)
  }

  /// Samples a_i ~ π(·|s_i) (or argmax when `greedy`) into `actions`.
  public func sample(
    _ obs: UnsafePointer<Double>, batch: Int, greedy: Bool,
    into actions: UnsafeMutablePointer<Int32>, using g: inout PCG64
  ) {
    let a = actionCount
    let logits = computeProbabilities(obs, batch: batch)
    probs.withUnsafeBufferPointer { pb in
      guard let p = pb.baseAddress else { return }
      for r in 0..<batch {
        if greedy {
          let z = logits + r * a
          var best = 0
          for k in 1..<a where z[k] > z[best] { best = k }
          actions[r] = Int32(best)
        } else {
          let u = g.nextUnitDouble()
          var cumulative = 0.0
          var choice = a - 1
          for k in 0..<a {
            cumulative += p[r * a + k]
            if u < cumulative {
              choice = k
              break
            }
          }
          actions[r] = Int32(choice)
        }
      }
    }
  }

  /// Samples with the policy's own generator.
  public func sample(
    _ obs: UnsafePointer<Double>, batch: Int, greedy: Bool, into actions: UnsafeMutablePointer<Int32>
  ) {
    var g = rng
    sample(obs, batch: batch, greedy: greedy, into: actions, using: &g)
    rng = g
  }

  public func probabilities(_ obs: UnsafePointer<Double>, batch: Int, into out: UnsafeMutablePointer<Double>) {
    computeProbabilities(obs, batch: batch)
    probs.withUnsafeBufferPointer { pb in
      guard let p = pb.baseAddress else { return }
      out.update(from: p, count: batch * actionCount)
    }
  }

  /// log π(a_i|s_i) into `out`. Actions must be in range.
  public func logProbabilities(
    _ obs: UnsafePointer<Double>, actions: UnsafePointer<Int32>, batch: Int,
    into out: UnsafeMutablePointer<Double>
  ) {
    let logits = network.forward(obs, batch: batch)
    for r in 0..<batch {
      let z = logits + r * actionCount
      out[r] = z[Int(actions[r])] - logSumExp(z)
    }
  }

  /// H(π(·|s_i)) = log Σ exp z − Σ_k π_k z_k, into `out`.
  public func entropies(_ obs: UnsafePointer<Double>, batch: Int, into out: UnsafeMutablePointer<Double>) {
    let logits = computeProbabilities(obs, batch: batch)
    probs.withUnsafeBufferPointer { pb in
      guard let p = pb.baseAddress else { return }
      for r in 0..<batch {
        let z = logits + r * actionCount
        var expected = 0.0
        for k in 0..<actionCount { expected += p[r * actionCount + k] * z[k] }
        out[r] = logSumExp(z) - expected
      }
    }
  }

  /// Writes Σ_i w_i ∇_θ log π(a_i|s_i) into `gradient` (`parameterCount`
  /// values, overwritten). Optionally writes log π(a_i|s_i) and the
  /// entropies of the rows from the same forward pass.
  public func scoreGradient(
    _ obs: UnsafePointer<Double>, actions: UnsafePointer<Int32>, weights: UnsafePointer<Double>,
    batch: Int, into gradient: UnsafeMutablePointer<Double>,
    logProbabilities: UnsafeMutablePointer<Double>? = nil,
    entropies: UnsafeMutablePointer<Double>? = nil
  ) {
    gradient.update(repeating: 0, count: parameterCount)
    guard batch > 0 else { return }
    let a = actionCount
    let logits = computeProbabilities(obs, batch: batch)
    if dLogits.count < batch * a { dLogits = Array(repeating: 0, count: batch * a) }
    probs.withUnsafeBufferPointer { pb in
      dLogits.withUnsafeMutableBufferPointer { db in
        guard let p = pb.baseAddress, let d = db.baseAddress else { return }
        for r in 0..<batch {
          let chosen = Int(actions[r])
          let w = weights[r]
          let z = logits + r * a
          if logProbabilities != nil || entropies != nil {
            let lse = logSumExp(z)
            logProbabilities?[r] = z[chosen] - lse
            if let entropies {
              var expected = 0.0
              for k in 0..<a { expected += p[r * a + k] * z[k] }
              entropies[r] = lse - expected
            }
          }
          for k in 0..<a {
            d[r * a + k] = w * ((k == chosen ? 1 : 0) - p[r * a + k])
          }
        }
        network.backward(d, into: gradient)
      }
    }
  }

  /// Throws unless the policy fits `env` (observation size, discrete
  /// actions of the same count).
  public func checkCompatible(with env: some BatchedEnvironment) throws(SwiftPGError) {
    try require(
      env.observationSize == observationSize,
      "policy observation size \(observationSize) does not match \(env.id)'s \(env.observationSize)")
    guard case .discrete(let n) = env.actionSpace else {
      throw .invalid("a softmax policy needs a discrete action space; \(env.id)'s is continuous")
    }
    try require(n == actionCount, "policy has \(actionCount) actions, \(env.id) has \(n)")
  }
}
