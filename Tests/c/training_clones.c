// The float64 training kernels (Sources/CMathShims/training.c) against the
// scalar arithmetic they claim, for their three instruction-set variants
// compiled apart (`make test-training-clones`: -mavx512f, -mavx2 -mfma,
// -mno-avx; no dispatch) and the dispatched build:
//  - spg_dgemm: each element C + (fused multiply-add chain over k from 0, in
//    order), per block of 256 values of k (C taken as +0 without
//    accumulate: NaN there must not show) — every transpose, padded
//    strides, k around the block, n around the 8- and 16-column panels and
//    below 8 (the narrow path), m around the 4-row tiles and 32-row blocks;
//    inputs with NaN, ±inf, subnormals and -0 (NaN only needs to be NaN);
//  - spg_exp_nonpositive: the variants agree bit for bit, and the values lie
//    within 4 ulp of libm's exp (and underflow to 0 below -745.2);
//  - spg_softmax_cross_entropy: the variants agree bit for bit (with and
//    without mask, weights, dLogits), the accuracy equals a scalar
//    reference's (ties: the first legal maximum), the loss to rounding.
// A variant run on a CPU without its instructions is skipped.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
typedef void (*gemm_fn)(size_t, size_t, size_t, const double *, size_t, size_t, const double *, size_t, size_t,
                        double *, size_t, int);
typedef void (*exp_fn)(double *, size_t);
typedef void (*xent_fn)(const double *, const uint8_t *, const int32_t *, const double *, size_t, size_t, double,
                        double *, double *, double *, double *);
#define DECL(s)                                                                                                    \
  void dg_##s(size_t, size_t, size_t, const double *, size_t, size_t, const double *, size_t, size_t, double *,  \
              size_t, int);                                                                                             \
  void ex_##s(double *, size_t);                                                                                   \
  void xe_##s(const double *, const uint8_t *, const int32_t *, const double *, size_t, size_t, double, double *, \
              double *, double *, double *);
DECL(avx512)
DECL(avx2)
DECL(base)
void spg_dgemm(size_t, size_t, size_t, const double *, size_t, size_t, const double *, size_t, size_t, double *,
               size_t, int);
void spg_exp_nonpositive(double *, size_t);
void spg_softmax_cross_entropy(const double *, const uint8_t *, const int32_t *, const double *, size_t, size_t,
                               double, double *, double *, double *, double *);

static void ref_dgemm(size_t m, size_t n, size_t k, const double *a, size_t ars, size_t acs, const double *b,
                      size_t brs, size_t bcs, double *c, size_t ldc, int accumulate) {
  for (size_t i = 0; i < m; i++)
    for (size_t j = 0; j < n; j++) {
      if (!accumulate) c[i * ldc + j] = 0.0;
      for (size_t kb = 0; kb < k; kb += 256) {
        double s = 0.0;
        for (size_t p = kb; p < k && p < kb + 256; p++) s = fma(a[i * ars + p * acs], b[p * brs + j * bcs], s);
        volatile double sum = c[i * ldc + j] + s;
        c[i * ldc + j] = sum;
      }
    }
}

static uint64_t st = 88172645463325252ull;
static uint64_t rnd(void) {
  st ^= st << 13;
  st ^= st >> 7;
  st ^= st << 17;
  return st;
}
static double rd(int special) {
  uint64_t r = rnd();
  if (special && r % 50 == 0) {
    switch ((r >> 8) % 6) {
      case 0: return NAN;
      case 1: return INFINITY;
      case 2: return -INFINITY;
      case 3: return 1e-310;
      case 4: return -0.0;
      default: return 1e300;
    }
  }
  return ((double)(r >> 11) / 9007199254740992.0 - 0.5) * 4.0;
}
static long fails = 0, cases = 0;
static int available[3];
static int same(double x, double y, int nan_any) {
  uint64_t a, b;
  memcpy(&a, &x, 8);
  memcpy(&b, &y, 8);
  if (a == b) return 1;
  return nan_any && isnan(x) && isnan(y);
}
static gemm_fn gemms[3] = {dg_avx512, dg_avx2, dg_base};

static void one(size_t m, size_t n, size_t k, int ta, int tb, size_t padA, size_t padB, size_t padC, int special,
                int acc) {
  size_t lda = (ta ? m : k) + padA, ldb = (tb ? k : n) + padB, ldc = n + padC;
  size_t ars = ta ? 1 : lda, acs = ta ? lda : 1, brs = tb ? 1 : ldb, bcs = tb ? ldb : 1;
  size_t asz = (m && k) ? (m - 1) * ars + (k - 1) * acs + 1 : 1;
  size_t bsz = (n && k) ? (k - 1) * brs + (n - 1) * bcs + 1 : 1;
  size_t csz = m ? (m - 1) * ldc + n + 16 : 16;
  double *a = malloc(asz * 8), *b = malloc(bsz * 8), *c0 = malloc(csz * 8), *c1 = malloc(csz * 8),
         *c2 = malloc(csz * 8);
  for (size_t i = 0; i < asz; i++) a[i] = rd(special);
  for (size_t i = 0; i < bsz; i++) b[i] = rd(special);
  for (size_t i = 0; i < csz; i++) c0[i] = rd(special);
  memcpy(c1, c0, csz * 8);
  if (!acc)  // C's values are not read: NaN there must not show
    for (size_t i = 0; i < csz; i++)
      if (rnd() % 3 == 0) c0[i] = NAN;
  memcpy(c1, c0, csz * 8);
  ref_dgemm(m, n, k, a, ars, acs, b, brs, bcs, c1, ldc, acc);
  cases++;
  for (int f = -1; f < 3; f++) {
    if (f >= 0 && !available[f]) continue;
    memcpy(c2, c0, csz * 8);
    (f < 0 ? spg_dgemm : gemms[f])(m, n, k, a, ars, acs, b, brs, bcs, c2, ldc, acc);
    for (size_t i = 0; i < csz; i++)
      if (!same(c1[i], c2[i], 1)) {
        if (fails++ < 20)
          printf("dgemm variant %d FAIL m%zu n%zu k%zu ta%d tb%d pads %zu/%zu/%zu acc%d idx %zu ref %a got %a\n", f,
                 m, n, k, ta, tb, padA, padB, padC, acc, i, c1[i], c2[i]);
        break;
      }
  }
  free(a);
  free(b);
  free(c0);
  free(c1);
  free(c2);
}

static void exps(void) {
  exp_fn fs[4] = {spg_exp_nonpositive, ex_avx512, ex_avx2, ex_base};
  enum { N = 20000 };
  static double x[N], y[4][N];
  for (size_t i = 0; i < N; i++) {
    double u = (double)(rnd() >> 11) / 9007199254740992.0;
    x[i] = i < 8 ? (double[]){0.0, -0.0, -745.1, -745.2, -746.0, -INFINITY, -708.5, -1e-300}[i] : -u * 760.0;
  }
  for (int f = 0; f < 4; f++) {
    if (f > 0 && !available[f - 1]) continue;
    memcpy(y[f], x, sizeof x);
    fs[f](y[f], N);
  }
  for (size_t i = 0; i < N; i++) {
    cases++;
    for (int f = 1; f < 4; f++)
      if (available[f - 1] && !same(y[0][i], y[f][i], 0) && fails++ < 20)
        printf("exp variant %d differs at %a: %a vs %a\n", f, x[i], y[0][i], y[f][i]);
    double e = exp(x[i]);
    double err = fabs(y[0][i] - e);
    double tol = e >= 0x1p-1022 ? 4 * (nextafter(e, INFINITY) - e) : 0x1p-1073;
    if (!(err <= tol) && fails++ < 20) printf("exp(%a) = %a, libm %a\n", x[i], y[0][i], e);
  }
}

static void xents(void) {
  xent_fn fs[4] = {spg_softmax_cross_entropy, xe_avx512, xe_avx2, xe_base};
  size_t shapes[][2] = {{1, 1}, {3, 2}, {17, 7}, {256, 7}, {33, 9}, {5, 40}};
  for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
    for (int variant = 0; variant < 8; variant++) {
      size_t batch = shapes[s][0], actions = shapes[s][1], cells = batch * actions;
      double *z = malloc(cells * 8), *w = malloc(batch * 8), *d[4], *scratch = malloc(cells * 8);
      uint8_t *mask = malloc(cells);
      int32_t *t = malloc(batch * 4);
      for (size_t i = 0; i < cells; i++) {
        z[i] = rd(0) * (variant & 4 ? 300.0 : 3.0);
        if (s % 2) z[i] = round(z[i]);  // ties for the argmax
        mask[i] = rnd() % 3 != 0;
      }
      for (size_t b = 0; b < batch; b++) {
        t[b] = (int32_t)(rnd() % actions);
        mask[b * actions + (size_t)t[b]] = 1;
        w[b] = (double)(rnd() % 5);
      }
      double loss[4], correct[4];
      for (int f = 0; f < 4; f++) {
        d[f] = malloc(cells * 8);
        if (f > 0 && !available[f - 1]) continue;
        fs[f](z, variant & 1 ? mask : NULL, t, variant & 2 ? w : NULL, batch, actions, 0.37, d[f],
              f == 3 ? scratch : d[f], &loss[f], &correct[f]);
      }
      cases++;
      // Against a scalar reference: the accuracy exactly (first legal
      // maximum), the loss to rounding.
      double ref_loss = 0.0, ref_correct = 0.0;
      for (size_t b = 0; b < batch; b++) {
        const double *zb = z + b * actions;
        const uint8_t *lg = variant & 1 ? mask + b * actions : NULL;
        size_t k = (size_t)-1;
        for (size_t a = 0; a < actions; a++)
          if ((!lg || lg[a]) && (k == (size_t)-1 || zb[a] > zb[k])) k = a;
        double sum = 0.0;
        for (size_t a = 0; a < actions; a++)
          if (!lg || lg[a]) sum += exp(zb[a] - zb[k]);
        double wb = variant & 2 ? w[b] : 1.0;
        ref_loss += wb * (zb[k] + log(sum) - zb[t[b]]);
        if (k == (size_t)t[b]) ref_correct += wb;
      }
      if ((ref_correct != correct[0] || !(fabs(ref_loss - loss[0]) <= 1e-12 * (1 + fabs(ref_loss)) * batch)) &&
          fails++ < 20)
        printf("cross-entropy (%zu × %zu, %d): loss %a correct %a, reference %a %a\n", batch, actions, variant,
               loss[0], correct[0], ref_loss, ref_correct);
      for (int f = 1; f < 4; f++) {
        if (!available[f - 1]) continue;
        int ok = same(loss[0], loss[f], 0) && same(correct[0], correct[f], 0);
        for (size_t i = 0; i < cells; i++) ok = ok && same(d[0][i], d[f][i], 0);
        if (!ok && fails++ < 20) printf("cross-entropy variant %d differs (%zu × %zu, %d)\n", f, batch, actions, variant);
      }
      for (int f = 0; f < 4; f++) free(d[f]);
      free(z);
      free(w);
      free(scratch);
      free(mask);
      free(t);
    }
}

// spg_tanh_inplace (cmath_shims.c, fused multiply-adds): the variants agree
// bit for bit with the dispatched kernel and with a scalar transcription
// using libm's fma; within 4 ulp of libm's tanh.
void spg_tanh_inplace(double *, size_t);
void spg_tanh_inplace_avx512(double *, size_t);
void spg_tanh_inplace_avx2(double *, size_t);
void spg_tanh_inplace_base(double *, size_t);
#include "tanh_reference.h"
static void tanhs(void) {
  typedef void (*tanh_fn)(double *, size_t);
  tanh_fn fs[4] = {spg_tanh_inplace, spg_tanh_inplace_avx512, spg_tanh_inplace_avx2, spg_tanh_inplace_base};
  enum { N = 100003 };
  static double x[N], y[4][N];
  for (size_t i = 0; i < N; i++) {
    double u = (double)(rnd() >> 11) / 9007199254740992.0 - 0.5;
    x[i] = i < 9 ? (double[]){0.0, -0.0, 1e-300, 30, -30, 0.625, -0.625, 1e300, -1e-310}[i] : u * (i % 3 ? 12 : 60);
  }
  for (int f = 0; f < 4; f++) {
    if (f > 0 && !available[f - 1]) continue;
    memcpy(y[f], x, sizeof x);
    fs[f](y[f], N);
  }
  for (size_t i = 0; i < N; i++) {
    cases++;
    double ref = tanh_reference(x[i]);
    if (!same(ref, y[0][i], 0) && fails++ < 20) printf("tanh(%a): kernel %a, scalar %a\n", x[i], y[0][i], ref);
    for (int f = 1; f < 4; f++)
      if (available[f - 1] && !same(y[0][i], y[f][i], 0) && fails++ < 20)
        printf("tanh variant %d differs at %a: %a vs %a\n", f, x[i], y[0][i], y[f][i]);
    double exact = tanh(x[i]);
    double ulp = fabs(nextafter(exact, INFINITY) - exact);
    if (!(fabs(y[0][i] - exact) <= 4 * (ulp > 0x1p-1074 ? ulp : 0x1p-1074)) && fails++ < 20)
      printf("tanh(%a) = %a, libm %a\n", x[i], y[0][i], exact);
  }
}

int main(void) {
  __builtin_cpu_init();
  available[0] = __builtin_cpu_supports("avx512f");
  available[1] = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  available[2] = 1;
  size_t ks[] = {0, 1, 2, 3, 7, 64, 255, 256, 257, 600};
  size_t ns[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 31, 33, 64, 65};
  size_t ms[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 31, 32, 33, 70};
  for (int special = 0; special < 2; special++)
    for (size_t ki = 0; ki < sizeof ks / sizeof *ks; ki++)
      for (size_t ni = 0; ni < sizeof ns / sizeof *ns; ni++)
        for (size_t mi = 0; mi < sizeof ms / sizeof *ms; mi++)
          for (int t = 0; t < 4; t++) {
            size_t pa = rnd() % 3, pb = rnd() % 3, pc = rnd() % 3;
            one(ms[mi], ns[ni], ks[ki], t & 1, t >> 1, pa, pb, pc, special, (int)(rnd() % 2));
          }
  exps();
  xents();
  tanhs();
  printf("%ld cases, %ld failures\n", cases, fails);
  return fails != 0;
}
