/// The critic's regression loss on a (mini)batch of b rows and its gradient:
///   L = c · mean ½ (V(s_r) − y_r)²,
/// or, with `clipRange` ε > 0 and old values V_old (PPO's value clipping,
/// Huang et al. 2022 detail 9), per row the larger of ½(V − y)² and
/// ½(V_old + clip(V − V_old, ±ε) − y)² (whose gradient is 0 once clipped).
/// Writes ∇_φ L into `gradient` (the critic's parameter count) and returns
/// the mean ½-squared error without c. `scratch` holds 2b values.
public func valueLossGradient(
  critic: ValueFunction, observations obs: UnsafePointer<Double>, count b: Int,
  targets y: (Int) -> Double, oldValues: ((Int) -> Double)?, clipRange eps: Double, coefficient c: Double,
  scratch: Store<Double>, into gradient: inout [Double]
) -> Double {
  let pred = scratch.reserve(2 * b)
  var loss = 0.0
  gradient.withUnsafeMutableBufferPointer { g in
    guard let base = g.baseAddress else { return }
    critic.lossGradient(
      obs, batch: b, predictions: pred, weights: pred + b,
      weigh: { pred, w in
        for r in 0..<b {
          let e = pred[r] - y(r)
          if let oldValues, eps > 0 {
            let old = oldValues(r)
            let clipped = old + Swift.min(Swift.max(pred[r] - old, -eps), eps)
            let ec = clipped - y(r)
            if ec * ec > e * e {
              loss += 0.5 * ec * ec
              w[r] = abs(pred[r] - old) < eps ? c * ec / Double(b) : 0
              continue
            }
          }
          loss += 0.5 * e * e
          w[r] = c * e / Double(b)
        }
      }, into: base)
  }
  return loss / Double(b)
}
