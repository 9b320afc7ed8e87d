import Synchronization
import Testing

@testable import SwiftPG

/// Learners trained side by side end exactly as trained alone.
@Suite struct TrainTogetherTests {
  static func ppo(seed: UInt64, learningRate: Double = 3e-4) throws -> PPO {
    try cartPoleLearner(PPO.self, count: 4, seed: seed, hidden: [16, 16]) {
      $0.stepsPerEnv = 32
      $0.minibatchSize = 64
      $0.epochs = 2
      $0.updateThreads = 2
      $0.learningRate = learningRate
    }
  }

  @Test(arguments: [1, 2, 3]) func eachLearnerEndsAsIfTrainedAlone(threads: Int) throws {
    let seeds: [UInt64] = [0, 1, 2, 3, 4]
    let together = try seeds.map { try Self.ppo(seed: $0) }
    var counts = Array(repeating: 0, count: seeds.count)
    let lock = Mutex(counts)
    let errors = trainTogether(together, totalEnvSteps: 1_000, threads: threads) { k, _ in
      lock.withLock { $0[k] += 1 }
    }
    counts = lock.withLock { $0 }
    #expect(errors.allSatisfy { $0 == nil })
    for (k, seed) in seeds.enumerated() {
      let alone = try Self.ppo(seed: seed)
      var iterations = 0
      while alone.totalEnvSteps < 1_000 {
        _ = try alone.iterate()
        iterations += 1
      }
      #expect(together[k].totalEnvSteps == alone.totalEnvSteps)
      #expect(counts[k] == iterations)
      #expect(together[k].policy.parameters == alone.policy.parameters)
      #expect(together[k].critic?.parameters == alone.critic?.parameters)
    }
  }

  @Test func aRequestedCancellationStopsEveryLearnerBeforeItsNextIteration() throws {
    let learners = try [0, 1, 2].map { try Self.ppo(seed: UInt64($0)) }
    let flag = CancellationFlag()
    flag.request()
    let errors = trainTogether(learners, totalEnvSteps: 1_000, threads: 2, cancellation: flag)
    #expect(errors.allSatisfy { $0?.code == .cancelled })
    #expect(learners.allSatisfy { $0.totalEnvSteps == 0 })
  }

  @Test func aFailingLearnerStopsAloneAndTheOthersFinish() throws {
    let good = try Self.ppo(seed: 0)
    let bad = try Self.ppo(seed: 1, learningRate: 1e300)  // the second step overflows
    let initial = bad.policy.parameters
    let errors = trainTogether([bad, good], totalEnvSteps: 512, threads: 2)
    #expect(errors[0]?.code == .numerical && errors[1] == nil)
    #expect(good.totalEnvSteps >= 512)
    #expect(bad.totalEnvSteps == 0 && bad.policy.parameters == initial)  // rolled back
  }
}
