// Multiplication-free kernels of the FGQ ternary and power-of-two variants on k-major int16 patches (the
// portable forms; the ternary variant's AVX-512 VNNI form is in qb_ternary.c). See qb_kernels.h.
#include <stdint.h>
#include "qb_kernels.h"
#include "qb_epilogue.h"

#if defined(__x86_64__) || defined(__i386__)
#define QB_X86 1
#endif

// ---- FGQ ternary: additions and subtractions within a group, one multiply per group ----------------

enum { TB = 64 }; // columns per block: the accumulators stay in L1

static inline __attribute__((always_inline)) void
ternary_body(int M, int N, const int32_t *row_start, const int32_t *gs, const int32_t *np, const int32_t *idx,
             const float *alpha, const int16_t *pt, ptrdiff_t ldp, float sx, const float *bias, float lo, float hi,
             float *out, ptrdiff_t rs, ptrdiff_t cs, int64_t *adds, int64_t *mults) {
    int64_t na = 0, nm = 0;
    for (int j0 = 0; j0 < N; j0 += TB) {
        int nb = N - j0 < TB ? N - j0 : TB;
        for (int i = 0; i < M; i++) {
            float facc[TB];
            for (int j = 0; j < nb; j++) facc[j] = 0.0f;
            for (int g = row_start[i]; g < row_start[i + 1]; g++) {
                int32_t s[TB];
                for (int j = 0; j < nb; j++) s[j] = 0;
                int e = gs[g], mid = gs[g] + np[g], end = gs[g + 1];
                for (; e < mid; e++) {
                    const int16_t *x = pt + (ptrdiff_t)idx[e] * ldp + j0;
                    for (int j = 0; j < nb; j++) s[j] += x[j];
                }
                for (; e < end; e++) {
                    const int16_t *x = pt + (ptrdiff_t)idx[e] * ldp + j0;
                    for (int j = 0; j < nb; j++) s[j] -= x[j];
                }
                float a = alpha[g];
                for (int j = 0; j < nb; j++) facc[j] = qb_ternary_group(facc[j], s[j], a);
                na += (int64_t)(end - gs[g]) * nb;
                nm += nb;
            }
            float b = bias ? bias[i] : 0.0f;
            for (int j = 0; j < nb; j++)
                out[i * rs + (ptrdiff_t)(j0 + j) * cs] = qb_scale_bias_clamp(facc[j], sx, b, lo, hi);
        }
    }
    *adds = na;
    *mults = nm;
}

static void ternary_portable(int M, int N, const int32_t *row_start, const int32_t *gs, const int32_t *np,
                             const int32_t *idx, const float *alpha, const int16_t *pt, ptrdiff_t ldp, float sx,
                             const float *bias, float lo, float hi, float *out, ptrdiff_t rs, ptrdiff_t cs,
                             int64_t *adds, int64_t *mults) {
    ternary_body(M, N, row_start, gs, np, idx, alpha, pt, ldp, sx, bias, lo, hi, out, rs, cs, adds, mults);
}

#ifdef QB_X86
__attribute__((target("avx2,fma"))) static void
ternary_avx2(int M, int N, const int32_t *row_start, const int32_t *gs, const int32_t *np, const int32_t *idx,
             const float *alpha, const int16_t *pt, ptrdiff_t ldp, float sx, const float *bias, float lo, float hi,
             float *out, ptrdiff_t rs, ptrdiff_t cs, int64_t *adds, int64_t *mults) {
    ternary_body(M, N, row_start, gs, np, idx, alpha, pt, ldp, sx, bias, lo, hi, out, rs, cs, adds, mults);
}
#endif

void qb_ternary_gemm(int M, int N, const int32_t *row_start, const int32_t *gs, const int32_t *np, const int32_t *idx,
                     const float *alpha, const int16_t *pt, ptrdiff_t ldp, float sx, const float *bias, float lo,
                     float hi, float *out, ptrdiff_t rs, ptrdiff_t cs, int64_t *adds, int64_t *mults) {
#ifdef QB_X86
    if (qb_kernels_have_avx2()) {
        ternary_avx2(M, N, row_start, gs, np, idx, alpha, pt, ldp, sx, bias, lo, hi, out, rs, cs, adds, mults);
        return;
    }
#endif
    ternary_portable(M, N, row_start, gs, np, idx, alpha, pt, ldp, sx, bias, lo, hi, out, rs, cs, adds, mults);
}

// ---- Power-of-two weights: a sign and a shift per weight ------------------------------------------

static inline __attribute__((always_inline)) void shift_body(int M, int N, const int32_t *row_start, const int32_t *idx,
                                                             const uint8_t *code, const float *unit, const float *mu0,
                                                             const float *mu1, const int16_t *pt, ptrdiff_t ldp,
                                                             float sx, const float *bias, float lo, float hi,
                                                             float *out, ptrdiff_t rs, ptrdiff_t cs, int64_t *shifts) {
    int64_t ns = 0;
    for (int j0 = 0; j0 < N; j0 += TB) {
        int nb = N - j0 < TB ? N - j0 : TB;
        for (int i = 0; i < M; i++) {
            int64_t s[TB];
            int32_t c0[TB], c1[TB];
            for (int j = 0; j < nb; j++) {
                s[j] = 0;
                c0[j] = 0;
                c1[j] = 0;
            }
            for (int e = row_start[i]; e < row_start[i + 1]; e++) {
                const int16_t *x = pt + (ptrdiff_t)idx[e] * ldp + j0;
                uint8_t c = code[e];
                int64_t p = (int64_t)1 << (c & 63); // a multiply by 2^e: the shift of a signed code, without C's UB
                if (c & 64) {
                    for (int j = 0; j < nb; j++) s[j] -= (int64_t)x[j] * p;
                } else {
                    for (int j = 0; j < nb; j++) s[j] += (int64_t)x[j] * p;
                }
                if (c & 128) {
                    for (int j = 0; j < nb; j++) c1[j] += x[j];
                } else {
                    for (int j = 0; j < nb; j++) c0[j] += x[j];
                }
            }
            ns += (int64_t)(row_start[i + 1] - row_start[i]) * nb;
            float b = bias ? bias[i] : 0.0f;
            double u = unit[i], m0 = mu0[i], m1 = mu1[i];
            for (int j = 0; j < nb; j++)
                out[i * rs + (ptrdiff_t)(j0 + j) * cs] = qb_shift_value(s[j], c0[j], c1[j], u, m0, m1, sx, b, lo, hi);
        }
    }
    *shifts = ns;
}

static void shift_portable(int M, int N, const int32_t *row_start, const int32_t *idx, const uint8_t *code,
                           const float *unit, const float *mu0, const float *mu1, const int16_t *pt, ptrdiff_t ldp,
                           float sx, const float *bias, float lo, float hi, float *out, ptrdiff_t rs, ptrdiff_t cs,
                           int64_t *shifts) {
    shift_body(M, N, row_start, idx, code, unit, mu0, mu1, pt, ldp, sx, bias, lo, hi, out, rs, cs, shifts);
}

#ifdef QB_X86
__attribute__((target("avx2,fma"))) static void shift_avx2(int M, int N, const int32_t *row_start, const int32_t *idx,
                                                           const uint8_t *code, const float *unit, const float *mu0,
                                                           const float *mu1, const int16_t *pt, ptrdiff_t ldp, float sx,
                                                           const float *bias, float lo, float hi, float *out,
                                                           ptrdiff_t rs, ptrdiff_t cs, int64_t *shifts) {
    shift_body(M, N, row_start, idx, code, unit, mu0, mu1, pt, ldp, sx, bias, lo, hi, out, rs, cs, shifts);
}
#endif

void qb_shift_gemm(int M, int N, const int32_t *row_start, const int32_t *idx, const uint8_t *code, const float *unit,
                   const float *mu0, const float *mu1, const int16_t *pt, ptrdiff_t ldp, float sx, const float *bias,
                   float lo, float hi, float *out, ptrdiff_t rs, ptrdiff_t cs, int64_t *shifts) {
#ifdef QB_X86
    if (qb_kernels_have_avx2()) {
        shift_avx2(M, N, row_start, idx, code, unit, mu0, mu1, pt, ldp, sx, bias, lo, hi, out, rs, cs, shifts);
        return;
    }
#endif
    shift_portable(M, N, row_start, idx, code, unit, mu0, mu1, pt, ldp, sx, bias, lo, hi, out, rs, cs, shifts);
}
