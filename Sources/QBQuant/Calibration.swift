/// How an activation's range is chosen from calibration data (a setting of every variant).
public enum CalibrationMethod: String, Codable, Sendable, CaseIterable {
    /// The observed minimum and maximum (Jacob et al. 2018).
    case max
    /// The 99.99th percentile of |x| on a 2048-bin histogram.
    case percentile
    /// The threshold that minimizes the mean squared quantization error over the histogram.
    case mse
    /// TensorRT's entropy calibration: the threshold minimizing KL(P || Q) (Migacz, GTC 2017). TensorRT merges
    /// into 128 levels (int8, symmetric); for a non-negative tensor on uint8 codes we merge into 256, the levels
    /// the codes have (signed tensors: 128 per side). Both histogram searches start at bin `levels`, so the
    /// threshold is never below levels/2048 of max |x| (1/8 for uint8).
    case entropy
}

/// Collects one activation's statistics over calibration batches: minimum, maximum, and (second pass)
/// a 2048-bin histogram of |x| over [0, max |x|].
public struct RangeObserver: Sendable {
    public static let bins = 2048
    public private(set) var minimum: Float = .infinity
    public private(set) var maximum: Float = -.infinity
    public private(set) var histogram = [Double](repeating: 0, count: RangeObserver.bins)

    public init() {}

    public var absMax: Float { Swift.max(abs(minimum.isFinite ? minimum : 0), abs(maximum.isFinite ? maximum : 0)) }
    public var signed: Bool { minimum < 0 }
    /// Whether the second pass (the histogram) has seen values.
    public var hasHistogram: Bool { histogram.contains { $0 > 0 } || absMax == 0 }

    /// First pass: the extremes (NaN and infinities ignored: they would make every range useless).
    public mutating func observe(_ xs: [Float]) {
        var lo = minimum, hi = maximum
        for x in xs where x.isFinite {
            lo = Swift.min(lo, x)
            hi = Swift.max(hi, x)
        }
        minimum = lo
        maximum = hi
    }

    /// Second pass: the histogram of |x| (after `observe` saw every batch).
    public mutating func accumulate(_ xs: [Float]) {
        let top = absMax
        guard top > 0 else { return }
        let scale = Float(Self.bins) / top
        guard scale.isFinite else { return }
        for x in xs where x.isFinite {
            let b = Swift.min(Int(abs(x) * scale), Self.bins - 1)
            histogram[b] += 1
        }
    }

    /// The real range `[lo, hi]` the quantizer should cover with `bits`-bit codes.
    /// `max` keeps the observed extremes; the histogram methods choose a threshold T on |x| and give
    /// [0, T] for non-negative tensors, [-T, T] otherwise.
    public func range(_ method: CalibrationMethod, bits: Int) -> (lo: Float, hi: Float) {
        guard minimum <= maximum else { return (0, 0) }
        if method == .max || absMax == 0 { return (Swift.min(minimum, 0), Swift.max(maximum, 0)) }
        let t = threshold(method, bits: bits)
        return signed ? (-t, t) : (0, t)
    }

    /// The threshold on |x| for a histogram method.
    func threshold(_ method: CalibrationMethod, bits: Int) -> Float {
        let width = Double(absMax) / Double(Self.bins)
        let total = histogram.reduce(0, +)
        guard total > 0 else { return absMax }
        // Magnitude levels: 2^bits for non-negative tensors, 2^(bits-1) per side for signed ones.
        let levels = signed ? 1 << (bits - 1) : 1 << bits
        switch method {
        case .max:
            return absMax
        case .percentile:
            var seen = 0.0
            for (i, h) in histogram.enumerated() {
                seen += h
                if seen >= 0.9999 * total { return Float(Double(i + 1) * width) }
            }
            return absMax
        case .mse:
            var best = (err: Double.infinity, i: Self.bins)
            for i in Swift.min(levels, Self.bins)...Self.bins {
                let t = Double(i) * width, step = t / Double(levels - 1)
                var err = 0.0
                for (j, h) in histogram.enumerated() where h > 0 {
                    let c = (Double(j) + 0.5) * width
                    let q = Swift.min((c / step).rounded(), Double(levels - 1)) * step
                    err += h * (c - q) * (c - q)
                }
                if err < best.err { best = (err, i) }
            }
            return Float(Double(best.i) * width)
        case .entropy:
            var best = (kl: Double.infinity, i: Self.bins)
            for i in Swift.min(levels, Self.bins)...Self.bins {
                let kl = Self.klAfterMerging(
                    Array(histogram[0..<i]), tail: histogram[i...].reduce(0, +), levels: levels)
                if kl < best.kl { best = (kl, i) }
            }
            return Float((Double(best.i) + 0.5) * width)
        }
    }

    /// TensorRT's criterion for a candidate threshold at bin i: P = bins[0..<i] with the tail folded into
    /// the last bin; Q = bins[0..<i] merged into `levels` groups and spread evenly back over the non-empty
    /// bins of each group; returns KL(P || Q) of the normalized distributions (bins where P > 0).
    static func klAfterMerging(_ bins: [Double], tail: Double, levels: Int) -> Double {
        let n = bins.count
        var p = bins
        p[n - 1] += tail
        var q = [Double](repeating: 0, count: n)
        for g in 0..<levels {
            let start = g * n / levels, end = (g + 1) * n / levels
            guard end > start else { continue }
            let sum = bins[start..<end].reduce(0, +)
            let nonEmpty = bins[start..<end].filter { $0 > 0 }.count
            guard nonEmpty > 0 else { continue }
            for j in start..<end where bins[j] > 0 { q[j] = sum / Double(nonEmpty) }
        }
        let ps = p.reduce(0, +), qs = q.reduce(0, +)
        guard ps > 0, qs > 0 else { return .infinity }
        var kl = 0.0
        for j in 0..<n where p[j] > 0 {
            let pj = p[j] / ps
            // A bin P has but Q lacks (only the folded tail can be one): smoothed as TensorRT does.
            let qj = q[j] > 0 ? q[j] / qs : 1e-4 / qs
            kl += pj * log(pj / qj)
        }
        return kl
    }
}

import Foundation
