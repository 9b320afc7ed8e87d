import CMathShims

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

// libm entry points under names that do not collide with user code. Using the
// C library's functions keeps results bit-identical to numpy/Python, which
// call the same libm on this platform.
@inlinable public func _sin(_ x: Double) -> Double { sin(x) }
@inlinable public func _cos(_ x: Double) -> Double { cos(x) }
@inlinable public func _exp(_ x: Double) -> Double { exp(x) }
@inlinable public func _log(_ x: Double) -> Double { log(x) }
@inlinable public func _tanh(_ x: Double) -> Double { tanh(x) }
@inlinable public func _expm1(_ x: Double) -> Double { expm1(x) }

/// (sin x, cos x) from glibc's `sincos`: bit-identical to `sin` and `cos`
/// (tested), with one argument reduction instead of two.
@inline(__always) public func _sincos(_ x: Double) -> (sin: Double, cos: Double) {
  var s = 0.0
  var c = 0.0
  spg_sincos(x, &s, &c)
  return (s, c)
}

/// Monotonic wall-clock seconds (CLOCK_MONOTONIC).
public func monotonicSeconds() -> Double {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

// `pow` is kept opaque to the optimizer: LLVM rewrites pow(x, 2.0) as x * x,
// which glibc's pow does not always equal (it differs in ~0.1% of arguments),
// and Python/numpy compute `x ** 2` with the real pow.
@_optimize(none) public func _pow(_ x: Double, _ y: Double) -> Double { pow(x, y) }
@_optimize(none) public func _powf(_ x: Float, _ y: Float) -> Float { powf(x, y) }
@inlinable public func _fmod(_ x: Double, _ y: Double) -> Double { fmod(x, y) }

/// Python's / numpy's floating `a % b`: `fmod(a, b)` moved into the sign of
/// `b` (numpy `npy_divmod`), so the result has the sign of `b`.
@inlinable public func pythonModulo(_ a: Double, _ b: Double) -> Double {
  var m = fmod(a, b)
  if m != 0 {
    if (b < 0) != (m < 0) { m += b }
  } else {
    m = b < 0 ? -0.0 : 0.0
  }
  return m
}

/// `x ** 2` as Python and numpy compute it for float64 scalars: C `pow`,
/// which is not always bit-identical to `x * x`.
///
/// glibc's `pow` is within 0.52 ulp of the exact result, so when the exact
/// x² is more than 0.1 ulp away from a rounding midpoint, `pow(x, 2)` equals
/// the correctly rounded `x * x`. Dekker's exact product (no FMA needed)
/// gives the rounding error of `x * x`; only near a midpoint (about 20% of
/// arguments) or outside the safe range is the real `pow` called.
@inline(__always) public func pySquare(_ x: Double) -> Double {
  let hi = x * x
  guard hi > 0x1p-900 && hi < 0x1p900 else { return _pow(x, 2) }
  let c = 134_217_729.0 * x  // Veltkamp split, 2^27 + 1
  let xh = c - (c - x)
  let xl = x - xh
  let lo = ((xh * xh - hi) + 2 * xh * xl) + xl * xl  // exact: x² = hi + lo
  if lo == 0 { return hi }  // x² is representable: pow returns it exactly
  // Below a power of two the spacing halves; keep to the simple case.
  return hi.significandBitPattern != 0 && abs(lo) < 0.4 * hi.ulp ? hi : _pow(x, 2)
}
