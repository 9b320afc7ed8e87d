/// Comparison data: N pairs (x, y_w, y_l) of a prompt id, the chosen
/// response and the rejected one (token rows `[N, L]` and lengths `[N]`
/// each), with optional pair weights `[N]` (≥ 0, positive sum). Validated
/// once: token ids, lengths and EOS placement (`SequenceSpace`), prompt ids.
public struct PreferencePairs: Sendable {
  public let space: SequenceSpace
  public let prompts: [Int32]
  public let chosenTokens: [Int32]
  public let chosenLengths: [Int32]
  public let rejectedTokens: [Int32]
  public let rejectedLengths: [Int32]
  /// The pair weights, scaled by a power of two (exactly) so the largest
  /// is in [1, 2): only their ratios matter, and sums never overflow.
  public let weights: [Double]?

  public init(
    space: SequenceSpace, promptCount: Int, prompts: [Int32], chosenTokens: [Int32], chosenLengths: [Int32],
    rejectedTokens: [Int32], rejectedLengths: [Int32], weights: [Double]? = nil
  ) throws(SwiftPGError) {
    let n = prompts.count
    try require(n > 0, "the comparison set is empty")
    try require(
      chosenLengths.count == n && rejectedLengths.count == n,
      "chosen and rejected lengths must have \(n) entries (one per pair), got \(chosenLengths.count) and"
        + " \(rejectedLengths.count)")
    // Both sides are checked as response batches of the space.
    _ = try SequenceExamples(
      space: space, promptCount: promptCount, prompts: prompts, tokens: chosenTokens, lengths: chosenLengths)
    _ = try SequenceExamples(
      space: space, promptCount: promptCount, prompts: prompts, tokens: rejectedTokens, lengths: rejectedLengths)
    let scaled = try weights.map { (w) throws(SwiftPGError) in try PreferenceLosses.scaledWeights(w, count: n) }
    self.space = space
    self.prompts = prompts
    self.chosenTokens = chosenTokens
    self.chosenLengths = chosenLengths
    self.rejectedTokens = rejectedTokens
    self.rejectedLengths = rejectedLengths
    self.weights = scaled
  }

  public var count: Int { prompts.count }

  /// Pairs `rows` as one batch of 2·|rows| responses: the chosen ones first,
  /// then the rejected ones in the same order.
  func stacked(_ rows: ArraySlice<Int>) -> (prompts: [Int32], tokens: [Int32], lengths: [Int32]) {
    let l = space.maxLength
    var p: [Int32] = [], t: [Int32] = [], n: [Int32] = []
    p.reserveCapacity(2 * rows.count)
    t.reserveCapacity(2 * rows.count * l)
    n.reserveCapacity(2 * rows.count)
    for (tokens, lengths) in [(chosenTokens, chosenLengths), (rejectedTokens, rejectedLengths)] {
      for r in rows {
        p.append(prompts[r])
        t.append(contentsOf: tokens[(r * l)..<((r + 1) * l)])
        n.append(lengths[r])
      }
    }
    return (p, t, n)
  }
}

/// Direct preference optimisation on comparison data, offline: DPO
/// (Rafailov et al. 2023) or IPO (Azar et al. 2023) — the losses and their
/// derivatives are `PreferenceLosses.dpo` / `.ipo`, on per-sequence log-prob
/// sums log π(y|x) = Σ_t log π(y_t | x, y_<t) over the response's generated
/// positions (EOS included), against a frozen reference policy.
///
/// Each minibatch: log π of its chosen and rejected responses in one
/// teacher-forced pass, the loss's derivatives d_w, d_l per pair, the
/// gradient Σ_n d_w ∇log π(y_w) + d_l ∇log π(y_l) (one score-gradient pass
/// with per-sequence weights) and an Adam descent step (refused, nothing
/// changed, if anything is not finite). The reference log-probabilities
/// are computed once per `fit`.
public final class DPO {
  public enum Loss: Int32, Sendable {
    /// −log σ(β h) (with label smoothing ε: the conservative variant).
    case dpo = 0
    /// (h − 1/(2β))², IPO with τ = β.
    case ipo = 1
  }

  /// The loss and its coefficients, and the shared trainer's settings
  /// (`config.epochs` etc. read through to `training`; its weight decay
  /// is unused).
  @dynamicMemberLookup
  public struct Config: Sendable {
    public var loss = Loss.dpo
    /// β of DPO (the KL coefficient of the implicit objective) or τ of IPO; > 0.
    public var beta = 0.1
    /// DPO only: probability ε ∈ [0, ½) that a label is flipped.
    public var labelSmoothing = 0.0
    /// 1 epoch, 64 pairs per Adam step, learning rate 0.01, seed 0.
    public var training = SupervisedTrainer.Config(epochs: 1, minibatchSize: 64, learningRate: 0.01)
    public init() {}

    public subscript<T>(dynamicMember field: WritableKeyPath<SupervisedTrainer.Config, T>) -> T {
      get { training[keyPath: field] }
      set { training[keyPath: field] = newValue }
    }

    func validate() throws(SwiftPGError) {
      try require(beta.isFinite && beta > 0, "beta must be finite and > 0, got \(beta)")
      try require(
        labelSmoothing.isFinite && labelSmoothing >= 0 && labelSmoothing < 0.5,
        "label_smoothing must be in [0, 0.5), got \(labelSmoothing)")
      try require(loss == .dpo || labelSmoothing == 0, "label_smoothing applies to the DPO loss only")
      try training.validate()
    }
  }


  public let policy: SequencePolicy
  public let reference: SequencePolicy
  public let config: Config
  public private(set) var optimizer: Adam
  public private(set) var rng: PCG64
  /// Checked before every minibatch of `fit`: a request stops the call
  /// with `.cancelled`, and the call changes nothing.
  public var cancellation: CancellationFlag?
  private let minibatches = Minibatches()

  /// `reference` is the frozen policy of the KL term (e.g.
  /// `sft.frozenCopy()`); it must be another object over the same space and
  /// prompts.
  public init(policy: SequencePolicy, reference: SequencePolicy, config: Config = Config()) throws(SwiftPGError) {
    try config.validate()
    try policy.requireFrozenReference(reference)
    self.policy = policy
    self.reference = reference
    self.config = config
    optimizer = try Adam(parameterCount: policy.parameterCount, learningRate: config.learningRate)
    rng = PCG64(seed: UInt128(config.seed))
  }

  private func checkPairs(_ pairs: PreferencePairs) throws(SwiftPGError) {
    try require(pairs.space == policy.space, "the pairs are over \(pairs.space); the policy over \(policy.space)")
    for (i, x) in pairs.prompts.enumerated() where Int(x) >= policy.promptCount {
      throw SwiftPGError(.outOfRange, "prompts[\(i)] = \(x) is outside the policy's 0..<\(policy.promptCount)")
    }
  }

  /// log π_ref of every pair's chosen and rejected response (`[2N]`, chosen first).
  private func referenceLogProbabilities(_ pairs: PreferencePairs) throws(SwiftPGError) -> [Double] {
    let s = pairs.stacked(ArraySlice(0..<pairs.count))
    return try reference.sequenceLogProbabilities(prompts: s.prompts, tokens: s.tokens, lengths: s.lengths)
  }

  /// The loss on pairs `rows` and its gradient Σ d_w ∇log π(y_w) +
  /// d_l ∇log π(y_l), with the reference's log-probabilities `ref` (`[2N]`).
  func lossAndGradient(_ pairs: PreferencePairs, rows: ArraySlice<Int>, ref: [Double]) throws(SwiftPGError)
    -> (PreferenceLosses.DirectResult, [Double])
  {
    let s = pairs.stacked(rows)
    let lp = try policy.sequenceLogProbabilities(prompts: s.prompts, tokens: s.tokens, lengths: s.lengths)
    let b = rows.count
    let n = pairs.count
    let pc = Array(lp[0..<b]), pr = Array(lp[b..<(2 * b)])
    let rc = rows.map { ref[$0] }, rr = rows.map { ref[n + $0] }
    let w = pairs.weights.map { weights in rows.map { weights[$0] } }
    var dChosen: [Double] = [], dRejected: [Double] = []
    let result =
      switch config.loss {
      case .dpo:
        try PreferenceLosses.dpo(
          policyChosen: pc, policyRejected: pr, referenceChosen: rc, referenceRejected: rr, beta: config.beta,
          labelSmoothing: config.labelSmoothing, weights: w, dPolicyChosen: &dChosen, dPolicyRejected: &dRejected)
      case .ipo:
        try PreferenceLosses.ipo(
          policyChosen: pc, policyRejected: pr, referenceChosen: rc, referenceRejected: rr, tau: config.beta,
          weights: w, dPolicyChosen: &dChosen, dPolicyRejected: &dRejected)
      }
    let gradient = try policy.scoreGradient(
      prompts: s.prompts, tokens: s.tokens, lengths: s.lengths, sequenceWeights: dChosen + dRejected)
    return (result, gradient)
  }

  /// Trains for `config.epochs` epochs on `pairs` and returns, per epoch,
  /// the means over its minibatches (each measured before its step,
  /// weighted by the minibatches' pair weights) of the loss and the
  /// implicit-reward statistics. All or nothing: on invalid data, a
  /// non-finite loss, gradient or update (`.numerical`) or a cancellation
  /// the policy, the optimiser and the shuffle stream are as they were
  /// before the call.
  public func fit(_ pairs: PreferencePairs) throws(SwiftPGError) -> [PreferenceLosses.DirectResult] {
    try checkPairs(pairs)
    let saved = (policy.parameters, optimizer, rng)
    return try SupervisedTrainer.rollingBack({
      try? policy.setParameters(saved.0)
      (optimizer, rng) = (saved.1, saved.2)
    }) { () throws(SwiftPGError) in try fitEpochs(pairs) }
  }

  private func fitEpochs(_ pairs: PreferencePairs) throws(SwiftPGError) -> [PreferenceLosses.DirectResult] {
    let ref = try referenceLogProbabilities(pairs)
    var history: [PreferenceLosses.DirectResult] = []
    let n = pairs.count
    let size = Swift.min(config.minibatchSize, n)
    for _ in 0..<config.epochs {
      let order = try minibatches.shuffled(n, using: &rng)
      var mean = PreferenceLosses.DirectResult(
        loss: 0, chosenReward: 0, rejectedReward: 0, rewardAccuracy: 0, rewardMargin: 0)
      var total = 0.0
      var start = 0
      while start < n {
        let b = Swift.min(size, n - start)
        let rows = ArraySlice((0..<b).map { order[start + $0] })
        let weight = pairs.weights.map { w in rows.reduce(0) { $0 + w[$1] } } ?? Double(b)
        start += b
        if weight == 0 { continue }
        try cancellation?.check("DPO training")
        var (r, gradient) = try lossAndGradient(pairs, rows: rows, ref: ref)
        mean.accumulate(r, weight: weight)
        total += weight
        var params = policy.parameters
        try SupervisedTrainer.descend(
          &params, gradient: &gradient, weightDecay: 0, optimizer: &optimizer, what: "the policy")
        try policy.setParameters(params)
      }
      mean.scale(by: total > 0 ? 1 / total : 0)
      history.append(mean)
    }
    return history
  }

  /// Loss and implicit-reward statistics of the current policy on all of
  /// `pairs` (no step).
  public func evaluate(_ pairs: PreferencePairs) throws(SwiftPGError) -> PreferenceLosses.DirectResult {
    try checkPairs(pairs)
    let ref = try referenceLogProbabilities(pairs)
    return try lossAndGradient(pairs, rows: ArraySlice(0..<pairs.count), ref: ref).0
  }
}

extension SequencePolicy {
  /// Refuses a reference (of DPO, of the online learners) that is this
  /// policy itself or over another space or prompts.
  func requireFrozenReference(_ reference: SequencePolicy) throws(SwiftPGError) {
    try require(self !== reference, "the reference must be a frozen copy (e.g. frozenCopy()), not the policy itself")
    try requireSameSpace("the reference", reference.space, reference.promptCount)
  }

  /// Refuses an object (`what`: "the task", ...) over another space or number of prompts.
  func requireSameSpace(_ what: String, _ otherSpace: SequenceSpace, _ otherPrompts: Int) throws(SwiftPGError) {
    try require(
      otherSpace == space && otherPrompts == promptCount,
      "\(what) is over \(otherSpace) with \(otherPrompts) prompts; the policy over \(space) with \(promptCount)")
  }
}
