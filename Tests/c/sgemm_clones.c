// spg_sgemm (Sources/CMathShims/sgemm.c) against the scalar loop it claims
// to equal bit for bit — each element the products summed in the order of
// k, each rounded — for its three instruction-set variants compiled apart
// (`make test-sgemm-clones`: -mavx512f, -mavx2, -mno-avx; no dispatch) and
// the dispatched build: every transpose, strides and ldc with padding,
// k = 0 and around KC, n around the 16- and 64-column blocks, m around the
// 4-row tiles and 8-row scalar sums, accumulate 0 and 1, and inputs with
// NaN, ±inf, subnormals and -0 (NaN payloads may differ: NaN only needs to
// be NaN). A variant run on a CPU without its instructions is skipped.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <math.h>
typedef void (*gemm_fn)(size_t, size_t, size_t, const float *, size_t, size_t, const float *, size_t, size_t, float *, size_t, int);
void ref_sgemm(size_t m, size_t n, size_t k, const float *a, size_t ars, size_t acs, const float *b, size_t brs,
               size_t bcs, float *c, size_t ldc, int accumulate) {
  for (size_t i = 0; i < m; i++)
    for (size_t j = 0; j < n; j++) {
      volatile float s = accumulate ? c[i * ldc + j] : 0.0f;
      for (size_t p = 0; p < k; p++) {
        volatile float prod = a[i * ars + p * acs] * b[p * brs + j * bcs];
        s = s + prod;
      }
      c[i * ldc + j] = s;
    }
}
void spg_sgemm(size_t, size_t, size_t, const float *, size_t, size_t, const float *, size_t, size_t, float *, size_t, int);
void sg512(size_t, size_t, size_t, const float *, size_t, size_t, const float *, size_t, size_t, float *, size_t, int);
void sg2(size_t, size_t, size_t, const float *, size_t, size_t, const float *, size_t, size_t, float *, size_t, int);
void sg0(size_t, size_t, size_t, const float *, size_t, size_t, const float *, size_t, size_t, float *, size_t, int);
static uint64_t st = 88172645463325252ull;
static uint64_t rnd(void) { st ^= st << 13; st ^= st >> 7; st ^= st << 17; return st; }
static float rf(int special) {
  uint64_t r = rnd();
  if (special && r % 50 == 0) {
    switch ((r >> 8) % 7) {
      case 0: return NAN; case 1: return INFINITY; case 2: return -INFINITY; case 3: return 1e-40f; case 4: return -0.0f;
      case 5: return 3e38f; default: { uint32_t u = 0x7fc12345u | ((uint32_t)(r>>20)&1u)<<31; float f; memcpy(&f,&u,4); return f; }
    }
  }
  return ((float)(r >> 40) / (float)(1ull << 24) - 0.5f) * 4.0f;
}
static long fails = 0, cases = 0;
static int available[3];
static int same(float x, float y, int nanbits) {
  uint32_t a, b; memcpy(&a, &x, 4); memcpy(&b, &y, 4);
  if (a == b) return 1;
  if (!nanbits && isnan(x) && isnan(y)) return 1;
  return 0;
}
static void one(size_t m, size_t n, size_t k, int ta, int tb, size_t padA, size_t padB, size_t padC, int acc, int special) {
  size_t lda = (ta ? m : k) + padA, ldb = (tb ? k : n) + padB, ldc = n + padC;
  size_t ars = ta ? 1 : lda, acs = ta ? lda : 1, brs = tb ? 1 : ldb, bcs = tb ? ldb : 1;
  size_t asz = (m && k) ? (m - 1) * ars + (k - 1) * acs + 1 : 1;
  size_t bsz = (n && k) ? (k - 1) * brs + (n - 1) * bcs + 1 : 1;
  size_t csz = m ? (m - 1) * ldc + n + 16 : 16;
  float *a = malloc(asz * 4), *b = malloc(bsz * 4), *c0 = malloc(csz * 4), *c1 = malloc(csz * 4), *c2 = malloc(csz * 4);
  for (size_t i = 0; i < asz; i++) a[i] = rf(special);
  for (size_t i = 0; i < bsz; i++) b[i] = rf(special);
  for (size_t i = 0; i < csz; i++) c0[i] = rf(special);
  if (!acc) for (size_t i = 0; i < csz; i++) if (rnd() % 3 == 0) c0[i] = NAN;
  memcpy(c1, c0, csz * 4); memcpy(c2, c0, csz * 4);
  ref_sgemm(m, n, k, a, ars, acs, b, brs, bcs, c1, ldc, acc);
  spg_sgemm(m, n, k, a, ars, acs, b, brs, bcs, c2, ldc, acc);
  cases++;
  for (size_t i = 0; i < csz; i++) if (!same(c1[i], c2[i], 0)) {
    if (fails++ < 20) printf("FAIL m%zu n%zu k%zu ta%d tb%d pads %zu/%zu/%zu acc%d idx %zu ref %a got %a\n", m, n, k, ta, tb, padA, padB, padC, acc, i, c1[i], c2[i]);
    break;
  }
  gemm_fn fs[3] = {sg512, sg2, sg0};
  for (int f = 0; f < 3; f++) {
    if (!available[f]) continue;
    memcpy(c2, c0, csz * 4);
    fs[f](m, n, k, a, ars, acs, b, brs, bcs, c2, ldc, acc);
    for (size_t i = 0; i < csz; i++) if (!same(c1[i], c2[i], special ? 0 : 1)) {
      if (fails++ < 20) printf("CLONE %d FAIL m%zu n%zu k%zu ta%d tb%d acc%d idx %zu ref %a got %a\n", f, m, n, k, ta, tb, acc, i, c1[i], c2[i]);
      break;
    }
  }
  free(a); free(b); free(c0); free(c1); free(c2);
}
int main(void) {
  __builtin_cpu_init();
  available[0] = __builtin_cpu_supports("avx512f");
  available[1] = __builtin_cpu_supports("avx2");
  available[2] = 1;
  size_t ks[] = {0, 1, 2, 7, 127, 128, 129, 255, 256, 257, 300};
  size_t ns[] = {1, 2, 3, 7, 8, 15, 16, 17, 31, 32, 33, 47, 48, 49, 63, 64, 65, 79, 80, 81, 127, 128, 129, 143, 200};
  size_t ms[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17};
  for (int special = 0; special < 2; special++)
  for (size_t ki = 0; ki < sizeof ks / sizeof *ks; ki++)
    for (size_t ni = 0; ni < sizeof ns / sizeof *ns; ni++)
      for (size_t mi = 0; mi < sizeof ms / sizeof *ms; mi++)
        for (int t = 0; t < 4; t++)
          for (int acc = 0; acc < 2; acc++) {
            size_t pa = rnd() % 3, pb = rnd() % 3, pc = rnd() % 3;
            one(ms[mi], ns[ni], ks[ki], t & 1, t >> 1, pa, pb, pc, acc, special);
          }
  one(0, 5, 5, 0, 0, 0, 0, 0, 0, 0);
  one(5, 0, 5, 0, 0, 0, 0, 0, 0, 0);
  printf("%ld cases, %ld failures\n", cases, fails);
  return fails != 0;
}
