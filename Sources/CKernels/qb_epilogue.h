// The float work after the exact integer sums, defined once for every kernel path (portable, AVX2,
// AVX-512, VNNI): each vector form computes exactly these operations, in this order, with these roundings,
// so a layer's output has the same bits on every CPU. The target is built with -ffp-contract=off: nothing is
// fused unless written as fmaf (or an FMA intrinsic).
#ifndef QB_EPILOGUE_H
#define QB_EPILOGUE_H

#include <math.h>
#include <stdint.h>

/// FGQ ternary: a group's one multiply by alpha, fused into the row's float sum (groups in the layer's
/// fixed order; an empty group, s = 0, leaves f unchanged).
static inline float qb_ternary_group(float f, int32_t s, float alpha) {
    return fmaf((float)s, alpha, f);
}

/// clamp(f * sx + b, lo, hi): the product and the sum each rounded, then max(v, lo) and min(v, hi) with
/// x86's maxps/minps semantics (the second operand when the comparison fails: a NaN gives lo).
static inline float qb_scale_bias_clamp(float f, float sx, float b, float lo, float hi) {
    float t = f * sx;
    float v = t + b;
    v = v > lo ? v : lo;
    return v < hi ? v : hi;
}

/// Power-of-two (Focused Quantization): unit s + mu0 c0 + mu1 c1 in double, one rounding per operation in
/// this order, rounded to float, then qb_scale_bias_clamp. s, c0, c1 are exact integer sums (int32 on the
/// vector paths; the same values in int64 on the index-list path, exactly representable in double).
static inline float qb_shift_value(int64_t s, int64_t c0, int64_t c1, double u, double m0, double m1, float sx, float b,
                                   float lo, float hi) {
    double t = u * (double)s;
    double a0 = m0 * (double)c0;
    t = t + a0;
    double a1 = m1 * (double)c1;
    t = t + a1;
    return qb_scale_bias_clamp((float)t, sx, b, lo, hi);
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
/// int8 requantization (gemmlowp) of 8 int32 sums a, for rows without a left shift (m0 != INT32_MIN), each lane with
/// its own bias b, multiplier m0 and right shift e (mask = 2^e - 1, half = mask >> 1): the bias added with int32
/// saturation (overflow from the signs); SaturatingRoundingDoublingHighMul as (v m0 + 2^30) >> 31 on the even and odd
/// lanes' int64 products (the result fits int32, so a logical shift gives its bits); RoundingDivideByPOT as remainder
/// against threshold (e = 0: mask 0, no change); clamp to [qmin - zy, qmax - zy]; times sy. The scalar form's bits.
__attribute__((target("avx2,fma"))) static inline __m256 qb_requant8_avx2(__m256i a, __m256i b, __m256i m0, __m256i e,
                                                                          __m256i mask, __m256i half, __m256i qlo,
                                                                          __m256i qhi, __m256 sy) {
    const __m256i imax = _mm256_set1_epi32(INT32_MAX), round31 = _mm256_set1_epi64x(1LL << 30),
                  one = _mm256_set1_epi32(1);
    __m256i sum = _mm256_add_epi32(a, b);
    __m256i overflow = _mm256_srai_epi32(_mm256_andnot_si256(_mm256_xor_si256(a, b), _mm256_xor_si256(a, sum)), 31);
    __m256i v = _mm256_blendv_epi8(sum, _mm256_xor_si256(_mm256_srai_epi32(a, 31), imax), overflow);
    __m256i even = _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epi32(v, m0), round31), 31);
    __m256i odd = _mm256_srli_epi64(
        _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(v, 32), _mm256_srli_epi64(m0, 32)), round31), 31);
    __m256i t = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
    __m256i remainder = _mm256_and_si256(t, mask);
    __m256i threshold = _mm256_sub_epi32(half, _mm256_srai_epi32(t, 31)); // + 1 where t < 0
    t = _mm256_add_epi32(_mm256_srav_epi32(t, e), _mm256_and_si256(_mm256_cmpgt_epi32(remainder, threshold), one));
    return _mm256_mul_ps(sy, _mm256_cvtepi32_ps(_mm256_min_epi32(_mm256_max_epi32(t, qlo), qhi)));
}
#endif

#endif
