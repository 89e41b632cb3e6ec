// The element functions of qb_vecmath.c, one fixed sequence of float operations each (see qb_vecmath.h).
// Branch-free (selects), so the loops that call them vectorize; included once by qb_vecmath.c.
#ifndef QB_VECMATH_OPS_H
#define QB_VECMATH_OPS_H

#include <stdint.h>
#include <string.h>

static inline float qbv_from_bits(uint32_t b) {
    float f;
    memcpy(&f, &b, 4);
    return f;
}
static inline uint32_t qbv_bits(float f) {
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}

/// exp(x): n = round(x log2 e) (the 1.5 * 2^23 trick, round to nearest), r = x - n ln2 (two parts), e^r by
/// Cephes' degree-7 polynomial, times 2^n built in two halves (so n = 128 and n = -126 stay exact).
/// Above ln(FLT_MAX) +inf, below ln(FLT_MIN) 0, NaN stays NaN.
static inline __attribute__((always_inline)) float qbv_exp(float x) {
    const float hi = 88.72283935546875f, lo = -87.33654022216796875f;
    float xc = x > hi ? hi : x;
    xc = xc < lo ? lo : xc;
    xc = xc == xc ? xc : 0.0f;
    float n = xc * 1.44269502162933349609375f + 12582912.0f;
    n = n - 12582912.0f;
    float r = xc - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r;
    p = p + 1.0f;
    int32_t ni = (int32_t)n;
    int32_t half = ni / 2;
    float s1 = qbv_from_bits((uint32_t)(half + 127) << 23);
    float s2 = qbv_from_bits((uint32_t)(ni - half + 127) << 23);
    float y = (p * s1) * s2;
    y = x > hi ? qbv_from_bits(0x7f800000u) : y;
    y = x < lo ? 0.0f : y;
    return x == x ? y : x;
}

/// erf(x): |x| < 0.5 the Taylor series to x^13 (relative error below 3e-8); else 1 - erfc(|x|) with
/// erfc(z) = t exp(-z^2 + P(t)), t = 1 / (1 + z / 2) (Numerical Recipes' erfcc, relative error below
/// 1.2e-7), the sign restored. NaN stays NaN.
static inline __attribute__((always_inline)) float qbv_erf(float x) {
    float z = x < 0.0f ? -x : x;
    float z2 = x * x;
    float q = -1.0f / 75600.0f; // series in x^2: 2/sqrt(pi) sum (-1)^k x^(2k+1) / (k! (2k+1))
    q = q * z2 + 1.0f / 9360.0f;
    q = q * z2 + -1.0f / 1320.0f;
    q = q * z2 + 1.0f / 216.0f;
    q = q * z2 + -1.0f / 42.0f;
    q = q * z2 + 1.0f / 10.0f;
    q = q * z2 + -1.0f / 3.0f;
    q = q * z2 + 1.0f;
    float small = (q * x) * 1.12837922573089599609375f;
    float t = 1.0f / (1.0f + 0.5f * z);
    float p = 0.17087277f;
    p = p * t + -0.82215223f;
    p = p * t + 1.48851587f;
    p = p * t + -1.13520398f;
    p = p * t + 0.27886807f;
    p = p * t + -0.18628806f;
    p = p * t + 0.09678418f;
    p = p * t + 0.37409196f;
    p = p * t + 1.00002368f;
    p = p * t + -1.26551223f;
    float erfc = t * qbv_exp(p - z2);
    float large = 1.0f - erfc;
    large = x < 0.0f ? -large : large;
    float y = z < 0.5f ? small : large;
    return x == x ? y : x;
}

/// tanh(x): |x| < 0.4 the Taylor series to x^13; else sign(x) (1 - 2 / (exp(2|x|) + 1)).
static inline __attribute__((always_inline)) float qbv_tanh(float x) {
    float z = x < 0.0f ? -x : x;
    float z2 = x * x;
    float q = 21844.0f / 6081075.0f;
    q = q * z2 + -1382.0f / 155925.0f;
    q = q * z2 + 62.0f / 2835.0f;
    q = q * z2 + -17.0f / 315.0f;
    q = q * z2 + 2.0f / 15.0f;
    q = q * z2 + -1.0f / 3.0f;
    float small = (q * z2) * x + x;
    float large = 1.0f - 2.0f / (qbv_exp(z + z) + 1.0f);
    large = x < 0.0f ? -large : large;
    float y = z < 0.4f ? small : large;
    return x == x ? y : x;
}

/// sigmoid(x) = 1 / (1 + exp(-x)).
static inline __attribute__((always_inline)) float qbv_sigmoid(float x) {
    return 1.0f / (1.0f + qbv_exp(-x));
}

// Swift's max(x, 0) and min(x, 1): (y >= x ? y : x) and (y < x ? y : x), so NaN passes through.
static inline __attribute__((always_inline)) float qbv_relu(float x) {
    return 0.0f >= x ? 0.0f : x;
}

static inline __attribute__((always_inline)) float qbv_hardswish(float x) {
    float t = x / 6.0f + 0.5f;
    t = 0.0f >= t ? 0.0f : t;
    t = 1.0f < t ? 1.0f : t;
    return x * t;
}

/// GELU, erf form, in torch.onnx's order: (x * (erf(x / d) + 1)) * 0.5.
static inline __attribute__((always_inline)) float qbv_gelu_erf(float x, float d) {
    return (x * (qbv_erf(x / d) + 1.0f)) * 0.5f;
}

/// GELU, tanh form: (0.5 x) (1 + tanh(c (x + 0.044715 x^3))).
static inline __attribute__((always_inline)) float qbv_gelu_tanh(float x) {
    float inner = 0.7978845608028654f * (x + 0.044715f * ((x * x) * x));
    return (0.5f * x) * (1.0f + qbv_tanh(inner));
}

/// log(x): x = m 2^e with m in [sqrt(1/2), sqrt(2)), Cephes' degree-9 polynomial in m - 1, plus e ln 2 in
/// two parts. 0 gives -inf, a negative x or NaN gives NaN, +inf gives +inf; subnormals are scaled first.
static inline __attribute__((always_inline)) float qbv_log(float x) {
    int32_t bias = x < 1.17549435e-38f ? 25 : 0;
    float xs = x < 1.17549435e-38f ? x * 33554432.0f : x;
    uint32_t b = qbv_bits(xs);
    int32_t e = (int32_t)((b >> 23) & 0xffu) - 126 - bias;
    float m = qbv_from_bits((b & 0x807fffffu) | 0x3f000000u);
    int below = m < 0.707106781186547524f;
    e = below ? e - 1 : e;
    m = below ? (m + m) - 1.0f : m - 1.0f;
    float z = m * m;
    float y = 7.0376836292e-2f;
    y = y * m + -1.1514610310e-1f;
    y = y * m + 1.1676998740e-1f;
    y = y * m + -1.2420140846e-1f;
    y = y * m + 1.4249322787e-1f;
    y = y * m + -1.6668057665e-1f;
    y = y * m + 2.0000714765e-1f;
    y = y * m + -2.4999993993e-1f;
    y = y * m + 3.3333331174e-1f;
    y = (y * m) * z;
    float ef = (float)e;
    y = y + ef * -2.12194440e-4f;
    y = y + -0.5f * z;
    float r = m + y;
    r = r + ef * 0.693359375f;
    r = x == 0.0f ? -qbv_from_bits(0x7f800000u) : r;
    r = x < 0.0f ? qbv_from_bits(0x7fc00000u) : r;
    r = x > 3.40282347e38f ? x : r;
    return x == x ? r : x;
}

#endif /* QB_VECMATH_OPS_H */
