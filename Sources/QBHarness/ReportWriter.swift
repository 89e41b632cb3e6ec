import Foundation
import QBIngest

/// Writes a suite run as Markdown (Reports/<suite>.md, fit to paste into a release note) and JSON
/// (Reports/<suite>.json, for machines), atomically. Timing is the only field that differs between
/// identical runs.
public enum ReportWriter {
    public static func json(_ results: SuiteResults) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(results) + Data("\n".utf8)
    }

    public static func markdown(_ results: SuiteResults, gate: GateReport?) -> String {
        func f(_ v: Double?, _ digits: Int) -> String { v.map { String(format: "%.\(digits)f", $0) } ?? "-" }
        let e = results.environment
        let capNote = e.cpuKernels.map { $0 == e.kernelLevel ? "" : " (CPU \($0), capped by QB_MAX_ISA/--max-isa)" }
        @Sendable func status(_ row: ResultRow) -> String {
            guard let gate else { return "not gated" }
            let mine = gate.checks.filter { $0.model == row.model && $0.variant == row.variant }
            if mine.isEmpty { return "no baseline" }
            let bad = mine.filter { $0.status != .pass }
            return bad.isEmpty ? "pass" : bad.map { "\($0.metric): \($0.status.rawValue)" }.joined(separator: "; ")
        }
        var lines = [
            "# QuantBench: suite `\(results.suite)`", "",
            "Environment: \(e.cpu) (\(e.features ?? "features unknown")), \(e.cores) cores, Swift \(e.swift), "
                + "\(e.build) build, kernels "
                + "\(e.kernelLevel)\(capNote ?? "").",
            "",
            "Size is the serialized variant (`.qbqm`: codes, scales, tables, sparse index, FP32 remainder, graph); "
                + "compression = FP32 ONNX bytes / "
                + "variant bytes; bits/weight = the quantized layers' payload bits per weight. Kernel speedup = FP32 "
                + "time / quantized time of the "
                + "quantized layers on one calibration batch, measured in the same run (gated only against a baseline "
                + "from the same host class).",
            "",
        ]
        if let gaps = results.incomplete, !gaps.isEmpty {
            lines +=
                ["**INCOMPLETE RESULTS** (merged with `--allow-incomplete`; the gate fails on them):", ""]
                + gaps.map { "- \($0)" } + [""]
        }
        if let gate {
            let code = gate.exitCode(strict: false)
            let verdict = gate.exitStatus(strict: false).verdict
            lines.append(
                "Gate: **\(verdict)** (exit \(code)); "
                    + "\(gate.checks.filter { $0.status == .pass }.count) of \(gate.checks.count) checks within "
                    + "tolerance."
                    + (gate.speedNote.isEmpty ? "" : " " + gate.speedNote))
            for c in gate.fingerprintChanges { lines.append("- \(c)") }
            lines.append("")
        }
        var byModel = [(String, [ResultRow])]()
        for row in results.rows {
            if let i = byModel.firstIndex(where: { $0.0 == row.model }) {
                byModel[i].1.append(row)
            } else {
                byModel.append((row.model, [row]))
            }
        }
        for (model, rows) in byModel {
            let first = rows[0]
            lines += [
                "## \(model)", "",
                "Evaluation set: `\(first.dataset)`, \(first.samples) "
                    + "\(first.kind.sampleUnit)"
                    + (first.fingerprint.map { "; input fingerprint `\($0.prefix(16))...`" } ?? "") + ".", "",
            ]
            let status = ReportColumn("status") { status($0) }
            let size: [ReportColumn] = [
                .metric(.bitsPerWeight), .metric(.modelBytes), .metric(.compression), .metric(.quantizedWeights),
                .metric(.quantizedMACs),
            ]
            var cost: [ReportColumn] = [.metric(.kernelSpeedup), .metric(.calibrationSeconds), status]
            if rows.contains(where: { $0.metrics[MetricKind.modelSpeedup.rawValue] != nil }) {
                cost.insert(.metric(.modelSpeedup), at: 1)
            }
            switch first.kind {
            case .classification:
                let accuracy: [ReportColumn] = [
                    .variant, .top1WithInterval, .metric(.top5), .metric(.deltaTop1), .metric(.agreement), .flips,
                    .metric(.kl),
                ]
                lines += ReportColumn.table(accuracy + size + cost, rows: rows)
            case .perplexity:
                let accuracy: [ReportColumn] = [
                    .variant, .perplexityWithError, .metric(.bitsPerByte), .metric(.deltaPerplexity),
                ]
                lines += ReportColumn.table(accuracy + size + cost, rows: rows)
            case .agreement:
                let columns: [ReportColumn] = [
                    .variant, .metric(.agreement, header: "top-1 agreement with FP32"),
                    .metric(.bitsPerWeight, digits: 1), .metric(.modelBytes), .metric(.quantizedWeights),
                    .metric(.quantizedMACs), status,
                ]
                lines += ReportColumn.table(columns, rows: rows)
            }
            lines.append("")
            let external = rows.compactMap { row in row.source.map { "- `\(row.variant)`: \($0)" } }
            if !external.isEmpty {
                lines += ["External variants (quantized outside QuantBench, run by its engine):", ""] + external + [""]
            }
            lines += LayerTables.markdown(rows)
            lines += MethodTables.markdown(rows, suite: results.suite)
        }
        lines += PaperChecks.markdown(results.rows)
        if let gate {
            let failing = gate.checks.filter { $0.status != .pass }
            if !failing.isEmpty {
                lines += [
                    "## Checks not passing", "", "| model | variant | metric | baseline | value | allowed | status |",
                    "| --- | --- | --- | --- | --- | --- | --- |",
                ]
                for c in failing {
                    lines.append(
                        "| \(c.model) | \(c.variant) | \(c.metric) | \(f(c.baseline, 6)) | \(f(c.value, 6)) | "
                            + "\(f(c.allowance, 6)) | \(c.status.rawValue) |"
                    )
                }
                lines.append("")
            }
        }
        lines.append("![\(results.suite): figure against bits per weight](\(results.suite).svg)")
        lines.append("")
        lines.append("Generated by `quantbench`; do not edit by hand.")
        return lines.joined(separator: "\n") + "\n"
    }

    /// One line per (model, variant, metric): `model,dataset,variant,samples,metric,value` (RFC 4180).
    public static func csv(_ results: SuiteResults) -> String {
        func field(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" })
                ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        var lines = ["model,dataset,variant,samples,metric,value"]
        for r in results.rows {
            for (k, v) in r.metrics.sorted(by: { $0.key < $1.key }) {
                lines.append(
                    [r.model, r.dataset, r.variant, String(r.samples), k, String(v)].map(field).joined(separator: ","))
            }
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// Writes `<folder>/<suite>.md`, `.json` and `.csv`; returns the Markdown and JSON paths.
    public static func write(_ results: SuiteResults, gate: GateReport?, folder: String) throws -> (
        markdown: String, json: String
    ) {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let md = folder + "/\(results.suite).md", js = folder + "/\(results.suite).json"
        try AtomicFile.write(try json(results), to: js)
        try AtomicFile.write(Data(csv(results).utf8), to: folder + "/\(results.suite).csv")
        try AtomicFile.write(Data(ChartWriter.svg(results).utf8), to: folder + "/\(results.suite).svg")
        if let front = MethodTables.frontSVG(results) {
            try AtomicFile.write(Data(front.utf8), to: folder + "/\(results.suite)-mixed.svg")
        }
        try AtomicFile.write(Data(markdown(results, gate: gate).utf8), to: md)
        return (md, js)
    }
}
