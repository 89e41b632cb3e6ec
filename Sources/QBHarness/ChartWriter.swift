import Foundation

/// An SVG chart of each model's figure (top-1 %, or perplexity) against bits per weight, one panel per
/// model, one labeled point per variant: the accuracy/size trade-off at a glance. Deterministic output.
public enum ChartWriter {
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
            of: ">", with: "&gt;")
    }

    public static func svg(_ results: SuiteResults) -> String {
        var models = [String]()
        for r in results.rows where !models.contains(r.model) { models.append(r.model) }
        let panelW = 300.0, panelH = 220.0, margin = 50.0
        let columns = min(max(models.count, 1), 3)
        let rowsCount = (models.count + columns - 1) / columns
        let width = Double(columns) * panelW + 20, height = Double(max(rowsCount, 1)) * panelH + 40
        var out = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
                + "font-family=\"sans-serif\" font-size=\"11\">",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
            "<text x=\"10\" y=\"20\" font-size=\"14\">Suite \(escape(results.suite)): figure against bits per weight "
                + "(log scale)</text>",
        ]
        for (i, model) in models.enumerated() {
            let x0 = 10 + Double(i % columns) * panelW, y0 = 30 + Double(i / columns) * panelH
            let rows = results.rows.filter { $0.model == model }
            let perplexity = rows.first?.kind == .perplexity
            let points: [(Double, Double, String)] = rows.compactMap { r in
                guard let bits = r.metrics["bits_per_weight"], let v = r.kind.headline(r.metrics) else { return nil }
                return (bits, v, r.variant)
            }
            let ys = points.map(\.1)
            var lo = ys.min() ?? 0, hi = ys.max() ?? 1
            if hi - lo < 1e-9 {
                lo -= 1
                hi += 1
            }
            let pad = (hi - lo) * 0.1
            lo -= pad
            hi += pad
            let plotL = x0 + margin, plotR = x0 + panelW - 15, plotT = y0 + 25, plotB = y0 + panelH - 35
            func px(_ bits: Double) -> Double { plotL + (log2(max(bits, 1)) / 5) * (plotR - plotL) }
            func py(_ v: Double) -> Double { plotB - (v - lo) / (hi - lo) * (plotB - plotT) }
            out.append("<text x=\"\(x0 + 10)\" y=\"\(y0 + 15)\" font-size=\"12\">\(escape(model))</text>")
            out.append(
                "<rect x=\"\(plotL)\" y=\"\(plotT)\" width=\"\(plotR - plotL)\" height=\"\(plotB - plotT)\" "
                    + "fill=\"none\" stroke=\"#999\"/>"
            )
            for b in [1.0, 2, 4, 8, 16, 32] {
                out.append("<text x=\"\(px(b) - 4)\" y=\"\(plotB + 14)\">\(Int(b))</text>")
            }
            out.append("<text x=\"\(plotL + 60)\" y=\"\(plotB + 28)\">bits per weight</text>")
            out.append(String(format: "<text x=\"%.1f\" y=\"%.1f\">%.2f</text>", x0 + 2, plotT + 8, hi))
            out.append(String(format: "<text x=\"%.1f\" y=\"%.1f\">%.2f</text>", x0 + 2, plotB, lo))
            out.append("<text x=\"\(x0 + 2)\" y=\"\((plotT + plotB) / 2)\">\(perplexity ? "ppl" : "top-1 %")</text>")
            for (bits, v, name) in points {
                out.append(
                    String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#1f77b4\"/>", px(bits), py(v)))
                out.append(
                    String(format: "<text x=\"%.1f\" y=\"%.1f\">%@</text>", px(bits) - 30, py(v) - 7, escape(name)))
            }
        }
        out.append("</svg>")
        return out.joined(separator: "\n") + "\n"
    }
}
