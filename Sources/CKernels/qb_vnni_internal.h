// Shared by the packed kernels (qb_vnni.c, qb_ternary.c, qb_shift.c, qb_packed_avx2.c): the column driver, the
// patch fillers and the AVX2 tiles. The packed forms run on AVX-512 VNNI and, with the same packing and the same
// bits, on AVX2.
#ifndef QB_VNNI_INTERNAL_H
#define QB_VNNI_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "qb_kernels.h"

/// Fills n columns of unsigned codes (stride ld8, zero-padded past the depth), starting at column j, into q and
/// returns q; or returns where those columns already lie in that layout (q untouched).
typedef const uint8_t *(*qb_fill_fn)(const void *ctx, int j, int n, uint8_t *q, int ld8);
/// Computes output columns [j, j + n) from their codes.
typedef void (*qb_tile_fn)(void *ctx, int j, int n, const uint8_t *q, int ld8);

/// Columns [0, N) in blocks that stay in cache: fill then tile. Returns 0 (doing nothing) below AVX2 or
/// when its buffer cannot be allocated.
int qb_vnni_columns(int N, int depth, qb_fill_fn fill, const void *fctx, qb_tile_fn tile, void *tctx);

/// Linear layers: centered int16 codes p[j * ldp + k] + zp.
typedef struct {
    const int16_t *p;
    ptrdiff_t ldp;
    int depth, zp;
} qb_rows_ctx;
const uint8_t *qb_fill_rows(const void *ctx, int j, int n, uint8_t *q, int ld8);

/// Linear layers given as floats (a qb_float_columns context): quantized to unsigned codes as they are reached.
const uint8_t *qb_fill_float_rows(const void *ctx, int j, int n, uint8_t *q, int ld8);

/// Convolutions: tap-major patches (ki, kj, c) of output positions first + j.. from HWC codes; outside the
/// image, zp. A 1x1 convolution with stride 1, no padding and channels a multiple of 4 reads the HWC codes in place.
typedef struct {
    const uint8_t *x;
    int channels, ih, iw, zp, first;
    qb_conv_geo g;
} qb_conv_ctx;
const uint8_t *qb_fill_conv(const void *ctx, int j, int n, uint8_t *q, int ld8);

/// The plain twins' one-column code buffer (free it); NULL after filling out with NaN when it cannot be allocated.
uint8_t *qb_twin_column(int depth, int M, int N, float *out, ptrdiff_t rs, ptrdiff_t cs);

/// The float results of one 16-row block for n <= 240 columns ([n][16]; a per-thread buffer), NULL when n is larger
/// or it cannot be allocated.
float *qb_block_results(int n);
/// Writes a block's results out: row r of `rows`, column u to out[r * rs + u * cs].
void qb_scatter_block(const float *part, int rows, int n, float *out, ptrdiff_t rs, ptrdiff_t cs);

/// The unsigned codes of a column block widened to int16 (a per-thread buffer; NULL when it cannot grow).
int16_t *qb_widen_codes(const uint8_t *q, size_t count);

/// The packed weights (`blocks` 16-row blocks of K4 steps) sign-extended to int16, half-block major: row r of block b
/// at ((b * 2 + r / 8) * K4 + k4) * 32 + (r % 8) * 4 + t (a per-thread buffer; NULL when it cannot grow).
int16_t *qb_widen_weights(const int8_t *wp, int blocks, int K4);

/// AVX2: out[r * ldo + j] = sum_k w[r][k] q[j][k] for M rows widened by qb_widen_weights (w16) and n columns
/// of unsigned codes (stride ld8), exact int32, no zero-point correction (igemm_vnni's sums); with colmajor, column j's
/// rows at out[j * ldo + r] (whole 16-row blocks written). Returns 0 when its buffer fails.
int qb_igemm_packed_avx2(int M, int n, int ld8, const int16_t *w16, const uint8_t *q, int32_t *out, ptrdiff_t ldo,
                         int colmajor);

/// The int8 tile on one column block (n <= 240 columns of unsigned codes, stride ld8): the exact sums
/// sum_k w[i][k] q[j][k] of the M packed rows, without the zero-point correction, at part[i * n + j], or with colmajor
/// at part[j * 16 * blocks + i] (a per-thread buffer of whole 16-row blocks). VNNI, else AVX2 with the weights widened
/// into *w16 on first use. NULL below AVX2 or when a buffer cannot be had.
int32_t *qb_int8_block(int M, int n, const int8_t *wp, const int16_t **w16, const uint8_t *q, int ld8, int colmajor);

/// The shift layers' packing (qb_shift_pack.c, read by qb_shift.c).
// Layout per 16-row block b and quad k4: 64 int16 of powers (rows 0-7 then 8-15, each row's 4 weights as two
// int16 pairs in consecutive int32 lanes), then 64 bytes of component-1 indicators and 64 bytes of nonzero
// indicators (row r's 4 bytes at r * 4). 256 bytes per block and quad.
enum { SHIFT_STEP = 256 };

#endif
