/// The batch-mean baseline b = (1/M) Σ_t G_t, subtracted in place:
/// ψ_t = G_t − b. Returns b. Subtracting a constant keeps the score-function
/// estimator unbiased when b does not depend on the batch it weights; the
/// batch mean does, which adds an O(1/M) bias that is standard practice
/// (Williams 1992; Sutton & Barto 2018 §13.4).
@discardableResult
public func subtractMeanBaseline(_ values: inout [Double], count: Int) -> Double {
  guard count > 0 else { return 0 }
  var sum = 0.0
  for i in 0..<count { sum += values[i] }
  let b = sum / Double(count)
  for i in 0..<count { values[i] -= b }
  return b
}

/// The leave-one-out mean baseline: ψ_i = G_i − b_i with
/// b_i = (Σ_j G_j − G_i)/(M − 1), the mean of the *other* samples, so that
/// b_i does not depend on sample i and the estimator stays exactly unbiased
/// (Kool et al. 2019's RLOO baseline). Σ_i ψ_i equals M/(M−1) times the
/// plain-mean version's. Needs M ≥ 2. Returns the plain mean.
@discardableResult
public func subtractLeaveOneOutMean(_ values: UnsafeMutablePointer<Double>, count: Int) -> Double {
  guard count >= 2 else { return count == 1 ? values[0] : 0 }
  var sum = 0.0
  for i in 0..<count { sum += values[i] }
  let others = Double(count - 1)
  for i in 0..<count { values[i] -= (sum - values[i]) / others }
  return sum / Double(count)
}

/// Divides `values[0..<count]` by their standard deviation plus `epsilon`
/// (after centring if `center`). Returns the standard deviation.
@discardableResult
public func standardize(_ values: inout [Double], count: Int, center: Bool, epsilon: Double = 1e-8)
  -> Double
{
  values.withUnsafeMutableBufferPointer { v in
    guard let base = v.baseAddress else { return 0 }
    return standardize(base, count: count, center: center, epsilon: epsilon)
  }
}

/// `standardize` on raw memory (the learners' scratch buffers).
@discardableResult
public func standardize(
  _ values: UnsafeMutablePointer<Double>, count: Int, center: Bool, epsilon: Double = 1e-8
) -> Double {
  guard count > 0 else { return 0 }
  var mean = 0.0
  for i in 0..<count { mean += values[i] }
  mean /= Double(count)
  var ss = 0.0
  for i in 0..<count { ss += (values[i] - mean) * (values[i] - mean) }
  let std = (ss / Double(count)).squareRoot()
  let shift = center ? mean : 0
  for i in 0..<count { values[i] = (values[i] - shift) / (std + epsilon) }
  return std
}
