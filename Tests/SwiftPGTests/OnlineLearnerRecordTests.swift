import Testing

@testable import SwiftPG

/// Online learners' checkpoints (`OnlineLearnerRecord.swift`): resuming
/// continues bit for bit, refusals change nothing; and the statistics and
/// gradient estimates every method reports.
@Suite struct OnlineLearnerRecordTests {
  typealias Fixture = OnlineRLHFTests

  /// Each method with settings that exercise its state (moving baseline,
  /// reused batches, a critic), on a fresh policy and reference of `seed`.
  static func learners(seed: UInt64, reward: ((ArrayTask) -> SequenceRewardFunction)? = nil) throws
    -> [any OnlineLearner]
  {
    let task = try Fixture.task()
    let r = reward?(task) ?? .gold(task)
    func make<L: OnlineLearnerBase<C> & OnlineLearner, C>(_: L.Type, _ config: C) throws -> any OnlineLearner {
      var c = config
      c.online.promptsPerIteration = 8
      let (p, q) = try Fixture.policies(seed: seed)
      return try L(policy: p, reference: q, task: task, reward: r, config: c)
    }
    var rloo = RLOO.Config()
    rloo.epochs = 3
    var ppo = RLHFPPO.Config()
    ppo.minibatchSize = 4
    return [
      try make(RLHFReinforce.self, .init()), try make(RLOO.self, rloo), try make(ReMax.self, .init()),
      try make(GRPO.self, .init()), try make(REBEL.self, .init()), try make(RLHFPPO.self, ppo),
    ]
  }

  @Test func resumingContinuesBitForBit() throws {
    let straight = try Self.learners(seed: 21)
    let resumed = try Self.learners(seed: 21)
    for (a, b) in zip(straight, resumed) {
      for _ in 0..<3 { _ = try a.iterate() }
      let file = a.serialized()
      let tail = try (0..<3).map { _ in try a.iterate() }
      try OnlineLearnerRecord.restore(b, from: file)
      #expect(b.core.iteration == 3 && b.core.totalSamples == a.core.totalSamples - tail.map(\.samples).reduce(0, +))
      let again = try (0..<3).map { _ in try b.iterate() }
      let name = type(of: a).algorithm
      #expect(again == tail, "\(name): the resumed statistics differ")
      #expect(a.core.policy.parameters.map(\.bitPattern) == b.core.policy.parameters.map(\.bitPattern), "\(name)")
      #expect(a.core.optimizer.m == b.core.optimizer.m && a.core.optimizer.t == b.core.optimizer.t, "\(name)")
      if let pa = a as? RLHFPPO, let pb = b as? RLHFPPO {
        #expect(pa.critic.model.parameters == pb.critic.model.parameters)
      }
      if let ra = a as? RLHFReinforce, let rb = b as? RLHFReinforce {
        #expect(ra.baselineValue == rb.baselineValue && ra.baselineValue != 0)
      }
    }
  }

  @Test func refusalsChangeNothing() throws {
    let task = try Fixture.task()
    let (policy, reference) = try Fixture.policies(seed: 5)
    let rloo = try RLOO(policy: policy, reference: reference, task: task, reward: .gold(task))
    _ = try rloo.iterate()
    let file = rloo.serialized()
    let (p2, r2) = try Fixture.policies(seed: 5)
    let grpo = try GRPO(policy: p2, reference: r2, task: task, reward: .gold(task))
    let other = try RLOO(policy: try p2.frozenCopy(), reference: try Fixture.policies(seed: 6).1, task: task, reward: .gold(task))
    let before = (p2.parameters, other.core.policy.parameters)
    func refused(_ learner: any OnlineLearner, _ bytes: [UInt8], _ words: String) {
      let e = #expect(throws: SwiftPGError.self) { try OnlineLearnerRecord.restore(learner, from: bytes) }
      #expect(e?.code == .badFormat && (words.isEmpty || e?.message.contains(words) == true), "\(e?.message ?? "")")
      #expect(learner.core.iteration == 0)
    }
    refused(grpo, file, "rloo learner")
    refused(other, file, "another reference policy")
    for cut in [0, 12, file.count / 2, file.count - 1] { refused(other, Array(file[..<cut]), "") }
    var flipped = file
    flipped[flipped.count / 2] ^= 0x40
    refused(other, flipped, "checksum")
    refused(other, SequencePolicyRecord.serialize(policy), "not an online RLHF learner")
    #expect(p2.parameters == before.0 && other.core.policy.parameters == before.1)
    // Another architecture: a policy over a larger space.
    let space = try SequenceSpace(vocabularySize: 2, maxLength: 3)
    let big = SequencePolicy(model: try TabularSequenceModel(space: space, promptCount: 2))
    let bigTask = try ArrayTask(
      vocabularySize: 2, maxLength: 3, promptProbabilities: [0.5, 0.5], promptFeatures: [], promptFeatureCount: 0,
      goldTable: Array(repeating: 0, count: 2 * 15))
    let wide = try RLOO(policy: big, reference: try big.frozenCopy(), task: bigTask, reward: .gold(bigTask))
    refused(wide, file, "architecture")
  }

  @Test func statisticsOfEveryMethod() throws {
    // Trained on twice the gold reward: the gold mean is half the reward's.
    let doubled = try Self.learners(seed: 8) { task in
      SequenceRewardFunction(name: "double") { (x, y, n) throws(SwiftPGError) in
        try task.goldRewards(prompts: x, tokens: y, lengths: n).map { 2 * $0 }
      }
    }
    for l in doubled {
      var s = OnlineStats()
      for _ in 0..<3 { s = try l.iterate() }
      let name = type(of: l).algorithm
      #expect(abs(s.meanReward - 2 * s.meanGoldReward) <= 1e-12 * abs(s.meanReward) + 1e-15, "\(name)")
      switch name {
      case "rloo", "ppo":
        #expect(s.clipFraction >= 0 && s.clipFraction <= 1 && s.approxKL > 0, "\(name): \(s)")
      case "rebel":
        #expect(s.clipFraction == 0 && s.approxKL > 0, "\(name): \(s)")
      default:
        #expect(s.clipFraction == 0 && s.approxKL == 0, "\(name): \(s)")
      }
      #expect((s.valueLoss > 0) == (name == "ppo"), "\(name): \(s)")
      #expect(s.clampedTokens == 0)
    }
  }
}
