/// The score-function gradient every vanilla policy-gradient learner takes
/// (Williams 1992; Sutton & Barto §13.3): for weights ψ_t (already divided
/// by whatever the estimator averages over) and entropy weights c_t,
///   ĝ = Σ_t ψ_t ∇log π(a_t|s_t) + Σ_t c_t ∇H(π(·|s_t)),
/// in one forward/backward pass of the policy, returning the surrogate
/// Σ_t ψ_t log π(a_t|s_t) (the policy loss is its negation). REINFORCE,
/// actor-critic, A2C and off-policy PG differ only in ψ.
final class PolicySurrogate {
  private let logProbs = Store<Double>()
  private let entropies = Store<Double>()
  private let scaled = Store<Double>()

  /// ĝ with ψ_t = `weights[t]` and c_t = `entropyWeight(t)` on the rows of
  /// `observations`/`actions`, into `gradient`.
  func gradient(
    _ policy: any Policy, observations: UnsafePointer<Double>, actions: UnsafeRawPointer, count m: Int,
    weights psi: UnsafePointer<Double>, entropyWeight: (Int) -> Double, into gradient: inout [Double]
  ) -> Double {
    let lp = logProbs.reserve(m)
    let h = entropies.reserve(m)
    var surrogate = 0.0
    gradient.withUnsafeMutableBufferPointer { grad in
      guard let gp = grad.baseAddress else { return }
      policy.surrogateGradient(
        observations, rawActions: actions, batch: m, logProbabilities: lp, entropies: h,
        weigh: { lp, _, ws, we in
          for k in 0..<m {
            ws[k] = psi[k]
            we[k] = entropyWeight(k)
            surrogate += psi[k] * lp[k]
          }
        }, into: gp)
    }
    return surrogate
  }

  /// The on-policy estimate (1/M) Σ Â_t ∇log π + c_H ∇ mean H of A2C and
  /// actor-critic on the batch `d`.
  func gradient(
    _ policy: any Policy, _ d: Trajectories, advantages adv: UnsafePointer<Double>, entropyCoef: Double,
    into gradient: inout [Double]
  ) -> Double {
    let m = d.count
    let scale = 1 / Double(m)
    let psi = scaled.reserve(m)
    for k in 0..<m { psi[k] = adv[k] * scale }
    let entropyWeight = entropyCoef * scale
    return self.gradient(
      policy, observations: d.observations.pointer, actions: d.actions, count: m, weights: psi,
      entropyWeight: { _ in entropyWeight }, into: &gradient)
  }
}
