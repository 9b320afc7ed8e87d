import Testing

@testable import SwiftPG

/// Critics/ValueLoss.swift: L = c · mean ½(V − y)², optionally PPO's
/// clipped form per row max(½(V − y)², ½(V_old + clip(V − V_old, ±ε) − y)²).
@Suite struct ValueLossTests {
  let b = 6
  let c = 0.7
  let eps = 0.1

  /// An MLP critic at random parameters, observations, its predictions V,
  /// targets y = V + δ and old values: V − 0.5 (outside ε) on even rows,
  /// V + 0.05 (inside) on odd ones.
  func setup() throws -> (ValueFunction, [Double], [Double], [Double], [Double]) {
    let critic = try ValueFunction(observationSize: 3, hidden: [4], seed: 1)
    var g = PCG64(seed: 9)
    try critic.setParameters(critic.parameters.map { _ in 0.5 * g.standardNormal() })
    let obs = (0..<(b * 3)).map { _ in g.standardNormal() }
    let v = critic.values(obs, rows: b)
    let delta: [Double] = [1, 1, -1, -1, 0.5, -0.5]
    let y = (0..<b).map { (r: Int) -> Double in v[r] + delta[r] }
    let old = (0..<b).map { (r: Int) -> Double in r % 2 == 0 ? v[r] - 0.5 : v[r] + 0.05 }
    return (critic, obs, v, y, old)
  }

  func loss(_ critic: ValueFunction, _ obs: [Double], _ y: [Double], _ old: [Double]?) -> Double {
    let v = critic.values(obs, rows: b)
    var total = 0.0
    for r in 0..<b {
      let e = v[r] - y[r]
      var l = 0.5 * e * e
      if let old {
        let clipped = old[r] + Swift.min(Swift.max(v[r] - old[r], -eps), eps)
        l = Swift.max(l, 0.5 * (clipped - y[r]) * (clipped - y[r]))
      }
      total += l
    }
    return c * total / Double(b)
  }

  func gradient(_ critic: ValueFunction, _ obs: [Double], _ y: [Double], _ old: [Double]?) -> ([Double], Double) {
    var grad = [Double](repeating: .nan, count: critic.parameterCount)
    let value = obs.withUnsafeBufferPointer { o in
      valueLossGradient(
        critic: critic, observations: o.baseAddress!, count: b, targets: { y[$0] }, oldValues: old.map { o in { o[$0] } },
        clipRange: old == nil ? 0 : eps, coefficient: c, scratch: Store<Double>(), into: &grad)
    }
    return (grad, value)
  }

  func numeric(_ critic: ValueFunction, _ f: () -> Double) throws -> [Double] {
    try centralDifferences(critic.parameters, set: { try critic.setParameters($0) }, f)
  }

  @Test func gradientMatchesFiniteDifferencesWithoutClipping() throws {
    let (critic, obs, _, y, _) = try setup()
    let (grad, value) = gradient(critic, obs, y, nil)
    expectClose(grad, try numeric(critic) { loss(critic, obs, y, nil) }, 1e-7, "∇L")
    // Returned: the mean ½ error² without c: ½(1 + 1 + 1 + 1 + 0.25 + 0.25)/6 = 0.375.
    #expect(abs(value - 0.375) < 1e-12)
  }

  @Test func gradientMatchesFiniteDifferencesWithClipping() throws {
    let (critic, obs, v, y, old) = try setup()
    let (grad, value) = gradient(critic, obs, y, old)
    expectClose(grad, try numeric(critic) { loss(critic, obs, y, old) }, 1e-7, "∇L clipped")
    // Per row (e = V − y = −δ; clipped V = V − 0.4 on even rows, V on odd):
    // r0: e = −1, clipped −1.4 ⇒ ½·1.96 = 0.98 (clipped wins);  r1: ½;
    // r2: e = 1, clipped 0.6 ⇒ ½ (unclipped wins);  r3: ½;
    // r4: e = −0.5, clipped −0.9 ⇒ 0.405 (clipped);  r5: 0.125.
    // Mean: (0.98 + 0.5 + 0.5 + 0.5 + 0.405 + 0.125)/6 = 3.01/6.
    #expect(abs(value - 3.01 / 6) < 1e-12)
    // The clipped rows (0 and 4) get zero gradient: the gradient is that of
    // the other rows alone.
    var w = [Double](repeating: 0, count: b)
    for r in [1, 2, 3, 5] { w[r] = c * (v[r] - y[r]) / Double(b) }
    var expected = [Double](repeating: 0, count: critic.parameterCount)
    critic.gradient(obs, weights: w, batch: b, into: &expected)
    expectClose(grad, expected, 1e-12, "unclipped rows only")
  }
}
