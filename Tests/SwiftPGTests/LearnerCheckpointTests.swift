import Foundation
import Testing

@testable import SwiftPG

/// Algorithms/LearnerCheckpoint.swift: a saved and loaded learner makes the
/// same next update as the original, for every algorithm; files of another
/// algorithm, architecture or normalisation are refused with `.badFormat`
/// and leave the learner unchanged.
@Suite struct LearnerCheckpointTests {
  func learner<L: PolicyGradientLearner>(
    _ type: L.Type, seed: UInt64 = 0, hidden: [Int] = [16], _ change: (inout L.Config) -> Void = { _ in }
  ) throws -> L {
    try cartPoleLearner(type, count: 4, seed: seed, hidden: hidden, change)
  }

  @Test func checkpointResumesExactly() throws {
    let path = temporaryPath("learner")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let a = try learner(PPO.self) {
      $0.stepsPerEnv = 16
      $0.minibatchSize = 16
      $0.normalizeObservations = true
    }
    for _ in 0..<3 { _ = try a.iterate() }
    try a.save(to: path)
    let b = try learner(PPO.self, seed: 9) {
      $0.stepsPerEnv = 16
      $0.minibatchSize = 16
      $0.normalizeObservations = true
    }
    try b.load(from: path)
    #expect(b.policy.parameters == a.policy.parameters)
    #expect(b.critic?.parameters == a.critic?.parameters)
    #expect(b.iteration == 3 && b.totalEnvSteps == a.totalEnvSteps)
    #expect(b.observationNormalizer?.mean == a.observationNormalizer?.mean)
    #expect(b.observationNormalizer?.variance == a.observationNormalizer?.variance)
    #expect(optimizerState(b.core.policyStep.optimizer) == optimizerState(a.core.policyStep.optimizer))
    #expect(optimizerState(b.core.criticStep?.optimizer) == optimizerState(a.core.criticStep?.optimizer))
    // Same update on the same data from both: identical results (optimizer
    // moments and generator restored).
    let sa = try a.update(external: a.core.data.copy())
    let sb = try b.update(external: a.core.data.copy())
    #expect(b.policy.parameters == a.policy.parameters)
    #expect(b.critic?.parameters == a.critic?.parameters)
    #expect(sa.policyLoss == sb.policyLoss)
  }

  /// Save after one iteration, load into a learner built with other seeds,
  /// then the same outside update on both: identical parameters (SGD
  /// velocities, Adam moments, the minibatch generator, PPO's β).
  @Test func everyAlgorithmResumesItsNextUpdate() throws {
    let path = temporaryPath("learner-all")
    defer { try? FileManager.default.removeItem(atPath: path) }
    func check<L: PolicyGradientLearner>(_ type: L.Type, _ change: @escaping (inout L.Config) -> Void) throws {
      let a = try learner(L.self, change)
      _ = try a.iterate()
      try a.save(to: path)
      let b = try learner(L.self, seed: 5, change)
      try b.load(from: path)
      let d = a.core.data.copy()
      _ = try a.update(external: d.copy())
      _ = try b.update(external: d.copy())
      #expect(b.policy.parameters == a.policy.parameters, "\(L.algorithm.name)")
      #expect(b.critic?.parameters == a.critic?.parameters, "\(L.algorithm.name)")
      #expect(b.core.adaptiveCoefficient == a.core.adaptiveCoefficient)
    }
    try check(Reinforce.self) {
      $0.stepsPerIteration = 64
      $0.baseline = .value
      $0.optimizer = .sgd
    }
    try check(ActorCritic.self) { $0.stepsPerEnv = 8 }
    try check(A2C.self) {
      $0.stepsPerEnv = 8
      $0.valueEpochs = 3
      $0.minibatchSize = 8
    }
    try check(NPG.self) {
      $0.stepsPerEnv = 8
      $0.minibatchSize = 8
    }
    try check(TRPO.self) {
      $0.stepsPerEnv = 8
      $0.minibatchSize = 8
    }
    try check(PPO.self) {
      $0.stepsPerEnv = 8
      $0.minibatchSize = 8
      $0.klPenalty = true
      $0.normalizeRewards = true
    }
  }

  /// Off-policy PG keeps its replay of past batches outside the core, and
  /// the checkpoint does not hold it: a loaded learner starts with an empty
  /// replay, so its next update differs. Recorded as a known issue.
  @Test func offPolicyReplayIsNotSaved() throws {
    let path = temporaryPath("learner-offpolicy")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let a = try learner(OffPolicyPG.self) { $0.stepsPerIteration = 64 }
    _ = try a.iterate()
    try a.save(to: path)
    let b = try learner(OffPolicyPG.self, seed: 5) { $0.stepsPerIteration = 64 }
    try b.load(from: path)
    #expect(b.policy.parameters == a.policy.parameters && b.iteration == 1)
    #expect(b.replay.isEmpty && a.replay.count == 1)
    let d = a.core.data.copy()
    _ = try a.update(external: d.copy())
    _ = try b.update(external: d.copy())
    withKnownIssue("the replay of OffPolicyPG is not part of the learner checkpoint") {
      #expect(b.policy.parameters == a.policy.parameters)
    }
  }

  @Test func checkpointsOfAnotherAlgorithmOrShapeAreRefused() throws {
    let path = temporaryPath("learner-refused")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let a = try learner(PPO.self) {
      $0.stepsPerEnv = 16
      $0.minibatchSize = 16
    }
    _ = try a.iterate()
    try a.save(to: path)
    func refused(_ l: any PolicyGradientLearner) {
      let before = (l.policy.parameters, l.critic?.parameters, l.iteration)
      #expect { try l.load(from: path) } throws: { ($0 as? SwiftPGError)?.code == .badFormat }
      #expect(l.policy.parameters == before.0 && l.critic?.parameters == before.1 && l.iteration == before.2)
    }
    refused(try learner(A2C.self))  // another algorithm
    refused(try learner(PPO.self, hidden: [8]))  // another architecture
    refused(try learner(PPO.self) { $0.normalizeObservations = true })  // other normalisation
    // Not a learner checkpoint at all.
    try Checkpoint.save(a.policy, to: path)
    refused(try learner(PPO.self))
    // A truncated learner state.
    let contents = Checkpoint.Contents(
      kind: .learner, family: UInt32(PGAlgorithm.ppo.rawValue), specification: a.core.checkpointSpecification,
      parameters: [1, 2, 3])
    try Checkpoint.write(Checkpoint.encode(contents), to: path)
    refused(try learner(PPO.self))
  }
}
