/// Solves A x = b for symmetric positive-definite A given as a product,
/// with at most `iterations` conjugate-gradient steps from x = 0
/// (stopping when the residual norm² < 1e-10, or when pᵀAp is not
/// positive and finite). Nocedal & Wright, Algorithm 5.2; TRPO's natural
/// step solves F x = g this way (Schulman et al. 2015, Appendix C).
public func conjugateGradient(_ a: ([Double]) -> [Double], _ b: [Double], iterations: Int) -> [Double] {
  var x = [Double](repeating: 0, count: b.count)
  var r = b
  var p = b
  var rr = r.reduce(0) { $0 + $1 * $1 }
  for _ in 0..<iterations {
    if rr < 1e-10 { break }
    let ap = a(p)
    var pap = 0.0
    for i in p.indices { pap += p[i] * ap[i] }
    guard pap > 0, pap.isFinite else { break }
    let alpha = rr / pap
    for i in x.indices {
      x[i] += alpha * p[i]
      r[i] -= alpha * ap[i]
    }
    let next = r.reduce(0) { $0 + $1 * $1 }
    let beta = next / rr
    rr = next
    for i in p.indices { p[i] = r[i] + beta * p[i] }
  }
  return x
}
