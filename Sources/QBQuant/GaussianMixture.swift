import Foundation

/// A two-component 1-D Gaussian mixture fitted by EM, as Focused Quantization's recentralization uses it
/// (Zhao et al. 2019): initialized from the mean and standard deviation of the negative and of the
/// positive values, mixing weights 1/2 each; iterated until the log-likelihood gains less than 1e-9
/// relative (at most 200 iterations).
public struct GaussianMixture: Sendable, Equatable {
    public var weight: (Double, Double)
    public var mean: (Double, Double)
    public var std: (Double, Double)

    public static func == (a: GaussianMixture, b: GaussianMixture) -> Bool {
        a.weight == b.weight && a.mean == b.mean && a.std == b.std
    }

    public init(weight: (Double, Double), mean: (Double, Double), std: (Double, Double)) {
        self.weight = weight
        self.mean = mean
        self.std = std
    }

    /// Fits the mixture to `values` (at least two values of each sign are needed for the initialization;
    /// otherwise nil).
    public static func fit(_ values: [Float], iterations: Int = 200) -> GaussianMixture? {
        let xs = values.map(Double.init)
        let neg = xs.filter { $0 < 0 }, pos = xs.filter { $0 > 0 }
        guard neg.count >= 2, pos.count >= 2 else { return nil }
        func stats(_ v: [Double]) -> (Double, Double) {
            let m = v.reduce(0, +) / Double(v.count)
            return (m, max((v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count)).squareRoot(), 1e-12))
        }
        let (m1, s1) = stats(neg), (m2, s2) = stats(pos)
        var g = GaussianMixture(weight: (0.5, 0.5), mean: (m1, m2), std: (s1, s2))
        var previous = -Double.infinity
        let floor = 1e-12
        for _ in 0..<iterations {
            var n1 = 0.0, n2 = 0.0, sx1 = 0.0, sx2 = 0.0, sxx1 = 0.0, sxx2 = 0.0, ll = 0.0
            for x in xs {
                let p1 = g.weight.0 * density(x, g.mean.0, g.std.0), p2 = g.weight.1 * density(x, g.mean.1, g.std.1)
                let total = max(p1 + p2, 1e-300)
                ll += log(total)
                let r1 = p1 / total, r2 = p2 / total
                n1 += r1
                n2 += r2
                sx1 += r1 * x
                sx2 += r2 * x
                sxx1 += r1 * x * x
                sxx2 += r2 * x * x
            }
            guard n1 > floor, n2 > floor else { break }
            let mu1 = sx1 / n1, mu2 = sx2 / n2
            g = GaussianMixture(
                weight: (n1 / Double(xs.count), n2 / Double(xs.count)), mean: (mu1, mu2),
                std: (
                    max((sxx1 / n1 - mu1 * mu1).squareRoot(), floor), max((sxx2 / n2 - mu2 * mu2).squareRoot(), floor)
                ))
            if ll - previous < 1e-9 * abs(ll) { break }
            previous = ll
        }
        return g
    }

    static func density(_ x: Double, _ m: Double, _ s: Double) -> Double {
        let z = (x - m) / s
        return exp(-0.5 * z * z) / (s * (2 * Double.pi).squareRoot())
    }

    /// The component with the larger posterior (ties: the first); FQ samples, this is the documented argmax.
    public func component(_ x: Double) -> Int {
        weight.0 * Self.density(x, mean.0, std.0) >= weight.1 * Self.density(x, mean.1, std.1) ? 0 : 1
    }

    /// FQ's Wasserstein separation `((mu1 - mu2)^2 + (s1 - s2)^2) / sigma^2`, sigma^2 the variance of all values.
    public func separation(variance: Double) -> Double {
        ((mean.0 - mean.1) * (mean.0 - mean.1) + (std.0 - std.1) * (std.0 - std.1)) / max(variance, 1e-300)
    }
}
