import Testing

@testable import SwiftPG

@Suite struct CartPoleTests {
  func makeEnv(_ n: Int, seed: UInt64) throws -> VectorEnvironment<CartPole> {
    try VectorEnvironment(CartPole(), count: n, seed: seed)
  }

  /// REFERENCE.md §1.1: states after actions 1,0,1,1,0 from [0, 0, 0.01, 0].
  @Test func goldenTrajectory() throws {
    let run = try goldenSteps(CartPole(), from: [0, 0, 0.01, 0], actions: [1, 0, 1, 1, 0])
    let expected: [[Double]] = [
      [0.0, 0.19497711953185476, 0.01, -0.28951110513543254],
      [0.0038995423906371, -0.00028599034410279, 0.00420977789729135, 0.0063088660675471],
      [0.00389382258375504, 0.1947753344324986, 0.00433595521864229, -0.28504285736386475],
      [0.00778932927240501, 0.3898351778567591, -0.001364901928635, -0.5763551052466098],
      [0.01558603282954019, 0.1947323855576743, -0.0128920040335672, -0.2841024704414888],
    ]
    // The reference printed 15-17 significant digits.
    #expect(run.states.count == expected.count && zip(run.states, expected).allSatisfy { isClose($0, $1, 1e-15) })
    #expect(run.rewards == [1, 1, 1, 1, 1] && run.terminated == [0, 0, 0, 0, 0])
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
}
