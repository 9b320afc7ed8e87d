/// A differentiable map from a batch of observations to action logits
/// `[batch, actionCount]`, for `CategoricalPolicy`. `backward` and `jvp`
/// refer to the last `forward`.
public protocol LogitModel: Parameterized {
  static var family: PolicyFamily { get }
  var inputSize: Int { get }
  var actionCount: Int { get }
  /// Logits of the batch, valid until the next call.
  func forward(_ obs: UnsafePointer<Double>, batch: Int) -> UnsafePointer<Double>
  /// Adds Jᵀ·dLogits to `gradient` (J = ∂logits/∂θ of the last forward).
  func backward(_ dLogits: UnsafePointer<Double>, into gradient: UnsafeMutablePointer<Double>)
  /// J·v for the last forward, `[batch, actionCount]`, valid until the next call.
  func jvp(_ v: UnsafePointer<Double>) -> UnsafePointer<Double>
  /// nil if the observations are valid for this model, else why not.
  func checkObservations(_ obs: UnsafePointer<Double>, batch: Int) -> String?
}

extension LogitModel {
  public func checkObservations(_ obs: UnsafePointer<Double>, batch: Int) -> String? { nil }
}

/// The sizes of the table and feature models: `size` (states or features)
/// in [1, 2^20], 2 to 65536 actions, and `size` × actions ≤ 2^26.
private func checkLinearSizes(_ size: Int, _ name: String, actions: Int, tooLarge: String) throws(SwiftPGError) {
  try require(size >= 1 && size <= 1 << 20, "\(name) must be in [1, 2^20], got \(size)")
  try require(actions >= 2 && actions <= 1 << 16, "num_actions must be in [2, 65536], got \(actions)")
  try require(size * actions <= 1 << 26, tooLarge, code: .tooLarge)
}

/// `values`, if there are as many as `current` parameters.
private func sameCount(_ values: [Double], as current: [Double]) throws(SwiftPGError) -> [Double] {
  try require(values.count == current.count, "expected \(current.count) parameters, got \(values.count)")
  return values
}

/// Logits from a multilayer perceptron of the observation (linear with no
/// hidden layers: logits = W s + b).
public final class MLPLogits: LogitModel {
  public static let family = PolicyFamily.softmaxMLP
  public let network: MLP
  public var inputSize: Int { network.inputSize }
  public var actionCount: Int { network.outputSize }
  public var parameterCount: Int { network.parameterCount }
  public var parameters: [Double] { network.parameters }

  public init(network: MLP) { self.network = network }

  public func setParameters(_ values: [Double]) throws(SwiftPGError) { try network.setParameters(values) }

  /// [observation size, actions, activation, hidden count, hidden sizes…]
  public var specification: [Double] {
    [Double(inputSize), Double(actionCount), Double(network.activation.rawValue), Double(network.sizes.count - 2)]
      + network.sizes.dropFirst().dropLast().map(Double.init)
  }

  public func forward(_ obs: UnsafePointer<Double>, batch: Int) -> UnsafePointer<Double> {
    network.forward(obs, batch: batch)
  }

  public func backward(_ dLogits: UnsafePointer<Double>, into gradient: UnsafeMutablePointer<Double>) {
    network.backward(dLogits, into: gradient)
  }

  public func jvp(_ v: UnsafePointer<Double>) -> UnsafePointer<Double> { network.jvp(v) }
}

/// Logits θ[s, ·] from a table; an observation is the one-hot encoding of s
/// (as the tabular environments produce), so `inputSize` is the number of
/// states.
public final class TabularLogits: LogitModel {
  public static let family = PolicyFamily.tabularSoftmax
  public let stateCount: Int
  public let actionCount: Int
  public private(set) var parameters: [Double]
  private var states: [Int] = []
  private let logits = ScratchBuffer()
  private let tangents = ScratchBuffer()

  public init(stateCount: Int, actionCount: Int) throws(SwiftPGError) {
    try checkLinearSizes(
      stateCount, "num_states", actions: actionCount, tooLarge: "the table would have more than 2^26 entries")
    self.stateCount = stateCount
    self.actionCount = actionCount
    parameters = Array(repeating: 0, count: stateCount * actionCount)
  }

  public var inputSize: Int { stateCount }
  public var parameterCount: Int { parameters.count }
  public var specification: [Double] { [Double(stateCount), Double(actionCount)] }

  public func setParameters(_ values: [Double]) throws(SwiftPGError) {
    parameters = try sameCount(values, as: parameters)
  }

  public func checkObservations(_ obs: UnsafePointer<Double>, batch: Int) -> String? {
    firstNonOneHotRow(obs, batch: batch, width: stateCount).map { "observation row \($0.row) is not one-hot (\($0.why))" }
  }

  public func forward(_ obs: UnsafePointer<Double>, batch: Int) -> UnsafePointer<Double> {
    if states.count < batch { states = Array(repeating: 0, count: batch) }
    let out = logits.reserve(batch * actionCount)
    for r in 0..<batch {
      var s = 0
      for k in 0..<stateCount where obs[r * stateCount + k] > obs[r * stateCount + s] { s = k }
      states[r] = s
      for a in 0..<actionCount { out[r * actionCount + a] = parameters[s * actionCount + a] }
    }
    lastBatch = batch
    return UnsafePointer(out)
  }

  private var lastBatch = 0

  public func backward(_ dLogits: UnsafePointer<Double>, into gradient: UnsafeMutablePointer<Double>) {
    for r in 0..<lastBatch {
      let s = states[r]
      for a in 0..<actionCount { gradient[s * actionCount + a] += dLogits[r * actionCount + a] }
    }
  }

  public func jvp(_ v: UnsafePointer<Double>) -> UnsafePointer<Double> {
    let out = tangents.reserve(lastBatch * actionCount)
    for r in 0..<lastBatch {
      for a in 0..<actionCount { out[r * actionCount + a] = v[states[r] * actionCount + a] }
    }
    return UnsafePointer(out)
  }
}

/// Logits θᵀφ(s, a) from user-supplied features: an observation row is
/// φ(s, ·) flattened, `[actionCount, featureSize]`.
public final class FeatureLogits: LogitModel {
  public static let family = PolicyFamily.linearFeatures
  public let featureSize: Int
  public let actionCount: Int
  public private(set) var parameters: [Double]
  private let features = ScratchBuffer()
  private let logits = ScratchBuffer()
  private let tangents = ScratchBuffer()
  private var lastBatch = 0

  public init(featureSize: Int, actionCount: Int) throws(SwiftPGError) {
    try checkLinearSizes(
      featureSize, "feature_size", actions: actionCount, tooLarge: "features would exceed 2^26 values per row")
    self.featureSize = featureSize
    self.actionCount = actionCount
    parameters = Array(repeating: 0, count: featureSize)
  }

  public var inputSize: Int { featureSize * actionCount }
  public var parameterCount: Int { featureSize }
  public var specification: [Double] { [Double(featureSize), Double(actionCount)] }

  public func setParameters(_ values: [Double]) throws(SwiftPGError) {
    parameters = try sameCount(values, as: parameters)
  }

  public func forward(_ obs: UnsafePointer<Double>, batch: Int) -> UnsafePointer<Double> {
    let rows = batch * actionCount
    let phi = features.reserve(rows * featureSize)
    phi.update(from: obs, count: rows * featureSize)
    let out = logits.reserve(rows)
    parameters.withUnsafeBufferPointer { th in
      for r in 0..<rows {
        var z = 0.0
        for k in 0..<featureSize { z += th[k] * phi[r * featureSize + k] }
        out[r] = z
      }
    }
    lastBatch = batch
    return UnsafePointer(out)
  }

  public func backward(_ dLogits: UnsafePointer<Double>, into gradient: UnsafeMutablePointer<Double>) {
    let phi = features.pointer
    for r in 0..<(lastBatch * actionCount) {
      let d = dLogits[r]
      for k in 0..<featureSize { gradient[k] += d * phi[r * featureSize + k] }
    }
  }

  public func jvp(_ v: UnsafePointer<Double>) -> UnsafePointer<Double> {
    let phi = features.pointer
    let rows = lastBatch * actionCount
    let out = tangents.reserve(rows)
    for r in 0..<rows {
      var z = 0.0
      for k in 0..<featureSize { z += v[k] * phi[r * featureSize + k] }
      out[r] = z
    }
    return UnsafePointer(out)
  }
}
