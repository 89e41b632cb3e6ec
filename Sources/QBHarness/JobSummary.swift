import Foundation

/// A CI job summary in Markdown (`--summary FILE`; on GitHub Actions, `--summary "$GITHUB_STEP_SUMMARY"`): the
/// verdict with its exit code, the checks that did not pass, and one line per result with its headline figures.
public enum JobSummary {
    public static func markdown(_ results: SuiteResults, gate: GateReport?, strict: Bool) -> String {
        var lines = [String]()
        if let gate {
            let status = gate.exitStatus(strict: strict)
            let verdict = status == .success ? "pass" : "\(status.verdict) (exit \(status.rawValue))"
            var counts = [GateReport.Status: Int]()
            for check in gate.checks { counts[check.status, default: 0] += 1 }
            let tally = counts.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.value) \($0.key.rawValue)" }
            lines += [
                "## quantbench `\(results.suite)`: \(verdict)", "",
                "\(gate.checks.count) gated checks: \(tally.joined(separator: ", ")).", "",
            ]
            let open = gate.checks.filter {
                $0.status == .regression || $0.status == .missingResult || $0.status == .missingBaseline
                    || ($0.status == .improvement && strict)
            }
            if !open.isEmpty || !gate.incomplete.isEmpty {
                lines += [
                    "### Checks that did not pass", "",
                    "| model | variant | metric | value | baseline | allowed | status |",
                    "| --- | --- | --- | ---: | ---: | ---: | --- |",
                ]
                for c in open {
                    lines.append(
                        "| \(c.model) | \(c.variant) | \(c.metric) | \(figure(c.value)) | \(figure(c.baseline)) | "
                            + "\(figure(c.allowance)) | \(c.status.rawValue) |")
                }
                for gap in gate.incomplete { lines.append("| \(gap) | | | | | | incomplete |") }
                lines.append("")
            }
        } else {
            lines += ["## quantbench `\(results.suite)`: not gated (no baseline file; exit 4)", ""]
        }
        lines += [
            "### Results", "", "| model | variant | samples | accuracy / perplexity | compression |",
            "| --- | --- | ---: | ---: | ---: |",
        ]
        for row in results.rows {
            let m = row.metrics
            let headline: String
            if let ppl = m[MetricKind.perplexity.rawValue] {
                headline = String(format: "ppl %.3f", ppl)
            } else if let top1 = m[MetricKind.top1.rawValue] {
                headline = String(format: "top-1 %.2f%%", top1 * 100)
            } else if let agreement = m[MetricKind.agreement.rawValue] {
                headline = String(format: "agreement %.2f%%", agreement * 100)
            } else {
                headline = "-"
            }
            let compression = m[MetricKind.compression.rawValue].map { String(format: "%.2fx", $0) } ?? "-"
            lines.append("| \(row.model) | \(row.variant) | \(row.samples) | \(headline) | \(compression) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func figure(_ value: Double?) -> String { value.map { String(format: "%.6g", $0) } ?? "-" }
}
