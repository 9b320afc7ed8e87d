import Testing

@testable import SwiftPG

/// Environments by id: what is registered, with Gymnasium's registration
/// settings (REFERENCE.md §1: time limits and reward thresholds).
@Suite struct RegistryTests {
  @Test func registeredIds() {
    #expect(
      EnvironmentRegistry.ids == [
        "CartPole-v1", "Acrobot-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Pendulum-v1",
        "SimpleRegulator-v0", "TwoAction-v0", "ShortCorridor-v0", "GridWorld-v0",
      ])
  }

  /// Every id makes a batch of that id and size.
  @Test(arguments: EnvironmentRegistry.ids)
  func makesWhatItNames(_ id: String) throws {
    let env = try EnvironmentRegistry.make(id, count: 3, seed: 1)
    #expect(env.id == id && env.count == 3)
    #expect(env.observationLow.count == env.observationSize && env.observationHigh.count == env.observationSize)
  }

  @Test func gymnasiumRegistrations() throws {
    let expected: [(String, Int, Double?)] = [
      ("CartPole-v1", 500, 475), ("Acrobot-v1", 500, -100), ("MountainCar-v0", 200, -110),
      ("MountainCarContinuous-v0", 999, 90), ("Pendulum-v1", 200, nil),
    ]
    for (id, limit, threshold) in expected {
      let env = try EnvironmentRegistry.make(id, count: 1, seed: 0)
      #expect(env.maxEpisodeSteps == limit && env.rewardThreshold == threshold, "\(id)")
    }
  }

  /// The default gridworld: slip 0.1, γ 0.99, a 100-step limit, rendered
  /// with the agent on S.
  @Test func defaultGridWorld() throws {
    let env = try EnvironmentRegistry.make("GridWorld-v0", count: 1, seed: 0)
    let model = try #require(env.tabularModel)
    #expect(env.maxEpisodeSteps == 100 && model.gamma == 0.99 && model.actionCount == 4)
    #expect(env.renderText(instance: 0) == String(GridWorld.defaultLayout.map { $0 == "S" ? "A" : $0 }))
  }

  @Test func unknownIdsAreRefused() {
    do throws(SwiftPGError) {
      _ = try EnvironmentRegistry.make("CartPole-v0", count: 1, seed: 0)
      Issue.record("CartPole-v0 was made")
    } catch {
      #expect(error.code == .unknownID && error.message.contains("CartPole-v1"))
    }
  }
}
