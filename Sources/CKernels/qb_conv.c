// im2col and depthwise convolution. See include/qb_kernels.h.
#include "qb_kernels.h"

void qb_im2col(const float *x, int channels, int ih, int iw, qb_conv_geo g, float *col) {
    const int ohw = g.oh * g.ow;
    for (int c = 0; c < channels; c++) {
        const float *plane = x + (ptrdiff_t)c * ih * iw;
        for (int ki = 0; ki < g.kh; ki++) {
            for (int kj = 0; kj < g.kw; kj++) {
                float *dst = col + ((ptrdiff_t)(c * g.kh + ki) * g.kw + kj) * ohw;
                // Output columns whose input column is inside the image: [ox0, ox1).
                int off = kj * g.dw - g.pl;
                int ox0 = off >= 0 ? 0 : (-off + g.sw - 1) / g.sw;
                int ox1 = g.ow;
                while (ox1 > ox0 && (ox1 - 1) * g.sw + off >= iw) ox1--;
                for (int oy = 0; oy < g.oh; oy++) {
                    float *line = dst + (ptrdiff_t)oy * g.ow;
                    int y = oy * g.sh - g.pt + ki * g.dh;
                    if (y < 0 || y >= ih) {
                        for (int ox = 0; ox < g.ow; ox++) line[ox] = 0.0f;
                        continue;
                    }
                    const float *src = plane + (ptrdiff_t)y * iw + off;
                    for (int ox = 0; ox < ox0; ox++) line[ox] = 0.0f;
                    if (g.sw == 1) {
                        for (int ox = ox0; ox < ox1; ox++) line[ox] = src[ox];
                    } else {
                        for (int ox = ox0; ox < ox1; ox++) line[ox] = src[ox * g.sw];
                    }
                    for (int ox = ox1; ox < g.ow; ox++) line[ox] = 0.0f;
                }
            }
        }
    }
}

// The FP32 depthwise body: a multiply then an add per tap (no contraction: -ffp-contract=off), so the SSE2 and
// AVX2 builds below vectorize it to the same bits.
static inline __attribute__((always_inline))
void depthwise_body(const float *x, int c, int first, int count, int ih, int iw, const float *w,
                    const float *bias, qb_conv_geo g, float lo, float hi, float *out) {
    const int ohw = g.oh * g.ow, ks = g.kh * g.kw;
    for (int p = first; p < first + count; p++) {
        const int ch = p % c;
        const float *src = x + (ptrdiff_t)p * ih * iw, *k = w + (ptrdiff_t)ch * ks;
        float *dst = out + (ptrdiff_t)p * ohw;
        const float b = bias ? bias[ch] : 0.0f;
        for (int i = 0; i < ohw; i++) dst[i] = 0.0f;
        // Accumulate one filter tap at a time over the output rows (vectorizable along ox).
        for (int ki = 0; ki < g.kh; ki++) {
            for (int kj = 0; kj < g.kw; kj++) {
                const float wv = k[ki * g.kw + kj];
                int off = kj * g.dw - g.pl;
                int ox0 = off >= 0 ? 0 : (-off + g.sw - 1) / g.sw;
                int ox1 = g.ow;
                while (ox1 > ox0 && (ox1 - 1) * g.sw + off >= iw) ox1--;
                for (int oy = 0; oy < g.oh; oy++) {
                    int y = oy * g.sh - g.pt + ki * g.dh;
                    if (y < 0 || y >= ih) continue;
                    const float *s = src + (ptrdiff_t)y * iw + off;
                    float *d = dst + (ptrdiff_t)oy * g.ow;
                    if (g.sw == 1) {
                        for (int ox = ox0; ox < ox1; ox++) d[ox] += wv * s[ox];
                    } else {
                        for (int ox = ox0; ox < ox1; ox++) d[ox] += wv * s[ox * g.sw];
                    }
                }
            }
        }
        for (int i = 0; i < ohw; i++) {
            float v = dst[i] + b;
            if (v < lo) v = lo;
            if (v > hi) v = hi;
            dst[i] = v;
        }
    }
}

static void depthwise_default(const float *x, int c, int first, int count, int ih, int iw, const float *w,
                              const float *bias, qb_conv_geo g, float lo, float hi, float *out) {
    depthwise_body(x, c, first, count, ih, iw, w, bias, g, lo, hi, out);
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2,fma")))
static void depthwise_avx2(const float *x, int c, int first, int count, int ih, int iw, const float *w,
                           const float *bias, qb_conv_geo g, float lo, float hi, float *out) {
    depthwise_body(x, c, first, count, ih, iw, w, bias, g, lo, hi, out);
}
#endif

void qb_depthwise(const float *x, int c, int first, int count, int ih, int iw, const float *w,
                  const float *bias, qb_conv_geo g, float lo, float hi, float *out) {
#if defined(__x86_64__) || defined(__i386__)
    if (qb_kernels_have_avx2()) {
        depthwise_avx2(x, c, first, count, ih, iw, w, bias, g, lo, hi, out);
        return;
    }
#endif
    depthwise_default(x, c, first, count, ih, iw, w, bias, g, lo, hi, out);
}
