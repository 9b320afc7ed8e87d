import Testing

@testable import SwiftPG

/// Gridworlds from text layouts: states, walls, slip, rewards, starts.
@Suite struct GridWorldTests {
  @Test func gridworldBuildsTheExpectedMDP() throws {
    let m = try GridWorld.model(layout: "S.#\n..G", slip: 0, stepReward: -1, goalReward: 10, pitReward: -10, gamma: 0.9)
    #expect(m.stateCount == 5 && m.actionCount == 4)
    #expect(m.terminal == [false, false, false, false, true])
    // From (1,1) (state 3) moving right (1) enters G (state 4) for -1 + 10.
    #expect(m.transitions[(3 * 4 + 1) * 5 + 4] == 1)
    #expect(m.rewards[(3 * 4 + 1) * 5 + 4] == 9)
    // Moving up from (0,0) hits the edge: stay.
    #expect(m.transitions[(0 * 4 + 0) * 5 + 0] == 1)
    let env = try VectorEnvironment(TabularMDP(model: m, maxEpisodeSteps: 50), count: 1, seed: 0)
    #expect(env.renderText(instance: 0) == "A.#\n..G")
    #expect(throws: SwiftPGError.self) {
      try GridWorld.model(layout: "S.X", slip: 0, stepReward: 0, goalReward: 1, pitReward: -1, gamma: 1)
    }
  }

  /// Slip 0.2: the chosen move with 0.8, each perpendicular one with 0.1;
  /// a wall or the edge keeps the agent in place.
  @Test func slipProbabilitiesByHand() throws {
    let m = try GridWorld.model(layout: "S.#\n..G", slip: 0.2, stepReward: 0, goalReward: 1, pitReward: -1, gamma: 1)
    func row(_ s: Int, _ a: Int) -> [Double] { Array(m.transitions[((s * 4 + a) * 5)..<((s * 4 + a) * 5 + 5)]) }
    // State 0 = (0,0), right: (0,1) 0.8, down (1,0) 0.1, up (edge) stays 0.1.
    let right0 = row(0, 1)
    #expect(zip(right0, [0.1, 0.8, 0.1, 0, 0]).allSatisfy { abs($0 - $1) < 1e-15 })
    // State 1 = (0,1), right: wall, so stay 0.8 + up (edge) 0.1; down to (1,1) 0.1.
    let right1 = row(1, 1)
    #expect(zip(right1, [0, 0.9, 0, 0.1, 0]).allSatisfy { abs($0 - $1) < 1e-15 })
  }

  /// Entering P adds the pit reward and ends the episode; without an S cell
  /// every free non-terminal cell is an equally likely start.
  @Test func pitAndStarts() throws {
    let m = try GridWorld.model(layout: ".P\n.G", slip: 0, stepReward: -0.5, goalReward: 2, pitReward: -3, gamma: 1)
    // Cells: 0 (0,0), 1 P, 2 (1,0), 3 G.
    #expect(m.terminal == [false, true, false, true])
    #expect(m.initial == [0.5, 0, 0.5, 0])
    #expect(m.transitions[(0 * 4 + 1) * 4 + 1] == 1 && m.rewards[(0 * 4 + 1) * 4 + 1] == -3.5)
    #expect(m.rewards[(2 * 4 + 1) * 4 + 3] == 1.5 && m.rewards[(0 * 4 + 2) * 4 + 2] == -0.5)
  }

  @Test func badLayoutsAreRefused() {
    let bad: [(String, Double)] = [("", 0), ("S.\n.", 0), ("###", 0), ("G", 0), ("S.", 1.5), ("S.", -0.1)]
    for (layout, slip) in bad {
      #expect(throws: SwiftPGError.self, "\(layout)") {
        try GridWorld.model(layout: layout, slip: slip, stepReward: 0, goalReward: 1, pitReward: -1, gamma: 1)
      }
    }
    #expect(throws: SwiftPGError.self) {
      try GridWorld.model(layout: "S.", slip: 0, stepReward: .infinity, goalReward: 1, pitReward: -1, gamma: 1)
    }
  }
}
