/// Exact policy evaluation and the exact policy gradient of a finite MDP
/// (`TabularModel`) for any discrete policy, given the observation the
/// policy sees in each state (one-hot for tabular policies; aliased features
/// such as the short corridor's are allowed).
///
/// Discounted objective (model.horizon == nil), J = E[Σ_t γ^t r_t]:
///   V = (I − γ P_π)⁻¹ r_π,  Q(s, a) = r(s, a) + γ Σ_s' P(s'|s, a) V(s'),
///   d = (I − γ P_πᵀ)⁻¹ μ  (d(s) = Σ_t γ^t Pr(s_t = s)),  J = μᵀV,
/// with rows of terminal states zero (V = 0 there, no visits counted).
/// Finite horizon H, J = E[Σ_{t<H} γ^t r_t], with a stationary policy:
///   V_H = 0,  Q_t = r + γ P V_{t+1},  V_t = Σ_a π Q_t,  ρ_0 = μ, ρ_{t+1} = ρ_t P_π;
///   reported V, Q, A are those of t = 0 and d(s) = Σ_t γ^t ρ_t(s).
/// Policy gradient theorem (Sutton et al. 2000; Sutton & Barto 2018 §13.2):
///   ∇J = Σ_t γ^t Σ_s ρ_t(s) Σ_a π(a|s) A_t(s, a) ∇θ log π(a|s)
/// (discounted: Σ_s d(s) Σ_a π A ∇log π), with ∇log π from the policy's own
/// hand-written score vectors.
public struct ExactSolution: Sendable {
  public var objective: Double
  public var values: [Double]
  public var actionValues: [Double]
  public var advantages: [Double]
  public var visitation: [Double]
  public var gradient: [Double]
  /// π(a|s), [S, A].
  public var probabilities: [Double]
}

public enum ExactPolicyGradient {
  /// Solves (I − γP_π) x = b (`LinearAlgebra.solve`).
  static func solve(_ m: [Double], _ b: [Double], n: Int) throws(SwiftPGError) -> [Double] {
    try LinearAlgebra.solve(
      m, b, n: n,
      singular: "I − γP_π is singular: under this policy some state is never left (with γ = 1, episodes never end)")
  }

  /// The exact solution for `policy` on `model`; `observations` is
  /// [S, policy.observationSize], the observation of each state.
  public static func solve(model: TabularModel, policy: any Policy, observations: [Double]) throws(SwiftPGError)
    -> ExactSolution
  {
    let s = model.stateCount
    let a = model.actionCount
    guard case .discrete(let n) = policy.actionSpace, n == a else {
      throw .invalid("the policy must be discrete with the MDP's \(a) actions")
    }
    if let horizon = model.horizon {
      // Backward induction keeps V_t and Q_t for every step: bounded before allocating.
      _ = try Limits.product(
        [horizon + 1, s, a], limit: TabularModel.maxTableEntries,
        "exact solution of a finite-horizon MDP: (horizon + 1) × S × A")
    }
    let width = policy.observationSize
    try require(observations.count == s * width, "observations must be [\(s), \(width)], got \(observations.count) values")
    try require(observations.allFinite, "observations must be finite", code: .notFinite)
    if let problem = observations.withUnsafeBufferPointer({ o in
      o.baseAddress.flatMap { policy.checkObservations($0, batch: s) }
    }) {
      throw .invalid(problem)
    }
    let gamma = model.gamma
    let p = policy.parameterCount

    // π(a|s) and the score vector of every (s, a).
    var rows = [Double](repeating: 0, count: s * a * width)
    var actions = [Int32](repeating: 0, count: s * a)
    for st in 0..<s {
      for ac in 0..<a {
        for k in 0..<width { rows[(st * a + ac) * width + k] = observations[st * width + k] }
        actions[st * a + ac] = Int32(ac)
      }
    }
    var logp = [Double](repeating: 0, count: s * a)
    var scores = [Double](repeating: 0, count: s * a * p)
    policy.logProbabilities(rows, actions: actions, batch: s * a, into: &logp)
    policy.scoreVectors(rows, actions: actions, batch: s * a, into: &scores)
    let pi = logp.map { _exp($0) }

    var r = [Double](repeating: 0, count: s * a)  // expected immediate reward
    for st in 0..<s {
      for ac in 0..<a { r[st * a + ac] = model.expectedReward(st, ac) }
    }
    // P_π and r_π with terminal rows zero.
    var pPi = [Double](repeating: 0, count: s * s)
    var rPi = [Double](repeating: 0, count: s)
    for st in 0..<s where !model.terminal[st] {
      for ac in 0..<a {
        let w = pi[st * a + ac]
        rPi[st] += w * r[st * a + ac]
        for nx in 0..<s { pPi[st * s + nx] += w * model.transitions[(st * a + ac) * s + nx] }
      }
    }
    func q(_ v: [Double]) -> [Double] {
      var out = [Double](repeating: 0, count: s * a)
      for st in 0..<s where !model.terminal[st] {
        for ac in 0..<a {
          var next = 0.0
          for nx in 0..<s { next += model.transitions[(st * a + ac) * s + nx] * v[nx] }
          out[st * a + ac] = r[st * a + ac] + gamma * next
        }
      }
      return out
    }
    var gradient = [Double](repeating: 0, count: p)
    func accumulate(_ weight: [Double], _ adv: [Double]) {
      for st in 0..<s where weight[st] != 0 && !model.terminal[st] {
        for ac in 0..<a {
          let c = weight[st] * pi[st * a + ac] * adv[st * a + ac]
          if c == 0 { continue }
          for k in 0..<p { gradient[k] += c * scores[(st * a + ac) * p + k] }
        }
      }
    }

    var values: [Double]
    var qValues: [Double]
    var visitation: [Double]
    if let horizon = model.horizon {
      // Backward induction for V_t, Q_t; forward state distributions ρ_t.
      var vs: [[Double]] = Array(repeating: Array(repeating: 0, count: s), count: horizon + 1)
      var qs: [[Double]] = Array(repeating: [], count: horizon)
      for t in stride(from: horizon - 1, through: 0, by: -1) {
        qs[t] = q(vs[t + 1])
        for st in 0..<s where !model.terminal[st] {
          var v = 0.0
          for ac in 0..<a { v += pi[st * a + ac] * qs[t][st * a + ac] }
          vs[t][st] = v
        }
      }
      var rho = model.initial
      visitation = Array(repeating: 0, count: s)
      var discount = 1.0
      for t in 0..<horizon {
        var adv = qs[t]
        for st in 0..<s { for ac in 0..<a { adv[st * a + ac] -= vs[t][st] } }
        accumulate(rho.map { $0 * discount }, adv)
        for st in 0..<s { visitation[st] += discount * rho[st] }
        var next = [Double](repeating: 0, count: s)
        for st in 0..<s where rho[st] != 0 { for nx in 0..<s { next[nx] += rho[st] * pPi[st * s + nx] } }
        rho = next
        discount *= gamma
      }
      values = vs[0]
      qValues = qs.first ?? Array(repeating: 0, count: s * a)
    } else {
      var m = [Double](repeating: 0, count: s * s)
      var mt = m
      for i in 0..<s {
        for j in 0..<s {
          let e = (i == j ? 1.0 : 0.0) - gamma * pPi[i * s + j]
          m[i * s + j] = e
          mt[j * s + i] = e
        }
      }
      values = try solve(m, rPi, n: s)
      visitation = try solve(mt, model.initial, n: s)
      for st in 0..<s where model.terminal[st] { visitation[st] = 0 }
      qValues = q(values)
      var adv = qValues
      for st in 0..<s { for ac in 0..<a { adv[st * a + ac] -= values[st] } }
      accumulate(visitation, adv)
    }
    var advantages = qValues
    for st in 0..<s {
      for ac in 0..<a { advantages[st * a + ac] = model.terminal[st] ? 0 : qValues[st * a + ac] - values[st] }
    }
    let objective = zip(model.initial, values).map(*).reduce(0, +)
    return ExactSolution(
      objective: objective, values: values, actionValues: qValues, advantages: advantages, visitation: visitation,
      gradient: gradient, probabilities: pi)
  }
}
