/// One column of a report table: its header and how a result row fills its cell. Tables are built from lists
/// of columns, so a metric's header and format come from `MetricKind` and are written in one place.
struct ReportColumn: Sendable {
    let header: String
    let cell: @Sendable (ResultRow) -> String

    init(_ header: String, cell: @escaping @Sendable (ResultRow) -> String) {
        self.header = header
        self.cell = cell
    }

    /// A metric's value as `MetricKind` formats it; `header` and `digits` override the metric's.
    static func metric(_ kind: MetricKind, header: String? = nil, digits: Int? = nil) -> ReportColumn {
        ReportColumn(header ?? kind.header) { kind.formatted($0.metrics[kind.rawValue], digits: digits) }
    }

    /// The variant's name.
    static let variant = ReportColumn("variant") { $0.variant }

    /// Top-1 with its 95% interval: "91.70% (90.5-92.8)".
    static let top1WithInterval = ReportColumn("top-1 (95% CI)") { row in
        let low = MetricKind.top1CILow.formatted(row.metrics["top1_ci_low"], digits: 1).dropLast()
        let high = MetricKind.top1CIHigh.formatted(row.metrics["top1_ci_high"], digits: 1).dropLast()
        return MetricKind.top1.formatted(row.metrics["top1"]) + " (\(low)-\(high))"
    }

    /// The flips between correct and wrong against FP32: "c->w / w->c".
    static let flips = ReportColumn("flips c->w / w->c") { row in
        MetricKind.flipsCorrectToWrong.formatted(row.metrics["flips_correct_to_wrong"]) + " / "
            + MetricKind.flipsWrongToCorrect.formatted(row.metrics["flips_wrong_to_correct"])
    }

    /// Perplexity with its standard error: "5.1120 +- 0.0800".
    static let perplexityWithError = ReportColumn("perplexity (+- SE)") { row in
        MetricKind.perplexity.formatted(row.metrics["perplexity"]) + " +- "
            + MetricKind.perplexitySE.formatted(row.metrics["perplexity_se"])
    }

    /// A LaTeX table of `rows` (`LatexTable`): the variant's column left-aligned, the figures right-aligned.
    static func latexTable(_ columns: [ReportColumn], rows: [ResultRow], caption: String, label: String) -> [String] {
        LatexTable.table(
            header: columns.map(\.header), rows: rows.map { row in columns.map { $0.cell(row) } },
            alignment: "l" + String(repeating: "r", count: max(columns.count - 1, 0)), caption: caption, label: label)
    }

    /// A Markdown table of `rows`: the header line, the separator, one line per row.
    static func table(_ columns: [ReportColumn], rows: [ResultRow]) -> [String] {
        func line(_ cells: [String]) -> String { "| " + cells.joined(separator: " | ") + " |" }
        return [line(columns.map(\.header)), line(columns.map { _ in "---" })]
            + rows.map { row in line(columns.map { $0.cell(row) }) }
    }
}
