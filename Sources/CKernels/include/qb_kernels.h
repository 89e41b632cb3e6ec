// QuantBench FP32 kernels in C: a packed, cache-blocked SGEMM with an AVX2/FMA 6x16 micro-kernel
// chosen at run time (cpuid) and a portable fallback; im2col and depthwise convolution.
#ifndef QB_KERNELS_H
#define QB_KERNELS_H

#include <stddef.h>
#include "qb_cpu.h"
#include "qb_vecmath.h"

#ifdef __cplusplus
extern "C" {
#endif

/// C[i][j] = act( sum_k A(i,k) * B(k,j) + bias + (accumulate ? C[i][j] : 0) ), for i < M, j < N.
/// A(i,k) is a[i*a_rs + k*a_cs] and B(k,j) is b[k*b_rs + j*b_cs]: any strides, so transposed operands
/// need no copy. C is row-major with row stride ldc. bias: NULL, one value per row (bias_per_row=1) or
/// per column (0). The activation clamps to [lo, hi] (use -INFINITY/INFINITY for none, 0/INFINITY for ReLU).
/// Every C element is computed with the same sequence of operations whatever M and N are, so a caller
/// may split the output among threads without changing a bit. Returns 0, or -1 when the packing
/// buffers cannot be allocated (C is then filled with NaN).
int qb_sgemm(int M, int N, int K, const float *a, ptrdiff_t a_rs, ptrdiff_t a_cs, const float *b, ptrdiff_t b_rs,
             ptrdiff_t b_cs, float *c, ptrdiff_t ldc, const float *bias, int bias_per_row, float lo, float hi,
             int accumulate);

/// Convolution geometry (2-D; a 1-D convolution has kh = 1, sh = 1, dh = 1, pt = 0, oh = 1).
typedef struct qb_conv_geo {
    int kh, kw, sh, sw, dh, dw, pt, pl, oh, ow;
} qb_conv_geo;

/// Unfolds padded, strided, dilated windows of `channels` planes (ih x iw) into rows (c, ki, kj) and
/// columns (oy, ox): col has channels*kh*kw rows of oh*ow floats.
void qb_im2col(const float *x, int channels, int ih, int iw, qb_conv_geo g, float *col);

/// Depthwise convolution of planes [first, first + count) of an (n*c) x ih x iw input, one kh x kw
/// filter per channel (plane p uses filter p % c), output clamped to [lo, hi] after the bias. Each output is
/// a rounded product then a rounded add per tap, (ki, kj) ascending from 0, then + bias (qb_conv_direct.c).
/// Returns 0, or -1 when its buffers cannot be allocated.
int qb_depthwise(const float *x, int c, int first, int count, int ih, int iw, const float *w, const float *bias,
                 qb_conv_geo g, float lo, float hi, float *out);

/// The number of 16-position blocks qb_conv_direct splits a convolution's output into (a caller hands
/// ranges of them to threads).
int qb_conv_direct_blocks(qb_conv_geo g);

/// Direct convolution of one batch item and group, without im2col: x holds `channels` planes of ih x iw,
/// w is M x (channels * kh * kw) row-major, out M planes of oh x ow. Computes the output blocks
/// [first_block, first_block + block_count). Each output has exactly qb_sgemm's bits on the im2col rows
/// (c, ki, kj): a fused multiply-add per tap from 0, then + bias, then the clamp to [lo, hi]; any split of the
/// blocks gives the same bits. Returns 0, or -1 when its buffers cannot be allocated.
int qb_conv_direct(const float *x, int channels, int ih, int iw, const float *w, int M, const float *bias,
                   qb_conv_geo g, float lo, float hi, float *out, int first_block, int block_count);

// ---- Integer kernels for the quantized variants (qb_qgemm.c) -------------------------------------
// Activations arrive as centered codes x = q - Z (int16, q the unsigned code, Z its zero point), so
// that a padded or absent element is exactly 0.

#include <stdint.h>

/// Unfolds windows of centered codes like qb_im2col: rows (c, ki, kj), columns (oy, ox), row stride ldc
/// (>= oh*ow); positions outside the image are 0 (the code of 0.0).
void qb_im2col_i16(const int16_t *x, int channels, int ih, int iw, qb_conv_geo g, int16_t *col, ptrdiff_t ldc);

/// Like qb_im2col_i16 but column-major: each output position's patch contiguous, out[j*ld + k], zero-padded
/// from k = channels*kh*kw to ld (the int8 kernel's layout, without a transpose).
void qb_im2row_i16(const int16_t *x, int channels, int ih, int iw, qb_conv_geo g, int16_t *out, ptrdiff_t ld);

/// Centered codes of n floats: q = clamp(round(x / scale), -zp, qmax - zp), round half away from zero
/// (C's roundf, as Swift's rounded()); NaN gives 0.
void qb_quantize_i16(const float *x, ptrdiff_t n, float scale, int zp, int qmax, int16_t *out);

/// Unsigned codes of n floats: qb_quantize_i16's centered code + zp (in [0, qmax], qmax <= 255).
void qb_quantize_u8(const float *x, ptrdiff_t n, float scale, int zp, int qmax, uint8_t *out);

/// out[j*ldo + k] = in[k*ldi + j] for k < K, j < N; out's padding k in [K, ldo) is zero-filled.
void qb_transpose_i16(int K, int N, const int16_t *in, ptrdiff_t ldi, int16_t *out, ptrdiff_t ldo);

/// out[j*ldo + i] = in[i*ldi + j] for i < M, j < N (16 x 16 tiles).
void qb_transpose_f32(int M, int N, const float *in, ptrdiff_t ldi, float *out, ptrdiff_t ldo);

/// Exact int8 x int8-range GEMM: acc[i*N + j] = sum_k w[i*ld + k] * p[j*ld + k] (int32), for int16
/// weights in [-127, 127] and centered codes in [-255, 255]; both padded with zeros to ld, a multiple
/// of 16. Each product pair fits vpmaddwd's int32 sums exactly (no int16 saturation); the int32
/// accumulators are exact while ld * 127 * 255 < 2^31, i.e. ld <= 66,300 (the quantizer checks it).
void qb_igemm_i16(int M, int N, int ld, const int16_t *w, const int16_t *p, int32_t *acc);

/// Depthwise int8 convolution on centered codes (qb_depthwise.c): acc[c][p] = sum over the window of w[c][i * kw + j]
/// times x[c][y][x] (padding reads 0, the centered code of 0.0), for `channels` planes (ih x iw); w rows of stride ldw.
/// Exact int32 sums, the same as the im2row path's.
void qb_dwconv_i16(const int16_t *x, int channels, int ih, int iw, qb_conv_geo g, const int16_t *w, int ldw,
                   int32_t *acc);

/// Depthwise FGQ ternary convolution (groups of one weight): w[c][tap] = alpha * t (exact), per position
/// f = fmaf(x, w, f) over every tap in order (absent inputs read 0), out[c][p] = clamp(sx * f + bias[c], lo, hi)
/// (max, then min). The AVX-512 form and the plain one give the same bits.
void qb_dwternary_i16(const int16_t *x, int channels, int ih, int iw, qb_conv_geo g, const float *w, float sx,
                      const float *bias, float lo, float hi, float *out);

/// The status the quantized kernels return when a buffer they need cannot be allocated (nothing usable computed).
#define QB_NO_MEMORY (-2)

// ---- The packed kernels' arguments ----------------------------------------------------------------

/// A convolution's input as unsigned codes in HWC order (ih x iw x channels, padding reads zp) and the output
/// positions [first, first + count) to compute.
typedef struct qb_hwc_input {
    const uint8_t *codes;
    int channels, ih, iw;
    qb_conv_geo geo;
    int zero, first, count;
} qb_hwc_input;

/// A linear layer's input as centered int16 codes: column j (of count) at codes + j * stride, `depth` codes each; the
/// unsigned codes are these + zero.
typedef struct qb_code_columns {
    const int16_t *codes;
    ptrdiff_t stride;
    int depth, zero, count;
} qb_code_columns;

/// A linear layer's input as floats, quantized to unsigned codes in cache as they are reached (qb_quantize_u8): row j
/// (of count) at x + j * stride, `depth` floats each.
typedef struct qb_float_columns {
    const float *x;
    ptrdiff_t stride;
    int depth;
    float scale;
    int zero, max, count;
} qb_float_columns;

/// Where float outputs go and the epilogue they share: out[i * rs + j * cs] = clamp(sx f + bias[i], lo, hi) (max,
/// then min; bias may be NULL), f the method's float sum of row i, column j.
typedef struct qb_float_output {
    float sx;
    const float *bias;
    float lo, hi;
    float *out;
    ptrdiff_t rs, cs;
} qb_float_output;

// ---- Packed int8 (qb_vnni.c; AVX-512 VNNI, AVX2 in qb_packed_avx2.c): u8 codes x s8 weights, exact int32 ----

/// The row stride of the VNNI kernel's int8 weights and unsigned codes: depth rounded up to 4.
int qb_vnni_ld(int depth);
/// Bytes of the VNNI kernel's packed weights for M rows of `depth` weights.
size_t qb_vnni_packed_size(int M, int depth);
/// Packs M weight rows (int16 holding int8 values, row stride ldw) for the VNNI kernels: blocks of 16 rows,
/// 4 consecutive k per row (zero-padded); sums[i] = sum_k w[i][k]. With taps > 1 the row is a convolution's
/// (k = c * taps + tap) and is stored tap-major (tap * C + c), the order qb_conv_vnni builds patches in.
void qb_vnni_pack(int M, int depth, int taps, const int16_t *w, int ldw, int8_t *wp, int32_t *sums);
/// acc[i][j] = sum_k w[i][k] p[j][k] (exact, = qb_igemm_i16) with AVX-512 VNNI, weights packed with taps = 1:
/// the centered codes p (column j at p + j * ldp) become the unsigned codes p + zp (in [0, 255]), vpdpbusd
/// accumulates u8 x s8 in int32, and zp sums[i] is subtracted (on AVX2 the same sums by int16 vpmaddwd). Returns 0
/// (computing nothing) below AVX2.
int qb_igemm_vnni(int M, int N, int depth, const int8_t *wp, const int32_t *sums, const int16_t *p, ptrdiff_t ldp,
                  int zp, int32_t *acc);
/// Unsigned codes in HWC order: out[p * channels + c] = x[c * positions + p] + zp (centered codes in).
void qb_hwc_u8(const int16_t *x, int channels, int positions, int zp, uint8_t *out);
/// The output positions of a convolution on HWC unsigned codes x (`input`): acc[i][j] = sum over the window of
/// w[i][c, tap] (x - zp), weights packed with taps = kh * kw (acc row stride input->count).
/// The patches are built in blocks that stay in cache (no patch matrix). Returns 1 on AVX2 or VNNI; below AVX2 (or
/// when the fast path's buffers fail) a plain loop computes the same sums and it returns 0; QB_NO_MEMORY when that
/// loop's buffer fails too.
int qb_conv_u8(int M, const int8_t *wp, const int32_t *sums, const qb_hwc_input *input, int32_t *acc);

/// An int8 linear layer (Jacob et al. 2018) for qb_linear_int8: weights packed by qb_vnni_pack (taps = 1) with their
/// row sums, the input's affine codes, the requantization of each output feature (qb_requantize's arguments).
typedef struct qb_int8_linear {
    int rows, depth;
    const int8_t *weights;
    const int32_t *weight_sums;
    float in_scale;
    int in_zero, in_max;
    const int32_t *bias, *m0, *left_shift, *right_shift;
    float out_scale;
    int out_zero, out_min, out_max;
} qb_int8_linear;

/// A whole int8 linear layer on N input rows of `depth` floats (x, row stride depth): out[j * rows + i] =
/// requantized(sum_k w[i][k] (q(x[j][k]) - Z_x)), the floats quantized as qb_quantize_u8, the sums exact, the epilogue
/// qb_requantize's; the same bits as those steps run apart. Returns 1; 0 below AVX2 (nothing computed; the caller
/// runs the separate steps); QB_NO_MEMORY when a buffer could not be had.
int qb_linear_int8(const qb_int8_linear *layer, const float *x, int N, float *out);

// ---- FGQ ternary, packed: AVX-512 VNNI and AVX2 (qb_ternary.c) -------------------------------------
// Groups are runs of consecutive packed columns (tap-major for convolutions): `groups` per row, each of
// (depth rounded up to 4) / 4 / groups quads (a group of N channels at one tap = N / 4 quads).

/// Elements of the per-(row block, group) tables: 16 per block and group.
size_t qb_ternary_table_size(int M, int groups);
/// Packs codes t (int16 holding -1, 0, +1; row stride ldw; (c, tap) order with `taps`) like qb_vnni_pack,
/// with alphas[b][g][r] = alpha[(b * 16 + r) * groups + g] and corr[b][g][r] = zp * sum of the group's codes.
void qb_ternary_pack(int M, int depth, int taps, int groups, const int16_t *codes, int ldw, const float *alpha, int zp,
                     int8_t *wp, int32_t *sums, float *alphas, int32_t *corr);
/// A packed FGQ ternary layer (qb_ternary_pack): `groups` per row.
typedef struct qb_ternary_layer {
    int rows, groups;
    const int8_t *codes;
    const float *alphas;
    const int32_t *corr;
} qb_ternary_layer;

/// output: f = sum_g alpha_g sum_{k in g} t_k x_k for the centered codes x of each input column: per group the exact
/// int32 sum, then fmaf(sum, alpha, f). Returns 1 on AVX2 / AVX-512 VNNI, 0 when the plain twin computed it (same
/// bits), -1 when the groups do not divide the quads (nothing computed), QB_NO_MEMORY when no buffer could be had
/// (outputs NaN).
int qb_ternary_rows(const qb_ternary_layer *layer, const qb_code_columns *input, const qb_float_output *output);
/// The same from float input rows (a linear layer, output->rs = 1 for its layout): the same codes, so the same bits.
int qb_ternary_floats(const qb_ternary_layer *layer, const qb_float_columns *input, const qb_float_output *output);
/// The same for a convolution's output positions (input as HWC unsigned codes; output->cs is taken as 1).
int qb_ternary_conv(const qb_ternary_layer *layer, const qb_hwc_input *input, const qb_float_output *output);

// ---- Power-of-two layers, packed: AVX-512 VNNI and AVX2 (qb_shift.c) ---------------------------------

/// Bytes of the packed shift weights of M rows of `depth`.
size_t qb_shift_packed_size(int M, int depth);
/// Packs a shift layer: power[i][k] = sign 2^e (0 for a zero weight; |power| <= 2^14, or 2^15 in mode 2),
/// component[i][k] = 1 for mixture component 1; (c, tap) order with `taps` (stored tap-major for convolutions).
/// Modes: 0 plain, 1 recentralized (component sums), 2 plain with the top level 2^15 summed apart. corr (48
/// per 16-row block) = zp times the row sums of the int16 powers and of the two byte indicators.
void qb_shift_pack(int M, int depth, int taps, int mode, const int32_t *power, const uint8_t *component, int zp,
                   int8_t *wp, int32_t *corr);
/// A packed shift layer (qb_shift_pack) with its per-row unit and mixture means.
typedef struct qb_shift_layer {
    int rows, mode;
    const int8_t *weights;
    const int32_t *corr;
    const double *unit, *mu0, *mu1;
} qb_shift_layer;

/// output: f = (float)(unit s + mu0 c0 + mu1 c1) (double inside) with the exact sums s = sum power x, c1 / c0 = sums of
/// x over components 1 / 0 (nonzero weights) of each input column's centered codes, `mode` as packed (c0 = c1 = 0
/// unless mode 1). Returns 1 on AVX2 / AVX-512 VNNI, 0 when the plain twin computed it (same bits), QB_NO_MEMORY when
/// no buffer could be had (outputs NaN).
int qb_shift_rows(const qb_shift_layer *layer, const qb_code_columns *input, const qb_float_output *output);
/// The same from float input rows (a linear layer, output->rs = 1 for its layout): the same codes, so the same bits.
int qb_shift_floats(const qb_shift_layer *layer, const qb_float_columns *input, const qb_float_output *output);
/// The same for a convolution's output positions (input as HWC unsigned codes; output->cs is taken as 1).
int qb_shift_conv(const qb_shift_layer *layer, const qb_hwc_input *input, const qb_float_output *output);

/// The shift epilogue over precomputed exact sums ([M][N] each; e.g. three depthwise passes): in mode 2, c1 holds
/// the top level's sum (added shifted by 15); out[i][j] as qb_shift_rows computes it.
void qb_shift_combine(int M, int N, int mode, const int32_t *s, const int32_t *c1, const int32_t *cnz,
                      const double *unit, const double *mu0, const double *mu1, float sx, const float *bias, float lo,
                      float hi, float *out);

/// Fixed-point requantization (Jacob et al. 2018, gemmlowp): for row i, column j,
/// v = acc + bias[i]; v = RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(v << lshift[i], m0[i]), rshift[i]);
/// q = clamp(v + zy, qmin, qmax); out[i*rs + j*cs] = sy * (q - zy).
void qb_requantize(int M, int N, const int32_t *acc, const int32_t *bias, const int32_t *m0, const int32_t *lshift,
                   const int32_t *rshift, int zy, int qmin, int qmax, float sy, float *out, ptrdiff_t rs, ptrdiff_t cs);

/// The two gemmlowp primitives, exposed for tests.
int32_t qb_srdhm(int32_t a, int32_t b);
int32_t qb_rdbypot(int32_t x, int exponent);

/// FGQ ternary: row i has groups row_start[i] .. row_start[i+1]; group g adds the columns' codes at
/// k = idx[gs[g] .. gs[g] + np[g]) and subtracts those at idx[gs[g] + np[g] .. gs[g+1]), all in int32,
/// then does ONE multiply: facc += alpha[g] * sum. out[i*rs + j*cs] = clamp(sx * facc + bias[i], lo, hi).
/// pt is k-major: pt[k*ldp + j]. Returns the additions/subtractions and multiplications it did.
void qb_ternary_gemm(int M, int N, const int32_t *row_start, const int32_t *gs, const int32_t *np, const int32_t *idx,
                     const float *alpha, const int16_t *pt, ptrdiff_t ldp, float sx, const float *bias, float lo,
                     float hi, float *out, ptrdiff_t rs, ptrdiff_t cs, int64_t *adds, int64_t *mults);

/// Power-of-two (shift) kernel: row i's nonzero weights are entries row_start[i] .. row_start[i+1] with
/// input index idx[e] and code[e] = component << 7 | negative << 6 | exponent (0..63). Per column:
/// s = sum sign * (x << exponent) (int64), c0/c1 = sum of x per mixture component (int32);
/// out = clamp(sx * (unit[i] * s + mu0[i] * c0 + mu1[i] * c1) + bias[i], lo, hi).
/// Returns the shift-adds it did.
void qb_shift_gemm(int M, int N, const int32_t *row_start, const int32_t *idx, const uint8_t *code, const float *unit,
                   const float *mu0, const float *mu1, const int16_t *pt, ptrdiff_t ldp, float sx, const float *bias,
                   float lo, float hi, float *out, ptrdiff_t rs, ptrdiff_t cs, int64_t *shifts);

#ifdef __cplusplus
}
#endif

#endif /* QB_KERNELS_H */
