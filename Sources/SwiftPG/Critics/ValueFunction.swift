/// A state-value function V(s) on batches: an MLP of the observation
/// (linear with no hidden layers) or a table θ[s] over one-hot states.
/// Shares the network code with the policies; gradients are hand-written
/// and checked against finite differences.
public final class ValueFunction: Parameterized {
  public enum Kind: Int32, Sendable {
    case mlp = 1
    case tabular = 2
  }

  public let kind: Kind
  public let observationSize: Int
  let network: MLP?
  private var table: [Double]
  private var states: [Int] = []

  /// V(s) = MLP(s) with `hidden` layers (orthogonal init: gain √2 hidden,
  /// 1 for the output, as the PPO literature's value head).
  public init(observationSize: Int, hidden: [Int], activation: Activation = .tanh, seed: UInt64 = 0)
    throws(SwiftPGError)
  {
    try require(observationSize >= 1, "observation size must be at least 1, got \(observationSize)")
    let net = try MLP(sizes: [observationSize] + hidden + [1], activation: activation)
    var g = PCG64(seed: UInt128(seed))
    net.initializeOrthogonal(hiddenGain: 2.0.squareRoot(), outputGain: 1, using: &g)
    kind = .mlp
    self.observationSize = observationSize
    network = net
    table = []
  }

  /// V(s) = θ[s] for one-hot observations of `stateCount` states (init 0).
  public init(tabularStates stateCount: Int) throws(SwiftPGError) {
    try require(stateCount >= 1 && stateCount <= 1 << 24, "num_states must be in [1, 2^24], got \(stateCount)")
    kind = .tabular
    observationSize = stateCount
    network = nil
    table = Array(repeating: 0, count: stateCount)
  }

  /// Runs the network in single or double precision (`MLP.Precision`);
  /// tabular value functions have no network.
  public func setPrecision(_ precision: MLP.Precision) throws(SwiftPGError) {
    guard let network else { throw .invalid("a tabular value function has no network precision to set") }
    network.setPrecision(precision)
  }

  /// The network arithmetic (`.float64` for a table).
  public var precision: MLP.Precision { network?.precision ?? .float64 }

  public var parameterCount: Int { network?.parameterCount ?? table.count }
  public var parameters: [Double] { network?.parameters ?? table }

  /// [kind-specific]: MLP [observation size, activation, hidden count, hidden…]; tabular [states].
  public var specification: [Double] {
    guard let network else { return [Double(table.count)] }
    return [Double(observationSize), Double(network.activation.rawValue), Double(network.sizes.count - 2)]
      + network.sizes.dropFirst().dropLast().map(Double.init)
  }

  public func setParameters(_ values: [Double]) throws(SwiftPGError) {
    try require(values.count == parameterCount, "expected \(parameterCount) parameters, got \(values.count)")
    try require(values.allFinite, "parameters must be finite", code: .notFinite)
    if let network { try network.setParameters(values) } else { table = values }
  }

  /// V(s_i) into `out`.
  public func predict(_ obs: UnsafePointer<Double>, batch: Int, into out: UnsafeMutablePointer<Double>) {
    if let network {
      let v = network.forward(obs, batch: batch)
      out.update(from: v, count: batch)
    } else {
      locateStates(obs, batch: batch)
      for r in 0..<batch { out[r] = table[states[r]] }
    }
  }

  /// Σ_i w_i ∇θ V(s_i) into `gradient` (overwritten).
  public func gradient(
    _ obs: UnsafePointer<Double>, weights: UnsafePointer<Double>, batch: Int,
    into gradient: UnsafeMutablePointer<Double>
  ) {
    gradient.update(repeating: 0, count: parameterCount)
    if let network {
      _ = network.forward(obs, batch: batch)
      network.backward(weights, into: gradient)
    } else {
      locateStates(obs, batch: batch)
      for r in 0..<batch { gradient[states[r]] += weights[r] }
    }
  }

  /// One forward pass for V(s_i) (into `predictions`), then `weigh(V, w)`
  /// fills w_i = ∂L/∂V_i, then Σ_i w_i ∇θ V(s_i) into `gradient`
  /// (overwritten): a loss gradient without a second forward pass.
  public func lossGradient(
    _ obs: UnsafePointer<Double>, batch: Int, predictions: UnsafeMutablePointer<Double>,
    weights: UnsafeMutablePointer<Double>, weigh: (UnsafePointer<Double>, UnsafeMutablePointer<Double>) -> Void,
    into gradient: UnsafeMutablePointer<Double>
  ) {
    gradient.update(repeating: 0, count: parameterCount)
    if let network {
      let v = network.forward(obs, batch: batch)
      predictions.update(from: v, count: batch)
      weigh(predictions, weights)
      network.backward(weights, into: gradient)
    } else {
      locateStates(obs, batch: batch)
      for r in 0..<batch { predictions[r] = table[states[r]] }
      weigh(predictions, weights)
      for r in 0..<batch { gradient[states[r]] += weights[r] }
    }
  }

  private func locateStates(_ obs: UnsafePointer<Double>, batch: Int) {
    if states.count < batch { states = Array(repeating: 0, count: batch) }
    let n = observationSize
    for r in 0..<batch {
      var s = 0
      for k in 0..<n where obs[r * n + k] > obs[r * n + s] { s = k }
      states[r] = s
    }
  }

  /// nil if the observations suit the value function (one-hot rows for a
  /// table), else why not.
  public func checkObservations(_ obs: UnsafePointer<Double>, batch: Int) -> String? {
    guard kind == .tabular else { return nil }
    return firstNonOneHotRow(obs, batch: batch, width: observationSize).map {
      "observation row \($0.row) is not one-hot"
    }
  }
}
