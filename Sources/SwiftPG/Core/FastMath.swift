/// Elementary functions for the networks (policies and value functions have
/// no bit-exact counterpart to match, unlike the environments, which use
/// libm). Branch-free; arrays go through the SIMD kernels of CMathShims,
/// which compute the same operations (the scalar code here is their
/// reference); accurate to a few ulp (tested against libm).
import CMathShims

public enum FastMath {
  static let ln2Hi = 6.93147180369123816490e-01
  static let ln2Lo = 1.90821492927058770002e-10
  static let log2e = 1.44269504088896338700e+00

  /// e^y for 0 ≤ y ≤ 708: y = k ln 2 + r with |r| ≤ ln2/2, e^r by its
  /// Taylor polynomial of degree 13 (error < 1e-16 relative) in Horner
  /// steps of fused multiply-adds, times 2^k. (Here `addingProduct` is
  /// libm's fma unless the compiler targets FMA hardware; the vector kernel
  /// uses the instruction — the same correctly rounded results.)
  @inline(__always)
  static func expNonNegative(_ y: Double) -> Double {
    // Round to nearest by adding and subtracting 1.5·2^52 (no libm call,
    // so loops vectorise); exact for |y·log2e| < 2^51.
    let shifter = 0x1.8p52
    let t = y * log2e + shifter
    let k = t - shifter
    let r = (y - k * ln2Hi) - k * ln2Lo
    var p = 1.0 / 6_227_020_800  // 1/13!
    p = (1.0 / 479_001_600).addingProduct(p, r)
    p = (1.0 / 39_916_800).addingProduct(p, r)
    p = (1.0 / 3_628_800).addingProduct(p, r)
    p = (1.0 / 362_880).addingProduct(p, r)
    p = (1.0 / 40_320).addingProduct(p, r)
    p = (1.0 / 5_040).addingProduct(p, r)
    p = (1.0 / 720).addingProduct(p, r)
    p = (1.0 / 120).addingProduct(p, r)
    p = (1.0 / 24).addingProduct(p, r)
    p = (1.0 / 6).addingProduct(p, r)
    p = (0.5).addingProduct(p, r)
    p = (1.0).addingProduct(p, r)
    p = (1.0).addingProduct(p, r)
    // 2^k from the low bits of t (k ≥ 0 here), with wrapping arithmetic:
    // no conversion that could trap, so the loop vectorises.
    let kBits = t.bitPattern &- shifter.bitPattern
    let scale = Double(bitPattern: (kBits &+ 1023) &<< 52)
    return p * scale
  }

  /// tanh(x): Cephes' rational approximation x (Q(z) + z P(z)) / Q(z),
  /// z = x² (Horner steps and Q + zP fused), for |x| < 0.625; (e^{2|x|} − 1)/(e^{2|x|} + 1) with the sign of
  /// x otherwise (|x| ≥ 22: ±1 to double precision). Numerator and
  /// denominator are selected first, so each value costs one division.
  @inline(__always)
  public static func tanh(_ x: Double) -> Double {
    let ax = Swift.min(abs(x), 22)
    let e = expNonNegative(2 * ax)
    let z = x * x
    let p = (-1.61468768441708447952e3).addingProduct(
      (-9.92877231001918586564e1).addingProduct(-9.64399179425052238628e-1, z), z)
    let q = (4.84406305325125486048e3).addingProduct(
      (2.23548839060100448583e3).addingProduct(z + 1.12811678491632931402e2, z), z)
    let smallArgument = ax < 0.625
    let magnitude = e - 1
    let numerator = smallArgument ? x * q.addingProduct(z, p) : (x < 0 ? -magnitude : magnitude)
    let denominator = smallArgument ? q : e + 1
    return numerator / denominator
  }

  /// tanh of `count` values in place: the same operations as `tanh(_:)`
  /// (bit-identical results), in a C kernel compiled for AVX-512, AVX2 and
  /// baseline x86-64 and chosen at load time.
  public static func tanh(_ values: UnsafeMutablePointer<Double>, count: Int) {
    spg_tanh_inplace(values, count)
  }

  /// Single-precision tanh in place (float32 networks): Cephes' tanhf
  /// rational for |x| < 0.625, else 1 − 2/(e^{2|x|} + 1) with a degree-7
  /// exponential; within a few float ulp of tanh (tested).
  public static func tanh(_ values: UnsafeMutablePointer<Float>, count: Int) {
    spg_tanhf_inplace(values, count)
  }
}
