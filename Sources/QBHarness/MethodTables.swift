import Foundation
import QBQuant

/// The report's tables for the methods that sit on top of the others: QwT (its effect per base variant,
/// and R^2 and error per block) and mixed precision (the bit-width chosen per layer, greedy against the
/// optimum along the front, drawn in `<suite>-mixed.svg`).
enum MethodTables {
    static func f(_ v: Double?, _ digits: Int) -> String {
        v.map { $0.isFinite ? String(format: "%.\(digits)f", $0) : "inf" } ?? "-"
    }

    /// The headline figure of a row with its 95% interval where there is one.
    static func figure(_ r: ResultRow) -> (value: Double?, text: String) {
        let m = r.metrics
        if r.kind == .perplexity {
            return (m["perplexity"], "\(f(m["perplexity"], 3)) +- \(f(m["perplexity_se"], 3))")
        }
        if let t = m["top1"] {
            let low = f(m["top1_ci_low"].map { $0 * 100 }, 1), high = f(m["top1_ci_high"].map { $0 * 100 }, 1)
            return (t * 100, "\(f(t * 100, 2))% (\(low)-\(high))")
        }
        return (m["agreement"].map { $0 * 100 }, "\(f(m["agreement"].map { $0 * 100 }, 2))%")
    }

    static func markdown(_ rows: [ResultRow], suite: String) -> [String] {
        var lines = [String]()
        let qwt = rows.filter { $0.blocks != nil }
        if !qwt.isEmpty {
            lines += [
                "QwT (Fu et al. 2025) on each base variant: the figure without and with the compensation (95% "
                    + "intervals from the evaluation set), "
                    + "and the compensation's cost.", "",
                "| base | base figure | + QwT | change | blocks kept / fitted | mean R^2 | bytes added | fit (s) |",
                "| --- | --- | --- | --- | --- | --- | --- | --- |",
            ]
            for r in qwt {
                let baseName = String(r.variant.dropLast(4))
                let base = rows.first { $0.variant == baseName }
                let blocks = r.blocks!
                let (v, text) = figure(r)
                let baseFigure = base.map(figure)
                let change = zip2(v, baseFigure?.value).map { $0 - $1 }
                let kept = blocks.filter { !$0.gated }
                let r2 = blocks.isEmpty ? nil : blocks.reduce(0.0) { $0 + $1.r2 } / Double(blocks.count)
                lines.append(
                    "| \(baseName) | \(baseFigure?.text ?? "not run") | \(text) | \(f(change, 2)) | \(kept.count) / "
                        + "\(blocks.count) | \(f(r2, 3)) | "
                        + "\(blocks.reduce(0) { $0 + $1.bytes }) | \(f(blocks.reduce(0.0) { $0 + $1.seconds }, 2)) |")
            }
            lines += [
                "",
                "QwT per block: R^2 of the compensation on the target Y - Y_q, and the block output's error ||Y - "
                    + "Y_q||^2 / ||Y||^2 "
                    + "before and after (calibration samples).", "",
            ]
            lines.append(
                "| variant | block (input -> output) | form | R^2 | error before | error after | lambda | gate |")
            lines.append("| --- | --- | --- | --- | --- | --- | --- | --- |")
            for r in qwt {
                for b in r.blocks! {
                    lines.append(
                        "| \(r.variant) | `\(b.input)` -> `\(b.output)` | \(b.form) | \(f(b.r2, 3)) | "
                            + "\(String(format: "%.3g", b.errorBefore)) | "
                            + "\(String(format: "%.3g", b.errorAfter)) | \(String(format: "%.0e", b.lambda)) | "
                            + "\(b.gated ? "zeroed (R^2 <= 0)" : "kept") |"
                    )
                }
            }
            lines.append("")
        }
        let mixed = rows.filter { $0.mixed != nil && $0.blocks == nil }
        if let m0 = mixed.first?.mixed {
            lines += [
                "Mixed precision (Pandey et al. 2023): candidates \(m0.candidates.joined(separator: ", ")); "
                    + "label-free sensitivity = output "
                    + (m0.metric == "sqnr" ? "noise ||y - y_q||^2 / ||y||^2" : "KL divergence")
                    + " with one layer quantized, on the first "
                    + "calibration samples. The candidate chosen per layer:", "",
            ]
            lines.append(
                "| layer | weights | " + mixed.map { "\($0.variant) (\($0.mixed!.deployed))" }.joined(separator: " | ")
                    + " |")
            lines.append("| --- | --- | " + mixed.map { _ in "---" }.joined(separator: " | ") + " |")
            for (i, layer) in m0.layers.enumerated() {
                let cells = mixed.map { r -> String in
                    let m = r.mixed!
                    let chosen = m.deployed == "optimal" ? (m.optimal ?? m.greedy) : m.greedy
                    return i < chosen.count ? chosen[i] : "-"
                }
                lines.append("| \(layer) | \(m0.weights[i]) | " + cells.joined(separator: " | ") + " |")
            }
            lines += [
                "",
                "Greedy front against the exact optimum (dynamic programming) at the same cost: predicted and "
                    + "measured output SQNR (dB) on the "
                    + "sensitivity samples; chart: [\(suite)-mixed.svg](\(suite)-mixed.svg).", "",
            ]
            lines.append(
                "| variant | budget | cost | greedy predicted | greedy measured | optimum predicted | optimum "
                    + "measured |"
            )
            lines.append("| --- | --- | --- | --- | --- | --- | --- |")
            func db(_ noise: Double?) -> String {
                guard let noise else { return "-" }
                return m0.metric == "sqnr"
                    ? f(Sensitivity.decibels(noise), 2) + " dB" : String(format: "KL %.3g", noise)
            }
            for r in mixed {
                let m = r.mixed!
                for p in m.front {
                    lines.append(
                        "| \(r.variant) | \(m.budget) | \(f(p.cost, 3)) | \(db(p.greedyPredicted)) | "
                            + "\(db(p.greedyMeasured)) | \(db(p.optimalPredicted)) | \(db(p.optimalMeasured)) |"
                    )
                }
            }
            lines.append("")
        }
        return lines
    }

    static func zip2(_ a: Double?, _ b: Double?) -> (Double, Double)? {
        guard let a, let b else { return nil }
        return (a, b)
    }

    /// The fronts as an SVG: one panel per distinct front (variants of one model whose fronts are the same, e.g. the
    /// same sensitivities under several budgets, share a panel with one dashed line per budget), cost against
    /// measured SQNR, greedy (blue) and optimum (orange), with ticks and gridlines. Nil when no row has a front.
    static func frontSVG(_ results: SuiteResults) -> String? {
        let rows = results.rows.filter { $0.mixed != nil && $0.blocks == nil }
        guard !rows.isEmpty else { return nil }
        var groups = [(model: String, front: [MixedReport.FrontPoint], rows: [ResultRow])]()
        for r in rows {
            if let i = groups.firstIndex(where: { $0.model == r.model && $0.front == r.mixed!.front }) {
                groups[i].rows.append(r)
            } else {
                groups.append((r.model, r.mixed!.front, [r]))
            }
        }
        let panelW = 380.0, panelH = 250.0, columns = min(groups.count, 2)
        let height = Double((groups.count + columns - 1) / columns) * panelH + 40
        var out = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(Double(columns) * panelW + 20))\" "
                + "height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
            "<text x=\"10\" y=\"20\" font-size=\"14\">Suite \(ChartWriter.escape(results.suite)): mixed-precision "
                + "fronts: measured SQNR (dB) vs cost; blue greedy, orange optimum, dashed: budgets</text>",
        ]
        for (i, group) in groups.enumerated() {
            let x0 = 10 + Double(i % columns) * panelW, y0 = 30 + Double(i / columns) * panelH
            let g = group.front.map { ($0.cost, Sensitivity.decibels($0.greedyMeasured)) }
            let o = group.front.compactMap { p in p.optimalMeasured.map { (p.cost, Sensitivity.decibels($0)) } }
            let xAxis = ChartAxis(values: group.front.map(\.cost) + group.rows.map { $0.mixed!.limit }, scale: .linear)
            let yAxis = ChartAxis(values: (g + o).map(\.1).filter(\.isFinite), scale: .linear)
            let l = x0 + 45, rr = x0 + panelW - 15, t = y0 + 25, b = y0 + panelH - 40
            func px(_ v: Double) -> Double { l + xAxis.fraction(v) * (rr - l) }
            func py(_ v: Double) -> Double { b - min(max(yAxis.fraction(v), 0), 1) * (b - t) }
            let variants = group.rows.map(\.variant).joined(separator: ", ")
            out.append(
                "<g class=\"front-panel\"><text x=\"\(x0 + 4)\" y=\"\(y0 + 15)\" font-size=\"12\">"
                    + "\(ChartWriter.escape(group.model)): \(ChartWriter.escape(variants))</text>")
            out += ChartAxis.grid(x: xAxis, y: yAxis, left: l, right: rr, top: t, bottom: b)
            out.append("<text x=\"\(l + 90)\" y=\"\(b + 28)\" font-size=\"10\">cost (budget unit)</text>")
            // One dashed line per distinct budget, labelled with the budget (variants sharing it share the line).
            var budgets = [(limit: Double, text: String)]()
            for r in group.rows where !budgets.contains(where: { $0.limit == r.mixed!.limit }) {
                budgets.append((r.mixed!.limit, r.mixed!.budget))
            }
            for (k, budget) in budgets.enumerated() {
                out.append(
                    String(
                        format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\" "
                            + "stroke-dasharray=\"4 3\"/><text x=\"%.1f\" y=\"%.1f\" font-size=\"9\">%@</text>",
                        px(budget.limit), t, px(budget.limit), b, px(budget.limit) + 2, t + 10 + 11 * Double(k),
                        ChartWriter.escape(budget.text)))
            }
            for (series, color) in [(g, "#1f77b4"), (o, "#ff7f0e")] {
                let path = series.filter { $0.1.isFinite }.map { String(format: "%.1f,%.1f", px($0.0), py($0.1)) }
                    .joined(separator: " ")
                out.append("<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(color)\"/>")
                for (x, y) in series where y.isFinite {
                    out.append(
                        String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%@\"/>", px(x), py(y), color))
                }
            }
            out.append("</g>")
        }
        out.append("</svg>")
        return out.joined(separator: "\n") + "\n"
    }
}
