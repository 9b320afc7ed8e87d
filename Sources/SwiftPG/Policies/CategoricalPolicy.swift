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
///
/// Factored (MultiDiscrete) actions: with factor sizes n_1 … n_K the model
/// emits Σ_k n_k logits, segment k being the logits z_k of factor k, and
/// π(a|s) = Π_k softmax(z_k)[a_k] (SB3's MultiCategoricalDistribution).
/// Learners see one discrete action, the joint index
/// a = Σ_k a_k · Π_{j<k} n_j (mixed radix, factor 1 least significant), so
/// every formula above applies per segment and sums: log π = Σ_k log π_k,
/// ∂/∂z_k = e_{a_k} − p_k, H = Σ_k H_k (∂H/∂z_k = −p_k ⊙ (log p_k + H_k)),
/// KL = Σ_k KL_k, F_z block diagonal. One factor (the default) is the plain
/// categorical, computed by the same code and bit-identical.
/// Not thread-safe (the model keeps its batch workspace).
public final class CategoricalPolicy<Model: LogitModel>: Policy {
  public let model: Model
  public var rng: PCG64
  /// Logits per factor (`[model.actionCount]` for a plain categorical).
  public let factorSizes: [Int]
  /// Where factor k's logits start in a row; the place value of factor k in
  /// the joint index.
  /// Per factor k: n_k, where its logits start in a row, and its place
  /// value Π_{j<k} n_j in the joint index (a raw table: the hot loops read it
  /// with neither bounds checks nor reference counting).
  private let table: UnsafeMutablePointer<Int>
  /// The number of joint actions Π_k n_k.
  public let actionCount: Int
  /// Logits per row, Σ_k n_k.
  private let width: Int
  private let factorCount: Int
  private let factored: Bool
  private let probs = ScratchBuffer()
  private let oldProbs = ScratchBuffer()
  private let oldLogProbs = ScratchBuffer()
  private let dLogits = ScratchBuffer()

  public convenience init(model: Model, seed: UInt64 = 0) {
    self.init(model: model, factors: [model.actionCount], factored: false, seed: seed)
  }

  /// `factors` must be valid for `model` (`checkFactors`).
  fileprivate init(model: Model, factors: [Int], factored: Bool, seed: UInt64) {
    self.model = model
    rng = PCG64(seed: UInt128(seed) | (UInt128(1) << 64))
    factorSizes = factors
    factorCount = factors.count
    table = .allocate(capacity: 3 * factors.count)
    var offset = 0
    var stride = 1
    for (k, n) in factors.enumerated() {
      (table + 3 * k).initialize(to: n)
      (table + 3 * k + 1).initialize(to: offset)
      (table + 3 * k + 2).initialize(to: stride)
      offset += n
      stride *= n
    }
    width = offset
    actionCount = stride
    self.factored = factored
  }

  deinit { table.deallocate() }

  @inline(__always) private func size(_ k: Int) -> Int { table[3 * k] }
  @inline(__always) private func offset(_ k: Int) -> Int { table[3 * k + 1] }
  @inline(__always) private func placeValue(_ k: Int) -> Int { table[3 * k + 2] }

  /// Throws unless `factors` (1 to 64 sizes ≥ 1) have a joint action count
  /// in [2, 2^31 − 1] (`.tooLarge` beyond) and a logit total within `limit`.
  public static func checkFactors(_ factors: [Int], logitLimit limit: Int) throws(SwiftPGError) {
    try require(
      !factors.isEmpty && factors.count <= 64, "factor_sizes must hold 1 to 64 sizes, got \(factors.count)")
    for (k, n) in factors.enumerated() {
      try require(n >= 1 && n <= limit, "factor_sizes[\(k)] must be in [1, \(limit)], got \(n)")
    }
    var total = 0
    for n in factors { total += n }
    try require(total <= limit, "the factors need \(total) logits, more than \(limit)", code: .tooLarge)
    let joint = try Limits.product(factors, limit: Int(Int32.max), "the joint action count Π factor_sizes")
    try require(joint >= 2, "the factors give \(joint) joint action; a categorical policy needs at least 2")
  }

  public var family: PolicyFamily { factored ? .factoredSoftmax : Model.family }
  public var mlp: MLP? { (model as? MLPLogits)?.network }
  public var observationSize: Int { model.inputSize }
  public var actionSpace: ActionSpace { .discrete(actionCount) }
  public var parameterCount: Int { model.parameterCount }
  public var parameters: [Double] { model.parameters }
  /// The model's; a factored policy appends n_1 … n_K and K.
  public var specification: [Double] {
    factored ? model.specification + factorSizes.map(Double.init) + [Double(factorCount)] : model.specification
  }

  /// Factor k's component of joint action `a`.
  @inline(__always)
  private func digit(_ a: Int, _ k: Int) -> Int { factorCount == 1 ? a : (a / placeValue(k)) % size(k) }

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
    let w = width
    let logits = model.forward(obs, batch: batch)
    let target = target.reserve(batch * w)
    for r in 0..<batch {
      for f in 0..<factorCount {
        let a = size(f)
        let z = logits + r * w + offset(f)
        let p = target + r * w + offset(f)
        var m = z[0]
        for k in 1..<a where z[k] > m { m = z[k] }
        var sum = 0.0
        for k in 0..<a {
          let e = _exp(z[k] - m)
          p[k] = e
          sum += e
        }
        for k in 0..<a { p[k] /= sum }
      }
    }
    return logits
  }

  /// The log-normaliser of one row of logits, kept in two parts:
  /// log Σ_k exp(z_k) = shift + logSum with shift = max_k z_k. Log-probabilities
  /// are formed as (z_k − shift) − logSum, never z_k − (shift + logSum): with
  /// large logits (|z| ~ 1e16 and beyond) the sum would absorb logSum and
  /// give log π = 0 for every one of several equal logits.
  @inline(__always)
  private func logNormalizer(_ z: UnsafePointer<Double>, _ a: Int) -> (shift: Double, logSum: Double) {
    var m = z[0]
    for k in 1..<a where z[k] > m { m = z[k] }
    var s = 0.0
    for k in 0..<a { s += _exp(z[k] - m) }
    return (m, _log(s))
  }

  /// H = logSum − Σ_k p_k (z_k − shift) for one factor of `a` logits.
  @inline(__always)
  private func entropy(
    _ z: UnsafePointer<Double>, _ p: UnsafePointer<Double>, _ a: Int, _ n: (shift: Double, logSum: Double)
  ) -> Double {
    var expected = 0.0
    for k in 0..<a where p[k] > 0 { expected += p[k] * (z[k] - n.shift) }
    return n.logSum - expected
  }

  /// log π(a|s) and (when `wantEntropy`) H(π(·|s)) of one row of logits and
  /// probabilities: sums over the factors (one factor: its terms exactly).
  @inline(__always)
  private func rowTerms(_ z: UnsafePointer<Double>, _ p: UnsafePointer<Double>, action: Int, wantEntropy: Bool)
    -> (logProbability: Double, entropy: Double)
  {
    var lp = 0.0
    var h = 0.0
    for f in 0..<factorCount {
      let a = size(f)
      let zf = z + offset(f)
      let n = logNormalizer(zf, a)
      let term = (zf[digit(action, f)] - n.shift) - n.logSum
      let hf = wantEntropy ? entropy(zf, p + offset(f), a, n) : 0
      if f == 0 {
        lp = term
        h = hf
      } else {
        lp += term
        h += hf
      }
    }
    return (lp, h)
  }

  /// log π(a|s) of one row of logits.
  @inline(__always)
  private func logProbability(_ z: UnsafePointer<Double>, action: Int) -> Double {
    var lp = 0.0
    for f in 0..<factorCount {
      let zf = z + offset(f)
      let n = logNormalizer(zf, size(f))
      let term = (zf[digit(action, f)] - n.shift) - n.logSum
      lp = f == 0 ? term : lp + term
    }
    return lp
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
    let w = width
    let logits = distribution(obs, batch: batch, into: probs)
    if greedy {
      for r in 0..<batch {
        var joint = 0
        for f in 0..<factorCount {
          let z = logits + r * w + offset(f)
          var best = 0
          for k in 1..<size(f) where z[k] > z[best] { best = k }
          joint += best * placeValue(f)
        }
        actions[r] = Int32(joint)
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
    let w = width
    let probabilities = probs.pointer
    for r in 0..<batch {
      var joint = 0
      for f in 0..<factorCount {
        let a = size(f)
        let p = probabilities + r * w + offset(f)
        let u = g[r * stride].nextUnitDouble()
        var cumulative = 0.0
        var choice = a - 1
        for k in 0..<a {
          cumulative += p[k]
          if u < cumulative {
            choice = k
            break
          }
        }
        joint += choice * placeValue(f)
      }
      actions[r] = Int32(joint)
      if let lp { lp[r] = logProbability(logits + r * w, action: joint) }
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

  /// π(·|s) over the joint actions, `[batch, actionCount]` (for a factored
  /// policy the products Π_k p_k[a_k]; callers bound the size).
  public func probabilities(_ obs: UnsafePointer<Double>, batch: Int, into out: UnsafeMutablePointer<Double>) {
    distribution(obs, batch: batch, into: probs)
    guard factored else {
      out.update(from: probs.pointer, count: batch * actionCount)
      return
    }
    let w = width
    let n = actionCount
    let probabilities = probs.pointer
    for r in 0..<batch {
      let p = probabilities + r * w
      for a in 0..<n {
        var q = p[digit(a, 0)]
        for f in 1..<factorCount { q *= p[offset(f) + digit(a, f)] }
        out[r * n + a] = q
      }
    }
  }

  public func logProbabilities(
    _ obs: UnsafePointer<Double>, actions: UnsafeRawPointer, batch: Int, into out: UnsafeMutablePointer<Double>
  ) {
    let act = actions.assumingMemoryBound(to: Int32.self)
    let logits = model.forward(obs, batch: batch)
    for r in 0..<batch { out[r] = logProbability(logits + r * width, action: Int(act[r])) }
  }

  public func entropies(_ obs: UnsafePointer<Double>, batch: Int, into out: UnsafeMutablePointer<Double>) {
    let w = width
    let logits = distribution(obs, batch: batch, into: probs)
    let p = probs.pointer
    for r in 0..<batch {
      var h = 0.0
      for f in 0..<factorCount {
        let a = size(f)
        let z = logits + r * w + offset(f)
        let hf = entropy(z, p + r * w + offset(f), a, logNormalizer(z, a))
        h = f == 0 ? hf : h + hf
      }
      out[r] = h
    }
  }

  public func klDivergences(
    _ obs: UnsafePointer<Double>, batch: Int, oldParameters: UnsafePointer<Double>,
    into out: UnsafeMutablePointer<Double>
  ) {
    // KL(q ‖ p) = Σ_k q_k (log q_k − log p_k) with log-probabilities from
    // the logits (log of an underflowed probability would give +∞ for a
    // finite divergence).
    // Factored: KL = Σ_k KL_k, accumulated in one sum.
    let w = width
    let oldLog = oldLogProbs.reserve(batch * w)
    withParameters(oldParameters) {
      let logits = distribution(obs, batch: batch, into: oldProbs)
      for r in 0..<batch {
        for f in 0..<factorCount {
          let i = r * w + offset(f)
          let n = logNormalizer(logits + i, size(f))
          for k in 0..<size(f) { oldLog[i + k] = (logits[i + k] - n.shift) - n.logSum }
        }
      }
    }
    let logits = distribution(obs, batch: batch, into: probs)
    let q = oldProbs.pointer
    for r in 0..<batch {
      var kl = 0.0
      for f in 0..<factorCount {
        let i = r * w + offset(f)
        let z = logits + i
        let n = logNormalizer(z, size(f))
        for k in 0..<size(f) where q[i + k] > 0 {
          kl += q[i + k] * (oldLog[i + k] - ((z[k] - n.shift) - n.logSum))
        }
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
    let w = width
    let logits = distribution(obs, batch: batch, into: probs)
    let p = probs.pointer
    let d = dLogits.reserve(batch * w)
    for r in 0..<batch {
      let joint = Int(actions[r])
      if logProbabilities != nil || entropies != nil {
        let t = rowTerms(logits + r * w, p + r * w, action: joint, wantEntropy: entropies != nil)
        logProbabilities?[r] = t.logProbability
        entropies?[r] = t.entropy
      }
      for f in 0..<factorCount {
        let chosen = digit(joint, f)
        let i = r * w + offset(f)
        for k in 0..<size(f) { d[i + k] = weights[r] * ((k == chosen ? 1 : 0) - p[i + k]) }
      }
    }
    finish(gradient)
  }

  private let surrogateWeights = ScratchBuffer()
  /// Per row and factor (shift, logSum, H_k) of the last surrogate forward pass.
  private let rowNormalizers = ScratchBuffer()

  public func surrogateGradient(
    _ obs: UnsafePointer<Double>, rawActions actions: UnsafeRawPointer, batch: Int,
    logProbabilities lp: UnsafeMutablePointer<Double>, entropies en: UnsafeMutablePointer<Double>,
    weigh: SurrogateWeights,
    into gradient: UnsafeMutablePointer<Double>
  ) {
    if zeroForEmptyBatch(batch, gradient) { return }
    let act = actions.assumingMemoryBound(to: Int32.self)
    let w = width
    let fc = factorCount
    let logits = distribution(obs, batch: batch, into: probs)
    let p = probs.pointer
    let normalizers = rowNormalizers.reserve(3 * batch * fc)
    for r in 0..<batch {
      let joint = Int(act[r])
      for f in 0..<fc {
        let a = size(f)
        let z = logits + r * w + offset(f)
        let n = logNormalizer(z, a)
        let h = entropy(z, p + r * w + offset(f), a, n)
        let term = (z[digit(joint, f)] - n.shift) - n.logSum
        let j = 3 * (r * fc + f)
        normalizers[j] = n.shift
        normalizers[j + 1] = n.logSum
        normalizers[j + 2] = h
        lp[r] = f == 0 ? term : lp[r] + term
        en[r] = f == 0 ? h : en[r] + h
      }
    }
    let ws = surrogateWeights.reserve(2 * batch)
    let we = ws + batch
    weigh(lp, en, ws, we)
    let d = dLogits.reserve(batch * w)
    for r in 0..<batch {
      let joint = Int(act[r])
      for f in 0..<fc {
        let chosen = digit(joint, f)
        let i = r * w + offset(f)
        let z = logits + i
        let j = 3 * (r * fc + f)
        let shift = normalizers[j]
        let logSum = normalizers[j + 1]
        let h = normalizers[j + 2]
        for k in 0..<size(f) {
          let pk = p[i + k]
          var g = ws[r] * ((k == chosen ? 1 : 0) - pk)
          // ∂H/∂z_k = −p_k (log p_k + H_f), with log p_k = (z_k − shift) − logSum.
          if we[r] != 0 && pk > 0 { g -= we[r] * pk * (((z[k] - shift) - logSum) + h) }
          d[i + k] = g
        }
      }
    }
    finish(gradient)
  }

  public func entropyGradient(
    _ obs: UnsafePointer<Double>, weights: UnsafePointer<Double>, batch: Int,
    into gradient: UnsafeMutablePointer<Double>
  ) {
    let w = width
    distribution(obs, batch: batch, into: probs)
    let d = dLogits.reserve(batch * w)
    let probabilities = probs.pointer
    for r in 0..<batch {
      for f in 0..<factorCount {
        let a = size(f)
        let p = probabilities + r * w + offset(f)
        var h = 0.0
        for k in 0..<a where p[k] > 0 { h -= p[k] * _log(p[k]) }
        for k in 0..<a {
          let pk = p[k]
          d[r * w + offset(f) + k] = pk > 0 ? -weights[r] * pk * (_log(pk) + h) : 0
        }
      }
    }
    finish(gradient)
  }

  public func klGradient(
    _ obs: UnsafePointer<Double>, oldParameters: UnsafePointer<Double>, weights: UnsafePointer<Double>,
    batch: Int, into gradient: UnsafeMutablePointer<Double>
  ) {
    let a = width
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
    let w = width
    distribution(obs, batch: batch, into: probs)
    let u = model.jvp(vector)
    let d = dLogits.reserve(batch * w)
    let scale = 1 / Double(batch)
    let probabilities = probs.pointer
    for r in 0..<batch {
      for f in 0..<factorCount {
        let i = r * w + offset(f)
        let p = probabilities + i
        var pu = 0.0
        for k in 0..<size(f) { pu += p[k] * u[i + k] }
        for k in 0..<size(f) { d[i + k] = scale * p[k] * (u[i + k] - pu) }
      }
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

  /// The factored softmax policy over MultiDiscrete actions: an MLP with
  /// Σ_k n_k logits, π(a|s) = Π_k softmax(z_k(s))[a_k] over the joint index
  /// a = Σ_k a_k Π_{j<k} n_j (see the type's documentation). Throws
  /// `.invalid` for bad factor sizes, `.tooLarge` if Π_k n_k > 2^31 − 1.
  public convenience init(
    observationSize: Int, factorSizes: [Int], hidden: [Int], activation: Activation = .tanh,
    hiddenGain: Double = 2.0.squareRoot(), headGain: Double = 0.01, seed: UInt64 = 0
  ) throws(SwiftPGError) {
    try CategoricalPolicy.checkFactors(factorSizes, logitLimit: MLP.maxLayerSize)
    var logits = 0
    for n in factorSizes { logits += n }
    let plain = try SoftmaxPolicy(
      observationSize: observationSize, actionCount: logits, hidden: hidden, activation: activation,
      hiddenGain: hiddenGain, headGain: headGain, seed: seed)
    self.init(model: plain.model, factors: factorSizes, factored: true, seed: seed)
  }

  public var network: MLP { model.network }
}
