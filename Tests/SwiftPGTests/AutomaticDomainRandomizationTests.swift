import Foundation
import Testing

@testable import SwiftPG

/// ADR's boundary rule on scripted results, its settings' checks, its
/// entropy, and the environment's native boundary sampling and episode
/// bookkeeping (replayed into a fresh ADR, exactly).
@Suite struct AutomaticDomainRandomizationTests {
  typealias ADR = AutomaticDomainRandomization

  func twoParameters(m: Int = 4) throws -> ADR {
    try ADR(
      parameters: [
        ADR.parameter(index: 3, name: "length", nominal: 0.5, step: 0.1, lowerLimit: 0.2, upperLimit: 0.8),
        ADR.parameter(index: 2, name: "masspole", nominal: 0.1, step: 0.05, lowerLimit: 0.05, upperLimit: 1),
      ],
      settings: ADR.Settings(bufferSize: m, upperThreshold: 0.75, lowerThreshold: 0.25, successReturn: 100))
  }

  @Test func aBoundaryMovesExactlyAsTheRuleSays() throws {
    var a = try twoParameters()
    // Upper boundary of length (tag 1): 3 successes + 1 failure = 0.75 >= t_H: widen by Δ.
    for r in [100.0, 200, 99] {
      let none = a.record(tag: 1, episodeReturn: r)
      #expect(none == nil)
    }
    let decision = a.record(tag: 1, episodeReturn: 150)
    let d = try #require(decision)
    #expect(d.parameter == 0 && d.upper && d.successRate == 0.75 && d.before == 0.5)
    #expect(abs(d.after - 0.6) < 1e-12 && a.parameters[0].high == d.after && a.buffers[1].isEmpty)
    // 2 of 4 (between the thresholds): holds.
    for r in [100.0, 0, 100] { _ = a.record(tag: 1, episodeReturn: r) }
    let held = a.record(tag: 1, episodeReturn: 0)
    let hold = try #require(held)
    #expect(hold.after == hold.before && a.moves == 1 && a.decisions == 2)
    // 1 of 4 <= t_L: narrows, never past the nominal value.
    for _ in 0..<3 {
      for r in [100.0, 0, 0, 0] { _ = a.record(tag: 1, episodeReturn: r) }
    }
    #expect(a.parameters[0].high == 0.5)
    // Lower boundary of masspole (tag 2): widening stops at the hard limit.
    for _ in 0..<3 {
      for _ in 0..<4 { _ = a.record(tag: 2, episodeReturn: 100) }
    }
    #expect(a.parameters[1].low == 0.05 && a.parameters[1].high == 0.1)
    // Episodes without a boundary count in the statistics only.
    let before = a
    let untagged = a.record(tag: -1, episodeReturn: 100)
    #expect(untagged == nil)
    #expect(a.buffers == before.buffers && a.parameters == before.parameters)
    #expect(a.episodes == before.episodes + 1 && a.boundaryEpisodes == before.boundaryEpisodes)
  }

  @Test func entropyIsTheMeanLogWidthOnceEveryRangeIsOpen() throws {
    var a = try twoParameters(m: 1)
    #expect(a.entropy == nil)
    _ = a.record(tag: 1, episodeReturn: 100)  // length: [0.5, 0.6]
    #expect(a.entropy == nil)
    _ = a.record(tag: 3, episodeReturn: 100)  // masspole: [0.1, 0.15]
    let expected = (log(0.6 - 0.5) + log(0.15 - 0.1)) / 2
    let entropy = try #require(a.entropy)
    #expect(abs(entropy - expected) < 1e-12)
  }

  @Test func badSettingsAndParametersAreRefused() {
    let p = ADR.parameter(index: 0, name: "g", nominal: 1, step: 0.1, lowerLimit: 0, upperLimit: 2)
    for s in [
      ADR.Settings(boundaryProbability: 0, successReturn: 1), ADR.Settings(boundaryProbability: 1.5, successReturn: 1),
      ADR.Settings(bufferSize: 0, successReturn: 1), ADR.Settings(upperThreshold: 0.3, lowerThreshold: 0.3, successReturn: 1),
      ADR.Settings(upperThreshold: 1.2, successReturn: 1), ADR.Settings(successReturn: .nan),
    ] {
      #expect(throws: SwiftPGError.self) { try ADR(parameters: [p], settings: s) }
    }
    let ok = ADR.Settings(successReturn: 1)
    #expect(throws: SwiftPGError.self) { try ADR(parameters: [], settings: ok) }
    #expect(throws: SwiftPGError.self) { try ADR(parameters: [p, p], settings: ok) }
    for bad in [
      ADR.parameter(index: 0, name: "g", nominal: 1, step: 0, lowerLimit: 0, upperLimit: 2),
      ADR.parameter(index: 0, name: "g", nominal: 1, step: .infinity, lowerLimit: 0, upperLimit: 2),
      ADR.parameter(index: 0, name: "g", nominal: 3, step: 0.1, lowerLimit: 0, upperLimit: 2),
    ] {
      #expect(throws: SwiftPGError.self) { try ADR(parameters: [bad], settings: ok) }
    }
  }

  /// CartPole pushed always to the right: a longer pole falls later, so
  /// success (a return of at least the nominal pole's median) depends on the
  /// pole length. The environment pins boundaries natively; every finished
  /// episode's (tag, return), read after each step, replayed into a fresh
  /// ADR gives exactly the environment's ADR; the upper boundary widens.
  @Test func theEnvironmentSamplesBoundariesAndRecordsEveryEpisode() throws {
    let n = 16
    let env = try VectorEnvironment(CartPole(), count: n, seed: 3)
    var buffers = StepBuffers(for: env)
    let right = [Int32](repeating: 1, count: n)
    // The nominal pole's returns under the scripted policy.
    var nominal: [Double] = []
    var running = [Double](repeating: 0, count: n)
    env.reset(into: &buffers)
    while nominal.count < 64 {
      try env.step(actions: right, into: &buffers)
      for i in 0..<n {
        running[i] += buffers.rewards[i]
        if buffers.terminated[i] == 1 || buffers.truncated[i] == 1 {
          nominal.append(running[i])
          running[i] = 0
        }
      }
    }
    let threshold = nominal.sorted()[nominal.count / 2]
    let settings = ADR.Settings(
      boundaryProbability: 0.5, bufferSize: 5, upperThreshold: 0.8, lowerThreshold: 0.4, successReturn: threshold)
    try env.enableADR([.init(name: "length", step: 0.05, lowerLimit: 0.1, upperLimit: 2.0)], settings: settings)
    #expect(throws: SwiftPGError.self) { try env.setParameter("length", 1) }
    #expect(throws: SwiftPGError.self) { try env.randomizeParameter("length", low: 0.4, high: 0.6) }
    var replay = try #require(env.adr)
    env.reset(into: &buffers)
    var tags = [Int32](repeating: 0, count: n)
    var returns = [Double](repeating: 0, count: n)
    var pinned = 0
    // Each instance's pole length and ADR range when its episode started.
    func range() -> (low: Double, high: Double) { (env.adr?.parameters[0].low ?? .nan, env.adr?.parameters[0].high ?? .nan) }
    var startLength = (0..<n).map { env.instance($0)?.length ?? .nan }
    var startRange = [(low: Double, high: Double)](repeating: range(), count: n)
    for _ in 0..<4000 {
      let during = range()  // the ranges new episodes draw from in this step
      try env.step(actions: right, into: &buffers)
      env.lastEpisodes(tags: &tags, returns: &returns)
      for i in 0..<n where buffers.terminated[i] == 1 || buffers.truncated[i] == 1 {
        _ = replay.record(tag: Int(tags[i]), episodeReturn: returns[i])
        let (low, high) = startRange[i]
        if tags[i] >= 0 {
          pinned += 1
          #expect(startLength[i] == (tags[i] == 1 ? high : low), "a pinned episode ran at its boundary")
        } else {
          #expect(startLength[i] >= low && startLength[i] <= high)
        }
        startLength[i] = env.instance(i)?.length ?? .nan
        startRange[i] = during
      }
    }
    let a = try #require(env.adr)
    #expect(a == replay)
    #expect(a.episodes > 1000 && a.boundaryEpisodes == pinned)
    // p_b = 0.5: the pinned share within 4 standard errors.
    let share = Double(a.boundaryEpisodes) / Double(a.episodes)
    #expect(abs(share - 0.5) < 4 * (0.25 / Double(a.episodes)).squareRoot())
    #expect(a.parameters[0].high >= 0.5 + 5 * 0.05, "longer poles succeed: the upper boundary widens")
    #expect(a.parameters[0].low <= 0.5)
    // Disabled: the ranges go, the values stay.
    let final = try #require(env.disableADR())
    #expect(final == a && env.adr == nil && env.randomizedParameters.isEmpty)
    try env.setParameter("length", 0.5)
  }

  @Test func adrStateSurvivesTheEnvironmentRecordAndIsChecked() throws {
    let env = try VectorEnvironment(CartPole(), count: 4, seed: 1)
    try env.enableADR(
      [.init(name: "length", step: 0.1, lowerLimit: 0.2, upperLimit: 1), .init(name: "masspole", step: 0.02,
        lowerLimit: 0.02, upperLimit: 0.5)],
      settings: ADR.Settings(bufferSize: 2, successReturn: 20))
    var buffers = StepBuffers(for: env)
    env.reset(into: &buffers)
    for t in 0..<600 { try env.step(actions: (0..<4).map { Int32(($0 + t / 7) % 2) }, into: &buffers) }
    let bytes = try EnvironmentRecord.serialize(env)
    let copy = try #require(try EnvironmentRecord.deserialize(bytes) as? VectorEnvironment<CartPole>)
    #expect(copy.adr == env.adr && copy.randomizedParameters.map(\.low) == env.randomizedParameters.map(\.low))
    // Both continue identically.
    var other = StepBuffers(for: copy)
    for t in 0..<300 {
      let actions = (0..<4).map { Int32(($0 + t / 5) % 2) }
      try env.step(actions: actions, into: &buffers)
      try copy.step(actions: actions, into: &other)
      #expect(buffers.observations == other.observations)
    }
    #expect(copy.adr == env.adr)
  }
}
