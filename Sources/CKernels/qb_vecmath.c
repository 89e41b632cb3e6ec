// Element-wise math of the FP32 engine (see qb_vecmath.h): one source of loops, built for the portable
// target and for AVX2, dispatched on qb_isa().
#include "qb_vecmath.h"
#include "qb_cpu.h"
#include "qb_vecmath_ops.h"

#define QBV_NAME(name) qbv_##name##_portable
#define QBV_ATTR
#include "qb_vecmath_loops.h"
#undef QBV_NAME
#undef QBV_ATTR

#if defined(__x86_64__) || defined(__i386__)
#define QBV_HAVE_AVX2 1
#define QBV_NAME(name) qbv_##name##_avx2
#define QBV_ATTR __attribute__((target("avx2")))
#include "qb_vecmath_loops.h"
#undef QBV_NAME
#undef QBV_ATTR
#endif

static int qbv_use_avx2(void) {
#ifdef QBV_HAVE_AVX2
    return qb_isa() >= QB_ISA_AVX2;
#else
    return 0;
#endif
}

int qb_vec_unary(int op, const float *x, float *y, int64_t n, float param) {
    if (op < QB_UNARY_EXP || op > QB_UNARY_HARDSWISH) return -1;
#ifdef QBV_HAVE_AVX2
    if (qbv_use_avx2()) {
        qbv_unary_avx2(op, x, y, n, param);
        return 0;
    }
#endif
    qbv_unary_portable(op, x, y, n, param);
    return 0;
}

void qb_softmax_rows(float *x, int64_t rows, int64_t n, int log_softmax) {
#ifdef QBV_HAVE_AVX2
    if (qbv_use_avx2()) {
        qbv_softmax_avx2(x, rows, n, log_softmax);
        return;
    }
#endif
    qbv_softmax_portable(x, rows, n, log_softmax);
}

void qb_layernorm_rows(const float *x, float *y, int64_t rows, int64_t n, const float *scale, const float *bias,
                       float eps, float *mean_out, float *inv_out) {
#ifdef QBV_HAVE_AVX2
    if (qbv_use_avx2()) {
        qbv_layernorm_avx2(x, y, rows, n, scale, bias, eps, mean_out, inv_out);
        return;
    }
#endif
    qbv_layernorm_portable(x, y, rows, n, scale, bias, eps, mean_out, inv_out);
}

float qb_expf(float x) {
    return qbv_exp(x);
}
float qb_erff(float x) {
    return qbv_erf(x);
}
float qb_tanhf(float x) {
    return qbv_tanh(x);
}
float qb_logf(float x) {
    return qbv_log(x);
}
