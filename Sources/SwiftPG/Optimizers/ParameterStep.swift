/// Which first-order optimiser a learner uses for its policy and critic.
public enum OptimizerKind: Int32, Sendable {
  case adam = 0
  case sgd = 1
}

/// An optimiser chosen by configuration (Adam or SGD), keeping its state.
public enum AnyOptimizer: Sendable {
  case adam(Adam)
  case sgd(SGD)

  public init(_ kind: OptimizerKind, count: Int, learningRate: Double, epsilon: Double) throws(SwiftPGError) {
    switch kind {
    case .adam: self = .adam(try Adam(parameterCount: count, learningRate: learningRate, epsilon: epsilon))
    case .sgd: self = .sgd(try SGD(parameterCount: count, learningRate: learningRate))
    }
  }

  /// One step of `p` along `gradient` (ascent or descent) at `learningRate`.
  public mutating func step(_ p: inout [Double], gradient: [Double], ascend: Bool, learningRate: Double) {
    switch self {
    case .adam(var a):
      a.learningRate = learningRate
      a.step(&p, gradient: gradient, ascend: ascend)
      self = .adam(a)
    case .sgd(var s):
      s.learningRate = learningRate
      s.step(&p, gradient: gradient, ascend: ascend)
      self = .sgd(s)
    }
  }
}

/// The guarded parameter step every learner takes: refuse a non-finite
/// gradient, clamp its components to ±`maxGradValue` (Kochenderfer's
/// `clip_gradient`; 0: off), step with the optimiser, refuse non-finite
/// parameters, and only then write them. A refused step changes nothing but
/// the gradient's clamping; the learner's snapshot rolls back the rest.
public struct ParameterStep: Sendable {
  public var optimizer: AnyOptimizer
  /// Clamp every gradient component to ±this before the step; 0: off.
  public let maxGradValue: Double

  public init(optimizer: AnyOptimizer, maxGradValue: Double) {
    self.optimizer = optimizer
    self.maxGradValue = maxGradValue
  }

  /// θ ← θ ± α g for the parameters read by `get` and written by `set`.
  /// `what` names the quantity in the `.numerical` error ("the policy").
  public mutating func apply(
    gradient: inout [Double], ascend: Bool, learningRate: Double, what: String,
    get: () -> [Double], set: ([Double]) throws(SwiftPGError) -> Void,
    failure: (String) -> SwiftPGError
  ) throws(SwiftPGError) {
    guard gradient.allFinite else { throw failure("the \(what) gradient") }
    if maxGradValue > 0 { clipGradient(&gradient, low: -maxGradValue, high: maxGradValue) }
    var p = get()
    var next = optimizer
    next.step(&p, gradient: gradient, ascend: ascend, learningRate: learningRate)
    guard p.allFinite else { throw failure("the updated \(what) parameters") }
    try set(p)
    optimizer = next
  }
}
