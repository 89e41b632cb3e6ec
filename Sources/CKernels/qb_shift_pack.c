// The packing of power-of-two (shift) layers for the packed kernels of qb_shift.c (layout in qb_vnni_internal.h).
#include <string.h>
#include "qb_kernels.h"
#include "qb_vnni_internal.h"

size_t qb_shift_packed_size(int M, int depth) {
    return (size_t)((M + 15) / 16) * (size_t)(qb_vnni_ld(depth) / 4) * SHIFT_STEP;
}

void qb_shift_pack(int M, int depth, int taps, int mode, const int32_t *power, const uint8_t *component, int zp,
                   int8_t *wp, int32_t *corr) {
    int ld8 = qb_vnni_ld(depth), K4 = ld8 / 4, MB = (M + 15) / 16;
    int channels = taps > 1 ? depth / taps : depth;
    if (taps < 1 || channels * taps != depth) taps = 1, channels = depth;
    memset(wp, 0, qb_shift_packed_size(M, depth));
    memset(corr, 0, (size_t)MB * 48 * sizeof(int32_t));
    for (int i = 0; i < M; i++) {
        int b = i / 16, r = i % 16;
        int32_t sa = 0, sb = 0, sc = 0;
        for (int k = 0; k < depth; k++) {
            int kp = taps > 1 ? (k % taps) * channels + k / taps : k; // (c, tap) -> tap * C + c, as qb_vnni_pack
            int32_t p = power[(ptrdiff_t)i * depth + k];
            int8_t *step = wp + ((ptrdiff_t)b * K4 + kp / 4) * SHIFT_STEP;
            int16_t *pw = (int16_t *)step;
            // Mode 2 (plain, top level 2^15): +-2^15 goes to the byte slot as +-1 (summed, then shifted by 15).
            int top = mode == 2 && (p == 32768 || p == -32768);
            pw[(r / 8) * 32 + (r % 8) * 4 + kp % 4] = (int16_t)(top ? 0 : p);
            int8_t c1 = mode == 2 ? (int8_t)(top ? (p > 0 ? 1 : -1) : 0)
                                  : (int8_t)(p != 0 && component[(ptrdiff_t)i * depth + k]);
            int8_t nz = mode == 1 ? (int8_t)(p != 0) : 0;
            step[128 + r * 4 + kp % 4] = c1;
            step[192 + r * 4 + kp % 4] = nz;
            sa += top ? 0 : p;
            sb += c1;
            sc += nz;
        }
        corr[b * 48 + r] = zp * sa;
        corr[b * 48 + 16 + r] = zp * sb;
        corr[b * 48 + 32 + r] = zp * sc;
    }
}
