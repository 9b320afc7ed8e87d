#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A reward model r_φ(x) over feature vectors x ∈ ℝᴷ: linear (no hidden
/// layers: r = wᵀx + b) or an MLP with a scalar output, fitted on pairwise
/// comparisons (Bradley–Terry, `PreferenceLosses.bradleyTerry`) or k-way
/// rankings (`PreferenceLosses.ranking`) with Adam on shuffled minibatches.
///
/// Optional feature standardisation x′ = (x − μ)/σ is part of the model
/// (stored in `specification`), so `predict` takes raw features. A BT
/// reward is identified only up to an additive constant; the bias stays
/// where it was initialised unless the centring term (Eisenstein et al.
/// 2023) pins the mean reward of compared pairs at 0.
public final class RewardModel: Parameterized {
  public let featureCount: Int
  public let hiddenSizes: [Int]
  public let activation: Activation
  /// The network, sizes `[K, hidden…, 1]`. Its precision may be switched
  /// with `network.setPrecision(.float32)`.
  public let network: MLP
  /// μ and σ of the standardisation (`[K]` each), or nil.
  public private(set) var featureMean: [Double]?
  public private(set) var featureScale: [Double]?
  private var input: [Double] = []
  /// Checked before every minibatch of `fit`: a request stops the call
  /// with `.cancelled`, and the call changes nothing.
  public var cancellation: CancellationFlag?

  /// A linear model (`hiddenSizes` empty; parameters start at 0) or an MLP
  /// (orthogonal initialisation from `seed`: hidden gain √2, output gain 1).
  public init(featureCount: Int, hiddenSizes: [Int] = [], activation: Activation = .tanh, seed: UInt64 = 0)
    throws(SwiftPGError)
  {
    try require(featureCount >= 1, "a reward model needs at least one feature, got \(featureCount)")
    network = try MLP(sizes: [featureCount] + hiddenSizes + [1], activation: activation)
    self.featureCount = featureCount
    self.hiddenSizes = hiddenSizes
    self.activation = activation
    if !hiddenSizes.isEmpty {
      var rng = PCG64(seed: UInt128(seed))
      network.initializeOrthogonal(hiddenGain: 2.0.squareRoot(), outputGain: 1, using: &rng)
    }
  }

  // MARK: - Parameters and checkpoints

  public var parameterCount: Int { network.parameterCount }
  /// The network's parameters (layout of `MLP`).
  public var parameters: [Double] { network.parameters }
  public func setParameters(_ values: [Double]) throws(SwiftPGError) {
    try require(values.allFinite, "reward-model parameters must be finite", code: .notFinite)
    try network.setParameters(values)
  }

  /// `[K, activation, H, hidden sizes (H)…, s, μ (K)…, σ (K)…]` with s = 1
  /// when standardised (μ and σ follow) and 0 otherwise (nothing follows).
  public var specification: [Double] {
    var spec = [Double(featureCount), Double(activation.rawValue), Double(hiddenSizes.count)]
    spec += hiddenSizes.map(Double.init)
    if let featureMean, let featureScale {
      spec += [1] + featureMean + featureScale
    } else {
      spec.append(0)
    }
    return spec
  }

  /// The architecture a `specification` describes, parsed and checked —
  /// every size and code, and the parameter count — without building (or
  /// allocating) the network. Errors: `.badFormat` for a malformed
  /// specification, `.tooLarge` / `.invalid` for sizes an MLP refuses.
  public struct Layout: Sendable {
    public var featureCount: Int
    public var hiddenSizes: [Int]
    public var activation: Activation
    /// μ and σ (`[K]` each) when the specification standardises.
    public var standardization: (mean: [Double], scale: [Double])?
    /// The number of parameters of the network.
    public var parameterCount: Int

    public init(specification spec: [Double]) throws(SwiftPGError) {
      func int(_ i: Int, _ what: String) throws(SwiftPGError) -> Int {
        try require(i < spec.count, "reward-model specification is too short (no \(what))", code: .badFormat)
        let v = spec[i]
        try require(
          v.isFinite && v == v.rounded() && v >= 0 && v <= Double(1 << 30),
          "reward-model specification: \(what) is \(v)", code: .badFormat)
        return Int(v)
      }
      featureCount = try int(0, "feature count")
      let act = try int(1, "activation")
      let h = try int(2, "hidden-layer count")
      try require(h <= MLP.maxHiddenLayers, "reward-model specification: \(h) hidden layers", code: .badFormat)
      hiddenSizes = []
      for l in 0..<h { hiddenSizes.append(try int(3 + l, "hidden size \(l)")) }
      let flag = try int(3 + h, "standardisation flag")
      guard let a = Activation(rawValue: Int32(act)) else {
        throw SwiftPGError(.badFormat, "reward-model specification: unknown activation \(act)")
      }
      activation = a
      let rest = Array(spec[(4 + h)...])
      let k = featureCount
      if flag == 1 {
        try require(
          rest.count == 2 * k, "reward-model specification: expected \(2 * k) standardisation values",
          code: .badFormat)
        standardization = (Array(rest[0..<k]), Array(rest[k...]))
      } else {
        try require(flag == 0 && rest.isEmpty, "reward-model specification: bad standardisation part", code: .badFormat)
        standardization = nil
      }
      try require(featureCount >= 1, "a reward model needs at least one feature, got \(featureCount)")
      parameterCount = try MLP.parameterCount(sizes: [featureCount] + hiddenSizes + [1])
    }
  }

  /// A model rebuilt from `specification` and `parameters` (the sizes are
  /// checked against the parameter count before the network is built).
  public convenience init(specification spec: [Double], parameters: [Double]) throws(SwiftPGError) {
    let layout = try Layout(specification: spec)
    try require(
      parameters.count == layout.parameterCount,
      "expected \(layout.parameterCount) reward-model parameters, got \(parameters.count)")
    try self.init(featureCount: layout.featureCount, hiddenSizes: layout.hiddenSizes, activation: layout.activation)
    if let s = layout.standardization { try setStandardization(mean: s.mean, scale: s.scale) }
    try setParameters(parameters)
  }

  // MARK: - Standardisation

  /// Sets x′ = (x − mean)/scale (scale > 0, all finite).
  public func setStandardization(mean: [Double], scale: [Double]) throws(SwiftPGError) {
    try require(mean.count == featureCount && scale.count == featureCount, "standardisation needs \(featureCount) means and scales")
    try require(mean.allFinite && scale.allFinite, "standardisation values must be finite", code: .notFinite)
    try require(scale.allSatisfy { $0 > 0 }, "standardisation scales must be > 0")
    featureMean = mean
    featureScale = scale
  }

  /// Removes the standardisation.
  public func clearStandardization() {
    featureMean = nil
    featureScale = nil
  }

  /// Sets the standardisation to the mean and (population) standard
  /// deviation of each feature over `rows` rows of `features`; a constant
  /// feature gets scale 1. Features of huge magnitude (sums or squares
  /// beyond the Double range) are handled in scaled arithmetic, so the
  /// result is finite for every finite input.
  public func standardize(features: [Double], rows: Int) throws(SwiftPGError) {
    try checkFeatures(features, rows: rows, "features")
    let k = featureCount
    var mean = [Double](repeating: 0, count: k)
    var scale = mean
    for r in 0..<rows { for j in 0..<k { mean[j] += features[r * k + j] } }
    for j in 0..<k { mean[j] /= Double(rows) }
    for j in 0..<k where !mean[j].isFinite {  // the sum overflowed: average x/n instead
      mean[j] = 0
      for r in 0..<rows { mean[j] += features[r * k + j] / Double(rows) }
    }
    for r in 0..<rows {
      for j in 0..<k {
        let d = features[r * k + j] - mean[j]
        scale[j] += d * d
      }
    }
    for j in 0..<k {
      var s = (scale[j] / Double(rows)).squareRoot()
      if !s.isFinite {  // d² overflowed: σ = m·√(mean((d/m)²)) with m = max |d/2| (d/2 cannot overflow)
        var m = 0.0
        for r in 0..<rows { m = Swift.max(m, abs(features[r * k + j] / 2 - mean[j] / 2)) }
        var q = 0.0
        for r in 0..<rows {
          let u = (features[r * k + j] / 2 - mean[j] / 2) / m
          q += u * u
        }
        s = 2 * m * (q / Double(rows)).squareRoot()
      }
      try require(
        s.isFinite, "feature \(j)'s standard deviation exceeds the Double range; rescale the feature",
        code: .numerical)
      scale[j] = s > 0 ? s : 1
    }
    try setStandardization(mean: mean, scale: scale)
  }

  func checkFeatures(_ x: [Double], rows: Int, _ name: String) throws(SwiftPGError) {
    try require(rows >= 1, "\(name): at least one row is needed")
    let n = try checkedProduct(rows, featureCount, name)
    try require(n <= Limits.maxScratchElements, "\(name): \(rows) rows are too many", code: .tooLarge)
    try require(x.count == n, "\(name) has \(x.count) values, expected \(rows) × \(featureCount)")
    try PreferenceLosses.checkFinite(x, name)
  }

  // MARK: - Prediction

  /// Runs the rows `rows` of `x` (`[*, K]`) through the standardisation and
  /// the network; the outputs `[rows.count]`, valid until the next call
  /// (nil if a row lies beyond `x`). `x` already validated.
  private func scores(_ x: [Double], rows: [Int]) -> UnsafePointer<Double>? {
    let k = featureCount
    let need = Swift.max(rows.count * k, 1)
    if input.count < need { input = Array(repeating: 0, count: need) }
    guard rows.allSatisfy({ $0 >= 0 && ($0 + 1) * k <= x.count }) else { return nil }
    x.withUnsafeBufferPointer { xb in
      input.withUnsafeMutableBufferPointer { ib in
        guard let src = xb.baseAddress, let dst = ib.baseAddress else { return }
        if let mean = featureMean, let scale = featureScale {
          for (r, row) in rows.enumerated() {
            for j in 0..<k { dst[r * k + j] = (src[row * k + j] - mean[j]) / scale[j] }
          }
        } else {
          // Element by element: a few features per row, where a memmove
          // call per row cost more than the copy.
          for (r, row) in rows.enumerated() {
            for j in 0..<k { dst[r * k + j] = src[row * k + j] }
          }
        }
      }
    }
    let batch = rows.count
    return input.withUnsafeBufferPointer { b in b.baseAddress.map { network.forward($0, batch: batch) } }
  }

  /// `scores` copied out, refusing non-finite ones (`.numerical`: the
  /// model or the standardisation overflowed — not the caller's data).
  private func finiteScores(_ x: [Double], rows: [Int]) throws(SwiftPGError) -> [Double] {
    guard let s = scores(x, rows: rows) else { throw SwiftPGError(.internalError, "a row beyond the features") }
    let out = (0..<rows.count).map { s[$0] }
    try require(out.allFinite, "the reward model produced non-finite scores", code: .numerical)
    return out
  }

  /// r_φ of each of `rows` rows of `features` (`[rows, K]`).
  public func predict(_ features: [Double], rows: Int) throws(SwiftPGError) -> [Double] {
    try checkFeatures(features, rows: rows, "features")
    var out: [Double] = []
    out.reserveCapacity(rows)
    let chunk = 4096
    var start = 0
    while start < rows {
      let b = Swift.min(chunk, rows - start)
      guard let s = scores(features, rows: Array(start..<(start + b))) else {
        throw SwiftPGError(.internalError, "a row beyond the features")
      }
      for i in 0..<b { out.append(s[i]) }
      start += b
    }
    try require(out.allFinite, "the reward model produced non-finite scores", code: .numerical)
    return out
  }

  /// Fraction of `pairs` pairs (feature rows `chosen[i]`, `rejected[i]`,
  /// each `[pairs, K]`) the model orders correctly, ties ½.
  public func pairAccuracy(chosen: [Double], rejected: [Double], pairs: Int) throws(SwiftPGError) -> Double {
    let a = try predict(chosen, rows: pairs)
    let b = try predict(rejected, rows: pairs)
    var correct = 0.0
    for i in 0..<pairs { correct += a[i] > b[i] ? 1 : (a[i] == b[i] ? 0.5 : 0) }
    return correct / Double(pairs)
  }

  // MARK: - Fitting

  /// Settings of `fit`.
  /// The fit's settings: the supervised trainer's (epochs, comparisons
  /// per Adam step, learning rate, weight decay, shuffle seed) plus the
  /// reward model's own; `config.epochs` reads through to `training`.
  @dynamicMemberLookup
  public struct FitConfig: Sendable {
    public var training: SupervisedTrainer.Config
    /// Reward-centring coefficient c (pairs only; see `bradleyTerry`).
    public var centring: Double
    /// Standardise the features from the training data before fitting,
    /// if the model is not standardised yet.
    public var standardize: Bool

    public init(
      epochs: Int = 20, minibatchSize: Int = 64, learningRate: Double = 1e-2, weightDecay: Double = 0,
      centring: Double = 0, seed: UInt64 = 0, standardize: Bool = false
    ) {
      training = SupervisedTrainer.Config(
        epochs: epochs, minibatchSize: minibatchSize, learningRate: learningRate, weightDecay: weightDecay, seed: seed)
      self.centring = centring
      self.standardize = standardize
    }

    public subscript<T>(dynamicMember field: WritableKeyPath<SupervisedTrainer.Config, T>) -> T {
      get { training[keyPath: field] }
      set { training[keyPath: field] = newValue }
    }

    func validate() throws(SwiftPGError) {
      try training.validate()
      try require(centring.isFinite && centring >= 0, "centring must be finite and >= 0, got \(centring)")
    }
  }

  /// Mean training loss and accuracy of each epoch (each minibatch
  /// evaluated before its step).
  public struct FitHistory: Sendable, Equatable {
    public var loss: [Double] = []
    public var accuracy: [Double] = []
  }

  /// Fits on `pairs` comparisons: `chosen` and `rejected` are the feature
  /// rows (`[pairs, K]` each) of the preferred and the other response;
  /// `margins` (`[pairs]`, optional) as Llama 2. A fresh Adam each call.
  public func fit(
    chosen: [Double], rejected: [Double], pairs: Int, margins: [Double]? = nil, config: FitConfig
  ) throws(SwiftPGError) -> FitHistory {
    try config.validate()
    try checkFeatures(chosen, rows: pairs, "chosen")
    try checkFeatures(rejected, rows: pairs, "rejected")
    if let margins {
      try require(margins.count == pairs, "margins has \(margins.count) entries for \(pairs) pairs")
      try PreferenceLosses.checkFinite(margins, "margins")
    }
    // Rows 0..<pairs of `both` are the chosen, pairs..<2·pairs the rejected.
    let both = chosen + rejected
    return try train(count: pairs, config: config, standardizing: both, rows: 2 * pairs) {
      (batch, grad) throws(SwiftPGError) in
      let b = batch.count
      let s = try finiteScores(both, rows: batch + batch.map { $0 + pairs })
      let rc = Array(s[0..<b]), rr = Array(s[b...])
      var dc: [Double] = [], dr: [Double] = []
      let r = try PreferenceLosses.bradleyTerry(
        chosen: rc, rejected: rr, margins: margins.map { m in batch.map { m[$0] } }, centring: config.centring,
        dChosen: &dc, dRejected: &dr)
      let d = dc + dr
      d.withUnsafeBufferPointer { db in if let p = db.baseAddress { network.backward(p, into: grad) } }
      return r
    }
  }

  /// Fits on `count` k-way rankings: `candidates` `[count, k, K]` are the
  /// feature rows of the k candidates of each comparison, `rankings`
  /// `[count, k]` list them best first (see `PreferenceLosses.ranking`).
  public func fit(
    candidates: [Double], rankings: [Int32], k: Int, count: Int, config: FitConfig
  ) throws(SwiftPGError) -> FitHistory {
    try config.validate()
    try require(k >= 2, "a ranking needs k >= 2 candidates, got \(k)")
    let rows = try checkedProduct(count, k, "candidates")
    try checkFeatures(candidates, rows: rows, "candidates")
    try PreferenceLosses.checkRankings(rankings, rows: count, k: k)
    return try train(count: count, config: config, standardizing: candidates, rows: rows) {
      (batch, grad) throws(SwiftPGError) in
      let b = batch.count
      var rowIndex: [Int] = []
      var ranks: [Int32] = []
      rowIndex.reserveCapacity(b * k)
      for n in batch {
        for j in 0..<k { rowIndex.append(n * k + j) }
        ranks += rankings[(n * k)..<(n * k + k)]
      }
      var ds: [Double] = []
      let r = try PreferenceLosses.ranking(
        scores: try finiteScores(candidates, rows: rowIndex), rankings: ranks, k: k, dScores: &ds)
      ds.withUnsafeBufferPointer { db in if let p = db.baseAddress { network.backward(p, into: grad) } }
      return r
    }
  }

  /// All or nothing: the standardisation (from `features`, `rows` rows,
  /// when `config.standardize` and the model has none yet), then the epoch
  /// loop; on any error (`.numerical`, `.cancelled`) the parameters and
  /// the standardisation are as before the call.
  private func train(
    count: Int, config: FitConfig, standardizing features: [Double], rows: Int,
    _ lossAndGradient: ([Int], UnsafeMutablePointer<Double>) throws(SwiftPGError) -> PreferenceLosses.PairwiseResult
  ) throws(SwiftPGError) -> FitHistory {
    let saved = (network.parameters, featureMean, featureScale)
    return try SupervisedTrainer.rollingBack({
      try? network.setParameters(saved.0)
      (featureMean, featureScale) = (saved.1, saved.2)
    }) { () throws(SwiftPGError) in
      if config.standardize && featureMean == nil { try standardize(features: features, rows: rows) }
      return try epochs(count: count, config: config, lossAndGradient)
    }
  }

  /// The epoch loop: shuffle, minibatches, `lossAndGradient(batch, grad)`
  /// adds the parameter gradient of the minibatch's mean loss to `grad`,
  /// then the guarded Adam step of `SupervisedTrainer.descend`.
  private func epochs(
    count: Int, config: FitConfig,
    _ lossAndGradient: ([Int], UnsafeMutablePointer<Double>) throws(SwiftPGError) -> PreferenceLosses.PairwiseResult
  ) throws(SwiftPGError) -> FitHistory {
    var rng = PCG64(seed: UInt128(config.seed))
    var adam = try Adam(parameterCount: parameterCount, learningRate: config.learningRate)
    let minibatches = Minibatches()
    var gradient = [Double](repeating: 0, count: parameterCount)
    var history = FitHistory()
    for _ in 0..<config.epochs {
      let order = try minibatches.shuffled(count, using: &rng)
      var loss = 0.0, correct = 0.0
      var start = 0
      while start < count {
        let b = Swift.min(config.minibatchSize, count - start)
        let batch = (0..<b).map { order[start + $0] }
        try cancellation?.check("reward-model fitting")
        for i in gradient.indices { gradient[i] = 0 }
        let r = try gradient.withUnsafeMutableBufferPointer {
          (gb) throws(SwiftPGError) -> PreferenceLosses.PairwiseResult in
          guard let g = gb.baseAddress else { throw SwiftPGError(.internalError, "no gradient buffer") }
          return try lossAndGradient(batch, g)
        }
        var params = network.parameters
        try SupervisedTrainer.descend(
          &params, gradient: &gradient, weightDecay: config.weightDecay, optimizer: &adam, what: "the reward model")
        try network.setParameters(params)
        loss += r.loss * Double(b)
        correct += r.accuracy * Double(b)
        start += b
      }
      history.loss.append(loss / Double(count))
      history.accuracy.append(correct / Double(count))
    }
    return history
  }
}

// MARK: - Rank correlations

/// Rank correlations between two score vectors (a fitted reward against
/// the gold reward), pure functions.
public enum RankCorrelation {
  /// Ranks 1…n of `x`, tied values sharing the average of their ranks.
  public static func averageRanks(_ x: [Double]) -> [Double] {
    let order = x.indices.sorted { x[$0] < x[$1] || (x[$0] == x[$1] && $0 < $1) }
    var ranks = [Double](repeating: 0, count: x.count)
    var k = 0
    while k < order.count {
      var e = k
      while e + 1 < order.count && x[order[e + 1]] == x[order[k]] { e += 1 }
      let average = Double(k + e) / 2 + 1
      for t in k...e { ranks[order[t]] = average }
      k = e + 1
    }
    return ranks
  }

  static func check(_ x: [Double], _ y: [Double]) throws(SwiftPGError) {
    try require(x.count == y.count, "the two score vectors have \(x.count) and \(y.count) entries")
    try require(x.count >= 2, "a rank correlation needs at least 2 items, got \(x.count)")
    try PreferenceLosses.checkFinite(x, "x")
    try PreferenceLosses.checkFinite(y, "y")
  }

  /// Spearman's ρ: the Pearson correlation of the average ranks (scipy's
  /// `spearmanr`). NaN when either vector is constant.
  public static func spearman(_ x: [Double], _ y: [Double]) throws(SwiftPGError) -> Double {
    try check(x, y)
    let rx = averageRanks(x), ry = averageRanks(y)
    let n = Double(x.count)
    let mean = (n + 1) / 2  // the mean of average ranks is always (n + 1)/2
    var sxy = 0.0, sxx = 0.0, syy = 0.0
    for i in x.indices {
      let a = rx[i] - mean, b = ry[i] - mean
      sxy += a * b
      sxx += a * a
      syy += b * b
    }
    guard sxx > 0 && syy > 0 else { return .nan }
    return sxy / (sxx * syy).squareRoot()
  }

  /// Most items for `kendallTauB` (it visits every pair: O(n²)).
  public static let maxKendallItems = 1 << 15

  /// Kendall's τ-b (scipy's `kendalltau` default):
  ///   τ_b = (C − D) / √((n₀ − n₁)(n₀ − n₂)),
  /// C and D the concordant and discordant pairs, n₀ = n(n − 1)/2, n₁ and
  /// n₂ the pairs tied in x and in y. NaN when either vector is constant.
  /// O(n²); at most `maxKendallItems` items.
  public static func kendallTauB(_ x: [Double], _ y: [Double]) throws(SwiftPGError) -> Double {
    try check(x, y)
    try require(
      x.count <= maxKendallItems, "kendallTauB takes at most \(maxKendallItems) items, got \(x.count)",
      code: .tooLarge)
    var concordant = 0, discordant = 0, tiesX = 0, tiesY = 0
    for i in 0..<x.count {
      for j in (i + 1)..<x.count {
        let dx = x[i] - x[j], dy = y[i] - y[j]
        if dx == 0 { tiesX += 1 }
        if dy == 0 { tiesY += 1 }
        if dx != 0 && dy != 0 {
          if (dx > 0) == (dy > 0) { concordant += 1 } else { discordant += 1 }
        }
      }
    }
    let n0 = x.count * (x.count - 1) / 2
    let denominator = (Double(n0 - tiesX) * Double(n0 - tiesY)).squareRoot()
    guard denominator > 0 else { return .nan }
    return Double(concordant - discordant) / denominator
  }
}
