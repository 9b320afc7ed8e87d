/// The teacher-forced examples of a batch of responses, for supervised
/// fine-tuning: one example per generated position (b, t) with t < length_b,
/// whose input is the context (x_b, y_b,<t) and whose target is y_bt — the
/// EOS of an ended response included, so the policy learns to stop. The
/// positions come from the lengths, never from token values.
public struct SequenceExamples: Sendable {
  public let space: SequenceSpace
  /// Prompt ids `[B]`, token rows `[B, L]`, lengths `[B]` (validated).
  public let prompts: [Int32]
  public let tokens: [Int32]
  public let lengths: [Int32]
  /// Example k is position `positionOf[k]` of row `rowOf[k]`.
  public let rowOf: [Int32]
  public let positionOf: [Int32]

  /// Checks the batch against `space` and the prompt count (throws, naming
  /// the first bad row) and lists its positions.
  public init(space: SequenceSpace, promptCount: Int, prompts: [Int32], tokens: [Int32], lengths: [Int32])
    throws(SwiftPGError)
  {
    let b = lengths.count
    try require(prompts.count == b, "prompts must have \(b) entries (one per response), got \(prompts.count)")
    let cells = try checkedProduct(b, space.maxLength, "responses × max_length")
    try require(tokens.count == cells, "tokens must have \(b) × \(space.maxLength) entries, got \(tokens.count)")
    for (i, x) in prompts.enumerated() where x < 0 || Int(x) >= promptCount {
      throw SwiftPGError(.outOfRange, "prompts[\(i)] = \(x) is outside 0..<\(promptCount)")
    }
    try tokens.withUnsafeBufferPointer { (t) throws(SwiftPGError) in
      try lengths.withUnsafeBufferPointer { (n) throws(SwiftPGError) in
        guard let tp = t.baseAddress, let np = n.baseAddress else { return }
        try space.validate(tokens: tp, lengths: np, batch: b)
      }
    }
    (rowOf, positionOf) = SequenceSpace.positions(lengths: lengths)
    self.space = space
    self.prompts = prompts
    self.tokens = tokens
    self.lengths = lengths
  }

  /// The number of examples, Σ lengths.
  public var count: Int { rowOf.count }

  /// The targets y_bt of every example (all tokens legal: no mask).
  public var labels: SupervisedLabels {
    get throws(SwiftPGError) {
      let l = space.maxLength
      let targets = rowOf.indices.map { tokens[Int(rowOf[$0]) * l + Int(positionOf[$0])] }
      return try SupervisedLabels(targets: targets, actionCount: space.tokenCount)
    }
  }
}

/// A sequence policy is a supervised model of its next-token targets: the
/// shared `SupervisedTrainer` fits it by masked cross-entropy exactly as it
/// fits the self-play issue's move policy on feature rows.
extension SequencePolicy: SupervisedModel {
  public typealias Inputs = SequenceExamples

  public var actionCount: Int { space.tokenCount }

  public func exampleCount(_ inputs: SequenceExamples) throws(SwiftPGError) -> Int {
    try require(inputs.space == space, "the examples are over \(inputs.space); the policy over \(space)")
    for (i, x) in inputs.prompts.enumerated() where Int(x) >= promptCount {
      throw SwiftPGError(.outOfRange, "prompts[\(i)] = \(x) is outside the policy's 0..<\(promptCount)")
    }
    return inputs.count
  }

  public func forward(_ inputs: SequenceExamples, rows: UnsafeBufferPointer<Int>) throws(SwiftPGError)
    -> UnsafePointer<Double>
  {
    let m = rows.count
    guard m > 0 else { throw SwiftPGError.invalid("a minibatch of sequence examples is empty") }
    // One buffer for the three index arrays, filled by tight loops: the
    // examples are scattered over the data set, and their loads overlap
    // only without other work in the loop.
    let buffer = UnsafeMutablePointer<Int32>.allocate(capacity: 3 * m)
    defer { buffer.deallocate() }
    let prompts = buffer, rowIndex = buffer + m, positions = buffer + 2 * m
    let n = inputs.count
    try require(n > 0, "example index \(rows[0]) outside 0..<0")
    var inRange = true
    inputs.rowOf.withUnsafeBufferPointer { rowOf in
      inputs.positionOf.withUnsafeBufferPointer { positionOf in
        for i in 0..<m {
          let k = rows[i]
          inRange = inRange && k >= 0 && k < n
          let kk = Swift.min(Swift.max(k, 0), n - 1)
          rowIndex[i] = rowOf[kk]
          positions[i] = positionOf[kk]
        }
      }
    }
    if !inRange, let k = rows.first(where: { $0 < 0 || $0 >= n }) {
      throw SwiftPGError(.invalidArgument, "example index \(k) outside 0..<\(n)")
    }
    inputs.prompts.withUnsafeBufferPointer { pb in
      for i in 0..<m { prompts[i] = pb[Int(rowIndex[i])] }
    }
    let out: UnsafePointer<Double>? = inputs.tokens.withUnsafeBufferPointer { y in
      y.baseAddress.map {
        model.forward(prompts: prompts, tokens: $0, rows: rowIndex, positions: positions, count: m)
      }
    }
    guard let out else { throw SwiftPGError.invalid("a minibatch of sequence examples is empty") }
    return out
  }

  public func backward(_ dLogits: UnsafePointer<Double>, into gradient: UnsafeMutablePointer<Double>) {
    model.backward(dLogits, into: gradient)
  }
}

/// Supervised fine-tuning (SFT), the first step of RLHF (Stiennon et al.
/// 2020; Ouyang et al. 2022 §3.5): maximum likelihood with teacher forcing,
/// minimising the mean per-token cross-entropy −(1/N) Σ_{b,t} log π(y_bt |
/// x_b, y_b,<t) over the N generated positions of the demonstrations (EOS
/// included) by Adam on shuffled minibatches of positions — the shared
/// `SupervisedTrainer`. Statistics are per token: cross-entropy (nats) and
/// greedy next-token accuracy.
public final class SFT {
  public let policy: SequencePolicy
  public let trainer: SupervisedTrainer

  /// Defaults: 10 epochs, minibatches of 256 positions, Adam lr 0.01.
  public static var defaultConfig: SupervisedTrainer.Config {
    SupervisedTrainer.Config(epochs: 10, minibatchSize: 256, learningRate: 0.01)
  }

  public init(policy: SequencePolicy, config: SupervisedTrainer.Config = SFT.defaultConfig) throws(SwiftPGError) {
    self.policy = policy
    trainer = try SupervisedTrainer(parameterCount: policy.parameterCount, config: config)
  }

  /// Trains on the demonstrations (prompt ids `[B]`, tokens `[B, L]`,
  /// lengths `[B]`), evaluating `heldOut` after each epoch when given.
  /// Throws before any change on invalid data.
  public func fit(_ demonstrations: SequenceExamples, heldOut: SequenceExamples? = nil) throws(SwiftPGError)
    -> SupervisedTrainer.History
  {
    try require(demonstrations.count > 0, "the demonstrations are empty")
    let held: (inputs: SequenceExamples, labels: SupervisedLabels)? =
      if let heldOut { (heldOut, try heldOut.labels) } else { nil }
    return try trainer.fit(policy, inputs: demonstrations, labels: try demonstrations.labels, heldOut: held)
  }

  /// Per-token cross-entropy and accuracy of the policy on `examples`.
  public func evaluate(_ examples: SequenceExamples) throws(SwiftPGError) -> SupervisedLoss.Result {
    try require(examples.count > 0, "the examples are empty")
    return try trainer.evaluate(policy, inputs: examples, labels: try examples.labels)
  }
}
