// Vector kernels for the networks. FastMath.swift documents the algorithms;
// the operations here are the same, in the same order, with floating-point
// contraction off, so every instruction-set variant (and the Swift scalar
// code) gives bit-identical results.
#include "cmath_shims.h"

#include <stdint.h>
#include <string.h>

#pragma clang fp contract(off)

// Instruction-set dispatch: each kernel is cloned for AVX-512F, AVX2 and the
// baseline, chosen at load time by an ifunc resolver. Under ThreadSanitizer
// the resolvers would run (instrumented) before TSan's runtime is ready and
// crash at load, so a TSan build (`make sanitize`) compiles the baseline
// kernels only; the results are the same (the variants are bit-identical).
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SPG_NO_DISPATCH 1
#endif
#endif
#if defined(__SANITIZE_THREAD__) || !(defined(__x86_64__) && defined(__linux__))
#define SPG_NO_DISPATCH 1
#endif
#ifdef SPG_NO_DISPATCH
#define SPG_CLONES
#else
#define SPG_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
// Kernels whose arithmetic has fused multiply-adds (explicit fma: hardware
// in the AVX-512F and FMA clones, libm's correctly rounded fma in the
// baseline one, so the results agree).
#ifdef SPG_NO_DISPATCH
#define SPG_FMA_CLONES
#else
#define SPG_FMA_CLONES __attribute__((target_clones("avx512f", "fma", "default")))
#endif

static inline double exp_nonnegative(double y) {
  const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
  const double log2e = 1.44269504088896338700e+00, shifter = 0x1.8p52;
  double t = y * log2e + shifter;
  double k = t - shifter;
  double r = (y - k * ln2_hi) - k * ln2_lo;
  double p = 1.0 / 6227020800.0;
  p = __builtin_fma(p, r, 1.0 / 479001600.0);
  p = __builtin_fma(p, r, 1.0 / 39916800.0);
  p = __builtin_fma(p, r, 1.0 / 3628800.0);
  p = __builtin_fma(p, r, 1.0 / 362880.0);
  p = __builtin_fma(p, r, 1.0 / 40320.0);
  p = __builtin_fma(p, r, 1.0 / 5040.0);
  p = __builtin_fma(p, r, 1.0 / 720.0);
  p = __builtin_fma(p, r, 1.0 / 120.0);
  p = __builtin_fma(p, r, 1.0 / 24.0);
  p = __builtin_fma(p, r, 1.0 / 6.0);
  p = __builtin_fma(p, r, 0.5);
  p = __builtin_fma(p, r, 1.0);
  p = __builtin_fma(p, r, 1.0);
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
  ax = ax > 22 ? 22 : ax;  // as Swift.min(abs(x), 22): a NaN stays NaN (tanh(NaN) = NaN)
  double e = exp_nonnegative(2 * ax);
  double z = x * x;
  double p = __builtin_fma(__builtin_fma(-9.64399179425052238628e-1, z, -9.92877231001918586564e1), z,
                           -1.61468768441708447952e3);
  double q = __builtin_fma(__builtin_fma(z + 1.12811678491632931402e2, z, 2.23548839060100448583e3), z,
                           4.84406305325125486048e3);
  int small = ax < 0.625;
  double magnitude = e - 1;
  double numerator = small ? x * __builtin_fma(z, p, q) : (x < 0 ? -magnitude : magnitude);
  double denominator = small ? q : e + 1;
  return numerator / denominator;
}

#if defined(__x86_64__) && defined(__linux__)
SPG_FMA_CLONES
#endif
void spg_tanh_inplace(double *x, size_t n) {
  // Independent elements: interleave vectors to hide the Horner chains' latency.
#pragma clang loop interleave_count(2)
  for (size_t i = 0; i < n; i++) x[i] = tanh_one(x[i]);
}

// Single precision for float32 networks: e^y (0 <= y <= 20) as 2^k e^r with
// |r| <= ln2/2 and a degree-7 Taylor polynomial (truncation < 3e-9), and
// tanh from Cephes' tanhf: x + x z P(z), z = x^2, for |x| < 0.625, else
// sign(x) (1 - 2/(e^{2|x|} + 1)). Branch-free like the double version.
static inline float expf_nonnegative(float y) {
  const float ln2_hi = 0.693145751953125f, ln2_lo = 1.428606765330187045e-06f;
  const float log2e = 1.44269504088896341f, shifter = 0x1.8p23f;
  float t = y * log2e + shifter;
  float k = t - shifter;
  float r = (y - k * ln2_hi) - k * ln2_lo;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  uint32_t tb, sb;
  memcpy(&tb, &t, 4);
  memcpy(&sb, &shifter, 4);
  uint32_t bits = ((tb - sb) + 127u) << 23;
  float scale;
  memcpy(&scale, &bits, 4);
  return p * scale;
}

static inline float tanhf_one(float x) {
  float ax = x < 0 ? -x : x;
  ax = ax > 10.0f ? 10.0f : ax;  // 1 - 2/(e^20 + 1) rounds to 1; a NaN stays NaN
  float e = expf_nonnegative(2.0f * ax);
  float z = x * x;
  float p = ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z + 1.33314422036e-1f) * z -
             3.33332819422e-1f);
  float large = 1.0f - 2.0f / (e + 1.0f);
  float small = x + x * z * p;
  return ax < 0.625f ? small : (x < 0 ? -large : large);
}

#if defined(__x86_64__) && defined(__linux__)
SPG_CLONES
#endif
void spg_tanhf_inplace(float *x, size_t n) {
#pragma clang loop interleave_count(2)
  for (size_t i = 0; i < n; i++) x[i] = tanhf_one(x[i]);
}

// Adam's update (Kingma & Ba, Algorithm 1) with the operations of
// Adam.swift in the same order: m' = b1 m + (1 - b1) g, v' = b2 v + (1 - b2) g g,
// p' = p + sign lr (m' / c1) / (sqrt(v' / c2) + eps). Correctly rounded sqrt
// and no contraction, so results equal the scalar Swift loop bit for bit.
// The outputs may be the inputs (in place) or other arrays (a proposed step,
// committed by the caller once p' is known to be finite); element i reads
// only element i, so either is safe. Returns the checks of the step, made in
// the same pass: 1 if some g is not finite, 2 if some |g| > largest_gradient
// (or is not finite), 4 if some p' is not finite.
#if defined(__x86_64__) && defined(__linux__)
SPG_CLONES
#endif
int spg_adam_step(const double *p, const double *restrict g, const double *m, const double *v, double *p_out,
                  double *m_out, double *v_out, size_t n, double b1, double b2, double c1, double c2, double lr,
                  double sign, double eps, double largest_gradient) {
  // The checks ride along on the bits (integer compares vectorise; an
  // ordered floating-point reduction would not): |g| as the bits without
  // the sign, which order like the magnitudes, NaN above +inf above any
  // finite bound.
  uint64_t bound;
  memcpy(&bound, &largest_gradient, 8);
  const uint64_t exponent = 0x7ff0000000000000ULL, magnitude = 0x7fffffffffffffffULL;
  uint64_t bad_g = 0, big_g = 0, bad_p = 0;
  for (size_t i = 0; i < n; i++) {
    double gi = g[i];
    double mi = b1 * m[i] + (1 - b1) * gi;
    double vi = b2 * v[i] + (1 - b2) * gi * gi;
    double m_hat = mi / c1;
    double v_hat = vi / c2;
    double pi = p[i];
    m_out[i] = mi;
    v_out[i] = vi;
    double po = pi + sign * lr * m_hat / (__builtin_elementwise_sqrt(v_hat) + eps);
    p_out[i] = po;
    uint64_t gm, pb;
    memcpy(&gm, &gi, 8);
    memcpy(&pb, &po, 8);
    gm &= magnitude;
    bad_g |= gm >= exponent;
    big_g |= gm > bound;
    bad_p |= (pb & exponent) == exponent;
  }
  return (bad_g ? 1 : 0) | (big_g ? 2 : 0) | (bad_p ? 4 : 0);
}

// Σ x[i]² in a fixed order whatever the instruction set: 32 partial sums
// (lane l takes i ≡ l mod 32), added pairwise in a fixed tree, then the
// remaining n mod 32 terms in order.
typedef double spg_v8d __attribute__((vector_size(64)));
typedef double spg_v8du __attribute__((vector_size(64), aligned(8)));
#if defined(__x86_64__) && defined(__linux__)
SPG_CLONES
#endif
double spg_sum_squares(const double *x, size_t n) {
  spg_v8d a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    spg_v8d x0 = *(const spg_v8du *)(x + i), x1 = *(const spg_v8du *)(x + i + 8);
    spg_v8d x2 = *(const spg_v8du *)(x + i + 16), x3 = *(const spg_v8du *)(x + i + 24);
    a0 = a0 + x0 * x0;
    a1 = a1 + x1 * x1;
    a2 = a2 + x2 * x2;
    a3 = a3 + x3 * x3;
  }
  spg_v8d t = (a0 + a1) + (a2 + a3);
  double s = ((t[0] + t[1]) + (t[2] + t[3])) + ((t[4] + t[5]) + (t[6] + t[7]));
  for (; i < n; i++) s += x[i] * x[i];
  return s;
}

// Conversions at the edges of float32 networks.
#if defined(__x86_64__) && defined(__linux__)
SPG_CLONES
#endif
void spg_to_float(const double *restrict x, float *restrict y, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = (float)x[i];
}

#if defined(__x86_64__) && defined(__linux__)
SPG_CLONES
#endif
void spg_to_double(const float *restrict x, double *restrict y, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = (double)x[i];
}

#if defined(__x86_64__) && defined(__linux__)
SPG_CLONES
#endif
void spg_add_float(const float *restrict x, double *restrict y, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] += (double)x[i];
}

// Elementwise parts of the MLP layers, the operations of MLP.swift in the
// same order (so float64 results are bit-identical to the Swift loops):
// bias gradient g[j] += sum over rows of d[r, j]
// (rows in order); tanh backward d[i] *= 1 - h[i] h[i].

SPG_CLONES void spg_sum_rows(const double *restrict d, size_t rows, size_t cols, double *restrict g) {
  for (size_t r = 0; r < rows; r++)
    for (size_t j = 0; j < cols; j++) g[j] += d[r * cols + j];
}

SPG_CLONES void spg_sum_rows_f(const float *restrict d, size_t rows, size_t cols, double *restrict g) {
  for (size_t r = 0; r < rows; r++)
    for (size_t j = 0; j < cols; j++) g[j] += (double)d[r * cols + j];
}

SPG_CLONES void spg_tanh_backward(double *restrict d, const double *restrict h, size_t n) {
  for (size_t i = 0; i < n; i++) d[i] *= 1 - h[i] * h[i];
}

SPG_CLONES void spg_tanh_backward_f(float *restrict d, const float *restrict h, size_t n) {
  for (size_t i = 0; i < n; i++) d[i] *= 1 - h[i] * h[i];
}

// The row kernel with the presence of each optional input as a compile-time
// constant: every call below inlines it with constants, so each variant's
// loop has no selects (a masked load from a NULL pointer, even with an
// all-false mask, costs a microcode assist per vector on x86).
static inline __attribute__((always_inline)) void backward_row(
    size_t n, const double *restrict rewards, const unsigned char *restrict terminated,
    const unsigned char *restrict truncated, const double *restrict next_values,
    const double *restrict final_values, const double *restrict values, const double *restrict carry,
    double gamma, double decay, int advantages, double *restrict out, int has_next, int has_final,
    int has_carry) {
  for (size_t i = 0; i < n; i++) {
    double te = (double)terminated[i];
    double tr_all = (double)truncated[i];
    double tr = tr_all * (1.0 - te);
    double cont = has_carry ? (1.0 - te) * (1.0 - tr_all) : 0.0;
    double following = has_next ? next_values[i] : 0.0;
    double final = has_final ? final_values[i] : 0.0;
    double next = (1.0 - te - tr) * following + tr * final;
    double c = has_carry ? carry[i] : 0.0;
    out[i] = advantages ? rewards[i] + gamma * next - values[i] + decay * cont * c
                        : rewards[i] + gamma * (cont * c + (1.0 - cont) * next);
  }
}

#define SPG_ROW(adv, nx, fi, ca)                                                                      \
  backward_row(n, rewards, terminated, truncated, next_values, final_values, values, carry, gamma, decay, \
               adv, out, nx, fi, ca)

#if defined(__x86_64__) && defined(__linux__)
SPG_CLONES
#endif
void spg_backward_row(size_t n, const double *restrict rewards, const unsigned char *restrict terminated,
                      const unsigned char *restrict truncated, const double *restrict next_values,
                      const double *restrict final_values, const double *restrict values,
                      const double *restrict carry, double gamma, double decay, int advantages,
                      double *restrict out) {
  int variant = (advantages ? 8 : 0) | (next_values ? 4 : 0) | (final_values ? 2 : 0) | (carry ? 1 : 0);
  switch (variant) {
    case 0: SPG_ROW(0, 0, 0, 0); break;
    case 1: SPG_ROW(0, 0, 0, 1); break;
    case 2: SPG_ROW(0, 0, 1, 0); break;
    case 3: SPG_ROW(0, 0, 1, 1); break;
    case 4: SPG_ROW(0, 1, 0, 0); break;
    case 5: SPG_ROW(0, 1, 0, 1); break;
    case 6: SPG_ROW(0, 1, 1, 0); break;
    case 7: SPG_ROW(0, 1, 1, 1); break;
    case 12: SPG_ROW(1, 1, 0, 0); break;
    case 13: SPG_ROW(1, 1, 0, 1); break;
    case 14: SPG_ROW(1, 1, 1, 0); break;
    case 15: SPG_ROW(1, 1, 1, 1); break;
    default: break;  // GAE without values: rejected before this point
  }
}

#if defined(__x86_64__) && defined(__linux__)
SPG_CLONES
#endif
int spg_all_finite(const double *x, size_t n) {
  // Exponent bits all ones <=> inf or NaN; an integer OR-reduction vectorises
  // (a floating-point one would not, without reassociation).
  const unsigned long long *bits = (const unsigned long long *)x;
  unsigned long long bad = 0;
  for (size_t i = 0; i < n; i++) bad |= (~bits[i] & 0x7ff0000000000000ULL) == 0;
  return bad == 0;
}
