/// Shuffled minibatches of a batch's rows (CleanRL's `b_inds` permutation
/// and the gathered `b_obs[mb_inds]`, `b_actions[mb_inds]`): a random
/// permutation per epoch from the learner's generator (Fisher–Yates from the
/// last index, PCG64 `next() % (k + 1)`), or a fixed one given by the user
/// (`permutations`, so an outside implementation can reproduce an update
/// exactly), and the gathered observation and action rows of a minibatch.
public final class Minibatches {
  private let index = Store<Int>()
  private let observations = Store<Double>()
  private let actions = Store<Double>()
  /// Permutations to use instead of random ones, consumed one per call of
  /// `shuffled` (each must be a permutation of 0..<m); nil or used up:
  /// random. Set by tests and the `examples/ppo_from_primitives.py` check.
  public var permutations: [[Int]] = []

  public init() {}

  /// A fresh permutation of 0..<m (the next injected one, else random).
  /// Throws when the next injected permutation is not one of 0..<m (it is
  /// then dropped with the rest).
  public func shuffled(_ m: Int, using rng: inout PCG64) throws(SwiftPGError) -> UnsafeMutablePointer<Int> {
    let p = index.reserve(m)
    if !permutations.isEmpty {
      let given = permutations.removeFirst()
      do throws(SwiftPGError) { try Self.validate([given], count: m) } catch {
        permutations = []
        throw error
      }
      for k in 0..<m { p[k] = given[k] }
      return p
    }
    for k in 0..<m { p[k] = k }
    if m > 1 {
      for k in stride(from: m - 1, to: 0, by: -1) {
        let j = Int(rng.next() % UInt64(k + 1))
        let t = p[k]
        p[k] = p[j]
        p[j] = t
      }
    }
    return p
  }

  /// Checks injected permutations against a batch of m rows.
  public static func validate(_ permutations: [[Int]], count m: Int) throws(SwiftPGError) {
    for (e, p) in permutations.enumerated() {
      try require(p.count == m, "permutation \(e) has \(p.count) entries for a batch of \(m) rows")
      var seen = [Bool](repeating: false, count: m)
      for k in p {
        try require(k >= 0 && k < m && !seen[k], "permutation \(e) is not a permutation of 0..<\(m)")
        seen[k] = true
      }
    }
  }

  /// Gathers rows `rows[0..<b]` of observations and actions; returns
  /// (observations [b, obs_size], actions [b] or [b, action_width]).
  public func gather(_ d: Trajectories, rows: UnsafePointer<Int>, count b: Int)
    -> (UnsafePointer<Double>, UnsafeRawPointer)
  {
    let dim = d.observationSize
    let o = observations.reserve(b * dim)
    let a = UnsafeMutableRawPointer(actions.reserve(b * d.actionSpace.width))
    for r in 0..<b {
      let k = rows[r]
      (o + r * dim).update(from: d.observations.pointer + k * dim, count: dim)
      d.copyAction(from: k, to: a, row: r)
    }
    return (UnsafePointer(o), UnsafeRawPointer(a))
  }
}
