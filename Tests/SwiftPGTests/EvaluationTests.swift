import Testing

@testable import SwiftPG

/// Algorithms/Evaluation.swift: evaluation episodes (the time-limit rule and
/// cancellation are in EpisodeCollectorTests), the observation transform,
/// and the action-space check every learner runs.
@Suite struct EvaluationTests {
  @Test func returnsAndLengthsPerEpisode() throws {
    let env = try VectorEnvironment(CartPole(), count: 3, seed: 4)
    let policy = try SoftmaxPolicy(observationSize: 4, actionCount: 2, hidden: [8], headGain: 1, seed: 2)
    let (returns, lengths) = try evaluate(policy: policy, env: env, episodes: 7, greedy: false, seed: 11)
    #expect(returns.count == 7 && lengths.count == 7)
    // CartPole pays 1 per step: the return of an episode is its length.
    #expect(returns == lengths.map(Double.init))
    #expect(lengths.allSatisfy { $0 >= 1 && $0 <= 500 })
    // The env is reseeded and the sampler seeded from `seed`: the same call repeats exactly.
    let again = try evaluate(policy: policy, env: env, episodes: 7, greedy: false, seed: 11)
    #expect(again.returns == returns && again.lengths == lengths)
    // The streaming form reports every episode index once.
    var seen: [Int] = []
    try evaluateEpisodes(policy: policy, env: env, episodes: 7, greedy: false, seed: 11) { k, r, l in
      seen.append(k)
      #expect(r == returns[k] && l == lengths[k])
    }
    #expect(seen.sorted() == Array(0..<7))
  }

  /// The transform is what the policy sees: a linear softmax (zero bias)
  /// seeing −s acts exactly as the policy with negated weights seeing s,
  /// sampled or greedy.
  @Test func theObservationTransformIsWhatThePolicySees() throws {
    let env = try VectorEnvironment(CartPole(), count: 2, seed: 0)
    let policy = try SoftmaxPolicy(observationSize: 4, actionCount: 2, hidden: [], headGain: 1, seed: 3)
    let negated = try SoftmaxPolicy(observationSize: 4, actionCount: 2, hidden: [], headGain: 1, seed: 3)
    try negated.setParameters(policy.parameters.map { -$0 })  // W → −W; the biases are 0
    let scratch = Store<Double>()
    let flip: (UnsafePointer<Double>) -> UnsafePointer<Double> = { obs in
      let x = scratch.reserve(8)
      for k in 0..<8 { x[k] = -obs[k] }
      return UnsafePointer(x)
    }
    for greedy in [true, false] {
      let transformed = try evaluate(policy: policy, env: env, episodes: 6, greedy: greedy, seed: 5, observationTransform: flip)
      let reference = try evaluate(policy: negated, env: env, episodes: 6, greedy: greedy, seed: 5)
      #expect(transformed.lengths == reference.lengths)
      let plain = try evaluate(policy: policy, env: env, episodes: 6, greedy: greedy, seed: 5)
      #expect(plain.lengths != reference.lengths)  // the transform did change something
    }
  }

  @Test func episodeCountsAreChecked() throws {
    let env = try VectorEnvironment(CartPole(), count: 1, seed: 0)
    let policy = try SoftmaxPolicy(observationSize: 4, actionCount: 2, hidden: [], seed: 0)
    #expect { try evaluate(policy: policy, env: env, episodes: 0, greedy: true, seed: 0) } throws: {
      ($0 as? SwiftPGError)?.code == .invalidArgument
    }
    #expect { try evaluate(policy: policy, env: env, episodes: (1 << 24) + 1, greedy: true, seed: 0) } throws: {
      ($0 as? SwiftPGError)?.code == .tooLarge
    }
  }

  @Test func actionSpacesMustMatch() throws {
    let cartPole = try VectorEnvironment(CartPole(), count: 1, seed: 0)
    let pendulum = try VectorEnvironment(Pendulum(), count: 1, seed: 0)
    try checkActionSpaces(policy: try SoftmaxPolicy(observationSize: 4, actionCount: 2, hidden: []), env: cartPole)
    try checkActionSpaces(policy: try GaussianPolicy(observationSize: 3, actionSize: 1, hidden: []), env: pendulum)
    let mismatches: [(any Policy, any BatchedEnvironment)] = [
      (try SoftmaxPolicy(observationSize: 3, actionCount: 2, hidden: []), cartPole),  // observation size
      (try SoftmaxPolicy(observationSize: 4, actionCount: 3, hidden: []), cartPole),  // action count
      (try GaussianPolicy(observationSize: 4, actionSize: 1, hidden: []), cartPole),  // continuous on discrete
      (try SoftmaxPolicy(observationSize: 3, actionCount: 2, hidden: []), pendulum),  // discrete on continuous
      (try GaussianPolicy(observationSize: 3, actionSize: 2, hidden: []), pendulum),  // action dimensions
    ]
    for (p, e) in mismatches {
      #expect(throws: SwiftPGError.self) { try checkActionSpaces(policy: p, env: e) }
    }
  }
}
