// Which clone the ifunc resolvers of training.c and spg_tanh_inplace pick for
// a given CPU feature word (`make fuzz-training-kernels` builds this once per
// word in FEATURES). This program defines __cpu_model and
// __cpu_indicator_init itself, so the archive's are not linked and the
// resolvers (run at load time) read FEATURES: bit 14 is FMA and bit 15
// AVX-512F in the compiler runtime's feature list (compiler-rt and libgcc
// agree). Expected: neither -> the baseline ("default") clone, FMA -> "fma",
// AVX-512F (with or without the FMA bit) -> "avx512f". Also checks that each
// pick gives the same bits.
#include <stdio.h>
#include <string.h>
#include <stddef.h>
#include <stdint.h>
struct __processor_model {
  unsigned int vendor, type, subtype;
  unsigned int features[1];
} __cpu_model;
unsigned int __cpu_features2[3];
int __cpu_indicator_init(void) {
  __cpu_model.features[0] = FEATURES;
  return 0;
}
typedef void (*gemm_fn)(size_t, size_t, size_t, const double *, size_t, size_t, const double *, size_t, size_t,
                        double *, size_t, int);
void spg_dgemm(size_t, size_t, size_t, const double *, size_t, size_t, const double *, size_t, size_t, double *,
               size_t, int);
void spg_tanh_inplace(double *, size_t);
void spg_softmax_cross_entropy(void);
void spg_gather_rows(void);
#define CLONES(name)                                      \
  void name##_avx512(void) __asm__(#name ".avx512f.0");   \
  void name##_fma(void) __asm__(#name ".fma.1");           \
  void name##_default(void) __asm__(#name ".default.2");
CLONES(spg_dgemm)
CLONES(spg_tanh_inplace)
CLONES(spg_softmax_cross_entropy)
CLONES(spg_gather_rows)
// Compared as integers read through volatiles: the compiler would fold the
// comparison of two distinct functions' addresses to false.
static const char *which(void *f, void *a, void *m, void *d) {
  volatile uintptr_t vf = (uintptr_t)f, va = (uintptr_t)a, vm = (uintptr_t)m, vd = (uintptr_t)d;
  return vf == va ? "avx512f" : vf == vm ? "fma" : vf == vd ? "default" : "?";
}
#define WHICH(name) which((void *)name, (void *)name##_avx512, (void *)name##_fma, (void *)name##_default)
int main(void) {
  const char *want = (FEATURES & 0x8000) ? "avx512f" : (FEATURES & 0x4000) ? "fma" : "default";
  const char *got[] = {WHICH(spg_dgemm), WHICH(spg_tanh_inplace), WHICH(spg_softmax_cross_entropy),
                       WHICH(spg_gather_rows)};
  int bad = 0;
  for (int i = 0; i < 4; i++) bad |= strcmp(got[i], want) != 0;
  double a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {0.1, 0.2, 0.3, 0.4, 0.5, 0.7}, c[4];
  spg_dgemm(2, 2, 3, a, 3, 1, b, 2, 1, c, 2, 0);
  double x[3] = {0.3, -2.0, 0.7};
  spg_tanh_inplace(x, 3);
  printf("features %#06x: want %s, dgemm %s, tanh %s, cross-entropy %s, gather %s; %a %a %a %a %a %a %a %s\n",
         FEATURES, want, got[0], got[1], got[2], got[3], c[0], c[1], c[2], c[3], x[0], x[1], x[2],
         bad ? "FAIL" : "ok");
  return bad;
}
