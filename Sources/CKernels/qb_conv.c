// im2col (the convolutions' fallback and the tests' reference). See include/qb_kernels.h.
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
