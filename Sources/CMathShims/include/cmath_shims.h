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
__attribute__((visibility("hidden"))) void spg_tanhf_inplace(float *x, size_t n);
__attribute__((visibility("hidden"))) void spg_adam_step(const double *p, const double *g, const double *m,
                                                        const double *v, double *p_out, double *m_out, double *v_out,
                                                        size_t n, double b1, double b2, double c1, double c2,
                                                        double lr, double sign, double eps);
__attribute__((visibility("hidden"))) void spg_to_float(const double *x, float *y, size_t n);
__attribute__((visibility("hidden"))) void spg_to_double(const float *x, double *y, size_t n);
__attribute__((visibility("hidden"))) void spg_add_float(const float *x, double *y, size_t n);
__attribute__((visibility("hidden"))) void spg_sum_rows(const double *d, size_t rows, size_t cols, double *g);
__attribute__((visibility("hidden"))) void spg_sum_rows_f(const float *d, size_t rows, size_t cols, double *g);
__attribute__((visibility("hidden"))) void spg_tanh_backward(double *d, const double *h, size_t n);
__attribute__((visibility("hidden"))) void spg_tanh_backward_f(float *d, const float *h, size_t n);

// A dense float32 layer whose every output is the same function of its row
// whatever the other rows: y[r*out + j] = b[j] + sum_k x[r*in + k] wt[k*out + j],
// summed as a chain of fused multiply-adds starting from b[j], k = 0, 1, ...,
// in - 1 (so a row gives the same bits alone, in any batch, at any position;
// OpenBLAS's sgemm does not). wt is the weight matrix transposed ([in, out],
// row-major). AVX2+FMA when the CPU has them, else fmaf (the same values).
__attribute__((visibility("hidden"))) void spg_dense_rows_f(const float *x, const float *wt, const float *b, float *y,
                                                           size_t rows, size_t in, size_t out);


// One row (time step t, n environments) of the backward recursion of
// discounted returns (advantages = 0) or GAE (advantages = 1), see
// sweepBackward in Advantages.swift. next_values: V(s_{t+1}) (NULL: 0);
// final_values: values of truncated episodes' final observations (NULL: 0);
// values: V(s_t) (GAE only); carry: row t + 1 of out (NULL on the last row).
// No argument may alias out.
__attribute__((visibility("hidden"))) void spg_backward_row(
    size_t n, const double *restrict rewards, const unsigned char *restrict terminated,
    const unsigned char *restrict truncated, const double *restrict next_values,
    const double *restrict final_values, const double *restrict values, const double *restrict carry,
    double gamma, double decay, int advantages, double *restrict out);

// 1 if x[0..<n] are all finite (no inf, no NaN), else 0.
__attribute__((visibility("hidden"))) int spg_all_finite(const double *x, size_t n);

#endif
