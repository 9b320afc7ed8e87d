// Reproducer (`make repro-tanh-nan`): spg_tanh_inplace and spg_tanhf_inplace
// (cmath_shims.c) must map NaN to NaN, as FastMath.tanh (Swift's scalar code,
// whose operations the kernel claims to repeat bit for bit) and libm do.
// Before the fix `ax = ax < 22 ? ax : 22` turned NaN into 22, so tanh(NaN)
// was +1: a NaN pre-activation (e.g. inf − inf from finite but huge weights
// and observations) left an MLP layer as a finite +1, and its backward factor
// 1 − h² as 0, so the NaN vanished instead of reaching the finiteness checks.
// Built and run for each instruction-set variant and the dispatched kernel.
#include <math.h>
#include <stdio.h>
#include <string.h>
void spg_tanh_inplace(double *, size_t);
void spg_tanhf_inplace(float *, size_t);
#define V(s) void spg_tanh_inplace_##s(double *, size_t); void spg_tanhf_inplace_##s(float *, size_t);
V(v512)
V(vfma)
V(vbase)
int main(void) {
  __builtin_cpu_init();
  struct {
    const char *name;
    int ok;
    void (*d)(double *, size_t);
    void (*f)(float *, size_t);
  } vs[] = {{"dispatched", 1, spg_tanh_inplace, spg_tanhf_inplace},
            {"avx512f", __builtin_cpu_supports("avx512f"), spg_tanh_inplace_v512, spg_tanhf_inplace_v512},
            {"fma", __builtin_cpu_supports("fma"), spg_tanh_inplace_vfma, spg_tanhf_inplace_vfma},
            {"baseline", 1, spg_tanh_inplace_vbase, spg_tanhf_inplace_vbase}};
  int fails = 0;
  for (size_t v = 0; v < sizeof vs / sizeof *vs; v++) {
    if (!vs[v].ok) continue;
    // A NaN among ordinary values, in the vector body and in the tail.
    double x[19];
    float y[19];
    for (int i = 0; i < 19; i++) x[i] = y[i] = 0.25f * (float)(i - 9);
    x[3] = y[3] = NAN;
    x[18] = y[18] = -NAN;
    vs[v].d(x, 19);
    vs[v].f(y, 19);
    int bad = !isnan(x[3]) || !isnan(x[18]) || !isnan(y[3]) || !isnan(y[18]);
    printf("%-10s tanh(NaN) = %a, %a; tanhf(NaN) = %a, %a  %s\n", vs[v].name, x[3], x[18], (double)y[3],
           (double)y[18], bad ? "FAIL (expected NaN)" : "ok");
    fails += bad;
  }
  return fails != 0;
}
