// A whole int8 linear layer in one pass over its float input and output (see include/qb_kernels.h): per block
// of QB_VNNI_NB input rows, the floats become unsigned codes in cache, the packed int8 tile computes their exact
// sums, and each 8 output features are requantized and written transposed, so no tensor of codes, of int32 sums or
// of untransposed floats is ever made. The same operations as the separate steps (qb_quantize_i16, qb_igemm_vnni,
// qb_requantize), so the same bits.
#include <stdlib.h>
#include <string.h>
#include "qb_kernels.h"
#include "qb_vnni_internal.h"
#include "qb_epilogue.h"

/// Per output feature, what the lane-wise epilogue needs (whole 16-row blocks, zeros past the last row).
typedef struct {
    int32_t *corr, *bias, *m0, *shift, *mask, *threshold;
} lane_params;

typedef struct {
    const qb_int8_linear *layer;
    const int16_t *w16;
    float *out;
    ptrdiff_t ldo;
    int failed;
    const lane_params *lanes;
} linear_tile_ctx;

// Output features in groups of 16 (whole cache lines of the output): the zero-point correction and requantization into
// a [16][n] block in cache, then the block transposed into out (input row j's features at out + j * ldo).
static void rows_epilogue(linear_tile_ctx *c, int j0, int n, int32_t *part) {
    const qb_int8_linear *L = c->layer;
    float *block = qb_block_results(n);
    if (!block) {
        c->failed = 1;
        return;
    }
    for (int i0 = 0; i0 < L->rows; i0 += 16) {
        int m = L->rows - i0 < 16 ? L->rows - i0 : 16;
        int32_t *sums = part + (ptrdiff_t)i0 * n;
        for (int r = 0; r < m; r++) {
            int32_t corr = (int32_t)L->in_zero * L->weight_sums[i0 + r];
            for (int j = 0; j < n; j++) sums[(ptrdiff_t)r * n + j] -= corr;
        }
        qb_requantize(m, n, sums, L->bias ? L->bias + i0 : NULL, L->m0 + i0, L->left_shift + i0, L->right_shift + i0,
                      L->out_zero, L->out_min, L->out_max, L->out_scale, block, n, 1);
        qb_transpose_f32(m, n, block, n, c->out + (ptrdiff_t)j0 * c->ldo + i0, c->ldo);
    }
}

#if defined(__x86_64__) || defined(__i386__)
// qb_requantize's AVX2 row form with the rows' parameters in the lanes (qb_requant8_avx2): 8 features of one input
// row, read from the tile's column-major sums after the zero-point correction (wrapping, as the row path) and written
// straight to the output row.
__attribute__((target("avx2,fma"))) static void lanes_epilogue(linear_tile_ctx *c, int j0, int n, const int32_t *part,
                                                               int ldp) {
    const qb_int8_linear *L = c->layer;
    const lane_params *P = c->lanes;
    const __m256i vmin = _mm256_set1_epi32(L->out_min - L->out_zero),
                  vmax = _mm256_set1_epi32(L->out_max - L->out_zero);
    const __m256 vs = _mm256_set1_ps(L->out_scale);
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (int j = 0; j < n; j++) {
        const int32_t *col = part + (ptrdiff_t)j * ldp;
        float *o = c->out + (ptrdiff_t)(j0 + j) * c->ldo;
        for (int i0 = 0; i0 < L->rows; i0 += 8) {
#define QB_LD(a) _mm256_loadu_si256((const __m256i *)((a) + i0))
            __m256 f = qb_requant8_avx2(_mm256_sub_epi32(QB_LD(col), QB_LD(P->corr)), QB_LD(P->bias), QB_LD(P->m0),
                                        QB_LD(P->shift), QB_LD(P->mask), QB_LD(P->threshold), vmin, vmax, vs);
#undef QB_LD
            int m = L->rows - i0;
            if (m >= 8)
                _mm256_storeu_ps(o + i0, f);
            else
                _mm256_maskstore_ps(o + i0, _mm256_cmpgt_epi32(_mm256_set1_epi32(m), lane), f);
        }
    }
}
#endif

static void linear_tile(void *ctx, int j0, int n, const uint8_t *q, int ld8) {
    linear_tile_ctx *c = (linear_tile_ctx *)ctx;
    int colmajor = c->lanes != NULL;
    int32_t *part = qb_int8_block(c->layer->rows, n, c->layer->weights, &c->w16, q, ld8, colmajor);
    if (!part) {
        c->failed = 1;
        return;
    }
#if defined(__x86_64__) || defined(__i386__)
    if (colmajor) {
        lanes_epilogue(c, j0, n, part, (c->layer->rows + 15) / 16 * 16);
        return;
    }
#endif
    rows_epilogue(c, j0, n, part);
}

// The lane-wise parameters, or NULL when a row needs the row form (a left shift, or m0 = INT32_MIN, which the AVX2
// row form also leaves to the scalar one) or the buffer cannot be had.
static lane_params *make_lanes(const qb_int8_linear *L, lane_params *P) {
    int padded = (L->rows + 15) / 16 * 16;
    for (int i = 0; i < L->rows; i++)
        if (L->left_shift[i] > 0 || L->m0[i] == INT32_MIN) return NULL;
    int32_t *all = (int32_t *)calloc((size_t)padded * 6, sizeof(int32_t));
    if (!all) return NULL;
    *P = (lane_params){all, all + padded, all + 2 * padded, all + 3 * padded, all + 4 * padded, all + 5 * padded};
    for (int i = 0; i < L->rows; i++) {
        int e = L->right_shift[i] > 31 ? 31 : (L->right_shift[i] < 0 ? 0 : L->right_shift[i]);
        P->corr[i] = (int32_t)L->in_zero * L->weight_sums[i];
        P->bias[i] = L->bias ? L->bias[i] : 0;
        P->m0[i] = L->m0[i];
        P->shift[i] = e;
        P->mask[i] = (int32_t)((1LL << e) - 1);
        P->threshold[i] = P->mask[i] >> 1;
    }
    return P;
}

int qb_linear_int8(const qb_int8_linear *layer, const float *x, int N, float *out) {
    if (layer->rows <= 0 || layer->in_zero < 0 || layer->in_zero > 255 || layer->in_max > 255) return 0;
    if (!qb_kernels_have_avx2() || N <= 0) return 0;
    qb_float_columns fill = {x, layer->depth, layer->depth, layer->in_scale, layer->in_zero, layer->in_max, N};
    lane_params storage;
    linear_tile_ctx tile = {layer, NULL, out, layer->rows, 0, make_lanes(layer, &storage)};
    int ran = qb_vnni_columns(N, layer->depth, qb_fill_float_rows, &fill, linear_tile, &tile);
    if (tile.lanes) free(tile.lanes->corr);
    if (!ran) return QB_NO_MEMORY;
    return tile.failed ? QB_NO_MEMORY : 1;
}
