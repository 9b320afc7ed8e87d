/// What a proposed step found in the same pass as the step (`Adam.propose`,
/// `SGD.propose`): a gradient component that is not finite, one beyond
/// `Adam.largestGradient` (Adam only), a proposed parameter not finite.
public struct StepChecks: OptionSet, Sendable {
  public let rawValue: Int32
  public init(rawValue: Int32) { self.rawValue = rawValue }
  public static let gradientNotFinite = StepChecks(rawValue: 1)
  public static let gradientTooLarge = StepChecks(rawValue: 2)
  public static let parametersNotFinite = StepChecks(rawValue: 4)
}

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
  /// `commit()` (see `Adam.propose`), and the checks made on the way. The
  /// payload is moved out of `self` (`consume`) so its arrays stay uniquely
  /// referenced: no copies.
  @discardableResult
  public mutating func propose(
    _ p: UnsafePointer<Double>, gradient: UnsafePointer<Double>, count: Int, ascend: Bool, learningRate: Double,
    into out: UnsafeMutablePointer<Double>
  ) -> StepChecks {
    switch consume self {
    case .adam(var a):
      let checks = a.propose(p, gradient: gradient, count: count, ascend: ascend, learningRate: learningRate, into: out)
      self = .adam(a)
      return checks
    case .sgd(var s):
      let checks = s.propose(p, gradient: gradient, count: count, ascend: ascend, learningRate: learningRate, into: out)
      self = .sgd(s)
      return checks
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

  /// How many parameters the state covers (a `propose` steps and checks
  /// at most this many).
  public var stateCount: Int {
    switch self {
    case .adam(let a): a.m.count
    case .sgd(let s): s.velocity.count
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
    // The finiteness and size checks of the gradient and of the result are
    // made by the optimiser in the pass that computes the step (one read of
    // each array instead of four), then reported in the order they would be
    // met: a refused step still changes nothing, since the optimiser's state
    // changes only at `commit()` and the parameters only at `set`.
    if maxGradValue > 0 {
      guard gradient.allFinite else { throw failure("the \(what) gradient") }
      clipGradient(&gradient, low: -maxGradValue, high: maxGradValue)
    }
    let p = get()
    let n = p.count
    if proposed.count != n { proposed = Array(repeating: 0, count: n) }
    let lr = learningRate
    let used = Swift.min(n, gradient.count)
    let stateCount = optimizer.stateCount
    let checks = p.withUnsafeBufferPointer { pb in
      gradient.withUnsafeBufferPointer { gb in
        proposed.withUnsafeMutableBufferPointer { ob in
          guard let x = pb.baseAddress, let g = gb.baseAddress, let out = ob.baseAddress else { return StepChecks() }
          // Entries beyond a shorter gradient or state stay as they were.
          if Swift.min(used, stateCount) < n { out.update(from: x, count: n) }
          return optimizer.propose(x, gradient: g, count: used, ascend: ascend, learningRate: lr, into: out)
        }
      }
    }
    // Whatever the pass did not cover (a gradient longer than the
    // parameters or the state) is checked here as before.
    let covered = Swift.min(used, stateCount)
    if checks.contains(.gradientNotFinite) || (covered < gradient.count && !gradient.allFinite) {
      throw failure("the \(what) gradient")
    }
    if checks.contains(.gradientTooLarge) || (covered < gradient.count && !optimizer.acceptsGradient(gradient)) {
      throw failure("the square of the \(what) gradient (a component beyond 1.3e154 overflows Adam's second moment)")
    }
    guard !checks.contains(.parametersNotFinite), covered == n || proposed.allFinite else {
      throw failure("the updated \(what) parameters")
    }
    try set(proposed)
    optimizer.commit(learningRate: lr)
    proposed = p
  }
}
