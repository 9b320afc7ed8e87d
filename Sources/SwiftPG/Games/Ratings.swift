/// Wins, draws and losses of one player against another, and the
/// confidence interval of its score.
public struct MatchRecord: Sendable, Equatable {
  public var wins: Int
  public var draws: Int
  public var losses: Int

  public init(wins: Int = 0, draws: Int = 0, losses: Int = 0) {
    (self.wins, self.draws, self.losses) = (wins, draws, losses)
  }

  public var games: Int { wins + draws + losses }
  /// The mean score per game: a win 1, a draw ½, a loss 0 (0 with no games).
  public var score: Double { games == 0 ? 0 : (Double(wins) + 0.5 * Double(draws)) / Double(games) }

  /// The Wilson score interval (Wilson 1927) of the score at normal quantile
  /// `z` (1.96: 95 %), draws counted as half a win: [0, 1] with no games,
  /// never outside [0, 1], not degenerate at a score of 0 or 1.
  public func scoreInterval(z: Double = 1.959963984540054) -> (low: Double, high: Double) {
    guard games > 0 else { return (0, 1) }
    let n = Double(games)
    let p = score
    let z2 = z * z
    let centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    let half = z / (1 + z2 / n) * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()
    return (Swift.max(0, centre - half), Swift.min(1, centre + half))
  }

  /// The same games from the opponent's side.
  public var reversed: MatchRecord { MatchRecord(wins: losses, draws: draws, losses: wins) }
}

/// Elo ratings of a set of players from the games they played against each
/// other: the Bradley–Terry model (Bradley & Terry 1952; Elo 1978) P(i beats
/// j) = 1 / (1 + 10^((R_j − R_i)/400)), a draw counted as half a win for
/// each side, fitted by maximum likelihood over all games at once (Newton's
/// method on the concave log-likelihood; Hunter 2004 for the model).
public enum EloRatings {
  public struct Fit: Sendable {
    /// Elo ratings, `ratings[anchor] = 0`.
    public var ratings: [Double]
    /// Standard errors of `ratings[i] − ratings[anchor]` (0 for the anchor),
    /// from the inverse Fisher information.
    public var standardErrors: [Double]
    /// Newton iterations taken.
    public var iterations: Int
  }

  /// Fits ratings to `records[i * n + j]`, the games of player i against
  /// player j from i's side (the matrix need not be symmetric: records of
  /// (i, j) and (j, i) are both counted; the diagonal must be empty).
  ///
  /// `priorGames` adds, for every player, that many virtual draws against a
  /// fixed player of rating 0 (a weak prior that keeps the rating of a
  /// player who won or lost every game finite); 0 fits the plain maximum
  /// likelihood, which throws `.numerical` when some rating is infinite.
  /// Every player must be connected to the anchor by games (else
  /// `.invalidArgument`).
  public static func fit(records: [MatchRecord], players n: Int, anchor: Int = 0, priorGames: Double = 0)
    throws(SwiftPGError) -> Fit
  {
    try require(n >= 1 && n <= 4096, "players must be in [1, 4096], got \(n)")
    try require(records.count == n * n, "records must hold players² = \(n * n) records, got \(records.count)")
    try require(anchor >= 0 && anchor < n, "anchor \(anchor) is not a player of 0..<\(n)")
    try require(priorGames.isFinite && priorGames >= 0, "prior_games must be finite and >= 0, got \(priorGames)")
    // s[i][j]: i's score against j; g[i][j]: games between them (both orders).
    var s = [Double](repeating: 0, count: n * n)
    var g = [Double](repeating: 0, count: n * n)
    for i in 0..<n {
      for j in 0..<n {
        let r = records[i * n + j]
        try require(
          r.wins >= 0 && r.draws >= 0 && r.losses >= 0, "record (\(i), \(j)) has a negative count: \(r)")
        guard r.games > 0 else { continue }
        try require(i != j, "player \(i) has games against itself")
        s[i * n + j] += Double(r.wins) + 0.5 * Double(r.draws)
        s[j * n + i] += Double(r.losses) + 0.5 * Double(r.draws)
        g[i * n + j] += Double(r.games)
        g[j * n + i] += Double(r.games)
      }
    }
    try requireConnected(g, n: n, anchor: anchor, prior: priorGames > 0)
    // θ (natural log-strength) of every player but the anchor (θ_anchor = 0).
    let free = (0..<n).filter { $0 != anchor }
    var theta = [Double](repeating: 0, count: n)
    var iterations = 0
    var information = [Double]()
    while true {
      iterations += 1
      let (gradient, info) = derivatives(theta, s, g, n: n, prior: priorGames)
      let m = free.count
      information = [Double](repeating: 0, count: m * m)
      for (a, i) in free.enumerated() { for (b, j) in free.enumerated() { information[a * m + b] = info[i * n + j] } }
      if m == 0 { break }
      let step = try LinearAlgebra.solve(
        information, free.map { gradient[$0] }, n: m,
        singular: "the ratings are not identified: some player's games do not tie it to the others")
      var largest = 0.0
      for (a, i) in free.enumerated() {
        theta[i] += step[a]
        largest = Swift.max(largest, abs(step[a]))
      }
      try require(
        theta.allSatisfy { abs($0) < 50 },
        "a rating diverges (a player won or lost every game): pass prior_games > 0 for finite ratings",
        code: .numerical)
      if largest < 1e-12 || iterations >= 100 { break }
    }
    let scale = 400 / _log(10.0)
    var errors = [Double](repeating: 0, count: n)
    if !free.isEmpty {
      let covariance = try LinearAlgebra.inverse(information, n: free.count)
      for (a, i) in free.enumerated() { errors[i] = scale * covariance[a * free.count + a].squareRoot() }
    }
    return Fit(ratings: theta.map { $0 * scale }, standardErrors: errors, iterations: iterations)
  }

  /// The gradient of the log-likelihood in θ and the Fisher information
  /// (minus its Hessian), `[n]` and `[n, n]`.
  static func derivatives(_ theta: [Double], _ s: [Double], _ g: [Double], n: Int, prior: Double)
    -> ([Double], [Double])
  {
    var gradient = [Double](repeating: 0, count: n)
    var info = [Double](repeating: 0, count: n * n)
    for i in 0..<n {
      let own = 1 / (1 + _exp(-theta[i]))
      gradient[i] += prior * (0.5 - own)
      info[i * n + i] += prior * own * (1 - own)
      for j in 0..<n where g[i * n + j] > 0 {
        let p = 1 / (1 + _exp(theta[j] - theta[i]))
        gradient[i] += s[i * n + j] - g[i * n + j] * p
        let w = g[i * n + j] * p * (1 - p)
        info[i * n + i] += w
        info[i * n + j] -= w
      }
    }
    return (gradient, info)
  }

  /// Every player reaches the anchor through games (or the prior ties
  /// every player to the fixed reference).
  static func requireConnected(_ g: [Double], n: Int, anchor: Int, prior: Bool) throws(SwiftPGError) {
    guard !prior else { return }
    var seen = [Bool](repeating: false, count: n)
    var stack = [anchor]
    seen[anchor] = true
    while let i = stack.popLast() {
      for j in 0..<n where !seen[j] && g[i * n + j] > 0 {
        seen[j] = true
        stack.append(j)
      }
    }
    if let lonely = seen.firstIndex(of: false) {
      throw .invalid("player \(lonely) has no chain of games to the anchor \(anchor): its rating is not identified")
    }
  }
}
