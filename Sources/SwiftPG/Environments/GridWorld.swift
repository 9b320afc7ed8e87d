/// TabularMDP-backed gridworld construction.
public enum GridWorld {
  public static let defaultLayout = """
    S..#...
    .#.#.#.
    .#...#G
    ...#.#.
    .#.P...
    """

  /// Actions: 0 up, 1 right, 2 down, 3 left.
  static let moves = [(-1, 0), (0, 1), (1, 0), (0, -1)]

  /// Builds the MDP of a grid given as text: '.' free, '#' wall, 'S' start
  /// (if none, every free non-terminal cell is equally likely), 'G' goal,
  /// 'P' pit (both terminal). With probability 1 − slip the agent moves as
  /// chosen, with slip/2 to each perpendicular side; moving into a wall or
  /// off the grid leaves it in place. Every step gives `stepReward`; entering
  /// G adds `goalReward`, entering P adds `pitReward`.
  public static func model(
    layout: String, slip: Double, stepReward: Double, goalReward: Double, pitReward: Double, gamma: Double
  ) throws(SwiftPGError) -> TabularModel {
    let lines = layout.split(separator: "\n", omittingEmptySubsequences: true).map { Array($0) }
    try require(!lines.isEmpty, "the gridworld layout is empty")
    let width = lines[0].count
    try require(lines.allSatisfy { $0.count == width }, "every row of the layout must have \(width) cells")
    try require(lines.count * width <= 1 << 16, "the layout has more than 65536 cells", code: .tooLarge)
    try require(slip >= 0 && slip <= 1, "slip must be in [0, 1], got \(slip)")
    for v in [stepReward, goalReward, pitReward] where !v.isFinite {
      throw SwiftPGError(.notFinite, "gridworld rewards must be finite, got \(v)")
    }
    var stateOf: [Int: Int] = [:]
    var cells: [(row: Int, column: Int)] = []
    for (r, line) in lines.enumerated() {
      for (c, ch) in line.enumerated() {
        guard "S.GP#".contains(ch) else {
          throw SwiftPGError.invalid("layout cell (\(r), \(c)) is '\(ch)'; use . # S G P")
        }
        if ch != "#" {
          stateOf[r * width + c] = cells.count
          cells.append((r, c))
        }
      }
    }
    let s = cells.count
    try require(s >= 1, "the layout has no free cell")
    let a = 4
    // The dense tables are S×4×S: refuse before allocating them.
    _ = try TabularModel.tableEntries(states: s, actions: a)
    var p = [Double](repeating: 0, count: s * a * s)
    var rew = [Double](repeating: stepReward, count: s * a * s)
    var terminal = [Bool](repeating: false, count: s)
    for (k, cell) in cells.enumerated() {
      let ch = lines[cell.row][cell.column]
      terminal[k] = ch == "G" || ch == "P"
    }
    func target(_ k: Int, _ move: Int) -> Int {
      let (dr, dc) = moves[move]
      let r = cells[k].row + dr
      let c = cells[k].column + dc
      guard r >= 0, r < lines.count, c >= 0, c < width, let next = stateOf[r * width + c] else { return k }
      return next
    }
    for k in 0..<s {
      for act in 0..<a {
        let outcomes = [(act, 1 - slip), ((act + 1) % 4, slip / 2), ((act + 3) % 4, slip / 2)]
        for (move, prob) in outcomes where prob > 0 {
          p[(k * a + act) * s + target(k, move)] += prob
        }
        for nx in 0..<s {
          let ch = lines[cells[nx].row][cells[nx].column]
          if ch == "G" { rew[(k * a + act) * s + nx] += goalReward }
          if ch == "P" { rew[(k * a + act) * s + nx] += pitReward }
        }
      }
    }
    let starts = (0..<s).filter { lines[cells[$0].row][cells[$0].column] == "S" }
    let candidates = starts.isEmpty ? (0..<s).filter { !terminal[$0] } : starts
    try require(!candidates.isEmpty, "the layout has no start cell and no free non-terminal cell")
    var mu = [Double](repeating: 0, count: s)
    for k in candidates { mu[k] = 1 / Double(candidates.count) }
    return try TabularModel(
      stateCount: s, actionCount: a, transitions: p, rewards: rew, rewardsPerNextState: true, initial: mu,
      terminal: terminal, horizon: nil, gamma: gamma, grid: GridLayout(rows: lines, cellOfState: cells))
  }
}
