/// An action-value function Q(s, ·) on batches: an MLP (`Policies/MLP.swift`)
/// from the observation to one output per action — DQN's Q-network (Mnih
/// et al. 2015) and, as a second instance, its target network.
///
/// Initialisation follows torch's `nn.Linear` default, as
/// Stable-Baselines3's `QNetwork` has it: every weight and bias of a layer
/// with `fan_in` inputs ~ U(−1/√fan_in, 1/√fan_in). The loss and its
/// gradient are hand-written and checked against finite differences.
public final class QNetwork: Parameterized {
  public let observationSize: Int
  public let actionCount: Int
  let network: MLP

  /// The regression loss of Q(s_i, a_i) towards a target y_i, with
  /// d_i = Q(s_i, a_i) − y_i, averaged over the batch.
  public enum Loss: Int32, Sendable {
    /// mean d² (torch's `F.mse_loss`).
    case mse = 0
    /// mean of ½d² for |d| < 1, |d| − ½ otherwise (smooth L1 with β = 1,
    /// torch's `F.smooth_l1_loss`, Stable-Baselines3's DQN loss).
    case huber = 1
  }

  public init(
    observationSize: Int, actionCount: Int, hidden: [Int], activation: Activation = .relu, seed: UInt64 = 0
  ) throws(SwiftPGError) {
    try require(observationSize >= 1, "observation size must be at least 1, got \(observationSize)")
    try require(actionCount >= 1, "a Q-network needs at least one action, got \(actionCount)")
    let net = try MLP(sizes: [observationSize] + hidden + [actionCount], activation: activation)
    var g = PCG64(seed: UInt128(seed))
    var theta = net.parameters
    for l in 0..<(net.sizes.count - 1) {
      let bound = 1 / Double(net.sizes[l]).squareRoot()
      let n = net.sizes[l + 1] * (net.sizes[l] + 1)
      for k in 0..<n { theta[net.offsets[l] + k] = g.uniform(-bound, bound) }
    }
    try net.setParameters(theta)
    self.observationSize = observationSize
    self.actionCount = actionCount
    network = net
  }

  public var parameterCount: Int { network.parameterCount }
  /// [observation size, hidden…, actionCount].
  public var layerSizes: [Int] { network.sizes }
  public var parameters: [Double] { network.parameters }
  public var precision: MLP.Precision { network.precision }
  /// [observation size, actions, activation, hidden count, hidden…].
  public var specification: [Double] {
    [Double(observationSize), Double(actionCount), Double(network.activation.rawValue), Double(network.sizes.count - 2)]
      + network.sizes.dropFirst().dropLast().map(Double.init)
  }

  public func setParameters(_ values: [Double]) throws(SwiftPGError) {
    try require(values.count == parameterCount, "expected \(parameterCount) parameters, got \(values.count)")
    try require(values.allFinite, "parameters must be finite", code: .notFinite)
    try network.setParameters(values)
  }

  /// Runs the network in single or double precision (`MLP.Precision`).
  public func setPrecision(_ p: MLP.Precision) { network.setPrecision(p) }

  /// Q(s_i, ·) of the batch, `[batch, actionCount]`, valid until the next call.
  public func values(_ obs: UnsafePointer<Double>, batch: Int) -> UnsafePointer<Double> {
    network.forward(obs, batch: batch)
  }

  /// argmax_a Q(s_i, a) for each row (lowest index on ties).
  public func greedyActions(_ obs: UnsafePointer<Double>, batch: Int, into actions: UnsafeMutablePointer<Int32>) {
    let q = values(obs, batch: batch)
    for i in 0..<batch { actions[i] = Int32(argmax(q + i * actionCount, actionCount)) }
  }

  /// The hard target update θ̃ ← θ (copies `source`'s parameters).
  public func copyParameters(from source: QNetwork) throws(SwiftPGError) {
    try network.setParameters(source.network.parameters)
  }

  /// Polyak averaging θ̃ ← τθ + (1 − τ)θ̃ (Lillicrap et al. 2016;
  /// Stable-Baselines3's `polyak_update`); τ = 1 is the hard update.
  public func polyakUpdate(from source: QNetwork, tau: Double) throws(SwiftPGError) {
    try require(tau > 0 && tau <= 1, "tau must be in (0, 1], got \(tau)")
    let online = source.network.parameters
    var theta = network.parameters
    try require(online.count == theta.count, "the two Q-networks have different shapes")
    for k in theta.indices { theta[k] = tau * online[k] + (1 - tau) * theta[k] }
    try network.setParameters(theta)
  }

  /// L = (1/B) Σ_i ℓ(Q(s_i, a_i) − y_i) for the `loss` ℓ, and ∇θL written
  /// into `gradient` (`parameterCount` values, overwritten); `dOutput` is
  /// scratch of `[batch, actionCount]`. Also returns the mean of
  /// Q(s_i, a_i). Throws, writing nothing, when an action is outside
  /// 0..<actionCount.
  ///   ∂L/∂Q(s_i, a_i) = ℓ′(d_i)/B, ℓ′ = 2d (MSE) or clamp(d, −1, 1) (Huber).
  public func lossAndGradient(
    _ obs: UnsafePointer<Double>, actions: UnsafePointer<Int32>, targets: UnsafePointer<Double>, batch: Int,
    loss: Loss, dOutput: UnsafeMutablePointer<Double>, into gradient: UnsafeMutablePointer<Double>
  ) throws(SwiftPGError) -> (loss: Double, meanQ: Double) {
    for i in 0..<Swift.max(batch, 0) where actions[i] < 0 || Int(actions[i]) >= actionCount {
      throw SwiftPGError(.outOfRange, "action \(actions[i]) of row \(i) is outside 0..<\(actionCount)")
    }
    gradient.update(repeating: 0, count: parameterCount)
    guard batch > 0 else { return (0, 0) }
    let q = values(obs, batch: batch)
    let a = actionCount
    let scale = 1 / Double(batch)
    var total = 0.0
    var sumQ = 0.0
    dOutput.update(repeating: 0, count: batch * a)
    for i in 0..<batch {
      let k = i * a + Int(actions[i])
      let d = q[k] - targets[i]
      sumQ += q[k]
      switch loss {
      case .mse:
        total += d * d
        dOutput[k] = 2 * d * scale
      case .huber:
        let m = abs(d)
        total += m < 1 ? 0.5 * d * d : m - 0.5
        dOutput[k] = Swift.min(Swift.max(d, -1), 1) * scale
      }
    }
    network.backward(UnsafePointer(dOutput), into: gradient)
    return (total * scale, sumQ * scale)
  }
}
