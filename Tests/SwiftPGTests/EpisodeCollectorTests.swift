import Testing

@testable import SwiftPG

/// Algorithms/EpisodeCollector.swift and Evaluation.swift: whole episodes,
/// the streaming summary, the time-limit rule and cancellation (issue 11).
@Suite struct EpisodeCollectorTests {
  func alwaysRight(_ obs: UnsafePointer<Double>, _ raw: UnsafeMutableRawPointer, _ n: Int) {
    let a = raw.assumingMemoryBound(to: Int32.self)
    for i in 0..<n { a[i] = 1 }
  }

  /// `summarize` reports the returns and lengths `collect` stores, in the
  /// order the episodes started, without keeping any transition.
  @Test func summaryEqualsTheStoredEpisodes() throws {
    let env = try VectorEnvironment(CartPole(), count: 3, seed: 7)
    let collector = try EpisodeCollector(env: env)
    var batch = EpisodeBatch(observationSize: 4)
    try collector.collect(.episodes(10), seed: 1, into: &batch) { obs, raw in self.alwaysRight(obs, raw, 3) }
    var returns = [Double](repeating: -1, count: 10)
    var lengths = [Int](repeating: -1, count: 10)
    try collector.summarize(episodes: 10, seed: 1, record: { k, r, l in
      returns[k] = r
      lengths[k] = l
    }) { obs, raw in self.alwaysRight(obs, raw, 3) }
    #expect(returns == batch.episodeReturns && lengths == batch.episodeLengths)
    #expect(lengths.allSatisfy { $0 > 0 && $0 < 100 })
  }

  /// With a sampler that reports log-probabilities, each stored step keeps
  /// the log π of its action from the pass that drew it (one pass a step),
  /// in the stored order; they equal a batched pass over the episodes
  /// (for `.steps` and `.episodes`, softmax and Gaussian policies).
  @Test func sampledLogProbabilitiesAreKeptWithTheirSteps() throws {
    let softmax = try SoftmaxPolicy(observationSize: 4, actionCount: 2, hidden: [8], headGain: 1, seed: 3)
    let gaussian = try GaussianPolicy(observationSize: 3, actionSize: 1, hidden: [8], headGain: 1, seed: 4)
    let cases: [(any Policy, any BatchedEnvironment)] = [
      (softmax, try VectorEnvironment(CartPole(), count: 3, seed: 7)),
      (gaussian, try VectorEnvironment(Pendulum(), count: 2, seed: 5)),
    ]
    for (policy, env) in cases {
      try env.setParameter("max_episode_steps", 40)
      let collector = try EpisodeCollector(env: env)
      var generators = (0..<env.count).map { PCG64(seed: UInt128($0) + 11) }
      for budget in [EpisodeCollector.Budget.steps(150), .episodes(5)] {
        var batch = EpisodeBatch(observationSize: env.observationSize)
        try generators.withUnsafeMutableBufferPointer { g in
          guard let base = g.baseAddress else { return }
          try collector.collect(budget, seed: 1, into: &batch) { obs, raw, lp in
            policy.sample(obs, batch: env.count, rawActions: raw, generators: base, logProbabilities: lp)
          }
        }
        let m = batch.count
        #expect(m > 0 && batch.logProbabilities.count == m)
        var recomputed = [Double](repeating: .nan, count: m)
        try batch.observations.withUnsafeBufferPointer { o in
          try recomputed.withUnsafeMutableBufferPointer { r in
            guard let op = o.baseAddress, let rp = r.baseAddress else { throw SwiftPGError.invalid("empty") }
            if batch.actions.isEmpty {
              try batch.continuousActions.withUnsafeBytes { a in
                guard let ap = a.baseAddress else { throw SwiftPGError.invalid("empty") }
                policy.logProbabilities(op, actions: ap, batch: m, into: rp)
              }
            } else {
              try batch.actions.withUnsafeBytes { a in
                guard let ap = a.baseAddress else { throw SwiftPGError.invalid("empty") }
                policy.logProbabilities(op, actions: ap, batch: m, into: rp)
              }
            }
          }
        }
        for (x, y) in zip(batch.logProbabilities, recomputed) {
          #expect(abs(x - y) <= 1e-12 * (1 + abs(y)), "\(type(of: policy)) \(budget): \(x) vs \(y)")
        }
        // A sampler without log-probabilities keeps none.
        let continuous = batch.actions.isEmpty
        try collector.collect(budget, seed: 1, into: &batch) { _, raw in
          if continuous {
            raw.assumingMemoryBound(to: Double.self).update(repeating: 0, count: env.count)
          } else {
            raw.assumingMemoryBound(to: Int32.self).update(repeating: 0, count: env.count)
          }
        }
        #expect(batch.logProbabilities.isEmpty && batch.count > 0)
      }
    }
  }

  @Test func episodicWorkNeedsATimeLimit() throws {
    let env = try VectorEnvironment(Pendulum(), count: 2, seed: 0)
    try env.setParameter("max_episode_steps", 0)
    let collector = try EpisodeCollector(env: env)
    var batch = EpisodeBatch(observationSize: 3)
    #expect(throws: SwiftPGError.self) {
      try collector.collect(.steps(10), into: &batch) { _, raw in
        raw.assumingMemoryBound(to: Double.self).update(repeating: 0, count: 2)
      }
    }
    let policy = try GaussianPolicy(observationSize: 3, actionSize: 1, hidden: [])
    #expect(throws: SwiftPGError.self) {
      try evaluate(policy: policy, env: env, episodes: 1, greedy: true, seed: 0)
    }
    try env.setParameter("max_episode_steps", 7)
    let (_, lengths) = try evaluate(policy: policy, env: env, episodes: 3, greedy: true, seed: 0)
    #expect(lengths == [7, 7, 7])
  }

  /// A pending request stops the next check and is consumed by it.
  @Test func cancellationStopsAndIsConsumed() throws {
    let env = try VectorEnvironment(CartPole(), count: 2, seed: 0)
    let policy = try SoftmaxPolicy(observationSize: 4, actionCount: 2, hidden: [], activation: .tanh)
    let flag = CancellationFlag()
    flag.request()
    do {
      _ = try evaluate(policy: policy, env: env, episodes: 1 << 20, greedy: false, seed: 0, cancellation: flag)
      Issue.record("not cancelled")
    } catch {
      #expect(error.code == .cancelled)
    }
    let (returns, _) = try evaluate(policy: policy, env: env, episodes: 4, greedy: true, seed: 0, cancellation: flag)
    #expect(returns.count == 4)
  }
}
