// The int8 tile of the packed kernels on AVX2 (machines without AVX-512 VNNI: GitHub's hosted x86-64
// runners, AMD EPYC Zen 3/4 guests). See qb_vnni_internal.h.
//
// The weights of the VNNI packing (16-row blocks, 4 consecutive k per row) are widened to int16 once per call and
// laid out half-block major (qb_widen_weights): widening them in the inner loop made the tile three times slower,
// and reading a half's steps 128 bytes apart a further third. vpmaddubsw would
// saturate on u8 x s8 pairs (2 * 255 * 127 > 2^15), so each quad of 4 rows is multiplied with the column's
// 4 codes, widened to int16 and broadcast, by vpmaddwd: every product pair is an exact int32, and the sums
// are the VNNI kernel's, bit for bit.
#include <stdlib.h>
#include <string.h>
#include "qb_kernels.h"
#include "qb_vnni_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

// Grows a per-thread int16 buffer to `count` elements (NULL when it cannot).
static int16_t *thread_buffer(int16_t **buffer, size_t *capacity, size_t count) {
    if (*capacity < count) {
        int16_t *grown = (int16_t *)realloc(*buffer, count * sizeof(int16_t));
        if (!grown) return NULL;
        *buffer = grown;
        *capacity = count;
    }
    return *buffer;
}

__attribute__((target("avx2"))) int16_t *qb_widen_codes(const uint8_t *q, size_t count) {
    static __thread int16_t *wide = NULL;
    static __thread size_t cap = 0;
    if (!thread_buffer(&wide, &cap, count)) return NULL;
    for (size_t e = 0; e < count; e++) wide[e] = q[e];
    return wide;
}

/// Rows 4u .. 4u + 3 of a half in (pair, pair) lanes -> one int32 per row: hadd, then the 64-bit chunks in
/// row order.
__attribute__((target("avx2,fma"))) static inline __m256i qb_rows_of_pairs(__m256i lo, __m256i hi) {
    return _mm256_permute4x64_epi64(_mm256_hadd_epi32(lo, hi), 0xD8);
}

// One half block (8 rows) x 6 columns per step: 12 accumulators (rows 0-3 and 4-7 of each column). Row r of
// column j goes to o[r * ldo + j], or with colmajor all 8 rows of column j to o + j * ldo (one store).
__attribute__((target("avx2,fma"))) static void half_avx2(int rows, int n, int K4, const int16_t *wh,
                                                          const int16_t *q16, int ld8, int32_t *o, ptrdiff_t ldo,
                                                          int colmajor) {
    int32_t t[8];
    int j = 0;
    for (; j + 6 <= n; j += 6) {
#define QB_Z(c) __m256i l##c = _mm256_setzero_si256(), h##c = _mm256_setzero_si256();
        QB_Z(0)
        // clang-format off
        QB_Z(1) QB_Z(2) QB_Z(3) QB_Z(4) QB_Z(5)
        // clang-format on
#undef QB_Z
            const int16_t *qj = q16 + (ptrdiff_t)j * ld8;
        for (int k4 = 0; k4 < K4; k4++) {
            const int16_t *wq = wh + (ptrdiff_t)k4 * 32;
            __m256i w0 = _mm256_loadu_si256((const __m256i *)wq), w1 = _mm256_loadu_si256((const __m256i *)(wq + 16));
#define QB_S(c)                                                                                                        \
    {                                                                                                                  \
        int64_t v;                                                                                                     \
        memcpy(&v, qj + (ptrdiff_t)(c) * ld8 + k4 * 4, 8);                                                             \
        __m256i x = _mm256_set1_epi64x(v);                                                                             \
        l##c = _mm256_add_epi32(l##c, _mm256_madd_epi16(w0, x));                                                       \
        h##c = _mm256_add_epi32(h##c, _mm256_madd_epi16(w1, x));                                                       \
    }
            // clang-format off
            QB_S(0) QB_S(1) QB_S(2) QB_S(3) QB_S(4) QB_S(5)
            // clang-format on
#undef QB_S
        }
#define QB_O(c)                                                                                                        \
    {                                                                                                                  \
        __m256i v = qb_rows_of_pairs(l##c, h##c);                                                                      \
        if (colmajor)                                                                                                  \
            _mm256_storeu_si256((__m256i *)(o + (ptrdiff_t)(j + (c)) * ldo), v);                                       \
        else {                                                                                                         \
            _mm256_storeu_si256((__m256i *)t, v);                                                                      \
            for (int r = 0; r < rows; r++) o[(ptrdiff_t)r * ldo + j + (c)] = t[r];                                     \
        }                                                                                                              \
    }
        // clang-format off
        QB_O(0) QB_O(1) QB_O(2) QB_O(3) QB_O(4) QB_O(5)
        // clang-format on
#undef QB_O
    }
    for (; j < n; j++) {
        __m256i l = _mm256_setzero_si256(), h = _mm256_setzero_si256();
        const int16_t *qj = q16 + (ptrdiff_t)j * ld8;
        for (int k4 = 0; k4 < K4; k4++) {
            const int16_t *wq = wh + (ptrdiff_t)k4 * 32;
            int64_t v;
            memcpy(&v, qj + k4 * 4, 8);
            __m256i x = _mm256_set1_epi64x(v);
            l = _mm256_add_epi32(l, _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)wq), x));
            h = _mm256_add_epi32(h, _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(wq + 16)), x));
        }
        if (colmajor) {
            _mm256_storeu_si256((__m256i *)(o + (ptrdiff_t)j * ldo), qb_rows_of_pairs(l, h));
            continue;
        }
        _mm256_storeu_si256((__m256i *)t, qb_rows_of_pairs(l, h));
        for (int r = 0; r < rows; r++) o[(ptrdiff_t)r * ldo + j] = t[r];
    }
}

__attribute__((target("avx2"))) int16_t *qb_widen_weights(const int8_t *wp, int blocks, int K4) {
    static __thread int16_t *wide = NULL;
    static __thread size_t cap = 0;
    if (!thread_buffer(&wide, &cap, (size_t)blocks * 16 * (size_t)K4 * 4)) return NULL;
    // Half-block major: the tile walks one half's steps contiguously (one cache line per two steps, not per step).
    for (int b = 0; b < blocks; b++)
        for (int h = 0; h < 2; h++)
            for (int k4 = 0; k4 < K4; k4++) {
                const int8_t *src = wp + ((ptrdiff_t)b * K4 + k4) * 64 + h * 32;
                int16_t *dst = wide + (((ptrdiff_t)b * 2 + h) * K4 + k4) * 32;
                for (int e = 0; e < 32; e++) dst[e] = src[e];
            }
    return wide;
}

int qb_igemm_packed_avx2(int M, int n, int ld8, const int16_t *w16, const uint8_t *q, int32_t *out, ptrdiff_t ldo,
                         int colmajor) {
    int K4 = ld8 / 4, MB = (M + 15) / 16;
    const int16_t *q16 = qb_widen_codes(q, (size_t)n * (size_t)ld8);
    if (!q16) return 0;
    for (int b = 0; b < MB; b++) {
        for (int h = 0; h < 2; h++) {
            int first = b * 16 + h * 8, rows = M - first < 8 ? M - first : 8;
            if (rows <= 0) break;
            half_avx2(rows, n, K4, w16 + ((ptrdiff_t)b * 2 + h) * K4 * 32, q16, ld8,
                      out + (colmajor ? first : (ptrdiff_t)first * ldo), ldo, colmajor);
        }
    }
    return 1;
}
#else
int16_t *qb_widen_codes(const uint8_t *q, size_t count) {
    (void)q;
    (void)count;
    return NULL;
}
int16_t *qb_widen_weights(const int8_t *wp, int blocks, int K4) {
    (void)wp;
    (void)blocks;
    (void)K4;
    return NULL;
}
int qb_igemm_packed_avx2(int M, int n, int ld8, const int16_t *w16, const uint8_t *q, int32_t *out, ptrdiff_t ldo,
                         int colmajor) {
    (void)M;
    (void)n;
    (void)ld8;
    (void)w16;
    (void)q;
    (void)out;
    (void)ldo;
    return 0;
}
#endif
