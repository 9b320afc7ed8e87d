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
// accuracy w·1[argmax = t], and dLogits = w·inv·(e_a·(1/s) − 1[a = t]).
// Rows go in chunks of 64: maxima, then one vectorised pass of exp over the
// chunk, then the sums.
enum { XENT_ROWS = 64 };
static inline __attribute__((always_inline)) void xent_chunk(const double *restrict logits,
                                                             const uint8_t *restrict mask,
                                                             const int32_t *restrict targets,
                                                             const double *restrict weights, size_t rows,
                                                             size_t actions, double inv, double *dlogits,
                                                             double *scratch, double *loss, double *correct) {
  size_t best[XENT_ROWS];
  for (size_t b = 0; b < rows; b++) {
    const double *z = logits + b * actions;
    double *y = scratch + b * actions;
    // The maximum by value (no load depends on a running index), then its
    // first index: the legal logits are finite (validated), a legal action
    // exists.
    size_t k = actions - 1;
    if (mask) {
      const uint8_t *legal = mask + b * actions;
      double m = -INFINITY;
      for (size_t a = 0; a < actions; a++) m = legal[a] && z[a] > m ? z[a] : m;
      for (size_t a = actions; a-- > 0;) k = legal[a] && z[a] == m ? a : k;
      for (size_t a = 0; a < actions; a++) y[a] = legal[a] ? z[a] - m : -INFINITY;
    } else {
      double m = z[0];
      for (size_t a = 1; a < actions; a++) m = z[a] > m ? z[a] : m;
      for (size_t a = actions; a-- > 0;) k = z[a] == m ? a : k;
      for (size_t a = 0; a < actions; a++) y[a] = z[a] - m;
    }
    best[b] = k;
  }
  size_t cells = rows * actions;
#pragma clang loop interleave_count(2)
  for (size_t i = 0; i < cells; i++) scratch[i] = exp_nonpositive(scratch[i]);
  for (size_t b = 0; b < rows; b++) {
    const double *z = logits + b * actions;
    const double *e = scratch + b * actions;
    double s = 0.0;
    for (size_t a = 0; a < actions; a++) s += e[a];  // illegal: + 0, exact
    double log_z = z[best[b]] + log(s);
    size_t t = (size_t)targets[b];
    double w = weights ? weights[b] : 1.0;
    *loss += w * (log_z - z[t]);
    if (best[b] == t) *correct += w;
    if (dlogits) {
      double *d = dlogits + b * actions;
      double scale = w * inv, r = 1.0 / s, et = e[t];  // (d may be e)
      for (size_t a = 0; a < actions; a++) d[a] = scale * (e[a] * r);
      d[t] = scale * (et * r - 1.0);
      if (mask)
        for (size_t a = 0; a < actions; a++) d[a] = mask[b * actions + a] ? d[a] : 0.0;
    }
  }
}

SPG_TRAIN_CLONES
void spg_softmax_cross_entropy(const double *restrict logits, const uint8_t *restrict mask,
                               const int32_t *restrict targets, const double *restrict weights, size_t batch,
                               size_t actions, double inv, double *dlogits, double *scratch, double *loss_out,
                               double *correct_out) {
  double loss = 0.0, correct = 0.0;
  for (size_t b0 = 0; b0 < batch; b0 += XENT_ROWS) {
    size_t rows = batch - b0 < XENT_ROWS ? batch - b0 : XENT_ROWS;
    size_t o = b0 * actions;
    xent_chunk(logits + o, mask ? mask + o : NULL, targets + b0, weights ? weights + b0 : NULL, rows, actions, inv,
               dlogits ? dlogits + o : NULL, scratch + o, &loss, &correct);
  }
  *loss_out = loss;
  *correct_out = correct;
}

// MARK: - Small float64 matrix product

typedef double v8d __attribute__((vector_size(64)));
typedef double v8du __attribute__((vector_size(64), aligned(8)));
#define LOADD(p) (*(const v8du *)(p))
#define STORED(p, v) (*(v8du *)(p) = (v))

enum { DMR = 4, DNR = 16, DKC = 256, DMAXROWS = 8, DMAXV = 4, DMB = 128 };

static inline __attribute__((always_inline)) v8d fma8(v8d a, v8d b, v8d c) {
  return __builtin_elementwise_fma(a, b, c);
}

// Rows [0, rows) (rows <= MRows) × NV·8 columns, kc values of k: B's panel
// at bp (row stride ldb, contiguous columns), A's rows at ap. C += chain.
// MRows·NV independent chains hide the fused multiply-add's latency.
static inline __attribute__((always_inline)) void dtile(int MRows, int NV, int rows, size_t kc, const double *ap,
                                                        size_t ars, size_t acs, const double *bp, size_t ldb,
                                                        double *c, size_t ldc, int fresh) {
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
    for (int q = 0; q < NV; q++) STORED(c + r * ldc + 8 * q, (fresh ? (v8d){0} : LOADD(c + r * ldc + 8 * q)) + acc[r][q]);
  }
}

static inline __attribute__((always_inline)) void dpanel(int NV, size_t m, size_t kc, const double *a, size_t ars,
                                                         size_t acs, const double *bp, size_t ldb, double *c,
                                                         size_t ldc, int fresh) {
  size_t i = 0;
  if (NV == 1) {
    for (; i + 8 <= m; i += 8) dtile(8, 1, 8, kc, a + i * ars, ars, acs, bp, ldb, c + i * ldc, ldc, fresh);
  }
  for (; i + DMR <= m; i += DMR) dtile(DMR, NV, DMR, kc, a + i * ars, ars, acs, bp, ldb, c + i * ldc, ldc, fresh);
  // The last m mod 4 rows in one tile (their sums interleaved).
  if (i < m) dtile(DMR, NV, (int)(m - i), kc, a + i * ars, ars, acs, bp, ldb, c + i * ldc, ldc, fresh);
}

// Narrow products (n = NJ <= 3 columns): 64 rows at a time as 8 vectors
// over the rows, for all NJ columns at once (8·NJ independent sums), A's
// block packed transposed 64 values of k at a time (the sums carry on in
// registers across those chunks: still one chain per element).
enum { DNROWS = 64, DNK = 64 };

// v[x][y] ↔ v[y][x]: an 8 × 8 block transposed in registers.
static inline __attribute__((always_inline)) void transpose8(v8d v[8]) {
  v8d t[8], u[8];
  for (int x = 0; x < 8; x += 2) {
    t[x] = __builtin_shufflevector(v[x], v[x + 1], 0, 8, 2, 10, 4, 12, 6, 14);
    t[x + 1] = __builtin_shufflevector(v[x], v[x + 1], 1, 9, 3, 11, 5, 13, 7, 15);
  }
  for (int x = 0; x < 8; x += 4) {
    u[x] = __builtin_shufflevector(t[x], t[x + 2], 0, 1, 8, 9, 4, 5, 12, 13);
    u[x + 2] = __builtin_shufflevector(t[x], t[x + 2], 2, 3, 10, 11, 6, 7, 14, 15);
    u[x + 1] = __builtin_shufflevector(t[x + 1], t[x + 3], 0, 1, 8, 9, 4, 5, 12, 13);
    u[x + 3] = __builtin_shufflevector(t[x + 1], t[x + 3], 2, 3, 10, 11, 6, 7, 14, 15);
  }
  for (int x = 0; x < 4; x++) {
    v[x] = __builtin_shufflevector(u[x], u[x + 4], 0, 1, 2, 3, 8, 9, 10, 11);
    v[x + 4] = __builtin_shufflevector(u[x], u[x + 4], 4, 5, 6, 7, 12, 13, 14, 15);
  }
}
static inline __attribute__((always_inline)) void dnarrow(int NJ, size_t m, size_t kc, const double *a, size_t ars,
                                                          size_t acs, const double *b, size_t brs, size_t bcs,
                                                          double *c, size_t ldc, double *pack, int fresh) {
  for (size_t i0 = 0; i0 < m; i0 += DNROWS) {
    size_t rows = m - i0 < DNROWS ? m - i0 : DNROWS;
    v8d acc[3][DNROWS / 8];
    for (int jj = 0; jj < NJ; jj++)
      for (int q = 0; q < DNROWS / 8; q++) acc[jj][q] = (v8d){0};
    for (size_t p0 = 0; p0 < kc; p0 += DNK) {
      size_t pc = kc - p0 < DNK ? kc - p0 : DNK;
      // A's block as [k][row]: read in place when A's columns are
      // contiguous (A transposed), else packed (8 × 8 transposes in
      // registers for row-major A, element by element otherwise).
      const double *ap;
      size_t lda;
      if (ars == 1 && rows == DNROWS) {
        ap = a + i0 + p0 * acs;
        lda = acs;
      } else {
        size_t r = 0;
        if (acs == 1) {
          for (; r + 8 <= rows; r += 8) {
            size_t p = 0;
            for (; p + 8 <= pc; p += 8) {
              v8d v[8];
              for (int x = 0; x < 8; x++) v[x] = LOADD(a + (i0 + r + x) * ars + p0 + p);
              transpose8(v);
              for (int x = 0; x < 8; x++) STORED(pack + (p + x) * DNROWS + r, v[x]);
            }
            for (; p < pc; p++)
              for (size_t x = 0; x < 8; x++) pack[p * DNROWS + r + x] = a[(i0 + r + x) * ars + p0 + p];
          }
        }
        for (; r < DNROWS; r++) {
          if (r < rows) {
            const double *ar = a + (i0 + r) * ars + p0 * acs;
            for (size_t p = 0; p < pc; p++) pack[p * DNROWS + r] = ar[p * acs];
          } else {
            for (size_t p = 0; p < pc; p++) pack[p * DNROWS + r] = 0.0;
          }
        }
        ap = pack;
        lda = DNROWS;
      }
      for (size_t p = 0; p < pc; p++) {
        for (int jj = 0; jj < NJ; jj++) {
          v8d s = (v8d){0} + b[(p0 + p) * brs + (size_t)jj * bcs];
          for (int q = 0; q < DNROWS / 8; q++) acc[jj][q] = fma8(LOADD(ap + p * lda + 8 * q), s, acc[jj][q]);
        }
      }
    }
    for (int jj = 0; jj < NJ; jj++)
      for (size_t r = 0; r < rows; r++) {
        double *cij = c + (i0 + r) * ldc + (size_t)jj;
        *cij = (fresh ? 0.0 : *cij) + acc[jj][r / 8][r % 8];
      }
  }
}

SPG_TRAIN_CLONES
void spg_dgemm(size_t m, size_t n, size_t k, const double *a, size_t ars, size_t acs, const double *b, size_t brs,
               size_t bcs, double *c, size_t ldc, int accumulate) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    if (!accumulate)
      for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) c[i * ldc + j] = 0.0;
    return;
  }
  double pack[DKC * DNR] __attribute__((aligned(64)));  // also DNK × DNROWS
  for (size_t kb = 0; kb < k; kb += DKC) {
    size_t kc = k - kb < DKC ? k - kb : DKC;
    const double *ak = a + kb * acs;
    const double *bk = b + kb * brs;
    int fresh = kb == 0 && !accumulate;
    if (n <= 3) {
      switch (n) {
        case 1: dnarrow(1, m, kc, ak, ars, acs, bk, brs, bcs, c, ldc, pack, fresh); break;
        case 2: dnarrow(2, m, kc, ak, ars, acs, bk, brs, bcs, c, ldc, pack, fresh); break;
        default: dnarrow(3, m, kc, ak, ars, acs, bk, brs, bcs, c, ldc, pack, fresh); break;
      }
      continue;
    }
    // Blocks of rows, each against every column panel (the block of A
    // stays in cache across the panels).
    for (size_t i0 = 0; i0 < m; i0 += DMB) {
      size_t mb = m - i0 < DMB ? m - i0 : DMB;
      const double *ai = ak + i0 * ars;
      double *ci = c + i0 * ldc;
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
          dpanel(4, mb, kc, ai, ars, acs, bp, ldb, ci + j, ldc, fresh);
        } else if (width == DNR) {
          dpanel(2, mb, kc, ai, ars, acs, bp, ldb, ci + j, ldc, fresh);
        } else if (width == 8) {
          dpanel(1, mb, kc, ai, ars, acs, bp, ldb, ci + j, ldc, fresh);
        } else {
          // The last n mod 8 columns, through an 8-column scratch.
          double t[8 * 8] __attribute__((aligned(64)));
          for (size_t i = 0; i < mb; i += 8) {
            int rows = mb - i < 8 ? (int)(mb - i) : 8;
            for (int r = 0; r < rows; r++)
              for (size_t q = 0; q < 8; q++) t[r * 8 + q] = q < width && !fresh ? ci[(i + r) * ldc + j + q] : 0.0;
            dtile(8, 1, rows, kc, ai + i * ars, ars, acs, bp, ldb, t, 8, 0);
            for (int r = 0; r < rows; r++)
              for (size_t q = 0; q < width; q++) ci[(i + r) * ldc + j + q] = t[r * 8 + q];
          }
        }
        j += width;
      }
    }
  }
}
