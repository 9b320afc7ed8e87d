/// The batch-mean baseline b = (1/M) Σ_t G_t, subtracted in place:
/// ψ_t = G_t − b. Returns b. Subtracting a constant keeps the score-function
/// estimator unbiased when b does not depend on the batch it weights; the
/// batch mean does, which adds an O(1/M) bias that is standard practice
/// (Williams 1992; Sutton & Barto 2018 §13.4).
@discardableResult
public func subtractMeanBaseline(_ values: inout [Double], count: Int) -> Double {
  values.withUnsafeMutableBufferPointer { v in v.baseAddress.map { subtractMeanBaseline($0, count: count) } ?? 0 }
}

/// `subtractMeanBaseline` on raw memory. The mean is taken without
/// overflow of the running sum (`Statistics.mean`).
@discardableResult
public func subtractMeanBaseline(_ values: UnsafeMutablePointer<Double>, count: Int) -> Double {
  guard count > 0 else { return 0 }
  let b = Statistics.mean(values, count)
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
  if sum.isFinite {
    for i in 0..<count { values[i] -= (sum - values[i]) / others }
    return sum / Double(count)
  }
  // The sum overflowed: b_i = Σ_j v_j/(M−1) − v_i/(M−1), at scale 1/(M−1).
  let mean = Statistics.mean(values, count)
  var scaled = 0.0
  for i in 0..<count { scaled += values[i] / others }
  for i in 0..<count { values[i] -= scaled - values[i] / others }
  return mean
}

/// Divides `values[0..<count]` by their standard deviation plus `epsilon`
/// (after centring if `center`). Returns the standard deviation.
///
/// Scaling never amplifies noise-free data: when std < 1e-8·max(1, |mean|)
/// (all values equal up to rounding) the division is skipped; centring,
/// if asked for, still happens. (Dividing by ~1e-8 would turn rounding
/// error into steps of 10^8; see `stdScaleDivisor`.)
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
  let (mean, std) = Statistics.meanAndStd(values, count)
  let shift = center ? mean : 0
  if let divisor = stdScaleDivisor(std: std, mean: mean, epsilon: epsilon) {
    for i in 0..<count { values[i] = (values[i] - shift) / divisor }
  } else if center {
    for i in 0..<count { values[i] -= shift }
  }
  return std
}

/// The divisor `std + epsilon` of a standardisation, or nil when the
/// values are constant up to rounding (std < 1e-8·max(1, |mean|)) and
/// dividing would only amplify rounding error. The one place this rule
/// lives: every learner and estimator that scales by a standard deviation
/// calls it.
@inline(__always)
public func stdScaleDivisor(std: Double, mean: Double, epsilon: Double = 1e-8) -> Double? {
  std < 1e-8 * Swift.max(1, Swift.abs(mean)) ? nil : std + epsilon
}
