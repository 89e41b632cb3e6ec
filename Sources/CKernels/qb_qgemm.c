// Integer kernels of the quantized variants. See include/qb_kernels.h. Every kernel computes each
// output element with the same operations whatever M, N and the caller's thread split are.
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "qb_kernels.h"
#include "qb_epilogue.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define QB_X86 1
#endif

#ifdef QB_X86
static int have_avx512f(void) {
    return qb_isa() >= QB_ISA_AVX512;
}
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

#ifdef QB_X86
// out[j][i] = in[i][j] for the 8 x 8 block at (i0, j0): unpack pairs, then quads, then 128-bit halves.
__attribute__((target("avx2"))) static inline void transpose8x8_avx2(const float *in, ptrdiff_t ldi, float *out,
                                                                     ptrdiff_t ldo) {
    __m256 r[8], t[8];
    for (int u = 0; u < 8; u++) r[u] = _mm256_loadu_ps(in + (ptrdiff_t)u * ldi);
    for (int u = 0; u < 8; u += 2) {
        t[u] = _mm256_unpacklo_ps(r[u], r[u + 1]);
        t[u + 1] = _mm256_unpackhi_ps(r[u], r[u + 1]);
    }
    for (int u = 0; u < 8; u += 4) {
        r[u] = _mm256_shuffle_ps(t[u], t[u + 2], 0x44);
        r[u + 1] = _mm256_shuffle_ps(t[u], t[u + 2], 0xEE);
        r[u + 2] = _mm256_shuffle_ps(t[u + 1], t[u + 3], 0x44);
        r[u + 3] = _mm256_shuffle_ps(t[u + 1], t[u + 3], 0xEE);
    }
    for (int u = 0; u < 4; u++) {
        _mm256_storeu_ps(out + (ptrdiff_t)u * ldo, _mm256_permute2f128_ps(r[u], r[u + 4], 0x20));
        _mm256_storeu_ps(out + (ptrdiff_t)(u + 4) * ldo, _mm256_permute2f128_ps(r[u], r[u + 4], 0x31));
    }
}

// Whole 8 x 8 blocks; returns how many rows (a multiple of 8) it transposed in full.
__attribute__((target("avx2"))) static int transpose_f32_avx2(int M, int N, const float *in, ptrdiff_t ldi, float *out,
                                                              ptrdiff_t ldo) {
    int m8 = M / 8 * 8, n8 = N / 8 * 8;
    for (int i0 = 0; i0 < m8; i0 += 8) {
        for (int j0 = 0; j0 < n8; j0 += 8)
            transpose8x8_avx2(in + (ptrdiff_t)i0 * ldi + j0, ldi, out + (ptrdiff_t)j0 * ldo + i0, ldo);
        for (int j = n8; j < N; j++)
            for (int i = i0; i < i0 + 8; i++) out[(ptrdiff_t)j * ldo + i] = in[(ptrdiff_t)i * ldi + j];
    }
    return m8;
}
#endif

void qb_transpose_f32(int M, int N, const float *in, ptrdiff_t ldi, float *out, ptrdiff_t ldo) {
    enum { B = 16 };
    int first = 0;
#ifdef QB_X86
    if (qb_kernels_have_avx2()) first = transpose_f32_avx2(M, N, in, ldi, out, ldo);
#endif
    for (int i0 = first; i0 < M; i0 += B) {
        int i1 = i0 + B < M ? i0 + B : M;
        for (int j0 = 0; j0 < N; j0 += B) {
            int j1 = j0 + B < N ? j0 + B : N;
            for (int j = j0; j < j1; j++)
                for (int i = i0; i < i1; i++) out[(ptrdiff_t)j * ldo + i] = in[(ptrdiff_t)i * ldi + j];
        }
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
        for (int j = 0; j < N; j++)
            acc[(ptrdiff_t)i * N + j] = dot_portable(ld, w + (ptrdiff_t)i * ld, p + (ptrdiff_t)j * ld);
}

#ifdef QB_X86
__attribute__((target("avx2"))) static inline int32_t hsum_avx2(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

// 4 weight rows x 2 patch columns per step: 8 int32 accumulators, vpmaddwd on 16 int16 pairs.
__attribute__((target("avx2"))) static void igemm_avx2(int M, int N, int ld, const int16_t *w, const int16_t *p,
                                                       int32_t *acc) {
    enum { NB = 64 };
    for (int j0 = 0; j0 < N; j0 += NB) {
        int j1 = j0 + NB < N ? j0 + NB : N;
        int i = 0;
        for (; i + 4 <= M; i += 4) {
            const int16_t *w0 = w + (ptrdiff_t)i * ld, *w1 = w0 + ld, *w2 = w1 + ld, *w3 = w2 + ld;
            int j = j0;
            for (; j + 2 <= j1; j += 2) {
                const int16_t *p0 = p + (ptrdiff_t)j * ld, *p1 = p0 + ld;
                __m256i a00 = _mm256_setzero_si256(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00,
                        a31 = a00;
                for (int k = 0; k < ld; k += 16) {
                    __m256i b0 = _mm256_loadu_si256((const __m256i *)(p0 + k)),
                            b1 = _mm256_loadu_si256((const __m256i *)(p1 + k));
                    __m256i x = _mm256_loadu_si256((const __m256i *)(w0 + k));
                    a00 = _mm256_add_epi32(a00, _mm256_madd_epi16(x, b0));
                    a01 = _mm256_add_epi32(a01, _mm256_madd_epi16(x, b1));
                    x = _mm256_loadu_si256((const __m256i *)(w1 + k));
                    a10 = _mm256_add_epi32(a10, _mm256_madd_epi16(x, b0));
                    a11 = _mm256_add_epi32(a11, _mm256_madd_epi16(x, b1));
                    x = _mm256_loadu_si256((const __m256i *)(w2 + k));
                    a20 = _mm256_add_epi32(a20, _mm256_madd_epi16(x, b0));
                    a21 = _mm256_add_epi32(a21, _mm256_madd_epi16(x, b1));
                    x = _mm256_loadu_si256((const __m256i *)(w3 + k));
                    a30 = _mm256_add_epi32(a30, _mm256_madd_epi16(x, b0));
                    a31 = _mm256_add_epi32(a31, _mm256_madd_epi16(x, b1));
                }
                int32_t *c = acc + (ptrdiff_t)i * N + j;
                c[0] = hsum_avx2(a00);
                c[1] = hsum_avx2(a01);
                c[N] = hsum_avx2(a10);
                c[N + 1] = hsum_avx2(a11);
                c[2 * N] = hsum_avx2(a20);
                c[2 * N + 1] = hsum_avx2(a21);
                c[3 * N] = hsum_avx2(a30);
                c[3 * N + 1] = hsum_avx2(a31);
            }
            for (; j < j1; j++)
                for (int r = 0; r < 4; r++)
                    acc[(ptrdiff_t)(i + r) * N + j] =
                        dot_portable(ld, w + (ptrdiff_t)(i + r) * ld, p + (ptrdiff_t)j * ld);
        }
        for (; i < M; i++) {
            for (int j = j0; j < j1; j++) {
                const int16_t *a = w + (ptrdiff_t)i * ld, *b = p + (ptrdiff_t)j * ld;
                __m256i s = _mm256_setzero_si256();
                for (int k = 0; k < ld; k += 16)
                    s = _mm256_add_epi32(s, _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(a + k)),
                                                              _mm256_loadu_si256((const __m256i *)(b + k))));
                acc[(ptrdiff_t)i * N + j] = hsum_avx2(s);
            }
        }
    }
}
#endif

void qb_igemm_i16(int M, int N, int ld, const int16_t *w, const int16_t *p, int32_t *acc) {
#ifdef QB_X86
    if (qb_kernels_have_avx2()) {
        igemm_avx2(M, N, ld, w, p, acc);
        return;
    }
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
    int64_t r =
        (int64_t)v * ((int64_t)1 << s); // a multiply: shifting a negative value left is undefined in C (UBSan found it)
    return r > INT32_MAX ? INT32_MAX : r < INT32_MIN ? INT32_MIN : (int32_t)r;
}

static void requantize_row_scalar(int N, const int32_t *acc, int32_t b, int32_t m0, int32_t ls, int32_t rsh, int zy,
                                  int qmin, int qmax, float sy, float *out, ptrdiff_t cs) {
    for (int j = 0; j < N; j++) {
        int64_t v64 = (int64_t)acc[j] + b;
        int32_t v = v64 > INT32_MAX ? INT32_MAX : v64 < INT32_MIN ? INT32_MIN : (int32_t)v64;
        v = qb_rdbypot(qb_srdhm(saturating_shift_left(v, ls), m0), rsh);
        int64_t q = (int64_t)v + zy;
        q = q < qmin ? qmin : q > qmax ? qmax : q;
        out[j * cs] = sy * (float)(q - zy);
    }
}

#ifdef QB_X86

// The same arithmetic as requantize_row_scalar, 16 elements at a time in two int64 halves (AVX-512F),
// with two identities that hold for every int64 (m0 != INT32_MIN, checked by the caller):
// SaturatingRoundingDoublingHighMul: trunc((ab + (ab >= 0 ? 2^30 : 1 - 2^30)) / 2^31) = (ab + 2^30) >> 31;
// RoundingDivideByPOT(t, e) = (t + 2^(e-1) - (t < 0)) >> e (ties away from zero), for e >= 1.
// Then clamp to [qmin - zy, qmax - zy] and multiply by sy. Bit-identical (tested on extremes).
__attribute__((target("avx512f"))) static inline __m256i requant8(__m512i v, __m512i vb, __m512i vm0, int ls,
                                                                  __m128i cl, int e, __m128i ce, __m512i half) {
    const __m512i lo32 = _mm512_set1_epi64(INT32_MIN), hi32 = _mm512_set1_epi64(INT32_MAX),
                  round31 = _mm512_set1_epi64(1LL << 30);
    v = _mm512_min_epi64(_mm512_max_epi64(_mm512_add_epi64(v, vb), lo32), hi32);
    if (ls > 0) v = _mm512_min_epi64(_mm512_max_epi64(_mm512_sll_epi64(v, cl), lo32), hi32);
    __m512i t = _mm512_srai_epi64(_mm512_add_epi64(_mm512_mul_epi32(v, vm0), round31), 31);
    if (e > 0) t = _mm512_sra_epi64(_mm512_add_epi64(_mm512_add_epi64(t, half), _mm512_srai_epi64(t, 63)), ce);
    return _mm512_cvtsepi64_epi32(t);
}

__attribute__((target("avx512f"))) static int requantize_row_avx512(int N, const int32_t *acc, int32_t b, int32_t m0,
                                                                    int32_t ls, int32_t rsh, int zy, int qmin, int qmax,
                                                                    float sy, float *out, ptrdiff_t cs) {
    if (ls < 0) ls = 0;
    if (ls > 31) ls = 31;
    int e = rsh > 31 ? 31 : (rsh < 0 ? 0 : rsh);
    const __m512i vb = _mm512_set1_epi64(b), vm0 = _mm512_set1_epi64(m0),
                  half = _mm512_set1_epi64(e > 0 ? 1LL << (e - 1) : 0);
    const __m128i cl = _mm_cvtsi32_si128(ls), ce = _mm_cvtsi32_si128(e);
    const __m512i vmin = _mm512_set1_epi32(qmin - zy), vmax = _mm512_set1_epi32(qmax - zy);
    const __m512 vs = _mm512_set1_ps(sy);
    int j = 0;
    for (; j + 16 <= N; j += 16) {
        __m512i a = _mm512_loadu_si512(acc + j);
        __m256i r0 = requant8(_mm512_cvtepi32_epi64(_mm512_castsi512_si256(a)), vb, vm0, ls, cl, e, ce, half);
        __m256i r1 = requant8(_mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(a, 1)), vb, vm0, ls, cl, e, ce, half);
        __m512i q = _mm512_inserti64x4(_mm512_castsi256_si512(r0), r1, 1);
        q = _mm512_min_epi32(_mm512_max_epi32(q, vmin), vmax);
        __m512 f = _mm512_mul_ps(vs, _mm512_cvtepi32_ps(q));
        if (cs == 1) {
            _mm512_storeu_ps(out + j, f);
        } else {
            float tmp[16];
            _mm512_storeu_ps(tmp, f);
            for (int u = 0; u < 16; u++) out[(ptrdiff_t)(j + u) * cs] = tmp[u];
        }
    }
    return j;
}

// AVX2 (no 64-bit shifts or min/max): 8 at a time through qb_requant8_avx2 with the row's parameters in every lane.
// Rows with a left shift take the scalar form. Bit-identical (tested on extremes).
__attribute__((target("avx2,fma"))) static int requantize_row_avx2(int N, const int32_t *acc, int32_t b, int32_t m0,
                                                                   int32_t ls, int32_t rsh, int zy, int qmin, int qmax,
                                                                   float sy, float *out, ptrdiff_t cs) {
    if (ls > 0) return 0;
    int e = rsh > 31 ? 31 : (rsh < 0 ? 0 : rsh);
    const __m256i vb = _mm256_set1_epi32(b), vm0 = _mm256_set1_epi32(m0), ve = _mm256_set1_epi32(e);
    const __m256i mask = _mm256_set1_epi32((int32_t)((1LL << e) - 1)), half = _mm256_srai_epi32(mask, 1);
    const __m256i vmin = _mm256_set1_epi32(qmin - zy), vmax = _mm256_set1_epi32(qmax - zy);
    const __m256 vs = _mm256_set1_ps(sy);
    int j = 0;
    for (; j + 8 <= N; j += 8) {
        __m256 f =
            qb_requant8_avx2(_mm256_loadu_si256((const __m256i *)(acc + j)), vb, vm0, ve, mask, half, vmin, vmax, vs);
        if (cs == 1) {
            _mm256_storeu_ps(out + j, f);
        } else {
            float tmp[8];
            _mm256_storeu_ps(tmp, f);
            for (int u = 0; u < 8; u++) out[(ptrdiff_t)(j + u) * cs] = tmp[u];
        }
    }
    return j;
}
#endif

void qb_requantize(int M, int N, const int32_t *acc, const int32_t *bias, const int32_t *m0, const int32_t *lshift,
                   const int32_t *rshift, int zy, int qmin, int qmax, float sy, float *out, ptrdiff_t rs,
                   ptrdiff_t cs) {
#ifdef QB_X86
    int wide = have_avx512f(), avx2 = qb_kernels_have_avx2();
#endif
    for (int i = 0; i < M; i++) {
        int32_t b = bias ? bias[i] : 0;
        const int32_t *a = acc + (ptrdiff_t)i * N;
        float *o = out + i * rs;
        int j = 0;
#ifdef QB_X86
        if (wide && m0[i] != INT32_MIN)
            j = requantize_row_avx512(N, a, b, m0[i], lshift[i], rshift[i], zy, qmin, qmax, sy, o, cs);
        else if (avx2 && m0[i] != INT32_MIN)
            j = requantize_row_avx2(N, a, b, m0[i], lshift[i], rshift[i], zy, qmin, qmax, sy, o, cs);
#endif
        requantize_row_scalar(N - j, a + j, b, m0[i], lshift[i], rshift[i], zy, qmin, qmax, sy, o + j * cs, cs);
    }
}
