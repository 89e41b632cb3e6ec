// FGQ ternary layers on AVX-512 VNNI and AVX2 (the same packing and bits). See qb_kernels.h.
//
// The codes t in {-1, 0, +1} are packed like int8 weights (16-row blocks, 4 consecutive k per row) and
// each group of consecutive quads is summed exactly in int32 with vpdpbusd on the unsigned activation
// codes q = x + Z (a product by -1, 0 or +1 selects the code's sign: the group's additions and
// subtractions, done 64 at a time); Z sum_{k in g} t_k is subtracted, and the group's one multiply by
// alpha_g is a fused multiply-add into the row's float sum. The plain twin does the same operations one
// element at a time (fmaf), so both give the same bits.
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "qb_kernels.h"
#include "qb_vnni_internal.h"
#include "qb_epilogue.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define QB_X86 1
#endif

size_t qb_ternary_table_size(int M, int groups) {
    return (size_t)((M + 15) / 16) * 16 * (size_t)groups;
}

void qb_ternary_pack(int M, int depth, int taps, int groups, const int16_t *codes, int ldw, const float *alpha, int zp,
                     int8_t *wp, int32_t *sums, float *alphas, int32_t *corr) {
    qb_vnni_pack(M, depth, taps, codes, ldw, wp, sums);
    int K4 = qb_vnni_ld(depth) / 4, MB = (M + 15) / 16, gq = K4 / groups;
    memset(alphas, 0, qb_ternary_table_size(M, groups) * sizeof(float));
    memset(corr, 0, qb_ternary_table_size(M, groups) * sizeof(int32_t));
    for (int b = 0; b < MB; b++) {
        for (int r = 0; r < 16 && b * 16 + r < M; r++) {
            for (int g = 0; g < groups; g++) {
                int32_t s = 0;
                for (int k4 = g * gq; k4 < (g + 1) * gq; k4++)
                    for (int t = 0; t < 4; t++) s += wp[(((ptrdiff_t)b * K4 + k4) * 16 + r) * 4 + t];
                alphas[((ptrdiff_t)b * groups + g) * 16 + r] = alpha[(ptrdiff_t)(b * 16 + r) * groups + g];
                corr[((ptrdiff_t)b * groups + g) * 16 + r] = zp * s;
            }
        }
    }
}

typedef struct {
    int M, groups;
    const int8_t *wp;
    const float *alphas, *bias;
    const int32_t *corr;
    float sx, lo, hi;
    float *out;
    ptrdiff_t rs, cs;
    int failed;
} ternary_ctx;

#ifdef QB_X86
// One 16-row block x 8 columns per step: 8 int32 group sums and 8 float row sums.
__attribute__((target("avx512f,avx512bw,avx512vnni"))) static void ternary_tile(void *vctx, int j0, int n,
                                                                                const uint8_t *q, int ld8) {
    ternary_ctx *c = (ternary_ctx *)vctx;
    int K4 = ld8 / 4, G = c->groups, gq = K4 / G, MB = (c->M + 15) / 16;
    float *part = qb_block_results(n);
    if (!part) {
        c->failed = 1;
        return;
    }
    const __m512 vsx = _mm512_set1_ps(c->sx), vlo = _mm512_set1_ps(c->lo), vhi = _mm512_set1_ps(c->hi);
    for (int b = 0; b < MB; b++) {
        const int8_t *wb = c->wp + (ptrdiff_t)b * K4 * 64;
        const float *ab = c->alphas + (ptrdiff_t)b * G * 16;
        const int32_t *cb = c->corr + (ptrdiff_t)b * G * 16;
        int rows = c->M - b * 16 < 16 ? c->M - b * 16 : 16;
        __mmask16 rm = (__mmask16)((1u << rows) - 1);
        __m512 vb = c->bias ? _mm512_maskz_loadu_ps(rm, c->bias + b * 16) : _mm512_setzero_ps();
        int j = 0;
        for (; j + 8 <= n; j += 8) {
#define QB_F(u) __m512 f##u = _mm512_setzero_ps();
            QB_F(0)
            // clang-format off
            QB_F(1) QB_F(2) QB_F(3) QB_F(4) QB_F(5) QB_F(6) QB_F(7)
            // clang-format on
#undef QB_F
                const uint8_t *qj = q + (ptrdiff_t)j * ld8;
            for (int g = 0; g < G; g++) {
#define QB_I(u) __m512i i##u = _mm512_setzero_si512();
                QB_I(0)
                // clang-format off
                QB_I(1) QB_I(2) QB_I(3) QB_I(4) QB_I(5) QB_I(6) QB_I(7)
                // clang-format on
#undef QB_I
                    for (int k4 = g * gq; k4 < (g + 1) * gq; k4++) {
                    __m512i w = _mm512_loadu_si512(wb + (ptrdiff_t)k4 * 64);
                    const uint8_t *qk = qj + k4 * 4;
#define QB_S(u)                                                                                                        \
    {                                                                                                                  \
        int32_t v;                                                                                                     \
        memcpy(&v, qk + (ptrdiff_t)(u) * ld8, 4);                                                                      \
        i##u = _mm512_dpbusd_epi32(i##u, _mm512_set1_epi32(v), w);                                                     \
    }
                    // clang-format off
                    QB_S(0) QB_S(1) QB_S(2) QB_S(3) QB_S(4) QB_S(5) QB_S(6) QB_S(7)
                    // clang-format on
#undef QB_S
                }
                __m512 a = _mm512_loadu_ps(ab + g * 16);
                __m512i cr = _mm512_loadu_si512(cb + g * 16);
#define QB_A(u) f##u = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(i##u, cr)), a, f##u);
                // clang-format off
                QB_A(0) QB_A(1) QB_A(2) QB_A(3) QB_A(4) QB_A(5) QB_A(6) QB_A(7)
                // clang-format on
#undef QB_A
            }
#define QB_O(u)                                                                                                        \
    _mm512_storeu_ps(part + (ptrdiff_t)(j + (u)) * 16,                                                                 \
                     _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(_mm512_mul_ps(f##u, vsx), vb), vlo), vhi));
            // clang-format off
            QB_O(0) QB_O(1) QB_O(2) QB_O(3) QB_O(4) QB_O(5) QB_O(6) QB_O(7)
            // clang-format on
#undef QB_O
        }
        for (; j < n; j++) {
            __m512 f = _mm512_setzero_ps();
            const uint8_t *qj = q + (ptrdiff_t)j * ld8;
            for (int g = 0; g < G; g++) {
                __m512i s = _mm512_setzero_si512();
                for (int k4 = g * gq; k4 < (g + 1) * gq; k4++) {
                    int32_t v;
                    memcpy(&v, qj + k4 * 4, 4);
                    s = _mm512_dpbusd_epi32(s, _mm512_set1_epi32(v), _mm512_loadu_si512(wb + (ptrdiff_t)k4 * 64));
                }
                f = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(s, _mm512_loadu_si512(cb + g * 16))),
                                    _mm512_loadu_ps(ab + g * 16), f);
            }
            _mm512_storeu_ps(part + (ptrdiff_t)j * 16,
                             _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(_mm512_mul_ps(f, vsx), vb), vlo), vhi));
        }
        qb_scatter_block(part, rows, n, c->out + (ptrdiff_t)b * 16 * c->rs + (ptrdiff_t)j0 * c->cs, c->rs, c->cs);
    }
}

// AVX2: one half block (8 rows of 4 bytes) x 4 columns per step. A quad's 4 codes times 4 ternary bytes is
// vpmaddubsw (u8 x s8; a pair sums to at most 2 * 255, no saturation) then vpmaddwd by ones: the exact int32
// that vpdpbusd gives; the group's float work is the VNNI tile's (qb_epilogue.h).
__attribute__((target("avx2,fma"))) static void ternary_half_avx2(const ternary_ctx *c, int b, int h, int n,
                                                                  const uint8_t *q, int ld8, float *part) {
    int K4 = ld8 / 4, G = c->groups, gq = K4 / G, first = b * 16 + h * 8, rows = c->M - first < 8 ? c->M - first : 8;
    const int8_t *wb = c->wp + (ptrdiff_t)b * K4 * 64 + h * 32;
    const float *ab = c->alphas + (ptrdiff_t)b * G * 16 + h * 8;
    const int32_t *cb = c->corr + (ptrdiff_t)b * G * 16 + h * 8;
    const __m256i ones = _mm256_set1_epi16(1);
    const __m256 vsx = _mm256_set1_ps(c->sx), vlo = _mm256_set1_ps(c->lo), vhi = _mm256_set1_ps(c->hi);
    float bias[8] = {0};
    for (int r = 0; r < rows && c->bias; r++) bias[r] = c->bias[first + r];
    const __m256 vb = _mm256_loadu_ps(bias);
    int j = 0;
    for (; j + 4 <= n; j += 4) {
        __m256 f0 = _mm256_setzero_ps(), f1 = f0, f2 = f0, f3 = f0;
        const uint8_t *qj = q + (ptrdiff_t)j * ld8;
        for (int g = 0; g < G; g++) {
            __m256i i0 = _mm256_setzero_si256(), i1 = i0, i2 = i0, i3 = i0;
            if (gq == 1) { // groups of N = 4 at a tap: one quad, no int16 sum to carry
                __m256i w = _mm256_loadu_si256((const __m256i *)(wb + (ptrdiff_t)g * 64));
#define QB_S(u)                                                                                                        \
    {                                                                                                                  \
        int32_t v;                                                                                                     \
        memcpy(&v, qj + (ptrdiff_t)(u) * ld8 + g * 4, 4);                                                              \
        i##u = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi32(v), w), ones);                                 \
    }
                // clang-format off
                QB_S(0) QB_S(1) QB_S(2) QB_S(3)
                // clang-format on
#undef QB_S
            } else
                // int16 pair sums (at most 2 * 255 per quad) added for up to 64 quads, then widened: exact.
                for (int k0 = g * gq; k0 < (g + 1) * gq; k0 += 64) {
                    int k1 = (g + 1) * gq - k0 < 64 ? (g + 1) * gq : k0 + 64;
                    __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
                    for (int k4 = k0; k4 < k1; k4++) {
                        __m256i w = _mm256_loadu_si256((const __m256i *)(wb + (ptrdiff_t)k4 * 64));
#define QB_S(u)                                                                                                        \
    {                                                                                                                  \
        int32_t v;                                                                                                     \
        memcpy(&v, qj + (ptrdiff_t)(u) * ld8 + k4 * 4, 4);                                                             \
        s##u = _mm256_add_epi16(s##u, _mm256_maddubs_epi16(_mm256_set1_epi32(v), w));                                  \
    }
                        // clang-format off
                        QB_S(0) QB_S(1) QB_S(2) QB_S(3)
                    // clang-format on
#undef QB_S
                    }
                    i0 = _mm256_add_epi32(i0, _mm256_madd_epi16(s0, ones));
                    i1 = _mm256_add_epi32(i1, _mm256_madd_epi16(s1, ones));
                    i2 = _mm256_add_epi32(i2, _mm256_madd_epi16(s2, ones));
                    i3 = _mm256_add_epi32(i3, _mm256_madd_epi16(s3, ones));
                }
            __m256 a = _mm256_loadu_ps(ab + g * 16);
            __m256i cr = _mm256_loadu_si256((const __m256i *)(cb + g * 16));
            f0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(i0, cr)), a, f0);
            f1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(i1, cr)), a, f1);
            f2 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(i2, cr)), a, f2);
            f3 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(i3, cr)), a, f3);
        }
#define QB_O(u)                                                                                                        \
    _mm256_storeu_ps(part + (ptrdiff_t)(j + (u)) * 16 + h * 8,                                                         \
                     _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(_mm256_mul_ps(f##u, vsx), vb), vlo), vhi));
        // clang-format off
        QB_O(0) QB_O(1) QB_O(2) QB_O(3)
        // clang-format on
#undef QB_O
    }
    for (; j < n; j++) {
        __m256 f = _mm256_setzero_ps();
        const uint8_t *qj = q + (ptrdiff_t)j * ld8;
        for (int g = 0; g < G; g++) {
            __m256i s = _mm256_setzero_si256();
            for (int k4 = g * gq; k4 < (g + 1) * gq; k4++) {
                int32_t v;
                memcpy(&v, qj + k4 * 4, 4);
                __m256i w = _mm256_loadu_si256((const __m256i *)(wb + (ptrdiff_t)k4 * 64));
                s = _mm256_add_epi32(s, _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi32(v), w), ones));
            }
            __m256i cr = _mm256_loadu_si256((const __m256i *)(cb + g * 16));
            f = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(s, cr)), _mm256_loadu_ps(ab + g * 16), f);
        }
        _mm256_storeu_ps(part + (ptrdiff_t)j * 16 + h * 8,
                         _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(_mm256_mul_ps(f, vsx), vb), vlo), vhi));
    }
}

static void ternary_tile_avx2(void *vctx, int j0, int n, const uint8_t *q, int ld8) {
    ternary_ctx *c = (ternary_ctx *)vctx;
    float *part = qb_block_results(n);
    if (!part) {
        c->failed = 1;
        return;
    }
    for (int b = 0; b < (c->M + 15) / 16; b++) {
        int rows = c->M - b * 16 < 16 ? c->M - b * 16 : 16;
        ternary_half_avx2(c, b, 0, n, q, ld8, part);
        if (rows > 8) ternary_half_avx2(c, b, 1, n, q, ld8, part);
        qb_scatter_block(part, rows, n, c->out + (ptrdiff_t)b * 16 * c->rs + (ptrdiff_t)j0 * c->cs, c->rs, c->cs);
    }
}
#endif

// The plain twin: one column at a time, the packed codes read back element by element.
static int ternary_portable(const ternary_ctx *c, int depth, qb_fill_fn fill, const void *fctx, int N) {
    int ld8 = qb_vnni_ld(depth), K4 = ld8 / 4, G = c->groups, gq = K4 / G;
    uint8_t *q = qb_twin_column(depth, c->M, N, c->out, c->rs, c->cs);
    if (!q) return QB_NO_MEMORY;
    for (int j = 0; j < N; j++) {
        const uint8_t *col = fill(fctx, j, 1, q, ld8);
        for (int i = 0; i < c->M; i++) {
            int b = i / 16, r = i % 16;
            const int8_t *wb = c->wp + (ptrdiff_t)b * K4 * 64 + r * 4;
            float f = 0.0f;
            for (int g = 0; g < G; g++) {
                int32_t s = 0;
                for (int k = g * gq * 4; k < (g + 1) * gq * 4; k++)
                    s += (int32_t)wb[(ptrdiff_t)(k / 4) * 64 + k % 4] * col[k];
                ptrdiff_t t = ((ptrdiff_t)b * G + g) * 16 + r;
                f = qb_ternary_group(f, s - c->corr[t], c->alphas[t]);
            }
            c->out[(ptrdiff_t)i * c->rs + (ptrdiff_t)j * c->cs] =
                qb_scale_bias_clamp(f, c->sx, c->bias ? c->bias[i] : 0.0f, c->lo, c->hi);
        }
    }
    free(q);
    return 0;
}

static int ternary_run(ternary_ctx *c, int depth, qb_fill_fn fill, const void *fctx, int N) {
    if (c->M <= 0 || N <= 0) return 1;
    if (c->groups <= 0 || qb_vnni_ld(depth) / 4 % c->groups != 0) return -1;
#ifdef QB_X86
    if (qb_vnni_columns(N, depth, fill, fctx, qb_kernels_have_vnni() ? ternary_tile : ternary_tile_avx2, c) &&
        !c->failed)
        return 1;
#endif
    return ternary_portable(c, depth, fill, fctx, N);
}

int qb_ternary_rows(const qb_ternary_layer *L, const qb_code_columns *in, const qb_float_output *o) {
    qb_rows_ctx f = {in->codes, in->stride, in->depth, in->zero};
    ternary_ctx c = {L->rows, L->groups, L->codes, L->alphas, o->bias, L->corr, o->sx,
                     o->lo,   o->hi,     o->out,   o->rs,     o->cs,   0};
    return ternary_run(&c, in->depth, qb_fill_rows, &f, in->count);
}

int qb_ternary_floats(const qb_ternary_layer *L, const qb_float_columns *in, const qb_float_output *o) {
    ternary_ctx c = {L->rows, L->groups, L->codes, L->alphas, o->bias, L->corr, o->sx,
                     o->lo,   o->hi,     o->out,   o->rs,     o->cs,   0};
    return ternary_run(&c, in->depth, qb_fill_float_rows, in, in->count);
}

int qb_ternary_conv(const qb_ternary_layer *L, const qb_hwc_input *in, const qb_float_output *o) {
    qb_conv_ctx f = {in->codes, in->channels, in->ih, in->iw, in->zero, in->first, in->geo};
    ternary_ctx c = {L->rows, L->groups, L->codes, L->alphas, o->bias, L->corr, o->sx,
                     o->lo,   o->hi,     o->out,   o->rs,     1,       0};
    return ternary_run(&c, in->channels * in->geo.kh * in->geo.kw, qb_fill_conv, &f, in->count);
}
