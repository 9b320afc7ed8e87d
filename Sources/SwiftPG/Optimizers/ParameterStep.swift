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

  /// A step written to `out`, the optimiser's state changed only by
  /// `commit()` (see `Adam.propose`). The payload is moved out of `self`
  /// (`consume`) so its arrays stay uniquely referenced: no copies.
  public mutating func propose(
    _ p: UnsafePointer<Double>, gradient: UnsafePointer<Double>, count: Int, ascend: Bool, learningRate: Double,
    into out: UnsafeMutablePointer<Double>
  ) {
    switch consume self {
    case .adam(var a):
      a.propose(p, gradient: gradient, count: count, ascend: ascend, learningRate: learningRate, into: out)
      self = .adam(a)
    case .sgd(var s):
      s.propose(p, gradient: gradient, count: count, ascend: ascend, learningRate: learningRate, into: out)
      self = .sgd(s)
    }
  }

  /// Whether a step along `gradient` keeps the optimiser's state finite
  /// (Adam: every |gᵢ| ≤ `Adam.largestGradient`; SGD: always).
  public func acceptsGradient(_ gradient: [Double]) -> Bool {
    switch self {
    case .adam: Adam.acceptsGradient(gradient)
    case .sgd: true
    }
  }

  /// Makes the proposed step the state, taken at `learningRate`.
  public mutating func commit(learningRate: Double) {
    switch consume self {
    case .adam(var a):
      a.commit(learningRate: learningRate)
      self = .adam(a)
    case .sgd(var s):
      s.commit(learningRate: learningRate)
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
  /// Scratch: the proposed parameters of a step.
  private var proposed: [Double] = []

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
    guard optimizer.acceptsGradient(gradient) else {
      throw failure("the square of the \(what) gradient (a component beyond 1.3e154 overflows Adam's second moment)")
    }
    // The step goes to `proposed` and the optimiser's state changes at
    // `commit()`, once the result is known finite and set: in place of
    // copies of the parameters and moments (the old parameters' storage is
    // reused for the next proposal).
    let p = get()
    let n = p.count
    if proposed.count != n { proposed = Array(repeating: 0, count: n) }
    let lr = learningRate
    p.withUnsafeBufferPointer { pb in
      gradient.withUnsafeBufferPointer { gb in
        proposed.withUnsafeMutableBufferPointer { ob in
          guard let x = pb.baseAddress, let g = gb.baseAddress, let out = ob.baseAddress else { return }
          out.update(from: x, count: n)  // entries beyond a shorter gradient or state stay as they were
          optimizer.propose(x, gradient: g, count: Swift.min(n, gb.count), ascend: ascend, learningRate: lr, into: out)
        }
      }
    }
    guard proposed.allFinite else { throw failure("the updated \(what) parameters") }
    try set(proposed)
    optimizer.commit(learningRate: lr)
    proposed = p
  }
}
