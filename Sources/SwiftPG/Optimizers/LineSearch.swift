/// Backtracking line search along a fixed step (TRPO, Schulman et al. 2015
/// §6 and Appendix C): tries the step fractions c⁰, c¹, …, c^(steps−1) and
/// returns the first j whose trial `accept(fraction)` returns true, or nil
/// when none does. `accept` applies the trial itself (and may throw); the
/// caller restores the starting point when nil comes back.
public func backtrackingLineSearch(
  steps: Int, ratio: Double, accept: (Double) throws(SwiftPGError) -> Bool
) throws(SwiftPGError) -> Int? {
  var fraction = 1.0
  for j in 0..<steps {
    if try accept(fraction) { return j }
    fraction *= ratio
  }
  return nil
}
