/// Explained variance 1 − Var[y − V] / Var[y] of predictions V of targets y
/// (population variances; 0 when fewer than two rows or Var[y] = 0) — the
/// critic diagnostic of SB3 and CleanRL (`explained_var`): 1 is a perfect
/// fit, 0 no better than the mean, negative worse.
public func explainedVariance(
  targets y: UnsafePointer<Double>, predictions v: UnsafePointer<Double>, count m: Int
) -> Double {
  guard m > 1 else { return 0 }
  var my = 0.0
  var me = 0.0
  for k in 0..<m {
    my += y[k]
    me += y[k] - v[k]
  }
  my /= Double(m)
  me /= Double(m)
  var vy = 0.0
  var ve = 0.0
  for k in 0..<m {
    vy += (y[k] - my) * (y[k] - my)
    let e = y[k] - v[k] - me
    ve += e * e
  }
  return vy > 0 ? 1 - ve / vy : 0
}
