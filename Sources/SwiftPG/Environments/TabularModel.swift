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
