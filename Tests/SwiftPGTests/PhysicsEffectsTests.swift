import Testing

@testable import SwiftPG

/// Observation noise and action delay (`PhysicsEffects`): off, every
/// classic-control environment is bit-identical to one without effects; a
/// delay of k steps equals feeding the undelayed environment the actions
/// shifted by k (the first action held); noise has the stated distribution
/// and leaves the state alone; the action history is state (get/set, files,
/// validation), and the capacity is enforced everywhere a delay can come
/// from (values, ranges, ADR, files).
@Suite struct PhysicsEffectsTests {
  static let classic = ["CartPole-v1", "Acrobot-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Pendulum-v1"]

  /// Random valid actions for `env`, as the step functions take them.
  static func actions(_ env: any BatchedEnvironment, _ g: inout PCG64) -> Either {
    switch env.actionSpace {
    case .discrete(let n): .discrete((0..<env.count).map { _ in Int32(g.next() % UInt64(n)) })
    case .box(let low, let high):
      .box((0..<(env.count * low.count)).map { j in g.uniform(low[j % low.count], high[j % low.count]) })
    }
  }

  enum Either {
    case discrete([Int32])
    case box([Double])
    func step(_ env: any BatchedEnvironment, _ b: inout StepBuffers) throws {
      switch self {
      case .discrete(let a): try env.step(actions: a, into: &b)
      case .box(let a): try env.step(actions: a, into: &b)
      }
    }
    /// Rows `rows[i]` of the per-instance actions (width w each).
    func rows(_ w: Int) -> [[Double]] {
      switch self {
      case .discrete(let a): a.map { [Double($0)] }
      case .box(let a): stride(from: 0, to: a.count, by: w).map { Array(a[$0..<($0 + w)]) }
      }
    }
    static func from(rows: [[Double]], discrete: Bool) -> Either {
      discrete ? .discrete(rows.map { Int32($0[0]) }) : .box(rows.flatMap { $0 })
    }
  }

  static func same(_ a: StepBuffers, _ b: StepBuffers) -> Bool {
    a.observations.map(\.bitPattern) == b.observations.map(\.bitPattern)
      && a.rewards.map(\.bitPattern) == b.rewards.map(\.bitPattern)
      && a.terminated == b.terminated && a.truncated == b.truncated
      && a.finalObservations.map(\.bitPattern) == b.finalObservations.map(\.bitPattern)
  }

  @Test(arguments: classic)
  func effectsOffAreBitIdenticalToNoEffects(_ id: String) throws {
    let plain = try EnvironmentRegistry.make(id, count: 4, seed: 11)
    let off = try EnvironmentRegistry.make(id, count: 4, seed: 11)
    try off.setActionDelayCapacity(3)
    try off.setParameter("action_delay", 0)
    try off.setParameter("observation_noise", 0)
    try plain.setParameter("max_episode_steps", 30)
    try off.setParameter("max_episode_steps", 30)
    var b = StepBuffers(for: plain)
    var c = StepBuffers(for: off)
    plain.reset(into: &b)
    off.reset(into: &c)
    #expect(Self.same(b, c))
    var g = PCG64(seed: 2)
    for t in 0..<100 {
      let a = Self.actions(plain, &g)
      try a.step(plain, &b)
      try a.step(off, &c)
      #expect(Self.same(b, c), "\(id) step \(t)")
    }
    #expect(off.stateSize == plain.stateSize + 3 * plain.actionSpace.width + 1)  // + the started flag
  }

  /// A delay of k: the delayed environment moves as the plain one fed
  /// a_{max(t - k, 0)} at step t of each episode.
  @Test(arguments: classic)
  func delayShiftsTheActionsWithinEachEpisode(_ id: String) throws {
    let k = 2
    let delayed = try EnvironmentRegistry.make(id, count: 3, seed: 7)
    let plain = try EnvironmentRegistry.make(id, count: 3, seed: 7)
    try delayed.setActionDelayCapacity(3)
    try delayed.setParameter("action_delay", Double(k) + 0.7)  // ⌊2.7⌋ = 2 steps
    for env in [delayed, plain] { try env.setParameter("max_episode_steps", 9) }
    let w = plain.actionSpace.width
    let discrete: Bool
    if case .discrete = plain.actionSpace { discrete = true } else { discrete = false }
    var b = StepBuffers(for: delayed)
    var c = StepBuffers(for: plain)
    delayed.reset(into: &b)
    plain.reset(into: &c)
    var given: [[[Double]]] = Array(repeating: [], count: 3)  // per instance, this episode's actions
    var g = PCG64(seed: 3)
    var episodesEnded = 0
    for t in 0..<60 {
      let a = Self.actions(delayed, &g)
      let rows = a.rows(w)
      var applied: [[Double]] = []
      for i in 0..<3 {
        given[i].append(rows[i])
        let s = given[i].count - 1
        applied.append(given[i][Swift.max(s - k, 0)])
      }
      try a.step(delayed, &b)
      try Either.from(rows: applied, discrete: discrete).step(plain, &c)
      #expect(Self.same(b, c), "\(id) step \(t)")
      for i in 0..<3 where b.terminated[i] == 1 || b.truncated[i] == 1 {
        given[i] = []
        episodesEnded += 1
      }
    }
    #expect(episodesEnded >= 6)
    // The state holds the last 3 actions given, most recent first.
    let s = delayed.states()
    let stride = delayed.stateSize
    let physics = stride - 3 * w - 1
    for i in 0..<3 where given[i].count >= 3 {
      for j in 0..<3 {
        let entry = Array(s[(i * stride + physics + j * w)..<(i * stride + physics + (j + 1) * w)])
        let want = given[i][given[i].count - 1 - j]
        #expect(entry == (discrete ? want : want.map { Double(Float($0)) }) || entry == want)
      }
    }
  }

  /// Noise: within an episode the state is untouched and observation minus
  /// the noise-free observation is N(0, σ²): mean within 4 standard errors
  /// of 0 and variance within 4 standard errors (σ²·√(2/(n−1))) of σ².
  @Test func observationNoiseHasTheStatedDistributionAndLeavesTheStateAlone() throws {
    let sigma = 0.05
    let noisy = try EnvironmentRegistry.make("CartPole-v1", count: 64, seed: 4)
    let clean = try EnvironmentRegistry.make("CartPole-v1", count: 64, seed: 4)
    try noisy.setParameter("observation_noise", sigma)
    var b = StepBuffers(for: noisy)
    var c = StepBuffers(for: clean)
    noisy.reset(into: &b)
    clean.reset(into: &c)
    var residuals: [Double] = []
    var alive = [Bool](repeating: true, count: 64)
    var g = PCG64(seed: 5)
    for _ in 0..<8 {
      #expect(noisy.states() == clean.states())
      for i in 0..<64 where alive[i] {
        for k in 0..<4 { residuals.append(b.observations[i * 4 + k] - c.observations[i * 4 + k]) }
      }
      let a = Self.actions(noisy, &g)
      try a.step(noisy, &b)
      try a.step(clean, &c)
      for i in 0..<64 where b.terminated[i] == 1 || b.truncated[i] == 1 { alive[i] = false }
    }
    let n = Double(residuals.count)
    let mean = residuals.reduce(0, +) / n
    let variance = residuals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / (n - 1)
    #expect(n > 1500)
    #expect(Swift.abs(mean) < 4 * sigma / n.squareRoot())
    #expect(Swift.abs(variance - sigma * sigma) < 4 * sigma * sigma * (2 / (n - 1)).squareRoot())
    #expect(residuals.contains { $0 != 0 })
  }

  @Test func historyIsStateCheckedOnSetAndSurvivesAFile() throws {
    let env = try EnvironmentRegistry.make("CartPole-v1", count: 2, seed: 1)
    try env.setActionDelayCapacity(2)
    try env.setParameter("action_delay", 2)
    var b = StepBuffers(for: env)
    env.reset(into: &b)
    var g = PCG64(seed: 9)
    for _ in 0..<5 { try Self.actions(env, &g).step(env, &b) }
    #expect(env.stateSize == 7)  // 4 physics, 2 actions, the started flag
    var s = env.states()
    let before = s
    #expect(s[6] == 1)
    s[4] = 2  // not a CartPole action
    #expect(throws: SwiftPGError.self) { try env.setStates(s) }
    s[4] = 1
    s[6] = 0.5  // not a flag
    #expect(throws: SwiftPGError.self) { try env.setStates(s) }
    #expect(env.states() == before)
    s[5] = 0
    s[6] = 1
    try env.setStates(s)
    #expect(env.states() == s)
    // A file keeps the capacity and both histories; the copy continues identically.
    let copy = try EnvironmentRecord.decode(RecordReader(try env.record(), context: env.id))
    #expect(copy.actionDelayCapacity == 2 && copy.states() == env.states())
    var c = StepBuffers(for: copy)
    var gc = g
    for t in 0..<40 {
      try Self.actions(env, &g).step(env, &b)
      try Self.actions(copy, &gc).step(copy, &c)
      #expect(Self.same(b, c), "step \(t)")
    }
    // spawn keeps the capacity.
    #expect(try env.spawn(count: 1, seed: 0).actionDelayCapacity == 2)
  }

  @Test func capacityIsEnforcedForValuesRangesADRAndFiles() throws {
    let env = try EnvironmentRegistry.make("Pendulum-v1", count: 2, seed: 1)
    #expect(throws: SwiftPGError.self) { try env.setParameter("action_delay", 1) }  // capacity 0
    #expect(throws: SwiftPGError.self) { try env.setActionDelayCapacity(65) }
    #expect(throws: SwiftPGError.self) { try env.setActionDelayCapacity(-1) }
    try env.setActionDelayCapacity(2)
    try env.setParameter("action_delay", 2.99)
    #expect(throws: SwiftPGError.self) { try env.setParameter("action_delay", 3) }
    #expect(throws: SwiftPGError.self) { try env.setParameter("action_delay", -0.5) }
    #expect(throws: SwiftPGError.self) { try env.setParameter("observation_noise", -0.1) }
    #expect(throws: SwiftPGError.self) { try env.setActionDelayCapacity(1) }  // a delay of 2 is in use
    #expect(env.actionDelayCapacity == 2)
    try env.setParameter("action_delay", 0)
    try env.randomizeParameter("action_delay", low: 0, high: 2.999)
    #expect(throws: SwiftPGError.self) { try env.setActionDelayCapacity(1) }  // the range reaches 2
    #expect(throws: SwiftPGError.self) { try env.randomizeParameter("action_delay", low: 0, high: 3.5) }
    guard let vector = env as? VectorEnvironment<Pendulum> else {
      Issue.record("Pendulum-v1 is not a VectorEnvironment<Pendulum>")
      return
    }
    let settings = AutomaticDomainRandomization.Settings(successReturn: -200)
    #expect(throws: SwiftPGError.self) {
      try vector.enableADR([ADRSpec(name: "action_delay", step: 1, lowerLimit: 0, upperLimit: 3, nominal: 0)], settings: settings)
    }
    try vector.enableADR([ADRSpec(name: "action_delay", step: 1, lowerLimit: 0, upperLimit: 2, nominal: 0)], settings: settings)
    // A file whose delay exceeds its own capacity is refused.
    var record = try env.record()
    record.set("max_action_delay", int: 1)
    #expect(throws: SwiftPGError.self) { try EnvironmentRecord.decode(RecordReader(record, context: env.id)) }
    // Environments without effects have no delay to size.
    let grid = try EnvironmentRegistry.make("ShortCorridor-v0", count: 1, seed: 0)
    #expect(throws: SwiftPGError.self) { try grid.setActionDelayCapacity(1) }
  }

  /// Files written before the effects existed (no observation_noise or
  /// action_delay parameter records) still load, with the effects off.
  @Test func filesWithoutEffectParametersLoad() throws {
    let env = try EnvironmentRegistry.make("Acrobot-v1", count: 2, seed: 3)
    var record = try env.record()
    guard case .records(let parameters)? = record["parameters"] else {
      Issue.record("no parameters")
      return
    }
    let effectNames: Set<String> = ["observation_noise", "action_delay"]
    record.set("parameters", .records(parameters.filter { p in
      if case .text(let name)? = p["name"] { return !effectNames.contains(name) }
      return true
    }))
    let copy = try EnvironmentRecord.decode(RecordReader(record, context: env.id))
    #expect(try copy.record() == env.record())
  }
}
