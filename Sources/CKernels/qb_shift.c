// Power-of-two (shift) layers on AVX-512 VNNI and AVX2 (the same packing and bits). See qb_kernels.h.
//
// A weight is unit * (sign 2^e) + mu_c (c its mixture component; mu = 0 when not recentralized), so a row's
// output needs three exact integer sums of the activation codes: s = sum sign 2^e x, c1 = sum of x over
// component 1, cnz = sum of x over all nonzero weights (c0 = cnz - c1). The signed powers of two are stored
// as int16 (2^e for e <= 14) and summed two at a time with vpdpwssd; the component and nonzero indicators
// are bytes summed four at a time with vpdpbusd (mode 1, recentralized; mode 0 has no mixture; mode 2, plain
// with a top level 2^15, sums that level's signs as bytes and adds them shifted by 15), all on the unsigned codes q = x
// + Z with Z times each sum of weights subtracted at the end (exact in int32: the caller checks 255 sum |w| < 2^31).
// Then, per output, in double: unit s + mu0 c0 + mu1 c1, rounded to float, times the input scale, plus the bias,
// clamped. The plain twin does the same operations element by element, so both give the same bits.
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

// SHIFT_STEP and the packing: qb_shift_pack.c.

typedef struct {
    int M, mode;
    const int8_t *wp;
    const int32_t *corr;
    const double *unit, *mu0, *mu1;
    const float *bias;
    float sx, lo, hi;
    float *out;
    ptrdiff_t rs, cs;
    int failed;
} shift_ctx;

// The corrected sums -> qb_shift_value (c0 = cnz - c1, exact in int32).
static inline float shift_epilogue(int32_t s, int32_t c1, int32_t cnz, double u, double m0, double m1, float sx,
                                   float b, float lo, float hi) {
    return qb_shift_value(s, (int64_t)(cnz - c1), c1, u, m0, m1, sx, b, lo, hi);
}

#ifdef QB_X86
__attribute__((target("avx512f,avx512bw,avx512vnni,avx512dq"))) static inline __m512i pair_sums(__m512i lo8,
                                                                                                __m512i hi8) {
    // Row m of each half: int32 lanes 2m and 2m + 1 added, then the even lanes gathered.
    __m256i a = _mm512_cvtepi64_epi32(_mm512_add_epi32(lo8, _mm512_srli_epi64(lo8, 32)));
    __m256i b = _mm512_cvtepi64_epi32(_mm512_add_epi32(hi8, _mm512_srli_epi64(hi8, 32)));
    return _mm512_inserti64x4(_mm512_castsi256_si512(a), b, 1);
}

__attribute__((target("avx512f,avx512bw,avx512vnni,avx512dq"))) static inline __m512
shift_vec(__m512i s, __m512i c1, __m512i cnz, const double *u, const double *m0, const double *m1, __m512 sx, __m512 b,
          __m512 lo, __m512 hi) {
    __m512i c0 = _mm512_sub_epi32(cnz, c1);
    __m256 half[2];
    for (int h = 0; h < 2; h++) {
        __m256i sh = h ? _mm512_extracti64x4_epi64(s, 1) : _mm512_castsi512_si256(s);
        __m256i c0h = h ? _mm512_extracti64x4_epi64(c0, 1) : _mm512_castsi512_si256(c0);
        __m256i c1h = h ? _mm512_extracti64x4_epi64(c1, 1) : _mm512_castsi512_si256(c1);
        __m512d t = _mm512_mul_pd(_mm512_loadu_pd(u + 8 * h), _mm512_cvtepi32_pd(sh));
        t = _mm512_add_pd(t, _mm512_mul_pd(_mm512_loadu_pd(m0 + 8 * h), _mm512_cvtepi32_pd(c0h)));
        t = _mm512_add_pd(t, _mm512_mul_pd(_mm512_loadu_pd(m1 + 8 * h), _mm512_cvtepi32_pd(c1h)));
        half[h] = _mm512_cvtpd_ps(t);
    }
    __m512 f = _mm512_insertf32x8(_mm512_castps256_ps512(half[0]), half[1], 1);
    return _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(_mm512_mul_ps(f, sx), b), lo), hi);
}

// The corrected sums of one column: s (plus 2^15 times the top-level sum in mode 2), c1 and cnz (mode 1).
__attribute__((target("avx512f,avx512bw,avx512vnni,avx512dq"))) static inline __m512
shift_out(int mode, __m512i al, __m512i ah, __m512i bc, __m512i nz, __m512i za, __m512i zb, __m512i zc, const double *u,
          const double *m0, const double *m1, __m512 sx, __m512 b, __m512 lo, __m512 hi) {
    __m512i s = _mm512_sub_epi32(pair_sums(al, ah), za), top = _mm512_sub_epi32(bc, zb);
    if (mode == 2)
        return shift_vec(_mm512_add_epi32(s, _mm512_slli_epi32(top, 15)), _mm512_setzero_si512(),
                         _mm512_setzero_si512(), u, m0, m1, sx, b, lo, hi);
    return shift_vec(s, top, _mm512_sub_epi32(nz, zc), u, m0, m1, sx, b, lo, hi);
}

// One 16-row block x 6 columns per step: 4 accumulators per column (powers of rows 0-7 and 8-15 in int16
// pairs, component 1, nonzero).
__attribute__((target("avx512f,avx512bw,avx512vnni,avx512dq"))) static void shift_tile(void *vctx, int j0, int n,
                                                                                       const uint8_t *q, int ld8) {
    shift_ctx *c = (shift_ctx *)vctx;
    int K4 = ld8 / 4, MB = (c->M + 15) / 16;
    // The results of one row block, and the codes widened once per block of columns (the int16 pairs vpdpwssd
    // multiplies).
    float *part = qb_block_results(n);
    const int16_t *q16 = qb_widen_codes(q, (size_t)n * (size_t)ld8);
    if (!part || !q16) {
        c->failed = 1;
        return;
    }
    const __m512 vsx = _mm512_set1_ps(c->sx), vlo = _mm512_set1_ps(c->lo), vhi = _mm512_set1_ps(c->hi);
    for (int b = 0; b < MB; b++) {
        const int8_t *wb = c->wp + (ptrdiff_t)b * K4 * SHIFT_STEP;
        const int32_t *cr = c->corr + b * 48;
        // Sums a mode does not compute get no correction either (0, as the twin's).
        const __m512i za = _mm512_loadu_si512(cr);
        const __m512i zb = c->mode != 0 ? _mm512_loadu_si512(cr + 16) : _mm512_setzero_si512();
        const __m512i zc = c->mode == 1 ? _mm512_loadu_si512(cr + 32) : _mm512_setzero_si512();
        const int useB = c->mode != 0, useC = c->mode == 1;
        int rows = c->M - b * 16 < 16 ? c->M - b * 16 : 16;
        __mmask16 rm = (__mmask16)((1u << rows) - 1);
        __m512 vb = c->bias ? _mm512_maskz_loadu_ps(rm, c->bias + b * 16) : _mm512_setzero_ps();
        double u[16], m0[16], m1[16];
        for (int r = 0; r < 16; r++) {
            int i = b * 16 + r < c->M ? b * 16 + r : c->M - 1;
            u[r] = c->unit[i], m0[r] = c->mu0[i], m1[r] = c->mu1[i];
        }
        int j = 0;
        for (; j + 6 <= n; j += 6) {
#define QB_Z(x) __m512i al##x = _mm512_setzero_si512(), ah##x = al##x, bc##x = al##x, nz##x = al##x;
            QB_Z(0)
            // clang-format off
            QB_Z(1) QB_Z(2) QB_Z(3) QB_Z(4) QB_Z(5)
            // clang-format on
#undef QB_Z
                for (int k4 = 0; k4 < K4; k4++) {
                const int8_t *step = wb + (ptrdiff_t)k4 * SHIFT_STEP;
                __m512i pl = _mm512_loadu_si512(step), ph = _mm512_loadu_si512(step + 64);
                __m512i w1 = _mm512_loadu_si512(step + 128), wn = _mm512_loadu_si512(step + 192);
#define QB_S(x)                                                                                                        \
    {                                                                                                                  \
        int64_t v16;                                                                                                   \
        memcpy(&v16, q16 + (ptrdiff_t)(j + (x)) * ld8 + k4 * 4, 8);                                                    \
        __m512i p = _mm512_set1_epi64(v16);                                                                            \
        al##x = _mm512_dpwssd_epi32(al##x, p, pl);                                                                     \
        ah##x = _mm512_dpwssd_epi32(ah##x, p, ph);                                                                     \
        if (useB) {                                                                                                    \
            int32_t v8;                                                                                                \
            memcpy(&v8, q + (ptrdiff_t)(j + (x)) * ld8 + k4 * 4, 4);                                                   \
            __m512i d = _mm512_set1_epi32(v8);                                                                         \
            bc##x = _mm512_dpbusd_epi32(bc##x, d, w1);                                                                 \
            if (useC) nz##x = _mm512_dpbusd_epi32(nz##x, d, wn);                                                       \
        }                                                                                                              \
    }
                // clang-format off
                QB_S(0) QB_S(1) QB_S(2) QB_S(3) QB_S(4) QB_S(5)
                // clang-format on
#undef QB_S
            }
#define QB_O(x)                                                                                                        \
    _mm512_storeu_ps(part + (ptrdiff_t)(j + (x)) * 16,                                                                 \
                     shift_out(c->mode, al##x, ah##x, bc##x, nz##x, za, zb, zc, u, m0, m1, vsx, vb, vlo, vhi));
            // clang-format off
            QB_O(0) QB_O(1) QB_O(2) QB_O(3) QB_O(4) QB_O(5)
            // clang-format on
#undef QB_O
        }
        for (; j < n; j++) {
            __m512i al = _mm512_setzero_si512(), ah = al, bc = al, nz = al;
            for (int k4 = 0; k4 < K4; k4++) {
                const int8_t *step = wb + (ptrdiff_t)k4 * SHIFT_STEP;
                int64_t v16;
                memcpy(&v16, q16 + (ptrdiff_t)j * ld8 + k4 * 4, 8);
                __m512i p = _mm512_set1_epi64(v16);
                al = _mm512_dpwssd_epi32(al, p, _mm512_loadu_si512(step));
                ah = _mm512_dpwssd_epi32(ah, p, _mm512_loadu_si512(step + 64));
                if (useB) {
                    int32_t v8;
                    memcpy(&v8, q + (ptrdiff_t)j * ld8 + k4 * 4, 4);
                    __m512i d = _mm512_set1_epi32(v8);
                    bc = _mm512_dpbusd_epi32(bc, d, _mm512_loadu_si512(step + 128));
                    if (useC) nz = _mm512_dpbusd_epi32(nz, d, _mm512_loadu_si512(step + 192));
                }
            }
            _mm512_storeu_ps(part + (ptrdiff_t)j * 16,
                             shift_out(c->mode, al, ah, bc, nz, za, zb, zc, u, m0, m1, vsx, vb, vlo, vhi));
        }
        qb_scatter_block(part, rows, n, c->out + (ptrdiff_t)b * 16 * c->rs + (ptrdiff_t)j0 * c->cs, c->rs, c->cs);
    }
}

// AVX2: the epilogue of 8 rows (qb_shift_value, 4 doubles at a time).
__attribute__((target("avx2,fma"))) static inline __m256 shift_vec_avx2(__m256i s, __m256i c1, __m256i cnz,
                                                                        const double *u, const double *m0,
                                                                        const double *m1, __m256 sx, __m256 b,
                                                                        __m256 lo, __m256 hi) {
    __m256i c0 = _mm256_sub_epi32(cnz, c1);
    __m128 half[2];
    for (int h = 0; h < 2; h++) {
        __m128i sh = h ? _mm256_extracti128_si256(s, 1) : _mm256_castsi256_si128(s);
        __m128i c0h = h ? _mm256_extracti128_si256(c0, 1) : _mm256_castsi256_si128(c0);
        __m128i c1h = h ? _mm256_extracti128_si256(c1, 1) : _mm256_castsi256_si128(c1);
        __m256d t = _mm256_mul_pd(_mm256_loadu_pd(u + 4 * h), _mm256_cvtepi32_pd(sh));
        t = _mm256_add_pd(t, _mm256_mul_pd(_mm256_loadu_pd(m0 + 4 * h), _mm256_cvtepi32_pd(c0h)));
        t = _mm256_add_pd(t, _mm256_mul_pd(_mm256_loadu_pd(m1 + 4 * h), _mm256_cvtepi32_pd(c1h)));
        half[h] = _mm256_cvtpd_ps(t);
    }
    __m256 f = _mm256_insertf128_ps(_mm256_castps128_ps256(half[0]), half[1], 1);
    return _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(_mm256_mul_ps(f, sx), b), lo), hi);
}

// AVX2: one half block (8 rows) x 3 columns per step. Powers: int16 x the widened codes by vpmaddwd (rows in
// (pair, pair) lanes, added at the end); indicators: vpmaddubsw on the byte codes then vpmaddwd by ones. The
// sums are the VNNI tile's, exact, and the epilogue is the same (qb_epilogue.h).
__attribute__((target("avx2,fma"))) static void
shift_half_avx2(const shift_ctx *c, int b, int h, int n, const uint8_t *q, const int16_t *q16, int ld8, float *part) {
    int K4 = ld8 / 4, first = b * 16 + h * 8;
    const int8_t *wb = c->wp + (ptrdiff_t)b * K4 * SHIFT_STEP;
    const int32_t *cr = c->corr + b * 48 + h * 8;
    const int useB = c->mode != 0, useC = c->mode == 1;
    const __m256i za = _mm256_loadu_si256((const __m256i *)cr);
    const __m256i zb = useB ? _mm256_loadu_si256((const __m256i *)(cr + 16)) : _mm256_setzero_si256();
    const __m256i zc = useC ? _mm256_loadu_si256((const __m256i *)(cr + 32)) : _mm256_setzero_si256();
    const __m256i ones = _mm256_set1_epi16(1);
    const __m256 vsx = _mm256_set1_ps(c->sx), vlo = _mm256_set1_ps(c->lo), vhi = _mm256_set1_ps(c->hi);
    float bias[8] = {0};
    double u[8], m0[8], m1[8];
    for (int r = 0; r < 8; r++) {
        int i = first + r < c->M ? first + r : c->M - 1;
        bias[r] = c->bias && first + r < c->M ? c->bias[i] : 0.0f;
        u[r] = c->unit[i], m0[r] = c->mu0[i], m1[r] = c->mu1[i];
    }
    const __m256 vb = _mm256_loadu_ps(bias);
    int j = 0;
    // Plain layers (powers only): 6 columns per step, 12 accumulators, as the int8 tile (the same sums, in fewer
    // steps).
    for (; c->mode == 0 && j + 6 <= n; j += 6) {
#define QB_Z(x) __m256i l##x = _mm256_setzero_si256(), h##x = _mm256_setzero_si256();
        QB_Z(0)
        // clang-format off
        QB_Z(1) QB_Z(2) QB_Z(3) QB_Z(4) QB_Z(5)
        // clang-format on
#undef QB_Z
            const int16_t *qj = q16 + (ptrdiff_t)j * ld8;
        for (int k4 = 0; k4 < K4; k4++) {
            const int8_t *step = wb + (ptrdiff_t)k4 * SHIFT_STEP;
            __m256i p0 = _mm256_loadu_si256((const __m256i *)(step + h * 64)),
                    p1 = _mm256_loadu_si256((const __m256i *)(step + h * 64 + 32));
#define QB_S(x)                                                                                                        \
    {                                                                                                                  \
        int64_t v16;                                                                                                   \
        memcpy(&v16, qj + (ptrdiff_t)(x) * ld8 + k4 * 4, 8);                                                           \
        __m256i p = _mm256_set1_epi64x(v16);                                                                           \
        l##x = _mm256_add_epi32(l##x, _mm256_madd_epi16(p0, p));                                                       \
        h##x = _mm256_add_epi32(h##x, _mm256_madd_epi16(p1, p));                                                       \
    }
            // clang-format off
            QB_S(0) QB_S(1) QB_S(2) QB_S(3) QB_S(4) QB_S(5)
            // clang-format on
#undef QB_S
        }
        const __m256i zero = _mm256_setzero_si256();
#define QB_O(x)                                                                                                        \
    {                                                                                                                  \
        __m256i sv = _mm256_sub_epi32(_mm256_permute4x64_epi64(_mm256_hadd_epi32(l##x, h##x), 0xD8), za);              \
        _mm256_storeu_ps(part + (ptrdiff_t)(j + (x)) * 16 + h * 8,                                                     \
                         shift_vec_avx2(sv, zero, zero, u, m0, m1, vsx, vb, vlo, vhi));                                \
    }
        // clang-format off
        QB_O(0) QB_O(1) QB_O(2) QB_O(3) QB_O(4) QB_O(5)
        // clang-format on
#undef QB_O
    }
    for (; j < n; j += 3) {
        int cols = n - j < 3 ? n - j : 3;
        __m256i l[3], hh[3], bc[3], nz[3];
        for (int x = 0; x < 3; x++) l[x] = hh[x] = bc[x] = nz[x] = _mm256_setzero_si256();
        // The indicator sums in int16 for up to 64 quads (a quad's pair sums are at most 2 * 255: 64 * 510 < 2^15),
        // then widened: exact, one vpmaddwd per 64 quads instead of one per quad.
        for (int k0 = 0; k0 < K4; k0 += 64) {
            int k1 = K4 - k0 < 64 ? K4 : k0 + 64;
            __m256i b16[3], n16[3];
            for (int x = 0; x < 3; x++) b16[x] = n16[x] = _mm256_setzero_si256();
            for (int k4 = k0; k4 < k1; k4++) {
                const int8_t *step = wb + (ptrdiff_t)k4 * SHIFT_STEP;
                __m256i p0 = _mm256_loadu_si256((const __m256i *)(step + h * 64)),
                        p1 = _mm256_loadu_si256((const __m256i *)(step + h * 64 + 32));
                __m256i w1 = _mm256_loadu_si256((const __m256i *)(step + 128 + h * 32)),
                        wn = _mm256_loadu_si256((const __m256i *)(step + 192 + h * 32));
                for (int x = 0; x < cols; x++) {
                    int64_t v16;
                    memcpy(&v16, q16 + (ptrdiff_t)(j + x) * ld8 + k4 * 4, 8);
                    __m256i p = _mm256_set1_epi64x(v16);
                    l[x] = _mm256_add_epi32(l[x], _mm256_madd_epi16(p0, p));
                    hh[x] = _mm256_add_epi32(hh[x], _mm256_madd_epi16(p1, p));
                    if (useB) {
                        int32_t v8;
                        memcpy(&v8, q + (ptrdiff_t)(j + x) * ld8 + k4 * 4, 4);
                        __m256i d = _mm256_set1_epi32(v8);
                        b16[x] = _mm256_add_epi16(b16[x], _mm256_maddubs_epi16(d, w1));
                        if (useC) n16[x] = _mm256_add_epi16(n16[x], _mm256_maddubs_epi16(d, wn));
                    }
                }
            }
            for (int x = 0; x < cols && useB; x++) {
                bc[x] = _mm256_add_epi32(bc[x], _mm256_madd_epi16(b16[x], ones));
                if (useC) nz[x] = _mm256_add_epi32(nz[x], _mm256_madd_epi16(n16[x], ones));
            }
        }
        for (int x = 0; x < cols; x++) {
            __m256i sv = _mm256_sub_epi32(_mm256_permute4x64_epi64(_mm256_hadd_epi32(l[x], hh[x]), 0xD8), za);
            __m256i top = _mm256_sub_epi32(bc[x], zb), v;
            __m256 out;
            if (c->mode == 2) {
                v = _mm256_add_epi32(sv, _mm256_slli_epi32(top, 15));
                out = shift_vec_avx2(v, _mm256_setzero_si256(), _mm256_setzero_si256(), u, m0, m1, vsx, vb, vlo, vhi);
            } else {
                out = shift_vec_avx2(sv, top, _mm256_sub_epi32(nz[x], zc), u, m0, m1, vsx, vb, vlo, vhi);
            }
            _mm256_storeu_ps(part + (ptrdiff_t)(j + x) * 16 + h * 8, out);
        }
    }
}

static void shift_tile_avx2(void *vctx, int j0, int n, const uint8_t *q, int ld8) {
    shift_ctx *c = (shift_ctx *)vctx;
    float *part = qb_block_results(n);
    if (!part) {
        c->failed = 1;
        return;
    }
    const int16_t *q16 = qb_widen_codes(q, (size_t)n * (size_t)ld8);
    if (!q16) {
        c->failed = 1;
        return;
    }
    for (int b = 0; b < (c->M + 15) / 16; b++) {
        int rows = c->M - b * 16 < 16 ? c->M - b * 16 : 16;
        shift_half_avx2(c, b, 0, n, q, q16, ld8, part);
        if (rows > 8) shift_half_avx2(c, b, 1, n, q, q16, ld8, part);
        qb_scatter_block(part, rows, n, c->out + (ptrdiff_t)b * 16 * c->rs + (ptrdiff_t)j0 * c->cs, c->rs, c->cs);
    }
}
#endif

// The plain twin: one column at a time, the packed weights read back element by element.
static int shift_portable(const shift_ctx *c, int depth, qb_fill_fn fill, const void *fctx, int N) {
    int ld8 = qb_vnni_ld(depth), K4 = ld8 / 4;
    uint8_t *q = qb_twin_column(depth, c->M, N, c->out, c->rs, c->cs);
    if (!q) return QB_NO_MEMORY;
    for (int j = 0; j < N; j++) {
        const uint8_t *col = fill(fctx, j, 1, q, ld8);
        for (int i = 0; i < c->M; i++) {
            int b = i / 16, r = i % 16;
            int32_t s = 0, c1 = 0, cnz = 0;
            for (int k = 0; k < K4 * 4; k++) {
                const int8_t *step = c->wp + ((ptrdiff_t)b * K4 + k / 4) * SHIFT_STEP;
                s += (int32_t)((const int16_t *)step)[(r / 8) * 32 + (r % 8) * 4 + k % 4] * col[k];
                if (c->mode != 0) c1 += step[128 + r * 4 + k % 4] * col[k];
                if (c->mode == 1) cnz += step[192 + r * 4 + k % 4] * col[k];
            }
            const int32_t *cr = c->corr + b * 48;
            s -= cr[r];
            if (c->mode != 0) c1 -= cr[16 + r];
            if (c->mode == 1) cnz -= cr[32 + r];
            if (c->mode == 2) {
                s += (int32_t)((uint32_t)c1 << 15);
                c1 = 0;
            }
            c->out[(ptrdiff_t)i * c->rs + (ptrdiff_t)j * c->cs] = shift_epilogue(
                s, c1, cnz, c->unit[i], c->mu0[i], c->mu1[i], c->sx, c->bias ? c->bias[i] : 0.0f, c->lo, c->hi);
        }
    }
    free(q);
    return 0;
}

static int shift_run(shift_ctx *c, int depth, qb_fill_fn fill, const void *fctx, int N) {
    if (c->M <= 0 || N <= 0) return 1;
#ifdef QB_X86
    if (qb_vnni_columns(N, depth, fill, fctx, qb_kernels_have_vnni() ? shift_tile : shift_tile_avx2, c) && !c->failed)
        return 1;
#endif
    return shift_portable(c, depth, fill, fctx, N);
}

int qb_shift_rows(const qb_shift_layer *L, const qb_code_columns *in, const qb_float_output *o) {
    qb_rows_ctx f = {in->codes, in->stride, in->depth, in->zero};
    shift_ctx c = {L->rows, L->mode, L->weights, L->corr, L->unit, L->mu0, L->mu1, o->bias,
                   o->sx,   o->lo,   o->hi,      o->out,  o->rs,   o->cs,  0};
    return shift_run(&c, in->depth, qb_fill_rows, &f, in->count);
}

int qb_shift_floats(const qb_shift_layer *L, const qb_float_columns *in, const qb_float_output *o) {
    shift_ctx c = {L->rows, L->mode, L->weights, L->corr, L->unit, L->mu0, L->mu1, o->bias,
                   o->sx,   o->lo,   o->hi,      o->out,  o->rs,   o->cs,  0};
    return shift_run(&c, in->depth, qb_fill_float_rows, in, in->count);
}

int qb_shift_conv(const qb_shift_layer *L, const qb_hwc_input *in, const qb_float_output *o) {
    qb_conv_ctx f = {in->codes, in->channels, in->ih, in->iw, in->zero, in->first, in->geo};
    shift_ctx c = {L->rows, L->mode, L->weights, L->corr, L->unit, L->mu0, L->mu1, o->bias,
                   o->sx,   o->lo,   o->hi,      o->out,  o->rs,   1,      0};
    return shift_run(&c, in->channels * in->geo.kh * in->geo.kw, qb_fill_conv, &f, in->count);
}

#ifdef QB_X86
// AVX2: one row's columns [0, return value) 8 at a time through shift_vec_avx2 (the same operations).
__attribute__((target("avx2,fma"))) static int combine_row_avx2(int N, int mode, const int32_t *s, const int32_t *c1,
                                                                const int32_t *cnz, double u, double m0, double m1,
                                                                float sx, float b, float lo, float hi, float *out) {
    double uv[8], m0v[8], m1v[8];
    for (int r = 0; r < 8; r++) uv[r] = u, m0v[r] = m0, m1v[r] = m1;
    const __m256 vsx = _mm256_set1_ps(sx), vb = _mm256_set1_ps(b), vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
    const __m256i zero = _mm256_setzero_si256();
    int j = 0;
    for (; j + 8 <= N; j += 8) {
        __m256i sv = _mm256_loadu_si256((const __m256i *)(s + j));
        __m256i a = mode != 0 ? _mm256_loadu_si256((const __m256i *)(c1 + j)) : zero;
        __m256i z = mode == 1 ? _mm256_loadu_si256((const __m256i *)(cnz + j)) : zero;
        if (mode == 2) {
            sv = _mm256_add_epi32(sv, _mm256_slli_epi32(a, 15));
            a = zero;
        }
        _mm256_storeu_ps(out + j, shift_vec_avx2(sv, a, z, uv, m0v, m1v, vsx, vb, vlo, vhi));
    }
    return j;
}
#endif

void qb_shift_combine(int M, int N, int mode, const int32_t *s, const int32_t *c1, const int32_t *cnz,
                      const double *unit, const double *mu0, const double *mu1, float sx, const float *bias, float lo,
                      float hi, float *out) {
    for (int i = 0; i < M; i++) {
        int first = 0;
#ifdef QB_X86
        if (qb_kernels_have_avx2()) {
            ptrdiff_t e = (ptrdiff_t)i * N;
            first = combine_row_avx2(N, mode, s + e, mode != 0 ? c1 + e : NULL, mode == 1 ? cnz + e : NULL, unit[i],
                                     mu0[i], mu1[i], sx, bias ? bias[i] : 0.0f, lo, hi, out + e);
        }
#endif
        for (int j = first; j < N; j++) {
            ptrdiff_t e = (ptrdiff_t)i * N + j;
            int32_t sv = s[e], a = mode != 0 ? c1[e] : 0, z = mode == 1 ? cnz[e] : 0;
            if (mode == 2) {
                sv += (int32_t)((uint32_t)a << 15);
                a = 0;
            }
            out[e] = shift_epilogue(sv, a, z, unit[i], mu0[i], mu1[i], sx, bias ? bias[i] : 0.0f, lo, hi);
        }
    }
}
