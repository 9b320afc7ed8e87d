/// The body of a board network: a map from a batch of flattened input
/// planes `[N, C·H·W]` to `[N, outputSize]` outputs, with its parameters as
/// one flat `Double` vector, a backward pass that adds the parameter
/// gradient of a scalar, and a float64 / float32 arithmetic switch.
///
/// Two trunks exist: `MLP` (the planes flattened, as the MLP policies use
/// it) and `ConvNet` (3×3-style convolutions with same padding and ReLU,
/// then a linear output layer). `BoardPolicyNetwork` and
/// `BoardValueNetwork` put their heads (a masked softmax, a tanh) on one.
///
/// Not thread-safe: one batch at a time; `forward`'s outputs are valid
/// until the next call and `backward` follows the last `forward`.
public protocol BoardTrunk: AnyObject {
  /// C·H·W: the values of one input.
  var inputSize: Int { get }
  var outputSize: Int { get }
  var parameterCount: Int { get }
  var parameters: [Double] { get }
  /// Replaces the parameters (`parameterCount` values; the count is checked).
  func setParameters(_ values: [Double]) throws(SwiftPGError)
  /// The arithmetic of the passes; parameters and gradients stay `Double`.
  var precision: MLP.Precision { get }
  func setPrecision(_ p: MLP.Precision)
  /// Runs `x` (`[batch, inputSize]`) forward; returns `[batch, outputSize]`,
  /// valid until the next call.
  func forward(_ x: UnsafePointer<Double>, batch: Int) -> UnsafePointer<Double>
  /// Back-propagates `dOutput` (`[batch, outputSize]`, ∂L/∂outputs of the
  /// last `forward`) and ADDS ∂L/∂θ to `gradient` (`parameterCount` values).
  func backward(_ dOutput: UnsafePointer<Double>, into gradient: UnsafeMutablePointer<Double>)
}

extension MLP: BoardTrunk {}

/// Which trunk a board network has (the checkpoint's `trunk` field).
public enum BoardTrunkFamily: Int32, Sendable {
  case mlp = 1
  case conv = 2
}

extension BoardTrunk {
  /// The family code of this trunk.
  public var family: BoardTrunkFamily { self is ConvNet ? .conv : .mlp }

  /// The numbers that rebuild the trunk with `makeBoardTrunk`: for an MLP
  /// its layer sizes then the activation code; for a `ConvNet` its
  /// `specification`.
  public var trunkSpecification: [Double] {
    if let conv = self as? ConvNet { return conv.specification }
    if let mlp = self as? MLP { return mlp.sizes.map(Double.init) + [Double(mlp.activation.rawValue)] }
    return []
  }
}

extension BoardTrunk {
  /// Values of workspace one input of a batch needs (activations, im2col
  /// windows, deltas): the networks refuse batches whose workspace would
  /// exceed `Limits.maxScratchElements` (`checkBatch`).
  public var scratchPerSample: Int {
    if let conv = self as? ConvNet {
      return ConvNet.bufferSizes(
        planes: conv.planes, cells: conv.height * conv.width, channels: conv.channels, k: conv.kernelSize,
        outputs: conv.outputSize
      ).reduce(0, +)
    }
    if let mlp = self as? MLP { return mlp.sizes.reduce(0, +) + 2 * (mlp.sizes.max() ?? 1) }
    return inputSize + outputSize
  }

  /// Refuses a batch < 0 (`.invalidArgument`) or one whose workspace
  /// exceeds `Limits.maxScratchElements` (`.tooLarge`), before anything is
  /// allocated.
  func checkBatch(_ batch: Int) throws(SwiftPGError) {
    try require(batch >= 0, "the batch must be >= 0, got \(batch)")
    _ = try Limits.product([batch, scratchPerSample], limit: Limits.maxScratchElements, "the network's workspace")
  }
}

/// Rebuilds a trunk from its family and `trunkSpecification` (parameters
/// zero), refusing sizes that are not whole numbers in range
/// (`.invalidArgument` / `.tooLarge`), before allocating.
public func makeBoardTrunk(family: BoardTrunkFamily, specification s: [Double]) throws(SwiftPGError)
  -> any BoardTrunk
{
  switch family {
  case .conv:
    return try ConvNet(specification: s)
  case .mlp:
    try require(s.count >= 3 && s.count <= MLP.maxHiddenLayers + 3, "an MLP trunk specification has \(s.count) numbers")
    let ints = try wholeNumbers(s, "the MLP trunk specification")
    guard let activation = Activation(rawValue: Int32(ints[ints.count - 1])) else {
      throw .invalid("unknown activation code \(ints[ints.count - 1]) (0 tanh, 1 relu)")
    }
    return try MLP(sizes: Array(ints.dropLast()), activation: activation)
  }
}

/// `values` as Ints, refusing any that is not a whole number in
/// [0, 2^31) (`.invalidArgument` naming `what`).
func wholeNumbers(_ values: [Double], _ what: String) throws(SwiftPGError) -> [Int] {
  var out: [Int] = []
  out.reserveCapacity(values.count)
  for (i, v) in values.enumerated() {
    guard v.isFinite, v >= 0, v < 2_147_483_648, v == v.rounded() else {
      throw .invalid("\(what): entry \(i) is \(v); expected a whole number in [0, 2^31)")
    }
    out.append(Int(v))
  }
  return out
}
