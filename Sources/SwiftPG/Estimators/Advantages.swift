import CMathShims

/// Returns and advantages of time-major rollouts `[T, N]` (T steps of N
/// environments), with terminated and truncated kept apart.
///
/// Conventions (the same for every function here):
/// - `rewards[t, i]` = r_t, `terminated[t, i]`, `truncated[t, i]` ∈ {0, 1}
///   describe step t (t = 0..<T);
/// - `values[t, i]` = V(s_t) for t = 0...T (T + 1 rows; row T is the value of
///   the observation after the last step);
/// - `finalValues[t, i]` = V of the final observation of an episode that
///   ended at step t (read only where `truncated` and not `terminated`; may
///   be nil when nothing is truncated);
/// - the value that follows step t is
///   next_t = 0 if terminated_t, finalValues_t if truncated_t, values_{t+1} otherwise
///   (with same-step autoreset, row t + 1 already belongs to the next episode
///   when step t ended it);
/// - a recursion over t continues only while the episode does:
///   c_t = (1 − terminated_t)(1 − truncated_t).
/// Sources: Sutton & Barto (2018) ch. 6, 7, 12; Schulman et al. (2016),
/// "High-Dimensional Continuous Control Using GAE", eqs. 11–16; Pardo et al.
/// (2018), "Time Limits in Reinforcement Learning" (bootstrap on truncation).
public struct Rollout {
  public let steps: Int
  public let count: Int
  public let rewards: UnsafePointer<Double>
  public let terminated: UnsafePointer<UInt8>
  public let truncated: UnsafePointer<UInt8>
  public let values: UnsafePointer<Double>?
  public let finalValues: UnsafePointer<Double>?

  public init(
    steps: Int, count: Int, rewards: UnsafePointer<Double>, terminated: UnsafePointer<UInt8>,
    truncated: UnsafePointer<UInt8>, values: UnsafePointer<Double>?, finalValues: UnsafePointer<Double>?
  ) {
    self.steps = steps
    self.count = count
    self.rewards = rewards
    self.terminated = terminated
    self.truncated = truncated
    self.values = values
    self.finalValues = finalValues
  }

  @inline(__always) func index(_ t: Int, _ i: Int) -> Int { t * count + i }

  /// The value that follows step t of environment i (0 without values).
  @inline(__always) func nextValue(_ t: Int, _ i: Int) -> Double {
    let k = index(t, i)
    if terminated[k] != 0 { return 0 }
    if truncated[k] != 0 { return finalValues?[k] ?? 0 }
    return values?[index(t + 1, i)] ?? 0
  }

  @inline(__always) func continues(_ t: Int, _ i: Int) -> Bool {
    let k = index(t, i)
    return terminated[k] == 0 && truncated[k] == 0
  }
}

/// Discounted returns, bootstrapped:
///
///     G_t = r_t + γ next_t                       if step t ended the episode,
///     G_t = r_t + γ G_{t+1},   G_T = V(s_T)      otherwise
///
/// i.e. Monte Carlo returns within each episode, bootstrapping from V where a
/// segment or a truncated episode stops (no values: bootstrap 0, the plain
/// reward-to-go Σ_{k≥t} γ^{k−t} r_k of complete episodes).
/// - Complexity: O(T·N).
public func discountedReturns(_ r: Rollout, gamma: Double, into out: UnsafeMutablePointer<Double>) {
  sweepBackward(r, gamma: gamma, decay: gamma, advantages: false, into: out)
}

/// The shared backward recursion of returns and GAE, row by row from the
/// last step (time-major memory order; each row is one call of the
/// vectorised C kernel `spg_backward_row`, with `restrict` pointers and
/// AVX2/AVX-512 clones, because Swift cannot prove that `out` does not
/// alias the inputs and keeps the loop scalar):
///
///     GAE:      out_t = r_t + γ·next_t − V(s_t) + γλ·c_t·out_{t+1}
///     returns:  out_t = r_t + γ·(c_t·out_{t+1} + (1 − c_t)·next_t)
///
/// with c_t = 1 if step t continues its episode (0 at an end or the last
/// row) and next_t the value after step t (0 if terminated, the final value
/// if truncated, V(s_{t+1}) otherwise).
func sweepBackward(
  _ r: Rollout, gamma: Double, decay: Double, advantages: Bool, into out: UnsafeMutablePointer<Double>
) {
  let n = r.count
  var t = r.steps - 1
  while t >= 0 {
    let row = t * n
    spg_backward_row(
      n, r.rewards + row, r.terminated + row, r.truncated + row, r.values.map { $0 + row + n },
      r.finalValues.map { $0 + row }, r.values.map { $0 + row }, t == r.steps - 1 ? nil : UnsafePointer(out + row + n),
      gamma, decay, advantages ? 1 : 0, out + row)
    t -= 1
  }
}

/// One-step TD errors δ_t = r_t + γ next_t − V(s_t) (the TD(0) advantage).
public func temporalDifferences(_ r: Rollout, gamma: Double, into out: UnsafeMutablePointer<Double>) {
  guard let values = r.values else { return }
  for t in 0..<r.steps {
    for i in 0..<r.count {
      let k = r.index(t, i)
      out[k] = r.rewards[k] + gamma * r.nextValue(t, i) - values[k]
    }
  }
}

/// Generalised advantage estimation, GAE(γ, λ) (Schulman et al. 2016, eq. 16):
///
///     Â_t = δ_t + γλ c_t Â_{t+1},   Â_T = 0
///
/// λ = 0 gives TD(0) (δ_t); λ = 1 gives discounted returns − V(s_t).
/// The λ-return target is Â_t + V(s_t) (`lambdaReturns`).
public func generalizedAdvantages(
  _ r: Rollout, gamma: Double, lambda: Double, into out: UnsafeMutablePointer<Double>
) {
  guard r.values != nil else { return }
  sweepBackward(r, gamma: gamma, decay: gamma * lambda, advantages: true, into: out)
}

/// TD(λ) returns G^λ_t = Â_t + V(s_t), the value targets that go with GAE.
public func lambdaReturns(_ r: Rollout, gamma: Double, lambda: Double, into out: UnsafeMutablePointer<Double>) {
  guard let values = r.values else { return }
  generalizedAdvantages(r, gamma: gamma, lambda: lambda, into: out)
  for k in 0..<(r.steps * r.count) { out[k] += values[k] }
}

/// n-step returns: G^(n)_t = Σ_{l<m} γ^l r_{t+l} + γ^m next, where the sum
/// stops after m ≤ n steps at the episode's end or the segment's end, and
/// next is the value that follows step t + m − 1 (0 after termination,
/// V(final observation) after truncation, V(s_{t+m}) otherwise). n ≥ T
/// within one episode gives the discounted return bootstrapped from V(s_T).
/// - Complexity: O(T·N·n).
public func nStepReturns(_ r: Rollout, gamma: Double, n: Int, into out: UnsafeMutablePointer<Double>) {
  for i in 0..<r.count {
    for t in 0..<r.steps {
      var g = 0.0
      var discount = 1.0
      var u = t
      while true {
        g += discount * r.rewards[r.index(u, i)]
        discount *= gamma
        let last = u - t + 1 == n || u == r.steps - 1 || !r.continues(u, i)
        if last {
          g += discount * r.nextValue(u, i)
          break
        }
        u += 1
      }
      out[r.index(t, i)] = g
    }
  }
}

/// n-step advantages Â^(n)_t = G^(n)_t − V(s_t) (Schulman et al. 2016, eqs. 11–14).
public func nStepAdvantages(_ r: Rollout, gamma: Double, n: Int, into out: UnsafeMutablePointer<Double>) {
  guard let values = r.values else { return }
  nStepReturns(r, gamma: gamma, n: n, into: out)
  for k in 0..<(r.steps * r.count) { out[k] -= values[k] }
}
