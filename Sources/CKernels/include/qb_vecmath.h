// QuantBench's element-wise math for the FP32 engine: exp, erf, tanh, sigmoid, GELU, and the row kernels
// of Softmax and LayerNormalization, vectorized (an AVX2 build and the portable build of one C source,
// chosen by qb_isa()).
//
// Each function is a fixed sequence of IEEE-754 single-precision operations (no libm call, no fused
// multiply-add: the target is built with -ffp-contract=off), and every reduction adds in one fixed order
// (8 interleaved partial sums, then a fixed tree), so every CPU path and every platform computes the same
// bits. Accuracy, measured against double-precision references over the float range in the tests:
// exp within 2 ulp (results below FLT_MIN flush to 0), tanh and sigmoid within 4 ulp, erf within 2e-7
// absolute.
#ifndef QB_VECMATH_H
#define QB_VECMATH_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The element-wise functions of qb_vec_unary.
typedef enum qb_unary_op {
    QB_UNARY_EXP = 0,
    QB_UNARY_ERF = 1,
    QB_UNARY_TANH = 2,
    QB_UNARY_SIGMOID = 3,
    /// GELU as torch.onnx exports it: (x * (erf(x / d) + 1)) * 0.5, d = the constant (sqrt 2) of the graph.
    QB_UNARY_GELU_ERF = 4,
    /// GELU, tanh form: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
    QB_UNARY_GELU_TANH = 5,
    /// ReLU, as Swift's max(x, 0): (0 >= x) ? 0 : x (NaN stays NaN).
    QB_UNARY_RELU = 6,
    /// HardSwish: x * min(max(x / 6 + 0.5, 0), 1) with Swift's min/max (NaN stays NaN).
    QB_UNARY_HARDSWISH = 7,
} qb_unary_op;

/// y[i] = f(x[i]) for i < n (x and y may be the same buffer). `param` is GELU_ERF's divisor, else unused.
/// Returns 0, or -1 for an unknown op.
int qb_vec_unary(int op, const float *x, float *y, int64_t n, float param);

/// Softmax (log_softmax = 0) or LogSoftmax (1) of each of `rows` contiguous rows of `n` values, in place:
/// m = max, e_i = exp(x_i - m), s = sum e_i (the fixed order), y_i = e_i / s, or x_i - m - log(s).
void qb_softmax_rows(float *x, int64_t rows, int64_t n, int log_softmax);

/// LayerNormalization of each of `rows` contiguous rows of `n` values: mean = sum x / n,
/// var = sum (x - mean)^2 / n (both sums in the fixed order), inv = 1 / sqrt(var + eps),
/// y_i = ((x_i - mean) * inv) * scale_i + bias_i (bias may be NULL: + 0). mean_out / inv_out (may be NULL)
/// receive each row's statistics.
void qb_layernorm_rows(const float *x, float *y, int64_t rows, int64_t n, const float *scale, const float *bias,
                       float eps, float *mean_out, float *inv_out);

/// The scalar forms (the same bits as the vector loops), for tests and single values.
float qb_expf(float x);
float qb_erff(float x);
float qb_tanhf(float x);
float qb_logf(float x);

#ifdef __cplusplus
}
#endif

#endif /* QB_VECMATH_H */
