/// The policy of the two-action lecture example (environment
/// `TwoAction-v0`): one parameter θ, π(L) = clamp(θ, 0, 1),
/// π(R) = clamp(1 − θ, 0, 1). Action 0 is L, 1 is R; the observation (one
/// value) is ignored.
///
/// On 0 < θ < 1: ∂ log π(L)/∂θ = 1/θ, ∂ log π(R)/∂θ = −1/(1 − θ), and the
/// Fisher information is 1/(θ(1 − θ)). Outside that interval π is constant
/// in θ and the (sub)gradient used is 0. An action of probability 0 has
/// log-probability −∞ and score 0.
public final class ClampPolicy: Policy {
  public private(set) var theta: Double
  public var rng: PCG64

  public init(theta: Double = 0.5, seed: UInt64 = 0) throws(SwiftPGError) {
    try require(theta.isFinite, "theta must be finite, got \(theta)", code: .notFinite)
    self.theta = theta
    rng = PCG64(seed: UInt128(seed) | (UInt128(1) << 64))
  }

  public var family: PolicyFamily { .clamp }
  public var observationSize: Int { 1 }
  public var actionSpace: ActionSpace { .discrete(2) }
  public var parameterCount: Int { 1 }
  public var parameters: [Double] { [theta] }
  public var specification: [Double] { [] }

  public func setParameters(_ values: [Double]) throws(SwiftPGError) {
    try require(values.count == 1, "expected 1 parameter, got \(values.count)")
    try require(values[0].isFinite, "parameters must be finite", code: .notFinite)
    theta = values[0]
  }

  /// π(L).
  public var probabilityLeft: Double { Swift.min(Swift.max(theta, 0), 1) }
  private var interior: Bool { theta > 0 && theta < 1 }

  private func probability(_ action: Int32) -> Double { action == 0 ? probabilityLeft : 1 - probabilityLeft }

  /// ∂ log π(a)/∂θ.
  private func score(_ action: Int32) -> Double {
    guard interior else { return 0 }
    return action == 0 ? 1 / theta : -1 / (1 - theta)
  }

  public func sample(
    _ obs: UnsafePointer<Double>, batch: Int, greedy: Bool, rawActions out: UnsafeMutableRawPointer,
    using g: inout PCG64
  ) {
    let a = out.assumingMemoryBound(to: Int32.self)
    let pl = probabilityLeft
    for r in 0..<batch { a[r] = greedy ? (pl >= 0.5 ? 0 : 1) : (g.nextUnitDouble() < pl ? 0 : 1) }
  }

  public func logProbabilities(
    _ obs: UnsafePointer<Double>, actions: UnsafeRawPointer, batch: Int, into out: UnsafeMutablePointer<Double>
  ) {
    let a = actions.assumingMemoryBound(to: Int32.self)
    for r in 0..<batch { out[r] = _log(probability(a[r])) }
  }

  private func entropy(_ p: Double) -> Double {
    (p > 0 ? -p * _log(p) : 0) + (p < 1 ? -(1 - p) * _log(1 - p) : 0)
  }

  public func entropies(_ obs: UnsafePointer<Double>, batch: Int, into out: UnsafeMutablePointer<Double>) {
    let h = entropy(probabilityLeft)
    for r in 0..<batch { out[r] = h }
  }

  public func klDivergences(
    _ obs: UnsafePointer<Double>, batch: Int, oldParameters: UnsafePointer<Double>,
    into out: UnsafeMutablePointer<Double>
  ) {
    let q = Swift.min(Swift.max(oldParameters[0], 0), 1)
    let p = probabilityLeft
    var kl = 0.0
    if q > 0 { kl += q * (_log(q) - _log(p)) }
    if q < 1 { kl += (1 - q) * (_log(1 - q) - _log(1 - p)) }
    for r in 0..<batch { out[r] = kl }
  }

  public func scoreGradient(
    _ obs: UnsafePointer<Double>, rawActions actions: UnsafeRawPointer, weights: UnsafePointer<Double>,
    batch: Int, into gradient: UnsafeMutablePointer<Double>
  ) {
    let a = actions.assumingMemoryBound(to: Int32.self)
    var g = 0.0
    for r in 0..<batch { g += weights[r] * score(a[r]) }
    gradient[0] = g
  }

  public func scoreVectors(
    _ obs: UnsafePointer<Double>, actions: UnsafeRawPointer, batch: Int, into out: UnsafeMutablePointer<Double>
  ) {
    let a = actions.assumingMemoryBound(to: Int32.self)
    for r in 0..<batch { out[r] = score(a[r]) }
  }

  public func entropyGradient(
    _ obs: UnsafePointer<Double>, weights: UnsafePointer<Double>, batch: Int,
    into gradient: UnsafeMutablePointer<Double>
  ) {
    var w = 0.0
    for r in 0..<batch { w += weights[r] }
    // dH/dθ = log((1 − θ)/θ) on the interior.
    gradient[0] = interior ? w * _log((1 - theta) / theta) : 0
  }

  public func klGradient(
    _ obs: UnsafePointer<Double>, oldParameters: UnsafePointer<Double>, weights: UnsafePointer<Double>,
    batch: Int, into gradient: UnsafeMutablePointer<Double>
  ) {
    var w = 0.0
    for r in 0..<batch { w += weights[r] }
    let q = Swift.min(Swift.max(oldParameters[0], 0), 1)
    // d/dθ [−q log θ − (1 − q) log(1 − θ)] on the interior.
    gradient[0] = interior ? w * (-q / theta + (1 - q) / (1 - theta)) : 0
  }

  public func fisherVectorProduct(
    _ obs: UnsafePointer<Double>, batch: Int, vector: UnsafePointer<Double>,
    into out: UnsafeMutablePointer<Double>
  ) {
    out[0] = interior && batch > 0 ? vector[0] / (theta * (1 - theta)) : 0
  }
}
