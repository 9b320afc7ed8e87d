/// A finite MDP given by arrays, validated on creation.
///
/// - `transitions[s, a, s']` = P(s' | s, a), rows summing to 1 (within 1e-9);
/// - `rewards[s, a, s']`: the reward of that transition (a reward given as
///   R[s, a] is expanded over s');
/// - `initial[s]` = μ(s), the start distribution (no mass on terminal states);
/// - `terminal[s]`: entering s ends the episode (terminated);
/// - the objective: a finite horizon H (the H-th step terminates; J = E Σ_{t<H} r_t)
///   or a discount γ ∈ [0, 1] (J = E Σ_t γ^t r_t, episodes ending at
///   terminal states or at the time limit, which truncates).
public final class TabularModel: Sendable {
  public let stateCount: Int
  public let actionCount: Int
  public let transitions: [Double]
  public let rewards: [Double]
  public let initial: [Double]
  public let terminal: [Bool]
  /// The finite horizon H, or nil for the discounted objective.
  public let horizon: Int?
  public let gamma: Double
  /// For gridworlds: the layout, for rendering.
  public let grid: GridLayout?
  let cumulative: [Double]
  let initialCumulative: [Double]

  public static let maxStates = 1 << 16
  public static let maxActions = 1 << 10
  /// Most entries of the dense S×A×S tables (2^26: 512 MiB of Double each).
  public static let maxTableEntries = 1 << 26

  /// S×A×S, refused (TOO_LARGE) above `maxTableEntries` before anything is allocated.
  public static func tableEntries(states s: Int, actions a: Int) throws(SwiftPGError) -> Int {
    let sas = try checkedProduct(try checkedProduct(s, a, "S×A"), s, "S×A×S")
    try require(
      sas <= maxTableEntries,
      "the transition table S×A×S = \(s)×\(a)×\(s) has \(sas) entries, more than 2^26", code: .tooLarge)
    return sas
  }

  /// - Parameter rewardsPerNextState: `rewards` is [S, A, S'] when true,
  ///   [S, A] when false.
  public init(
    stateCount s: Int, actionCount a: Int, transitions p: [Double], rewards r: [Double],
    rewardsPerNextState: Bool, initial mu: [Double], terminal: [Bool]? = nil,
    horizon: Int? = nil, gamma: Double = 1, grid: GridLayout? = nil
  ) throws(SwiftPGError) {
    try require(s >= 1 && s <= Self.maxStates, "num_states must be in [1, \(Self.maxStates)], got \(s)")
    try require(a >= 1 && a <= Self.maxActions, "num_actions must be in [1, \(Self.maxActions)], got \(a)")
    let sas = try Self.tableEntries(states: s, actions: a)
    try require(p.count == sas, "transitions must have \(s)×\(a)×\(s) = \(sas) entries, got \(p.count)")
    try require(
      r.count == (rewardsPerNextState ? sas : s * a),
      "rewards must have \(rewardsPerNextState ? "\(s)×\(a)×\(s)" : "\(s)×\(a)") entries, got \(r.count)")
    try require(mu.count == s, "initial distribution must have \(s) entries, got \(mu.count)")
    let term = terminal ?? Array(repeating: false, count: s)
    try require(term.count == s, "terminal must have \(s) entries, got \(term.count)")
    for (i, v) in p.enumerated() where !v.isFinite || v < 0 {
      throw SwiftPGError.invalid(
        "transitions[\(i / (a * s)), \((i / s) % a), \(i % s)] = \(v); probabilities must be finite and >= 0")
    }
    for st in 0..<s {
      for ac in 0..<a {
        var sum = 0.0
        for nx in 0..<s { sum += p[(st * a + ac) * s + nx] }
        try require(
          abs(sum - 1) <= 1e-9,
          "transitions[\(st), \(ac), :] sums to \(sum), not 1")
      }
    }
    for (i, v) in r.enumerated() where !v.isFinite {
      throw SwiftPGError(.notFinite, "rewards entry \(i) is \(v); rewards must be finite")
    }
    for (i, v) in mu.enumerated() where !v.isFinite || v < 0 {
      throw SwiftPGError.invalid("initial[\(i)] = \(v); probabilities must be finite and >= 0")
    }
    let muSum = mu.reduce(0, +)
    try require(abs(muSum - 1) <= 1e-9, "the initial distribution sums to \(muSum), not 1")
    for st in 0..<s where term[st] && mu[st] > 0 {
      throw SwiftPGError.invalid("state \(st) is terminal but has initial probability \(mu[st])")
    }
    if let horizon {
      try require(horizon >= 1 && horizon <= Int(Int32.max), "horizon must be >= 1, got \(horizon)")
    }
    try require(gamma >= 0 && gamma <= 1, "gamma must be in [0, 1], got \(gamma)")
    stateCount = s
    actionCount = a
    transitions = p
    rewards =
      rewardsPerNextState ? r : (0..<sas).map { r[$0 / s] }
    initial = mu
    self.terminal = term
    self.horizon = horizon
    self.gamma = gamma
    self.grid = grid
    var cdf = [Double](repeating: 0, count: sas)
    for row in 0..<(s * a) {
      var c = 0.0
      for nx in 0..<s {
        c += p[row * s + nx]
        cdf[row * s + nx] = c
      }
    }
    cumulative = cdf
    var icdf = [Double](repeating: 0, count: s)
    var c = 0.0
    for st in 0..<s {
      c += mu[st]
      icdf[st] = c
    }
    initialCumulative = icdf
  }

  /// Expected immediate reward r(s, a) = Σ_s' P(s'|s,a) R(s,a,s').
  public func expectedReward(_ s: Int, _ a: Int) -> Double {
    var r = 0.0
    for nx in 0..<stateCount {
      let k = (s * actionCount + a) * stateCount + nx
      r += transitions[k] * rewards[k]
    }
    return r
  }
}

/// The layout of a gridworld, kept for rendering: cell (row, col) of state k
/// and the character of every cell.
public struct GridLayout: Sendable {
  public let rows: [[Character]]
  public let cellOfState: [(row: Int, column: Int)]
}

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
