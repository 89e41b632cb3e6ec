// Packed SGEMM (GotoBLAS loop structure) with a 6x16 register tile. See include/qb_kernels.h.
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "qb_kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define QB_X86 1
#endif

enum { MR = 6, NR = 16, KC = 256, MC = 120, NC = 2048 };

typedef void (*micro_fn)(int kc, const float *ap, const float *bp, float *c, ptrdiff_t ldc, int load_c);

// Portable micro-kernel: the same per-element operations as the AVX2 one (k ascending, one fused
// multiply-add per step, fmaf), so both give the same bits; they never depend on the blocking or the
// thread split either.
static void micro_portable(int kc, const float *ap, const float *bp, float *c, ptrdiff_t ldc, int load_c) {
    float acc[MR][NR];
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++) acc[i][j] = load_c ? c[i * ldc + j] : 0.0f;
    for (int k = 0; k < kc; k++) {
        const float *a = ap + k * MR, *b = bp + k * NR;
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++) c[i * ldc + j] = acc[i][j];
}

#ifdef QB_X86
__attribute__((target("avx2,fma"))) static void micro_avx2(int kc, const float *ap, const float *bp, float *c,
                                                           ptrdiff_t ldc, int load_c) {
    __m256 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
    if (load_c) {
        c00 = _mm256_loadu_ps(c + 0 * ldc);
        c01 = _mm256_loadu_ps(c + 0 * ldc + 8);
        c10 = _mm256_loadu_ps(c + 1 * ldc);
        c11 = _mm256_loadu_ps(c + 1 * ldc + 8);
        c20 = _mm256_loadu_ps(c + 2 * ldc);
        c21 = _mm256_loadu_ps(c + 2 * ldc + 8);
        c30 = _mm256_loadu_ps(c + 3 * ldc);
        c31 = _mm256_loadu_ps(c + 3 * ldc + 8);
        c40 = _mm256_loadu_ps(c + 4 * ldc);
        c41 = _mm256_loadu_ps(c + 4 * ldc + 8);
        c50 = _mm256_loadu_ps(c + 5 * ldc);
        c51 = _mm256_loadu_ps(c + 5 * ldc + 8);
    } else {
        c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = _mm256_setzero_ps();
    }
    for (int k = 0; k < kc; k++) {
        __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);
        __m256 a;
        a = _mm256_broadcast_ss(ap + 0);
        c00 = _mm256_fmadd_ps(a, b0, c00);
        c01 = _mm256_fmadd_ps(a, b1, c01);
        a = _mm256_broadcast_ss(ap + 1);
        c10 = _mm256_fmadd_ps(a, b0, c10);
        c11 = _mm256_fmadd_ps(a, b1, c11);
        a = _mm256_broadcast_ss(ap + 2);
        c20 = _mm256_fmadd_ps(a, b0, c20);
        c21 = _mm256_fmadd_ps(a, b1, c21);
        a = _mm256_broadcast_ss(ap + 3);
        c30 = _mm256_fmadd_ps(a, b0, c30);
        c31 = _mm256_fmadd_ps(a, b1, c31);
        a = _mm256_broadcast_ss(ap + 4);
        c40 = _mm256_fmadd_ps(a, b0, c40);
        c41 = _mm256_fmadd_ps(a, b1, c41);
        a = _mm256_broadcast_ss(ap + 5);
        c50 = _mm256_fmadd_ps(a, b0, c50);
        c51 = _mm256_fmadd_ps(a, b1, c51);
        ap += MR;
        bp += NR;
    }
    _mm256_storeu_ps(c + 0 * ldc, c00);
    _mm256_storeu_ps(c + 0 * ldc + 8, c01);
    _mm256_storeu_ps(c + 1 * ldc, c10);
    _mm256_storeu_ps(c + 1 * ldc + 8, c11);
    _mm256_storeu_ps(c + 2 * ldc, c20);
    _mm256_storeu_ps(c + 2 * ldc + 8, c21);
    _mm256_storeu_ps(c + 3 * ldc, c30);
    _mm256_storeu_ps(c + 3 * ldc + 8, c31);
    _mm256_storeu_ps(c + 4 * ldc, c40);
    _mm256_storeu_ps(c + 4 * ldc + 8, c41);
    _mm256_storeu_ps(c + 5 * ldc, c50);
    _mm256_storeu_ps(c + 5 * ldc + 8, c51);
}
#endif

static _Thread_local float *a_buf = NULL, *b_buf = NULL;
static _Thread_local size_t a_cap = 0, b_cap = 0;

// A 64-byte aligned per-thread buffer of at least `floats` elements (grown, never shrunk). The
// buffers live as long as their thread (worker threads of the process's pool).
static float *thread_buffer(float **buf, size_t *cap, size_t floats) {
    if (*cap < floats) {
        free(*buf);
        size_t bytes = (floats * sizeof(float) + 63) / 64 * 64;
        *buf = (float *)aligned_alloc(64, bytes);
        *cap = *buf ? floats : 0;
    }
    return *buf;
}

static micro_fn choose_micro(void) {
#ifdef QB_X86
    if (qb_kernels_have_avx2()) return micro_avx2;
#endif
    return micro_portable;
}

// Packs rows [0, mc) x k [0, kc) of A into MR-row panels, zero-padding the last panel.
static void pack_a(int mc, int kc, const float *a, ptrdiff_t rs, ptrdiff_t cs, float *out) {
    for (int i0 = 0; i0 < mc; i0 += MR) {
        int rows = mc - i0 < MR ? mc - i0 : MR;
        for (int k = 0; k < kc; k++) {
            for (int i = 0; i < rows; i++) out[i] = a[(i0 + i) * rs + k * cs];
            for (int i = rows; i < MR; i++) out[i] = 0.0f;
            out += MR;
        }
    }
}

// Packs k [0, kc) x columns [0, nc) of B into NR-column panels, zero-padding the last panel.
static void pack_b(int kc, int nc, const float *b, ptrdiff_t rs, ptrdiff_t cs, float *out) {
    for (int j0 = 0; j0 < nc; j0 += NR) {
        int cols = nc - j0 < NR ? nc - j0 : NR;
        for (int k = 0; k < kc; k++) {
            const float *src = b + k * rs + j0 * cs;
            if (cs == 1 && cols == NR) {
                memcpy(out, src, NR * sizeof(float));
            } else {
                for (int j = 0; j < cols; j++) out[j] = src[j * cs];
                for (int j = cols; j < NR; j++) out[j] = 0.0f;
            }
            out += NR;
        }
    }
}

int qb_sgemm(int M, int N, int K, const float *a, ptrdiff_t a_rs, ptrdiff_t a_cs, const float *b, ptrdiff_t b_rs,
             ptrdiff_t b_cs, float *c, ptrdiff_t ldc, const float *bias, int bias_per_row, float lo, float hi,
             int accumulate) {
    if (M <= 0 || N <= 0) return 0;
    micro_fn micro = choose_micro();
    // Packing buffers: one pair per thread, kept between calls (allocating and first-touching megabytes
    // on every call costs more than a small GEMM itself).
    int kc_max = K < KC ? (K > 0 ? K : 1) : KC;
    int nc_max = N < NC ? N : NC, mc_max = M < MC ? M : MC;
    float *bpack = thread_buffer(&b_buf, &b_cap, (size_t)kc_max * (size_t)(nc_max + NR));
    float *apack = thread_buffer(&a_buf, &a_cap, (size_t)kc_max * (size_t)(mc_max + MR));
    if (!bpack || !apack) {
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) c[i * ldc + j] = NAN;
        return -1;
    }
    float tile[MR * NR];
    for (int jc = 0; jc < N; jc += NC) {
        int nc = N - jc < NC ? N - jc : NC;
        if (K <= 0) {
            for (int i = 0; i < M; i++)
                for (int j = 0; j < nc; j++)
                    if (!accumulate) c[i * ldc + jc + j] = 0.0f;
        }
        for (int pc = 0; pc < K; pc += KC) {
            int kc = K - pc < KC ? K - pc : KC;
            int load = accumulate || pc > 0;
            pack_b(kc, nc, b + pc * b_rs + jc * b_cs, b_rs, b_cs, bpack);
            for (int ic = 0; ic < M; ic += MC) {
                int mc = M - ic < MC ? M - ic : MC;
                pack_a(mc, kc, a + ic * a_rs + pc * a_cs, a_rs, a_cs, apack);
                for (int jr = 0; jr < nc; jr += NR) {
                    int cols = nc - jr < NR ? nc - jr : NR;
                    for (int ir = 0; ir < mc; ir += MR) {
                        int rows = mc - ir < MR ? mc - ir : MR;
                        float *ct = c + (ic + ir) * ldc + jc + jr;
                        const float *ap = apack + (size_t)ir * kc, *bp = bpack + (size_t)jr * kc;
                        if (rows == MR && cols == NR) {
                            micro(kc, ap, bp, ct, ldc, load);
                        } else {
                            // Edge tile: the same kernel on a full 6x16 copy, then the valid part back.
                            if (load)
                                for (int i = 0; i < rows; i++)
                                    memcpy(tile + i * NR, ct + i * ldc, sizeof(float) * cols);
                            micro(kc, ap, bp, tile, NR, load);
                            for (int i = 0; i < rows; i++) memcpy(ct + i * ldc, tile + i * NR, sizeof(float) * cols);
                        }
                    }
                }
            }
        }
        // Epilogue over this column block: bias, then the clamp.
        if (bias || lo != -INFINITY || hi != INFINITY) {
            for (int i = 0; i < M; i++) {
                float *row = c + i * ldc + jc;
                for (int j = 0; j < nc; j++) {
                    float v = row[j];
                    if (bias) v += bias_per_row ? bias[i] : bias[jc + j];
                    if (v < lo) v = lo;
                    if (v > hi) v = hi;
                    row[j] = v;
                }
            }
        }
    }
    return 0;
}
