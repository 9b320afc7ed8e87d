/// A diagonal Gaussian policy π(a|s) = N(μ(s), diag σ(s)²) for continuous
/// actions.
///
/// μ is an MLP of the observation (linear with no hidden layers). log σ is
/// one of (`GaussianStd`):
/// - `.free`: a free parameter vector (state-independent, PPO's choice,
///   initial value `initialLogStd`);
/// - `.stateDependent`: a second head of the same MLP;
/// - `.gsde`: generalized state-dependent exploration (Raffin, Kober & Stulp
///   2021): with φ(s) the output layer's input (the last hidden layer, or the
///   observation) and a parameter matrix L [featureSize, actionSize],
///   σ_j(s)² = Σ_i φ_i(s)² e^{2 L_ij} + 10⁻⁶. Exploration holds a noise matrix
///   E ~ N(0, e^{2L}) for `noiseInterval` sampling calls: a = μ(s) + φ(s)ᵀE
///   (+ N(0, 10⁻⁶)), so the actions of one segment are a smooth function of
///   the state while each one is still distributed N(μ(s), σ(s)²), which is
///   what the log-probabilities and gradients use. As in SB3's default
///   (`learn_features=False`), φ is held constant in σ: gradients reach the
///   network only through μ (exact with no hidden layers).
/// Parameters: the MLP's, then the free log σ (`.free`, `actionSize`) or L
/// (`.gsde`, row-major `featureSize × actionSize`).
///
/// With u = (a − μ)/σ, per dimension:
///   log π = −u²/2 − log σ − ½ log 2π;  ∂/∂μ = u/σ;  ∂/∂log σ = u² − 1
///   H = log σ + ½(1 + log 2π);  ∂H/∂log σ = 1
///   KL(old ‖ new) = log σₙ − log σₒ + (σₒ² + (μₒ − μₙ)²)/(2σₙ²) − ½
///   Fisher in (μ, log σ): diag(1/σ², 2);  gSDE: ∂log σ_j/∂L_ij = φ_i² e^{2L_ij}/σ_j²
/// Actions are not clipped here: the log-probability refers to the sampled
/// value; environments clip what they receive (as Gymnasium's do).
public final class GaussianPolicy: Policy {
  /// How σ is parameterised (raw values: the C ABI's and checkpoints').
  public enum Std: Int, Sendable {
    case free = 0, stateDependent = 1, gsde = 2
  }

  public let network: MLP
  public let actionSize: Int
  public let std: Std
  public var stateDependentStd: Bool { std == .stateDependent }
  /// Free log σ (`.free`) or the gSDE matrix L (`.gsde`); empty otherwise.
  public private(set) var logStd: [Double]
  /// gSDE: sampling calls between fresh noise matrices (1: every call).
  public let noiseInterval: Int
  public var rng: PCG64
  private let stats = ScratchBuffer()  // [batch, 2·actionSize]: μ then log σ
  private let oldStats = ScratchBuffer()
  private let dOutput = ScratchBuffer()
  private static let halfLog2Pi = 0.5 * _log(2 * Double.pi)
  /// gSDE: the variance floor added to σ², and e^{L_ij}, e^{2L_ij}.
  static let gsdeVarianceFloor = 1e-6
  private var noiseScale: [Double] = []
  private var noiseVariance: [Double] = []
  /// gSDE: standard normals Z [rows, featureSize, actionSize] (E = e^L ⊙ Z,
  /// so the held noise follows σ as it learns), for `noiseRows` rows, used
  /// `noiseAge` times.
  private var noise: [Double] = []
  private var noiseRows = 0
  private var noiseAge = 0

  public convenience init(
    observationSize: Int, actionSize: Int, hidden: [Int], activation: Activation = .tanh,
    stateDependentStd: Bool = false, initialLogStd: Double = 0, hiddenGain: Double = 2.0.squareRoot(),
    headGain: Double = 0.01, seed: UInt64 = 0
  ) throws(SwiftPGError) {
    try self.init(
      observationSize: observationSize, actionSize: actionSize, hidden: hidden, activation: activation,
      std: stateDependentStd ? .stateDependent : .free, initialLogStd: initialLogStd, hiddenGain: hiddenGain,
      headGain: headGain, seed: seed)
  }

  public init(
    observationSize: Int, actionSize: Int, hidden: [Int], activation: Activation = .tanh, std: Std,
    initialLogStd: Double = 0, noiseInterval: Int = 4, hiddenGain: Double = 2.0.squareRoot(),
    headGain: Double = 0.01, seed: UInt64 = 0
  ) throws(SwiftPGError) {
    try require(observationSize >= 1, "observation size must be at least 1, got \(observationSize)")
    try require(actionSize >= 1 && actionSize <= 1 << 12, "action size must be in [1, 4096], got \(actionSize)")
    try require(initialLogStd.isFinite, "initial log std must be finite, got \(initialLogStd)", code: .notFinite)
    try require(headGain.isFinite && headGain >= 0, "head gain must be finite and >= 0, got \(headGain)")
    try require(hiddenGain.isFinite && hiddenGain >= 0, "hidden gain must be finite and >= 0, got \(hiddenGain)")
    try require(
      noiseInterval >= 1 && noiseInterval <= 1 << 30, "gSDE noise interval must be in [1, 2^30], got \(noiseInterval)")
    let outputs = std == .stateDependent ? 2 * actionSize : actionSize
    _ = try Self.parameterCount(observationSize: observationSize, actionSize: actionSize, hidden: hidden, std: std)
    network = try MLP(sizes: [observationSize] + hidden + [outputs], activation: activation)
    var initRng = PCG64(seed: UInt128(seed))
    network.initializeOrthogonal(hiddenGain: hiddenGain, outputGain: headGain, using: &initRng)
    self.actionSize = actionSize
    self.std = std
    self.noiseInterval = noiseInterval
    actionSpace = .box(
      low: Array(repeating: -.infinity, count: actionSize), high: Array(repeating: .infinity, count: actionSize))
    switch std {
    case .stateDependent:
      // The log σ head starts at initialLogStd: its bias.
      var p = network.parameters
      let last = network.offsets[network.offsets.count - 1]
      let rows = 2 * actionSize
      let cols = network.sizes[network.sizes.count - 2]
      for j in actionSize..<rows { p[last + rows * cols + j] = initialLogStd }
      try network.setParameters(p)
      logStd = []
    case .free:
      logStd = Array(repeating: initialLogStd, count: actionSize)
    case .gsde:
      logStd = Array(repeating: initialLogStd, count: network.featureSize * actionSize)
    }
    rng = PCG64(seed: UInt128(seed) | (UInt128(1) << 64))
    updateNoiseScale()
  }

  /// The parameters such a policy has (network, then log σ or gSDE's L),
  /// counted without allocating; TOO_LARGE above `Limits.maxParameters`.
  public static func parameterCount(observationSize: Int, actionSize: Int, hidden: [Int], std: Std)
    throws(SwiftPGError) -> Int
  {
    let outputs = std == .stateDependent ? 2 * actionSize : actionSize
    let networkCount = try MLP.parameterCount(sizes: [observationSize] + hidden + [outputs])
    let stdCount = std == .gsde ? (hidden.last ?? observationSize) * actionSize : std == .free ? actionSize : 0
    try require(
      networkCount + stdCount <= Limits.maxParameters,
      "this Gaussian policy would have \(networkCount + stdCount) parameters, more than \(Limits.maxParameters)",
      code: .tooLarge)
    return networkCount + stdCount
  }

  public var family: PolicyFamily { .gaussian }
  public var mlp: MLP? { network }
  public var observationSize: Int { network.inputSize }
  /// Unbounded boxes; stored because building the bound arrays allocates.
  public let actionSpace: ActionSpace
  public var parameterCount: Int { network.parameterCount + logStd.count }
  public var parameters: [Double] { network.parameters + logStd }

  /// [observation size, action size, activation, std mode, hidden count, hidden…] (+ noise interval for gSDE)
  public var specification: [Double] {
    [
      Double(observationSize), Double(actionSize), Double(network.activation.rawValue),
      Double(std.rawValue), Double(network.sizes.count - 2),
    ] + network.sizes.dropFirst().dropLast().map(Double.init) + (std == .gsde ? [Double(noiseInterval)] : [])
  }

  public func setParameters(_ values: [Double]) throws(SwiftPGError) {
    try require(values.count == parameterCount, "expected \(parameterCount) parameters, got \(values.count)")
    try require(values.allFinite, "parameters must be finite", code: .notFinite)
    let n = network.parameterCount
    try network.setParameters(Array(values[0..<n]))
    logStd = Array(values[n...])
    updateNoiseScale()
  }

  /// gSDE: [rows, age] followed by the held standard normals Z
  /// (rows × featureSize × actionSize); empty for the other std modes.
  public var samplingState: [Double] {
    std == .gsde ? [Double(noiseRows), Double(noiseAge)] + noise : []
  }

  public func setSamplingState(_ state: [Double]) throws(SwiftPGError) {
    guard std == .gsde else {
      try require(state.isEmpty, "only a gSDE policy has a sampling state, got \(state.count) values")
      return
    }
    try require(state.count >= 2, "a gSDE sampling state needs rows and age, got \(state.count) values")
    let rows = state[0]
    let age = state[1]
    try require(
      rows.isFinite && rows >= 0 && rows.rounded() == rows && rows <= Double(1 << 26),
      "gSDE noise rows \(rows) must be a whole number in [0, 2^26]")
    try require(
      age.isFinite && age >= 0 && age.rounded() == age && age <= Double(noiseInterval),
      "gSDE noise age \(age) must be a whole number in [0, \(noiseInterval)]")
    let perRow = network.featureSize * actionSize
    let (expected, overflow) = Int(rows).multipliedReportingOverflow(by: perRow)
    try require(
      !overflow && state.count - 2 == expected,
      "gSDE noise of \(Int(rows)) rows needs \(Int(rows)) × \(perRow) values, got \(state.count - 2)")
    try require(state.allFinite, "gSDE noise must be finite", code: .notFinite)
    // A buffer sized for other rows is reallocated at the next draw; keep the
    // held values as they are.
    noise = Array(state[2...])
    noiseRows = Int(rows)
    noiseAge = Int(age)
  }

  private func updateNoiseScale() {
    guard std == .gsde else { return }
    noiseScale = logStd.map { _exp($0) }
    noiseVariance = noiseScale.map { $0 * $0 }
  }

  /// μ and log σ of every row into `target` ([batch, 2·actionSize]).
  private func moments(_ obs: UnsafePointer<Double>, batch: Int, into target: ScratchBuffer) -> UnsafePointer<Double> {
    let k = actionSize
    let out = network.forward(obs, batch: batch)
    let m = target.reserve(Swift.max(1, batch * 2 * k))
    switch std {
    case .free:
      for r in 0..<batch {
        for j in 0..<k {
          m[r * 2 * k + j] = out[r * k + j]
          m[r * 2 * k + k + j] = logStd[j]
        }
      }
    case .stateDependent:
      for r in 0..<batch {
        for j in 0..<2 * k { m[r * 2 * k + j] = out[r * 2 * k + j] }
      }
    case .gsde:
      let phi = network.lastFeatures
      let h = network.featureSize
      for r in 0..<batch {
        for j in 0..<k {
          var variance = Self.gsdeVarianceFloor
          for i in 0..<h { variance += phi[r * h + i] * phi[r * h + i] * noiseVariance[i * k + j] }
          m[r * 2 * k + j] = out[r * k + j]
          m[r * 2 * k + k + j] = 0.5 * _log(variance)
        }
      }
    }
    return UnsafePointer(m)
  }

  public func sample(
    _ obs: UnsafePointer<Double>, batch: Int, greedy: Bool, rawActions out: UnsafeMutableRawPointer,
    using g: inout PCG64
  ) {
    let a = out.assumingMemoryBound(to: Double.self)
    let m = moments(obs, batch: batch, into: stats)
    if greedy {
      let k = actionSize
      for r in 0..<batch {
        for j in 0..<k { a[r * k + j] = m[r * 2 * k + j] }
      }
    } else {
      withUnsafeMutablePointer(to: &g) { draw(m, batch: batch, into: a, generators: $0, stride: 0) }
    }
  }

  /// Per-lane sampling (row i draws its noise from `generators[i]`; gSDE
  /// redraws row i's held noise from it) and log π of the drawn actions,
  /// from one forward pass.
  public func sample(
    _ obs: UnsafePointer<Double>, batch: Int, rawActions out: UnsafeMutableRawPointer,
    generators g: UnsafeMutablePointer<PCG64>, logProbabilities lp: UnsafeMutablePointer<Double>?
  ) {
    let a = out.assumingMemoryBound(to: Double.self)
    let m = moments(obs, batch: batch, into: stats)
    draw(m, batch: batch, into: a, generators: g, stride: 1)
    guard let lp else { return }
    for r in 0..<batch { lp[r] = logProbability(m, a, row: r) }
  }

  /// a = μ + σ ⊙ ξ from the moments `m`, row r drawing from
  /// `generators[r * stride]` (stride 0: one generator for the batch, in row
  /// order). gSDE: a = μ + φᵀ(e^L ⊙ Z) + 10⁻³ ξ, Z redrawn every
  /// `noiseInterval` calls (and whenever the batch size changes).
  private func draw(
    _ m: UnsafePointer<Double>, batch: Int, into a: UnsafeMutablePointer<Double>,
    generators g: UnsafeMutablePointer<PCG64>, stride: Int
  ) {
    let k = actionSize
    guard std == .gsde else {
      for r in 0..<batch {
        for j in 0..<k {
          a[r * k + j] = m[r * 2 * k + j] + _exp(m[r * 2 * k + k + j]) * g[r * stride].standardNormal()
        }
      }
      return
    }
    let h = network.featureSize
    if noiseRows != batch || noiseAge >= noiseInterval {
      if noise.count != batch * h * k { noise = Array(repeating: 0, count: batch * h * k) }
      for r in 0..<batch {
        for i in 0..<(h * k) { noise[r * h * k + i] = g[r * stride].standardNormal() }
      }
      noiseRows = batch
      noiseAge = 0
    }
    noiseAge += 1
    let phi = network.lastFeatures
    let floorStd = Self.gsdeVarianceFloor.squareRoot()
    for r in 0..<batch {
      for j in 0..<k {
        var e = 0.0
        for i in 0..<h { e += phi[r * h + i] * noiseScale[i * k + j] * noise[(r * h + i) * k + j] }
        a[r * k + j] = m[r * 2 * k + j] + e + floorStd * g[r * stride].standardNormal()
      }
    }
  }

  public func logProbabilities(
    _ obs: UnsafePointer<Double>, actions: UnsafeRawPointer, batch: Int, into out: UnsafeMutablePointer<Double>
  ) {
    let a = actions.assumingMemoryBound(to: Double.self)
    let m = moments(obs, batch: batch, into: stats)
    for r in 0..<batch { out[r] = logProbability(m, a, row: r) }
  }

  public func entropies(_ obs: UnsafePointer<Double>, batch: Int, into out: UnsafeMutablePointer<Double>) {
    let m = moments(obs, batch: batch, into: stats)
    for r in 0..<batch { out[r] = entropy(m, row: r) }
  }

  /// log π(a_r|s_r) = Σ_j −u²/2 − log σ − ½ log 2π from the moments `m`.
  @inline(__always)
  private func logProbability(_ m: UnsafePointer<Double>, _ a: UnsafePointer<Double>, row r: Int) -> Double {
    let k = actionSize
    var lp = 0.0
    for j in 0..<k {
      let ls = m[r * 2 * k + k + j]
      let u = (a[r * k + j] - m[r * 2 * k + j]) / _exp(ls)
      lp += -0.5 * u * u - ls - Self.halfLog2Pi
    }
    return lp
  }

  /// H(π(·|s_r)) = Σ_j log σ + ½(1 + log 2π) from the moments `m`.
  @inline(__always)
  private func entropy(_ m: UnsafePointer<Double>, row r: Int) -> Double {
    let k = actionSize
    var h = 0.0
    for j in 0..<k { h += m[r * 2 * k + k + j] + 0.5 + Self.halfLog2Pi }
    return h
  }

  public func klDivergences(
    _ obs: UnsafePointer<Double>, batch: Int, oldParameters: UnsafePointer<Double>,
    into out: UnsafeMutablePointer<Double>
  ) {
    let k = actionSize
    let q = withParameters(oldParameters) { moments(obs, batch: batch, into: oldStats) }
    let p = moments(obs, batch: batch, into: stats)
    for r in 0..<batch {
      var kl = 0.0
      for j in 0..<k {
        let (mo, lo) = (q[r * 2 * k + j], q[r * 2 * k + k + j])
        let (mn, ln) = (p[r * 2 * k + j], p[r * 2 * k + k + j])
        kl += ln - lo + (_exp(2 * lo) + (mo - mn) * (mo - mn)) / (2 * _exp(2 * ln)) - 0.5
      }
      out[r] = kl
    }
  }

  /// Carries gradients with respect to (μ, log σ) per row (`d`,
  /// [batch, 2·actionSize]) to the parameters (overwrites `gradient`).
  /// Uses the network state of the last `moments` call.
  private func finish(_ d: UnsafeMutablePointer<Double>, batch: Int, into gradient: UnsafeMutablePointer<Double>) {
    let k = actionSize
    let n = network.parameterCount
    gradient.update(repeating: 0, count: parameterCount)
    if std == .stateDependent {
      network.backward(d, into: gradient)
      return
    }
    let dm = dOutput.reserve(Swift.max(1, batch * k))
    let phi = network.lastFeatures
    let h = network.featureSize
    for r in 0..<batch {
      for j in 0..<k {
        dm[r * k + j] = d[r * 2 * k + j]
        let dLogStd = d[r * 2 * k + k + j]
        if std == .free {
          gradient[n + j] += dLogStd
        } else {
          // ∂log σ_j/∂L_ij = φ_i² e^{2L_ij} / σ_j²
          let c = dLogStd / _exp(2 * stats.pointer[r * 2 * k + k + j])
          for i in 0..<h { gradient[n + i * k + j] += c * phi[r * h + i] * phi[r * h + i] * noiseVariance[i * k + j] }
        }
      }
    }
    network.backward(dm, into: gradient)
  }

  private let grads = ScratchBuffer()

  public func scoreGradient(
    _ obs: UnsafePointer<Double>, rawActions actions: UnsafeRawPointer, weights: UnsafePointer<Double>,
    batch: Int, into gradient: UnsafeMutablePointer<Double>
  ) {
    let a = actions.assumingMemoryBound(to: Double.self)
    let m = moments(obs, batch: batch, into: stats)
    scoreBackward(m, a, weights: weights, entropyWeights: nil, batch: batch, into: gradient)
  }

  /// The gradient of Σ_i w_i log π(a_i|s_i) (+ Σ_i we_i H_i with
  /// `entropyWeights`) from the moments `m` of the last `moments` call:
  /// ∂/∂μ = w u/σ, ∂/∂log σ = w (u² − 1) (+ we), carried to the parameters.
  private func scoreBackward(
    _ m: UnsafePointer<Double>, _ a: UnsafePointer<Double>, weights: UnsafePointer<Double>,
    entropyWeights: UnsafePointer<Double>?, batch: Int, into gradient: UnsafeMutablePointer<Double>
  ) {
    let k = actionSize
    let d = grads.reserve(Swift.max(1, batch * 2 * k))
    for r in 0..<batch {
      for j in 0..<k {
        let sigma = _exp(m[r * 2 * k + k + j])
        let u = (a[r * k + j] - m[r * 2 * k + j]) / sigma
        d[r * 2 * k + j] = weights[r] * u / sigma
        let dLogStd = weights[r] * (u * u - 1)
        d[r * 2 * k + k + j] = if let entropyWeights { dLogStd + entropyWeights[r] } else { dLogStd }
      }
    }
    finish(d, batch: batch, into: gradient)
  }

  private let surrogateWeights = ScratchBuffer()

  public func surrogateGradient(
    _ obs: UnsafePointer<Double>, rawActions actions: UnsafeRawPointer, batch: Int,
    logProbabilities lp: UnsafeMutablePointer<Double>, entropies en: UnsafeMutablePointer<Double>,
    weigh: SurrogateWeights,
    into gradient: UnsafeMutablePointer<Double>
  ) {
    let a = actions.assumingMemoryBound(to: Double.self)
    let m = moments(obs, batch: batch, into: stats)
    for r in 0..<batch {
      lp[r] = logProbability(m, a, row: r)
      en[r] = entropy(m, row: r)
    }
    let ws = surrogateWeights.reserve(Swift.max(1, 2 * batch))
    let we = ws + batch
    weigh(lp, en, ws, we)
    scoreBackward(m, a, weights: ws, entropyWeights: we, batch: batch, into: gradient)
  }

  public func entropyGradient(
    _ obs: UnsafePointer<Double>, weights: UnsafePointer<Double>, batch: Int,
    into gradient: UnsafeMutablePointer<Double>
  ) {
    let k = actionSize
    _ = moments(obs, batch: batch, into: stats)
    let d = grads.reserve(Swift.max(1, batch * 2 * k))
    for r in 0..<batch {
      for j in 0..<k {
        d[r * 2 * k + j] = 0
        d[r * 2 * k + k + j] = weights[r]
      }
    }
    finish(d, batch: batch, into: gradient)
  }

  public func klGradient(
    _ obs: UnsafePointer<Double>, oldParameters: UnsafePointer<Double>, weights: UnsafePointer<Double>,
    batch: Int, into gradient: UnsafeMutablePointer<Double>
  ) {
    let k = actionSize
    let q = withParameters(oldParameters) { moments(obs, batch: batch, into: oldStats) }
    let p = moments(obs, batch: batch, into: stats)
    let d = grads.reserve(Swift.max(1, batch * 2 * k))
    for r in 0..<batch {
      for j in 0..<k {
        let (mo, lo) = (q[r * 2 * k + j], q[r * 2 * k + k + j])
        let (mn, ln) = (p[r * 2 * k + j], p[r * 2 * k + k + j])
        let varNew = _exp(2 * ln)
        d[r * 2 * k + j] = weights[r] * (mn - mo) / varNew
        d[r * 2 * k + k + j] = weights[r] * (1 - (_exp(2 * lo) + (mo - mn) * (mo - mn)) / varNew)
      }
    }
    finish(d, batch: batch, into: gradient)
  }

  public func fisherVectorProduct(
    _ obs: UnsafePointer<Double>, batch: Int, vector: UnsafePointer<Double>,
    into out: UnsafeMutablePointer<Double>
  ) {
    if zeroForEmptyBatch(batch, out) { return }
    let k = actionSize
    let n = network.parameterCount
    let m = moments(obs, batch: batch, into: stats)
    let t = network.jvp(vector)  // tangents of the network outputs
    let d = grads.reserve(batch * 2 * k)
    let scale = 1 / Double(batch)
    let width = stateDependentStd ? 2 * k : k
    let phi = network.lastFeatures
    let h = network.featureSize
    for r in 0..<batch {
      for j in 0..<k {
        let variance = _exp(2 * m[r * 2 * k + k + j])
        d[r * 2 * k + j] = scale * t[r * width + j] / variance
        var dLogStd = 0.0
        switch std {
        case .free: dLogStd = vector[n + j]
        case .stateDependent: dLogStd = t[r * width + k + j]
        case .gsde:
          for i in 0..<h { dLogStd += phi[r * h + i] * phi[r * h + i] * noiseVariance[i * k + j] * vector[n + i * k + j] }
          dLogStd /= variance
        }
        d[r * 2 * k + k + j] = scale * 2 * dLogStd
      }
    }
    finish(d, batch: batch, into: out)
  }
}
