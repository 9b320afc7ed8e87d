// Float64 kernels of the small training passes (SFT of the neural sequence
// model, reward models): the gathered first layer of SequenceInputLayer,
// the masked softmax cross-entropy, and a small matrix product.
//
// Every kernel gives the same bits on every instruction set: contraction is
// off, and where a fused multiply-add is part of the arithmetic it is an
// explicit fma (a hardware instruction in the AVX-512 and FMA clones, libm's
// correctly rounded fma in the baseline one — the same result).
#include "cmath_shims.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#pragma clang fp contract(off)
// The 8-double vectors pass between always-inline helpers only (no ABI edge).
#pragma clang diagnostic ignored "-Wpsabi"

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SPG_TRAIN_NO_DISPATCH 1
#endif
#endif
#if defined(__SANITIZE_THREAD__) || !(defined(__x86_64__) && defined(__linux__))
#define SPG_TRAIN_NO_DISPATCH 1
#endif
#ifdef SPG_TRAIN_NO_DISPATCH
#define SPG_TRAIN_CLONES
#else
// avx512f implies FMA; the "fma" clone covers AVX2 + FMA machines.
#define SPG_TRAIN_CLONES __attribute__((target_clones("avx512f", "fma", "default")))
#endif

// MARK: - SequenceInputLayer

SPG_TRAIN_CLONES
void spg_fma_project(const double *restrict features, const double *restrict w, size_t d, size_t f, size_t h,
                     double *restrict out) {
  for (size_t j = 0; j < h; j++) {
    const double *wj = w + j * d;
    double acc = 0.0;
    for (size_t k = 0; k < f; k++) acc = __builtin_fma(features[k], wj[k], acc);
    out[j] = acc;
  }
}

SPG_TRAIN_CLONES
void spg_gather_rows(double *restrict z, const double *restrict projections, const int32_t *restrict prompts,
                     const double *restrict columns, const int32_t *restrict row_columns, size_t per_row,
                     const double *restrict bias, size_t h, size_t count) {
  for (size_t i = 0; i < count; i++) {
    double *restrict zi = z + i * h;
    const double *restrict p = projections + (size_t)prompts[i] * h;
    const int32_t *ci = row_columns + i * per_row;
    if (per_row == 4) {
      const double *c0 = columns + (size_t)ci[0] * h, *c1 = columns + (size_t)ci[1] * h;
      const double *c2 = columns + (size_t)ci[2] * h, *c3 = columns + (size_t)ci[3] * h;
      for (size_t j = 0; j < h; j++) zi[j] = ((((p[j] + c0[j]) + c1[j]) + c2[j]) + c3[j]) + bias[j];
      continue;
    }
    for (size_t j = 0; j < h; j++) zi[j] = p[j];
    for (size_t c = 0; c < per_row; c++) {
      const double *col = columns + (size_t)ci[c] * h;
      for (size_t j = 0; j < h; j++) zi[j] += col[j];
    }
    for (size_t j = 0; j < h; j++) zi[j] += bias[j];
  }
}

SPG_TRAIN_CLONES
void spg_scatter_rows(const double *restrict delta, size_t rows, size_t h, const int32_t *restrict row_columns,
                      size_t per_row, double *restrict one_hot, const int32_t *restrict prompts,
                      double *restrict sums) {
  for (size_t i = 0; i < rows; i++) {
    const double *restrict di = delta + i * h;
    const int32_t *ci = row_columns + i * per_row;
    for (size_t c = 0; c < per_row; c++) {
      double *restrict g = one_hot + (size_t)ci[c] * h;
      for (size_t j = 0; j < h; j++) g[j] += di[j];
    }
    if (sums) {
      double *restrict s = sums + (size_t)prompts[i] * h;
      for (size_t j = 0; j < h; j++) s[j] += di[j];
    }
  }
}

SPG_TRAIN_CLONES
void spg_scatter_finish(double *restrict gw, size_t h, size_t d, size_t f, size_t m, const double *restrict one_hot,
                        const double *restrict features, const double *restrict sums,
                        const int32_t *restrict touched, size_t touched_count) {
  for (size_t j = 0; j < h; j++) {
    double *restrict row = gw + j * d + f;
    for (size_t c = 0; c < m; c++) row[c] += one_hot[c * h + j];
  }
  for (size_t u = 0; u < touched_count; u++) {
    size_t p = (size_t)touched[u];
    const double *restrict fp = features + p * f;
    const double *restrict s = sums + p * h;
    for (size_t j = 0; j < h; j++) {
      double *restrict row = gw + j * d;
      double sj = s[j];
      for (size_t k = 0; k < f; k++) row[k] += fp[k] * sj;
    }
  }
}

// MARK: - Masked softmax cross-entropy

// e^y for y <= 0 (y >= -746 after clamping; below, e^y underflows to 0):
// the Taylor polynomial of exp_nonnegative in cmath_shims.c on y = k ln 2 +
// r, |r| <= ln2/2, times 2^k applied as two halves (each a normal power of
// two), so results down to the subnormals are right.
static inline double exp_nonpositive(double y) {
  const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
  const double log2e = 1.44269504088896338700e+00, shifter = 0x1.8p52;
  y = y > -746.0 ? y : -746.0;
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
  int64_t kb = (int64_t)(tb - sb);  // k, -1077 <= k <= 0
  int64_t k1 = kb / 2, k2 = kb - k1;
  uint64_t b1 = (uint64_t)(k1 + 1023) << 52, b2 = (uint64_t)(k2 + 1023) << 52;
  double s1, s2;
  memcpy(&s1, &b1, 8);
  memcpy(&s2, &b2, 8);
  return (p * s1) * s2;
}

SPG_TRAIN_CLONES
void spg_exp_nonpositive(double *x, size_t n) {
#pragma clang loop interleave_count(2)
  for (size_t i = 0; i < n; i++) x[i] = exp_nonpositive(x[i]);
}

// The cross-entropy of SupervisedLoss.maskedCrossEntropy on validated
// input (targets legal, legal logits finite, weights valid). `scratch`
// holds batch·actions values (it may be `dlogits`). Per row: the legal
// maximum m (first index on ties), e_a = exp(z_a − m) (0 if illegal),
// s = Σ e_a in order, log Z = m + log s; the loss adds w (log Z − z_t), the
// accuracy w·1[argmax = t], and dLogits = w·inv·(e_a / s − 1[a = t]).
SPG_TRAIN_CLONES
void spg_softmax_cross_entropy(const double *restrict logits, const uint8_t *restrict mask,
                               const int32_t *restrict targets, const double *restrict weights, size_t batch,
                               size_t actions, double inv, double *dlogits, double *scratch, double *loss_out,
                               double *correct_out) {
  size_t total = batch * actions;
  // Shifted logits (illegal: -inf, whose exp is 0).
  for (size_t b = 0; b < batch; b++) {
    const double *z = logits + b * actions;
    const uint8_t *legal = mask ? mask + b * actions : NULL;
    size_t best = (size_t)-1;
    for (size_t a = 0; a < actions; a++) {
      if (legal && !legal[a]) continue;
      if (best == (size_t)-1 || z[a] > z[best]) best = a;
    }
    double m = z[best];
    double *y = scratch + b * actions;
    for (size_t a = 0; a < actions; a++) y[a] = (legal && !legal[a]) ? -INFINITY : z[a] - m;
  }
  for (size_t i = 0; i < total; i++) scratch[i] = exp_nonpositive(scratch[i]);
  double loss = 0.0, correct = 0.0;
  for (size_t b = 0; b < batch; b++) {
    const double *z = logits + b * actions;
    const uint8_t *legal = mask ? mask + b * actions : NULL;
    const double *e = scratch + b * actions;
    size_t best = (size_t)-1;
    double s = 0.0;
    for (size_t a = 0; a < actions; a++) {
      if (legal && !legal[a]) continue;
      if (best == (size_t)-1 || z[a] > z[best]) best = a;
      s += e[a];
    }
    double log_z = z[best] + log(s);
    size_t t = (size_t)targets[b];
    double w = weights ? weights[b] : 1.0;
    loss += w * (log_z - z[t]);
    if (best == t) correct += w;
    if (dlogits) {
      double *d = dlogits + b * actions;
      double scale = w * inv;
      for (size_t a = 0; a < actions; a++) {
        double q = e[a] / s - (a == t ? 1.0 : 0.0);
        d[a] = (legal && !legal[a]) ? 0.0 : scale * q;
      }
    }
  }
  *loss_out = loss;
  *correct_out = correct;
}

// MARK: - Small float64 matrix product

typedef double v8d __attribute__((vector_size(64)));
typedef double v8du __attribute__((vector_size(64), aligned(8)));
#define LOADD(p) (*(const v8du *)(p))
#define STORED(p, v) (*(v8du *)(p) = (v))

enum { DMR = 4, DNR = 16, DKC = 256, DNARROW = 32, DMAXROWS = 8, DMAXV = 4 };

static inline __attribute__((always_inline)) v8d fma8(v8d a, v8d b, v8d c) {
  return __builtin_elementwise_fma(a, b, c);
}

// Rows [0, rows) (rows <= MRows) × NV·8 columns, kc values of k: B's panel
// at bp (row stride ldb, contiguous columns), A's rows at ap. C += chain.
// MRows·NV independent chains hide the fused multiply-add's latency.
static inline __attribute__((always_inline)) void dtile(int MRows, int NV, int rows, size_t kc, const double *ap,
                                                        size_t ars, size_t acs, const double *bp, size_t ldb,
                                                        double *c, size_t ldc) {
  v8d acc[DMAXROWS][DMAXV];
  for (int r = 0; r < MRows; r++)
    for (int q = 0; q < NV; q++) acc[r][q] = (v8d){0};
  for (size_t p = 0; p < kc; p++) {
    v8d bv[DMAXV];
    for (int q = 0; q < NV; q++) bv[q] = LOADD(bp + 8 * q);
    for (int r = 0; r < MRows; r++) {
      if (r >= rows) break;
      v8d s = (v8d){0} + ap[r * ars];
      for (int q = 0; q < NV; q++) acc[r][q] = fma8(s, bv[q], acc[r][q]);
    }
    ap += acs;
    bp += ldb;
  }
  for (int r = 0; r < MRows; r++) {
    if (r >= rows) break;
    for (int q = 0; q < NV; q++) STORED(c + r * ldc + 8 * q, LOADD(c + r * ldc + 8 * q) + acc[r][q]);
  }
}

static inline __attribute__((always_inline)) void dpanel(int NV, size_t m, size_t kc, const double *a, size_t ars,
                                                         size_t acs, const double *bp, size_t ldb, double *c,
                                                         size_t ldc) {
  size_t i = 0;
  if (NV == 1) {
    for (; i + 8 <= m; i += 8) dtile(8, 1, 8, kc, a + i * ars, ars, acs, bp, ldb, c + i * ldc, ldc);
  }
  for (; i + DMR <= m; i += DMR) dtile(DMR, NV, DMR, kc, a + i * ars, ars, acs, bp, ldb, c + i * ldc, ldc);
  for (; i < m; i++) dtile(1, NV, 1, kc, a + i * ars, ars, acs, bp, ldb, c + i * ldc, ldc);
}

// Narrow products (n < 8): DNARROW rows at a time as vectors over the rows,
// A's block packed transposed (kc × DNARROW), one column j at a time.
static inline __attribute__((always_inline)) void dnarrow(size_t m, size_t n, size_t kc, const double *a, size_t ars, size_t acs, const double *b,
                    size_t brs, size_t bcs, double *c, size_t ldc, double *pack) {
  for (size_t i0 = 0; i0 < m; i0 += DNARROW) {
    size_t rows = m - i0 < DNARROW ? m - i0 : DNARROW;
    for (size_t p = 0; p < kc; p++)
      for (size_t r = 0; r < DNARROW; r++) pack[p * DNARROW + r] = r < rows ? a[(i0 + r) * ars + p * acs] : 0.0;
    for (size_t j = 0; j < n; j++) {
      v8d acc[DNARROW / 8];
      for (int q = 0; q < DNARROW / 8; q++) acc[q] = (v8d){0};
      for (size_t p = 0; p < kc; p++) {
        v8d s = (v8d){0} + b[p * brs + j * bcs];
        for (int q = 0; q < DNARROW / 8; q++) acc[q] = fma8(LOADD(pack + p * DNARROW + 8 * q), s, acc[q]);
      }
      for (size_t r = 0; r < rows; r++) c[(i0 + r) * ldc + j] += acc[r / 8][r % 8];
    }
  }
}

SPG_TRAIN_CLONES
void spg_dgemm(size_t m, size_t n, size_t k, const double *a, size_t ars, size_t acs, const double *b, size_t brs,
               size_t bcs, double *c, size_t ldc) {
  if (m == 0 || n == 0 || k == 0) return;
  double pack[DKC * DNARROW] __attribute__((aligned(64)));
  for (size_t kb = 0; kb < k; kb += DKC) {
    size_t kc = k - kb < DKC ? k - kb : DKC;
    const double *ak = a + kb * acs;
    const double *bk = b + kb * brs;
    if (n < 8) {
      dnarrow(m, n, kc, ak, ars, acs, bk, brs, bcs, c, ldc, pack);
      continue;
    }
    size_t j = 0;
    while (j < n) {
      // Few rows: wider panels (more independent sums) when B is read in place.
      size_t widest = m < DMR && bcs == 1 ? 32 : DNR;
      size_t width = n - j >= widest ? widest : (n - j >= DNR ? DNR : (n - j >= 8 ? 8 : n - j));
      const double *bp;
      size_t ldb;
      if (bcs == 1 && width >= 8) {
        bp = bk + j;
        ldb = brs;
      } else {
        for (size_t p = 0; p < kc; p++)
          for (size_t q = 0; q < DNR; q++) pack[p * DNR + q] = q < width ? bk[p * brs + (j + q) * bcs] : 0.0;
        bp = pack;
        ldb = DNR;
      }
      if (width == 32) {
        dpanel(4, m, kc, ak, ars, acs, bp, ldb, c + j, ldc);
      } else if (width == DNR) {
        dpanel(2, m, kc, ak, ars, acs, bp, ldb, c + j, ldc);
      } else if (width == 8) {
        dpanel(1, m, kc, ak, ars, acs, bp, ldb, c + j, ldc);
      } else {
        // The last n mod 8 columns, through an 8-column scratch.
        double t[8 * 8] __attribute__((aligned(64)));
        for (size_t i = 0; i < m; i += 8) {
          int rows = m - i < 8 ? (int)(m - i) : 8;
          for (int r = 0; r < rows; r++)
            for (size_t q = 0; q < 8; q++) t[r * 8 + q] = q < width ? c[(i + r) * ldc + j + q] : 0.0;
          if (rows == 8)
            dtile(8, 1, 8, kc, ak + i * ars, ars, acs, bp, ldb, t, 8);
          else
            for (int r = 0; r < rows; r++) dtile(1, 1, 1, kc, ak + (i + r) * ars, ars, acs, bp, ldb, t + r * 8, 8);
          for (int r = 0; r < rows; r++)
            for (size_t q = 0; q < width; q++) c[(i + r) * ldc + j + q] = t[r * 8 + q];
        }
      }
      j += width;
    }
  }
}
