import Testing

@testable import SwiftPG

/// Environment sections: every registered environment, tabular MDPs
/// (gridworlds with their layout), and bandits rebuild from their record
/// and continue step for step as the original (parameters, randomisation
/// ranges, states, step counters, every generator); `spawn` makes a fresh
/// batch of the same definition; invalid sections are refused naming the
/// field and change nothing.
@Suite struct EnvironmentRecordTests {
  static func environments() throws -> [any BatchedEnvironment] {
    var out: [any BatchedEnvironment] = []
    for id in EnvironmentRegistry.ids { out.append(try EnvironmentRegistry.make(id, count: 3, seed: 5)) }
    let model = try TabularModel(
      stateCount: 2, actionCount: 2, transitions: [0.5, 0.5, 1, 0, 0, 1, 0.25, 0.75], rewards: [1, -1, 0.5, 2],
      rewardsPerNextState: false, initial: [0.3, 0.7], terminal: nil, horizon: nil, gamma: 0.9)
    out.append(try VectorEnvironment(TabularMDP(model: model, maxEpisodeSteps: 6), count: 3, seed: 1))
    let grid = try GridWorld.model(layout: "S.P\n#.G", slip: 0.3, stepReward: 0, goalReward: 1, pitReward: -1, gamma: 1)
    out.append(try VectorEnvironment(TabularMDP(model: grid, maxEpisodeSteps: 9, id: "GridWorld"), count: 3, seed: 2))
    out.append(try VectorEnvironment(try Bandit(kind: .bernoulli, means: [0.2, 0.9], horizon: 3), count: 3, seed: 3))
    return out
  }

  /// Random valid actions for `env` from `g`.
  func step(_ env: any BatchedEnvironment, _ b: inout StepBuffers, _ g: inout PCG64) throws {
    switch env.actionSpace {
    case .discrete(let n): try env.step(actions: (0..<env.count).map { _ in Int32(g.next() % UInt64(n)) }, into: &b)
    case .box(let low, _): try env.step(actions: (0..<(env.count * low.count)).map { _ in g.uniform(-2, 2) }, into: &b)
    }
  }

  @Test func everyEnvironmentContinuesExactlyAfterARoundTrip() throws {
    for env in try Self.environments() {
      let names = env.parameterNames.filter { $0 != "max_episode_steps" }
      if let first = names.first {
        var v = [Double](repeating: 0, count: env.count)
        try env.parameterValues(first, into: &v)
        if v[0] != 0 { try env.randomizeParameter(first, low: v[0] * 0.9, high: v[0]) }
      }
      try env.setParameter("max_episode_steps", 7)
      var b = StepBuffers(for: env)
      env.reset(into: &b)
      var g = PCG64(seed: 1)
      for _ in 0..<11 { try step(env, &b, &g) }
      let record = try env.record()
      let copy = try EnvironmentRecord.decode(RecordReader(record, context: env.id))
      #expect(copy.id == env.id && copy.count == env.count)
      #expect(try copy.record() == record, "\(env.id)")
      var c = StepBuffers(for: copy)
      var gc = g
      for t in 0..<20 {
        try step(env, &b, &g)
        try step(copy, &c, &gc)
        #expect(b.observations.map(\.bitPattern) == c.observations.map(\.bitPattern), "\(env.id) step \(t)")
        #expect(b.rewards.map(\.bitPattern) == c.rewards.map(\.bitPattern), "\(env.id) step \(t)")
        #expect(b.terminated == c.terminated && b.truncated == c.truncated, "\(env.id) step \(t)")
      }
      if let text = env.renderText(instance: 0) { #expect(copy.renderText(instance: 0) == text) }
      // spawn: a fresh batch of the same definition.
      let spawned = try env.spawn(count: 2, seed: 9)
      #expect(spawned.id == env.id && spawned.count == 2 && spawned.tabularModel?.transitions == env.tabularModel?.transitions)
    }
  }

  func refusal(_ env: any BatchedEnvironment, _ change: (inout Record) -> Void) throws -> String {
    var r = try env.record()
    change(&r)
    let before = try env.record()
    do {
      _ = try env.prepareRestore(RecordReader(r, context: "f: environment"))
      return "accepted"
    } catch {
      #expect(try env.record() == before)
      return error.code == .badFormat ? error.message : "code \(error.code): \(error.message)"
    }
  }

  @Test func invalidSectionsAreRefusedByName() throws {
    let cart = try VectorEnvironment(CartPole(), count: 2, seed: 0)
    #expect(try refusal(cart) { _ in } == "accepted")
    #expect(try refusal(cart) { $0.set("id", .text("Acrobot-v1")) }.contains("is Acrobot-v1, this one is CartPole-v1"))
    #expect(try refusal(cart) { $0.set("count", .int(3)) }.contains("has 3 instances, this one 2"))
    #expect(try refusal(cart) { $0.set("states", .doubles([.nan] + Array(repeating: 0, count: 7))) }.contains("must be finite"))
    #expect(try refusal(cart) { $0.set("states", .doubles([2e6] + Array(repeating: 0, count: 7))) }.contains("<= 1e6"))
    #expect(try refusal(cart) { $0.set("elapsed", .ints([-1, 0])) }.contains("elapsed'[0] is -1"))
    #expect(try refusal(cart) { $0.set("generators", .words([1, 2, 3])) }.contains("holds 0 generators, expected 2"))
    #expect(try refusal(cart) { $0.set("thread_count", .int(0)) }.contains("thread_count"))
    #expect(try refusal(cart) { $0.remove("seed") }.contains("field 'seed' is missing"))
    #expect(try refusal(cart) { $0.set("extra", .bool(true)) }.contains("unknown field(s) 'extra'"))
    #expect(try refusal(cart) { r in
      guard case .records(var p)? = r["parameters"] else { return }
      p[2].set("values", .doubles([1e9, 1e9]))  // masspole
      r.set("parameters", .records(p))
    }.contains("masspole = 1000000000.0"))
    #expect(try refusal(cart) { r in
      var range = Record()
      range.set("name", .text("max_episode_steps"))
      range.set("low", .double(1))
      range.set("high", .double(2))
      r.set("randomized", .records([range]))
    }.contains("no randomisable parameter 'max_episode_steps'"))
    let model = try GridWorld.model(layout: "S.G", slip: 0, stepReward: 0, goalReward: 1, pitReward: -1, gamma: 1)
    let grid = try VectorEnvironment(TabularMDP(model: model, id: "GridWorld"), count: 1, seed: 0)
    #expect(try refusal(grid) { $0.set("states", .doubles([3])) }.contains("whole number in [0, 2]"))
    let other = try GridWorld.model(layout: "S.G", slip: 0.5, stepReward: 0, goalReward: 1, pitReward: -1, gamma: 1)
    let section = try VectorEnvironment(TabularMDP(model: other, id: "GridWorld"), count: 1, seed: 0).record()
    #expect(throws: SwiftPGError.self) { try grid.prepareRestore(RecordReader(section, context: "f")) }
    // A large instance count is refused before anything is allocated for it.
    var many = try cart.record()
    many.set("count", .int(1 << 24))
    do {
      _ = try EnvironmentRecord.decode(RecordReader(many, context: "f"))
      Issue.record("accepted")
    } catch {
      #expect(error.message.contains("holds 2 generators for 16777216 instances"), "\(error.message)")
    }
    // A definition that does not build is refused as a format error.
    var bad = section
    guard case .record(var d)? = bad["definition"] else { Issue.record("no definition"); return }
    d.set("transitions", .doubles(Array(repeating: 0.5, count: 36)))
    bad.set("definition", .record(d))
    do {
      _ = try EnvironmentRecord.decode(RecordReader(bad, context: "f"))
      Issue.record("accepted")
    } catch {
      #expect(error.code == .badFormat && error.message.contains("sums to"), "\(error.message)")
    }
  }
}
