import Foundation

/// One axis of a report chart: its scale, its bounds rounded out to readable ticks, and the mapping to pixels.
///
/// Linear ticks are 1, 2, 2.5 or 5 times a power of ten, five or so across the data; logarithmic ones are powers of
/// two (bits per weight), or 1, 2 and 5 times powers of ten (sizes, perplexity).
struct ChartAxis {
    enum Scale { case linear, log2, log10 }

    let scale: Scale
    let low: Double
    let high: Double
    let ticks: [Double]

    init(values: [Double], scale: Scale) {
        self.scale = scale
        let finite = values.filter { $0.isFinite && (scale == .linear || $0 > 0) }
        var lo = finite.min() ?? 1, hi = finite.max() ?? 1
        switch scale {
        case .linear:
            if hi - lo < 1e-9 {
                let spread = max(abs(lo) * 0.05, 0.5)
                lo -= spread
                hi += spread
            }
            let step = Self.niceStep((hi - lo) / 5)
            lo = (lo / step).rounded(.down) * step
            hi = (hi / step).rounded(.up) * step
            var ticks = [Double](), v = lo
            while v <= hi + step * 1e-9 {
                ticks.append(abs(v) < step * 1e-9 ? 0 : v)
                v += step
            }
            self.ticks = ticks
        case .log2:
            lo = pow(2, log2(lo).rounded(.down))
            hi = pow(2, log2(hi).rounded(.up))
            if hi <= lo { hi = lo * 2 }
            ticks = stride(from: log2(lo), through: log2(hi), by: 1).map { pow(2, $0) }
        case .log10:
            let first = log10(lo).rounded(.down), last = log10(hi).rounded(.up)
            let decades = max(last - first, 1)
            lo = pow(10, first)
            hi = pow(10, first + decades)
            var ticks = [Double]()
            for e in stride(from: first, through: first + decades, by: 1) {
                let base = pow(10, e)
                let steps: [Double] = decades <= 2 ? [1, 2, 5] : [1]
                for m in steps where base * m <= hi * (1 + 1e-12) { ticks.append(base * m) }
            }
            // Tighten to the ticks around the data so that a narrow range is not squeezed into one decade.
            let below = ticks.last { $0 <= (finite.min() ?? lo) } ?? lo
            let above = ticks.first { $0 >= (finite.max() ?? hi) } ?? hi
            lo = below
            hi = above > below ? above : below * 2
            self.ticks = ticks.filter { $0 >= lo * (1 - 1e-12) && $0 <= hi * (1 + 1e-12) }
        }
        low = lo
        high = hi
    }

    /// 1, 2, 2.5 or 5 times a power of ten, at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let power = pow(10, log10(raw).rounded(.down))
        for m in [1.0, 2, 2.5, 5, 10] where m * power >= raw * (1 - 1e-12) { return m * power }
        return 10 * power
    }

    /// The fraction (0 at `low`, 1 at `high`) of value `v` along the axis.
    func fraction(_ v: Double) -> Double {
        switch scale {
        case .linear: return (v - low) / (high - low)
        case .log2, .log10: return (log(max(v, 1e-300)) - log(low)) / (log(high) - log(low))
        }
    }

    /// A tick's text: integers without decimals, sizes in B, KB, MB (with `bytes`).
    func label(_ v: Double, bytes: Bool = false) -> String {
        if bytes {
            for (unit, size) in [("GB", 1e9), ("MB", 1e6), ("KB", 1e3)] where v >= size {
                return Self.trimmed(v / size) + " " + unit
            }
            return Self.trimmed(v) + " B"
        }
        return Self.trimmed(v)
    }

    static func trimmed(_ v: Double) -> String {
        if abs(v - v.rounded()) < 1e-9 { return String(Int(v.rounded())) }
        var text = String(format: "%.3f", v)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }

    /// The gridlines and tick labels of axes `x` and `y` over the plot `left...right` x `top...bottom` (y up), and
    /// the plot's frame; `bytes` labels x's ticks as sizes.
    static func grid(
        x: ChartAxis, y: ChartAxis, left: Double, right: Double, top: Double, bottom: Double, bytes: Bool = false
    ) -> [String] {
        var out = [String]()
        for t in x.ticks {
            let px = left + x.fraction(t) * (right - left)
            out.append(
                String(
                    format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>"
                        + "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"10\">%@</text>",
                    px, top, px, bottom, px, bottom + 13, x.label(t, bytes: bytes)))
        }
        for t in y.ticks {
            let py = bottom - y.fraction(t) * (bottom - top)
            out.append(
                String(
                    format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>"
                        + "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"10\">%@</text>",
                    left, py, right, py, left - 4, py + 3, y.label(t)))
        }
        out.append(
            "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(right - left)\" height=\"\(bottom - top)\" fill=\"none\" "
                + "stroke=\"#888\"/>")
        return out
    }
}
