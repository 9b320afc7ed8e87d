/// A policy network over board planes: π(a|s) = softmax over the legal
/// actions of the trunk's logits, illegal actions masked out (probability
/// exactly 0; a position with one legal action gives it probability 1).
/// The SL and RL policy networks of AlphaGo (Silver et al. 2016) and the
/// prior of PUCT search (`PUCTSearch`).
///
/// Inputs are the games' network planes `[N, C, H, W]` (`writePlanes`,
/// from the mover's perspective) and legal masks `[N, A]` (1 legal, 0 not).
/// The score ∇θ log π(a|s) = ∂/∂θ of z_a − log Σ_{b legal} e^{z_b}, so its
/// logit gradient is onehot(a) − π(·|s) on the legal actions and 0 on the
/// illegal ones.
public final class BoardPolicyNetwork {
  public let trunk: any BoardTrunk
  public let planeCount: Int
  public let boardHeight: Int
  public let boardWidth: Int
  /// A, the number of actions (the trunk's outputs).
  public let actionCount: Int
  private var dLogits: [Double] = []
  /// The gathered planes of a supervised minibatch (`ExpertMoves.swift`).
  var gathered: [Double] = []

  /// - Throws: `.invalidArgument` unless the trunk reads C·H·W inputs and
  ///   writes `actionCount` outputs.
  public init(trunk: any BoardTrunk, planeCount: Int, boardHeight: Int, boardWidth: Int, actionCount: Int)
    throws(SwiftPGError)
  {
    try require(planeCount >= 1 && boardHeight >= 1 && boardWidth >= 1, "the planes must have positive sizes")
    try require(
      trunk.inputSize == planeCount * boardHeight * boardWidth,
      "the trunk reads \(trunk.inputSize) inputs, the planes have \(planeCount) × \(boardHeight) × \(boardWidth)")
    try require(
      actionCount >= 1 && trunk.outputSize == actionCount,
      "the trunk writes \(trunk.outputSize) outputs for \(actionCount) actions")
    self.trunk = trunk
    self.planeCount = planeCount
    self.boardHeight = boardHeight
    self.boardWidth = boardWidth
    self.actionCount = actionCount
  }

  public var inputSize: Int { trunk.inputSize }
  public var parameterCount: Int { trunk.parameterCount }
  public var parameters: [Double] { trunk.parameters }
  public func setParameters(_ values: [Double]) throws(SwiftPGError) { try trunk.setParameters(values) }

  /// π(·|s) of each position: `probabilities` `[batch, A]`, 0 on illegal
  /// actions, each row summing to 1.
  /// - Throws: `.invalidArgument` for a batch < 0, a mask value other than
  ///   0 / 1 or a row with no legal action; `.tooLarge` for a batch whose
  ///   workspace exceeds `Limits.maxScratchElements`; `.notFinite` for a
  ///   non-finite plane value. Nothing is written then.
  public func probabilities(
    planes: UnsafePointer<Double>, masks: UnsafePointer<UInt8>, batch: Int,
    into probabilities: UnsafeMutablePointer<Double>
  ) throws(SwiftPGError) {
    try check(planes: planes, masks: masks, batch: batch)
    let logits = trunk.forward(planes, batch: batch)
    for i in 0..<batch {
      maskedSoftmax(logits + i * actionCount, masks + i * actionCount, into: probabilities + i * actionCount)
    }
  }

  /// Adds Σᵢ wᵢ ∇θ log π(aᵢ|sᵢ) to `gradient` (`parameterCount` values)
  /// and writes log π(aᵢ|sᵢ) to `logProbabilities` [batch] when given;
  /// `weights` nil means every wᵢ = 1 (the log-likelihood of the batch: the
  /// supervised step; with wᵢ = Gᵢ it is REINFORCE's gradient).
  /// - Returns: Σᵢ wᵢ log π(aᵢ|sᵢ).
  /// - Throws: as `probabilities`; `.invalidArgument` for an action outside
  ///   `0..<A` or illegal in its position, or a non-finite weight.
  public func addScoreGradient(
    planes: UnsafePointer<Double>, masks: UnsafePointer<UInt8>, actions: UnsafePointer<Int32>,
    weights: UnsafePointer<Double>?, batch: Int, logProbabilities: UnsafeMutablePointer<Double>? = nil,
    into gradient: UnsafeMutablePointer<Double>
  ) throws(SwiftPGError) -> Double {
    try check(planes: planes, masks: masks, batch: batch)
    for i in 0..<batch {
      let a = Int(actions[i])
      try require(a >= 0 && a < actionCount, "actions[\(i)] is \(a), outside 0..<\(actionCount)", code: .outOfRange)
      try require(masks[i * actionCount + a] == 1, "actions[\(i)] = \(a) is illegal in position \(i)")
      if let weights { try require(weights[i].isFinite, "weights[\(i)] is \(weights[i])", code: .notFinite) }
    }
    guard batch > 0 else { return 0 }
    let logits = trunk.forward(planes, batch: batch)
    if dLogits.count < batch * actionCount { dLogits = Array(repeating: 0, count: batch * actionCount) }
    var total = 0.0
    dLogits.withUnsafeMutableBufferPointer { db in
      guard let d = db.baseAddress else { return }
      for i in 0..<batch {
        let row = d + i * actionCount
        maskedSoftmax(logits + i * actionCount, masks + i * actionCount, into: row)
        let a = Int(actions[i])
        let w = weights?[i] ?? 1
        let logP = Swift.max(_log(row[a]), -Double.greatestFiniteMagnitude)
        logProbabilities?[i] = logP
        total += w * logP
        for b in 0..<actionCount { row[b] = -w * row[b] }
        row[a] += w
      }
      trunk.backward(d, into: gradient)
    }
    return total
  }

  /// Adds ∇θ Σᵢ −Σₐ πᵢ(a) log π(a|sᵢ) to `gradient` — the cross-entropy
  /// to target distributions, AlphaZero's policy loss with MCTS visit
  /// distributions as targets (Silver et al. 2017) — whose logit gradient
  /// is π(·|sᵢ) − πᵢ on the legal actions (targets summing to 1).
  /// - Parameter targets: `[batch, A]`, each row a distribution over its
  ///   legal actions (finite, ≥ 0, 0 on illegal actions, summing to 1
  ///   within 1e-6).
  /// - Returns: the loss Σᵢ −Σₐ πᵢ(a) log π(a|sᵢ).
  /// - Throws: as `probabilities`; `.invalidArgument` for a target row that
  ///   is not such a distribution.
  public func addCrossEntropyGradient(
    planes: UnsafePointer<Double>, masks: UnsafePointer<UInt8>, targets: UnsafePointer<Double>, batch: Int,
    into gradient: UnsafeMutablePointer<Double>
  ) throws(SwiftPGError) -> Double {
    try check(planes: planes, masks: masks, batch: batch)
    for i in 0..<batch {
      var sum = 0.0
      for b in 0..<actionCount {
        let t = targets[i * actionCount + b]
        try require(t.isFinite && t >= 0, "targets[\(i), \(b)] is \(t); targets must be finite and >= 0")
        try require(t == 0 || masks[i * actionCount + b] == 1, "targets[\(i), \(b)] is \(t) on an illegal action")
        sum += t
      }
      try require(abs(sum - 1) <= 1e-6, "target row \(i) sums to \(sum), not 1")
    }
    guard batch > 0 else { return 0 }
    let logits = trunk.forward(planes, batch: batch)
    if dLogits.count < batch * actionCount { dLogits = Array(repeating: 0, count: batch * actionCount) }
    var loss = 0.0
    dLogits.withUnsafeMutableBufferPointer { db in
      guard let d = db.baseAddress else { return }
      for i in 0..<batch {
        let row = d + i * actionCount
        maskedSoftmax(logits + i * actionCount, masks + i * actionCount, into: row)
        for b in 0..<actionCount {
          let t = targets[i * actionCount + b]
          if t > 0 { loss -= t * Swift.max(_log(row[b]), -Double.greatestFiniteMagnitude) }
          row[b] -= t
        }
      }
      trunk.backward(d, into: gradient)
    }
    return loss
  }

  /// Refuses a bad batch, mask or plane value (see `probabilities`).
  private func check(planes: UnsafePointer<Double>, masks: UnsafePointer<UInt8>, batch: Int) throws(SwiftPGError) {
    try trunk.checkBatch(batch)
    for i in 0..<batch {
      var legal = 0
      for b in 0..<actionCount {
        let m = masks[i * actionCount + b]
        try require(m <= 1, "masks[\(i), \(b)] is \(m); mask values are 0 or 1")
        legal += Int(m)
      }
      try require(legal > 0, "position \(i) has no legal action")
    }
    let n = batch * inputSize
    for j in 0..<n where !planes[j].isFinite {
      throw SwiftPGError(.notFinite, "planes[\(j / inputSize)] has the non-finite value \(planes[j])")
    }
  }
}

/// Softmax of `logits` over the entries with `mask` 1 (at least one),
/// 0 elsewhere: exp(z − max) / Σ exp(z − max) over the legal entries.
func maskedSoftmax(
  _ logits: UnsafePointer<Double>, _ mask: UnsafePointer<UInt8>, into out: UnsafeMutablePointer<Double>,
  count: Int
) {
  var top = -Double.infinity
  for b in 0..<count where mask[b] == 1 { top = Swift.max(top, logits[b]) }
  var sum = 0.0
  for b in 0..<count {
    let e = mask[b] == 1 ? _exp(logits[b] - top) : 0
    out[b] = e
    sum += e
  }
  let inv = 1 / sum
  for b in 0..<count { out[b] *= inv }
}

extension BoardPolicyNetwork {
  fileprivate func maskedSoftmax(
    _ logits: UnsafePointer<Double>, _ mask: UnsafePointer<UInt8>, into out: UnsafeMutablePointer<Double>
  ) {
    SwiftPG.maskedSoftmax(logits, mask, into: out, count: actionCount)
  }
}
