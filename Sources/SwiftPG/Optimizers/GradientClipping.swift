/// Gradient clipping: by norm, by value, and jointly over two networks.

/// Kochenderfer's `scale_gradient`: rescales g to L2 norm `maxNorm` when it
/// is longer; returns the norm before scaling.
@discardableResult
public func scaleGradient(_ g: inout [Double], maxNorm: Double) -> Double {
  let norm = Statistics.norm(g)
  if maxNorm > 0 && norm > maxNorm {
    let k = maxNorm / norm
    for i in g.indices { g[i] *= k }
  }
  return norm
}

/// Kochenderfer's `clip_gradient(∇, a, b)`: clamps every component to
/// [low, high] (element-wise, unlike `scaleGradient`, so the direction
/// can change). Returns how many components were clipped.
@discardableResult
public func clipGradient(_ g: inout [Double], low: Double, high: Double) -> Int {
  var clipped = 0
  for i in g.indices {
    let c = min(max(g[i], low), high)
    if c != g[i] { clipped += 1 }
    g[i] = c
  }
  return clipped
}

/// Rescales two gradients together to the L2 norm `maxNorm` when their
/// joint norm is longer (PPO's and A2C's global norm clipping over the
/// policy and the critic; `maxNorm` ≤ 0: off). The first `sharedPrefix`
/// components of `b` duplicate the same count of `a` (one network with two
/// heads) and are counted once. Returns the joint norm before scaling;
/// a sum that overflows or underflows falls back to `Statistics.norm`.
@discardableResult
public func clipGlobalNorm(_ a: inout [Double], _ b: inout [Double], sharedPrefix: Int = 0, maxNorm: Double) -> Double {
  var s = 0.0
  for x in a { s += x * x }
  for x in b { s += x * x }
  for k in 0..<sharedPrefix { s -= b[k] * b[k] }
  var norm = Swift.max(s, 0).squareRoot()
  if !norm.isFinite || norm < 0x1p-450 {
    let p = Statistics.norm(a)
    let v = b.withUnsafeBufferPointer { buf in
      buf.baseAddress.map { Statistics.norm($0 + sharedPrefix, buf.count - sharedPrefix) } ?? 0
    }
    norm = Statistics.hypot(p, v)
  }
  if maxNorm > 0 && norm > maxNorm {
    let k = maxNorm / norm
    for i in a.indices { a[i] *= k }
    for i in b.indices { b[i] *= k }
  }
  return norm
}
