import Foundation

/// `quantbench compare`'s outputs: Markdown (one table per model) and JSON.
extension RunComparison {
    public func markdown() -> String {
        let worse = entries.filter { $0.gated && $0.significant && $0.worse }
        var lines = [
            "# quantbench compare", "",
            "A = `\(a)`, B = `\(b)`. Significance: McNemar's exact test (top-1, agreement) and the paired t-test over "
                + "windows (perplexity) on the samples both runs share; alpha = \(alpha).", "",
            worse.isEmpty
                ? "**Verdict: B is not significantly worse than A on any gated figure (exit 0).**"
                : "**Verdict: B is significantly worse than A on \(worse.count) gated figure(s) (exit 2):** "
                    + worse.map { "\($0.model) [\($0.variant)] \($0.metric)" }.joined(separator: ", ") + ".",
            "",
        ]
        var models = [String]()
        for entry in entries where !models.contains(entry.model) { models.append(entry.model) }
        for model in models {
            lines += [
                "## \(model)", "", "| variant | metric | A | B | B - A | test | p | paired samples | verdict |",
                "| --- | --- | ---: | ---: | ---: | --- | ---: | --- | --- |",
            ]
            for e in entries where e.model == model {
                lines.append(
                    "| \(e.variant) | \(e.metric) | \(Self.figure(e.a)) | \(Self.figure(e.b)) | "
                        + "\(Self.signed(e.difference)) "
                        + "| \(e.test ?? "-") | \(e.pValue.map { String(format: "%.3g", $0) } ?? "-") | "
                        + "\(e.detail ?? "-") | \(verdict(e)) |")
            }
            lines.append("")
        }
        if !notes.isEmpty { lines += ["## Notes", ""] + notes.map { "- \($0)" } + [""] }
        return lines.joined(separator: "\n")
    }

    /// The comparison as LaTeX tables, one per model (booktabs; see `LatexTable`).
    public func latex() -> String {
        var lines = ["% quantbench compare: A = \(a), B = \(b); alpha = \(alpha).", LatexTable.preambleNote, ""]
        var models = [String]()
        for entry in entries where !models.contains(entry.model) { models.append(entry.model) }
        for model in models {
            let rows = entries.filter { $0.model == model }.map { e in
                [
                    e.variant, e.metric, Self.figure(e.a), Self.figure(e.b), Self.signed(e.difference), e.test ?? "-",
                    e.pValue.map { String(format: "%.3g", $0) } ?? "-",
                    verdict(e).replacingOccurrences(of: "*", with: ""),
                ]
            }
            lines += LatexTable.table(
                header: ["variant", "metric", "A", "B", "B - A", "test", "p", "verdict"], rows: rows,
                alignment: "llrrrlrl", caption: "\(model): \(a) (A) against \(b) (B).", label: "tab:compare-\(model)")
        }
        return lines.joined(separator: "\n")
    }

    func verdict(_ e: Entry) -> String {
        guard e.test != nil else { return e.difference == 0 ? "same" : "-" }
        if !e.significant { return "not significant" }
        return e.worse ? (e.gated ? "**worse**" : "worse") : "better"
    }

    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    static func figure(_ value: Double?) -> String { value.map { String(format: "%.6g", $0) } ?? "-" }
    static func signed(_ value: Double?) -> String { value.map { String(format: "%+.6g", $0) } ?? "-" }
}
