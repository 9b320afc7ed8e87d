import Testing

@testable import SwiftPG

/// REFERENCE.md §1 golden trajectories (gymnasium 1.4, float64 start
/// states), and properties shared by the classic-control environments.
@Suite struct ClassicControlTests {
  func close(_ a: [Double], _ b: [Double], _ tolerance: Double = 1e-14) -> Bool {
    zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * Swift.max(1, abs($1)) } && a.count == b.count
  }

  @Test func acrobotGolden() throws {
    let env = try VectorEnvironment(Acrobot(), count: 1, seed: 0)
    try env.setStates([0, 0, 0, 0])
    var b = StepBuffers(for: env)
    let expected: [[Double]] = [
      [-0.0132629671772278, 0.03428722934738544, -0.12866185280996106, 0.33450108998660194],
      [-0.0484896538093726, 0.12748779480535294, -0.2132848732767469, 0.5754630640496233],
      [-0.06723706338620503, 0.18553771278886602, 0.03071430437045256, -0.00644770930974226],
      [-0.04985902565695462, 0.15938587589964667, 0.13865703759659068, -0.24781201811290368],
      [-0.02783750347047965, 0.12565550630718345, 0.0761272888971682, -0.08043805600267706],
    ]
    for (a, want) in zip([2, 2, 0, 1, 2] as [Int32], expected) {
      try env.step(actions: [a], into: &b)
      #expect(close(env.states(), want))
      #expect(b.rewards[0] == -1)
    }
  }

  @Test func mountainCarContinuousGoldenWithFloat32State() throws {
    let env = try VectorEnvironment(MountainCarContinuous(), count: 1, seed: 0)
    try env.setStates([-0.5, 0])
    var b = StepBuffers(for: env)
    var rewards: [Double] = []
    for a in [1.0, 0.5, -2.0, 0.0, 0.3] {
      try env.step(actions: [Double(Float(a))], into: &b)
      rewards.append(b.rewards[0])
    }
    #expect(rewards == [-0.1, -0.025, -0.4, 0.0, -0.009000000715255752])
    let s = env.states()
    #expect(Float(s[0]) == Float(-0.49639025) && Float(s[1]) == Float(2.3122855e-04))
    // The stored state is float32 after a step, as in Gymnasium.
    #expect(s.allSatisfy { Double(Float($0)) == $0 })
  }

  @Test func pendulumGolden() throws {
    let env = try VectorEnvironment(Pendulum(), count: 1, seed: 0)
    try env.setStates([Double.pi, 0])
    var b = StepBuffers(for: env)
    var rewards: [Double] = []
    for u in [2.0, -2, 3, 0, 1] {
      try env.step(actions: [u], into: &b)
      rewards.append(b.rewards[0])
    }
    #expect(close(env.states(), [3.201550491417037, 0.37580841754789646], 1e-15))
    #expect(close(rewards, [-9.873604401279348, -9.78858162167165, -9.78311187818863, -9.70010569914983, -9.6202248669462]))
  }

  @Test func pendulumResetMatchesGymnasiumSeedZero() throws {
    let env = try VectorEnvironment(Pendulum(), count: 1, seed: 0)
    #expect(env.states() == [0.8605556614246863, -0.4604265724722594])
  }

  @Test func mountainCarReachesTheGoalAndTerminates() throws {
    let env = try VectorEnvironment(MountainCar(), count: 1, seed: 0)
    var b = StepBuffers(for: env)
    env.reset(into: &b)
    var terminated = false
    for _ in 0..<200 where !terminated {
      try env.step(actions: [b.observations[1] >= 0 ? 2 : 0] as [Int32], into: &b)
      terminated = b.terminated[0] == 1
    }
    #expect(terminated)
    #expect(b.finalObservations[0] >= 0.5)
  }

  @Test func parametersAreValidatedAndApplied() throws {
    let env = try VectorEnvironment(CartPole(), count: 3, seed: 0)
    #expect(throws: SwiftPGError.self) { try env.setParameter("masspole", -1) }
    #expect(throws: SwiftPGError.self) { try env.setParameter("nope", 1) }
    #expect(throws: SwiftPGError.self) { try env.randomizeParameter("length", low: 2, high: 1) }
    try env.setParameter("length", 0.75)
    var values = [Double](repeating: 0, count: 3)
    try env.parameterValues("length", into: &values)
    #expect(values == [0.75, 0.75, 0.75])
    try env.randomizeParameter("length", low: 0.4, high: 0.6)
    var b = StepBuffers(for: env)
    env.reset(into: &b)
    try env.parameterValues("length", into: &values)
    #expect(values.allSatisfy { $0 >= 0.4 && $0 <= 0.6 } && Set(values).count == 3)
  }

  /// Issue 11: Acrobot's angle wrap ended only after ~|x|/2π iterations
  /// (never once x − 2π rounds to x); extreme parameters are refused.
  @Test func extremeAnglesAndParametersEndCleanly() throws {
    #expect(Acrobot.wrap(7.0) == 7.0 - (Double.pi - -Double.pi))  // Gymnasium's loop, unchanged
    for x in [1e18, -1e300, 1e10 + 0.5] {
      let w = Acrobot.wrap(x)
      #expect(w >= -Double.pi && w <= Double.pi)
    }
    #expect(Acrobot.wrap(.infinity) == .infinity && Acrobot.wrap(.nan).isNaN)
    let env = try VectorEnvironment(Acrobot(), count: 1, seed: 0)
    #expect(throws: SwiftPGError.self) { try env.setParameter("link_length_1", 1e10) }
    #expect(throws: SwiftPGError.self) { try env.setParameter("link_mass_2", 1e-300) }
    var g = PCG64(seed: 1)
    // A truncation interval ~1e308 standard deviations away: the near bound.
    #expect(g.truncatedNormal(mean: 1e308, std: 0.1, low: -10, high: 10) == 10)
    #expect(g.truncatedNormal(mean: -1e308, std: 0.1, low: -10, high: 10) == -10)
  }
}
