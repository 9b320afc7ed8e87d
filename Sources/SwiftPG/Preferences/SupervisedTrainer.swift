import CMathShims

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

// MARK: - The loss

/// Masked categorical cross-entropy, the loss of supervised fine-tuning
/// (SFT of a sequence policy on demonstrations, behaviour cloning of a game
/// policy on expert moves).
public enum SupervisedLoss {
  /// The weighted mean loss and accuracy of a batch.
  public struct Result: Sendable, Equatable {
    /// −Σ_b w_b log softmax_legal(z_b)[target_b] / Σ_b w_b.
    public var loss: Double
    /// Σ_b w_b 1[argmax over legal actions of z_b = target_b] / Σ_b w_b
    /// (argmax ties go to the lowest action index).
    public var accuracy: Double
    /// Σ_b w_b (the batch size when unweighted).
    public var weightSum: Double
  }

  /// nil if the labels are valid, else what is wrong: targets in
  /// 0..<actions and legal, every row with a legal action, weights finite,
  /// ≥ 0 with a positive sum. Shapes: targets `[B]`, mask `[B, A]` (nonzero
  /// = legal) or nil (all legal), weights `[B]` or nil (all 1).
  static func labelProblem(
    mask: UnsafePointer<UInt8>?, targets: UnsafePointer<Int32>, weights: UnsafePointer<Double>?, batch: Int,
    actions: Int, firstRow: Int = 0
  ) -> String? {
    var total = 0.0
    for b in 0..<batch {
      let t = Int(targets[b])
      if t < 0 || t >= actions { return "target of row \(firstRow + b) is \(t), outside 0..<\(actions)" }
      if let mask {
        var any = false
        for a in 0..<actions where mask[b * actions + a] != 0 {
          any = true
          break
        }
        if !any { return "row \(firstRow + b) has no legal action" }
        if mask[b * actions + t] == 0 { return "target \(t) of row \(firstRow + b) is illegal" }
      }
      if let weights {
        let w = weights[b]
        if !w.isFinite || w < 0 { return "weight of row \(firstRow + b) is \(w); weights must be finite and >= 0" }
        total += w
      }
    }
    if weights != nil && !(total > 0) { return "the weights sum to \(total); they must have a positive sum" }
    return nil
  }

  /// Masked categorical cross-entropy over a batch of B rows of A logits:
  ///
  ///   L = −Σ_b w_b log softmax_legal(z_b)[y_b] / Σ_b w_b,
  ///   softmax_legal(z)_a = 1[a legal] e^{z_a} / Σ_{a' legal} e^{z_a'},
  ///
  /// the cross-entropy of the distribution renormalised over the legal
  /// actions (illegal logits are ignored; they may be −∞). Writes
  ///   ∂L/∂z_{b,a} = w_b (softmax_legal(z_b)_a − 1[a = y_b]) / Σ w
  /// into `dLogits` (`[B, A]`, 0 at illegal actions) unless it is nil.
  /// Shapes: logits `[B, A]`, mask `[B, A]` (nonzero = legal) or nil,
  /// targets `[B]` (Int32), weights `[B]` or nil. Throws (before writing)
  /// on B = 0, A < 1, targets out of range or illegal, rows without a legal
  /// action, bad weights, or non-finite legal logits.
  public static func maskedCrossEntropy(
    logits: UnsafePointer<Double>, mask: UnsafePointer<UInt8>?, targets: UnsafePointer<Int32>,
    weights: UnsafePointer<Double>?, batch: Int, actions: Int, dLogits: UnsafeMutablePointer<Double>?
  ) throws(SwiftPGError) -> Result {
    try require(batch >= 1, "the batch is empty")
    try require(actions >= 1, "at least one action is needed, got \(actions)")
    _ = try checkedProduct(batch, actions, "logits")
    if let problem = labelProblem(mask: mask, targets: targets, weights: weights, batch: batch, actions: actions) {
      throw SwiftPGError.invalid(problem)
    }
    let cells = batch * actions
    if mask != nil || spg_all_finite(logits, cells) == 0 {
      for b in 0..<batch {
        for a in 0..<actions where mask == nil || mask?[b * actions + a] != 0 {
          let z = logits[b * actions + a]
          if !z.isFinite { throw SwiftPGError(.notFinite, "logit [\(b), \(a)] of a legal action is \(z)") }
        }
      }
    }
    var weightSum = 0.0
    if let weights {
      for b in 0..<batch { weightSum += weights[b] }
    } else {
      weightSum = Double(batch)
    }
    let inv = 1 / weightSum
    // Per row: m the legal maximum (first on ties), e_a = exp(z_a − m) by
    // a vectorised exponential (few ulp), s = Σ e_a, log Z = m + log s;
    // dLogits from e_a / s (CMathShims/training.c).
    var loss = 0.0, correct = 0.0
    if let dLogits {
      spg_softmax_cross_entropy(
        logits, mask, targets, weights, batch, actions, inv, dLogits, dLogits, &loss, &correct)
    } else {
      let scratch = UnsafeMutablePointer<Double>.allocate(capacity: cells)
      defer { scratch.deallocate() }
      spg_softmax_cross_entropy(logits, mask, targets, weights, batch, actions, inv, nil, scratch, &loss, &correct)
    }
    return Result(loss: loss * inv, accuracy: correct * inv, weightSum: weightSum)
  }

  /// `maskedCrossEntropy` on arrays; `dLogits` is resized to `[B, A]`.
  public static func maskedCrossEntropy(
    logits: [Double], mask: [UInt8]?, targets: [Int32], weights: [Double]?, actions: Int,
    dLogits: inout [Double]
  ) throws(SwiftPGError) -> Result {
    let batch = targets.count
    try require(actions >= 1, "at least one action is needed, got \(actions)")
    try require(logits.count == batch * actions, "logits has \(logits.count) entries, expected \(batch) × \(actions)")
    if let mask { try require(mask.count == logits.count, "mask has \(mask.count) entries, expected \(logits.count)") }
    if let weights { try require(weights.count == batch, "weights has \(weights.count) entries for \(batch) rows") }
    var out = [Double](repeating: 0, count: logits.count)
    let r = try withOptionalPointers(mask, weights) { (m, w) throws(SwiftPGError) -> Result in
      try logits.withUnsafeBufferPointer { (lb) throws(SwiftPGError) -> Result in
        try targets.withUnsafeBufferPointer { (tb) throws(SwiftPGError) -> Result in
          try out.withUnsafeMutableBufferPointer { (ob) throws(SwiftPGError) -> Result in
            guard let l = lb.baseAddress, let t = tb.baseAddress else {
              throw SwiftPGError.invalid("the batch is empty")
            }
            return try maskedCrossEntropy(
              logits: l, mask: m, targets: t, weights: w, batch: batch, actions: actions, dLogits: ob.baseAddress)
          }
        }
      }
    }
    dLogits = out
    return r
  }
}

/// Calls `body` with the base addresses of two optional arrays (nil for a
/// nil array).
func withOptionalPointers<R>(
  _ a: [UInt8]?, _ b: [Double]?, _ body: (UnsafePointer<UInt8>?, UnsafePointer<Double>?) throws(SwiftPGError) -> R
) throws(SwiftPGError) -> R {
  func inner(_ pa: UnsafePointer<UInt8>?) throws(SwiftPGError) -> R {
    guard let b else { return try body(pa, nil) }
    return try b.withUnsafeBufferPointer { (bb) throws(SwiftPGError) -> R in try body(pa, bb.baseAddress) }
  }
  guard let a else { return try inner(nil) }
  return try a.withUnsafeBufferPointer { (ab) throws(SwiftPGError) -> R in try inner(ab.baseAddress) }
}

// MARK: - Models the trainer fits

/// A parametric map from a batch of examples to logits `[b, actionCount]`
/// that `SupervisedTrainer` can fit. The examples are picked by index from
/// `Inputs`, whatever the model reads: feature rows (`FeatureRowsModel`,
/// any `LogitModel`), or the contexts (prompt, prefix) of a sequence
/// model, which adopts this protocol with its own `Inputs`.
public protocol SupervisedModel: AnyObject {
  associatedtype Inputs
  var actionCount: Int { get }
  var parameterCount: Int { get }
  var parameters: [Double] { get }
  func setParameters(_ values: [Double]) throws(SwiftPGError)
  /// Number of examples in `inputs`; throws if `inputs` do not fit the model.
  func exampleCount(_ inputs: Inputs) throws(SwiftPGError) -> Int
  /// Logits of examples `rows` of `inputs` (`[rows.count, actionCount]`),
  /// valid until the next call; `backward` refers to the last call.
  func forward(_ inputs: Inputs, rows: UnsafeBufferPointer<Int>) throws(SwiftPGError) -> UnsafePointer<Double>
  /// Writes Jᵀ·dLogits to `gradient` (`parameterCount` values; the trainer zeroes it first, so adding works too).
  func backward(_ dLogits: UnsafePointer<Double>, into gradient: UnsafeMutablePointer<Double>)
}

/// A matrix of feature rows `[count, width]`, row-major.
public struct FeatureRows: Sendable {
  public var values: [Double]
  public var count: Int
  public var width: Int
  public init(values: [Double], count: Int, width: Int) throws(SwiftPGError) {
    try require(count >= 0 && width >= 1, "feature rows need count >= 0 and width >= 1, got \(count) × \(width)")
    try require(
      values.count == (try checkedProduct(count, width, "feature rows")),
      "feature rows have \(values.count) values, expected \(count) × \(width)")
    for (i, v) in values.enumerated() where !v.isFinite {
      throw SwiftPGError(.notFinite, "feature [\(i / width), \(i % width)] is \(v)")
    }
    self.values = values
    self.count = count
    self.width = width
  }
}

/// Any `LogitModel` (MLP, linear-feature, tabular logits) as a
/// `SupervisedModel` over feature rows: gathers the rows of a minibatch
/// and runs the model's forward and backward passes.
public final class FeatureRowsModel<Model: LogitModel>: SupervisedModel {
  public typealias Inputs = FeatureRows
  public let model: Model
  private var gathered: [Double] = []

  public init(_ model: Model) { self.model = model }

  public var actionCount: Int { model.actionCount }
  public var parameterCount: Int { model.parameterCount }
  public var parameters: [Double] { model.parameters }
  public func setParameters(_ values: [Double]) throws(SwiftPGError) { try model.setParameters(values) }

  public func exampleCount(_ inputs: FeatureRows) throws(SwiftPGError) -> Int {
    try require(
      inputs.width == model.inputSize, "feature rows have width \(inputs.width); the model reads \(model.inputSize)")
    if let problem = inputs.values.withUnsafeBufferPointer({ b in
      b.baseAddress.flatMap { model.checkObservations($0, batch: inputs.count) }
    }) {
      throw SwiftPGError.invalid(problem)
    }
    return inputs.count
  }

  public func forward(_ inputs: FeatureRows, rows: UnsafeBufferPointer<Int>) throws(SwiftPGError)
    -> UnsafePointer<Double>
  {
    let w = inputs.width
    let need = rows.count * w
    if gathered.count < Swift.max(need, 1) { gathered = Array(repeating: 0, count: Swift.max(need, 1)) }
    for (r, k) in rows.enumerated() {
      try require(k >= 0 && k < inputs.count, "example index \(k) outside 0..<\(inputs.count)")
      for j in 0..<w { gathered[r * w + j] = inputs.values[k * w + j] }
    }
    let out = gathered.withUnsafeBufferPointer { b in b.baseAddress.map { model.forward($0, batch: rows.count) } }
    guard let out else { throw SwiftPGError(.internalError, "no feature buffer") }
    return out
  }

  public func backward(_ dLogits: UnsafePointer<Double>, into gradient: UnsafeMutablePointer<Double>) {
    model.backward(dLogits, into: gradient)
  }
}

// MARK: - Labels

/// Targets of a supervised data set, with optional legal-action masks and
/// example weights, checked once.
public struct SupervisedLabels: Sendable {
  public let actionCount: Int
  /// `[M]`.
  public let targets: [Int32]
  /// `[M, actionCount]`, nonzero = legal; nil: every action legal.
  public let mask: [UInt8]?
  /// `[M]`; nil: every example weighs 1.
  public let weights: [Double]?

  public init(targets: [Int32], actionCount: Int, mask: [UInt8]? = nil, weights: [Double]? = nil)
    throws(SwiftPGError)
  {
    try require(actionCount >= 1, "at least one action is needed, got \(actionCount)")
    try require(!targets.isEmpty, "no examples")
    let cells = try checkedProduct(targets.count, actionCount, "mask")
    if let mask { try require(mask.count == cells, "mask has \(mask.count) entries, expected \(cells)") }
    if let weights {
      try require(weights.count == targets.count, "weights has \(weights.count) entries for \(targets.count) targets")
    }
    let problem = withOptionalPointersNonThrowing(mask, weights) { m, w in
      targets.withUnsafeBufferPointer { t in
        t.baseAddress.flatMap {
          SupervisedLoss.labelProblem(mask: m, targets: $0, weights: w, batch: targets.count, actions: actionCount)
        }
      }
    }
    if let problem { throw SwiftPGError.invalid(problem) }
    self.actionCount = actionCount
    self.targets = targets
    self.mask = mask
    self.weights = weights
  }

  public var count: Int { targets.count }
}

func withOptionalPointersNonThrowing<R>(
  _ a: [UInt8]?, _ b: [Double]?, _ body: (UnsafePointer<UInt8>?, UnsafePointer<Double>?) -> R
) -> R {
  func inner(_ pa: UnsafePointer<UInt8>?) -> R {
    guard let b else { return body(pa, nil) }
    return b.withUnsafeBufferPointer { body(pa, $0.baseAddress) }
  }
  guard let a else { return inner(nil) }
  return a.withUnsafeBufferPointer { inner($0.baseAddress) }
}

// MARK: - The trainer

/// Fits a `SupervisedModel` to labels with the masked cross-entropy and
/// Adam on shuffled minibatches (Fisher–Yates per epoch from a PCG64
/// seeded with `seed`, as the learners' `Minibatches`). The optimiser and
/// generator persist across `fit` calls, so training can continue.
///
/// Each step: gather a minibatch of examples, forward, loss and dLogits
/// (normalised by the minibatch's weight sum), backward, add
/// `weightDecay`·θ (L2 on every parameter), refuse a non-finite gradient
/// or result (`.numerical`, nothing changed), Adam step (descent).
public final class SupervisedTrainer {
  public struct Config: Sendable {
    /// Passes over the training set per `fit`.
    public var epochs: Int
    /// Examples per Adam step (the last minibatch of an epoch may be smaller).
    public var minibatchSize: Int
    public var learningRate: Double
    /// L2 coefficient λ: the gradient gets +λθ. 0: off.
    public var weightDecay: Double
    /// Seed of the shuffles.
    public var seed: UInt64

    public init(epochs: Int = 10, minibatchSize: Int = 64, learningRate: Double = 1e-3, weightDecay: Double = 0, seed: UInt64 = 0)
    {
      self.epochs = epochs
      self.minibatchSize = minibatchSize
      self.learningRate = learningRate
      self.weightDecay = weightDecay
      self.seed = seed
    }

    func validate() throws(SwiftPGError) {
      try require(epochs >= 1 && epochs <= 1 << 20, "epochs must be in [1, 2^20], got \(epochs)")
      try require(
        minibatchSize >= 1 && minibatchSize <= 1 << 24, "minibatch size must be in [1, 2^24], got \(minibatchSize)")
      try require(learningRate.isFinite && learningRate > 0, "learning rate must be finite and > 0, got \(learningRate)")
      try require(weightDecay.isFinite && weightDecay >= 0, "weight decay must be finite and >= 0, got \(weightDecay)")
    }
  }

  /// Per-epoch statistics of one `fit`.
  public struct History: Sendable, Equatable {
    /// Weighted mean training loss of each epoch (over its minibatches,
    /// each evaluated before its step).
    public var loss: [Double] = []
    public var accuracy: [Double] = []
    /// Loss and accuracy on the held-out set after each epoch (empty without one).
    public var heldOutLoss: [Double] = []
    public var heldOutAccuracy: [Double] = []
  }

  public let config: Config
  public private(set) var optimizer: Adam
  public private(set) var rng: PCG64
  /// Checked before every minibatch of `fit`: a request stops the call
  /// with `.cancelled`, and the call changes nothing.
  public var cancellation: CancellationFlag?
  private let minibatches = Minibatches()
  private var gradient: [Double]
  private var dLogits: [Double] = []
  private var batchTargets: [Int32] = []
  private var batchMask: [UInt8] = []
  private var batchWeights: [Double] = []

  public init(parameterCount: Int, config: Config) throws(SwiftPGError) {
    try config.validate()
    try require(
      parameterCount >= 1 && parameterCount <= Limits.maxParameters,
      "parameter count must be in [1, \(Limits.maxParameters)], got \(parameterCount)")
    self.config = config
    optimizer = try Adam(parameterCount: parameterCount, learningRate: config.learningRate)
    rng = PCG64(seed: UInt128(config.seed))
    gradient = Array(repeating: 0, count: parameterCount)
  }

  /// Loss and accuracy of `model` on all of `labels` (minibatches of
  /// `chunk` rows; no gradient, nothing changes but the model's scratch).
  public func evaluate<M: SupervisedModel>(_ model: M, inputs: M.Inputs, labels: SupervisedLabels, chunk: Int = 1024)
    throws(SwiftPGError) -> SupervisedLoss.Result
  {
    let m = try checkData(model, inputs, labels)
    var index = [Int](repeating: 0, count: Swift.min(Swift.max(chunk, 1), m))
    var loss = 0.0, correct = 0.0, weight = 0.0
    var start = 0
    while start < m {
      let b = Swift.min(index.count, m - start)
      for r in 0..<b { index[r] = start + r }
      let r = try step(model, inputs, labels, rows: index, count: b, gradient: false)
      loss += r.loss * r.weightSum
      correct += r.accuracy * r.weightSum
      weight += r.weightSum
      start += b
    }
    return SupervisedLoss.Result(loss: loss / weight, accuracy: correct / weight, weightSum: weight)
  }

  /// Trains `model` for `config.epochs` epochs on (`inputs`, `labels`),
  /// evaluating (`heldOut` inputs and labels) after each epoch if given.
  /// All or nothing: on any error (invalid data, `.numerical`,
  /// `.cancelled`) the model's parameters, the optimiser and the shuffle
  /// stream are as they were before the call.
  public func fit<M: SupervisedModel>(
    _ model: M, inputs: M.Inputs, labels: SupervisedLabels, heldOut: (inputs: M.Inputs, labels: SupervisedLabels)? = nil
  ) throws(SwiftPGError) -> History {
    try require(
      model.parameterCount == gradient.count,
      "the trainer was made for \(gradient.count) parameters; the model has \(model.parameterCount)")
    let m = try checkData(model, inputs, labels)
    if let heldOut { _ = try checkData(model, heldOut.inputs, heldOut.labels) }
    let saved = (model.parameters, optimizer, rng)
    return try Self.rollingBack({
      try? model.setParameters(saved.0)
      (optimizer, rng) = (saved.1, saved.2)
    }) { () throws(SwiftPGError) in try fitEpochs(model, inputs, labels, heldOut, m) }
  }

  /// Runs `body`; if it throws, runs `restore` first, then rethrows.
  static func rollingBack<T>(_ restore: () -> Void, _ body: () throws(SwiftPGError) -> T) throws(SwiftPGError) -> T {
    do { return try body() } catch {
      restore()
      throw error
    }
  }

  private func fitEpochs<M: SupervisedModel>(
    _ model: M, _ inputs: M.Inputs, _ labels: SupervisedLabels,
    _ heldOut: (inputs: M.Inputs, labels: SupervisedLabels)?, _ m: Int
  ) throws(SwiftPGError) -> History {
    var history = History()
    var index = [Int](repeating: 0, count: Swift.min(config.minibatchSize, m))
    for _ in 0..<config.epochs {
      let order = try minibatches.shuffled(m, using: &rng)
      var loss = 0.0, correct = 0.0, weight = 0.0
      var start = 0
      while start < m {
        let b = Swift.min(index.count, m - start)
        for r in 0..<b { index[r] = order[start + r] }
        try cancellation?.check("supervised training")
        let r = try step(model, inputs, labels, rows: index, count: b, gradient: true)
        loss += r.loss * r.weightSum
        correct += r.accuracy * r.weightSum
        weight += r.weightSum
        start += b
      }
      // A minibatch whose weights are all zero contributes nothing.
      history.loss.append(weight > 0 ? loss / weight : 0)
      history.accuracy.append(weight > 0 ? correct / weight : 0)
      if let heldOut {
        let h = try evaluate(model, inputs: heldOut.inputs, labels: heldOut.labels)
        history.heldOutLoss.append(h.loss)
        history.heldOutAccuracy.append(h.accuracy)
      }
    }
    return history
  }

  private func checkData<M: SupervisedModel>(_ model: M, _ inputs: M.Inputs, _ labels: SupervisedLabels)
    throws(SwiftPGError) -> Int
  {
    try require(
      labels.actionCount == model.actionCount,
      "labels have \(labels.actionCount) actions; the model has \(model.actionCount)")
    let m = try model.exampleCount(inputs)
    try require(m == labels.count, "\(m) examples but \(labels.count) labels")
    return m
  }

  /// One minibatch: loss (and with `gradient`, an Adam step). A minibatch
  /// whose weights are all zero is skipped (weightSum 0).
  private func step<M: SupervisedModel>(
    _ model: M, _ inputs: M.Inputs, _ labels: SupervisedLabels, rows: [Int], count b: Int, gradient doStep: Bool
  ) throws(SwiftPGError) -> SupervisedLoss.Result {
    let a = labels.actionCount
    if batchTargets.count < b { batchTargets = Array(repeating: 0, count: b) }
    if batchWeights.count < b { batchWeights = Array(repeating: 1, count: b) }
    if dLogits.count < b * a { dLogits = Array(repeating: 0, count: b * a) }
    // Tight gathers (no per-element checks beyond the index's): the rows
    // are scattered over the data set, and their loads overlap only in a
    // loop without other work.
    var w = 0.0
    let m = labels.targets.count
    try require(m > 0, "no labels")
    let inRange = rows.withUnsafeBufferPointer { rb in
      labels.targets.withUnsafeBufferPointer { tb in
        batchTargets.withUnsafeMutableBufferPointer { ob in
          var ok = true
          for r in 0..<b {
            let k = rb[r]
            ok = ok && k >= 0 && k < m
            ob[r] = tb[Swift.min(Swift.max(k, 0), m - 1)]
          }
          return ok
        }
      }
    }
    try require(inRange, "an example index is outside 0..<\(m)")
    if let weights = labels.weights {
      for r in 0..<b {
        batchWeights[r] = weights[rows[r]]
        w += batchWeights[r]
      }
    } else {
      for r in 0..<b { batchWeights[r] = 1 }
      w = Double(b)
    }
    if w == 0 { return SupervisedLoss.Result(loss: 0, accuracy: 0, weightSum: 0) }
    if let mask = labels.mask {
      if batchMask.count < b * a { batchMask = Array(repeating: 1, count: b * a) }
      for r in 0..<b {
        for j in 0..<a { batchMask[r * a + j] = mask[rows[r] * a + j] }
      }
    }
    let logits = try rows.withUnsafeBufferPointer { (p) throws(SwiftPGError) -> UnsafePointer<Double> in
      try model.forward(inputs, rows: UnsafeBufferPointer(rebasing: p[0..<b]))
    }
    let hasMask = labels.mask != nil
    let weighted = labels.weights != nil
    let result = try batchTargets.withUnsafeBufferPointer { (tb) throws(SwiftPGError) -> SupervisedLoss.Result in
      try batchMask.withUnsafeBufferPointer { (mb) throws(SwiftPGError) -> SupervisedLoss.Result in
        try batchWeights.withUnsafeBufferPointer { (wb) throws(SwiftPGError) -> SupervisedLoss.Result in
          try dLogits.withUnsafeMutableBufferPointer { (db) throws(SwiftPGError) -> SupervisedLoss.Result in
            guard let t = tb.baseAddress else { throw SwiftPGError.invalid("the batch is empty") }
            return try SupervisedLoss.maskedCrossEntropy(
              logits: logits, mask: hasMask ? mb.baseAddress : nil, targets: t,
              weights: weighted ? wb.baseAddress : nil, batch: b, actions: a,
              dLogits: doStep ? db.baseAddress : nil)
          }
        }
      }
    }
    guard doStep else { return result }
    for i in gradient.indices { gradient[i] = 0 }
    dLogits.withUnsafeBufferPointer { db in
      gradient.withUnsafeMutableBufferPointer { gb in
        if let d = db.baseAddress, let g = gb.baseAddress { model.backward(d, into: g) }
      }
    }
    var params = model.parameters
    try Self.descend(&params, gradient: &gradient, weightDecay: config.weightDecay, optimizer: &optimizer, what: "the model")
    try model.setParameters(params)
    return result
  }

  /// g += λθ; refuse non-finite g; Adam descent step on a copy; refuse a
  /// non-finite result; then commit (`optimizer` and `params` change only
  /// on success). Shared with `RewardModel.fit`.
  static func descend(
    _ params: inout [Double], gradient: inout [Double], weightDecay: Double, optimizer: inout Adam, what: String
  ) throws(SwiftPGError) {
    if weightDecay > 0 { for i in gradient.indices { gradient[i] += weightDecay * params[i] } }
    guard gradient.allFinite else { throw SwiftPGError(.numerical, "the gradient of \(what) is not finite") }
    guard Adam.acceptsGradient(gradient) else {
      throw SwiftPGError(
        .numerical, "the gradient of \(what) overflows Adam's second moment (a component beyond 1.3e154)")
    }
    // The step is proposed beside the state (Adam keeps the proposed moments
    // in its scratch), checked, then committed: no copy of the moments.
    let n = params.count
    guard gradient.count == n && optimizer.m.count == n else {
      throw SwiftPGError(
        .internalError, "\(what): \(n) parameters, \(gradient.count) gradients, Adam over \(optimizer.m.count)")
    }
    var next = [Double](unsafeUninitializedCapacity: n) { (out, initialized) in
      params.withUnsafeBufferPointer { p in
        gradient.withUnsafeBufferPointer { g in
          if let pp = p.baseAddress, let gp = g.baseAddress, let o = out.baseAddress {
            optimizer.propose(pp, gradient: gp, count: n, ascend: false, learningRate: optimizer.learningRate, into: o)
          }
        }
      }
      initialized = n
    }
    guard next.allFinite else { throw SwiftPGError(.numerical, "the updated parameters of \(what) are not finite") }
    optimizer.commit(learningRate: optimizer.learningRate)
    swap(&params, &next)
  }
}
