// The loops of qb_vecmath.c, written once and compiled twice (QBV_NAME / QBV_ATTR set by the includer):
// the portable build and the AVX2 build compute the same operations in the same order, so the same bits.
// Reductions keep 8 interleaved partial sums (lane j takes the elements i with i % 8 == j) and combine
// them in one fixed tree.

static QBV_ATTR void QBV_NAME(unary)(int op, const float *x, float *y, int64_t n, float param) {
    switch (op) {
    case QB_UNARY_EXP:
        for (int64_t i = 0; i < n; i++) y[i] = qbv_exp(x[i]);
        break;
    case QB_UNARY_ERF:
        for (int64_t i = 0; i < n; i++) y[i] = qbv_erf(x[i]);
        break;
    case QB_UNARY_TANH:
        for (int64_t i = 0; i < n; i++) y[i] = qbv_tanh(x[i]);
        break;
    case QB_UNARY_SIGMOID:
        for (int64_t i = 0; i < n; i++) y[i] = qbv_sigmoid(x[i]);
        break;
    case QB_UNARY_GELU_ERF:
        for (int64_t i = 0; i < n; i++) y[i] = qbv_gelu_erf(x[i], param);
        break;
    case QB_UNARY_GELU_TANH:
        for (int64_t i = 0; i < n; i++) y[i] = qbv_gelu_tanh(x[i]);
        break;
    case QB_UNARY_RELU:
        for (int64_t i = 0; i < n; i++) y[i] = qbv_relu(x[i]);
        break;
    case QB_UNARY_HARDSWISH:
        for (int64_t i = 0; i < n; i++) y[i] = qbv_hardswish(x[i]);
        break;
    default:
        break;
    }
}

static QBV_ATTR float QBV_NAME(combine)(const float acc[8]) {
    return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
}

static QBV_ATTR float QBV_NAME(sum)(const float *x, int64_t n) {
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) acc[j] += x[i + j];
    for (int j = 0; i + j < n; j++) acc[j] += x[i + j];
    return QBV_NAME(combine)(acc);
}

static QBV_ATTR float QBV_NAME(max)(const float *x, int64_t n) {
    const float ninf = -qbv_from_bits(0x7f800000u);
    float acc[8] = {ninf, ninf, ninf, ninf, ninf, ninf, ninf, ninf};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) acc[j] = x[i + j] > acc[j] ? x[i + j] : acc[j];
    for (int j = 0; i + j < n; j++) acc[j] = x[i + j] > acc[j] ? x[i + j] : acc[j];
    for (int j = 1; j < 8; j++) acc[0] = acc[j] > acc[0] ? acc[j] : acc[0];
    return acc[0];
}

static QBV_ATTR void QBV_NAME(softmax)(float *x, int64_t rows, int64_t n, int log_softmax) {
    for (int64_t r = 0; r < rows; r++) {
        float *row = x + r * n;
        float m = QBV_NAME(max)(row, n);
        if (log_softmax) {
            float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
            int64_t i = 0;
            for (; i + 8 <= n; i += 8)
                for (int j = 0; j < 8; j++) acc[j] += qbv_exp(row[i + j] - m);
            for (int j = 0; i + j < n; j++) acc[j] += qbv_exp(row[i + j] - m);
            float l = qbv_log(QBV_NAME(combine)(acc));
            for (int64_t k = 0; k < n; k++) row[k] = (row[k] - m) - l;
        } else {
            for (int64_t k = 0; k < n; k++) row[k] = qbv_exp(row[k] - m);
            float s = QBV_NAME(sum)(row, n);
            for (int64_t k = 0; k < n; k++) row[k] = row[k] / s;
        }
    }
}

static QBV_ATTR void QBV_NAME(layernorm)(const float *x, float *y, int64_t rows, int64_t n, const float *scale,
                                         const float *bias, float eps, float *mean_out, float *inv_out) {
    for (int64_t r = 0; r < rows; r++) {
        const float *in = x + r * n;
        float *out = y + r * n;
        float mean = QBV_NAME(sum)(in, n) / (float)n;
        float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int64_t i = 0;
        for (; i + 8 <= n; i += 8)
            for (int j = 0; j < 8; j++) {
                float d = in[i + j] - mean;
                acc[j] += d * d;
            }
        for (int j = 0; i + j < n; j++) {
            float d = in[i + j] - mean;
            acc[j] += d * d;
        }
        float var = QBV_NAME(combine)(acc) / (float)n;
        float inv = 1.0f / __builtin_sqrtf(var + eps);
        if (bias) {
            for (int64_t k = 0; k < n; k++) out[k] = ((in[k] - mean) * inv) * scale[k] + bias[k];
        } else {
            for (int64_t k = 0; k < n; k++) out[k] = ((in[k] - mean) * inv) * scale[k] + 0.0f;
        }
        if (mean_out) mean_out[r] = mean;
        if (inv_out) inv_out[r] = inv;
    }
}
