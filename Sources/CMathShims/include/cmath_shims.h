// libm functions that Swift's Glibc module does not expose, and vector
// kernels compiled for several instruction sets.
#ifndef SWIFTPG_CMATH_SHIMS_H
#define SWIFTPG_CMATH_SHIMS_H

#include <stddef.h>

// glibc's sincos (a GNU extension): the same results as sin and cos, from
// one argument reduction.
void sincos(double x, double *sin_out, double *cos_out);

static inline void spg_sincos(double x, double *sin_out, double *cos_out) { sincos(x, sin_out, cos_out); }

// x[i] = tanh(x[i]) for i < n, within a few ulp of libm's tanh, with the
// same operations as FastMath.tanh in Swift (so results are identical), run
// with the widest SIMD the CPU has (chosen once at load time).
__attribute__((visibility("hidden"))) void spg_tanh_inplace(double *x, size_t n);

#endif
