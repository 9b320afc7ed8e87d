import Testing

@testable import SwiftPG

/// Pendulum-v1 against Gymnasium 1.4 (REFERENCE.md §1.5).
@Suite struct PendulumTests {
  @Test func pendulumGolden() throws {
    let run = try goldenSteps(Pendulum(), from: [Double.pi, 0], actions: [2.0, -2, 3, 0, 1])
    #expect(isClose(try #require(run.states.last), [3.201550491417037, 0.37580841754789646], 1e-15))
    #expect(isClose(run.rewards, [-9.873604401279348, -9.78858162167165, -9.78311187818863, -9.70010569914983, -9.6202248669462]))
  }

  @Test func pendulumResetMatchesGymnasiumSeedZero() throws {
    let env = try VectorEnvironment(Pendulum(), count: 1, seed: 0)
    #expect(env.states() == [0.8605556614246863, -0.4604265724722594])
  }

  /// One step by hand from upright at rest with u = 1: cost = float32(0.001·1²),
  /// θ̇' = (15 sin 0 + 3u)·0.05, θ' = θ̇'·0.05; observation [cos θ', sin θ', θ̇'].
  @Test func oneStepByHand() throws {
    let env = try VectorEnvironment(Pendulum(), count: 1, seed: 0)
    try env.setStates([0, 0])
    var b = StepBuffers(for: env)
    try env.step(actions: [1.0], into: &b)
    #expect(b.rewards[0] == -Double(Float(0.001)))
    let thetaDot = 3.0 * 0.05
    #expect(env.states() == [thetaDot * 0.05, thetaDot])
    #expect(b.observations == [_cos(thetaDot * 0.05), _sin(thetaDot * 0.05), thetaDot])
    #expect(b.terminated[0] == 0)
  }

  /// θ̇ is clipped to ±`max_speed` before θ moves.
  @Test func speedIsClipped() throws {
    let env = try VectorEnvironment(Pendulum(), count: 1, seed: 0)
    try env.setStates([Double.pi / 2, 7.9])
    var b = StepBuffers(for: env)
    try env.step(actions: [2.0], into: &b)
    #expect(env.states() == [Double.pi / 2 + 8 * 0.05, 8])
  }

  /// normalize(x) = ((x + π) mod 2π) − π, Python's modulo (the sign of the divisor).
  @Test func angleNormalizeIsPythonsModulo() {
    #expect(Pendulum.angleNormalize(0) == 0)
    #expect(Pendulum.angleNormalize(Double.pi) == -Double.pi)
    #expect(abs(Pendulum.angleNormalize(4) - (4 - 2 * Double.pi)) < 1e-15)
    #expect(abs(Pendulum.angleNormalize(-4) - (2 * Double.pi - 4)) < 1e-15)
    #expect(abs(Pendulum.angleNormalize(7 * Double.pi + 0.5) - (-Double.pi + 0.5)) < 1e-14)
  }

  /// It never terminates; the 200th step truncates.
  @Test func truncatesAtTwoHundredSteps() throws {
    let env = try VectorEnvironment(Pendulum(), count: 1, seed: 0)
    var b = StepBuffers(for: env)
    for t in 1...200 {
      try env.step(actions: [0.0], into: &b)
      #expect(b.terminated[0] == 0 && b.truncated[0] == (t == 200 ? 1 : 0))
      #expect(b.rewards[0] <= 0 && b.rewards[0] >= -16.2736044)
    }
  }
}
