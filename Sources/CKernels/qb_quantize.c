// Activations to integer codes (see include/qb_kernels.h): the one formula of AffineQuant.centered,
// q = clamp(round(x / scale), -zp, qmax - zp), round half away from zero, NaN -> 0, on every path.
#include <math.h>
#include <stdint.h>
#include "qb_kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define QB_X86 1
#endif

#ifdef QB_X86
// The scalar formula 8 at a time. The quotient is first taken as x * (1 / scale), which rounds twice, so it is within
// |v| 2^-22 of the IEEE quotient (relative errors of 2^-24 each); the two round to different codes only when a half
// boundary k + 1/2 lies between them. A vector with a lane within |v| 2^-20 of one (|frac(|v|) - 1/2| <= |v| 2^-20,
// always true from |v| >= 2^22), or not a number (NaN, infinities), takes the IEEE division instead, so every code is
// the scalar one. Then round half away from zero from the exact fraction v - trunc(v), NaN -> 0, clamp. Bit-identical
// (tested against Swift).
__attribute__((target("avx2,fma"))) static inline __m256i centered8_avx2(const float *x, __m256 vs, __m256 vinv,
                                                                         __m256 vlo, __m256 vhi) {
    const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f), sign = _mm256_set1_ps(-0.0f);
    const __m256 margin = _mm256_set1_ps(0x1p-20f);
    __m256 xv = _mm256_loadu_ps(x), v = _mm256_mul_ps(xv, vinv);
    __m256 a = _mm256_andnot_ps(sign, v);
    __m256 boundary = _mm256_andnot_ps(
        sign, _mm256_sub_ps(_mm256_sub_ps(a, _mm256_round_ps(a, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC)), half));
    if (_mm256_movemask_ps(_mm256_cmp_ps(boundary, _mm256_mul_ps(a, margin), _CMP_NGT_UQ))) v = _mm256_div_ps(xv, vs);
    __m256 r = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    __m256 frac = _mm256_andnot_ps(sign, _mm256_sub_ps(v, r));
    __m256 step = _mm256_or_ps(one, _mm256_and_ps(v, sign));
    r = _mm256_add_ps(r, _mm256_and_ps(_mm256_cmp_ps(frac, half, _CMP_GE_OQ), step));
    r = _mm256_andnot_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q), r);
    return _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(r, vlo), vhi));
}

/// 1 / scale when the product form applies (a normal, finite reciprocal), else NaN: every lane then divides.
static float reciprocal(float scale) {
    float inv = 1.0f / scale;
    return isnormal(inv) && isnormal(scale) ? inv : NAN;
}

__attribute__((target("avx2,fma"))) static ptrdiff_t quantize_i16_avx2(const float *x, ptrdiff_t n, float scale,
                                                                       float lo, float hi, int16_t *out) {
    const __m256 vs = _mm256_set1_ps(scale), vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
    const __m256 vinv = _mm256_set1_ps(reciprocal(scale));
    ptrdiff_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i q = centered8_avx2(x + i, vs, vinv, vlo, vhi);
        _mm_storeu_si128((__m128i *)(out + i),
                         _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1)));
    }
    return i;
}

// The unsigned codes: the centered code + zp is in [0, qmax] (<= 255), so packing with unsigned saturation is exact.
__attribute__((target("avx2,fma"))) static ptrdiff_t quantize_u8_avx2(const float *x, ptrdiff_t n, float scale,
                                                                      float lo, float hi, int zp, uint8_t *out) {
    const __m256 vs = _mm256_set1_ps(scale), vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
    const __m256 vinv = _mm256_set1_ps(reciprocal(scale));
    const __m256i z = _mm256_set1_epi32(zp);
    ptrdiff_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i q = _mm256_add_epi32(centered8_avx2(x + i, vs, vinv, vlo, vhi), z);
        __m128i w = _mm_packus_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
        _mm_storel_epi64((__m128i *)(out + i), _mm_packus_epi16(w, w));
    }
    return i;
}
#endif

static inline int16_t centered_code(float x, float scale, float lo, float hi) {
    float v = roundf(x / scale);
    if (v != v) v = 0.0f;
    v = v < lo ? lo : (v > hi ? hi : v);
    return (int16_t)v;
}

void qb_quantize_i16(const float *x, ptrdiff_t n, float scale, int zp, int qmax, int16_t *out) {
    const float lo = (float)(-zp), hi = (float)(qmax - zp);
    ptrdiff_t i = 0;
#ifdef QB_X86
    if (qb_kernels_have_avx2()) i = quantize_i16_avx2(x, n, scale, lo, hi, out);
#endif
    for (; i < n; i++) out[i] = centered_code(x[i], scale, lo, hi);
}

void qb_quantize_u8(const float *x, ptrdiff_t n, float scale, int zp, int qmax, uint8_t *out) {
    const float lo = (float)(-zp), hi = (float)(qmax - zp);
    ptrdiff_t i = 0;
#ifdef QB_X86
    if (qb_kernels_have_avx2()) i = quantize_u8_avx2(x, n, scale, lo, hi, zp, out);
#endif
    for (; i < n; i++) out[i] = (uint8_t)(centered_code(x[i], scale, lo, hi) + zp);
}
