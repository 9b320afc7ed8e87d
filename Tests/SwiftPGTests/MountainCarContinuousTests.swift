import Testing

@testable import SwiftPG

/// MountainCarContinuous-v0 against Gymnasium 1.4 (REFERENCE.md §1.4),
/// including its float32 state and numpy's scalar promotion (`Num`).
@Suite struct MountainCarContinuousTests {
  @Test func mountainCarContinuousGoldenWithFloat32State() throws {
    let actions = [1.0, 0.5, -2.0, 0.0, 0.3].map { Double(Float($0)) }
    let run = try goldenSteps(MountainCarContinuous(), from: [-0.5, 0], actions: actions)
    #expect(run.rewards == [-0.1, -0.025, -0.4, 0.0, -0.009000000715255752])
    let s = try #require(run.states.last)
    #expect(Float(s[0]) == Float(-0.49639025) && Float(s[1]) == Float(2.3122855e-04))
    // The stored state is float32 after a step, as in Gymnasium.
    #expect(s.allSatisfy { Double(Float($0)) == $0 })
  }

  @Test func resetMatchesGymnasiumSeedZero() throws {
    let env = try VectorEnvironment(MountainCarContinuous(), count: 1, seed: 0)
    #expect(env.states() == [-0.4726076625357092, 0])
  }

  /// Reaching position ≥ 0.45 gives 100 − 0.1·a² (Gymnasium from
  /// [0.44, 0.05] with a = 0.5: state [0.49012956, 0.05012956], reward 99.975).
  @Test func goalRewardAndFinalState() throws {
    let env = try VectorEnvironment(MountainCarContinuous(), count: 1, seed: 0)
    try env.setStates([0.44, 0.05])
    var b = StepBuffers(for: env)
    try env.step(actions: [0.5], into: &b)
    #expect(b.terminated[0] == 1 && b.rewards[0] == 99.975)
    var final = [0.0, 0.0]
    env.getFinalStates(&final)
    #expect(final == [0.4901295602321625, 0.05012956261634827])
    #expect(Array(b.finalObservations) == final)
  }

  /// The dynamics clip the force to [−1, 1]; the penalty uses the raw action.
  @Test func forceIsClippedButThePenaltyIsNot() throws {
    let env = try VectorEnvironment(MountainCarContinuous(), count: 2, seed: 0)
    try env.setStates([-0.5, 0.01, -0.5, 0.01])
    var b = StepBuffers(for: env)
    try env.step(actions: [2.0, 1.0], into: &b)
    let s = env.states()
    #expect(s[0] == s[2] && s[1] == s[3])
    #expect(b.rewards == [-0.4, -0.1])
  }

  /// NEP 50: a Python float adopts the other operand's type; float32 with
  /// float64 gives float64; comparisons of a float32 happen in float32.
  @Test func numpyScalarPromotion() {
    let third = Num(Double(Float(1.0 / 3)), .f32)
    let sum32 = Num.add(third, Num(0.1, .py))
    #expect(sum32.kind == .f32 && sum32.value == Double(Float(1.0 / 3) + Float(0.1)))
    let sum64 = Num.add(third, Num(0.1, .f64))
    #expect(sum64.kind == .f64 && sum64.value == Double(Float(1.0 / 3)) + 0.1)
    #expect(Num.mul(Num(3, .py), Num(0.5, .py)).kind == .py)
    #expect(Num.sub(Num(1, .f64), Num(0.25, .f32)).kind == .f64)
    let nearGoal = Double(Float(0.45))  // 0.449999988…
    #expect(Num(nearGoal, .f32).greaterOrEqual(0.45))
    #expect(!Num(nearGoal, .f64).greaterOrEqual(0.45))
    #expect(Num(nearGoal, .f32).equal(0.45) && !Num(nearGoal, .f32).less(0.45))
    #expect(!Num(nearGoal, .f32).greater(0.45) && Num(nearGoal, .py).less(0.45))
  }
}
