// Depthwise convolutions of the quantized variants (one input channel per output channel): int8 with
// exact int32 sums, and FGQ ternary with one float weight alpha * t per tap (groups of one weight). See
// qb_kernels.h. The AVX-512 and AVX2 forms copy each plane into a zero-bordered buffer, so no tap needs a
// bounds test, and compute 16 (AVX2 ternary: 8) output positions of a row per step; the plain forms are their
// twins, and every form gives the same bits.
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "qb_kernels.h"
#include "qb_epilogue.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define QB_X86 1
#endif

static void dwconv_portable(const int16_t *x, int channels, int ih, int iw, qb_conv_geo g, const int16_t *w, int ldw,
                            int32_t *acc) {
    int cols = g.oh * g.ow;
    for (int c = 0; c < channels; c++) {
        const int16_t *xc = x + (ptrdiff_t)c * ih * iw;
        const int16_t *wc = w + (ptrdiff_t)c * ldw;
        int32_t *ac = acc + (ptrdiff_t)c * cols;
        for (int oy = 0; oy < g.oh; oy++) {
            for (int ox = 0; ox < g.ow; ox++) {
                int32_t s = 0;
                for (int i = 0; i < g.kh; i++) {
                    int y = oy * g.sh - g.pt + i * g.dh;
                    if (y < 0 || y >= ih) continue;
                    const int16_t *row = xc + (ptrdiff_t)y * iw;
                    for (int j = 0; j < g.kw; j++) {
                        int xx = ox * g.sw - g.pl + j * g.dw;
                        if (xx < 0 || xx >= iw) continue;
                        s += (int32_t)wc[i * g.kw + j] * row[xx];
                    }
                }
                ac[oy * g.ow + ox] = s;
            }
        }
    }
}

// Every tap in order, an absent input reading 0 (fmaf(0, w, f) = f): the same operations as the vector form.
static void dwternary_portable(const int16_t *x, int channels, int ih, int iw, qb_conv_geo g, const float *w, float sx,
                               const float *bias, float lo, float hi, float *out) {
    int cols = g.oh * g.ow, taps = g.kh * g.kw;
    for (int c = 0; c < channels; c++) {
        const int16_t *xc = x + (ptrdiff_t)c * ih * iw;
        for (int oy = 0; oy < g.oh; oy++) {
            for (int ox = 0; ox < g.ow; ox++) {
                float f = 0.0f;
                for (int i = 0; i < g.kh; i++) {
                    int y = oy * g.sh - g.pt + i * g.dh;
                    for (int j = 0; j < g.kw; j++) {
                        int xx = ox * g.sw - g.pl + j * g.dw;
                        int16_t v = (y >= 0 && y < ih && xx >= 0 && xx < iw) ? xc[(ptrdiff_t)y * iw + xx] : 0;
                        f = fmaf((float)v, w[(ptrdiff_t)c * taps + i * g.kw + j], f);
                    }
                }
                out[(ptrdiff_t)c * cols + oy * g.ow + ox] = qb_scale_bias_clamp(f, sx, bias ? bias[c] : 0.0f, lo, hi);
            }
        }
    }
}

#ifdef QB_X86
// The zero-bordered plane buffer (per thread, kept between calls): rows cover every y the windows read,
// columns every x plus the slack of a 32-lane load. NULL when the geometry is not handled.
static int16_t *dw_buffer(qb_conv_geo g, int *pw) {
    if ((g.sw != 1 && g.sw != 2) || g.kh * g.kw > 64) return NULL;
    int ph = (g.oh - 1) * g.sh + (g.kh - 1) * g.dh + 1;
    *pw = ((g.ow + 15) / 16 * 16 - 1) * g.sw + (g.kw - 1) * g.dw + 33;
    static __thread int16_t *pad = NULL;
    static __thread size_t cap = 0;
    size_t need = (size_t)ph * (size_t)*pw;
    if (cap < need) {
        int16_t *grown = (int16_t *)realloc(pad, need * sizeof(int16_t));
        if (!grown) return NULL;
        pad = grown;
        cap = need;
    }
    memset(pad, 0, need * sizeof(int16_t));
    return pad;
}

// Copies plane xc into the buffer; the next plane overwrites the same cells, the border stays zero.
static void dw_fill(int16_t *pad, int pw, const int16_t *xc, int ih, int iw, qb_conv_geo g) {
    int ph = (g.oh - 1) * g.sh + (g.kh - 1) * g.dh + 1;
    for (int y = 0; y < ph; y++) {
        int sy = y - g.pt;
        if (sy < 0 || sy >= ih) continue;
        int n = iw < pw - g.pl ? iw : pw - g.pl;
        memcpy(pad + (ptrdiff_t)y * pw + g.pl, xc + (ptrdiff_t)sy * iw, (size_t)n * sizeof(int16_t));
    }
}

// The 16 inputs of tap (i, j) for positions ox.. of row oy, widened to int32: stride 1 directly, stride 2
// as the even int16 lanes of 32.
__attribute__((target("avx512f,avx512bw"))) static inline __m512i dw_taps(const int16_t *pad, int pw, qb_conv_geo g,
                                                                          int oy, int ox, int i, int j) {
    const int16_t *r = pad + (ptrdiff_t)(oy * g.sh + i * g.dh) * pw + (ptrdiff_t)ox * g.sw + j * g.dw;
    if (g.sw == 1) return _mm512_cvtepi16_epi32(_mm256_loadu_si256((const __m256i *)r));
    return _mm512_srai_epi32(_mm512_slli_epi32(_mm512_loadu_si512(r), 16), 16);
}

__attribute__((target("avx512f,avx512bw"))) static int
dwconv_avx512(const int16_t *x, int channels, int ih, int iw, qb_conv_geo g, const int16_t *w, int ldw, int32_t *acc) {
    int pw, cols = g.oh * g.ow, taps = g.kh * g.kw;
    int16_t *pad = dw_buffer(g, &pw);
    if (!pad) return 0;
    for (int c = 0; c < channels; c++) {
        dw_fill(pad, pw, x + (ptrdiff_t)c * ih * iw, ih, iw, g);
        __m512i wv[64];
        for (int t = 0; t < taps; t++) wv[t] = _mm512_set1_epi32(w[(ptrdiff_t)c * ldw + t]);
        int32_t *ac = acc + (ptrdiff_t)c * cols;
        for (int oy = 0; oy < g.oh; oy++) {
            for (int ox = 0; ox < g.ow; ox += 16) {
                __m512i s = _mm512_setzero_si512();
                for (int i = 0; i < g.kh; i++)
                    for (int j = 0; j < g.kw; j++)
                        s = _mm512_add_epi32(s,
                                             _mm512_mullo_epi32(dw_taps(pad, pw, g, oy, ox, i, j), wv[i * g.kw + j]));
                int left = g.ow - ox;
                _mm512_mask_storeu_epi32(ac + (ptrdiff_t)oy * g.ow + ox,
                                         left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1), s);
            }
        }
    }
    return 1;
}

__attribute__((target("avx512f,avx512bw"))) static int dwternary_avx512(const int16_t *x, int channels, int ih, int iw,
                                                                        qb_conv_geo g, const float *w, float sx,
                                                                        const float *bias, float lo, float hi,
                                                                        float *out) {
    int pw, cols = g.oh * g.ow, taps = g.kh * g.kw;
    int16_t *pad = dw_buffer(g, &pw);
    if (!pad) return 0;
    const __m512 vsx = _mm512_set1_ps(sx), vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
    for (int c = 0; c < channels; c++) {
        dw_fill(pad, pw, x + (ptrdiff_t)c * ih * iw, ih, iw, g);
        __m512 wv[64];
        for (int t = 0; t < taps; t++) wv[t] = _mm512_set1_ps(w[(ptrdiff_t)c * taps + t]);
        const __m512 vb = _mm512_set1_ps(bias ? bias[c] : 0.0f);
        float *oc = out + (ptrdiff_t)c * cols;
        for (int oy = 0; oy < g.oh; oy++) {
            for (int ox = 0; ox < g.ow; ox += 16) {
                __m512 f = _mm512_setzero_ps();
                for (int i = 0; i < g.kh; i++)
                    for (int j = 0; j < g.kw; j++)
                        f = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dw_taps(pad, pw, g, oy, ox, i, j)), wv[i * g.kw + j], f);
                __m512 v = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(_mm512_mul_ps(f, vsx), vb), vlo), vhi);
                int left = g.ow - ox;
                _mm512_mask_storeu_ps(oc + (ptrdiff_t)oy * g.ow + ox,
                                      left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1), v);
            }
        }
    }
    return 1;
}

// AVX2: the 16 int16 inputs of tap (i, j) for positions ox.. of row oy (stride 2: the even lanes of 32, packed
// back in order).
__attribute__((target("avx2,fma"))) static inline __m256i dw_taps16_avx2(const int16_t *pad, int pw, qb_conv_geo g,
                                                                         int oy, int ox, int i, int j) {
    const int16_t *r = pad + (ptrdiff_t)(oy * g.sh + i * g.dh) * pw + (ptrdiff_t)ox * g.sw + j * g.dw;
    if (g.sw == 1) return _mm256_loadu_si256((const __m256i *)r);
    __m256i a = _mm256_srai_epi32(_mm256_slli_epi32(_mm256_loadu_si256((const __m256i *)r), 16), 16);
    __m256i b = _mm256_srai_epi32(_mm256_slli_epi32(_mm256_loadu_si256((const __m256i *)(r + 16)), 16), 16);
    return _mm256_permute4x64_epi64(_mm256_packs_epi32(a, b), 0xD8);
}

// AVX2 int8 depthwise: two taps of a row at a time, their inputs interleaved per position and multiplied with the
// weight pair by vpmaddwd (exact int32); positions 0-3, 8-11 and 4-7, 12-15 in two accumulators, reordered at the end.
__attribute__((target("avx2,fma"))) static int dwconv_avx2(const int16_t *x, int channels, int ih, int iw,
                                                           qb_conv_geo g, const int16_t *w, int ldw, int32_t *acc) {
    int pw, cols = g.oh * g.ow;
    int16_t *pad = dw_buffer(g, &pw);
    if (!pad) return 0;
    for (int c = 0; c < channels; c++) {
        dw_fill(pad, pw, x + (ptrdiff_t)c * ih * iw, ih, iw, g);
        __m256i wv[64];
        int pairs = 0;
        for (int i = 0; i < g.kh; i++)
            for (int j = 0; j < g.kw; j += 2) {
                uint16_t w0 = (uint16_t)w[(ptrdiff_t)c * ldw + i * g.kw + j],
                         w1 = j + 1 < g.kw ? (uint16_t)w[(ptrdiff_t)c * ldw + i * g.kw + j + 1] : 0;
                wv[pairs++] = _mm256_set1_epi32((int32_t)((uint32_t)w0 | (uint32_t)w1 << 16));
            }
        int32_t *ac = acc + (ptrdiff_t)c * cols;
        for (int oy = 0; oy < g.oh; oy++) {
            for (int ox = 0; ox < g.ow; ox += 16) {
                __m256i lo = _mm256_setzero_si256(), hi = lo;
                int p = 0;
                for (int i = 0; i < g.kh; i++) {
                    for (int j = 0; j < g.kw; j += 2, p++) {
                        __m256i a = dw_taps16_avx2(pad, pw, g, oy, ox, i, j);
                        __m256i b = j + 1 < g.kw ? dw_taps16_avx2(pad, pw, g, oy, ox, i, j + 1) : a;
                        lo = _mm256_add_epi32(lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(a, b), wv[p]));
                        hi = _mm256_add_epi32(hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(a, b), wv[p]));
                    }
                }
                int32_t t[16];
                _mm256_storeu_si256((__m256i *)t, _mm256_permute2x128_si256(lo, hi, 0x20));
                _mm256_storeu_si256((__m256i *)(t + 8), _mm256_permute2x128_si256(lo, hi, 0x31));
                int left = g.ow - ox < 16 ? g.ow - ox : 16;
                memcpy(ac + (ptrdiff_t)oy * g.ow + ox, t, (size_t)left * sizeof(int32_t));
            }
        }
    }
    return 1;
}

// AVX2 ternary depthwise: 8 positions per step, every tap in order by fused multiply-add (the twin's operations).
__attribute__((target("avx2,fma"))) static int dwternary_avx2(const int16_t *x, int channels, int ih, int iw,
                                                              qb_conv_geo g, const float *w, float sx,
                                                              const float *bias, float lo, float hi, float *out) {
    int pw, cols = g.oh * g.ow, taps = g.kh * g.kw;
    int16_t *pad = dw_buffer(g, &pw);
    if (!pad) return 0;
    const __m256 vsx = _mm256_set1_ps(sx), vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
    for (int c = 0; c < channels; c++) {
        dw_fill(pad, pw, x + (ptrdiff_t)c * ih * iw, ih, iw, g);
        __m256 wv[64];
        for (int t = 0; t < taps; t++) wv[t] = _mm256_set1_ps(w[(ptrdiff_t)c * taps + t]);
        const __m256 vb = _mm256_set1_ps(bias ? bias[c] : 0.0f);
        float *oc = out + (ptrdiff_t)c * cols;
        for (int oy = 0; oy < g.oh; oy++) {
            for (int ox = 0; ox < g.ow; ox += 8) {
                __m256 f = _mm256_setzero_ps();
                for (int i = 0; i < g.kh; i++) {
                    for (int j = 0; j < g.kw; j++) {
                        const int16_t *r =
                            pad + (ptrdiff_t)(oy * g.sh + i * g.dh) * pw + (ptrdiff_t)ox * g.sw + j * g.dw;
                        __m256i v =
                            g.sw == 1
                                ? _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)r))
                                : _mm256_srai_epi32(_mm256_slli_epi32(_mm256_loadu_si256((const __m256i *)r), 16), 16);
                        f = _mm256_fmadd_ps(_mm256_cvtepi32_ps(v), wv[i * g.kw + j], f);
                    }
                }
                float t[8];
                _mm256_storeu_ps(t, _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(_mm256_mul_ps(f, vsx), vb), vlo), vhi));
                int left = g.ow - ox < 8 ? g.ow - ox : 8;
                memcpy(oc + (ptrdiff_t)oy * g.ow + ox, t, (size_t)left * sizeof(float));
            }
        }
    }
    return 1;
}

static int have_avx512bw(void) {
    return qb_isa() >= QB_ISA_AVX512;
}
#endif

void qb_dwconv_i16(const int16_t *x, int channels, int ih, int iw, qb_conv_geo g, const int16_t *w, int ldw,
                   int32_t *acc) {
#ifdef QB_X86
    if (have_avx512bw() && dwconv_avx512(x, channels, ih, iw, g, w, ldw, acc)) return;
    if (qb_kernels_have_avx2() && dwconv_avx2(x, channels, ih, iw, g, w, ldw, acc)) return;
#endif
    dwconv_portable(x, channels, ih, iw, g, w, ldw, acc);
}

void qb_dwternary_i16(const int16_t *x, int channels, int ih, int iw, qb_conv_geo g, const float *w, float sx,
                      const float *bias, float lo, float hi, float *out) {
#ifdef QB_X86
    if (have_avx512bw() && dwternary_avx512(x, channels, ih, iw, g, w, sx, bias, lo, hi, out)) return;
    if (qb_kernels_have_avx2() && dwternary_avx2(x, channels, ih, iw, g, w, sx, bias, lo, hi, out)) return;
#endif
    dwternary_portable(x, channels, ih, iw, g, w, sx, bias, lo, hi, out);
}
