// Fuzz harness of the float64 training kernels (Sources/CMathShims/training.c)
// and the float64/float32 tanh kernels (cmath_shims.c) under AddressSanitizer
// and UndefinedBehaviorSanitizer (`make fuzz-training-kernels`; not part of
// `make test`).
//
// Each instruction-set variant is compiled apart (-mavx512f, -mfma alone: the
// library's "fma" clone, -mavx2 -mfma, -mno-avx: the baseline clone whose
// fused multiply-adds are libm calls) with its symbols renamed, beside the
// dispatched build (target_clones). Every operand is allocated with malloc of
// the exact byte count the documented contract needs (optionally offset by one
// double, so pointers are unaligned for vectors), so any read or write past
// an operand is reported by ASan. Results are compared with scalar references
// written from the doc comments: bit for bit where the docs promise bits,
// within a few ulp where they promise accuracy; every variant against the
// dispatched one bit for bit.
//
// Usage: fuzz_training_kernels [seconds of random dgemm shapes (default 60)] [seed]
#include "tanh_reference.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef void (*gemm_fn)(size_t, size_t, size_t, const double *, size_t, size_t, const double *, size_t, size_t,
                        double *, size_t, int);
typedef void (*exp_fn)(double *, size_t);
typedef void (*xent_fn)(const double *, const uint8_t *, const int32_t *, const double *, size_t, size_t, double,
                        double *, double *, double *, double *);
typedef void (*proj_fn)(const double *, const double *, size_t, size_t, size_t, double *);
typedef void (*gather_fn)(double *, const double *, const int32_t *, const double *, const int32_t *, size_t,
                          const double *, size_t, size_t);
typedef void (*scatter_fn)(const double *, size_t, size_t, const int32_t *, size_t, double *, const int32_t *,
                           double *);
typedef void (*finish_fn)(double *, size_t, size_t, size_t, size_t, const double *, const double *, const double *,
                          const int32_t *, size_t);
typedef void (*tanh_fn)(double *, size_t);
typedef void (*tanhf_fn)(float *, size_t);

#define DECL(s)                                                                                                     \
  void spg_dgemm##s(size_t, size_t, size_t, const double *, size_t, size_t, const double *, size_t, size_t,        \
                    double *, size_t, int);                                                                          \
  void spg_exp_nonpositive##s(double *, size_t);                                                                    \
  void spg_softmax_cross_entropy##s(const double *, const uint8_t *, const int32_t *, const double *, size_t,      \
                                    size_t, double, double *, double *, double *, double *);                        \
  void spg_fma_project##s(const double *, const double *, size_t, size_t, size_t, double *);                      \
  void spg_gather_rows##s(double *, const double *, const int32_t *, const double *, const int32_t *, size_t,     \
                          const double *, size_t, size_t);                                                           \
  void spg_scatter_rows##s(const double *, size_t, size_t, const int32_t *, size_t, double *, const int32_t *,    \
                           double *);                                                                                \
  void spg_scatter_finish##s(double *, size_t, size_t, size_t, size_t, const double *, const double *,           \
                             const double *, const int32_t *, size_t);                                               \
  void spg_tanh_inplace##s(double *, size_t);                                                                       \
  void spg_tanhf_inplace##s(float *, size_t);
DECL()
DECL(_v512)
DECL(_vfma)
DECL(_vavx2)
DECL(_vbase)

typedef struct {
  const char *name;
  int available;
  gemm_fn dgemm;
  exp_fn ex;
  xent_fn xe;
  proj_fn fp;
  gather_fn gr;
  scatter_fn sr;
  finish_fn sf;
  tanh_fn th;
  tanhf_fn thf;
} variant;
#define ENTRY(label, s)                                                                                         \
  {label,                0,                       spg_dgemm##s,       spg_exp_nonpositive##s,                 \
   spg_softmax_cross_entropy##s, spg_fma_project##s, spg_gather_rows##s, spg_scatter_rows##s,                 \
   spg_scatter_finish##s,        spg_tanh_inplace##s, spg_tanhf_inplace##s}
static variant vs[] = {ENTRY("dispatched", ), ENTRY("avx512f", _v512), ENTRY("fma", _vfma),
                       ENTRY("avx2+fma", _vavx2), ENTRY("baseline", _vbase)};
enum { NV = sizeof vs / sizeof *vs };

// MARK: - Utilities

static uint64_t st = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
  st ^= st << 13;
  st ^= st >> 7;
  st ^= st << 17;
  return st;
}
static double uni(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }
static double rd(int special) {
  uint64_t r = rnd();
  if (special && r % 23 == 0) {
    switch ((r >> 8) % 8) {
      case 0: return NAN;
      case 1: return INFINITY;
      case 2: return -INFINITY;
      case 3: return 1e-310;
      case 4: return -0.0;
      case 5: return 0x1p-1074;
      case 6: return -1e300;
      default: return 1e300;
    }
  }
  return (uni() - 0.5) * 4.0;
}
static long fails = 0, cases = 0;
// At most 5 reports per call site (each site counts all its failures).
#define FAIL(...)                                     \
  do {                                                \
    static long site_fails = 0;                       \
    fails++;                                          \
    if (site_fails++ < 5) printf("FAIL " __VA_ARGS__); \
  } while (0)
static int same(double x, double y) {
  uint64_t a, b;
  memcpy(&a, &x, 8);
  memcpy(&b, &y, 8);
  return a == b || (isnan(x) && isnan(y));
}
static int bits_equal(double x, double y) {
  uint64_t a, b;
  memcpy(&a, &x, 8);
  memcpy(&b, &y, 8);
  return a == b;
}

// Exactly n elements of `size` bytes (malloc'd to that count, so ASan flags the
// first byte past the end), the start offset by `off` elements from malloc's
// alignment. free with xfree(p, off, size).
static void *xalloc(size_t n, size_t size, int off) {
  char *p = malloc(n * size + (size_t)off * size);
  if (!p && n + (size_t)off) {
    perror("malloc");
    exit(2);
  }
  return p + (size_t)off * size;
}
static void xfree(void *p, size_t size, int off) {
  if (p) free((char *)p - (size_t)off * size);
}

// MARK: - spg_dgemm

// Doc (cmath_shims.h): per block of 256 values of k, each element's products
// summed by a chain of fused multiply-adds from 0 in order of k, then added to
// C (accumulate; else to +0 for the first block).
static void ref_dgemm(size_t m, size_t n, size_t k, const double *a, size_t ars, size_t acs, const double *b,
                      size_t brs, size_t bcs, double *c, size_t ldc, int accumulate) {
  for (size_t i = 0; i < m; i++)
    for (size_t j = 0; j < n; j++) {
      double cij = accumulate ? c[i * ldc + j] : 0.0;
      for (size_t kb = 0; kb < k; kb += 256) {
        double s = 0.0;
        for (size_t p = kb; p < k && p < kb + 256; p++) s = fma(a[i * ars + p * acs], b[p * brs + j * bcs], s);
        volatile double sum = cij + s;
        cij = sum;
      }
      c[i * ldc + j] = cij;
    }
}

static const double SENTINEL = -12345.6789;

static void dgemm_case(size_t m, size_t n, size_t k, int ta, int tb, size_t padA, size_t padB, size_t padC,
                       int acc, int off, int special) {
  size_t lda = (ta ? m : k) + padA, ldb = (tb ? k : n) + padB, ldc = n + padC;
  size_t ars = ta ? 1 : lda, acs = ta ? lda : 1, brs = tb ? 1 : ldb, bcs = tb ? ldb : 1;
  size_t asz = (m && k) ? (m - 1) * ars + (k - 1) * acs + 1 : 0;
  size_t bsz = (n && k) ? (k - 1) * brs + (n - 1) * bcs + 1 : 0;
  size_t csz = (m && n) ? (m - 1) * ldc + n : 0;
  double *a = xalloc(asz, 8, off), *b = xalloc(bsz, 8, off), *c0 = xalloc(csz, 8, off);
  double *a0 = malloc(asz * 8 + 8), *b0 = malloc(bsz * 8 + 8), *ref = malloc(csz * 8 + 8), *c = xalloc(csz, 8, off);
  for (size_t i = 0; i < asz; i++) a[i] = a0[i] = rd(special);
  for (size_t i = 0; i < bsz; i++) b[i] = b0[i] = rd(special);
  for (size_t i = 0; i < csz; i++) {
    int inside = i % ldc < n;
    c0[i] = !inside ? SENTINEL : (!acc ? NAN : rd(special));  // beta 0: C is not read (NaN must not show)
  }
  memcpy(ref, c0, csz * 8);
  ref_dgemm(m, n, k, a, ars, acs, b, brs, bcs, ref, ldc, acc);
  cases++;
  for (int v = 0; v < NV; v++) {
    if (!vs[v].available) continue;
    memcpy(c, c0, csz * 8);
    vs[v].dgemm(m, n, k, a, ars, acs, b, brs, bcs, c, ldc, acc);
    for (size_t i = 0; i < csz; i++) {
      int ok = i % ldc < n ? same(ref[i], c[i]) : bits_equal(c[i], SENTINEL);
      if (!ok) {
        FAIL("dgemm %s m%zu n%zu k%zu ta%d tb%d pads %zu/%zu/%zu acc%d off%d special%d: C[%zu,%zu] ref %a got %a\n",
             vs[v].name, m, n, k, ta, tb, padA, padB, padC, acc, off, special, i / ldc, i % ldc, ref[i], c[i]);
        break;
      }
    }
    if ((asz && memcmp(a, a0, asz * 8)) || (bsz && memcmp(b, b0, bsz * 8)))
      FAIL("dgemm %s m%zu n%zu k%zu: A or B modified\n", vs[v].name, m, n, k);
  }
  xfree(a, 8, off);
  xfree(b, 8, off);
  xfree(c0, 8, off);
  xfree(c, 8, off);
  free(a0);
  free(b0);
  free(ref);
}

static const size_t SIZES[] = {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 63, 64, 65, 127, 128, 129, 255, 256, 257, 300};
enum { NSIZES = sizeof SIZES / sizeof *SIZES };
static size_t pad(void) {
  static const size_t pads[] = {0, 0, 1, 3, 8, 17};
  return pads[rnd() % 6];
}

static void dgemm_grid(void) {
  // Every (m, n, k) of SIZES, each transpose combination for the smaller ones,
  // one random combination for the larger; random padding, beta, offset.
  for (size_t mi = 0; mi < NSIZES; mi++)
    for (size_t ni = 0; ni < NSIZES; ni++)
      for (size_t ki = 0; ki < NSIZES; ki++) {
        size_t m = SIZES[mi], n = SIZES[ni], k = SIZES[ki];
        int small = m * n * k <= 20000;
        for (int t = 0; t < 4; t++) {
          int tt = small ? t : (int)(rnd() % 4);
          dgemm_case(m, n, k, tt & 1, tt >> 1, pad(), pad(), pad(), (int)(rnd() % 2), (int)(rnd() % 2),
                     (int)(rnd() % 4 == 0));
          if (!small) break;
        }
      }
}

static void dgemm_large(void) {
  // Shapes of the networks' passes: many rows, narrow or wide, k across blocks.
  static const size_t shapes[][3] = {{4096, 3, 64}, {1000, 1, 600}, {2049, 2, 257}, {513, 64, 1},
                                     {3, 1000, 300}, {1, 2048, 513}, {700, 65, 520}, {129, 33, 1024}};
  for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
    for (int t = 0; t < 4; t++)
      dgemm_case(shapes[s][0], shapes[s][1], shapes[s][2], t & 1, t >> 1, pad(), pad(), pad(), t % 2 == 0,
                 (int)(rnd() % 2), 0);
}

static void dgemm_random(double seconds) {
  clock_t start = clock();
  while ((double)(clock() - start) / CLOCKS_PER_SEC < seconds) {
    size_t m = rnd() % 3 ? SIZES[rnd() % NSIZES] : rnd() % 400;
    size_t n = rnd() % 3 ? SIZES[rnd() % NSIZES] : rnd() % 70;
    size_t k = rnd() % 3 ? SIZES[rnd() % NSIZES] : rnd() % 800;
    dgemm_case(m, n, k, (int)(rnd() % 2), (int)(rnd() % 2), pad(), pad(), pad(), (int)(rnd() % 2),
               (int)(rnd() % 2), (int)(rnd() % 3 == 0));
  }
}

// MARK: - spg_exp_nonpositive

static void exp_cases(void) {
  for (size_t si = 0; si < NSIZES; si++)
    for (int off = 0; off < 2; off++) {
      size_t n = SIZES[si] + (size_t)off * 5;
      double *x = xalloc(n, 8, off), *y = xalloc(n, 8, off), *first = malloc(n * 8 + 8);
      static const double special[] = {0.0, -0.0, -745.1, -745.13321910194122, -745.2, -746.0, -1e300,
                                       -INFINITY, -708.5, -1e-300, -0x1p-1074, -708.39641853226408,
                                       -709.08956571282405, -744.44007192138122};
      for (size_t i = 0; i < n; i++) {
        int kind = (int)(rnd() % 4);
        x[i] = i < sizeof special / sizeof *special && off == 0 ? special[i]
               : kind == 0                                    ? -uni() * 760.0
               : kind == 1                                    ? -uni() * 1e-3
               : kind == 2                                    ? -uni() * 40.0
                                                              : -ldexp(uni(), -(int)(rnd() % 1100));
      }
      for (int v = 0; v < NV; v++) {
        if (!vs[v].available) continue;
        memcpy(y, x, n * 8);
        vs[v].ex(y, n);
        if (v == 0) memcpy(first, y, n * 8);
        for (size_t i = 0; i < n; i++) {
          cases++;
          if (!bits_equal(y[i], first[i])) FAIL("exp %s(%a) = %a, dispatched %a\n", vs[v].name, x[i], y[i], first[i]);
          double e = exp(x[i]);
          double tol = e >= 0x1p-1022 ? 4 * (nextafter(e, INFINITY) - e) : 0x1p-1073;
          if (!(fabs(y[i] - e) <= tol)) FAIL("exp %s(%a) = %a, libm %a\n", vs[v].name, x[i], y[i], e);
        }
      }
      xfree(x, 8, off);
      xfree(y, 8, off);
      free(first);
    }
}

// MARK: - spg_softmax_cross_entropy

typedef struct {
  double loss, correct;
} xent_result;

// SupervisedLoss.maskedCrossEntropy from its doc, in long double with libm's
// expl (accuracy reference), argmax = first legal maximum.
static xent_result ref_xent(const double *z, const uint8_t *mask, const int32_t *t, const double *w, size_t batch,
                            size_t actions, double inv, double *d) {
  xent_result r = {0, 0};
  for (size_t b = 0; b < batch; b++) {
    const double *zb = z + b * actions;
    const uint8_t *lg = mask ? mask + b * actions : NULL;
    size_t k = (size_t)-1;
    for (size_t a = 0; a < actions; a++)
      if ((!lg || lg[a]) && (k == (size_t)-1 || zb[a] > zb[k])) k = a;
    long double s = 0;
    for (size_t a = 0; a < actions; a++)
      if (!lg || lg[a]) s += expl((long double)zb[a] - zb[k]);
    double wb = w ? w[b] : 1.0;
    r.loss += wb * (double)((long double)zb[k] + logl(s) - zb[t[b]]);
    if (k == (size_t)t[b]) r.correct += wb;
    if (d)
      for (size_t a = 0; a < actions; a++) {
        long double p = (!lg || lg[a]) ? expl((long double)zb[a] - zb[k]) / s : 0;
        d[b * actions + a] = (double)((long double)wb * inv * (p - (a == (size_t)t[b] ? 1 : 0)));
      }
  }
  return r;
}

static void xent_case(size_t batch, size_t actions, int mask_mode, int value_mode, int use_w, int dmode, int off,
                      int robustness) {
  size_t cells = batch * actions;
  double *z = xalloc(cells, 8, off), *w = use_w ? xalloc(batch, 8, off) : NULL;
  uint8_t *mask = mask_mode ? xalloc(cells, 1, off) : NULL;
  int32_t *t = xalloc(batch, 4, off);
  for (size_t b = 0; b < batch; b++) {
    t[b] = (int32_t)(rnd() % actions);
    if (rnd() % 4 == 0) t[b] = rnd() % 2 ? 0 : (int32_t)(actions - 1);  // boundaries
    if (w) w[b] = rnd() % 5 == 0 ? 0.0 : uni() * 3.0;
  }
  if (w) w[rnd() % batch] = 1.0;  // a positive sum
  for (size_t i = 0; i < cells; i++) {
    double u = rd(0);
    switch (value_mode) {
      case 0: z[i] = u * 3; break;
      case 1: z[i] = round(u); break;  // ties
      case 2: z[i] = u * 1e307; break;  // huge spread: z − m overflows to −inf
      case 3: z[i] = u * 1e-310; break;  // tiny
      case 4: z[i] = 7.25; break;  // all equal
      default: z[i] = u * 400.0; break;  // e^(z − m) underflows
    }
    if (mask) mask[i] = mask_mode == 1 ? 1 : mask_mode == 2 ? (uint8_t)(rnd() % 3 != 0) : 0;
  }
  if (mask)
    for (size_t b = 0; b < batch; b++) {
      if (!robustness || rnd() % 2) mask[b * actions + (size_t)t[b]] = (uint8_t)(1 + rnd() % 255);
      // Illegal logits may be anything (only legal ones are validated).
      for (size_t a = 0; a < actions; a++)
        if (!mask[b * actions + a] && rnd() % 2) {
          static const double odd[] = {-INFINITY, INFINITY, NAN, 1e308, -1e308, 0.0};
          z[b * actions + a] = odd[rnd() % 6];
        }
    }
  if (robustness)  // outside the contract: non-finite legal logits, rows without a legal action
    for (size_t i = 0; i < cells; i++)
      if (rnd() % 7 == 0) z[i] = (double[]){NAN, INFINITY, -INFINITY}[rnd() % 3];
  double wsum = 0;
  for (size_t b = 0; b < batch; b++) wsum += w ? w[b] : 1.0;
  double inv = 1.0 / wsum;
  double *refd = malloc(cells * 8 + 8);
  xent_result ref = {0, 0};
  if (!robustness) ref = ref_xent(z, mask, t, w, batch, actions, inv, refd);
  double *first = malloc(cells * 8 + 8), loss0 = 0, correct0 = 0;
  for (int v = 0; v < NV; v++) {
    if (!vs[v].available) continue;
    // dmode 0: dLogits as scratch (the Swift caller with dLogits); 1: no
    // dLogits, scratch apart (the caller without); 2: both, apart.
    double *d = dmode != 1 ? xalloc(cells, 8, off) : NULL;
    double *scratch = dmode == 0 ? d : xalloc(cells, 8, off);
    for (size_t i = 0; i < cells; i++) {
      if (d) d[i] = NAN;
      if (scratch != d) scratch[i] = NAN;
    }
    double loss = NAN, correct = NAN;
    vs[v].xe(z, mask, t, w, batch, actions, inv, d, scratch, &loss, &correct);
    cases++;
    if (!robustness) {
      if (v == 0) {
        loss0 = loss;
        correct0 = correct;
        if (d) memcpy(first, d, cells * 8);
        double tol = 1e-13 * (fabs(ref.loss) + wsum) + 1e-300;
        if (!(fabs(loss - ref.loss) <= tol || (isinf(ref.loss) && loss == ref.loss)) ||
            !bits_equal(correct, ref.correct))
          FAIL("xent %zux%zu mask%d values%d w%d d%d: loss %a correct %a, reference %a %a\n", batch, actions,
               mask_mode, value_mode, use_w, dmode, loss, correct, ref.loss, ref.correct);
        if (d)
          for (size_t i = 0; i < cells; i++) {
            double wb = w ? w[i / actions] : 1.0;
            if (!(fabs(d[i] - refd[i]) <= 1e-14 * wb * inv + 1e-300) ||
                (mask && !mask[i] && !bits_equal(d[i], 0.0))) {
              FAIL("xent dlogits %zux%zu mask%d values%d w%d d%d [%zu]: %a, reference %a\n", batch, actions,
                   mask_mode, value_mode, use_w, dmode, i, d[i], refd[i]);
              break;
            }
          }
      } else {
        int ok = bits_equal(loss, loss0) && bits_equal(correct, correct0);
        for (size_t i = 0; d && ok && i < cells; i++) ok = bits_equal(d[i], first[i]);
        if (!ok)
          FAIL("xent %s differs from dispatched (%zux%zu mask%d values%d w%d d%d)\n", vs[v].name, batch, actions,
               mask_mode, value_mode, use_w, dmode);
      }
    }
    if (scratch != d) xfree(scratch, 8, off);
    xfree(d, 8, off);
  }
  xfree(z, 8, off);
  xfree(w, 8, off);
  xfree(mask, 1, off);
  xfree(t, 4, off);
  free(refd);
  free(first);
}

static void xent_cases(void) {
  static const size_t batches[] = {1, 2, 63, 64, 65, 129, 300};
  static const size_t actions[] = {1, 2, 3, 7, 8, 9, 16, 17, 65, 300};
  for (size_t bi = 0; bi < sizeof batches / sizeof *batches; bi++)
    for (size_t ai = 0; ai < sizeof actions / sizeof *actions; ai++)
      for (int mask_mode = 0; mask_mode < 4; mask_mode++)  // none, all legal, random, only the target legal
        for (int value_mode = 0; value_mode < 6; value_mode++) {
          int mm = mask_mode == 3 ? 3 : mask_mode;
          // mask_mode 3: all zero, then the target set legal (one legal action per row).
          xent_case(batches[bi], actions[ai], mm, value_mode, (int)(rnd() % 2), (int)(rnd() % 3), (int)(rnd() % 2),
                    0);
        }
  for (int i = 0; i < 300; i++)
    xent_case(1 + rnd() % 140, 1 + rnd() % 40, (int)(rnd() % 4), (int)(rnd() % 6), (int)(rnd() % 2),
              (int)(rnd() % 3), (int)(rnd() % 2), 1);
}

// MARK: - SequenceInputLayer kernels

static void sequence_cases(int iterations) {
  for (int it = 0; it < iterations; it++) {
    size_t h = SIZES[rnd() % 12], f = rnd() % 4 ? rnd() % 20 : 0, mcols = 1 + rnd() % 40, P = 1 + rnd() % 6;
    size_t per_row = 1 + rnd() % 6, count = rnd() % 70, extra = rnd() % 3 ? 0 : rnd() % 5;
    size_t d = f + mcols + extra;
    int off = (int)(rnd() % 2);
    if (rnd() % 3 == 0) per_row = 4;  // the unrolled path
    double *features = xalloc(P * f, 8, off), *w = xalloc(h * d, 8, off);
    for (size_t i = 0; i < P * f; i++) features[i] = rd(1);
    for (size_t i = 0; i < h * d; i++) w[i] = rd(1);
    // spg_fma_project: w's last row read up to f (exact (h − 1)·d + f).
    for (size_t p = 0; p < P; p++) {
      size_t wsz = h ? (h - 1) * d + f : 0;
      double *wx = xalloc(wsz, 8, off), *ref = malloc(h * 8 + 8), *out = xalloc(h, 8, off);
      memcpy(wx, w, wsz * 8);
      for (size_t j = 0; j < h; j++) {
        double acc = 0.0;
        for (size_t k = 0; k < f; k++) acc = fma(features[p * f + k], wx[j * d + k], acc);
        ref[j] = acc;
      }
      for (int v = 0; v < NV; v++) {
        if (!vs[v].available) continue;
        vs[v].fp(features + p * f, wx, d, f, h, out);
        cases++;
        for (size_t j = 0; j < h; j++)
          if (!same(out[j], ref[j])) {
            FAIL("fma_project %s h%zu f%zu d%zu [%zu]: %a vs %a\n", vs[v].name, h, f, d, j, out[j], ref[j]);
            break;
          }
      }
      xfree(wx, 8, off);
      xfree(out, 8, off);
      free(ref);
    }
    // Tables exactly [P, h] and [mcols, h] plus the bias [h]; indices at the boundaries.
    double *proj = xalloc(P * h, 8, off), *cols = xalloc(mcols * h, 8, off), *bias = xalloc(h, 8, off);
    for (size_t i = 0; i < P * h; i++) proj[i] = rd(1);
    for (size_t i = 0; i < mcols * h; i++) cols[i] = rd(1);
    for (size_t i = 0; i < h; i++) bias[i] = rd(1);
    int32_t *prompts = xalloc(count, 4, off), *rc = xalloc(count * per_row, 4, off);
    for (size_t i = 0; i < count; i++) prompts[i] = (int32_t)(rnd() % 3 == 0 ? (rnd() % 2 ? 0 : P - 1) : rnd() % P);
    for (size_t i = 0; i < count * per_row; i++)
      rc[i] = (int32_t)(rnd() % 3 == 0 ? (rnd() % 2 ? 0 : mcols - 1) : rnd() % mcols);
    double *zref = malloc(count * h * 8 + 8), *z = xalloc(count * h, 8, off);
    for (size_t i = 0; i < count; i++)
      for (size_t j = 0; j < h; j++) {
        double s = proj[(size_t)prompts[i] * h + j];
        for (size_t c = 0; c < per_row; c++) {
          volatile double t = s + cols[(size_t)rc[i * per_row + c] * h + j];
          s = t;
        }
        volatile double t = s + bias[j];
        zref[i * h + j] = t;
      }
    for (int v = 0; v < NV; v++) {
      if (!vs[v].available) continue;
      vs[v].gr(z, proj, prompts, cols, rc, per_row, bias, h, count);
      cases++;
      for (size_t i = 0; i < count * h; i++)
        if (!same(z[i], zref[i])) {
          FAIL("gather_rows %s h%zu per_row%zu count%zu [%zu]: %a vs %a\n", vs[v].name, h, per_row, count, i, z[i],
               zref[i]);
          break;
        }
    }
    // Scatter: one_hot [mcols, h], sums [P, h] (or NULL), then the finish into gw [h, d].
    double *delta = xalloc(count * h, 8, off);
    for (size_t i = 0; i < count * h; i++) delta[i] = rd(1);
    int with_sums = f > 0;
    double *oh_ref = calloc(mcols * h + 1, 8), *s_ref = calloc(P * h + 1, 8);
    for (size_t i = 0; i < count; i++) {
      for (size_t c = 0; c < per_row; c++)
        for (size_t j = 0; j < h; j++) {
          volatile double t = oh_ref[(size_t)rc[i * per_row + c] * h + j] + delta[i * h + j];
          oh_ref[(size_t)rc[i * per_row + c] * h + j] = t;
        }
      if (with_sums)
        for (size_t j = 0; j < h; j++) {
          volatile double t = s_ref[(size_t)prompts[i] * h + j] + delta[i * h + j];
          s_ref[(size_t)prompts[i] * h + j] = t;
        }
    }
    // touched: the distinct prompts in order of first appearance.
    int32_t *touched = xalloc(P, 4, off);
    size_t tc = 0;
    if (with_sums)
      for (size_t i = 0; i < count; i++) {
        int seen = 0;
        for (size_t u = 0; u < tc; u++) seen |= touched[u] == prompts[i];
        if (!seen) touched[tc++] = prompts[i];
      }
    double *gw0 = malloc(h * d * 8 + 8), *gw_ref = malloc(h * d * 8 + 8);
    for (size_t i = 0; i < h * d; i++) gw0[i] = gw_ref[i] = rd(0);
    for (size_t j = 0; j < h; j++)
      for (size_t c = 0; c < mcols; c++) {
        volatile double t = gw_ref[j * d + f + c] + oh_ref[c * h + j];
        gw_ref[j * d + f + c] = t;
      }
    for (size_t u = 0; u < tc; u++)
      for (size_t j = 0; j < h; j++)
        for (size_t k = 0; k < f; k++) {
          volatile double prod = features[(size_t)touched[u] * f + k] * s_ref[(size_t)touched[u] * h + j];
          volatile double t = gw_ref[j * d + k] + prod;
          gw_ref[j * d + k] = t;
        }
    for (int v = 0; v < NV; v++) {
      if (!vs[v].available) continue;
      double *oh = xalloc(mcols * h, 8, off), *sums = with_sums ? xalloc(P * h, 8, off) : NULL;
      double *gw = xalloc(h * d, 8, off);
      memset(oh, 0, mcols * h * 8);
      if (sums) memset(sums, 0, P * h * 8);
      memcpy(gw, gw0, h * d * 8);
      vs[v].sr(delta, count, h, rc, per_row, oh, prompts, sums);
      vs[v].sf(gw, h, d, f, mcols, oh, with_sums ? features : NULL, sums, touched, tc);
      cases++;
      int ok = 1;
      for (size_t i = 0; ok && i < mcols * h; i++) ok = same(oh[i], oh_ref[i]);
      for (size_t i = 0; ok && sums && i < P * h; i++) ok = same(sums[i], s_ref[i]);
      for (size_t i = 0; ok && i < h * d; i++) ok = same(gw[i], gw_ref[i]);
      if (!ok) FAIL("scatter %s h%zu f%zu m%zu d%zu per_row%zu count%zu\n", vs[v].name, h, f, mcols, d, per_row, count);
      xfree(oh, 8, off);
      xfree(sums, 8, off);
      xfree(gw, 8, off);
    }
    xfree(features, 8, off);
    xfree(w, 8, off);
    xfree(proj, 8, off);
    xfree(cols, 8, off);
    xfree(bias, 8, off);
    xfree(prompts, 4, off);
    xfree(rc, 4, off);
    xfree(z, 8, off);
    xfree(delta, 8, off);
    xfree(touched, 4, off);
    free(zref);
    free(oh_ref);
    free(s_ref);
    free(gw0);
    free(gw_ref);
  }
}

// MARK: - tanh

// FastMath.tanh (Swift) transcribed: Swift.min(abs(x), 22) keeps a NaN (min
// returns its first argument unless the second is smaller), so tanh(NaN) is NaN
// there.
static double swift_tanh(double x) { return tanh_reference(x); }

static void tanh_cases(void) {
  for (size_t si = 0; si < NSIZES; si++)
    for (int off = 0; off < 2; off++) {
      size_t n = SIZES[si] * 3 + (size_t)off;
      double *x = xalloc(n, 8, off), *y = xalloc(n, 8, off), *first = malloc(n * 8 + 8);
      float *xf = xalloc(n, 4, off), *yf = xalloc(n, 4, off), *firstf = malloc(n * 4 + 4);
      for (size_t i = 0; i < n; i++) {
        x[i] = rnd() % 5 == 0 ? rd(1) * 1e5 : (uni() - 0.5) * (i % 3 ? 12 : 60);
        xf[i] = (float)x[i];
      }
      for (int v = 0; v < NV; v++) {
        if (!vs[v].available) continue;
        memcpy(y, x, n * 8);
        memcpy(yf, xf, n * 4);
        vs[v].th(y, n);
        vs[v].thf(yf, n);
        if (v == 0) {
          memcpy(first, y, n * 8);
          memcpy(firstf, yf, n * 4);
        }
        for (size_t i = 0; i < n; i++) {
          cases++;
          if (!bits_equal(y[i], first[i])) FAIL("tanh %s(%a) = %a, dispatched %a\n", vs[v].name, x[i], y[i], first[i]);
          if (memcmp(&yf[i], &firstf[i], 4))
            FAIL("tanhf %s(%a) = %a, dispatched %a\n", vs[v].name, (double)xf[i], (double)yf[i], (double)firstf[i]);
          if (v == 0) {
            double s = swift_tanh(x[i]);
            if (!bits_equal(y[i], s) && !(isnan(s) && isnan(y[i])))
              FAIL("tanh(%a): kernel %a, FastMath.tanh (Swift scalar) %a\n", x[i], y[i], s);
            double e = tanh(x[i]), ulp = fabs(nextafter(e, INFINITY) - e);
            if (!(fabs(y[i] - e) <= 4 * (ulp > 0x1p-1074 ? ulp : 0x1p-1074)) && !(isnan(e) && isnan(y[i])))
              FAIL("tanh(%a) = %a, libm %a\n", x[i], y[i], e);
            float ef = tanhf(xf[i]);
            if (!(fabsf(yf[i] - ef) <= 8 * fabsf(nextafterf(ef, INFINITY) - ef) + 0x1p-149f) &&
                !(isnan(ef) && isnan(yf[i])))
              FAIL("tanhf(%a) = %a, libm %a\n", (double)xf[i], (double)yf[i], (double)ef);
          }
        }
      }
      xfree(x, 8, off);
      xfree(y, 8, off);
      xfree(xf, 4, off);
      xfree(yf, 4, off);
      free(first);
      free(firstf);
    }
}

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 60;
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc > 2) st = strtoull(argv[2], NULL, 0) | 1;
  printf("seed %#llx\n", (unsigned long long)st);
  __builtin_cpu_init();
  vs[0].available = 1;
  vs[1].available = __builtin_cpu_supports("avx512f");
  vs[2].available = __builtin_cpu_supports("fma");
  vs[3].available = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  vs[4].available = 1;
  for (int v = 0; v < NV; v++) printf("%s: %s\n", vs[v].name, vs[v].available ? "run" : "skipped (CPU)");
  fflush(stdout);
  long before = cases;
  tanh_cases();
  printf("tanh: %ld cases, %ld failures so far\n", cases - before, fails);
  before = cases;
  exp_cases();
  printf("exp_nonpositive: %ld cases, %ld failures so far\n", cases - before, fails);
  before = cases;
  xent_cases();
  printf("softmax_cross_entropy: %ld cases, %ld failures so far\n", cases - before, fails);
  before = cases;
  sequence_cases(400);
  printf("sequence kernels: %ld cases, %ld failures so far\n", cases - before, fails);
  fflush(stdout);
  before = cases;
  dgemm_large();
  dgemm_grid();
  printf("dgemm grid: %ld cases, %ld failures so far\n", cases - before, fails);
  fflush(stdout);
  before = cases;
  dgemm_random(seconds);
  printf("dgemm random: %ld cases, %ld failures so far\n", cases - before, fails);
  printf("%ld cases, %ld failures\n", cases, fails);
  return fails != 0;
}
