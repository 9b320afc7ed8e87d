import Testing

@testable import SwiftPG

/// The Swift conveniences over the batched protocol: action spaces,
/// `StepBuffers`, typed `step`, `states()` / `setStates`.
@Suite struct BatchedEnvironmentTests {
  @Test func actionSpaceWidth() {
    #expect(ActionSpace.discrete(5).width == 1)
    #expect(ActionSpace.box(low: [-1, -1, -1], high: [1, 1, 1]).width == 3)
  }

  @Test func stepBuffersFitTheEnvironment() throws {
    let env = try VectorEnvironment(Acrobot(), count: 3, seed: 0)
    let b = StepBuffers(for: env)
    #expect(b.observations.count == 18 && b.finalObservations.count == 18)
    #expect(b.rewards.count == 3 && b.terminated.count == 3 && b.truncated.count == 3)
  }

  /// Actions of the wrong type or count, and buffers of another
  /// environment, are refused before anything is stepped.
  @Test func stepIsChecked() throws {
    let discrete = try VectorEnvironment(CartPole(), count: 2, seed: 0)
    let continuous = try VectorEnvironment(Pendulum(), count: 2, seed: 0)
    var b = StepBuffers(for: discrete)
    var c = StepBuffers(for: continuous)
    let before = discrete.states()
    #expect(throws: SwiftPGError.self) { try discrete.step(actions: [0.0, 1.0], into: &b) }
    #expect(throws: SwiftPGError.self) { try continuous.step(actions: [0, 1] as [Int32], into: &c) }
    #expect(throws: SwiftPGError.self) { try continuous.step(actions: [0.0, 1.0, 2.0], into: &c) }
    var other = StepBuffers(for: try VectorEnvironment(CartPole(), count: 3, seed: 0))
    #expect(throws: SwiftPGError.self) { try discrete.step(actions: [0, 1] as [Int32], into: &other) }
    #expect(discrete.states() == before)
    try continuous.step(actions: [0.5, -0.5], into: &c)
  }

  @Test func statesRoundTrip() throws {
    let env = try VectorEnvironment(MountainCar(), count: 2, seed: 0)
    #expect(env.states().count == 4)
    try env.setStates([-0.5, 0.01, 0.1, -0.02])
    #expect(env.states() == [-0.5, 0.01, 0.1, -0.02])
    #expect(throws: SwiftPGError.self) { try env.setStates([0, 0, 0]) }
    var obs = [Double](repeating: .nan, count: 4)
    env.observe(into: &obs)
    #expect(obs == [-0.5, 0.01, 0.1, -0.02])
  }

  /// `reset(seed:)` is the same as a fresh batch with that seed.
  @Test func resetWithSeed() throws {
    let env = try VectorEnvironment(Pendulum(), count: 2, seed: 0)
    var b = StepBuffers(for: env)
    env.reset(seed: 8, into: &b)
    let fresh = try VectorEnvironment(Pendulum(), count: 2, seed: 8)
    var f = [Double](repeating: .nan, count: 6)
    fresh.observe(into: &f)
    #expect(b.observations == f)
  }
}
