import Testing

@testable import SwiftPG

/// Per-lane action streams: lane i of a learner seeded s samples from
/// PCG64(SeedSequence(s, spawn_key=(7, laneOffset + i))), so splitting the
/// lanes of a batch across learners (threads, processes, workers) collects
/// exactly what one learner collects.
@Suite struct PerLaneStreamTests {
  @Test func laneStreamsAreNumpysSpawnedSeedSequences() {
    // numpy: np.random.PCG64(np.random.SeedSequence(5, spawn_key=(7, 3))).random_raw(2)
    var g = PCG64.laneStream(seed: 5, lane: 3)
    #expect(g.next() == 10_123_867_159_698_725_608)
    #expect(g.next() == 4_816_719_807_801_634_960)
    // SeedSequence(0, spawn_key=(7, 0)) and a seed above 2^32 with a lane above 2^16.
    var h = PCG64.laneStream(seed: 0, lane: 0)
    #expect(h.next() == 5_993_864_707_429_583_327)
    var k = PCG64.laneStream(seed: (1 << 40) + 1, lane: 70_000)
    #expect(k.next() == 4_075_332_090_544_423_032)
  }

  func collect(lanes: Int, envSeed: UInt64, laneOffset: Int, stepsPerEnv: Int) throws -> Trajectories {
    let env = try VectorEnvironment(Pendulum(), count: lanes, seed: envSeed)
    let policy = try GaussianPolicy(observationSize: 3, actionSize: 1, hidden: [8], seed: 1)
    let critic = try ValueFunction(observationSize: 3, hidden: [8], seed: 2)
    var config = PPO.Config()
    config.seed = 11
    config.stepsPerEnv = stepsPerEnv
    config.minibatchSize = 0
    let core = try LearnerCore(
      env: env, policy: policy, critic: critic,
      settings: {
        var s = config.coreSettings(.ppo)
        s.laneOffset = laneOffset
        return s
      }())
    try core.collect()
    return core.data
  }

  @Test func aSplitBatchCollectsWhatOneLearnerCollects() throws {
    let t = 7
    let whole = try collect(lanes: 4, envSeed: 20, laneOffset: 0, stepsPerEnv: t)
    // Lanes 0–1 and 2–3 in two learners (the env instances seeded as in the
    // whole batch: instance i of a batch seeded s uses s + i).
    let first = try collect(lanes: 2, envSeed: 20, laneOffset: 0, stepsPerEnv: t)
    let second = try collect(lanes: 2, envSeed: 22, laneOffset: 2, stepsPerEnv: t)
    for step in 0..<t {
      for lane in 0..<4 {
        let part = lane < 2 ? first : second
        let k = step * 4 + lane
        let kp = step * 2 + lane % 2
        #expect(whole.continuousActions[k] == part.continuousActions[kp], "step \(step) lane \(lane)")
        #expect(whole.behaviorLogProbs[k] == part.behaviorLogProbs[kp])
        #expect(whole.rewards[k] == part.rewards[kp])
      }
    }
    // And the lanes do differ from each other.
    #expect(whole.continuousActions[0] != whole.continuousActions[1])
  }

  @Test func oneForwardPassGivesTheLogProbabilitiesOfTheDrawnActions() throws {
    let obs = (0..<12).map { Double($0) / 7 - 0.5 }
    let softmax = try SoftmaxPolicy(observationSize: 3, actionCount: 4, hidden: [5], seed: 3)
    let gaussian = try GaussianPolicy(observationSize: 3, actionSize: 2, hidden: [5], seed: 3)
    for policy in [softmax, gaussian] as [any Policy] {
      var generators = (0..<4).map { PCG64.laneStream(seed: 1, lane: $0) }
      let actions = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 8)
      defer { actions.deallocate() }
      var fused = [Double](repeating: 0, count: 4)
      var separate = fused
      obs.withUnsafeBufferPointer { o in
        generators.withUnsafeMutableBufferPointer { g in
          policy.sample(o.baseAddress!, batch: 4, rawActions: actions, generators: g.baseAddress!, logProbabilities: &fused)
        }
        policy.logProbabilities(o.baseAddress!, actions: UnsafeRawPointer(actions), batch: 4, into: &separate)
      }
      #expect(fused == separate)
      #expect(fused.allSatisfy { $0.isFinite && $0 < 1 })
    }
  }
}
