// QuantBench FP32 kernels in C: a packed, cache-blocked SGEMM with an AVX2/FMA 6x16 micro-kernel
// chosen at run time (cpuid) and a portable fallback; im2col and depthwise convolution.
#ifndef QB_KERNELS_H
#define QB_KERNELS_H

#include <stddef.h>

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
int qb_sgemm(int M, int N, int K,
             const float *a, ptrdiff_t a_rs, ptrdiff_t a_cs,
             const float *b, ptrdiff_t b_rs, ptrdiff_t b_cs,
             float *c, ptrdiff_t ldc,
             const float *bias, int bias_per_row, float lo, float hi, int accumulate);

/// 1 if the AVX2/FMA kernels are in use on this CPU.
int qb_kernels_have_avx2(void);

/// Forces the portable kernels (for tests); 0 restores the automatic choice.
void qb_kernels_force_portable(int on);

/// Convolution geometry (2-D; a 1-D convolution has kh = 1, sh = 1, dh = 1, pt = 0, oh = 1).
typedef struct qb_conv_geo {
    int kh, kw, sh, sw, dh, dw, pt, pl, oh, ow;
} qb_conv_geo;

/// Unfolds padded, strided, dilated windows of `channels` planes (ih x iw) into rows (c, ki, kj) and
/// columns (oy, ox): col has channels*kh*kw rows of oh*ow floats.
void qb_im2col(const float *x, int channels, int ih, int iw, qb_conv_geo g, float *col);

/// Depthwise convolution of planes [first, first + count) of an (n*c) x ih x iw input, one kh x kw
/// filter per channel (plane p uses filter p % c), output clamped to [lo, hi] after the bias.
void qb_depthwise(const float *x, int c, int first, int count, int ih, int iw, const float *w,
                  const float *bias, qb_conv_geo g, float lo, float hi, float *out);

#ifdef __cplusplus
}
#endif

#endif /* QB_KERNELS_H */
