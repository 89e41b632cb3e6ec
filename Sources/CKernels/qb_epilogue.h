// The float work after the exact integer sums, defined once for every kernel path (portable, AVX2,
// AVX-512, VNNI): each vector form computes exactly these operations, in this order, with these roundings,
// so a layer's output has the same bits on every CPU. The target is built with -ffp-contract=off: nothing is
// fused unless written as fmaf (or an FMA intrinsic).
#ifndef QB_EPILOGUE_H
#define QB_EPILOGUE_H

#include <math.h>
#include <stdint.h>

/// FGQ ternary: a group's one multiply by alpha, fused into the row's float sum (groups in the layer's
/// fixed order; an empty group, s = 0, leaves f unchanged).
static inline float qb_ternary_group(float f, int32_t s, float alpha) { return fmaf((float)s, alpha, f); }

/// clamp(f * sx + b, lo, hi): the product and the sum each rounded, then max(v, lo) and min(v, hi) with
/// x86's maxps/minps semantics (the second operand when the comparison fails: a NaN gives lo).
static inline float qb_scale_bias_clamp(float f, float sx, float b, float lo, float hi) {
    float t = f * sx;
    float v = t + b;
    v = v > lo ? v : lo;
    return v < hi ? v : hi;
}

/// Power-of-two (Focused Quantization): unit s + mu0 c0 + mu1 c1 in double, one rounding per operation in
/// this order, rounded to float, then qb_scale_bias_clamp. s, c0, c1 are exact integer sums (int32 on the
/// vector paths; the same values in int64 on the index-list path, exactly representable in double).
static inline float qb_shift_value(int64_t s, int64_t c0, int64_t c1, double u, double m0, double m1, float sx, float b, float lo,
                                   float hi) {
    double t = u * (double)s;
    double a0 = m0 * (double)c0;
    t = t + a0;
    double a1 = m1 * (double)c1;
    t = t + a1;
    return qb_scale_bias_clamp((float)t, sx, b, lo, hi);
}

#endif
