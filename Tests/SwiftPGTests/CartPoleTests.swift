import Testing

@testable import SwiftPG

@Suite struct CartPoleTests {
  func makeEnv(_ n: Int, seed: UInt64) throws -> VectorEnvironment<CartPole> {
    try VectorEnvironment(CartPole(), count: n, seed: seed)
  }

  /// REFERENCE.md §1.1: states after actions 1,0,1,1,0 from [0, 0, 0.01, 0].
  @Test func goldenTrajectory() throws {
    let env = try makeEnv(1, seed: 0)
    try env.setStates([0, 0, 0.01, 0])
    var b = StepBuffers(for: env)
    let expected: [[Double]] = [
      [0.0, 0.19497711953185476, 0.01, -0.28951110513543254],
      [0.0038995423906371, -0.00028599034410279, 0.00420977789729135, 0.0063088660675471],
      [0.00389382258375504, 0.1947753344324986, 0.00433595521864229, -0.28504285736386475],
      [0.00778932927240501, 0.3898351778567591, -0.001364901928635, -0.5763551052466098],
      [0.01558603282954019, 0.1947323855576743, -0.0128920040335672, -0.2841024704414888],
    ]
    for (a, want) in zip([1, 0, 1, 1, 0] as [Int32], expected) {
      try env.step(actions: [a], into: &b)
      let got = env.states()
      for k in 0..<4 {
        // The reference printed 15-17 significant digits.
        #expect(abs(got[k] - want[k]) <= 1e-15 * Swift.max(1, abs(want[k])))
      }
      #expect(b.rewards[0] == 1)
      #expect(b.terminated[0] == 0)
    }
  }

  /// Gymnasium `reset(seed=0)` (REFERENCE.md §1.1 prints these rounded to
  /// 16 digits; the values below are numpy's `repr`, bit-exact).
  @Test func resetMatchesGymnasiumSeedZero() throws {
    let env = try makeEnv(1, seed: 0)
    let expected = [0.013696168732145436, -0.02302132862361297, -0.045902647606380534, -0.04834723644714709]
    #expect(env.states() == expected)
  }

  func rollout(_ env: VectorEnvironment<CartPole>, steps: Int, actionSeed: UInt64) throws -> [Double] {
    var b = StepBuffers(for: env)
    env.reset(into: &b)
    var g = SplitMix64(seed: actionSeed)
    var trace: [Double] = []
    for _ in 0..<steps {
      let actions = (0..<env.count).map { _ in Int32(g.next() & 1) }
      try env.step(actions: actions, into: &b)
      trace += b.observations + b.rewards + b.terminated.map(Double.init) + b.truncated.map(Double.init)
    }
    return trace
  }

  @Test func sameSeedSameTrajectoryDifferentSeedDifferent() throws {
    let a = try rollout(makeEnv(4, seed: 7), steps: 300, actionSeed: 1)
    let b = try rollout(makeEnv(4, seed: 7), steps: 300, actionSeed: 1)
    let c = try rollout(makeEnv(4, seed: 8), steps: 300, actionSeed: 1)
    #expect(a == b)
    #expect(a != c)
  }

  /// Instance i of a batch seeded s behaves exactly like a batch of one seeded s + i.
  @Test func batchSplitDoesNotChangeResults() throws {
    let n = 5
    let big = try makeEnv(n, seed: 100)
    let singles = try (0..<n).map { try makeEnv(1, seed: 100 + UInt64($0)) }
    var bb = StepBuffers(for: big)
    var sb = singles.map { StepBuffers(for: $0) }
    var g = SplitMix64(seed: 9)
    for _ in 0..<700 {
      let actions = (0..<n).map { _ in Int32(g.next() & 1) }
      try big.step(actions: actions, into: &bb)
      for i in 0..<n {
        try singles[i].step(actions: [actions[i]], into: &sb[i])
        #expect(Array(bb.observations[(4 * i)..<(4 * i + 4)]) == sb[i].observations)
        #expect(bb.terminated[i] == sb[i].terminated[0])
        #expect(bb.truncated[i] == sb[i].truncated[0])
      }
    }
  }

  @Test func observationsStayInBoundsAndEpisodesEnd() throws {
    let env = try makeEnv(16, seed: 3)
    var b = StepBuffers(for: env)
    env.reset(into: &b)
    var g = SplitMix64(seed: 5)
    var ended = 0
    let high = env.observationHigh
    for _ in 0..<5000 {
      try env.step(actions: (0..<16).map { _ in Int32(g.next() & 1) }, into: &b)
      for i in 0..<16 {
        for k in 0..<4 { #expect(abs(b.observations[4 * i + k]) <= high[k]) }
        if b.terminated[i] != 0 {
          ended += 1
          let x = b.finalObservations[4 * i]
          let theta = b.finalObservations[4 * i + 2]
          #expect(abs(x) > 2.4 || abs(theta) > 12 * 2 * Double.pi / 360)
          // The new episode starts inside the reset range.
          for k in 0..<4 { #expect(abs(b.observations[4 * i + k]) <= 0.05) }
        }
      }
    }
    #expect(ended > 100)
  }

  /// The 500th step truncates, with the episode counter reset after it.
  @Test func truncatesAtFiveHundredSteps() throws {
    let env = try makeEnv(1, seed: 0)
    var b = StepBuffers(for: env)
    for t in 1...500 {
      // Keep the pole up: push toward the side it leans to.
      try env.setStates([0, 0, 0, 0])
      try env.step(actions: [Int32(t % 2)], into: &b)
      #expect(b.terminated[0] == 0)
      #expect(b.truncated[0] == (t == 500 ? 1 : 0))
    }
    var elapsed: Int32 = -1
    env.elapsedSteps(into: &elapsed)
    #expect(elapsed == 0)
  }

  /// `step` returns how many instances ended; final rows of the others are 0.
  @Test func endedCountAndFinalRows() throws {
    let env = try makeEnv(8, seed: 2)
    var b = StepBuffers(for: env)
    b.finalObservations = Array(repeating: .nan, count: 32)
    var g = SplitMix64(seed: 3)
    var sawEnd = false
    for _ in 0..<200 {
      let actions = (0..<8).map { _ in Int32(g.next() & 1) }
      let ended = try b.observations.withUnsafeMutableBufferPointer { o in
        try b.rewards.withUnsafeMutableBufferPointer { r in
          try b.terminated.withUnsafeMutableBufferPointer { te in
            try b.truncated.withUnsafeMutableBufferPointer { tr in
              try b.finalObservations.withUnsafeMutableBufferPointer { f in
                try actions.withUnsafeBytes { a in
                  guard let ap = a.baseAddress, let op = o.baseAddress, let rp = r.baseAddress,
                    let tep = te.baseAddress, let trp = tr.baseAddress
                  else { throw SwiftPGError.invalid("empty buffer") }
                  try env.validateActions(ap)
                  return env.step(
                    actions: ap, observations: op, rewards: rp, terminated: tep, truncated: trp,
                    finalObservations: f.baseAddress)
                }
              }
            }
          }
        }
      }
      let flags = (0..<8).filter { b.terminated[$0] != 0 || b.truncated[$0] != 0 }
      #expect(ended == flags.count)
      sawEnd = sawEnd || ended > 0
      for i in 0..<8 where !flags.contains(i) {
        #expect(b.finalObservations[(4 * i)..<(4 * i + 4)].allSatisfy { $0 == 0 })
      }
    }
    #expect(sawEnd)
  }

  @Test func invalidActionChangesNothing() throws {
    let env = try makeEnv(3, seed: 1)
    var b = StepBuffers(for: env)
    let before = env.states()
    #expect(throws: SwiftPGError.self) { try env.step(actions: [0, 2, 1] as [Int32], into: &b) }
    #expect(throws: SwiftPGError.self) { try env.step(actions: [0, -1, 1] as [Int32], into: &b) }
    #expect(throws: SwiftPGError.self) { try env.step(actions: [0, 1] as [Int32], into: &b) }
    #expect(env.states() == before)
  }

  @Test func nonFiniteStatesAreRefused() throws {
    let env = try makeEnv(2, seed: 1)
    let before = env.states()
    #expect(throws: SwiftPGError.self) { try env.setStates([0, 0, 0, 0, 0, .nan, 0, 0]) }
    #expect(env.states() == before)
  }

  @Test func sizeLimits() {
    #expect(throws: SwiftPGError.self) { try VectorEnvironment(CartPole(), count: 0, seed: 0) }
    #expect(throws: SwiftPGError.self) { try VectorEnvironment(CartPole(), count: -5, seed: 0) }
    #expect(throws: SwiftPGError.self) { try VectorEnvironment(CartPole(), count: 1 << 30, seed: 0) }
    #expect(throws: SwiftPGError.self) { try EnvironmentRegistry.make("CartPole-v0", count: 1, seed: 0) }
  }
}
