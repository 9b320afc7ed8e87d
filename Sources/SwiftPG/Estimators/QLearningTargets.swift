/// Bootstrapped targets of Q-learning on a batch of single transitions
/// (rlax's `q_learning` and `double_q_learning`, written as targets).
///
/// Conventions (both functions):
/// - `rewards[i]` = r_i and `discounts[i]` = γ·(1 − terminated_i) for
///   i = 0..<batch (a truncated step keeps γ: it bootstraps);
/// - `targetNextQ[i, a]` = Q̃(s′_i, a) of the target network,
///   `[batch, actionCount]` row-major, s′_i the next (for an ended
///   episode, the final) observation;
/// - `targets[i]` receives y_i; the TD error of Q(s_i, a_i) is
///   Q(s_i, a_i) − y_i.
/// Ties of an argmax go to the lowest action index (numpy and torch). A row
/// with discount 0 is y_i = r_i whatever its next values (a terminated
/// step's s′ may be a placeholder, even non-finite).

/// Q-learning / DQN targets (Watkins 1989; Mnih et al. 2015, Algorithm 1):
///   y_i = r_i + discount_i · max_a Q̃(s′_i, a).
public func qLearningTargets(
  rewards: UnsafePointer<Double>, discounts: UnsafePointer<Double>, targetNextQ: UnsafePointer<Double>,
  batch: Int, actionCount: Int, into targets: UnsafeMutablePointer<Double>
) {
  for i in 0..<Swift.max(batch, 0) {
    guard discounts[i] != 0 else {
      targets[i] = rewards[i]
      continue
    }
    let row = targetNextQ + i * actionCount
    targets[i] = rewards[i] + discounts[i] * row[argmax(row, actionCount)]
  }
}

/// Double Q-learning targets (van Hasselt, Guez & Silver 2016, "Deep
/// Reinforcement Learning with Double Q-learning", eq. 4): the online
/// network selects the next action, the target network evaluates it,
///   y_i = r_i + discount_i · Q̃(s′_i, argmax_a Q(s′_i, a)).
/// `onlineNextQ[i, a]` = Q(s′_i, a) of the online network, `[batch, actionCount]`.
public func doubleQLearningTargets(
  rewards: UnsafePointer<Double>, discounts: UnsafePointer<Double>, targetNextQ: UnsafePointer<Double>,
  onlineNextQ: UnsafePointer<Double>, batch: Int, actionCount: Int, into targets: UnsafeMutablePointer<Double>
) {
  for i in 0..<Swift.max(batch, 0) {
    guard discounts[i] != 0 else {
      targets[i] = rewards[i]
      continue
    }
    let best = argmax(onlineNextQ + i * actionCount, actionCount)
    targets[i] = rewards[i] + discounts[i] * targetNextQ[i * actionCount + best]
  }
}

/// The index of the largest of `count` ≥ 1 values (the first on ties; NaN
/// is never chosen over a number).
@inline(__always)
func argmax(_ x: UnsafePointer<Double>, _ count: Int) -> Int {
  var best = 0
  for a in 1..<Swift.max(count, 1) where x[a] > x[best] || (x[best].isNaN && !x[a].isNaN) { best = a }
  return best
}
