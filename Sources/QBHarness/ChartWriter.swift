import Foundation

/// The report's chart (`Reports/<suite>.svg`): per model, its figure (top-1 or agreement in percent; perplexity on
/// its own axis, lower is better) against bits per weight and against the serialized size, one point per variant
/// coloured by method family (legend at the top), the Pareto front (no other variant is both smaller and better)
/// drawn as a staircase, readable ticks with gridlines, and each point numbered: the numbers are placed where they
/// cover no other label or point, and the key under the panels names each number's variant. Deterministic output.
public enum ChartWriter {
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
            of: ">", with: "&gt;")
    }

    /// Method families in legend order: name, colour, and which variants belong.
    static let families: [(name: String, color: String, matches: @Sendable (ResultRow) -> Bool)] = [
        ("external file", "#8c564b", { $0.source != nil }),
        ("QwT on top", "#ff7f0e", { $0.variant.hasSuffix("+qwt") }),
        ("FP32", "#222222", { $0.variant == "fp32" }),
        ("int8 (Jacob et al.)", "#1f77b4", { $0.variant.hasPrefix("int8") }),
        ("uniform W/A", "#17becf", { $0.variant.range(of: #"^w\d"#, options: .regularExpression) != nil }),
        ("FGQ ternary", "#2ca02c", { $0.variant.hasPrefix("fgq") }),
        ("power-of-two / FQ", "#d62728", { $0.variant.hasPrefix("pow2") || $0.variant.hasPrefix("fq") }),
        ("mixed precision", "#9467bd", { $0.variant.hasPrefix("mp") }),
        ("other", "#7f7f7f", { _ in true }),
    ]

    static func family(_ row: ResultRow) -> (name: String, color: String) {
        let f = families.first { $0.matches(row) }!
        return (f.name, f.color)
    }

    struct Point {
        var number: Int
        var row: ResultRow
        var x: Double
        var y: Double
    }

    static let panelWidth = 380.0, panelHeight = 250.0, keyColumns = 4

    public static func svg(_ results: SuiteResults) -> String {
        var models = [String]()
        for r in results.rows where !models.contains(r.model) { models.append(r.model) }
        let present = families.filter { f in results.rows.contains { family($0).name == f.name } }
        var body = [String](), y = 58.0
        for model in models {
            let rows = results.rows.filter { $0.model == model && $0.kind.headline($0.metrics) != nil }
            guard !rows.isEmpty else { continue }
            let lowerIsBetter = rows.first?.kind == .perplexity
            let numbered = rows.enumerated().map { (i, r) in (i + 1, r) }
            let bits = numbered.compactMap { n, r in
                r.metrics["bits_per_weight"].map { Point(number: n, row: r, x: $0, y: r.kind.headline(r.metrics)!) }
            }
            let sizes = numbered.compactMap { n, r in
                r.metrics["model_bytes"].map { Point(number: n, row: r, x: $0, y: r.kind.headline(r.metrics)!) }
            }
            let ys = rows.compactMap { $0.kind.headline($0.metrics) }
            let spread = (ys.max() ?? 1) / max(ys.min() ?? 1, 1e-9)
            let yAxis = ChartAxis(values: ys, scale: lowerIsBetter && spread > 3 ? .log10 : .linear)
            let yName =
                lowerIsBetter
                ? "perplexity (lower is better\(yAxis.scale == .log10 ? "; log scale" : ""))"
                : (rows.first?.kind == .agreement ? "agreement with FP32 (%)" : "top-1 (%)")
            var unplaced = Set<Int>()
            body += panel(
                title: "\(model): figure vs bits per weight", x0: 10, y0: y, points: bits,
                xAxis: ChartAxis(values: bits.map(\.x), scale: .log2), xName: "bits per weight (log scale)",
                yAxis: yAxis, yName: yName, lowerIsBetter: lowerIsBetter, bytes: false, unplaced: &unplaced)
            body += panel(
                title: "\(model): figure vs serialized size", x0: 20 + panelWidth, y0: y, points: sizes,
                xAxis: ChartAxis(values: sizes.map(\.x), scale: .log10), xName: "serialized size (log scale)",
                yAxis: yAxis, yName: yName, lowerIsBetter: lowerIsBetter, bytes: true, unplaced: &unplaced)
            y += panelHeight + 8
            // The key: number, variant, in columns.
            for (i, (n, r)) in numbered.enumerated() {
                let column = Double(i % keyColumns), line = Double(i / keyColumns)
                let mark = unplaced.contains(n) ? "*" : ""
                body.append(
                    String(
                        format: "<text class=\"key\" x=\"%.1f\" y=\"%.1f\" fill=\"%@\">%d%@ %@</text>",
                        20 + column * (2 * panelWidth / Double(keyColumns)), y + 12 * line, family(r).color, n, mark,
                        escape(r.variant)))
            }
            y += 12 * Double((numbered.count + keyColumns - 1) / keyColumns)
            if !unplaced.isEmpty {
                body.append(
                    String(
                        format: "<text x=\"20\" y=\"%.1f\" font-size=\"10\">* no room for the number beside its point "
                            + "(a crowded spot): see the report's tables</text>", y + 2))
                y += 12
            }
            y += 20
        }
        var out = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(2 * panelWidth + 30))\" height=\"\(Int(y))\" "
                + "font-family=\"sans-serif\" font-size=\"11\">",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
            "<text x=\"10\" y=\"20\" font-size=\"14\">Suite \(escape(results.suite)): accuracy against bits per "
                + "weight and serialized size; grey staircase: the Pareto front</text>",
        ]
        var legendX = 10.0
        for f in present {
            out.append(
                String(
                    format: "<circle class=\"legend\" cx=\"%.1f\" cy=\"38\" r=\"4\" fill=\"%@\"/>"
                        + "<text x=\"%.1f\" y=\"42\">%@</text>", legendX + 4, f.color, legendX + 11, escape(f.name)))
            legendX += 20 + Double(f.name.count) * 6.2
        }
        return (out + body + ["</svg>"]).joined(separator: "\n") + "\n"
    }

    /// One panel: frame, gridlines and ticks, the front, the points and their numbers.
    static func panel(
        title: String, x0: Double, y0: Double, points: [Point], xAxis: ChartAxis, xName: String, yAxis: ChartAxis,
        yName: String, lowerIsBetter: Bool, bytes: Bool, unplaced: inout Set<Int>
    ) -> [String] {
        let left = x0 + 52, right = x0 + panelWidth - 12, top = y0 + 22, bottom = y0 + panelHeight - 40
        func px(_ v: Double) -> Double { left + xAxis.fraction(v) * (right - left) }
        func py(_ v: Double) -> Double { bottom - yAxis.fraction(v) * (bottom - top) }
        var out = [
            "<g class=\"panel\" data-title=\"\(escape(title))\">",
            "<text x=\"\(x0 + 4)\" y=\"\(y0 + 12)\" font-size=\"12\">\(escape(title))</text>",
        ]
        out += ChartAxis.grid(x: xAxis, y: yAxis, left: left, right: right, top: top, bottom: bottom, bytes: bytes)
        out.append(
            String(
                format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"10\">%@</text>",
                (left + right) / 2, bottom + 28, escape(xName)))
        out.append(
            String(
                format: "<text transform=\"translate(%.1f,%.1f) rotate(-90)\" text-anchor=\"middle\" "
                    + "font-size=\"10\">%@</text>", x0 + 10, (top + bottom) / 2, escape(yName)))
        let front = paretoFront(points, lowerIsBetter: lowerIsBetter)
        if front.count > 1 {
            var path = [String(format: "%.1f,%.1f", px(front[0].x), py(front[0].y))]
            for (a, b) in zip(front, front.dropFirst()) {
                path.append(String(format: "%.1f,%.1f %.1f,%.1f", px(b.x), py(a.y), px(b.x), py(b.y)))
            }
            out.append(
                "<polyline class=\"front\" points=\"\(path.joined(separator: " "))\" fill=\"none\" stroke=\"#999\" "
                    + "stroke-width=\"1.5\"/>")
        }
        let centres = points.map { (x: px($0.x), y: py($0.y)) }
        for (p, c) in zip(points, centres) {
            out.append(
                String(
                    format: "<circle class=\"point\" data-variant=\"%@\" cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" "
                        + "fill=\"%@\" fill-opacity=\"0.85\"/>", escape(p.row.variant), c.x, c.y, family(p.row).color))
        }
        // Points at the same spot share one label ("3,7").
        var labels = ChartLabels(
            plot: .init(x: left, y: top, width: right - left, height: bottom - top), points: centres, radius: 3.5)
        var done = Set<Int>()
        for (i, c) in centres.enumerated() where !done.contains(i) {
            let group = centres.indices.filter {
                !done.contains($0) && hypot(centres[$0].x - c.x, centres[$0].y - c.y) < 2
            }
            done.formUnion(group)
            let text = group.map { String(points[$0].number) }.joined(separator: ",")
            if let at = labels.place(text, nearX: c.x, y: c.y) {
                // A label placed away from its point gets a leader line to the nearest point of its box.
                let nearX = min(max(c.x, at.box.x), at.box.x + at.box.width)
                let nearY = min(max(c.y, at.box.y), at.box.y + at.box.height)
                if hypot(nearX - c.x, nearY - c.y) > 10 {
                    out.append(
                        String(
                            format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#bbb\" "
                                + "stroke-width=\"0.8\"/>", c.x, c.y, nearX, nearY))
                }
                out.append(
                    String(
                        format: "<text class=\"label\" x=\"%.1f\" y=\"%.1f\" font-size=\"10\">%@</text>", at.x, at.y,
                        text))
            } else {
                unplaced.formUnion(group.map { points[$0].number })
            }
        }
        out.append("</g>")
        return out
    }

    /// The points no other point beats on both axes (smaller x and a better figure), by increasing x.
    static func paretoFront(_ points: [Point], lowerIsBetter: Bool) -> [Point] {
        let sorted = points.sorted { ($0.x, lowerIsBetter ? $0.y : -$0.y) < ($1.x, lowerIsBetter ? $1.y : -$1.y) }
        var front = [Point]()
        for p in sorted {
            guard let last = front.last else {
                front.append(p)
                continue
            }
            if lowerIsBetter ? p.y < last.y : p.y > last.y { front.append(p) }
        }
        return front
    }
}
