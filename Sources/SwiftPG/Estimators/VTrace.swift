import Glibc

/// V-trace targets and policy-gradient advantages (Espeholt et al. 2018,
/// IMPALA, eq. 1 and §4.2; rlax `vtrace_td_error_and_advantage`): returns
/// and advantages of a batch collected by a behaviour policy β that may be
/// older than the policy π being trained, from the log importance ratios
/// log ρ_t = log π(a_t|s_t) − log β(a_t|s_t):
///
///     ρ_t = min(ρ̄, e^{log ρ_t}),   c_t = λ · min(c̄, e^{log ρ_t})
///     δ_t = ρ_t (r_t + γ next_t − V(s_t))
///     v_t = V(s_t) + δ_t + γ c_t k_t (v_{t+1} − V(s_{t+1})),   v_T = V(s_T)
///     A_t = ρ_t (r_t + γ next'_t − V(s_t))
///
/// with next_t the value after step t (0 if it terminated, V of the final
/// observation if truncated, V(s_{t+1}) otherwise), k_t = 1 if step t
/// continues its episode (0 at an end), and next'_t = next_t + k_t (v_{t+1}
/// − V(s_{t+1})) (the V-trace target of the next state in the episode). The
/// critic is fitted to v_t; π ascends ρ_t A_t ∇ log π. On-policy (log ρ = 0)
/// with ρ̄, c̄ ≥ 1 and λ = 1, v_t is the bootstrapped discounted return and
/// A_t = v_t − V(s_t), GAE(γ, 1)'s advantage (a test checks both).
///
/// Index ranges: time-major [T, N] rows; `r.values` holds T + 1 rows (the
/// last the bootstrap V(s_T)); `targets` and `advantages` receive [T, N].
/// Convention: `terminated` and `truncated` are kept apart as everywhere in
/// swiftpg (the paper's discount γ_t is γ · (1 − terminated_t), and a
/// truncated step bootstraps from its final observation).
/// - Complexity: O(T·N).
public func vtrace(
  _ r: Rollout, gamma: Double, logRhos: UnsafePointer<Double>, rhoBar: Double, cBar: Double, lambda: Double,
  targets: UnsafeMutablePointer<Double>, advantages: UnsafeMutablePointer<Double>
) {
  guard let values = r.values else { return }
  for i in 0..<r.count {
    var carry = 0.0  // v_{t+1} − V(s_{t+1}) of the step after t
    var t = r.steps - 1
    while t >= 0 {
      let k = r.index(t, i)
      let ratio = exp(logRhos[k])
      let rho = Swift.min(rhoBar, ratio)
      let c = lambda * Swift.min(cBar, ratio)
      let next = r.nextValue(t, i)
      let continuing = r.continues(t, i)
      let following = continuing ? carry : 0
      let diff = rho * (r.rewards[k] + gamma * next - values[k]) + gamma * c * following
      targets[k] = values[k] + diff
      advantages[k] = rho * (r.rewards[k] + gamma * (next + following) - values[k])
      carry = diff
      t -= 1
    }
  }
}
