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

/// Monotonic wall-clock seconds (CLOCK_MONOTONIC).
public func monotonicSeconds() -> Double {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}
