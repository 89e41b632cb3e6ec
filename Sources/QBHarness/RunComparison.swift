import Foundation
import QBMetrics

/// Two runs of a suite side by side (`quantbench compare A.json B.json`: a release against its candidate, two commits,
/// two machines): per model, variant and metric both values and the difference, and for the accuracy figures whether
/// the difference is significant on the paired samples.
///
/// - top-1 (classification rows) and agreement (agreement rows): McNemar's exact test on the per-sample outcomes both
///   runs kept (`ResultRow.outcomes`): only the samples one run got right and the other wrong count.
/// - perplexity: the paired t-test over windows of the per-window mean negative log-likelihood (`windowLoss`).
///
/// Pairs need the same samples: rows whose sample counts or input fingerprints differ, or that lack the per-sample
/// outcomes (results written before they were kept), are compared without a test and the note says why.
/// The run is worse (exit 2) when B is significantly worse than A (p < alpha) on a gated figure (top-1, agreement,
/// perplexity).
public struct RunComparison: Codable, Sendable {
    public struct Entry: Codable, Sendable, Equatable {
        public var model: String
        public var variant: String
        public var metric: String
        public var a: Double?
        public var b: Double?
        public var difference: Double?
        /// "mcnemar-exact" or "paired-t", when a test ran.
        public var test: String?
        public var pValue: Double?
        /// The test's table: samples only A got right, only B got right (McNemar), or the windows (t-test).
        public var detail: String?
        public var significant: Bool
        /// B is worse than A on this metric (whatever the significance).
        public var worse: Bool
        /// A gated figure: a significant worsening fails the comparison.
        public var gated: Bool
    }

    public var a: String
    public var b: String
    public var alpha: Double
    public var entries: [Entry]
    public var notes: [String]

    static let gatedMetrics: Set<String> = [
        MetricKind.top1.rawValue, MetricKind.agreement.rawValue,
        MetricKind.perplexity.rawValue,
    ]
    static let skippedMetrics: Set<String> = [
        MetricKind.top1CILow.rawValue, MetricKind.top1CIHigh.rawValue,
        MetricKind.perplexitySE.rawValue,
    ]

    /// 2 when B is significantly worse on a gated figure, else 0.
    public var exitStatus: ExitStatus {
        entries.contains { $0.gated && $0.significant && $0.worse } ? .regression : .success
    }

    public static func compare(
        _ first: SuiteResults, _ second: SuiteResults, names: (String, String), alpha: Double = 0.05
    ) -> RunComparison {
        var entries = [Entry](), notes = [String]()
        if first.suite != second.suite {
            notes.append("the runs are of different suites: \(first.suite), \(second.suite)")
        }
        for rowA in first.rows {
            guard let rowB = second.rows.first(where: { $0.model == rowA.model && $0.variant == rowA.variant }) else {
                notes.append("\(rowA.model) [\(rowA.variant)]: only in \(names.0)")
                continue
            }
            let unpaired = pairing(rowA, rowB)
            if let unpaired { notes.append("\(rowA.model) [\(rowA.variant)]: no paired test: \(unpaired)") }
            for metric in Set(rowA.metrics.keys).intersection(rowB.metrics.keys).sorted()
            where !skippedMetrics.contains(metric) {
                let (valueA, valueB) = (rowA.metrics[metric]!, rowB.metrics[metric]!)
                let polarity = MetricKind(rawValue: metric)?.polarity ?? .higherIsBetter
                var entry = Entry(
                    model: rowA.model, variant: rowA.variant, metric: metric, a: valueA, b: valueB,
                    difference: valueB - valueA, test: nil, pValue: nil, detail: nil, significant: false,
                    worse: polarity == .higherIsBetter ? valueB < valueA : valueB > valueA,
                    gated: gatedMetrics.contains(metric) && !Metric.hostDependent.contains(metric))
                if unpaired == nil { test(&entry, rowA, rowB, alpha: alpha) }
                entries.append(entry)
            }
        }
        for rowB in second.rows
        where !first.rows.contains(where: { $0.model == rowB.model && $0.variant == rowB.variant }) {
            notes.append("\(rowB.model) [\(rowB.variant)]: only in \(names.1)")
        }
        return RunComparison(a: names.0, b: names.1, alpha: alpha, entries: entries, notes: notes)
    }

    /// Why two rows cannot be paired sample by sample (nil: they can).
    static func pairing(_ a: ResultRow, _ b: ResultRow) -> String? {
        if a.kind != b.kind { return "the rows are of different kinds" }
        if a.samples != b.samples { return "\(a.samples) samples against \(b.samples)" }
        if let fa = a.fingerprint, let fb = b.fingerprint, fa != fb { return "the input fingerprints differ" }
        return nil
    }

    static func test(_ entry: inout Entry, _ a: ResultRow, _ b: ResultRow, alpha: Double) {
        let mcNemar =
            (entry.metric == MetricKind.top1.rawValue && a.kind == .classification)
            || (entry.metric == MetricKind.agreement.rawValue && a.kind == .agreement)
        if mcNemar {
            guard let textA = a.outcomes, let textB = b.outcomes,
                let bitsA = SampleOutcomes.decode(textA, count: a.samples),
                let bitsB = SampleOutcomes.decode(textB, count: b.samples)
            else {
                entry.detail = "no per-sample outcomes in one of the runs"
                return
            }
            let onlyA = zip(bitsA, bitsB).filter { $0 && !$1 }.count,
                onlyB = zip(bitsA, bitsB).filter { !$0 && $1 }.count
            entry.test = "mcnemar-exact"
            entry.pValue = PairedTests.mcNemarExact(b: onlyA, c: onlyB)
            entry.detail = "only A right \(onlyA), only B right \(onlyB)"
        } else if entry.metric == MetricKind.perplexity.rawValue {
            guard let lossA = a.windowLoss, let lossB = b.windowLoss, lossA.count == lossB.count,
                lossA.count == a.samples
            else {
                entry.detail = "no per-window losses in one of the runs"
                return
            }
            let differences = zip(lossA, lossB).map { Double($1 - $0) / Counts.scale }
            let result = PairedTests.pairedT(differences)
            entry.test = "paired-t"
            entry.pValue = result.p
            entry.detail = String(format: "%d windows, t = %.3f", differences.count, result.t)
        }
        if let p = entry.pValue { entry.significant = p < alpha }
    }
}
