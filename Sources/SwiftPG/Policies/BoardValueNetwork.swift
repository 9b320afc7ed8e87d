/// A value network over board planes: V(s) = tanh(z(s)) ∈ [−1, 1], the
/// expected outcome (+1 win, −1 loss, 0 draw) for the player to move in s
/// (the planes are from the mover's perspective). AlphaGo's value network
/// (Silver et al. 2016), fitted by regression on self-play outcomes, and
/// the leaf evaluation of PUCT search (`PUCTSearch`).
///
/// The loss of a batch is Σᵢ wᵢ · ½ (V(sᵢ) − Gᵢ)²; its gradient w.r.t. the
/// trunk's output is wᵢ (Vᵢ − Gᵢ)(1 − Vᵢ²).
public final class BoardValueNetwork {
  public let trunk: any BoardTrunk
  public let planeCount: Int
  public let boardHeight: Int
  public let boardWidth: Int
  private var dOutputs: [Double] = []

  /// - Throws: `.invalidArgument` unless the trunk reads C·H·W inputs and
  ///   writes one output.
  public init(trunk: any BoardTrunk, planeCount: Int, boardHeight: Int, boardWidth: Int) throws(SwiftPGError) {
    try require(planeCount >= 1 && boardHeight >= 1 && boardWidth >= 1, "the planes must have positive sizes")
    try require(
      trunk.inputSize == planeCount * boardHeight * boardWidth,
      "the trunk reads \(trunk.inputSize) inputs, the planes have \(planeCount) × \(boardHeight) × \(boardWidth)")
    try require(trunk.outputSize == 1, "a value network's trunk writes 1 output, this one \(trunk.outputSize)")
    self.trunk = trunk
    self.planeCount = planeCount
    self.boardHeight = boardHeight
    self.boardWidth = boardWidth
  }

  public var inputSize: Int { trunk.inputSize }
  public var parameterCount: Int { trunk.parameterCount }
  public var parameters: [Double] { trunk.parameters }
  public func setParameters(_ values: [Double]) throws(SwiftPGError) { try trunk.setParameters(values) }

  /// V(sᵢ) of each position into `values` [batch].
  /// - Throws: `.invalidArgument` for a batch < 0, `.tooLarge` for a batch
  ///   whose workspace exceeds `Limits.maxScratchElements`, `.notFinite`
  ///   for a non-finite plane value (nothing written then).
  public func values(planes: UnsafePointer<Double>, batch: Int, into values: UnsafeMutablePointer<Double>)
    throws(SwiftPGError)
  {
    try check(planes: planes, batch: batch)
    let z = trunk.forward(planes, batch: batch)
    for i in 0..<batch { values[i] = FastMath.tanh(z[i]) }
  }

  /// Adds ∇θ Σᵢ wᵢ · ½ (V(sᵢ) − Gᵢ)² to `gradient` (`parameterCount`
  /// values); `weights` nil means every wᵢ = 1; writes V(sᵢ) to `values`
  /// when given.
  /// - Returns: the loss Σᵢ wᵢ · ½ (V(sᵢ) − Gᵢ)².
  /// - Throws: as `values`; `.notFinite` for a non-finite target or weight.
  public func addLossGradient(
    planes: UnsafePointer<Double>, targets: UnsafePointer<Double>, weights: UnsafePointer<Double>?, batch: Int,
    values: UnsafeMutablePointer<Double>? = nil, into gradient: UnsafeMutablePointer<Double>
  ) throws(SwiftPGError) -> Double {
    try check(planes: planes, batch: batch)
    for i in 0..<batch {
      try require(targets[i].isFinite, "targets[\(i)] is \(targets[i])", code: .notFinite)
      if let weights { try require(weights[i].isFinite, "weights[\(i)] is \(weights[i])", code: .notFinite) }
    }
    guard batch > 0 else { return 0 }
    let z = trunk.forward(planes, batch: batch)
    if dOutputs.count < batch { dOutputs = Array(repeating: 0, count: batch) }
    var loss = 0.0
    dOutputs.withUnsafeMutableBufferPointer { db in
      guard let d = db.baseAddress else { return }
      for i in 0..<batch {
        let v = FastMath.tanh(z[i])
        values?[i] = v
        let w = weights?[i] ?? 1
        let error = v - targets[i]
        loss += w * 0.5 * error * error
        d[i] = w * error * (1 - v * v)
      }
      trunk.backward(d, into: gradient)
    }
    return loss
  }

  private func check(planes: UnsafePointer<Double>, batch: Int) throws(SwiftPGError) {
    try trunk.checkBatch(batch)
    for j in 0..<(batch * inputSize) where !planes[j].isFinite {
      throw SwiftPGError(.notFinite, "planes[\(j / inputSize)] has the non-finite value \(planes[j])")
    }
  }
}
