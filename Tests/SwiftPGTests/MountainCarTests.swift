import Testing

@testable import SwiftPG

/// MountainCar-v0 against Gymnasium 1.4 (REFERENCE.md §1.3).
@Suite struct MountainCarTests {
  /// From [−0.5, 0] with actions 2, 2, 0, 1, 2 (Gymnasium's float64 states).
  @Test func goldenTrajectory() throws {
    let run = try goldenSteps(MountainCar(), from: [-0.5, 0], actions: [2, 2, 0, 1, 2])
    #expect(
      run.states == [
        [-0.49917684300416926, 0.0008231569958307428],
        [-0.49753668667935325, 0.0016401563248160246],
        [-0.4970917969323474, 0.00044488974700586273],
        [-0.49684550006784745, 0.0002462968644999427],
        [-0.4957996374204934, 0.0010458626473540712],
      ])
    #expect(run.rewards == [-1, -1, -1, -1, -1] && run.terminated == [0, 0, 0, 0, 0])
  }

  /// `reset(seed=0)`: one uniform draw in [−0.6, −0.4], velocity 0.
  @Test func resetMatchesGymnasiumSeedZero() throws {
    let env = try VectorEnvironment(MountainCar(), count: 1, seed: 0)
    #expect(env.states() == [-0.4726076625357092, 0])
  }

  /// At the left wall a car moving left stops: velocity −0.05 − 0.001 −
  /// 0.0025 cos(−3.6) ≈ −0.0488, position clipped to −1.2, velocity set to 0.
  @Test func leftWallStopsTheCar() throws {
    let env = try VectorEnvironment(MountainCar(), count: 1, seed: 0)
    try env.setStates([-1.2, -0.05])
    var b = StepBuffers(for: env)
    try env.step(actions: [0] as [Int32], into: &b)
    #expect(env.states() == [-1.2, 0])
  }

  /// The velocity is clipped to ±0.07 before the position moves (at −1.0
  /// gravity adds 0.0025·0.99 to 0.0695 + 0.001).
  @Test func speedIsClipped() throws {
    let env = try VectorEnvironment(MountainCar(), count: 1, seed: 0)
    try env.setStates([-1.0, 0.0695])
    var b = StepBuffers(for: env)
    try env.step(actions: [2] as [Int32], into: &b)
    #expect(env.states() == [-1.0 + 0.07, 0.07])
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
    #expect(b.rewards[0] == -1)  // −1 on the terminating step too
  }

  /// Termination needs position ≥ 0.5 and velocity ≥ `goal_velocity`.
  @Test func goalVelocityIsPartOfTheGoal() throws {
    let env = try VectorEnvironment(MountainCar(), count: 1, seed: 0)
    try env.setParameter("goal_velocity", 0.02)
    try env.setStates([0.49, 0.011])
    var b = StepBuffers(for: env)
    try env.step(actions: [1] as [Int32], into: &b)
    #expect(b.terminated[0] == 0 && env.states()[0] >= 0.5)
    try env.setParameter("goal_velocity", 0)
    try env.setStates([0.49, 0.011])
    try env.step(actions: [1] as [Int32], into: &b)
    #expect(b.terminated[0] == 1)
    #expect(throws: SwiftPGError.self) { try env.setParameter("force", -0.001) }
  }
}
