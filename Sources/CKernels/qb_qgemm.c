// Integer kernels of the quantized variants. See include/qb_kernels.h. Every kernel computes each
// output element with the same operations whatever M, N and the caller's thread split are.
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "qb_kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define QB_X86 1
#endif

void qb_im2col_i16(const int16_t *x, int channels, int ih, int iw, qb_conv_geo g, int16_t *col, ptrdiff_t ldc) {
    for (int c = 0; c < channels; c++) {
        const int16_t *plane = x + (ptrdiff_t)c * ih * iw;
        for (int ki = 0; ki < g.kh; ki++) {
            for (int kj = 0; kj < g.kw; kj++) {
                int16_t *dst = col + ((ptrdiff_t)(c * g.kh + ki) * g.kw + kj) * ldc;
                for (int oy = 0; oy < g.oh; oy++) {
                    int16_t *line = dst + (ptrdiff_t)oy * g.ow;
                    int y = oy * g.sh - g.pt + ki * g.dh;
                    for (int ox = 0; ox < g.ow; ox++) {
                        int xx = ox * g.sw - g.pl + kj * g.dw;
                        line[ox] = (y >= 0 && y < ih && xx >= 0 && xx < iw) ? plane[(ptrdiff_t)y * iw + xx] : 0;
                    }
                }
            }
        }
    }
}

void qb_im2row_i16(const int16_t *x, int channels, int ih, int iw, qb_conv_geo g, int16_t *out, ptrdiff_t ld) {
    const int taps = g.kh * g.kw, k = channels * taps;
    for (int oy = 0; oy < g.oh; oy++) {
        for (int ox = 0; ox < g.ow; ox++) {
            int16_t *dst = out + ((ptrdiff_t)oy * g.ow + ox) * ld;
            for (int ki = 0; ki < g.kh; ki++) {
                int y = oy * g.sh - g.pt + ki * g.dh;
                for (int kj = 0; kj < g.kw; kj++) {
                    int xx = ox * g.sw - g.pl + kj * g.dw;
                    int16_t *d = dst + ki * g.kw + kj;
                    if (y < 0 || y >= ih || xx < 0 || xx >= iw) {
                        for (int c = 0; c < channels; c++) d[(ptrdiff_t)c * taps] = 0;
                    } else {
                        const int16_t *src = x + (ptrdiff_t)y * iw + xx;
                        for (int c = 0; c < channels; c++) d[(ptrdiff_t)c * taps] = src[(ptrdiff_t)c * ih * iw];
                    }
                }
            }
            for (ptrdiff_t p = k; p < ld; p++) dst[p] = 0;
        }
    }
}

void qb_quantize_i16(const float *x, ptrdiff_t n, float scale, int zp, int qmax, int16_t *out) {
    const float lo = (float)(-zp), hi = (float)(qmax - zp);
    for (ptrdiff_t i = 0; i < n; i++) {
        float v = roundf(x[i] / scale);
        if (v != v) v = 0.0f;
        v = v < lo ? lo : (v > hi ? hi : v);
        out[i] = (int16_t)v;
    }
}

void qb_transpose_i16(int K, int N, const int16_t *in, ptrdiff_t ldi, int16_t *out, ptrdiff_t ldo) {
    enum { B = 32 };
    for (int j0 = 0; j0 < N; j0 += B) {
        int j1 = j0 + B < N ? j0 + B : N;
        for (int k0 = 0; k0 < K; k0 += B) {
            int k1 = k0 + B < K ? k0 + B : K;
            for (int j = j0; j < j1; j++)
                for (int k = k0; k < k1; k++) out[(ptrdiff_t)j * ldo + k] = in[(ptrdiff_t)k * ldi + j];
        }
        for (int j = j0; j < j1; j++)
            for (ptrdiff_t k = K; k < ldo; k++) out[(ptrdiff_t)j * ldo + k] = 0;
    }
}

// ---- int8 GEMM on int16-widened operands --------------------------------------------------------

static int32_t dot_portable(int ld, const int16_t *a, const int16_t *b) {
    int32_t s = 0;
    for (int k = 0; k < ld; k++) s += (int32_t)a[k] * b[k];
    return s;
}

static void igemm_portable(int M, int N, int ld, const int16_t *w, const int16_t *p, int32_t *acc) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) acc[(ptrdiff_t)i * N + j] = dot_portable(ld, w + (ptrdiff_t)i * ld, p + (ptrdiff_t)j * ld);
}

#ifdef QB_X86
__attribute__((target("avx2"))) static inline int32_t hsum_avx2(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

// 4 weight rows x 2 patch columns per step: 8 int32 accumulators, vpmaddwd on 16 int16 pairs.
__attribute__((target("avx2")))
static void igemm_avx2(int M, int N, int ld, const int16_t *w, const int16_t *p, int32_t *acc) {
    enum { NB = 64 };
    for (int j0 = 0; j0 < N; j0 += NB) {
        int j1 = j0 + NB < N ? j0 + NB : N;
        int i = 0;
        for (; i + 4 <= M; i += 4) {
            const int16_t *w0 = w + (ptrdiff_t)i * ld, *w1 = w0 + ld, *w2 = w1 + ld, *w3 = w2 + ld;
            int j = j0;
            for (; j + 2 <= j1; j += 2) {
                const int16_t *p0 = p + (ptrdiff_t)j * ld, *p1 = p0 + ld;
                __m256i a00 = _mm256_setzero_si256(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
                for (int k = 0; k < ld; k += 16) {
                    __m256i b0 = _mm256_loadu_si256((const __m256i *)(p0 + k)), b1 = _mm256_loadu_si256((const __m256i *)(p1 + k));
                    __m256i x = _mm256_loadu_si256((const __m256i *)(w0 + k));
                    a00 = _mm256_add_epi32(a00, _mm256_madd_epi16(x, b0)); a01 = _mm256_add_epi32(a01, _mm256_madd_epi16(x, b1));
                    x = _mm256_loadu_si256((const __m256i *)(w1 + k));
                    a10 = _mm256_add_epi32(a10, _mm256_madd_epi16(x, b0)); a11 = _mm256_add_epi32(a11, _mm256_madd_epi16(x, b1));
                    x = _mm256_loadu_si256((const __m256i *)(w2 + k));
                    a20 = _mm256_add_epi32(a20, _mm256_madd_epi16(x, b0)); a21 = _mm256_add_epi32(a21, _mm256_madd_epi16(x, b1));
                    x = _mm256_loadu_si256((const __m256i *)(w3 + k));
                    a30 = _mm256_add_epi32(a30, _mm256_madd_epi16(x, b0)); a31 = _mm256_add_epi32(a31, _mm256_madd_epi16(x, b1));
                }
                int32_t *c = acc + (ptrdiff_t)i * N + j;
                c[0] = hsum_avx2(a00); c[1] = hsum_avx2(a01);
                c[N] = hsum_avx2(a10); c[N + 1] = hsum_avx2(a11);
                c[2 * N] = hsum_avx2(a20); c[2 * N + 1] = hsum_avx2(a21);
                c[3 * N] = hsum_avx2(a30); c[3 * N + 1] = hsum_avx2(a31);
            }
            for (; j < j1; j++)
                for (int r = 0; r < 4; r++) acc[(ptrdiff_t)(i + r) * N + j] = dot_portable(ld, w + (ptrdiff_t)(i + r) * ld, p + (ptrdiff_t)j * ld);
        }
        for (; i < M; i++) {
            for (int j = j0; j < j1; j++) {
                const int16_t *a = w + (ptrdiff_t)i * ld, *b = p + (ptrdiff_t)j * ld;
                __m256i s = _mm256_setzero_si256();
                for (int k = 0; k < ld; k += 16)
                    s = _mm256_add_epi32(s, _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(a + k)), _mm256_loadu_si256((const __m256i *)(b + k))));
                acc[(ptrdiff_t)i * N + j] = hsum_avx2(s);
            }
        }
    }
}
#endif

void qb_igemm_i16(int M, int N, int ld, const int16_t *w, const int16_t *p, int32_t *acc) {
#ifdef QB_X86
    if (qb_kernels_have_avx2()) { igemm_avx2(M, N, ld, w, p, acc); return; }
#endif
    igemm_portable(M, N, ld, w, p, acc);
}

// ---- Requantization (gemmlowp's fixed-point arithmetic) -----------------------------------------

int32_t qb_srdhm(int32_t a, int32_t b) {
    if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
    int64_t ab = (int64_t)a * (int64_t)b;
    int64_t nudge = ab >= 0 ? (1LL << 30) : (1 - (1LL << 30));
    return (int32_t)((ab + nudge) / (1LL << 31));
}

int32_t qb_rdbypot(int32_t x, int exponent) {
    if (exponent <= 0) return x;
    if (exponent > 31) exponent = 31;
    int32_t mask = (int32_t)((1LL << exponent) - 1);
    int32_t remainder = x & mask;
    int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

static int32_t saturating_shift_left(int32_t v, int s) {
    if (s <= 0) return v;
    if (s > 31) s = 31;
    int64_t r = (int64_t)v << s;
    return r > INT32_MAX ? INT32_MAX : r < INT32_MIN ? INT32_MIN : (int32_t)r;
}

void qb_requantize(int M, int N, const int32_t *acc, const int32_t *bias, const int32_t *m0, const int32_t *lshift,
                   const int32_t *rshift, int zy, int qmin, int qmax, float sy, float *out, ptrdiff_t rs, ptrdiff_t cs) {
    for (int i = 0; i < M; i++) {
        int32_t b = bias ? bias[i] : 0;
        for (int j = 0; j < N; j++) {
            int64_t v64 = (int64_t)acc[(ptrdiff_t)i * N + j] + b;
            int32_t v = v64 > INT32_MAX ? INT32_MAX : v64 < INT32_MIN ? INT32_MIN : (int32_t)v64;
            v = qb_rdbypot(qb_srdhm(saturating_shift_left(v, lshift[i]), m0[i]), rshift[i]);
            int64_t q = (int64_t)v + zy;
            q = q < qmin ? qmin : q > qmax ? qmax : q;
            out[i * rs + j * cs] = sy * (float)(q - zy);
        }
    }
}

// ---- FGQ ternary: additions and subtractions within a group, one multiply per group ----------------

enum { TB = 64 };  // columns per block: the accumulators stay in L1

static inline __attribute__((always_inline))
void ternary_body(int M, int N, const int32_t *row_start, const int32_t *gs, const int32_t *np, const int32_t *idx,
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
                for (int j = 0; j < nb; j++) facc[j] += a * (float)s[j];
                na += (int64_t)(end - gs[g]) * nb;
                nm += nb;
            }
            float b = bias ? bias[i] : 0.0f;
            for (int j = 0; j < nb; j++) {
                float v = sx * facc[j] + b;
                v = v < lo ? lo : v;
                out[i * rs + (ptrdiff_t)(j0 + j) * cs] = v > hi ? hi : v;
            }
        }
    }
    *adds = na;
    *mults = nm;
}

static void ternary_portable(int M, int N, const int32_t *row_start, const int32_t *gs, const int32_t *np, const int32_t *idx,
                             const float *alpha, const int16_t *pt, ptrdiff_t ldp, float sx, const float *bias, float lo, float hi,
                             float *out, ptrdiff_t rs, ptrdiff_t cs, int64_t *adds, int64_t *mults) {
    ternary_body(M, N, row_start, gs, np, idx, alpha, pt, ldp, sx, bias, lo, hi, out, rs, cs, adds, mults);
}

#ifdef QB_X86
__attribute__((target("avx2,fma")))
static void ternary_avx2(int M, int N, const int32_t *row_start, const int32_t *gs, const int32_t *np, const int32_t *idx,
                         const float *alpha, const int16_t *pt, ptrdiff_t ldp, float sx, const float *bias, float lo, float hi,
                         float *out, ptrdiff_t rs, ptrdiff_t cs, int64_t *adds, int64_t *mults) {
    ternary_body(M, N, row_start, gs, np, idx, alpha, pt, ldp, sx, bias, lo, hi, out, rs, cs, adds, mults);
}
#endif

void qb_ternary_gemm(int M, int N, const int32_t *row_start, const int32_t *gs, const int32_t *np, const int32_t *idx,
                     const float *alpha, const int16_t *pt, ptrdiff_t ldp, float sx, const float *bias, float lo, float hi,
                     float *out, ptrdiff_t rs, ptrdiff_t cs, int64_t *adds, int64_t *mults) {
#ifdef QB_X86
    if (qb_kernels_have_avx2()) {
        ternary_avx2(M, N, row_start, gs, np, idx, alpha, pt, ldp, sx, bias, lo, hi, out, rs, cs, adds, mults);
        return;
    }
#endif
    ternary_portable(M, N, row_start, gs, np, idx, alpha, pt, ldp, sx, bias, lo, hi, out, rs, cs, adds, mults);
}

// ---- Power-of-two weights: a sign and a shift per weight ------------------------------------------

static inline __attribute__((always_inline))
void shift_body(int M, int N, const int32_t *row_start, const int32_t *idx, const uint8_t *code, const float *unit,
                const float *mu0, const float *mu1, const int16_t *pt, ptrdiff_t ldp, float sx, const float *bias,
                float lo, float hi, float *out, ptrdiff_t rs, ptrdiff_t cs, int64_t *shifts) {
    int64_t ns = 0;
    for (int j0 = 0; j0 < N; j0 += TB) {
        int nb = N - j0 < TB ? N - j0 : TB;
        for (int i = 0; i < M; i++) {
            int64_t s[TB];
            int32_t c0[TB], c1[TB];
            for (int j = 0; j < nb; j++) { s[j] = 0; c0[j] = 0; c1[j] = 0; }
            for (int e = row_start[i]; e < row_start[i + 1]; e++) {
                const int16_t *x = pt + (ptrdiff_t)idx[e] * ldp + j0;
                uint8_t c = code[e];
                int64_t p = (int64_t)1 << (c & 63);  // a multiply by 2^e: the shift of a signed code, without C's UB
                if (c & 64) { for (int j = 0; j < nb; j++) s[j] -= (int64_t)x[j] * p; }
                else { for (int j = 0; j < nb; j++) s[j] += (int64_t)x[j] * p; }
                if (c & 128) { for (int j = 0; j < nb; j++) c1[j] += x[j]; }
                else { for (int j = 0; j < nb; j++) c0[j] += x[j]; }
            }
            ns += (int64_t)(row_start[i + 1] - row_start[i]) * nb;
            float b = bias ? bias[i] : 0.0f;
            double u = unit[i], m0 = mu0[i], m1 = mu1[i];
            for (int j = 0; j < nb; j++) {
                float v = sx * (float)(u * (double)s[j] + m0 * c0[j] + m1 * c1[j]) + b;
                v = v < lo ? lo : v;
                out[i * rs + (ptrdiff_t)(j0 + j) * cs] = v > hi ? hi : v;
            }
        }
    }
    *shifts = ns;
}

static void shift_portable(int M, int N, const int32_t *row_start, const int32_t *idx, const uint8_t *code, const float *unit,
                           const float *mu0, const float *mu1, const int16_t *pt, ptrdiff_t ldp, float sx, const float *bias,
                           float lo, float hi, float *out, ptrdiff_t rs, ptrdiff_t cs, int64_t *shifts) {
    shift_body(M, N, row_start, idx, code, unit, mu0, mu1, pt, ldp, sx, bias, lo, hi, out, rs, cs, shifts);
}

#ifdef QB_X86
__attribute__((target("avx2,fma")))
static void shift_avx2(int M, int N, const int32_t *row_start, const int32_t *idx, const uint8_t *code, const float *unit,
                       const float *mu0, const float *mu1, const int16_t *pt, ptrdiff_t ldp, float sx, const float *bias,
                       float lo, float hi, float *out, ptrdiff_t rs, ptrdiff_t cs, int64_t *shifts) {
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

// ---- int8 GEMM with AVX-512 VNNI (u8 x s8, exact int32 accumulation) ---------------------------
//
// vpdpbusd multiplies 4 unsigned bytes by 4 signed bytes and adds the 4 products to an int32 lane,
// without the int16 saturation of vpmaddubsw. The centered codes p = q - Z are turned back into the
// unsigned codes q = p + Z (in [0, 255]) while packing, and Z * sum_k w[k] is subtracted at the end:
// sum_k w (q - Z) = sum_k w q - Z sum_k w, every term exact in int32 (the caller bounds ld * 127 * 255).

int qb_kernels_have_vnni(void) {
#ifdef QB_X86
    if (qb_kernels_have_avx2() == 0) return 0;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni");
#else
    return 0;
#endif
}

int qb_vnni_ld(int depth) { return (depth + 63) / 64 * 64; }

#ifdef QB_X86
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static void igemm_vnni(int M, int N, int ld8, const int8_t *w, const uint8_t *q, int32_t *acc) {
    int i = 0;
    for (; i + 4 <= M; i += 4) {
        const int8_t *w0 = w + (ptrdiff_t)i * ld8, *w1 = w0 + ld8, *w2 = w1 + ld8, *w3 = w2 + ld8;
        int j = 0;
        for (; j + 4 <= N; j += 4) {
            const uint8_t *q0 = q + (ptrdiff_t)j * ld8, *q1 = q0 + ld8, *q2 = q1 + ld8, *q3 = q2 + ld8;
            __m512i c[4][4];
            for (int a = 0; a < 4; a++) for (int b = 0; b < 4; b++) c[a][b] = _mm512_setzero_si512();
            for (int k = 0; k < ld8; k += 64) {
                __m512i x0 = _mm512_loadu_si512(q0 + k), x1 = _mm512_loadu_si512(q1 + k);
                __m512i x2 = _mm512_loadu_si512(q2 + k), x3 = _mm512_loadu_si512(q3 + k);
                __m512i y = _mm512_loadu_si512(w0 + k);
                c[0][0] = _mm512_dpbusd_epi32(c[0][0], x0, y); c[0][1] = _mm512_dpbusd_epi32(c[0][1], x1, y);
                c[0][2] = _mm512_dpbusd_epi32(c[0][2], x2, y); c[0][3] = _mm512_dpbusd_epi32(c[0][3], x3, y);
                y = _mm512_loadu_si512(w1 + k);
                c[1][0] = _mm512_dpbusd_epi32(c[1][0], x0, y); c[1][1] = _mm512_dpbusd_epi32(c[1][1], x1, y);
                c[1][2] = _mm512_dpbusd_epi32(c[1][2], x2, y); c[1][3] = _mm512_dpbusd_epi32(c[1][3], x3, y);
                y = _mm512_loadu_si512(w2 + k);
                c[2][0] = _mm512_dpbusd_epi32(c[2][0], x0, y); c[2][1] = _mm512_dpbusd_epi32(c[2][1], x1, y);
                c[2][2] = _mm512_dpbusd_epi32(c[2][2], x2, y); c[2][3] = _mm512_dpbusd_epi32(c[2][3], x3, y);
                y = _mm512_loadu_si512(w3 + k);
                c[3][0] = _mm512_dpbusd_epi32(c[3][0], x0, y); c[3][1] = _mm512_dpbusd_epi32(c[3][1], x1, y);
                c[3][2] = _mm512_dpbusd_epi32(c[3][2], x2, y); c[3][3] = _mm512_dpbusd_epi32(c[3][3], x3, y);
            }
            for (int a = 0; a < 4; a++)
                for (int b = 0; b < 4; b++) acc[(ptrdiff_t)(i + a) * N + j + b] = _mm512_reduce_add_epi32(c[a][b]);
        }
        for (; j < N; j++) {
            const uint8_t *q0 = q + (ptrdiff_t)j * ld8;
            __m512i c0 = _mm512_setzero_si512(), c1 = c0, c2 = c0, c3 = c0;
            for (int k = 0; k < ld8; k += 64) {
                __m512i x = _mm512_loadu_si512(q0 + k);
                c0 = _mm512_dpbusd_epi32(c0, x, _mm512_loadu_si512(w0 + k));
                c1 = _mm512_dpbusd_epi32(c1, x, _mm512_loadu_si512(w1 + k));
                c2 = _mm512_dpbusd_epi32(c2, x, _mm512_loadu_si512(w2 + k));
                c3 = _mm512_dpbusd_epi32(c3, x, _mm512_loadu_si512(w3 + k));
            }
            acc[(ptrdiff_t)i * N + j] = _mm512_reduce_add_epi32(c0);
            acc[(ptrdiff_t)(i + 1) * N + j] = _mm512_reduce_add_epi32(c1);
            acc[(ptrdiff_t)(i + 2) * N + j] = _mm512_reduce_add_epi32(c2);
            acc[(ptrdiff_t)(i + 3) * N + j] = _mm512_reduce_add_epi32(c3);
        }
    }
    for (; i < M; i++) {
        const int8_t *w0 = w + (ptrdiff_t)i * ld8;
        for (int j = 0; j < N; j++) {
            const uint8_t *q0 = q + (ptrdiff_t)j * ld8;
            __m512i c0 = _mm512_setzero_si512();
            for (int k = 0; k < ld8; k += 64) c0 = _mm512_dpbusd_epi32(c0, _mm512_loadu_si512(q0 + k), _mm512_loadu_si512(w0 + k));
            acc[(ptrdiff_t)i * N + j] = _mm512_reduce_add_epi32(c0);
        }
    }
}
#endif

int qb_igemm_vnni(int M, int N, int ld, int ld8, const int8_t *w, const int32_t *wsum, const int16_t *p, int zp, int32_t *acc) {
#ifdef QB_X86
    if (!qb_kernels_have_vnni() || ld8 % 64 != 0 || ld > ld8 || zp < 0 || zp > 255) return 0;
    enum { NB = 256 };
    uint8_t *q = (uint8_t *)malloc((size_t)NB * (size_t)ld8);
    if (!q) return 0;
    int32_t *part = (int32_t *)malloc((size_t)M * NB * sizeof(int32_t));
    if (!part) { free(q); return 0; }
    for (int j0 = 0; j0 < N; j0 += NB) {
        int n = N - j0 < NB ? N - j0 : NB;
        for (int j = 0; j < n; j++) {
            const int16_t *src = p + (ptrdiff_t)(j0 + j) * ld;
            uint8_t *dst = q + (ptrdiff_t)j * ld8;
            for (int k = 0; k < ld; k++) dst[k] = (uint8_t)(src[k] + zp);
            for (int k = ld; k < ld8; k++) dst[k] = 0;
        }
        igemm_vnni(M, n, ld8, w, q, part);
        for (int i = 0; i < M; i++) {
            int32_t corr = (int32_t)zp * wsum[i];
            for (int j = 0; j < n; j++) acc[(ptrdiff_t)i * N + j0 + j] = part[(ptrdiff_t)i * n + j] - corr;
        }
    }
    free(part);
    free(q);
    return 1;
#else
    (void)M; (void)N; (void)ld; (void)ld8; (void)w; (void)wsum; (void)p; (void)zp; (void)acc;
    return 0;
#endif
}
