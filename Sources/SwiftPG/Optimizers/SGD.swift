import CMathShims

/// Stochastic gradient steps with optional (heavy-ball) momentum:
///   v ← μv + g,  θ ← θ ± α v
/// (μ = 0: plain gradient ascent/descent, Kochenderfer Alg. 12.1's
/// θ ← θ + α∇U). `ascend: true` climbs the gradient.
public struct SGD: Sendable {
  public var learningRate: Double
  public var momentum: Double
  public private(set) var velocity: [Double]

  public init(parameterCount: Int, learningRate: Double, momentum: Double = 0) throws(SwiftPGError) {
    try require(learningRate.isFinite && learningRate > 0, "learning rate must be finite and > 0, got \(learningRate)")
    try require(momentum >= 0 && momentum < 1, "SGD momentum must be in [0, 1), got \(momentum)")
    self.learningRate = learningRate
    self.momentum = momentum
    velocity = Array(repeating: 0, count: parameterCount)
  }

  /// Resumes from a saved velocity.
  public init(learningRate: Double, momentum: Double, velocity: [Double]) throws(SwiftPGError) {
    self = try SGD(parameterCount: velocity.count, learningRate: learningRate, momentum: momentum)
    try require(velocity.allFinite, "SGD velocity must be finite", code: .notFinite)
    self.velocity = velocity
  }

  /// Scratch for a proposed step's velocity (`propose`/`commit`); not state.
  private var velocityNext: [Double] = []

  /// Applies one update to `parameters` in place.
  public mutating func step(_ parameters: inout [Double], gradient: [Double], ascend: Bool) {
    let sign = ascend ? 1.0 : -1.0
    for i in parameters.indices {
      velocity[i] = momentum * velocity[i] + gradient[i]
      parameters[i] += sign * learningRate * velocity[i]
    }
  }

  /// One update of `parameters` (`count` values) written to `out`, the
  /// velocity kept aside until `commit()` (the same operations as `step`).
  @discardableResult
  public mutating func propose(
    _ parameters: UnsafePointer<Double>, gradient: UnsafePointer<Double>, count: Int, ascend: Bool,
    learningRate lr: Double, into out: UnsafeMutablePointer<Double>
  ) -> StepChecks {
    let n = Swift.min(count, velocity.count)
    if velocityNext.count != velocity.count || n < velocity.count { velocityNext = velocity }  // the tail stays
    let sign = ascend ? 1.0 : -1.0
    let mu = momentum
    velocity.withUnsafeBufferPointer { vb in
      velocityNext.withUnsafeMutableBufferPointer { vo in
        guard let v = vb.baseAddress, let next = vo.baseAddress else { return }
        for i in 0..<n {
          next[i] = mu * v[i] + gradient[i]
          out[i] = parameters[i] + sign * lr * next[i]
        }
      }
    }
    var checks = StepChecks()
    if spg_all_finite(gradient, count) == 0 { checks.insert(.gradientNotFinite) }
    if spg_all_finite(out, n) == 0 { checks.insert(.parametersNotFinite) }
    return checks
  }

  /// Makes the proposed velocity the state, the step taken at `learningRate`.
  public mutating func commit(learningRate: Double) {
    self.learningRate = learningRate
    swap(&velocity, &velocityNext)
  }
}
