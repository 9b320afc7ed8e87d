/// ε-greedy exploration over action values, with ε on a linear schedule.

/// A value moving linearly from `start` to `end` over the first
/// `fraction · totalSteps` steps, then held at `end`
/// (Stable-Baselines3's `get_linear_fn` driven by the progress
/// t / totalSteps, as its DQN's `exploration_rate`):
///   ε(t) = start + (end − start) · min(1, t / (fraction · totalSteps)).
/// `fraction` 0 gives `end` from step 0.
public struct LinearSchedule: Sendable, Equatable {
  public var start: Double
  public var end: Double
  public var fraction: Double
  public var totalSteps: Int

  public init(start: Double, end: Double, fraction: Double, totalSteps: Int) throws(SwiftPGError) {
    try require(start.isFinite && end.isFinite, "schedule ends must be finite, got \(start) and \(end)")
    try require(fraction >= 0 && fraction <= 1, "exploration_fraction must be in [0, 1], got \(fraction)")
    try require(totalSteps >= 1, "total steps must be at least 1, got \(totalSteps)")
    self.start = start
    self.end = end
    self.fraction = fraction
    self.totalSteps = totalSteps
  }

  /// The value at step `t` (t ≥ 0; negative t is treated as 0).
  public func value(at t: Int) -> Double {
    let span = fraction * Double(totalSteps)
    guard span > 0 else { return end }
    let progress = Double(Swift.max(t, 0)) / span
    return progress >= 1 ? end : start + (end - start) * progress
  }
}

/// ε-greedy actions from Q-values `q` (`[batch, actionCount]`): for each
/// row, with probability ε a uniformly random action (which may be the
/// greedy one, as Stable-Baselines3's `action_space.sample()`), otherwise
/// argmax_a q[i, a] (lowest index on ties). Each row draws one uniform for
/// the coin and, when exploring, one more for the action.
public func epsilonGreedyActions(
  _ q: UnsafePointer<Double>, batch: Int, actionCount: Int, epsilon: Double,
  into actions: UnsafeMutablePointer<Int32>, using rng: inout some RandomNumberGenerator
) {
  for i in 0..<Swift.max(batch, 0) {
    if rng.nextUnitDouble() < epsilon {
      actions[i] = Int32(Int.random(in: 0..<Swift.max(actionCount, 1), using: &rng))
    } else {
      actions[i] = Int32(argmax(q + i * actionCount, actionCount))
    }
  }
}
