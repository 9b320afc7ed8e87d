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
// Returns 1 | 2 | 4 flags: g not finite, |g| > largest_gradient, p' not finite.
__attribute__((visibility("hidden"))) int spg_adam_step(const double *p, const double *g, const double *m,
                                                       const double *v, double *p_out, double *m_out, double *v_out,
                                                       size_t n, double b1, double b2, double c1, double c2,
                                                       double lr, double sign, double eps, double largest_gradient);
// Σ x[i]², partial sums in a fixed order (the same on every CPU).
__attribute__((visibility("hidden"))) double spg_sum_squares(const double *x, size_t n);
__attribute__((visibility("hidden"))) void spg_to_float(const double *x, float *y, size_t n);
__attribute__((visibility("hidden"))) void spg_to_double(const float *x, double *y, size_t n);
__attribute__((visibility("hidden"))) void spg_add_float(const float *x, double *y, size_t n);
__attribute__((visibility("hidden"))) void spg_sum_rows(const double *d, size_t rows, size_t cols, double *g);
__attribute__((visibility("hidden"))) void spg_sum_rows_f(const float *d, size_t rows, size_t cols, double *g);
__attribute__((visibility("hidden"))) void spg_tanh_backward(double *d, const double *h, size_t n);
__attribute__((visibility("hidden"))) void spg_tanh_backward_f(float *d, const float *h, size_t n);


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

// C (m × n, row stride ldc) = [C +] op(A)·op(B) in single precision, with
// A(i, p) = a[i·ars + p·acs] (m × k) and B(p, j) = b[p·brs + j·bcs] (k × n);
// accumulate: add to C's values (else C's values are not read). Every
// element is the sum over p = 0…k−1 in order, each product and sum rounded
// (sgemm.c): independent of m, of how rows are split, and of the CPU.
// C must not overlap A or B.
__attribute__((visibility("hidden"))) void spg_sgemm(size_t m, size_t n, size_t k, const float *a, size_t ars,
                                                    size_t acs, const float *b, size_t brs, size_t bcs, float *c,
                                                    size_t ldc, int accumulate);

// dst[c·rows + r] = (float)src[r·cols + c]: a float copy of a rows × cols
// matrix, transposed.
__attribute__((visibility("hidden"))) void spg_to_float_transposed(const double *src, size_t rows, size_t cols,
                                                                  float *dst);

// 1 if x[0..<n] are all finite (no inf, no NaN), else 0.
__attribute__((visibility("hidden"))) int spg_all_finite(const double *x, size_t n);

// Kernels of training.c (float64, the same bits on every instruction set).
#include <stdint.h>
// out[j] = fma chain over k < f of features[k]·w[j·d + k], from 0 (in order).
__attribute__((visibility("hidden"))) void spg_fma_project(const double *features, const double *w, size_t d, size_t f,
                                                          size_t h, double *out);
// z[i, :] = ((projections[prompts[i]] + columns[c_i0]) + … + columns[c_i,per_row-1]) + bias, rows of h values,
// with c_i = row_columns[i·per_row …].
__attribute__((visibility("hidden"))) void spg_gather_rows(double *z, const double *projections,
                                                          const int32_t *prompts, const double *columns,
                                                          const int32_t *row_columns, size_t per_row,
                                                          const double *bias, size_t h, size_t count);
// For each row i in order: one_hot[c_i·] += delta[i]; sums[prompts[i]] += delta[i] (sums may be NULL).
__attribute__((visibility("hidden"))) void spg_scatter_rows(const double *delta, size_t rows, size_t h,
                                                           const int32_t *row_columns, size_t per_row,
                                                           double *one_hot, const int32_t *prompts, double *sums);
// gw[j, f + c] += one_hot[c, j] (c < m); gw[j, k] += features[p, k]·sums[p, j] for the touched prompts p.
__attribute__((visibility("hidden"))) void spg_scatter_finish(double *gw, size_t h, size_t d, size_t f, size_t m,
                                                             const double *one_hot, const double *features,
                                                             const double *sums, const int32_t *touched,
                                                             size_t touched_count);
// x[i] = e^x[i] for x[i] <= 0 (few ulp; below -745.2: 0).
__attribute__((visibility("hidden"))) void spg_exp_nonpositive(double *x, size_t n);
// SupervisedLoss.maskedCrossEntropy's arithmetic on validated input; mask and weights may be NULL, dlogits may be
// NULL; scratch holds batch·actions values (it may be dlogits). Writes Σ w·(log Z − z_t) and Σ w·1[argmax = t].
__attribute__((visibility("hidden"))) void spg_softmax_cross_entropy(const double *logits, const uint8_t *mask,
                                                                    const int32_t *targets, const double *weights,
                                                                    size_t batch, size_t actions, double inv,
                                                                    double *dlogits, double *scratch,
                                                                    double *loss_out, double *correct_out);
// C (m × n, row stride ldc) = [C +] op(A)·op(B) in float64, A(i, p) = a[i·ars + p·acs], B(p, j) = b[p·brs + j·bcs]:
// per block of 256 values of k, each element's products summed by a chain of fused multiply-adds from 0 in the
// order of k, then added to C (accumulate; else to +0 for the first block). An element depends only on its row of A and column of B (not on m or the CPU).
// C must not overlap A or B.
__attribute__((visibility("hidden"))) void spg_dgemm(size_t m, size_t n, size_t k, const double *a, size_t ars,
                                                    size_t acs, const double *b, size_t brs, size_t bcs, double *c,
                                                    size_t ldc, int accumulate);

#endif
