import Testing

@testable import SwiftPG

/// Algorithms/OffPolicyPG.swift: the replay of recent batches, importance
/// weights and their effective sample size, and the rollback of the replay.
@Suite struct OffPolicyPGTests {
  /// The Reinforce test batch (see ReinforceTests): two complete episodes.
  func batch(rewards: [Double] = [1, 4, 2, -2]) -> Trajectories {
    makeTrajectories(
      observationSize: 2, actionSpace: .discrete(2), steps: 4, observations: oneHot([0, 1, 1, 0], count: 2),
      actions: [0, 1, 0, 0], rewards: rewards, terminated: [0, 1, 0, 0], truncated: [0, 0, 0, 1])
  }

  func learner(_ change: (inout OffPolicyPG.Config) -> Void = { _ in }) throws -> OffPolicyPG {
    var config = OffPolicyPG.Config()
    config.gamma = 0.5
    config.optimizer = .sgd
    config.learningRate = 1
    change(&config)
    return try OffPolicyPG(env: nil, policy: try uniformTabularPolicy(states: 2, actions: 2), critic: nil, config: config)
  }

  /// On the first batch every ratio is 1 (the behaviour log-probabilities are
  /// the current policy's): ESS = 1, and both weightings reduce to
  /// REINFORCE's reward-to-go with the batch-mean baseline, normalised or not.
  @Test func theFirstBatchIsOnPolicy() throws {
    for perDecision in [true, false] {
      for normalize in [true, false] {
        let l = try learner {
          $0.perDecision = perDecision
          $0.normalizeAdvantages = normalize
        }
        let s = try l.update(external: batch())
        #expect(s.effectiveSampleSize == 1)
        var config = Reinforce.Config()
        config.gamma = 0.5
        config.optimizer = .sgd
        config.learningRate = 1
        config.normalizeAdvantages = normalize
        let r = try Reinforce(env: nil, policy: try uniformTabularPolicy(states: 2, actions: 2), critic: nil, config: config)
        _ = try r.update(external: batch())
        expectClose(l.policy.parameters, r.policy.parameters, 1e-15, "per-decision \(perDecision) normalise \(normalize)")
        // Without normalisation: RTG − mean of ReinforceTests, (−0.25, 0.25, −0.375, 0.375).
        if !normalize { #expect(l.policy.parameters == [-0.25, 0.25, -0.375, 0.375]) }
      }
    }
  }

  /// The second update reuses the first batch with trajectory weights W =
  /// Π π_θ(a|s)/β(a|s) over each of its episodes (the new batch's are 1):
  /// ESS = (Σ W)² / Σ W² / (number of episodes).
  @Test func effectiveSampleSizeOfTheReplay() throws {
    let l = try learner { $0.normalizeAdvantages = false }
    _ = try l.update(external: batch())
    let lp = l.policy.logProbs(oneHot([0, 1, 1, 0], count: 2), [0, 1, 0, 0])
    let beta = _log(0.5)  // θ was 0: uniform
    let w1 = _exp(lp[0] - beta + lp[1] - beta)
    let w2 = _exp(lp[2] - beta + lp[3] - beta)
    let s = try l.update(external: batch(rewards: [0, 1, 1, 0]))
    let weights = [w1, w2, 1, 1]
    let sum = weights.reduce(0, +)
    let expected = sum * sum / weights.map { $0 * $0 }.reduce(0, +) / 4
    #expect(abs(s.effectiveSampleSize - expected) < 1e-14)
    #expect(s.effectiveSampleSize < 1)
    #expect(l.replay.count == 2)
  }

  @Test func theReplayKeepsTheLastBatches() throws {
    let l = try learner { $0.reuseBatches = 2 }
    for r in [1.0, 2, 3] { _ = try l.update(external: batch(rewards: [r, r, r, r])) }
    #expect(l.replay.count == 2)
    #expect(l.replay.map { $0.rewards[0] } == [2, 3])
  }

  /// A failed update (a non-finite reward makes the gradient NaN) leaves the
  /// replay — and the policy — as they were.
  @Test func aFailedUpdateLeavesTheReplayUnchanged() throws {
    let l = try learner()
    _ = try l.update(external: batch())
    let stored = l.replay
    let parameters = l.policy.parameters
    #expect { _ = try l.update(external: batch(rewards: [1, .nan, 2, -2])) } throws: {
      ($0 as? SwiftPGError)?.code == .numerical
    }
    #expect(l.replay.count == 1 && l.replay[0] === stored[0])
    #expect(l.policy.parameters == parameters && l.iteration == 1)
  }

  @Test func invalidConfigurations() throws {
    #expect(throws: SwiftPGError.self) { try learner { $0.baseline = .value } }
    #expect(throws: SwiftPGError.self) { try learner { $0.baseline = .optimal } }
    #expect(throws: SwiftPGError.self) { try learner { $0.reuseBatches = 0 } }
    #expect(throws: SwiftPGError.self) { try learner { $0.importanceClip = 0 } }
    #expect(throws: SwiftPGError.self) { try learner { $0.importanceClip = .nan } }
  }

  @Test func offPolicyReuseImprovesAndReportsESS() throws {
    let l = try cartPoleLearner(OffPolicyPG.self) {
      $0.stepsPerIteration = 1000
      $0.reuseBatches = 3
      $0.importanceClip = 5
    }
    var ess: [Double] = []
    var returns: [Double] = []
    for _ in 0..<30 {
      let s = try l.iterate()
      ess.append(s.effectiveSampleSize)
      returns.append(s.meanReturn)
    }
    #expect(ess[0] > 0.999)  // the first batch is on-policy: all weights 1
    #expect(ess.allSatisfy { $0 > 0 && $0 <= 1 + 1e-12 })
    #expect(tailMean(returns, 3) > 60)
  }
}
