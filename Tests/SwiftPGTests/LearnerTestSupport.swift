import Testing

@testable import SwiftPG

// Helpers shared by the training-layer tests (Algorithms/, Optimizers/,
// Critics/): hand-made batches and small policies whose gradients can be
// written down by hand. Not a test file of its own (no source beside it).

/// One-hot rows of `states` among `count` states.
func oneHot(_ states: [Int], count: Int) -> [Double] {
  var x = [Double](repeating: 0, count: states.count * count)
  for (r, s) in states.enumerated() { x[r * count + s] = 1 }
  return x
}

/// A time-major batch `[steps, lanes]` from plain arrays (flags default to 0,
/// final and next observations to 0).
func makeTrajectories(
  observationSize: Int, actionSpace: ActionSpace, steps: Int, lanes: Int = 1, observations: [Double],
  actions: [Int32] = [], continuousActions: [Double] = [], rewards: [Double], terminated: [UInt8]? = nil,
  truncated: [UInt8]? = nil, finalObservations: [Double]? = nil, nextObservations: [Double]? = nil
) -> Trajectories {
  let d = Trajectories(observationSize: observationSize, actionSpace: actionSpace)
  d.resize(steps: steps, lanes: lanes)
  let m = steps * lanes
  precondition(observations.count == m * observationSize && rewards.count == m)
  d.observations.pointer.update(from: observations, count: m * observationSize)
  if d.isDiscrete {
    precondition(actions.count == m)
    d.discreteActions.pointer.update(from: actions, count: m)
  } else {
    precondition(continuousActions.count == m * actionSpace.width)
    d.continuousActions.pointer.update(from: continuousActions, count: m * actionSpace.width)
  }
  d.rewards.pointer.update(from: rewards, count: m)
  if let terminated { d.terminated.pointer.update(from: terminated, count: m) }
  if let truncated { d.truncated.pointer.update(from: truncated, count: m) }
  d.finalObservations.pointer.update(
    from: finalObservations ?? [Double](repeating: 0, count: m * observationSize), count: m * observationSize)
  d.nextObservations.pointer.update(
    from: nextObservations ?? [Double](repeating: 0, count: lanes * observationSize), count: lanes * observationSize)
  return d
}

/// A tabular softmax policy over `states` × `actions` with θ = 0 (uniform):
/// its score vectors are e_a − 1/A on the row of the state, zero elsewhere.
func uniformTabularPolicy(states: Int, actions: Int) throws -> CategoricalPolicy<TabularLogits> {
  CategoricalPolicy(model: try TabularLogits(stateCount: states, actionCount: actions))
}

/// The optimiser's state as numbers (Adam: m, v, t; SGD: velocity), for
/// comparing rollbacks and checkpoints.
func optimizerState(_ o: AnyOptimizer?) -> [Double] {
  switch o {
  case .adam(let a): a.m + a.v + [Double(a.t)]
  case .sgd(let s): s.velocity
  case nil: []
  }
}

/// Array-based wrappers of the pointer APIs of a policy.
extension Policy {
  func logProbs(_ obs: [Double], _ actions: [Int32]) -> [Double] {
    var out = [Double](repeating: 0, count: actions.count)
    actions.withUnsafeBytes { a in logProbabilities(obs, actions: a.baseAddress!, batch: actions.count, into: &out) }
    return out
  }

  func score(_ obs: [Double], _ actions: [Int32], weights: [Double]) -> [Double] {
    var out = [Double](repeating: 0, count: parameterCount)
    actions.withUnsafeBytes { a in
      scoreGradient(obs, rawActions: a.baseAddress!, weights: weights, batch: actions.count, into: &out)
    }
    return out
  }

  func entropyGrad(_ obs: [Double], weights: [Double]) -> [Double] {
    var out = [Double](repeating: 0, count: parameterCount)
    entropyGradient(obs, weights: weights, batch: weights.count, into: &out)
    return out
  }

  /// Mean KL(π_old ‖ π_θ) over the rows of `obs`.
  func meanKL(_ obs: [Double], rows: Int, old: [Double]) -> Double {
    var kl = [Double](repeating: 0, count: rows)
    klDivergences(obs, batch: rows, oldParameters: old, into: &kl)
    return kl.reduce(0, +) / Double(rows)
  }
}

extension ValueFunction {
  func values(_ obs: [Double], rows: Int) -> [Double] {
    var out = [Double](repeating: 0, count: rows)
    predict(obs, batch: rows, into: &out)
    return out
  }
}

/// |a − b| ≤ tol · max(1, |b|) componentwise, with a message naming `what`.
func expectClose(
  _ a: [Double], _ b: [Double], _ tol: Double, _ what: String, sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(a.count == b.count, "\(what): \(a.count) vs \(b.count) entries", sourceLocation: sourceLocation)
  for (k, (x, y)) in zip(a, b).enumerated() where !(abs(x - y) <= tol * Swift.max(1, abs(y))) {
    Issue.record("\(what)[\(k)]: \(x) vs \(y)", sourceLocation: sourceLocation)
  }
}

/// A unique temporary path.
func temporaryPath(_ name: String) -> String {
  "/tmp/swiftpg-test-\(name)-\(UInt64.random(in: 0..<UInt64.max)).ckpt"
}

/// A learner of type `L` on `count` CartPole lanes with a softmax policy and
/// an MLP critic of the same hidden sizes (seeded `seed`, `seed + 1`), its
/// config seeded `seed` and then changed by `change`.
func cartPoleLearner<L: PolicyGradientLearner>(
  _ type: L.Type, count: Int = 8, seed: UInt64 = 0, hidden: [Int] = [32, 32],
  _ change: (inout L.Config) -> Void = { _ in }
) throws -> L {
  let env = try VectorEnvironment(CartPole(), count: count, seed: seed)
  let policy = try SoftmaxPolicy(observationSize: 4, actionCount: 2, hidden: hidden, seed: seed)
  let critic = try ValueFunction(observationSize: 4, hidden: hidden, seed: seed + 1)
  var config = L.Config()
  config.common.seed = seed
  change(&config)
  return try L(env: env, policy: policy, critic: critic, config: config)
}

/// The training mean returns of `iterations` iterations (those that ended episodes).
func trainingReturns(_ l: any PolicyGradientLearner, iterations: Int) throws -> [Double] {
  var returns: [Double] = []
  for _ in 0..<iterations {
    let s = try l.iterate()
    if !s.episodes.isEmpty { returns.append(s.meanReturn) }
  }
  return returns
}

/// The mean of the last `n` values of `xs` (all of them when fewer).
/// Typed once here: the same expression inside `#expect` costs the type
/// checker seconds per call site.
func tailMean(_ xs: [Double], _ n: Int) -> Double {
  let tail = xs.suffix(n)
  return tail.isEmpty ? .nan : tail.reduce(0, +) / Double(tail.count)
}
