/// The environments that can be created by id (from Swift, C and Python).
public enum EnvironmentRegistry {
  typealias Factory = @Sendable (Int, UInt64) throws(SwiftPGError) -> any BatchedEnvironment

  static let factories: [(id: String, make: Factory)] = [
    entry(CartPole()), entry(Acrobot()), entry(MountainCar()), entry(MountainCarContinuous()),
    entry(Pendulum()), entry(SimpleRegulator()), entry(TwoAction()), entry(ShortCorridor()),
    (
      "GridWorld-v0",
      { (n, seed) throws(SwiftPGError) in
        let model = try GridWorld.model(
          layout: GridWorld.defaultLayout, slip: 0.1, stepReward: 0, goalReward: 1, pitReward: -1, gamma: 0.99)
        return try VectorEnvironment(TabularMDP(model: model, maxEpisodeSteps: 100, id: "GridWorld-v0"), count: n, seed: seed)
      }
    ),
  ]

  static func entry<D: EnvironmentDynamics>(_ d: D) -> (id: String, make: Factory) {
    (D.id, { (n, seed) throws(SwiftPGError) in try VectorEnvironment(d, count: n, seed: seed) })
  }

  /// The registered ids, in registration order.
  public static var ids: [String] { factories.map(\.id) }

  /// Creates `count` instances of environment `id`, seeded from `seed + i`.
  public static func make(_ id: String, count: Int, seed: UInt64) throws(SwiftPGError)
    -> any BatchedEnvironment
  {
    guard let entry = factories.first(where: { $0.id == id }) else {
      throw SwiftPGError(
        .unknownID, "unknown environment id '\(id)'; registered ids: \(ids.joined(separator: ", "))")
    }
    return try entry.make(count, seed)
  }
}
