// libm functions that Swift's Glibc module does not expose.
#ifndef SWIFTPG_CMATH_SHIMS_H
#define SWIFTPG_CMATH_SHIMS_H

// glibc's sincos (a GNU extension): the same results as sin and cos, from
// one argument reduction.
void sincos(double x, double *sin_out, double *cos_out);

static inline void spg_sincos(double x, double *sin_out, double *cos_out) { sincos(x, sin_out, cos_out); }

#endif
