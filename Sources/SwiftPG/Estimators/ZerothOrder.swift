/// Zeroth-order (black-box) policy-gradient estimates from perturbed
/// utilities (Kochenderfer, Wheeler & Wray 2022, §11.1–11.2).

/// Finite differences (Alg. 11.2): gᵢ = (U(θ + δeᵢ) − U(θ))/δ, or with
/// `minus` the central form (U(θ + δeᵢ) − U(θ − δeᵢ))/(2δ), i in 0..<count.
/// The forward form has O(δ) bias, the central form O(δ²), plus the noise
/// of the utility estimates divided by δ.
public func finiteDifferenceGradient(
  base: Double, plus: UnsafePointer<Double>, minus: UnsafePointer<Double>?, count: Int, delta: Double,
  into out: UnsafeMutablePointer<Double>
) {
  for i in 0..<count {
    if let minus {
      out[i] = (plus[i] - minus[i]) / (2 * delta)
    } else {
      out[i] = (plus[i] - base) / delta
    }
  }
}

/// Regression gradient (Alg. 11.3): the least-squares solution g of
/// ΔΘ g ≈ ΔU for `rows` perturbations ΔΘ [rows, columns] (row-major) and
/// utility changes ΔU [rows], i.e. g = pinv(ΔΘ) ΔU: the least-squares fit
/// when rows ≥ columns, the minimum-norm exact fit when rows < columns.
/// Householder QR (of ΔΘ, or of ΔΘᵀ when rows < columns). Throws when ΔΘ
/// is rank deficient (relative tolerance 1e-12 on R's diagonal).
public func regressionGradient(
  perturbations: UnsafePointer<Double>, changes: UnsafePointer<Double>, rows: Int, columns: Int,
  into out: UnsafeMutablePointer<Double>
) throws(SwiftPGError) {
  let tall = rows >= columns
  // A is m×n with m ≥ n: ΔΘ itself, or ΔΘᵀ when the system is wide.
  let m = tall ? rows : columns
  let n = tall ? columns : rows
  var a = [Double](repeating: 0, count: m * n)  // row-major m×n
  for i in 0..<rows {
    for j in 0..<columns {
      if tall { a[i * n + j] = perturbations[i * columns + j] } else { a[j * n + i] = perturbations[i * columns + j] }
    }
  }
  var tau = [Double](repeating: 0, count: n)  // reflector scales; vectors stored below the diagonal
  var diag = [Double](repeating: 0, count: n)
  for k in 0..<n {
    var norm = 0.0
    for i in k..<m { norm += a[i * n + k] * a[i * n + k] }
    norm = norm.squareRoot()
    let alpha = a[k * n + k] > 0 ? -norm : norm
    diag[k] = alpha
    // v = x − alpha e₁ (stored in place), H = I − v vᵀ / (vᵀv/2)
    a[k * n + k] -= alpha
    var vv = 0.0
    for i in k..<m { vv += a[i * n + k] * a[i * n + k] }
    tau[k] = vv > 0 ? 2 / vv : 0
    for j in (k + 1)..<max(n, k + 1) {
      var dot = 0.0
      for i in k..<m { dot += a[i * n + k] * a[i * n + j] }
      let f = tau[k] * dot
      for i in k..<m { a[i * n + j] -= f * a[i * n + k] }
    }
  }
  var scale = 0.0
  for k in 0..<n { scale = max(scale, abs(diag[k])) }
  for k in 0..<n where !(abs(diag[k]) > 1e-12 * scale) {
    throw SwiftPGError(
      .invalidArgument, "the perturbations are linearly dependent (rank < \(min(rows, columns)))")
  }
  // Applies Q or Qᵀ (Q = H₀ H₁ … H_{n−1}) to a length-m vector.
  func reflect(_ y: inout [Double], _ k: Int) {
    var dot = 0.0
    for i in k..<m { dot += a[i * n + k] * y[i] }
    let f = tau[k] * dot
    for i in k..<m { y[i] -= f * a[i * n + k] }
  }
  // R[i][j] for i < j is a[i*n+j]; R[i][i] is diag[i].
  if tall {
    var y = [Double](repeating: 0, count: m)
    for i in 0..<m { y[i] = changes[i] }
    for k in 0..<n { reflect(&y, k) }  // y = Qᵀ ΔU
    for i in stride(from: n - 1, through: 0, by: -1) {  // R g = (Qᵀ ΔU)[0..<n]
      var s = y[i]
      for j in (i + 1)..<max(n, i + 1) { s -= a[i * n + j] * out[j] }
      out[i] = s / diag[i]
    }
  } else {
    // ΔΘ = Rᵀ Qᵀ: solve Rᵀ z = ΔU, then g = Q [z; 0].
    var y = [Double](repeating: 0, count: m)
    for i in 0..<n {
      var s = changes[i]
      for j in 0..<i { s -= a[j * n + i] * y[j] }
      y[i] = s / diag[i]
    }
    for k in stride(from: n - 1, through: 0, by: -1) { reflect(&y, k) }
    for i in 0..<m { out[i] = y[i] }
  }
}
