import Testing

@testable import SwiftPG

/// SelfPlay/SelfPlayLearnerRecord.swift: a saved self-play or AlphaZero
/// learner continues exactly after `restore` into a learner with other
/// initial networks; a file of another algorithm, game, architecture, a
/// damaged pool or a corrupted byte is refused and changes nothing; and a
/// cancellation request stops a self-play iteration before any change.
@Suite struct SelfPlayLearnerRecordTests {
  static func reinforce(netSeed: UInt64, hidden: Int = 16) throws -> SelfPlayReinforce<TicTacToe> {
    let g = TicTacToe()
    var rng = SplitMix64(seed: netSeed)
    let policy = try BoardPolicyNetwork.mlp(for: g, hidden: [hidden], using: &rng)
    let value = try BoardValueNetwork.mlp(for: g, hidden: [8], using: &rng)
    return try SelfPlayReinforce(
      g, policy: policy, value: value, config: .init(gamesPerIteration: 8, snapshotInterval: 2, poolCapacity: 3, seed: 5))
  }

  @Test func reinforceContinuesExactly() throws {
    let a = try Self.reinforce(netSeed: 1)
    for _ in 0..<7 { _ = try a.iterate() }
    let bytes = a.serialize()
    let later = try (0..<3).map { _ in try a.iterate() }
    let b = try Self.reinforce(netSeed: 2)
    try b.restore(bytes)
    #expect(b.iteration == 7 && b.pool.count == 3)
    let again = try (0..<3).map { _ in try b.iterate() }
    #expect(again == later)
    #expect(a.policy.parameters == b.policy.parameters && a.value?.parameters == b.value?.parameters)
  }

  @Test func refusalsChangeNothing() throws {
    let a = try Self.reinforce(netSeed: 1)
    for _ in 0..<3 { _ = try a.iterate() }
    let bytes = a.serialize()
    let b = try Self.reinforce(netSeed: 2)
    let before = b.policy.parameters
    // Another architecture.
    let c = try Self.reinforce(netSeed: 2, hidden: 8)
    #expect(throws: SwiftPGError.self) { try c.restore(bytes) }
    // Every single flipped byte is refused (checksum) and leaves b as it was.
    for k in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 40)) {
      var bad = bytes
      bad[k] ^= 0x20
      #expect(throws: SwiftPGError.self) { try b.restore(bad) }
    }
    #expect(throws: SwiftPGError.self) { try b.restore(Array(bytes.dropLast(5))) }
    // Another algorithm: an AlphaZero learner's file.
    let g = TicTacToe()
    var rng = SplitMix64(seed: 3)
    let az = try AlphaZeroLearner(
      g, policy: try BoardPolicyNetwork.mlp(for: g, hidden: [16], using: &rng),
      value: try BoardValueNetwork.mlp(for: g, hidden: [8], using: &rng),
      config: .init(gamesPerIteration: 1, epochs: 1, search: PUCTConfig(simulations: 4)))
    #expect(throws: SwiftPGError.self) { try b.restore(az.serialize()) }
    #expect(b.policy.parameters == before && b.iteration == 0 && b.pool.count == 1)
    // A pool with more snapshots than the learner's capacity (a valid bundle otherwise).
    var r = SelfPlayLearnerRecord.header("reinforce", game: String(describing: g), iteration: 9)
    r.set("policy", record: BoardNetworkRecord.encode(a.policy))
    if let v = a.value { r.set("value", record: BoardNetworkRecord.encode(v)) }
    r.set("optimizer", record: a.optimizer.record)
    if let o = a.valueOptimizer { r.set("value_optimizer", record: o.record) }
    r.set("pool_iterations", ints: [0, 2, 4, 6])
    r.set("pool_parameters", doubles: Array(repeating: 0, count: 4 * a.policy.parameterCount))
    let tooMany = Bundle.encode(.selfPlayLearner, section: SelfPlayLearnerRecord.section, r)
    #expect(throws: SwiftPGError.self) { try b.restore(tooMany) }
    #expect(b.policy.parameters == before && b.iteration == 0)
  }

  @Test func alphaZeroContinuesExactly() throws {
    func make(_ seed: UInt64) throws -> AlphaZeroLearner<TicTacToe> {
      let g = TicTacToe()
      var rng = SplitMix64(seed: seed)
      return try AlphaZeroLearner(
        g, policy: try BoardPolicyNetwork.mlp(for: g, hidden: [16], using: &rng),
        value: try BoardValueNetwork.mlp(for: g, hidden: [8], using: &rng),
        config: .init(gamesPerIteration: 2, epochs: 2, minibatchSize: 8, search: PUCTConfig(simulations: 8, dirichletEpsilon: 0.25), seed: 3))
    }
    let a = try make(1)
    _ = try a.iterate()
    let bytes = a.serialize()
    let later = try a.iterate()
    let b = try make(2)
    try b.restore(bytes)
    #expect(try b.iterate() == later)
    #expect(a.policy.parameters == b.policy.parameters && a.value.parameters == b.value.parameters)
  }

  @Test func cancellationStopsAnIterationBeforeAnyChange() throws {
    let a = try Self.reinforce(netSeed: 1)
    let before = a.policy.parameters
    a.cancellation.request()
    #expect(throws: SwiftPGError.self) { try a.iterate() }
    #expect(a.policy.parameters == before && a.iteration == 0)
    _ = try a.iterate()  // the request was consumed
    #expect(a.iteration == 1)
  }
}
