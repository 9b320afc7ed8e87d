// Vector kernels for the networks. FastMath.swift documents the algorithms;
// the operations here are the same, in the same order, with floating-point
// contraction off, so every instruction-set variant (and the Swift scalar
// code) gives bit-identical results.
#include "cmath_shims.h"

#include <stdint.h>
#include <string.h>

#pragma clang fp contract(off)

static inline double exp_nonnegative(double y) {
  const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
  const double log2e = 1.44269504088896338700e+00, shifter = 0x1.8p52;
  double t = y * log2e + shifter;
  double k = t - shifter;
  double r = (y - k * ln2_hi) - k * ln2_lo;
  double p = 1.0 / 6227020800.0;
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  uint64_t tb, sb;
  memcpy(&tb, &t, 8);
  memcpy(&sb, &shifter, 8);
  uint64_t bits = ((tb - sb) + 1023) << 52;
  double scale;
  memcpy(&scale, &bits, 8);
  return p * scale;
}

static inline double tanh_one(double x) {
  double ax = x < 0 ? -x : x;
  ax = ax < 22 ? ax : 22;
  double e = exp_nonnegative(2 * ax);
  double z = x * x;
  double p = (-9.64399179425052238628e-1 * z - 9.92877231001918586564e1) * z - 1.61468768441708447952e3;
  double q = ((z + 1.12811678491632931402e2) * z + 2.23548839060100448583e3) * z + 4.84406305325125486048e3;
  int small = ax < 0.625;
  double magnitude = e - 1;
  double numerator = small ? x * (q + z * p) : (x < 0 ? -magnitude : magnitude);
  double denominator = small ? q : e + 1;
  return numerator / denominator;
}

#if defined(__x86_64__) && defined(__linux__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void spg_tanh_inplace(double *x, size_t n) {
  for (size_t i = 0; i < n; i++) x[i] = tanh_one(x[i]);
}
