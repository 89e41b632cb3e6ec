// Direct FP32 convolution and depthwise convolution on "phase planes". See include/qb_kernels.h.
//
// The zero-padded input of a channel is split by stride phase: plane (a, b) holds the padded pixels
// (r * sh + a, q * sw + b) at [r][q], rows of wq floats. The window of output (oy, ox) at tap (ki, kj) then
// reads plane ((ki*dh) % sh, (kj*dw) % sw) at row oy + (ki*dh) / sh and column ox + (kj*dw) / sw, so with the
// "flat" output position p = oy * wq + ox every tap is one fixed offset plus p. A block of 16 consecutive p
// is one contiguous load per tap, whatever the stride, dilation or padding; positions with ox >= ow are
// computed too and dropped when the block is written out.
//
// Bits: the direct convolution computes each output as qb_sgemm does on im2col rows (c, ki, kj): a fused
// multiply-add per tap in that order from 0, then + bias, then the clamp. The depthwise convolution keeps
// qb_depthwise's order: a rounded product, then a rounded add per tap in (ki, kj) order from 0. Padded
// positions contribute w * 0, which leaves the sum unchanged for finite weights.
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "qb_kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define QB_X86 1
#endif

enum { ROWS = 6, COLS = 16, DW_BLOCK = 32 };

typedef struct {
    int hq, wq, phases;
    size_t plane, channel; // floats per phase plane, per channel (all phases)
    int positions;         // flat output positions oh * wq
} layout;

static layout layout_of(qb_conv_geo g) {
    layout l;
    int hp = (g.oh - 1) * g.sh + (g.kh - 1) * g.dh + 1, wp = (g.ow - 1) * g.sw + (g.kw - 1) * g.dw + 1;
    l.hq = (hp + g.sh - 1) / g.sh;
    l.wq = (wp + g.sw - 1) / g.sw;
    l.phases = g.sh * g.sw;
    l.plane = (size_t)l.hq * (size_t)l.wq;
    l.channel = l.plane * (size_t)l.phases;
    l.positions = g.oh * l.wq;
    return l;
}

// The offset of tap (ki, kj) within its channel's phase planes.
static size_t tap_offset(qb_conv_geo g, layout l, int ki, int kj) {
    int a = (ki * g.dh) % g.sh, b = (kj * g.dw) % g.sw;
    return (size_t)(a * g.sw + b) * l.plane + (size_t)((ki * g.dh) / g.sh) * (size_t)l.wq +
           (size_t)((kj * g.dw) / g.sw);
}

// Fills the phase planes of `channels` planes of x (ih x iw each); outside the image, 0.
static void fill_phases(const float *x, int channels, int ih, int iw, qb_conv_geo g, layout l, float *buf) {
    for (int c = 0; c < channels; c++) {
        const float *src = x + (size_t)c * (size_t)ih * (size_t)iw;
        for (int a = 0; a < g.sh; a++) {
            for (int b = 0; b < g.sw; b++) {
                float *dst = buf + (size_t)c * l.channel + (size_t)(a * g.sw + b) * l.plane;
                // Columns q whose input column q * sw + b - pl lies in [0, iw): [q0, q1).
                int first = g.pl - b, last = iw - 1 + g.pl - b;
                int q0 = first > 0 ? (first + g.sw - 1) / g.sw : 0;
                int q1 = last < 0 ? 0 : last / g.sw + 1;
                if (q1 > l.wq) q1 = l.wq;
                if (q0 > q1) q0 = q1;
                for (int r = 0; r < l.hq; r++) {
                    float *row = dst + (size_t)r * (size_t)l.wq;
                    int y = r * g.sh + a - g.pt;
                    if (y < 0 || y >= ih) {
                        memset(row, 0, sizeof(float) * (size_t)l.wq);
                        continue;
                    }
                    const float *line = src + (size_t)y * (size_t)iw + b - g.pl;
                    for (int q = 0; q < q0; q++) row[q] = 0.0f;
                    if (g.sw == 1) {
                        memcpy(row + q0, line + q0, sizeof(float) * (size_t)(q1 - q0));
                    } else {
                        for (int q = q0; q < q1; q++) row[q] = line[(ptrdiff_t)q * g.sw];
                    }
                    for (int q = q1; q < l.wq; q++) row[q] = 0.0f;
                }
            }
        }
    }
}

static _Thread_local float *phase_buf = NULL, *weight_buf = NULL;
static _Thread_local size_t phase_cap = 0, weight_cap = 0;
static _Thread_local size_t *offset_buf = NULL;
static _Thread_local size_t offset_cap = 0;

// A 64-byte aligned per-thread buffer of at least `bytes` (grown, never shrunk); NULL when it cannot grow.
static void *grow(void **buf, size_t *cap, size_t bytes) {
    if (*cap < bytes) {
        free(*buf);
        size_t rounded = (bytes + 63) / 64 * 64;
        *buf = aligned_alloc(64, rounded);
        *cap = *buf ? rounded : 0;
    }
    return *buf;
}

// The phase planes of `channels` planes plus a zeroed tail that the last block's reads may reach.
static float *phase_planes(const float *x, int channels, int ih, int iw, qb_conv_geo g, layout l, size_t reach) {
    size_t filled = (size_t)channels * l.channel, floats = filled > reach ? filled : reach;
    float *buf = grow((void **)&phase_buf, &phase_cap, floats * sizeof(float));
    if (!buf) return NULL;
    fill_phases(x, channels, ih, iw, g, l, buf);
    if (floats > filled) memset(buf + filled, 0, (floats - filled) * sizeof(float));
    return buf;
}

int qb_conv_direct_blocks(qb_conv_geo g) {
    layout l = layout_of(g);
    return (l.positions + COLS - 1) / COLS;
}

// ---- Direct convolution: a 6 x 16 tile (6 output channels, 16 flat positions) per micro-kernel call ----

typedef void (*tile_fn)(int depth, const float *ap, const float *base, const size_t *offsets, float *tile);

// fmaf per tap, tap ascending: the same per-element operations as the AVX2 tile and as qb_sgemm.
static void tile_portable(int depth, const float *ap, const float *base, const size_t *offsets, float *tile) {
    float acc[ROWS][COLS];
    for (int i = 0; i < ROWS; i++)
        for (int j = 0; j < COLS; j++) acc[i][j] = 0.0f;
    for (int k = 0; k < depth; k++) {
        const float *a = ap + (size_t)k * ROWS, *b = base + offsets[k];
        for (int i = 0; i < ROWS; i++)
            for (int j = 0; j < COLS; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    memcpy(tile, acc, sizeof(acc));
}

#ifdef QB_X86
__attribute__((target("avx2,fma"))) static void tile_avx2(int depth, const float *ap, const float *base,
                                                          const size_t *offsets, float *tile) {
    __m256 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
    c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = _mm256_setzero_ps();
    for (int k = 0; k < depth; k++) {
        const float *bp = base + offsets[k];
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
        ap += ROWS;
    }
    _mm256_storeu_ps(tile + 0 * COLS, c00);
    _mm256_storeu_ps(tile + 0 * COLS + 8, c01);
    _mm256_storeu_ps(tile + 1 * COLS, c10);
    _mm256_storeu_ps(tile + 1 * COLS + 8, c11);
    _mm256_storeu_ps(tile + 2 * COLS, c20);
    _mm256_storeu_ps(tile + 2 * COLS + 8, c21);
    _mm256_storeu_ps(tile + 3 * COLS, c30);
    _mm256_storeu_ps(tile + 3 * COLS + 8, c31);
    _mm256_storeu_ps(tile + 4 * COLS, c40);
    _mm256_storeu_ps(tile + 4 * COLS + 8, c41);
    _mm256_storeu_ps(tile + 5 * COLS, c50);
    _mm256_storeu_ps(tile + 5 * COLS + 8, c51);
}
#endif

// Packs the M x depth weights (row-major) into panels of 6 rows, tap-major, zero rows past M.
static void pack_weights(const float *w, int M, int depth, float *out) {
    for (int i0 = 0; i0 < M; i0 += ROWS) {
        int rows = M - i0 < ROWS ? M - i0 : ROWS;
        for (int k = 0; k < depth; k++) {
            for (int i = 0; i < rows; i++) out[i] = w[(size_t)(i0 + i) * (size_t)depth + k];
            for (int i = rows; i < ROWS; i++) out[i] = 0.0f;
            out += ROWS;
        }
    }
}

// The runs of a block's positions that are outputs: positions [j, j + length) go to out[dest, dest + length).
typedef struct {
    int j, length, dest;
} run;

static int block_runs(int p0, layout l, qb_conv_geo g, run *runs) {
    int count = 0, j = 0, oy = p0 / l.wq, ox = p0 % l.wq;
    while (j < COLS && oy < g.oh) {
        int span = (ox < g.ow ? g.ow : l.wq) - ox;
        if (span > COLS - j) span = COLS - j;
        if (ox < g.ow) runs[count++] = (run){j, span, oy * g.ow + ox};
        j += span;
        ox += span;
        if (ox == l.wq) {
            ox = 0;
            oy++;
        }
    }
    return count;
}

// Writes rows [0, rows) of a tile: + bias (when there is one), then the clamp, as qb_sgemm's epilogue.
static void write_tile(const float *tile, int rows, const run *runs, int run_count, const float *bias, float lo,
                       float hi, float *out, size_t ld) {
    for (int i = 0; i < rows; i++) {
        float *orow = out + (size_t)i * ld;
        const float *trow = tile + i * COLS;
        for (int r = 0; r < run_count; r++) {
            const float *src = trow + runs[r].j;
            float *dst = orow + runs[r].dest;
            if (bias) {
                const float b = bias[i];
                for (int t = 0; t < runs[r].length; t++) {
                    float v = src[t] + b;
                    v = v < lo ? lo : v;
                    dst[t] = v > hi ? hi : v;
                }
            } else {
                for (int t = 0; t < runs[r].length; t++) {
                    float v = src[t];
                    v = v < lo ? lo : v;
                    dst[t] = v > hi ? hi : v;
                }
            }
        }
    }
}

int qb_conv_direct(const float *x, int channels, int ih, int iw, const float *w, int M, const float *bias,
                   qb_conv_geo g, float lo, float hi, float *out, int first_block, int block_count) {
    if (M <= 0 || block_count <= 0) return 0;
    layout l = layout_of(g);
    const int taps = g.kh * g.kw, depth = channels * taps, panels = (M + ROWS - 1) / ROWS;
    const size_t ohw = (size_t)g.oh * (size_t)g.ow, slots = (size_t)(depth > 0 ? depth : 1);
    // A 1x1 convolution with stride 1 and no padding reads its input as it is: the phase plane is the image.
    const int as_is = taps == 1 && g.sh == 1 && g.sw == 1 && g.pt == 0 && g.pl == 0 && g.oh == ih && g.ow == iw;
    size_t *offsets = grow((void **)&offset_buf, &offset_cap, sizeof(size_t) * 2 * slots);
    float *wp = grow((void **)&weight_buf, &weight_cap, sizeof(float) * (size_t)panels * ROWS * slots);
    if (!offsets || !wp) return -1;
    size_t reach = 0;
    for (int c = 0; c < channels; c++)
        for (int ki = 0; ki < g.kh; ki++)
            for (int kj = 0; kj < g.kw; kj++) {
                size_t off = (size_t)c * l.channel + tap_offset(g, l, ki, kj);
                offsets[(c * g.kh + ki) * g.kw + kj] = off;
                if (off > reach) reach = off;
            }
    const int blocks = (l.positions + COLS - 1) / COLS;
    if (first_block + block_count > blocks) block_count = blocks - first_block;
    const float *planes = x;
    float *tail = NULL; // as_is: the last, partial block's inputs, depth x 16 (offsets[depth + k] = 16 k)
    if (as_is) {
        if (l.positions % COLS != 0 && first_block + block_count == blocks) {
            tail = grow((void **)&phase_buf, &phase_cap, sizeof(float) * COLS * slots);
            if (!tail) return -1;
            int p0 = (blocks - 1) * COLS, valid = l.positions - p0;
            for (int k = 0; k < depth; k++) {
                memcpy(tail + (size_t)k * COLS, x + offsets[k] + p0, sizeof(float) * (size_t)valid);
                memset(tail + (size_t)k * COLS + valid, 0, sizeof(float) * (size_t)(COLS - valid));
                offsets[depth + k] = (size_t)k * COLS;
            }
        }
    } else {
        planes = phase_planes(x, channels, ih, iw, g, l, reach + (size_t)blocks * COLS);
        if (!planes) return -1;
    }
    pack_weights(w, M, depth, wp);
    tile_fn tile_kernel = tile_portable;
#ifdef QB_X86
    if (qb_kernels_have_avx2()) tile_kernel = tile_avx2;
#endif
    float tile[ROWS * COLS];
    run runs[COLS];
    for (int blk = first_block; blk < first_block + block_count; blk++) {
        const int p0 = blk * COLS, run_count = block_runs(p0, l, g, runs);
        const int in_tail = tail && blk == blocks - 1;
        const float *base = in_tail ? tail : planes + p0;
        const size_t *offs = in_tail ? offsets + depth : offsets;
        for (int panel = 0; panel < panels; panel++) {
            tile_kernel(depth, wp + (size_t)panel * ROWS * slots, base, offs, tile);
            const int m0 = panel * ROWS, rows = M - m0 < ROWS ? M - m0 : ROWS;
            write_tile(tile, rows, runs, run_count, bias ? bias + m0 : NULL, lo, hi, out + (size_t)m0 * ohw, ohw);
        }
    }
    return 0;
}

// ---- Depthwise convolution: one plane at a time, 32 flat positions per step ----

static inline __attribute__((always_inline)) int depthwise_body(const float *x, int c, int first, int count, int ih,
                                                                int iw, const float *w, const float *bias,
                                                                qb_conv_geo g, float lo, float hi, float *out) {
    layout l = layout_of(g);
    const int taps = g.kh * g.kw, ohw = g.oh * g.ow;
    const int blocks = (l.positions + DW_BLOCK - 1) / DW_BLOCK;
    size_t *offsets = grow((void **)&offset_buf, &offset_cap, sizeof(size_t) * (size_t)(taps > 0 ? taps : 1));
    if (!offsets) return -1;
    size_t reach = 0;
    for (int ki = 0; ki < g.kh; ki++)
        for (int kj = 0; kj < g.kw; kj++) {
            offsets[ki * g.kw + kj] = tap_offset(g, l, ki, kj);
            if (offsets[ki * g.kw + kj] > reach) reach = offsets[ki * g.kw + kj];
        }
    reach += (size_t)blocks * DW_BLOCK;
    float *sums = grow((void **)&weight_buf, &weight_cap, sizeof(float) * (size_t)blocks * DW_BLOCK);
    if (!sums) return -1;
    for (int p = first; p < first + count; p++) {
        const int ch = p % c;
        const float *k = w + (size_t)ch * (size_t)taps;
        const float *planes = phase_planes(x + (size_t)p * (size_t)ih * (size_t)iw, 1, ih, iw, g, l, reach);
        if (!planes) return -1;
        for (int blk = 0; blk < blocks; blk++) {
            const float *src = planes + (size_t)blk * DW_BLOCK;
            float acc[DW_BLOCK];
            for (int j = 0; j < DW_BLOCK; j++) acc[j] = 0.0f;
            for (int t = 0; t < taps; t++) {
                const float wv = k[t], *s = src + offsets[t];
                for (int j = 0; j < DW_BLOCK; j++) acc[j] += wv * s[j];
            }
            memcpy(sums + (size_t)blk * DW_BLOCK, acc, sizeof(acc));
        }
        const float b = bias ? bias[ch] : 0.0f;
        float *dst = out + (size_t)p * (size_t)ohw;
        for (int oy = 0; oy < g.oh; oy++) {
            const float *row = sums + (size_t)oy * (size_t)l.wq;
            for (int ox = 0; ox < g.ow; ox++) {
                float v = row[ox] + b;
                if (v < lo) v = lo;
                if (v > hi) v = hi;
                dst[oy * g.ow + ox] = v;
            }
        }
    }
    return 0;
}

static int depthwise_portable(const float *x, int c, int first, int count, int ih, int iw, const float *w,
                              const float *bias, qb_conv_geo g, float lo, float hi, float *out) {
    return depthwise_body(x, c, first, count, ih, iw, w, bias, g, lo, hi, out);
}

#ifdef QB_X86
__attribute__((target("avx2,fma"))) static int depthwise_avx2(const float *x, int c, int first, int count, int ih,
                                                              int iw, const float *w, const float *bias, qb_conv_geo g,
                                                              float lo, float hi, float *out) {
    return depthwise_body(x, c, first, count, ih, iw, w, bias, g, lo, hi, out);
}
#endif

int qb_depthwise(const float *x, int c, int first, int count, int ih, int iw, const float *w, const float *bias,
                 qb_conv_geo g, float lo, float hi, float *out) {
#ifdef QB_X86
    if (qb_kernels_have_avx2()) return depthwise_avx2(x, c, first, count, ih, iw, w, bias, g, lo, hi, out);
#endif
    return depthwise_portable(x, c, first, count, ih, iw, w, bias, g, lo, hi, out);
}
