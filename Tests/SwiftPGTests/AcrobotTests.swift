import Testing

@testable import SwiftPG

/// Acrobot-v1 against Gymnasium 1.4 (REFERENCE.md §1.2): the golden
/// trajectory, the seeded reset, the dynamics at rest, termination, the
/// velocity bounds and the angle wrap.
@Suite struct AcrobotTests {
  @Test func acrobotGolden() throws {
    let run = try goldenSteps(Acrobot(), from: [0, 0, 0, 0], actions: [2, 2, 0, 1, 2])
    let expected: [[Double]] = [
      [-0.0132629671772278, 0.03428722934738544, -0.12866185280996106, 0.33450108998660194],
      [-0.0484896538093726, 0.12748779480535294, -0.2132848732767469, 0.5754630640496233],
      [-0.06723706338620503, 0.18553771278886602, 0.03071430437045256, -0.00644770930974226],
      [-0.04985902565695462, 0.15938587589964667, 0.13865703759659068, -0.24781201811290368],
      [-0.02783750347047965, 0.12565550630718345, 0.0761272888971682, -0.08043805600267706],
    ]
    #expect(run.states.count == expected.count && zip(run.states, expected).allSatisfy { isClose($0, $1) })
    #expect(run.rewards == [-1, -1, -1, -1, -1])
  }

  /// `reset(seed=0)`: four uniform draws in [−0.1, 0.1] cast to float32
  /// (the values are Gymnasium's `env.state`, bit for bit).
  @Test func resetMatchesGymnasiumSeedZero() throws {
    let env = try VectorEnvironment(Acrobot(), count: 1, seed: 0)
    let expected = [0.02739233709871769, -0.046042658388614655, -0.09180529415607452, -0.0966944694519043]
    #expect(env.states() == expected)
    #expect(env.states().allSatisfy { Double(Float($0)) == $0 })
  }

  /// Hanging at rest with torque +1 (book dynamics, unit links, I = 1):
  /// d1 = 9/2, d2 = 7/4, φ ≈ 0, so θ̈₂ = 1/(1/4 + 1 − d2²/d1) = 72/41 and
  /// θ̈₁ = −d2 θ̈₂/d1 = −28/41; with no torque it is an equilibrium.
  @Test func derivativesAtRestByHand() {
    let env = Acrobot()
    let sq = Acrobot.Squares(lc1: 0.25, l1: 1, lc2: 0.25)
    let driven = env.derivatives((0, 0, 0, 0), torque: 1, sq)
    #expect(driven.0 == 0 && driven.1 == 0)
    #expect(abs(driven.2 - -28.0 / 41) < 1e-15)
    #expect(abs(driven.3 - 72.0 / 41) < 1e-15)
    let free = env.derivatives((0, 0, 0, 0), torque: 0, sq)
    #expect(abs(free.2) < 1e-15 && abs(free.3) < 1e-15)
  }

  /// From link 1 pointing up (−cos θ₁ − cos(θ₁ + θ₂) = 2 > 1) the step
  /// terminates with reward 0 (Gymnasium: state ≈ [π, 6e-18, −8e-17, 6e-17]).
  @Test func terminatesWithRewardZero() throws {
    let env = try VectorEnvironment(Acrobot(), count: 1, seed: 0)
    try env.setStates([Double.pi, 0, 0, 0])
    var b = StepBuffers(for: env)
    try env.step(actions: [1] as [Int32], into: &b)
    #expect(b.terminated[0] == 1 && b.truncated[0] == 0 && b.rewards[0] == 0)
    var final = [Double](repeating: .nan, count: 4)
    env.getFinalStates(&final)
    #expect(abs(abs(final[0]) - Double.pi) < 1e-15 && abs(final[1]) < 1e-15)
    // The final observation is [cos θ₁, sin θ₁, cos θ₂, sin θ₂, θ̇₁, θ̇₂].
    #expect(abs(b.finalObservations[0] + 1) < 1e-15 && abs(b.finalObservations[2] - 1) < 1e-15)
  }

  /// Velocities are clipped to ±4π and ±9π after the step (Gymnasium, from
  /// [0, 0, 100, −100] with torque 0: [−0.3283, 1.6405, −4π, 9π]).
  @Test func velocitiesAreBounded() throws {
    let env = try VectorEnvironment(Acrobot(), count: 1, seed: 0)
    try env.setStates([0, 0, 100, -100])
    var b = StepBuffers(for: env)
    try env.step(actions: [1] as [Int32], into: &b)
    let s = env.states()
    #expect(isClose(s, [-0.32829832151009697, 1.6405350454048957, -4 * Double.pi, 9 * Double.pi], 1e-13))
    #expect(s[2] == -4 * Double.pi && s[3] == 9 * Double.pi)
    #expect(b.observations[4] == s[2] && b.observations[5] == s[3])
    #expect(abs(b.observations[0] - _cos(s[0])) == 0 && abs(b.observations[3] - _sin(s[1])) == 0)
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
  }
}
