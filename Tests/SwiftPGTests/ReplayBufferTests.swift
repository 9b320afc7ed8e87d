import Testing

@testable import SwiftPG

/// Algorithms/ReplayBuffer.swift: the ring, terminated vs truncated (and the
/// final observation as s′ of an ended episode), uniform sampling.
@Suite struct ReplayBufferTests {
  /// Adds one step of `lanes` lanes with observation `base + i` (1-d), next
  /// observation `base + 100 + i`, final observation `base + 200 + i`.
  func addStep(
    _ b: ReplayBuffer, base: Double, lanes: Int, terminated: [UInt8], truncated: [UInt8], withFinal: Bool = true
  ) {
    let obs = (0..<lanes).map { base + Double($0) }
    let next = obs.map { $0 + 100 }
    let final = obs.map { $0 + 200 }
    let actions = (0..<lanes).map { Int32($0 % 2) }
    let rewards = obs.map { -$0 }
    if withFinal {
      b.add(
        observations: obs, actions: actions, rewards: rewards, terminated: terminated, truncated: truncated,
        nextObservations: next, finalObservations: final, lanes: lanes)
    } else {
      b.add(
        observations: obs, actions: actions, rewards: rewards, terminated: terminated, truncated: truncated,
        nextObservations: next, finalObservations: nil, lanes: lanes)
    }
  }

  /// s′ is the step's next observation while the episode continues and the
  /// final observation when it terminated or truncated; the flags stay apart.
  @Test func flagsAndFinalObservations() throws {
    let b = try ReplayBuffer(capacity: 8, observationSize: 1)
    addStep(b, base: 0, lanes: 3, terminated: [0, 1, 0], truncated: [0, 0, 1])
    #expect(b.count == 3 && b.position == 3)
    #expect(b.rows.observations[0..<3] == [0, 1, 2])
    #expect(b.rows.nextObservations[0..<3] == [100, 201, 202])
    #expect(b.rows.terminated[0..<3] == [0, 1, 0])
    #expect(b.rows.truncated[0..<3] == [0, 0, 1])
    #expect(b.rows.rewards[0..<3] == [0, -1, -2])
    #expect(b.rows.actions[0..<3] == [0, 1, 0])
  }

  /// Once full, the oldest rows are overwritten in order.
  @Test func ringOverwritesOldest() throws {
    let b = try ReplayBuffer(capacity: 4, observationSize: 1)
    addStep(b, base: 0, lanes: 3, terminated: [0, 0, 0], truncated: [0, 0, 0])
    addStep(b, base: 10, lanes: 3, terminated: [0, 0, 0], truncated: [0, 0, 0])
    // Rows: 0,1,2 then 10 at row 3, 11 at row 0, 12 at row 1.
    #expect(b.count == 4 && b.position == 2 && b.added == 6)
    #expect(b.rows.observations == [11, 12, 2, 10])
  }

  /// A truncated step keeps the discount γ (it bootstraps), a terminated one gets 0.
  @Test func discountsBootstrapOnTruncation() throws {
    var s = try TransitionBatch(size: 3, observationSize: 1)
    s.terminated = [0, 1, 0]
    s.truncated = [0, 0, 1]
    #expect(s.discounts(gamma: 0.9) == [0.9, 0, 0.9])
  }

  /// Each of K stored rows is drawn with frequency 1/K within 5 standard
  /// errors (binomial, 20 000 draws), at a fixed seed; the sampled rows
  /// carry their stored transitions.
  @Test func samplingIsUniform() throws {
    let k = 10
    let b = try ReplayBuffer(capacity: 16, observationSize: 1)
    addStep(b, base: 0, lanes: k, terminated: Array(repeating: 0, count: k), truncated: Array(repeating: 0, count: k))
    var s = try TransitionBatch(size: 50, observationSize: 1)
    var rng = PCG64(seed: 7)
    var counts = [Int](repeating: 0, count: k)
    let rounds = 400
    for _ in 0..<rounds {
      try b.sample(into: &s, using: &rng)
      for (j, row) in s.indices.enumerated() {
        counts[row] += 1
        #expect(s.observations[j] == Double(row) && s.nextObservations[j] == Double(row) + 100)
        #expect(s.rewards[j] == -Double(row))
      }
    }
    let n = Double(rounds * s.size)
    let p = 1 / Double(k)
    let se = (p * (1 - p) / n).squareRoot()
    for c in counts { #expect(abs(Double(c) / n - p) < 5 * se) }
    // Rows beyond `count` are never drawn (indices < k).
    #expect(counts.reduce(0, +) == rounds * s.size)
  }

  @Test func refusals() throws {
    #expect(throws: SwiftPGError.self) { try ReplayBuffer(capacity: 0, observationSize: 1) }
    #expect(throws: SwiftPGError.self) { try ReplayBuffer(capacity: 1, observationSize: 0) }
    #expect(throws: SwiftPGError.self) { try ReplayBuffer(capacity: 1 << 40, observationSize: 1 << 30) }
    #expect(throws: SwiftPGError.self) { try TransitionBatch(size: 0, observationSize: 1) }
    let b = try ReplayBuffer(capacity: 2, observationSize: 1)
    var s = try TransitionBatch(size: 1, observationSize: 1)
    var rng = PCG64(seed: 0)
    #expect(throws: SwiftPGError.self) { try b.sample(into: &s, using: &rng) }
    var wrong = try TransitionBatch(size: 1, observationSize: 2)
    addStep(b, base: 0, lanes: 1, terminated: [0], truncated: [0])
    #expect(throws: SwiftPGError.self) { try b.sample(into: &wrong, using: &rng) }
  }
}
