// Single-precision matrix product for the float32 network passes, written so
// that every element of the result is one fixed sequence of roundings:
//
//   C[i][j] = (((c0 + A(i,0)·B(0,j)) + A(i,1)·B(1,j)) + …) + A(i,k−1)·B(k−1,j)
//
// with c0 = C[i][j] (accumulate) or +0, each product and each sum rounded to
// float (no fused multiply-add: contraction is off). An element therefore
// depends only on row i of A and column j of B — never on how many rows the
// batch has, how it is split between workers or threads, or which
// instruction set runs it (the AVX-512, AVX2 and baseline clones give the
// same bits, NaN payloads aside). OpenBLAS's sgemm offers none of this: its blocking, and so its
// summation order, changes with the matrix sizes and the CPU.
//
// The vectorisation runs across columns j (16 lanes per vector, 4 vectors
// per block of 64 columns), the k loop stays sequential per element. B is
// read directly when its columns are contiguous (bcs == 1) and otherwise
// packed, panel by panel (KC rows × 64 columns), into a stack buffer. The
// last n mod 16 columns are packed into a zero-padded 16-column panel and
// run through the same tiles (scalar sums only for one column or < 8 rows).
#include "cmath_shims.h"

#include <stdint.h>

#pragma clang fp contract(off)

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SPG_GEMM_NO_DISPATCH 1
#endif
#endif
#if defined(__SANITIZE_THREAD__) || !(defined(__x86_64__) && defined(__linux__))
#define SPG_GEMM_NO_DISPATCH 1
#endif
#ifdef SPG_GEMM_NO_DISPATCH
#define SPG_GEMM_CLONES
#else
#define SPG_GEMM_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif

typedef float v16 __attribute__((vector_size(64)));
typedef float v16u __attribute__((vector_size(64), aligned(4)));
#define LOAD(p) (*(const v16u *)(p))
#define STORE(p, v) (*(v16u *)(p) = (v))

enum { MR = 4, NR = 64, KC = 128 };

// Rows [i0, i0 + rows) (rows ≤ MR) × NV·16 columns starting at c, over kc
// values of k: B's panel at bp (row stride ldb), A's rows at ap (row stride
// ars, k stride acs). `fresh`: start from +0 instead of C.
static inline __attribute__((always_inline)) void tile(int NV, int rows, size_t kc, const float *ap, size_t ars,
                                                       size_t acs, const float *bp, size_t ldb, float *c,
                                                       size_t ldc, int fresh) {
  v16 acc[MR][4];
  for (int r = 0; r < MR; r++)
    for (int q = 0; q < NV; q++) acc[r][q] = (r < rows && !fresh) ? LOAD(c + r * ldc + 16 * q) : (v16){0};
  for (size_t p = 0; p < kc; p++) {
    v16 bv[4];
    for (int q = 0; q < NV; q++) bv[q] = LOAD(bp + 16 * q);
    for (int r = 0; r < MR; r++) {
      if (r >= rows) break;
      float s = ap[r * ars];
      for (int q = 0; q < NV; q++) acc[r][q] = acc[r][q] + s * bv[q];
    }
    ap += acs;
    bp += ldb;
  }
  for (int r = 0; r < MR; r++) {
    if (r >= rows) break;
    for (int q = 0; q < NV; q++) STORE(c + r * ldc + 16 * q, acc[r][q]);
  }
}

// All rows of A against one panel of NV·16 columns and kc values of k.
static inline __attribute__((always_inline)) void panel(int NV, size_t m, size_t kc, const float *a, size_t ars,
                                                        size_t acs, const float *bp, size_t ldb, float *c,
                                                        size_t ldc, int fresh) {
  size_t i = 0;
  for (; i + MR <= m; i += MR) tile(NV, MR, kc, a + i * ars, ars, acs, bp, ldb, c + i * ldc, ldc, fresh);
  for (; i < m; i++) tile(NV, 1, kc, a + i * ars, ars, acs, bp, ldb, c + i * ldc, ldc, fresh);
}

SPG_GEMM_CLONES
void spg_sgemm(size_t m, size_t n, size_t k, const float *a, size_t ars, size_t acs, const float *b, size_t brs,
               size_t bcs, float *c, size_t ldc, int accumulate) {
  if (m == 0 || n == 0) return;
  float pack[KC * NR] __attribute__((aligned(64)));
  size_t j = 0;
  while (n - j >= 16) {
    size_t width = n - j >= NR ? NR : 16 * ((n - j) / 16);
    int nv = (int)(width / 16);
    if (k == 0 && !accumulate) {
      for (size_t i = 0; i < m; i++)
        for (size_t q = 0; q < width; q++) c[i * ldc + j + q] = 0;
    }
    for (size_t kb = 0; kb < k; kb += KC) {
      size_t kc = k - kb < KC ? k - kb : KC;
      const float *bp;
      size_t ldb;
      if (bcs == 1) {
        bp = b + kb * brs + j;
        ldb = brs;
      } else {
        for (size_t p = 0; p < kc; p++)
          for (size_t q = 0; q < width; q++) pack[p * NR + q] = b[(kb + p) * brs + (j + q) * bcs];
        bp = pack;
        ldb = NR;
      }
      const float *ak = a + kb * acs;
      int fresh = kb == 0 && !accumulate;
      switch (nv) {
        case 4: panel(4, m, kc, ak, ars, acs, bp, ldb, c + j, ldc, fresh); break;
        case 3: panel(3, m, kc, ak, ars, acs, bp, ldb, c + j, ldc, fresh); break;
        case 2: panel(2, m, kc, ak, ars, acs, bp, ldb, c + j, ldc, fresh); break;
        default: panel(1, m, kc, ak, ars, acs, bp, ldb, c + j, ldc, fresh); break;
      }
    }
    j += width;
  }
  // The last n mod 16 columns: B's columns packed into a 16-wide panel
  // padded with zeros, the same tiles run into a 16-column scratch for
  // MR rows at a time, and the real columns copied to C. Every lane is
  // its own element's sum in the order of k, as above (the padding lanes
  // are discarded).
  size_t rem = n - j;
  if (rem == 0) return;
  if (rem < 2 || m < 8) {
    // Few rows or one column: packing would cost more than it saves.
    // Eight rows at a time, eight independent sums (the same order per
    // element as everywhere else).
    for (; j < n; j++) {
      size_t i = 0;
      for (; i + 8 <= m; i += 8) {
        float s[8];
        for (int r = 0; r < 8; r++) s[r] = accumulate ? c[(i + r) * ldc + j] : 0.0f;
        for (size_t p = 0; p < k; p++) {
          float bj = b[p * brs + j * bcs];
          for (int r = 0; r < 8; r++) s[r] = s[r] + a[(i + r) * ars + p * acs] * bj;
        }
        for (int r = 0; r < 8; r++) c[(i + r) * ldc + j] = s[r];
      }
      for (; i < m; i++) {
        float s = accumulate ? c[i * ldc + j] : 0.0f;
        for (size_t p = 0; p < k; p++) s = s + a[i * ars + p * acs] * b[p * brs + j * bcs];
        c[i * ldc + j] = s;
      }
    }
    return;
  }
  if (k == 0) {
    if (!accumulate)
      for (size_t i = 0; i < m; i++)
        for (size_t q = 0; q < rem; q++) c[i * ldc + j + q] = 0;
    return;
  }
  float t[MR * 16] __attribute__((aligned(64)));
  for (size_t kb = 0; kb < k; kb += KC) {
    size_t kc = k - kb < KC ? k - kb : KC;
    for (size_t p = 0; p < kc; p++) {
      for (size_t q = 0; q < rem; q++) pack[p * NR + q] = b[(kb + p) * brs + (j + q) * bcs];
      for (size_t q = rem; q < 16; q++) pack[p * NR + q] = 0;
    }
    const float *ak = a + kb * acs;
    int fresh = kb == 0 && !accumulate;
    for (size_t i = 0; i < m; i += MR) {
      int rows = m - i < MR ? (int)(m - i) : MR;
      if (!fresh)
        for (int r = 0; r < rows; r++)
          for (size_t q = 0; q < 16; q++) t[r * 16 + q] = q < rem ? c[(i + r) * ldc + j + q] : 0;
      if (rows == MR)
        tile(1, MR, kc, ak + i * ars, ars, acs, pack, NR, t, 16, fresh);
      else
        for (int r = 0; r < rows; r++) tile(1, 1, kc, ak + (i + r) * ars, ars, acs, pack, NR, t + r * 16, 16, fresh);
      for (int r = 0; r < rows; r++)
        for (size_t q = 0; q < rem; q++) c[(i + r) * ldc + j + q] = t[r * 16 + q];
    }
  }
}

// dst (cols × rows, row-major) = (float) of src (rows × cols, row-major)
// transposed: the float32 copy of a layer's weights W in the layout Wᵀ that
// the forward product X·Wᵀ reads with contiguous columns. Blocks of 16 × 16
// keep both sides in cache.
SPG_GEMM_CLONES
void spg_to_float_transposed(const double *restrict src, size_t rows, size_t cols, float *restrict dst) {
  for (size_t r0 = 0; r0 < rows; r0 += 16) {
    size_t r1 = r0 + 16 < rows ? r0 + 16 : rows;
    for (size_t c0 = 0; c0 < cols; c0 += 16) {
      size_t c1 = c0 + 16 < cols ? c0 + 16 : cols;
      for (size_t r = r0; r < r1; r++)
        for (size_t c = c0; c < c1; c++) dst[c * rows + r] = (float)src[r * cols + c];
    }
  }
}
