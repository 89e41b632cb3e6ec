import Foundation

/// Whether each model's results show the direction the papers report (METHODS.md), computed from the
/// run's figures and stated in the report either way; nothing here is asserted or tuned.
enum PaperChecks {
    static func markdown(_ rows: [ResultRow]) -> [String] {
        var lines = [String]()
        var models = [String]()
        for r in rows where !models.contains(r.model) { models.append(r.model) }
        func f(_ v: Double, _ d: Int) -> String { String(format: "%.\(d)f", v) }
        /// "; 95% CI of top-1 LOW-HIGH%" when the int8 row has the interval.
        func ciNote(_ metrics: [String: Double]?) -> String {
            guard let low = metrics?["top1_ci_low"], let high = metrics?["top1_ci_high"] else { return "" }
            return "; 95% CI of top-1 \(f(low * 100, 1))-\(f(high * 100, 1))%"
        }
        for model in models {
            let mine = Dictionary(
                rows.filter { $0.model == model }.map { ($0.variant, $0) }, uniquingKeysWith: { a, _ in a })
            let perplexity = mine.values.first?.kind == .perplexity
            // The quality figure: top-1 (points) or perplexity (lower is better).
            func q(_ v: String) -> Double? {
                perplexity ? mine[v]?.metrics["perplexity"] : mine[v]?.metrics["top1"].map { $0 * 100 }
            }
            func better(_ a: Double, _ b: Double) -> Bool { perplexity ? a < b : a > b }
            let unit = perplexity ? "" : " pt"
            var found = [String]()
            if let fp = q("fp32"), let i8 = q("int8") {
                let d = i8 - fp
                let ok = perplexity ? d / fp <= 0.01 : abs(d) <= 1
                found.append(
                    "int8 vs FP32: \(d >= 0 ? "+" : "")\(f(d, 2))\(unit) (Jacob et al.: about 1 point on ResNet-50) - "
                        + (ok
                            ? "agrees"
                            : "**differs**: " + (perplexity ? "perplexity rises more than 1%" : "more than 1 point"))
                        + ciNote(mine["int8"]?.metrics))
            }
            let fgq = ["fgq-n4", "fgq-n64", "fgq-layer"].compactMap { v in q(v).map { (v, $0) } }
            if fgq.count >= 2 {
                let ordered = zip(fgq, fgq.dropFirst()).allSatisfy { better($0.1, $1.1) }
                found.append(
                    "FGQ: " + fgq.map { "\($0.0) \(f($0.1, 2))" }.joined(separator: ", ")
                        + " (Mellempudi et al.: smaller groups are better, N = 4 > N = 64 > per layer) - "
                        + (ordered ? "agrees" : "**differs**: the order is not N = 4 > N = 64 > per layer"))
            }
            if let fp = q("fp32"), let fqv = ["fq-5-s80", "fq-5-s50"].first(where: { mine[$0] != nil }),
                let fqq = q(fqv),
                let c = mine[fqv]?.metrics["compression"]
            {
                let cost = perplexity ? (fqq - fp) / fp * 100 : fp - fqq
                let high = c > 32.0 / 5
                let small = cost <= (perplexity ? 5 : 2)
                found.append(
                    "\(fqv): compression \(f(c, 2))x (32/5 bits = 6.4x), cost "
                        + "\(f(cost, 2))\(perplexity ? "% perplexity" : " pt") "
                        + "(Zhao et al.: 16-18x at under 1 point, after fine-tuning) - "
                        + (high && small
                            ? "agrees"
                            : "**differs**: "
                                + [
                                    high ? nil : "compression not above 6.4x",
                                    small ? nil : "accuracy cost not small (no fine-tuning here)",
                                ].compactMap { $0 }.joined(separator: "; ")))
            }
            // QwT: helps most at low bit-width (W4A4 +5 to +10 points on ResNets), little at W6A6/W8A8.
            let gains = ["w4a4", "w6a6", "int8"].compactMap { v -> (String, Double)? in
                guard let a = q(v), let b = q(v + "+qwt") else { return nil }
                return (v, perplexity ? a - b : b - a)
            }
            if let low = gains.first(where: { $0.0 == "w4a4" }) {
                let high = gains.filter { $0.0 != "w4a4" }
                let agrees = low.1 > 0 && high.allSatisfy { $0.1 < low.1 }
                found.append(
                    "QwT gain: "
                        + gains.map { "\($0.0) \($0.1 >= 0 ? "+" : "")\(f($0.1, 2))\(perplexity ? " ppl" : unit)" }
                        .joined(separator: ", ")
                        + " (Fu et al.: +5 to +10 points at W4A4 on ResNets, +0.1 to +0.3 at W6A6) - "
                        + (agrees
                            ? "agrees in direction"
                            : "**differs**: " + (low.1 <= 0 ? "no gain at W4A4" : "the gain is not largest at W4A4")))
            }
            if !found.isEmpty { lines += ["- **\(model)**: " + found.joined(separator: "; ") + "."] }
        }
        guard !lines.isEmpty else { return [] }
        return [
            "## Against the papers", "",
            "Directions the papers report, checked on this run's figures (stated, not asserted):", "",
        ] + lines + [""]
    }
}
