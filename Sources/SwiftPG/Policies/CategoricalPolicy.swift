/// A categorical policy π(a|s) = softmax(z(s))_a over the logits of a
/// `LogitModel` (MLP, table or linear features). The distribution's
/// formulas are written once, on the logits z and probabilities p:
///
///   log π(a|s) = z_a − log Σ_b e^{z_b},     ∂/∂z = e_a − p
///   H = log Σ e^z − pᵀz,                    ∂H/∂z = −p ⊙ (log p + H)
///   KL(p_old ‖ p) = Σ p_old (log p_old − log p),  ∂/∂z = p − p_old
///   Fisher in logits: F_z = diag(p) − p pᵀ,  F_θ v = Jᵀ F_z J v
///
/// and carried to θ by the model's backward (Jᵀ·) and jvp (J·) passes.
/// Not thread-safe (the model keeps its batch workspace).
public final class CategoricalPolicy<Model: LogitModel>: Policy {
  public let model: Model
  public var rng: PCG64
  private let probs = ScratchBuffer()
  private let oldProbs = ScratchBuffer()
  private let oldLogProbs = ScratchBuffer()
  private let dLogits = ScratchBuffer()

  public init(model: Model, seed: UInt64 = 0) {
    self.model = model
    rng = PCG64(seed: UInt128(seed) | (UInt128(1) << 64))
  }

  public var family: PolicyFamily { Model.family }
  public var mlp: MLP? { (model as? MLPLogits)?.network }
  public var observationSize: Int { model.inputSize }
  public var actionCount: Int { model.actionCount }
  public var actionSpace: ActionSpace { .discrete(model.actionCount) }
  public var parameterCount: Int { model.parameterCount }
  public var parameters: [Double] { model.parameters }
  public var specification: [Double] { model.specification }

  public func setParameters(_ values: [Double]) throws(SwiftPGError) {
    try require(values.allFinite, "parameters must be finite", code: .notFinite)
    try model.setParameters(values)
  }

  public func checkObservations(_ obs: UnsafePointer<Double>, batch: Int) -> String? {
    model.checkObservations(obs, batch: batch)
  }

  /// Forward pass: logits and probabilities `[batch, A]` (into `target`).
  @discardableResult
  private func distribution(_ obs: UnsafePointer<Double>, batch: Int, into target: ScratchBuffer)
    -> UnsafePointer<Double>
  {
    let a = actionCount
    let logits = model.forward(obs, batch: batch)
    let p = target.reserve(batch * a)
    for r in 0..<batch {
      let z = logits + r * a
      var m = z[0]
      for k in 1..<a where z[k] > m { m = z[k] }
      var sum = 0.0
      for k in 0..<a {
        let e = _exp(z[k] - m)
        p[r * a + k] = e
        sum += e
      }
      for k in 0..<a { p[r * a + k] /= sum }
    }
    return logits
  }

  /// The log-normaliser of one row of logits, kept in two parts:
  /// log Σ_k exp(z_k) = shift + logSum with shift = max_k z_k. Log-probabilities
  /// are formed as (z_k − shift) − logSum, never z_k − (shift + logSum): with
  /// large logits (|z| ~ 1e16 and beyond) the sum would absorb logSum and
  /// give log π = 0 for every one of several equal logits.
  @inline(__always)
  private func logNormalizer(_ z: UnsafePointer<Double>) -> (shift: Double, logSum: Double) {
    var m = z[0]
    for k in 1..<actionCount where z[k] > m { m = z[k] }
    var s = 0.0
    for k in 0..<actionCount { s += _exp(z[k] - m) }
    return (m, _log(s))
  }

  /// H = logSum − Σ_k p_k (z_k − shift) for one row.
  @inline(__always)
  private func entropy(_ z: UnsafePointer<Double>, _ p: UnsafePointer<Double>, _ n: (shift: Double, logSum: Double))
    -> Double
  {
    var expected = 0.0
    for k in 0..<actionCount where p[k] > 0 { expected += p[k] * (z[k] - n.shift) }
    return n.logSum - expected
  }

  // MARK: Distribution

  public func sample(
    _ obs: UnsafePointer<Double>, batch: Int, greedy: Bool, rawActions out: UnsafeMutableRawPointer,
    using g: inout PCG64
  ) {
    sample(obs, batch: batch, greedy: greedy, into: out.assumingMemoryBound(to: Int32.self), using: &g)
  }

  /// Samples a_i ~ π(·|s_i) (or argmax when `greedy`) into `actions`.
  public func sample(
    _ obs: UnsafePointer<Double>, batch: Int, greedy: Bool, into actions: UnsafeMutablePointer<Int32>,
    using g: inout PCG64
  ) {
    let a = actionCount
    let logits = distribution(obs, batch: batch, into: probs)
    if greedy {
      for r in 0..<batch {
        var best = 0
        for k in 1..<a where logits[r * a + k] > logits[r * a + best] { best = k }
        actions[r] = Int32(best)
      }
    } else {
      withUnsafeMutablePointer(to: &g) {
        draw(logits, batch: batch, into: actions, generators: $0, stride: 0, logProbabilities: nil)
      }
    }
  }

  /// Per-lane sampling (row i with `generators[i]`) and log π of the drawn
  /// actions, from one forward pass.
  public func sample(
    _ obs: UnsafePointer<Double>, batch: Int, rawActions out: UnsafeMutableRawPointer,
    generators g: UnsafeMutablePointer<PCG64>, logProbabilities lp: UnsafeMutablePointer<Double>?
  ) {
    let logits = distribution(obs, batch: batch, into: probs)
    draw(
      logits, batch: batch, into: out.assumingMemoryBound(to: Int32.self), generators: g, stride: 1,
      logProbabilities: lp)
  }

  /// Inverse-CDF draws from the probabilities of the last `distribution`
  /// call, row r with `generators[r * stride]` (stride 0: one generator for
  /// the batch), and optionally log π of the drawn actions from `logits`.
  private func draw(
    _ logits: UnsafePointer<Double>, batch: Int, into actions: UnsafeMutablePointer<Int32>,
    generators g: UnsafeMutablePointer<PCG64>, stride: Int, logProbabilities lp: UnsafeMutablePointer<Double>?
  ) {
    let a = actionCount
    let p = probs.pointer
    for r in 0..<batch {
      let u = g[r * stride].nextUnitDouble()
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
      if let lp {
        let z = logits + r * a
        let n = logNormalizer(z)
        lp[r] = (z[choice] - n.shift) - n.logSum
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
    distribution(obs, batch: batch, into: probs)
    out.update(from: probs.pointer, count: batch * actionCount)
  }

  public func logProbabilities(
    _ obs: UnsafePointer<Double>, actions: UnsafeRawPointer, batch: Int, into out: UnsafeMutablePointer<Double>
  ) {
    let act = actions.assumingMemoryBound(to: Int32.self)
    let logits = model.forward(obs, batch: batch)
    for r in 0..<batch {
      let z = logits + r * actionCount
      let n = logNormalizer(z)
      out[r] = (z[Int(act[r])] - n.shift) - n.logSum
    }
  }

  public func entropies(_ obs: UnsafePointer<Double>, batch: Int, into out: UnsafeMutablePointer<Double>) {
    let a = actionCount
    let logits = distribution(obs, batch: batch, into: probs)
    let p = probs.pointer
    for r in 0..<batch {
      let z = logits + r * a
      out[r] = entropy(z, p + r * a, logNormalizer(z))
    }
  }

  public func klDivergences(
    _ obs: UnsafePointer<Double>, batch: Int, oldParameters: UnsafePointer<Double>,
    into out: UnsafeMutablePointer<Double>
  ) {
    // KL(q ‖ p) = Σ_k q_k (log q_k − log p_k) with log-probabilities from
    // the logits (log of an underflowed probability would give +∞ for a
    // finite divergence).
    let a = actionCount
    let oldLog = oldLogProbs.reserve(batch * a)
    withParameters(oldParameters) {
      let z = distribution(obs, batch: batch, into: oldProbs)
      for r in 0..<batch {
        let n = logNormalizer(z + r * a)
        for k in 0..<a { oldLog[r * a + k] = (z[r * a + k] - n.shift) - n.logSum }
      }
    }
    let logits = distribution(obs, batch: batch, into: probs)
    let q = oldProbs.pointer
    for r in 0..<batch {
      let z = logits + r * a
      let n = logNormalizer(z)
      var kl = 0.0
      for k in 0..<a where q[r * a + k] > 0 {
        kl += q[r * a + k] * (oldLog[r * a + k] - ((z[k] - n.shift) - n.logSum))
      }
      out[r] = kl
    }
  }

  // MARK: Gradients

  /// Backpropagates the logit gradients in `dLogits` into `gradient`
  /// (overwritten).
  private func finish(_ gradient: UnsafeMutablePointer<Double>) {
    gradient.update(repeating: 0, count: parameterCount)
    model.backward(dLogits.pointer, into: gradient)
  }

  public func scoreGradient(
    _ obs: UnsafePointer<Double>, rawActions actions: UnsafeRawPointer, weights: UnsafePointer<Double>,
    batch: Int, into gradient: UnsafeMutablePointer<Double>
  ) {
    scoreGradient(
      obs, actions: actions.assumingMemoryBound(to: Int32.self), weights: weights, batch: batch, into: gradient)
  }

  /// Writes Σ_i w_i ∇θ log π(a_i|s_i) into `gradient` (overwritten);
  /// optionally log π(a_i|s_i) and the entropies from the same forward pass.
  public func scoreGradient(
    _ obs: UnsafePointer<Double>, actions: UnsafePointer<Int32>, weights: UnsafePointer<Double>,
    batch: Int, into gradient: UnsafeMutablePointer<Double>,
    logProbabilities: UnsafeMutablePointer<Double>? = nil, entropies: UnsafeMutablePointer<Double>? = nil
  ) {
    if zeroForEmptyBatch(batch, gradient) { return }
    let a = actionCount
    let logits = distribution(obs, batch: batch, into: probs)
    let p = probs.pointer
    let d = dLogits.reserve(batch * a)
    for r in 0..<batch {
      let chosen = Int(actions[r])
      let z = logits + r * a
      if logProbabilities != nil || entropies != nil {
        let n = logNormalizer(z)
        logProbabilities?[r] = (z[chosen] - n.shift) - n.logSum
        entropies?[r] = entropy(z, p + r * a, n)
      }
      for k in 0..<a { d[r * a + k] = weights[r] * ((k == chosen ? 1 : 0) - p[r * a + k]) }
    }
    finish(gradient)
  }

  private let surrogateWeights = ScratchBuffer()
  /// Per row (shift, logSum) of the last surrogate forward pass.
  private let rowNormalizers = ScratchBuffer()

  public func surrogateGradient(
    _ obs: UnsafePointer<Double>, rawActions actions: UnsafeRawPointer, batch: Int,
    logProbabilities lp: UnsafeMutablePointer<Double>, entropies en: UnsafeMutablePointer<Double>,
    weigh: SurrogateWeights,
    into gradient: UnsafeMutablePointer<Double>
  ) {
    if zeroForEmptyBatch(batch, gradient) { return }
    let act = actions.assumingMemoryBound(to: Int32.self)
    let a = actionCount
    let logits = distribution(obs, batch: batch, into: probs)
    let p = probs.pointer
    let normalizers = rowNormalizers.reserve(2 * batch)
    for r in 0..<batch {
      let z = logits + r * a
      let n = logNormalizer(z)
      normalizers[2 * r] = n.shift
      normalizers[2 * r + 1] = n.logSum
      lp[r] = (z[Int(act[r])] - n.shift) - n.logSum
      en[r] = entropy(z, p + r * a, n)
    }
    let ws = surrogateWeights.reserve(2 * batch)
    let we = ws + batch
    weigh(lp, en, ws, we)
    let d = dLogits.reserve(batch * a)
    for r in 0..<batch {
      let chosen = Int(act[r])
      let z = logits + r * a
      let shift = normalizers[2 * r]
      let logSum = normalizers[2 * r + 1]
      for k in 0..<a {
        let pk = p[r * a + k]
        var g = ws[r] * ((k == chosen ? 1 : 0) - pk)
        // ∂H/∂z_k = −p_k (log p_k + H), with log p_k = (z_k − shift) − logSum.
        if we[r] != 0 && pk > 0 { g -= we[r] * pk * (((z[k] - shift) - logSum) + en[r]) }
        d[r * a + k] = g
      }
    }
    finish(gradient)
  }

  public func entropyGradient(
    _ obs: UnsafePointer<Double>, weights: UnsafePointer<Double>, batch: Int,
    into gradient: UnsafeMutablePointer<Double>
  ) {
    let a = actionCount
    distribution(obs, batch: batch, into: probs)
    let p = probs.pointer
    let d = dLogits.reserve(batch * a)
    for r in 0..<batch {
      var h = 0.0
      for k in 0..<a where p[r * a + k] > 0 { h -= p[r * a + k] * _log(p[r * a + k]) }
      for k in 0..<a {
        let pk = p[r * a + k]
        d[r * a + k] = pk > 0 ? -weights[r] * pk * (_log(pk) + h) : 0
      }
    }
    finish(gradient)
  }

  public func klGradient(
    _ obs: UnsafePointer<Double>, oldParameters: UnsafePointer<Double>, weights: UnsafePointer<Double>,
    batch: Int, into gradient: UnsafeMutablePointer<Double>
  ) {
    let a = actionCount
    _ = withParameters(oldParameters) { distribution(obs, batch: batch, into: oldProbs) }
    distribution(obs, batch: batch, into: probs)
    let p = probs.pointer
    let q = oldProbs.pointer
    let d = dLogits.reserve(batch * a)
    for i in 0..<(batch * a) { d[i] = weights[i / a] * (p[i] - q[i]) }
    finish(gradient)
  }

  public func fisherVectorProduct(
    _ obs: UnsafePointer<Double>, batch: Int, vector: UnsafePointer<Double>,
    into out: UnsafeMutablePointer<Double>
  ) {
    if zeroForEmptyBatch(batch, out) { return }
    let a = actionCount
    distribution(obs, batch: batch, into: probs)
    let p = probs.pointer
    let u = model.jvp(vector)
    let d = dLogits.reserve(batch * a)
    let scale = 1 / Double(batch)
    for r in 0..<batch {
      var pu = 0.0
      for k in 0..<a { pu += p[r * a + k] * u[r * a + k] }
      for k in 0..<a { d[r * a + k] = scale * p[r * a + k] * (u[r * a + k] - pu) }
    }
    finish(out)
  }

  /// Throws unless the policy fits `env` (observation size, discrete
  /// actions of the same count).
  public func checkCompatible(with env: some BatchedEnvironment) throws(SwiftPGError) {
    try require(
      env.observationSize == observationSize,
      "policy observation size \(observationSize) does not match \(env.id)'s \(env.observationSize)")
    guard case .discrete(let n) = env.actionSpace else {
      throw .invalid("a categorical policy needs a discrete action space; \(env.id)'s is continuous")
    }
    try require(n == actionCount, "policy has \(actionCount) actions, \(env.id) has \(n)")
  }
}

/// The MLP (or, with no hidden layers, linear) softmax policy.
public typealias SoftmaxPolicy = CategoricalPolicy<MLPLogits>

extension CategoricalPolicy where Model == MLPLogits {
  /// - Parameters:
  ///   - hidden: hidden layer sizes (empty: linear softmax, logits W s + b).
  ///   - hiddenGain, headGain: gains of the orthogonal initialisation of the
  ///     hidden layers (√2) and of the logit layer (0.01, as PPO).
  ///   - seed: seeds the initial parameters and the sampling generator.
  public convenience init(
    observationSize: Int, actionCount: Int, hidden: [Int], activation: Activation = .tanh,
    hiddenGain: Double = 2.0.squareRoot(), headGain: Double = 0.01, seed: UInt64 = 0
  ) throws(SwiftPGError) {
    try require(observationSize >= 1, "observation size must be at least 1, got \(observationSize)")
    try require(actionCount >= 2, "a softmax policy needs at least 2 actions, got \(actionCount)")
    try require(headGain.isFinite && headGain >= 0, "head gain must be finite and >= 0, got \(headGain)")
    try require(hiddenGain.isFinite && hiddenGain >= 0, "hidden gain must be finite and >= 0, got \(hiddenGain)")
    let network = try MLP(sizes: [observationSize] + hidden + [actionCount], activation: activation)
    var initRng = PCG64(seed: UInt128(seed))
    network.initializeOrthogonal(hiddenGain: hiddenGain, outputGain: headGain, using: &initRng)
    self.init(model: MLPLogits(network: network), seed: seed)
  }

  public var network: MLP { model.network }
}
