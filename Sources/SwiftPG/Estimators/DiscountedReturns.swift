/// Discounted returns (reward-to-go) of a time-major batch, as rlax's
/// `discounted_returns`:
///
///     G_t = r_t + discount_t · G_{t+1},   G_T = bootstrap
///
/// with `discount_t = γ · (1 − terminated_t)` (0 also ends an episode that
/// was concatenated with the next one in the same column).
///
/// - Parameters:
///   - rewards: `[T, N]` rewards r_t, t = 0..<T.
///   - discounts: `[T, N]` discounts applied to G_{t+1}.
///   - bootstrap: `[N]` values G_T that follow the last step (0 for none).
///   - out: `[T, N]` returns G_t.
/// - Complexity: O(T·N).
/// Source: Sutton & Barto (2018) eq. 3.9; rlax `multistep.py`.
public func discountedReturns(
  rewards: UnsafePointer<Double>, discounts: UnsafePointer<Double>,
  bootstrap: UnsafePointer<Double>?, steps t: Int, batch n: Int,
  into out: UnsafeMutablePointer<Double>
) {
  for j in 0..<n {
    var g = bootstrap?[j] ?? 0
    var s = t - 1
    while s >= 0 {
      let k = s * n + j
      g = rewards[k] + discounts[k] * g
      out[k] = g
      s -= 1
    }
  }
}

/// Array form of `discountedReturns` for one column (`N = 1`).
public func discountedReturns(rewards: [Double], discounts: [Double], bootstrap: Double = 0)
  throws(SwiftPGError) -> [Double]
{
  try require(
    rewards.count == discounts.count,
    "rewards (\(rewards.count)) and discounts (\(discounts.count)) differ in length")
  var out = [Double](repeating: 0, count: rewards.count)
  var b = bootstrap
  rewards.withUnsafeBufferPointer { r in
    discounts.withUnsafeBufferPointer { d in
      out.withUnsafeMutableBufferPointer { o in
        guard let rp = r.baseAddress, let dp = d.baseAddress, let op = o.baseAddress else { return }
        discountedReturns(rewards: rp, discounts: dp, bootstrap: &b, steps: rewards.count, batch: 1, into: op)
      }
    }
  }
  return out
}
