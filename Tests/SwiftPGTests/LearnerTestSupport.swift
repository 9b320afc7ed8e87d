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

/// A learner of type `L` for updates on outside data (no environment) over
/// `uniformTabularPolicy(states: 2, actions: 2)` and a tabular critic
/// holding `criticValues`, its config changed by `change`.
func tabularLearner<L: PolicyGradientLearner>(
  _ type: L.Type, criticValues: [Double], _ change: (inout L.Config) -> Void
) throws -> (L, ValueFunction) {
  let critic = try ValueFunction(tabularStates: criticValues.count)
  try critic.setParameters(criticValues)
  var config = L.Config()
  change(&config)
  return (try L(env: nil, policy: try uniformTabularPolicy(states: 2, actions: 2), critic: critic, config: config), critic)
}

/// The two-step batch of one lane over two one-hot states of the
/// actor-critic and A2C examples: s0 a0 r=1 → s1, s1 a1 r=2 → s0 (ending
/// the episode where `terminated` says so).
func twoStepTabularBatch(terminated: [UInt8]? = nil) -> Trajectories {
  makeTrajectories(
    observationSize: 2, actionSpace: .discrete(2), steps: 2, observations: oneHot([0, 1], count: 2), actions: [0, 1],
    rewards: [1, 2], terminated: terminated, nextObservations: oneHot([0], count: 2))
}

/// The hand-computed examples of ActorCriticTests and A2CTests: one update
/// of a `tabularLearner` with critic V = (1, 2), γ = 0.5 and learning rate
/// 1 (then `change`) on `twoStepTabularBatch(terminated:)`.
func twoStepUpdate<L: PolicyGradientLearner>(
  _ type: L.Type, terminated: [UInt8]? = nil, _ change: (inout L.Config) -> Void
) throws -> (L, ValueFunction, TrainStats) {
  let (l, critic) = try tabularLearner(type, criticValues: [1, 2]) {
    $0.common.gamma = 0.5
    $0.common.learningRate = 1
    change(&$0)
  }
  return (l, critic, try l.update(external: twoStepTabularBatch(terminated: terminated)))
}

/// Central finite differences (step 1e-6) of `f` in each of `parameters`,
/// applied through `set`; `parameters` are set again at the end.
func centralDifferences(_ parameters: [Double], set: ([Double]) throws -> Void, _ f: () -> Double) throws -> [Double] {
  var grad = [Double](repeating: 0, count: parameters.count)
  let h = 1e-6
  for k in parameters.indices {
    var shifted = parameters
    shifted[k] = parameters[k] + h
    try set(shifted)
    let fp = f()
    shifted[k] = parameters[k] - h
    try set(shifted)
    grad[k] = (fp - f()) / (2 * h)
  }
  try set(parameters)
  return grad
}

/// Expects `decode` to refuse `good` cut short at every `lengthStride`-th
/// length and with `flip` xored into every `byteStride`-th byte.
func expectDamageRefused(
  _ good: [UInt8], lengthStride: Int, byteStride: Int, flip: UInt8,
  sourceLocation: SourceLocation = #_sourceLocation, _ decode: ([UInt8]) throws -> Void
) {
  for n in stride(from: 0, to: good.count, by: lengthStride) {
    #expect(throws: SwiftPGError.self, sourceLocation: sourceLocation) { try decode(Array(good[0..<n])) }
  }
  for i in stride(from: 0, to: good.count, by: byteStride) {
    var bad = good
    bad[i] ^= flip
    #expect(throws: SwiftPGError.self, sourceLocation: sourceLocation) { try decode(bad) }
  }
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

/// The mean return of the last `tail` of `iterations` training iterations
/// (those that ended episodes) of a `cartPoleLearner` on `count` lanes.
func cartPoleTailMean<L: PolicyGradientLearner>(
  _ type: L.Type, count: Int = 8, iterations: Int, tail: Int = 3, _ change: (inout L.Config) -> Void = { _ in }
) throws -> Double {
  let l = try cartPoleLearner(type, count: count, change)
  return tailMean(try trainingReturns(l, iterations: iterations), tail)
}

/// The mean of the last `n` values of `xs` (all of them when fewer).
/// Typed once here: the same expression inside `#expect` costs the type
/// checker seconds per call site.
func tailMean(_ xs: [Double], _ n: Int) -> Double {
  let tail = xs.suffix(n)
  return tail.isEmpty ? .nan : tail.reduce(0, +) / Double(tail.count)
}
