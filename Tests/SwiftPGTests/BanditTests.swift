import Testing

@testable import SwiftPG

/// K-armed bandits: validation, reward distributions, the horizon.
@Suite struct BanditTests {
  @Test func validation() throws {
    #expect(throws: SwiftPGError.self) { try Bandit(kind: .gaussian, means: []) }
    #expect(throws: SwiftPGError.self) { try Bandit(kind: .gaussian, means: [0, .nan]) }
    #expect(throws: SwiftPGError.self) { try Bandit(kind: .gaussian, means: [0, 1], stds: [1]) }
    #expect(throws: SwiftPGError.self) { try Bandit(kind: .gaussian, means: [0, 1], stds: [1, -1]) }
    #expect(throws: SwiftPGError.self) { try Bandit(kind: .bernoulli, means: [0.5, 1.5]) }
    #expect(throws: SwiftPGError.self) { try Bandit(kind: .bernoulli, means: [0.5], horizon: 0) }
    let b = try Bandit(kind: .bernoulli, means: [0.25, 1])
    #expect(b.stds == [(0.25 * 0.75).squareRoot(), 0])
    #expect(try Bandit(kind: .gaussian, means: [3, 4]).stds == [1, 1])
  }

  /// Gaussian arm 1 ~ N(2, 0.5²); Bernoulli arm with p = 0.3; 4 000 pulls each.
  @Test func rewardDistributions() throws {
    let n = 4_000
    let gaussian = try VectorEnvironment(Bandit(kind: .gaussian, means: [0, 2], stds: [1, 0.5]), count: n, seed: 1)
    var b = StepBuffers(for: gaussian)
    try gaussian.step(actions: Array(repeating: 1, count: n) as [Int32], into: &b)
    let mean = b.rewards.reduce(0, +) / Double(n)
    let sd = (b.rewards.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)).squareRoot()
    #expect(abs(mean - 2) < 5 * 0.5 / Double(n).squareRoot() && abs(sd - 0.5) < 0.03)
    let bernoulli = try VectorEnvironment(Bandit(kind: .bernoulli, means: [0.3, 0.9]), count: n, seed: 2)
    var c = StepBuffers(for: bernoulli)
    try bernoulli.step(actions: Array(repeating: 0, count: n) as [Int32], into: &c)
    #expect(c.rewards.allSatisfy { $0 == 0 || $0 == 1 })
    let freq = c.rewards.reduce(0, +) / Double(n)
    #expect(abs(freq - 0.3) < 5 * (0.3 * 0.7 / Double(n)).squareRoot())
  }

  @Test func horizonActionsAndObservation() throws {
    let env = try VectorEnvironment(Bandit(kind: .gaussian, means: [1, 2, 3], stds: [0, 0, 0], horizon: 2), count: 1, seed: 0)
    #expect(env.actionSpace == .discrete(3))
    var b = StepBuffers(for: env)
    try env.step(actions: [2] as [Int32], into: &b)
    #expect(b.rewards == [3] && b.terminated == [0] && b.observations == [1])
    try env.step(actions: [0] as [Int32], into: &b)
    #expect(b.rewards == [1] && b.terminated == [1])
    #expect(throws: SwiftPGError.self) { try env.step(actions: [3] as [Int32], into: &b) }
  }
}
