import Foundation

/// Significance tests for two runs on the same samples (`quantbench compare`).
public enum PairedTests {
    /// McNemar's exact test: of the samples the two runs disagree on, `b` only the first got right and `c` only the
    /// second; under "equally accurate" each is a fair coin, so the two-sided p-value is
    /// `min(1, 2 P(X <= min(b, c)))` with `X ~ Binomial(b + c, 1/2)` (McNemar 1947; the exact form of Edwards 1948).
    /// Equal to SciPy's `binomtest(b, b + c, 0.5).pvalue`.
    public static func mcNemarExact(b: Int, c: Int) -> Double {
        let n = b + c, k = min(b, c)
        guard n > 0 else { return 1 }
        // P(X <= k) summed in log space: log C(n, i) - n log 2.
        let logHalf = -Double(n) * log(2.0)
        var terms = [Double]()
        for i in 0...k { terms.append(logChoose(n, i) + logHalf) }
        let top = terms.max() ?? 0
        let cdf = exp(top) * terms.reduce(0) { $0 + exp($1 - top) }
        return min(1, 2 * cdf)
    }

    static func logChoose(_ n: Int, _ k: Int) -> Double {
        lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1))
    }

    /// The paired t-test of differences `d` (second run minus first, per window): `t = mean(d) / (sd(d) / sqrt(n))`
    /// with n - 1 degrees of freedom, two-sided p = `I_{v/(v+t^2)}(v/2, 1/2)`. n < 2 gives p = 1; zero spread gives
    /// p = 1 for a zero mean and 0 otherwise.
    public static func pairedT(_ d: [Double]) -> (t: Double, p: Double) {
        let n = Double(d.count)
        guard d.count >= 2 else { return (0, 1) }
        let mean = d.reduce(0, +) / n
        let variance = d.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        guard variance > 0 else { return mean == 0 ? (0, 1) : (mean > 0 ? .infinity : -.infinity, 0) }
        let t = mean / (variance / n).squareRoot(), dof = n - 1
        return (t, regularizedBeta(dof / (dof + t * t), a: dof / 2, b: 0.5))
    }

    /// The regularized incomplete beta function I_x(a, b), by its continued fraction (modified Lentz), using the
    /// symmetry I_x(a, b) = 1 - I_{1-x}(b, a) where the fraction converges slowly.
    public static func regularizedBeta(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logGammas: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
        let logPowers: Double = a * log(x) + b * log(1 - x)
        let front = exp(logGammas + logPowers)
        if x > (a + 1) / (a + b + 2) { return 1 - regularizedBeta(1 - x, a: b, b: a) }
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var fraction = d
        for m in 1...300 {
            let m = Double(m)
            // Even step.
            var term = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + term * d
            c = 1 + term / c
            if abs(d) < tiny { d = tiny }
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            fraction *= d * c
            // Odd step.
            term = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + term * d
            c = 1 + term / c
            if abs(d) < tiny { d = tiny }
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let step = d * c
            fraction *= step
            if abs(step - 1) < 1e-15 { break }
        }
        return front * fraction / a
    }
}
