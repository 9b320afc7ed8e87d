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

  /// The largest gradient component whose square is finite (√ of the
  /// largest Double, about 1.34e154): beyond it the second moment g² would
  /// overflow to +∞ and every later step of that parameter would be 0 — a
  /// silent no-op — so steps with such gradients are refused instead.
  public static let largestGradient = Double.greatestFiniteMagnitude.squareRoot()

  /// Whether every |gᵢ| ≤ `largestGradient` (NaN fails too).
  public static func acceptsGradient(_ g: [Double]) -> Bool {
    let bound = largestGradient  // read once: a static in the loop costs a swift_once per element
    return g.allSatisfy { abs($0) <= bound }
  }

  /// Scratch for a proposed step's moments (`propose`/`commit`); not state.
  private var mNext: [Double] = []
  private var vNext: [Double] = []

  /// Applies one update to `parameters` in place.
  public mutating func step(_ parameters: inout [Double], gradient: [Double], ascend: Bool) {
    let n = Swift.min(parameters.count, gradient.count, m.count, v.count)
    let (hyper, now) = ((beta1, beta2, epsilon, learningRate), t)
    gradient.withUnsafeBufferPointer { gb in
      parameters.withUnsafeMutableBufferPointer { pb in
        m.withUnsafeMutableBufferPointer { mb in
          v.withUnsafeMutableBufferPointer { vb in
            guard let g = gb.baseAddress, let p = pb.baseAddress, let mp = mb.baseAddress, let vp = vb.baseAddress
            else { return }
            Adam.kernel(p, g, mp, vp, into: p, mp, vp, count: n, hyper, t: now + 1, ascend: ascend)
          }
        }
      }
    }
    t += 1
  }

  /// One update of `parameters` (`count` values) written to `out`, its
  /// moments kept aside: the state changes only at `commit()`, so a caller
  /// can refuse a non-finite result without copying anything. Returns the
  /// checks made in the same pass over the first `count` values
  /// (`StepChecks`).
  @discardableResult
  public mutating func propose(
    _ parameters: UnsafePointer<Double>, gradient: UnsafePointer<Double>, count: Int, ascend: Bool,
    learningRate: Double, into out: UnsafeMutablePointer<Double>
  ) -> StepChecks {
    let n = Swift.min(count, m.count)
    if mNext.count != m.count || n < m.count {
      mNext = m  // moments beyond `count` stay as they are
      vNext = v
    }
    let (hyper, now) = ((beta1, beta2, epsilon, learningRate), t)
    return m.withUnsafeBufferPointer { mb in
      v.withUnsafeBufferPointer { vb in
        mNext.withUnsafeMutableBufferPointer { mo in
          vNext.withUnsafeMutableBufferPointer { vo in
            guard let mp = mb.baseAddress, let vp = vb.baseAddress, let mOut = mo.baseAddress,
              let vOut = vo.baseAddress
            else { return StepChecks() }
            return Adam.kernel(
              parameters, gradient, mp, vp, into: out, mOut, vOut, count: n, hyper, t: now + 1, ascend: ascend)
          }
        }
      }
    }
  }

  /// Makes the proposed moments the state (t advances), the step taken at `learningRate`.
  public mutating func commit(learningRate: Double) {
    self.learningRate = learningRate
    swap(&m, &mNext)
    swap(&v, &vNext)
    t += 1
  }

  /// The vectorised C kernel does exactly these operations per element:
  ///   m' = β₁m + (1−β₁)g;  v' = β₂v + (1−β₂)g·g;  θ' = θ + sign·α·(m'/c₁)/(√(v'/c₂) + ε)
  /// with c₁ = 1 − β₁ᵗ, c₂ = 1 − β₂ᵗ at step `t`, and checks g and θ' in
  /// the same pass.
  @discardableResult
  private static func kernel(
    _ p: UnsafePointer<Double>, _ g: UnsafePointer<Double>, _ m: UnsafePointer<Double>, _ v: UnsafePointer<Double>,
    into pOut: UnsafeMutablePointer<Double>, _ mOut: UnsafeMutablePointer<Double>,
    _ vOut: UnsafeMutablePointer<Double>, count n: Int,
    _ hyper: (beta1: Double, beta2: Double, epsilon: Double, learningRate: Double), t: Int, ascend: Bool
  ) -> StepChecks {
    let c1 = 1 - powInt(hyper.beta1, t)
    let c2 = 1 - powInt(hyper.beta2, t)
    return StepChecks(
      rawValue: spg_adam_step(
        p, g, m, v, pOut, mOut, vOut, n, hyper.beta1, hyper.beta2, c1, c2, hyper.learningRate, ascend ? 1.0 : -1.0,
        hyper.epsilon, largestGradient))
  }
}
