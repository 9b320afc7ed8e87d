import Testing

@testable import SwiftPG

/// Algorithms/RolloutCollector.swift: N lanes × T steps per call, replayed
/// on a twin environment with the recorded actions — observations, rewards,
/// flags, final and next observations, behaviour log-probabilities, episode
/// statistics across calls, and the running normalisers.
@Suite struct RolloutCollectorTests {
  func rows(_ s: Store<Double>, _ from: Int, _ n: Int) -> [Double] {
    Array(UnsafeBufferPointer(start: s.pointer + from, count: n))
  }

  func pendulum(_ seed: UInt64) throws -> VectorEnvironment<Pendulum> {
    let env = try VectorEnvironment(Pendulum(), count: 2, seed: seed)
    try env.setParameter("max_episode_steps", 3)
    return env
  }

  /// Two calls of 5 steps with a time limit of 3: every field equals what
  /// the twin environment does with the recorded actions, and the episodes
  /// that span the two calls are reported whole (return and length).
  @Test(arguments: [false, true])
  func recordsWhatTheEnvironmentDid(normalize: Bool) throws {
    let env = try pendulum(3)
    let twin = try pendulum(3)
    let policy = try GaussianPolicy(observationSize: 3, actionSize: 1, hidden: [4], seed: 1)
    let collector = RolloutCollector(env: env)
    let data = Trajectories(observationSize: 3, actionSpace: env.actionSpace)
    var lanes = [PCG64.laneStream(seed: 5, lane: 0), PCG64.laneStream(seed: 5, lane: 1)]
    var observationNormalizer: RunningMeanStd? = normalize ? RunningMeanStd(width: 3) : nil
    var rewardScaler: RunningMeanStd? = normalize ? RunningMeanStd(width: 1) : nil
    // The twin's statistics, kept by hand.
    var twinObs = RunningMeanStd(width: 3)
    var twinRewards = RunningMeanStd(width: 1)
    var discounted = [0.0, 0.0]
    let gamma = 0.9
    var buffers = StepBuffers(for: twin)
    twin.reset(into: &buffers)
    var running = [0.0, 0.0]
    var lengths = [0, 0]
    for _ in 0..<2 {
      let ok = lanes.withUnsafeMutableBufferPointer { g in
        collector.collect(
          steps: 5, policy: policy, generators: g.baseAddress!, into: data,
          observationNormalizer: &observationNormalizer, rewardScaler: &rewardScaler, gamma: gamma,
          clipObservations: 10, clipRewards: 10)
      }
      #expect(ok)
      #expect(data.steps == 5 && data.lanes == 2)
      var returns: [Double] = []
      var ended: [Int] = []
      for t in 0..<5 {
        var seen = buffers.observations
        if normalize {
          twinObs.update(seen, rows: 2)
          twinObs.normalize(&seen, rows: 2, clip: 10)
        }
        #expect(rows(data.observations, t * 6, 6) == seen)
        let actions = rows(data.continuousActions, t * 2, 2)
        var lp = [0.0, 0.0]
        actions.withUnsafeBytes { a in policy.logProbabilities(seen, actions: a.baseAddress!, batch: 2, into: &lp) }
        #expect(rows(data.behaviorLogProbs, t * 2, 2) == lp)
        try twin.step(actions: actions, into: &buffers)
        var scale = 1.0
        if normalize {
          for i in 0..<2 { discounted[i] = discounted[i] * gamma + buffers.rewards[i] }
          twinRewards.update(discounted, rows: 2)
          scale = 1 / (twinRewards.variance[0] + 1e-8).squareRoot()
        }
        for i in 0..<2 {
          let k = t * 2 + i
          #expect(data.rewards[k] == Swift.min(Swift.max(buffers.rewards[i] * scale, -10), 10))
          #expect(data.terminated[k] == buffers.terminated[i] && data.truncated[k] == buffers.truncated[i])
          running[i] += buffers.rewards[i]
          lengths[i] += 1
          if buffers.truncated[i] != 0 {
            var final = Array(buffers.finalObservations[(i * 3)..<(i * 3 + 3)])
            if normalize { twinObs.normalize(&final, rows: 1, clip: 10) }
            #expect(rows(data.finalObservations, k * 3, 3) == final)
            returns.append(running[i])
            ended.append(lengths[i])
            running[i] = 0
            lengths[i] = 0
            discounted[i] = 0
          }
        }
      }
      var next = buffers.observations
      if normalize { twinObs.normalize(&next, rows: 2, clip: 10) }
      #expect(rows(data.nextObservations, 0, 6) == next)
      #expect(data.episodeReturns == returns && data.episodeLengths == ended)
      #expect(ended.allSatisfy { $0 == 3 } && !ended.isEmpty)
      #expect(data.episodeTerminated == [Bool](repeating: false, count: ended.count))
    }
    if normalize {
      #expect(observationNormalizer?.mean == twinObs.mean && observationNormalizer?.count == 1e-4 + 20)
      #expect(rewardScaler?.variance == twinRewards.variance)
    }
  }

  /// Non-finite actions from a diverged policy: collection reports failure.
  @Test func nonFiniteActionsAreReported() throws {
    let env = try pendulum(0)
    let policy = try GaussianPolicy(observationSize: 3, actionSize: 1, hidden: [], headGain: 1, seed: 0)
    try policy.setParameters([1e308, 1e308, 1e308, 1e308, 0])
    let data = Trajectories(observationSize: 3, actionSpace: env.actionSpace)
    var lanes = [PCG64.laneStream(seed: 0, lane: 0), PCG64.laneStream(seed: 0, lane: 1)]
    var none: RunningMeanStd?
    var noScaler: RunningMeanStd?
    let ok = lanes.withUnsafeMutableBufferPointer { g in
      RolloutCollector(env: env).collect(
        steps: 2, policy: policy, generators: g.baseAddress!, into: data, observationNormalizer: &none,
        rewardScaler: &noScaler, gamma: 0.9, clipObservations: 10, clipRewards: 10)
    }
    #expect(!ok)
  }
}
