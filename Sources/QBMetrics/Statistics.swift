import Foundation

/// The statistics the reports quote.
public enum Statistics {
    /// The Wilson score interval for a binomial proportion `successes / n` (Wilson 1927), at the
    /// two-sided level whose normal quantile is `z` (1.959964 for 95%):
    /// `(p + z^2/2n +- z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)`.
    public static func wilson(successes: Int, n: Int, z: Double = 1.959963984540054) -> (low: Double, high: Double) {
        guard n > 0 else { return (0, 1) }
        let p = Double(successes) / Double(n), nn = Double(n), z2 = z * z
        let center = p + z2 / (2 * nn)
        let half = z * (p * (1 - p) / nn + z2 / (4 * nn * nn)).squareRoot()
        let denom = 1 + z2 / nn
        return (max(0, (center - half) / denom), min(1, (center + half) / denom))
    }

    /// Softmax of one row of logits, in Double.
    public static func softmax(_ logits: ArraySlice<Float>) -> [Double] {
        let m = Double(logits.max() ?? 0)
        let e = logits.map { Foundation.exp(Double($0) - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    /// KL(P || Q) = sum_i p_i (log p_i - log q_i) of the softmaxes of two logit rows (P the reference, e.g.
    /// FP32), computed from log-softmaxes in Double so that tiny probabilities do not underflow.
    public static func klDivergence(reference p: ArraySlice<Float>, _ q: ArraySlice<Float>) -> Double {
        func logSoftmax(_ x: ArraySlice<Float>) -> [Double] {
            let m = Double(x.max() ?? 0)
            let l = Foundation.log(x.reduce(0.0) { $0 + Foundation.exp(Double($1) - m) })
            return x.map { Double($0) - m - l }
        }
        let lp = logSoftmax(p), lq = logSoftmax(q)
        var kl = 0.0
        for i in 0..<lp.count { kl += Foundation.exp(lp[i]) * (lp[i] - lq[i]) }
        return max(kl, 0)
    }

    /// Mean and its standard error (sample standard deviation / sqrt(n)).
    public static func meanAndStandardError(_ values: [Double]) -> (mean: Double, standardError: Double) {
        guard !values.isEmpty else { return (0, 0) }
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        guard values.count > 1 else { return (mean, 0) }
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        return (mean, (variance / n).squareRoot())
    }

    /// Whether `label` is among the `k` largest logits of a row (ties broken toward the lower index, as a
    /// stable descending sort does).
    public static func inTopK(_ row: ArraySlice<Float>, label: Int, k: Int) -> Bool {
        let target = row[row.startIndex + label]
        var better = 0
        for (i, v) in row.enumerated() where v > target || (v == target && i < label) { better += 1 }
        return better < k
    }
}
