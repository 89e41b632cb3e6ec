// int8 GEMM and convolution with AVX-512 VNNI (u8 x s8, exact int32 accumulation). See qb_kernels.h.
//
// vpdpbusd multiplies 4 unsigned bytes by 4 signed bytes and adds the 4 products to an int32 lane,
// without the int16 saturation of vpmaddubsw. The activations enter as unsigned codes q (in [0, 255]);
// Z * sum_k w[k] is subtracted at the end: sum_k w (q - Z) = sum_k w q - Z sum_k w, every term exact in
// int32 (the caller bounds depth * 127 * 255). Each output element is computed with the same
// operations whatever M, N and the caller's column split are.
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "qb_kernels.h"
#include "qb_vnni_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define QB_X86 1
#endif

int qb_vnni_ld(int depth) {
    return (depth + 3) / 4 * 4;
}

// Blocks of 16 rows: wp[((b * K4 + k4) * 16 + r) * 4 + t] = w'[b * 16 + r][k4 * 4 + t], zero-padded to
// whole blocks and K4 * 4 = ld8 columns, where w' is w with its columns in tap-major order when taps > 1.
size_t qb_vnni_packed_size(int M, int depth) {
    return (size_t)((M + 15) / 16) * 16 * (size_t)qb_vnni_ld(depth);
}

void qb_vnni_pack(int M, int depth, int taps, const int16_t *w, int ldw, int8_t *wp, int32_t *sums) {
    int ld8 = qb_vnni_ld(depth), MB = (M + 15) / 16, K4 = ld8 / 4;
    int channels = taps > 1 ? depth / taps : depth;
    if (taps < 1 || channels * taps != depth) taps = 1, channels = depth;
    memset(wp, 0, (size_t)MB * 16 * (size_t)ld8);
    for (int i = 0; i < M; i++) {
        const int16_t *row = w + (ptrdiff_t)i * ldw;
        int b = i / 16, r = i % 16;
        int32_t s = 0;
        for (int k = 0; k < depth; k++) {
            int kp = taps > 1 ? (k % taps) * channels + k / taps : k; // weight (c, tap) -> column tap * C + c
            wp[(((ptrdiff_t)b * K4 + kp / 4) * 16 + r) * 4 + kp % 4] = (int8_t)row[k];
            s += row[k];
        }
        sums[i] = s;
    }
}

#ifdef QB_X86
// One 16-row block (the last of an odd count) x 24 columns per tile, 24 accumulators.
__attribute__((target("avx512f,avx512bw,avx512vnni"))) static void igemm_vnni_block(int rows, int n, int ld8,
                                                                                    const int8_t *w0, const uint8_t *q,
                                                                                    int32_t *o, ptrdiff_t ldo,
                                                                                    int colmajor) {
    int K4 = ld8 / 4;
    if (rows > 16) rows = 16;
    int j = 0;
    for (; j + 24 <= n; j += 24) {
#define QB_Z(c) __m512i c_##c = _mm512_setzero_si512();
        QB_Z(0)
        // clang-format off
        QB_Z(1) QB_Z(2) QB_Z(3) QB_Z(4) QB_Z(5) QB_Z(6) QB_Z(7) QB_Z(8) QB_Z(9) QB_Z(10) QB_Z(11) QB_Z(12) QB_Z(13)
            QB_Z(14) QB_Z(15) QB_Z(16) QB_Z(17) QB_Z(18) QB_Z(19) QB_Z(20) QB_Z(21) QB_Z(22) QB_Z(23)
        // clang-format on
#undef QB_Z
                const uint8_t *qj = q + (ptrdiff_t)j * ld8;
        for (int k = 0; k < K4; k++) {
            __m512i a0 = _mm512_loadu_si512(w0 + (ptrdiff_t)k * 64);
            const uint8_t *qk = qj + k * 4;
#define QB_S(c)                                                                                                        \
    {                                                                                                                  \
        int32_t v;                                                                                                     \
        memcpy(&v, qk + (ptrdiff_t)(c) * ld8, 4);                                                                      \
        c_##c = _mm512_dpbusd_epi32(c_##c, _mm512_set1_epi32(v), a0);                                                  \
    }
            QB_S(0)
            // clang-format off
            QB_S(1) QB_S(2) QB_S(3) QB_S(4) QB_S(5) QB_S(6) QB_S(7) QB_S(8) QB_S(9) QB_S(10) QB_S(11) QB_S(12) QB_S(13)
                QB_S(14) QB_S(15) QB_S(16) QB_S(17) QB_S(18) QB_S(19) QB_S(20) QB_S(21) QB_S(22) QB_S(23)
            // clang-format on
#undef QB_S
        }
        int32_t t[16];
#define QB_O(c)                                                                                                        \
    {                                                                                                                  \
        if (colmajor)                                                                                                  \
            _mm512_storeu_si512(o + (ptrdiff_t)(j + (c)) * ldo, c_##c);                                                \
        else {                                                                                                         \
            _mm512_storeu_si512(t, c_##c);                                                                             \
            for (int r = 0; r < rows; r++) o[(ptrdiff_t)r * ldo + j + (c)] = t[r];                                     \
        }                                                                                                              \
    }
        QB_O(0)
        // clang-format off
        QB_O(1) QB_O(2) QB_O(3) QB_O(4) QB_O(5) QB_O(6) QB_O(7) QB_O(8) QB_O(9) QB_O(10) QB_O(11) QB_O(12) QB_O(13)
            QB_O(14) QB_O(15) QB_O(16) QB_O(17) QB_O(18) QB_O(19) QB_O(20) QB_O(21) QB_O(22) QB_O(23)
        // clang-format on
#undef QB_O
    }
    for (; j < n; j++) {
        __m512i c = _mm512_setzero_si512();
        const uint8_t *qj = q + (ptrdiff_t)j * ld8;
        for (int k = 0; k < K4; k++) {
            int32_t v;
            memcpy(&v, qj + k * 4, 4);
            c = _mm512_dpbusd_epi32(c, _mm512_set1_epi32(v), _mm512_loadu_si512(w0 + (ptrdiff_t)k * 64));
        }
        int32_t t[16];
        if (colmajor) {
            _mm512_storeu_si512(o + (ptrdiff_t)j * ldo, c);
            continue;
        }
        _mm512_storeu_si512(t, c);
        for (int r = 0; r < rows; r++) o[(ptrdiff_t)r * ldo + j] = t[r];
    }
}

// 32 rows (two 16-row blocks in the lanes) x 12 columns per tile: each step broadcasts 4 unsigned bytes
// of a column and multiplies them with 16 rows x 4 signed bytes (vpdpbusd), 24 int32 accumulators.
__attribute__((target("avx512f,avx512bw,avx512vnni"))) static void igemm_vnni(int M, int MB, int n, int ld8,
                                                                              const int8_t *wp, const uint8_t *q,
                                                                              int32_t *out, ptrdiff_t ldo,
                                                                              int colmajor) {
    int K4 = ld8 / 4;
    for (int b = 0; b < MB; b += 2) {
        int32_t *o = out + (colmajor ? b * 16 : (ptrdiff_t)b * 16 * ldo);
        if (b + 1 == MB) {
            igemm_vnni_block(M - b * 16, n, ld8, wp + (ptrdiff_t)b * K4 * 64, q, o, ldo, colmajor);
            break;
        }
        const int8_t *w0 = wp + (ptrdiff_t)b * K4 * 64, *w1 = w0 + (ptrdiff_t)K4 * 64;
        int r0 = M - b * 16 < 16 ? M - b * 16 : 16,
            r1 = M - b * 16 - 16 < 0 ? 0 : (M - b * 16 - 16 < 16 ? M - b * 16 - 16 : 16);
        int j = 0;
        for (; j + 12 <= n; j += 12) {
            // Twelve named column accumulator pairs (arrays would live on the stack).
#define QB_Z(c) __m512i c0_##c = _mm512_setzero_si512(), c1_##c = _mm512_setzero_si512();
            QB_Z(0)
            // clang-format off
            QB_Z(1) QB_Z(2) QB_Z(3) QB_Z(4) QB_Z(5) QB_Z(6) QB_Z(7) QB_Z(8) QB_Z(9) QB_Z(10) QB_Z(11)
            // clang-format on
#undef QB_Z
                const uint8_t *qj = q + (ptrdiff_t)j * ld8;
            for (int k = 0; k < K4; k++) {
                __m512i a0 = _mm512_loadu_si512(w0 + (ptrdiff_t)k * 64),
                        a1 = _mm512_loadu_si512(w1 + (ptrdiff_t)k * 64);
                const uint8_t *qk = qj + k * 4;
#define QB_S(c)                                                                                                        \
    {                                                                                                                  \
        int32_t v;                                                                                                     \
        memcpy(&v, qk + (ptrdiff_t)(c) * ld8, 4);                                                                      \
        __m512i x = _mm512_set1_epi32(v);                                                                              \
        c0_##c = _mm512_dpbusd_epi32(c0_##c, x, a0);                                                                   \
        c1_##c = _mm512_dpbusd_epi32(c1_##c, x, a1);                                                                   \
    }
                // clang-format off
                QB_S(0) QB_S(1) QB_S(2) QB_S(3) QB_S(4) QB_S(5) QB_S(6) QB_S(7) QB_S(8) QB_S(9) QB_S(10) QB_S(11)
                // clang-format on
#undef QB_S
            }
            int32_t t0[16], t1[16];
#define QB_O(c)                                                                                                        \
    {                                                                                                                  \
        if (colmajor) {                                                                                                \
            int32_t *oc = o + (ptrdiff_t)(j + (c)) * ldo;                                                              \
            _mm512_storeu_si512(oc, c0_##c);                                                                           \
            _mm512_storeu_si512(oc + 16, c1_##c);                                                                      \
        } else {                                                                                                       \
            _mm512_storeu_si512(t0, c0_##c);                                                                           \
            _mm512_storeu_si512(t1, c1_##c);                                                                           \
            for (int r = 0; r < r0; r++) o[(ptrdiff_t)r * ldo + j + (c)] = t0[r];                                      \
            for (int r = 0; r < r1; r++) o[(ptrdiff_t)(16 + r) * ldo + j + (c)] = t1[r];                               \
        }                                                                                                              \
    }
            // clang-format off
            QB_O(0) QB_O(1) QB_O(2) QB_O(3) QB_O(4) QB_O(5) QB_O(6) QB_O(7) QB_O(8) QB_O(9) QB_O(10) QB_O(11)
            // clang-format on
#undef QB_O
        }
        for (; j < n; j++) {
            __m512i c0 = _mm512_setzero_si512(), c1 = _mm512_setzero_si512();
            const uint8_t *qj = q + (ptrdiff_t)j * ld8;
            for (int k = 0; k < K4; k++) {
                int32_t v;
                memcpy(&v, qj + k * 4, 4);
                __m512i x = _mm512_set1_epi32(v);
                c0 = _mm512_dpbusd_epi32(c0, x, _mm512_loadu_si512(w0 + (ptrdiff_t)k * 64));
                c1 = _mm512_dpbusd_epi32(c1, x, _mm512_loadu_si512(w1 + (ptrdiff_t)k * 64));
            }
            int32_t t0[16], t1[16];
            if (colmajor) {
                _mm512_storeu_si512(o + (ptrdiff_t)j * ldo, c0);
                _mm512_storeu_si512(o + (ptrdiff_t)j * ldo + 16, c1);
                continue;
            }
            _mm512_storeu_si512(t0, c0);
            _mm512_storeu_si512(t1, c1);
            for (int r = 0; r < r0; r++) o[(ptrdiff_t)r * ldo + j] = t0[r];
            for (int r = 0; r < r1; r++) o[(ptrdiff_t)(16 + r) * ldo + j] = t1[r];
        }
    }
}
#endif

#define QB_VNNI_NB 240

int qb_vnni_columns(int N, int depth, qb_fill_fn fill, const void *fctx, qb_tile_fn tile, void *tctx) {
#ifdef QB_X86
    if (!qb_kernels_have_avx2() || N <= 0) return 0;
    int ld8 = qb_vnni_ld(depth);
    // A per-thread buffer kept between calls (a fresh one would page-fault every call): the unsigned
    // codes of QB_VNNI_NB columns, which stay in cache while the tile kernel reads them.
    static __thread uint8_t *q = NULL;
    static __thread size_t qcap = 0;
    size_t qneed = (size_t)QB_VNNI_NB * (size_t)ld8;
    if (qcap < qneed) {
        uint8_t *grown = (uint8_t *)realloc(q, qneed);
        if (!grown) return 0;
        q = grown;
        qcap = qneed;
    }
    for (int j0 = 0; j0 < N; j0 += QB_VNNI_NB) {
        int n = N - j0 < QB_VNNI_NB ? N - j0 : QB_VNNI_NB;
        tile(tctx, j0, n, fill(fctx, j0, n, q, ld8), ld8);
    }
    return 1;
#else
    (void)N;
    (void)depth;
    (void)fill;
    (void)fctx;
    (void)tile;
    (void)tctx;
    return 0;
#endif
}

float *qb_block_results(int n) {
    static __thread float *part = NULL;
    if (n > QB_VNNI_NB) return NULL;
    if (!part) part = (float *)malloc(QB_VNNI_NB * 16 * sizeof(float));
    return part;
}

void qb_scatter_block(const float *part, int rows, int n, float *out, ptrdiff_t rs, ptrdiff_t cs) {
    if (rs == 1) { // a linear layer's layout: each column's rows are contiguous, as in part
        for (int u = 0; u < n; u++)
            memcpy(out + (ptrdiff_t)u * cs, part + (ptrdiff_t)u * 16, (size_t)rows * sizeof(float));
        return;
    }
    for (int r = 0; r < rows; r++) {
        float *o = out + (ptrdiff_t)r * rs;
        for (int u = 0; u < n; u++) o[(ptrdiff_t)u * cs] = part[(ptrdiff_t)u * 16 + r];
    }
}

uint8_t *qb_twin_column(int depth, int M, int N, float *out, ptrdiff_t rs, ptrdiff_t cs) {
    uint8_t *q = (uint8_t *)malloc((size_t)qb_vnni_ld(depth));
    if (!q)
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) out[(ptrdiff_t)i * rs + (ptrdiff_t)j * cs] = NAN;
    return q;
}

// The int8 tile: exact sums of M rows, Z sum w subtracted, into acc (row stride N).
typedef struct {
    int M, N, zp;
    const int8_t *wp;
    const int32_t *sums;
    int32_t *acc;
    int failed;
    const int16_t *w16;
} int8_tile_ctx;

int32_t *qb_int8_block(int M, int n, const int8_t *wp, const int16_t **w16, const uint8_t *q, int ld8, int colmajor) {
#ifdef QB_X86
    int MB = (M + 15) / 16;
    static __thread int32_t *part = NULL;
    static __thread size_t pcap = 0;
    size_t pneed = (size_t)MB * 16 * QB_VNNI_NB;
    if (n > QB_VNNI_NB) return NULL;
    if (pcap < pneed) {
        int32_t *grown = (int32_t *)realloc(part, pneed * sizeof(int32_t));
        if (!grown) return NULL;
        part = grown;
        pcap = pneed;
    }
    ptrdiff_t ldo = colmajor ? MB * 16 : n;
    if (qb_kernels_have_vnni())
        igemm_vnni(M, MB, n, ld8, wp, q, part, ldo, colmajor);
    else {
        // The AVX2 tile reads the weights as int16: widened once per call, on its first block.
        if (!*w16) *w16 = qb_widen_weights(wp, MB, ld8 / 4);
        if (!*w16 || !qb_igemm_packed_avx2(M, n, ld8, *w16, q, part, ldo, colmajor)) return NULL;
    }
    return part;
#else
    (void)M;
    (void)n;
    (void)wp;
    (void)w16;
    (void)q;
    (void)ld8;
    (void)colmajor;
    return NULL;
#endif
}

static void int8_tile(void *ctx, int j0, int n, const uint8_t *q, int ld8) {
    int8_tile_ctx *c = (int8_tile_ctx *)ctx;
    const int32_t *part = qb_int8_block(c->M, n, c->wp, &c->w16, q, ld8, 0);
    if (!part) {
        c->failed = 1;
        return;
    }
    for (int i = 0; i < c->M; i++) {
        int32_t corr = (int32_t)c->zp * c->sums[i];
        const int32_t *src = part + (ptrdiff_t)i * n;
        int32_t *row = c->acc + (ptrdiff_t)i * c->N + j0;
        for (int j = 0; j < n; j++) row[j] = src[j] - corr;
    }
}

static int vnni_drive(int M, int N, int depth, const int8_t *wp, const int32_t *sums, int zp, int32_t *acc,
                      qb_fill_fn fill, const void *ctx) {
    if (M <= 0 || zp < 0 || zp > 255) return 0;
    int8_tile_ctx t = {M, N, zp, wp, sums, acc, 0, NULL};
    return qb_vnni_columns(N, depth, fill, ctx, int8_tile, &t) && !t.failed;
}

// Linear layers given as floats: each input row quantized straight to unsigned codes, zero-padded to ld8 (the padding
// meets zero weights).
const uint8_t *qb_fill_float_rows(const void *ctx, int j, int n, uint8_t *q, int ld8) {
    const qb_float_columns *c = (const qb_float_columns *)ctx;
    for (int u = 0; u < n; u++) {
        uint8_t *dst = q + (ptrdiff_t)u * ld8;
        qb_quantize_u8(c->x + (ptrdiff_t)(j + u) * c->stride, c->depth, c->scale, c->zero, c->max, dst);
        memset(dst + c->depth, 0, (size_t)(ld8 - c->depth));
    }
    return q;
}

// Linear layers: centered int16 codes p[j * ldp + k] -> unsigned codes.
const uint8_t *qb_fill_rows(const void *ctx, int j, int n, uint8_t *q, int ld8) {
    const qb_rows_ctx *c = (const qb_rows_ctx *)ctx;
    for (int u = 0; u < n; u++) {
        const int16_t *src = c->p + (ptrdiff_t)(j + u) * c->ldp;
        uint8_t *dst = q + (ptrdiff_t)u * ld8;
        for (int k = 0; k < c->depth; k++) dst[k] = (uint8_t)(src[k] + c->zp);
        for (int k = c->depth; k < ld8; k++) dst[k] = 0;
    }
    return q;
}

int qb_igemm_vnni(int M, int N, int depth, const int8_t *wp, const int32_t *sums, const int16_t *p, ptrdiff_t ldp,
                  int zp, int32_t *acc) {
    qb_rows_ctx c = {p, ldp, depth, zp};
    return vnni_drive(M, N, depth, wp, sums, zp, acc, qb_fill_rows, &c);
}

#ifdef QB_X86
// 8 channels x 16 positions at a time: each channel's 16 codes + zp narrowed to bytes (r), then an 8 x 16 byte
// transpose by unpacking (bytes, pairs, quads), 8 bytes stored per position.
static inline void hwc_transpose_8x16(const __m128i r[8], uint8_t *out, int channels) {
    __m128i a0 = _mm_unpacklo_epi8(r[0], r[1]), a1 = _mm_unpackhi_epi8(r[0], r[1]);
    __m128i a2 = _mm_unpacklo_epi8(r[2], r[3]), a3 = _mm_unpackhi_epi8(r[2], r[3]);
    __m128i a4 = _mm_unpacklo_epi8(r[4], r[5]), a5 = _mm_unpackhi_epi8(r[4], r[5]);
    __m128i a6 = _mm_unpacklo_epi8(r[6], r[7]), a7 = _mm_unpackhi_epi8(r[6], r[7]);
    // b*: channel quads of 4 positions (0-3, 4-7 from lo; 8-11, 12-15 from hi).
    __m128i b0 = _mm_unpacklo_epi16(a0, a2), b1 = _mm_unpackhi_epi16(a0, a2);
    __m128i b2 = _mm_unpacklo_epi16(a1, a3), b3 = _mm_unpackhi_epi16(a1, a3);
    __m128i b4 = _mm_unpacklo_epi16(a4, a6), b5 = _mm_unpackhi_epi16(a4, a6);
    __m128i b6 = _mm_unpacklo_epi16(a5, a7), b7 = _mm_unpackhi_epi16(a5, a7);
    // d*: 8 channels of 2 positions.
    __m128i d[8] = {_mm_unpacklo_epi32(b0, b4), _mm_unpackhi_epi32(b0, b4), _mm_unpacklo_epi32(b1, b5),
                    _mm_unpackhi_epi32(b1, b5), _mm_unpacklo_epi32(b2, b6), _mm_unpackhi_epi32(b2, b6),
                    _mm_unpacklo_epi32(b3, b7), _mm_unpackhi_epi32(b3, b7)};
    for (int u = 0; u < 8; u++) {
        uint8_t *o = out + (ptrdiff_t)(2 * u) * channels;
        _mm_storel_epi64((__m128i *)o, d[u]);
        _mm_storel_epi64((__m128i *)(o + channels), _mm_unpackhi_epi64(d[u], d[u]));
    }
}

// The codes + zp are in [0, qmax] (<= 255), so narrowing them to bytes with unsigned saturation is exact.
__attribute__((target("avx2"))) static void hwc_u8_avx2(const int16_t *x, int channels, int positions, int zp,
                                                        uint8_t *out) {
    const __m128i z = _mm_set1_epi16((short)zp);
    for (int c0 = 0; c0 + 8 <= channels; c0 += 8)
        for (int p0 = 0; p0 + 16 <= positions; p0 += 16) {
            __m128i r[8];
            for (int u = 0; u < 8; u++) {
                const int16_t *src = x + (ptrdiff_t)(c0 + u) * positions + p0;
                r[u] = _mm_packus_epi16(_mm_add_epi16(_mm_loadu_si128((const __m128i *)src), z),
                                        _mm_add_epi16(_mm_loadu_si128((const __m128i *)(src + 8)), z));
            }
            hwc_transpose_8x16(r, out + (ptrdiff_t)p0 * channels + c0, channels);
        }
}
#endif

void qb_hwc_u8(const int16_t *x, int channels, int positions, int zp, uint8_t *out) {
#ifdef QB_X86
    if (qb_kernels_have_avx2()) {
        hwc_u8_avx2(x, channels, positions, zp, out);
        // What the vector loop left: the last channels (all positions), the last positions (its channels).
        int c8 = channels / 8 * 8, p16 = positions / 16 * 16;
        for (int c = 0; c < channels; c++) {
            const int16_t *src = x + (ptrdiff_t)c * positions;
            for (int p = c < c8 ? p16 : 0; p < positions; p++)
                out[(ptrdiff_t)p * channels + c] = (uint8_t)(src[p] + zp);
        }
        return;
    }
#endif
    enum { B = 64 };
    for (int p0 = 0; p0 < positions; p0 += B) {
        int p1 = p0 + B < positions ? p0 + B : positions;
        for (int c = 0; c < channels; c++) {
            const int16_t *src = x + (ptrdiff_t)c * positions;
            for (int p = p0; p < p1; p++) out[(ptrdiff_t)p * channels + c] = (uint8_t)(src[p] + zp);
        }
    }
}

// Convolutions: the patch of output position j, in tap-major order (ki, kj, c), copied from the HWC
// planes; positions outside the image read Z, the code of 0.0.
const uint8_t *qb_fill_conv(const void *ctx, int j, int n, uint8_t *q, int ld8) {
    const qb_conv_ctx *c = (const qb_conv_ctx *)ctx;
    const qb_conv_geo g = c->g;
    const int C = c->channels, row = g.kw * C, depth = g.kh * row;
    // Pointwise: output position p's patch is the input position p's channels, already ld8 apart.
    if (g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.pt == 0 && g.pl == 0 && g.oh == c->ih && g.ow == c->iw &&
        C == ld8)
        return c->x + (ptrdiff_t)(c->first + j) * C;
    int pos = c->first + j, oy = pos / g.ow, ox = pos % g.ow;
    for (int u = 0; u < n; u++) {
        uint8_t *dst = q + (ptrdiff_t)u * ld8;
        int x0 = ox * g.sw - g.pl;
        int inside = x0 >= 0 && x0 + (g.kw - 1) * g.dw < c->iw;
        for (int ki = 0; ki < g.kh; ki++) {
            uint8_t *d = dst + ki * row;
            int y = oy * g.sh - g.pt + ki * g.dh;
            if (y < 0 || y >= c->ih) {
                memset(d, c->zp, (size_t)row);
                continue;
            }
            const uint8_t *src = c->x + (ptrdiff_t)y * c->iw * C;
            if (inside && g.dw == 1) {
                memcpy(d, src + (ptrdiff_t)x0 * C, (size_t)row);
                continue;
            }
            for (int kj = 0; kj < g.kw; kj++) {
                int xx = x0 + kj * g.dw;
                if (xx < 0 || xx >= c->iw)
                    memset(d + kj * C, c->zp, (size_t)C);
                else
                    memcpy(d + kj * C, src + (ptrdiff_t)xx * C, (size_t)C);
            }
        }
        memset(dst + depth, 0, (size_t)(ld8 - depth));
        if (++ox == g.ow) {
            ox = 0;
            oy++;
        }
    }
    return q;
}

// The plain twin: the same patches, one column at a time, the packed weights read back element by element.
static int conv_portable(int M, const int8_t *wp, const int32_t *sums, const qb_conv_ctx *c, int N, int32_t *acc) {
    int depth = c->channels * c->g.kh * c->g.kw, ld8 = qb_vnni_ld(depth), K4 = ld8 / 4;
    uint8_t *q = (uint8_t *)malloc((size_t)ld8);
    uint8_t one[64];
    if (!q && ld8 > 64) return QB_NO_MEMORY;
    if (!q) q = one;
    for (int j = 0; j < N; j++) {
        const uint8_t *col = qb_fill_conv(c, j, 1, q, ld8);
        for (int i = 0; i < M; i++) {
            const int8_t *wb = wp + (ptrdiff_t)(i / 16) * K4 * 64 + (i % 16) * 4;
            int32_t s = 0;
            for (int k = 0; k < depth; k++) s += (int32_t)wb[(ptrdiff_t)(k / 4) * 64 + k % 4] * col[k];
            acc[(ptrdiff_t)i * N + j] = s - (int32_t)c->zp * sums[i];
        }
    }
    if (q != one) free(q);
    return 0;
}

int qb_conv_u8(int M, const int8_t *wp, const int32_t *sums, const qb_hwc_input *in, int32_t *acc) {
    qb_conv_ctx c = {in->codes, in->channels, in->ih, in->iw, in->zero, in->first, in->geo};
    const qb_conv_geo g = in->geo;
    if (vnni_drive(M, in->count, in->channels * g.kh * g.kw, wp, sums, in->zero, acc, qb_fill_conv, &c)) return 1;
    return conv_portable(M, wp, sums, &c, in->count, acc);
}
