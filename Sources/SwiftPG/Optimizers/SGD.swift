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

  /// Applies one update to `parameters` in place.
  public mutating func step(_ parameters: inout [Double], gradient: [Double], ascend: Bool) {
    let sign = ascend ? 1.0 : -1.0
    for i in parameters.indices {
      velocity[i] = momentum * velocity[i] + gradient[i]
      parameters[i] += sign * learningRate * velocity[i]
    }
  }
}
