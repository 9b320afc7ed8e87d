// The float64 tanh of FastMath.tanh (Swift) and spg_tanh_inplace, transcribed
// operation by operation (each rounding forced by volatile, fused steps as
// libm's fma): the bit-for-bit reference of the training kernels' tests.
// Included by training_clones.c and fuzz_training_kernels.c.
#ifndef SPG_TANH_REFERENCE_H
#define SPG_TANH_REFERENCE_H
#include <math.h>
#include <stdint.h>
#include <string.h>

static inline double tanh_reference(double x) {
  double ax0 = fabs(x);
  volatile double ax = 22 < ax0 ? 22 : ax0;  // a NaN stays NaN, as Swift.min(abs(x), 22)
  volatile double y = 2 * ax, shifter = 0x1.8p52;
  volatile double t = y * 1.44269504088896338700e+00;
  t = t + shifter;
  volatile double k = t - shifter;
  volatile double k1 = k * 6.93147180369123816490e-01, k2 = k * 1.90821492927058770002e-10;
  volatile double r = y - k1;
  r = r - k2;
  const double c[] = {1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0, 1.0 / 40320.0,
                      1.0 / 5040.0, 1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0};
  double p = 1.0 / 6227020800.0;
  for (int i = 0; i < 13; i++) p = fma(p, r, c[i]);
  uint64_t tb, sb;
  double sh = shifter, tt = t;
  memcpy(&tb, &tt, 8);
  memcpy(&sb, &sh, 8);
  uint64_t bits = ((tb - sb) + 1023) << 52;
  double scale;
  memcpy(&scale, &bits, 8);
  volatile double e = p * scale;
  volatile double z = x * x;
  double pp = fma(fma(-9.64399179425052238628e-1, z, -9.92877231001918586564e1), z, -1.61468768441708447952e3);
  volatile double q0 = z + 1.12811678491632931402e2;
  double q = fma(fma(q0, z, 2.23548839060100448583e3), z, 4.84406305325125486048e3);
  volatile double magnitude = e - 1, e1 = e + 1;
  volatile double numerator = ax < 0.625 ? x * fma(z, pp, q) : (x < 0 ? -magnitude : magnitude);
  double denominator = ax < 0.625 ? q : e1;
  return numerator / denominator;
}

#endif
