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
// The same as the scalar loop, 16 at a time: the IEEE quotient, round half away from zero from the exact
// fraction v - trunc(v), NaN -> 0, clamp. Bit-identical (tested against the Swift formula).
__attribute__((target("avx512f,avx512bw")))
static ptrdiff_t quantize_i16_avx512(const float *x, ptrdiff_t n, float scale, float lo, float hi, int16_t *out) {
    const __m512 vs = _mm512_set1_ps(scale), vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi), half = _mm512_set1_ps(0.5f);
    const __m512 one = _mm512_set1_ps(1.0f), zero = _mm512_setzero_ps();
    const __m512i sign = _mm512_set1_epi32((int)0x80000000u), magnitude = _mm512_set1_epi32(0x7fffffff);
    ptrdiff_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 v = _mm512_div_ps(_mm512_loadu_ps(x + i), vs);
        __m512 r = _mm512_roundscale_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
        __m512 frac = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(_mm512_sub_ps(v, r)), magnitude));
        __m512 step = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(one), _mm512_and_si512(_mm512_castps_si512(v), sign)));
        r = _mm512_mask_add_ps(r, _mm512_cmp_ps_mask(frac, half, _CMP_GE_OQ), r, step);
        r = _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), zero);
        r = _mm512_min_ps(_mm512_max_ps(r, vlo), vhi);
        _mm256_storeu_si256((__m256i *)(out + i), _mm512_cvtepi32_epi16(_mm512_cvtps_epi32(r)));
    }
    return i;
}

// AVX2: the same operations 8 at a time (blends in place of masks). Bit-identical (tested against Swift).
__attribute__((target("avx2,fma")))
static inline __m256i centered8_avx2(const float *x, __m256 vs, __m256 vlo, __m256 vhi) {
    const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f), sign = _mm256_set1_ps(-0.0f);
    __m256 v = _mm256_div_ps(_mm256_loadu_ps(x), vs);
    __m256 r = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    __m256 frac = _mm256_andnot_ps(sign, _mm256_sub_ps(v, r));
    __m256 step = _mm256_or_ps(one, _mm256_and_ps(v, sign));
    r = _mm256_add_ps(r, _mm256_and_ps(_mm256_cmp_ps(frac, half, _CMP_GE_OQ), step));
    r = _mm256_andnot_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q), r);
    return _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(r, vlo), vhi));
}

__attribute__((target("avx2,fma")))
static ptrdiff_t quantize_i16_avx2(const float *x, ptrdiff_t n, float scale, float lo, float hi, int16_t *out) {
    const __m256 vs = _mm256_set1_ps(scale), vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
    ptrdiff_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i q = centered8_avx2(x + i, vs, vlo, vhi);
        _mm_storeu_si128((__m128i *)(out + i), _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1)));
    }
    return i;
}

// The unsigned codes: the centered code + zp is in [0, qmax] (<= 255), so packing with unsigned saturation is exact.
__attribute__((target("avx2,fma")))
static ptrdiff_t quantize_u8_avx2(const float *x, ptrdiff_t n, float scale, float lo, float hi, int zp, uint8_t *out) {
    const __m256 vs = _mm256_set1_ps(scale), vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
    const __m256i z = _mm256_set1_epi32(zp);
    ptrdiff_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i q = _mm256_add_epi32(centered8_avx2(x + i, vs, vlo, vhi), z);
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
    if (qb_isa() >= QB_ISA_AVX512) i = quantize_i16_avx512(x, n, scale, lo, hi, out);
    else if (qb_kernels_have_avx2()) i = quantize_i16_avx2(x, n, scale, lo, hi, out);
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
