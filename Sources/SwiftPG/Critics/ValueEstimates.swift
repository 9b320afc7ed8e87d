/// Which advantage estimator a segment learner uses.
public enum AdvantageKind: Int32, Sendable {
  /// GAE(γ, λ) (Schulman et al. 2016).
  case gae = 0
  /// n-step advantages.
  case nStep = 1
  /// V-trace (Espeholt et al. 2018) with the truncation levels ρ̄, c̄ of
  /// the config (default 1) and c_t scaled by λ:
  /// the importance-corrected advantages and targets of a batch whose
  /// acting policy (its behaviour log-probabilities) may be older than the
  /// learner's — asynchronous rollout workers. The critic is fitted to the
  /// V-trace targets whatever the value target says.
  case vtrace = 2
}

/// What the critic is fitted to.
public enum ValueTarget: Int32, Sendable {
  /// λ-returns (GAE) or n-step returns: Â_t + V(s_t), bootstrapped from V.
  case bootstrap = 0
  /// Discounted returns to the end of the segment, bootstrapping only where
  /// a segment or a truncated episode stops.
  case monteCarlo = 1
}

/// The critic's view of a time-major batch `[T, N]` and what the segment
/// learners estimate from it, each in a buffer named for what it holds:
/// `values` V(s_t) for t = 0…T ([T + 1, N], the last row the observation
/// after the segment), `finalValues` V of the final observation of episodes
/// truncated at a row ([T, N], 0 elsewhere), `advantages` Â_t and `returns`
/// the critic's targets.
public final class ValueEstimates {
  public let values = Store<Double>()
  public let finalValues = Store<Double>()
  public let advantages = Store<Double>()
  public let returns = Store<Double>()
  /// log π(a|s) − log β(a|s) of the batch (V-trace).
  public let logRhos = Store<Double>()

  public init() {}

  /// V(s_t) of every row and the bootstrap values (see the type). Throws
  /// `failure("the value estimate V(s)")` when a value is not finite.
  public func predict(
    critic: ValueFunction, _ d: Trajectories, failure: (String) -> SwiftPGError
  ) throws(SwiftPGError) {
    let m = d.count
    let n = d.lanes
    let dim = d.observationSize
    let v = values.reserve(m + n)
    critic.predict(d.observations.pointer, batch: m, into: v)
    critic.predict(d.nextObservations.pointer, batch: n, into: v + m)
    let f = finalValues.reserve(m)
    // Every row is set: the vectorised kernels read all of them branch-free.
    f.update(repeating: 0, count: m)
    for k in 0..<m where d.truncated[k] != 0 && d.terminated[k] == 0 {
      critic.predict(d.finalObservations.pointer + k * dim, batch: 1, into: f + k)
    }
    for k in 0..<(m + n) where !v[k].isFinite { throw failure("the value estimate V(s)") }
  }

  /// The estimator view of the batch with the current values.
  public func rollout(_ d: Trajectories) -> Rollout {
    d.rollout(values: values.pointer, finalValues: finalValues.pointer)
  }

  /// Advantages (GAE(γ, λ) or n-step, Estimators/Advantages.swift; V-trace,
  /// Estimators/VTrace.swift, with `logRhos` filled) into `advantages` and
  /// the critic's targets into `returns`, from `values`.
  /// `rhoBar`, `cBar`: V-trace's truncation levels (read only for V-trace).
  public func estimate(
    _ d: Trajectories, advantage: AdvantageKind, gamma: Double, gaeLambda: Double, nSteps: Int, target: ValueTarget,
    rhoBar: Double = 1, cBar: Double = 1
  ) {
    let r = rollout(d)
    let m = d.count
    let a = advantages.reserve(m)
    let y = returns.reserve(m)
    switch advantage {
    case .gae: generalizedAdvantages(r, gamma: gamma, lambda: gaeLambda, into: a)
    case .nStep: nStepAdvantages(r, gamma: gamma, n: nSteps, into: a)
    case .vtrace:
      vtrace(
        r, gamma: gamma, logRhos: logRhos.pointer, rhoBar: rhoBar, cBar: cBar, lambda: gaeLambda, targets: y, advantages: a)
      return
    }
    switch target {
    case .bootstrap: for k in 0..<m { y[k] = a[k] + values[k] }
    case .monteCarlo: discountedReturns(r, gamma: gamma, into: y)
    }
  }

  /// Explained variance of `values` as predictions of `returns` over m rows.
  public func explainedVariance(count m: Int) -> Double {
    SwiftPG.explainedVariance(targets: returns.pointer, predictions: values.pointer, count: m)
  }
}
