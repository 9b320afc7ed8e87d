import CMathShims

/// Adam (Kingma & Ba 2015, Algorithm 1) with bias correction:
///   m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,
///   θ ← θ ∓ α · m̂ / (√v̂ + ε),  m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ).
/// `ascend: true` climbs the gradient (policy-gradient objectives).
public struct Adam: Sendable {
  public var learningRate: Double
  public var beta1: Double
  public var beta2: Double
  public var epsilon: Double
  public private(set) var m: [Double]
  public private(set) var v: [Double]
  public private(set) var t: Int = 0

  public init(
    parameterCount: Int, learningRate: Double, beta1: Double = 0.9, beta2: Double = 0.999,
    epsilon: Double = 1e-8
  ) throws(SwiftPGError) {
    try require(learningRate.isFinite && learningRate > 0, "learning rate must be finite and > 0, got \(learningRate)")
    try require(beta1 >= 0 && beta1 < 1, "Adam beta1 must be in [0, 1), got \(beta1)")
    try require(beta2 >= 0 && beta2 < 1, "Adam beta2 must be in [0, 1), got \(beta2)")
    try require(epsilon.isFinite && epsilon > 0, "Adam epsilon must be finite and > 0, got \(epsilon)")
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    m = Array(repeating: 0, count: parameterCount)
    v = m
  }

  /// Resumes from saved moments and step count.
  public init(
    learningRate: Double, beta1: Double, beta2: Double, epsilon: Double, m: [Double], v: [Double], t: Int
  ) throws(SwiftPGError) {
    self = try Adam(parameterCount: m.count, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon)
    try require(v.count == m.count && t >= 0, "Adam state sizes differ")
    try require(m.allFinite && v.allFinite, "Adam state must be finite", code: .notFinite)
    try require(v.allSatisfy { $0 >= 0 }, "Adam's second-moment estimates must be >= 0")
    self.m = m
    self.v = v
    self.t = t
  }

  /// Applies one update to `parameters` in place.
  public mutating func step(_ parameters: inout [Double], gradient: [Double], ascend: Bool) {
    t += 1
    let c1 = 1 - powInt(beta1, t)
    let c2 = 1 - powInt(beta2, t)
    let sign = ascend ? 1.0 : -1.0
    let n = Swift.min(parameters.count, gradient.count, m.count, v.count)
    // The vectorised C kernel does exactly these operations per element:
    //   m = β₁m + (1−β₁)g;  v = β₂v + (1−β₂)g·g;  θ += sign·α·(m/c₁)/(√(v/c₂) + ε)
    gradient.withUnsafeBufferPointer { gb in
      parameters.withUnsafeMutableBufferPointer { pb in
        m.withUnsafeMutableBufferPointer { mb in
          v.withUnsafeMutableBufferPointer { vb in
            guard let g = gb.baseAddress, let p = pb.baseAddress, let mp = mb.baseAddress, let vp = vb.baseAddress
            else { return }
            spg_adam_step(p, g, mp, vp, n, beta1, beta2, c1, c2, learningRate, sign, epsilon)
          }
        }
      }
    }
  }
}
