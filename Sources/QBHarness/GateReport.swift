import Foundation
import QBIngest

/// The verdict of a run against its baselines.
public struct GateReport: Sendable {
    public enum Status: String, Sendable {
        case pass, regression, improvement
        case missingBaseline = "missing baseline"
        case missingResult = "missing result"
        case expectedFailure = "expected failure"
        case otherHost = "not gated (other host class)"
    }

    public struct Check: Sendable {
        public var model: String
        public var variant: String
        public var metric: String
        public var baseline: Double?
        public var value: Double?
        public var allowance: Double?
        public var status: Status
    }

    public var checks: [Check]
    public var fingerprintChanges: [String]
    /// The results' own gaps (an incomplete merge): the gate fails on them (exit 2).
    public var incomplete: [String] = []
    /// How the speed figures were gated (which host class), for the report.
    public var speedNote: String = ""

    /// 0 all within tolerance; 2 a regression (or a baselined figure the run did not produce: the gate
    /// never passes on missing data); 4 a result without a baseline; 3 an improvement beyond tolerance
    /// (strict runs only). The worst applies, in that order: 2, 4, 3.
    public func exitStatus(strict: Bool) -> ExitStatus {
        if !incomplete.isEmpty || checks.contains(where: { $0.status == .regression || $0.status == .missingResult }) {
            return .regression
        }
        if checks.contains(where: { $0.status == .missingBaseline }) { return .baselineMissing }
        if strict && checks.contains(where: { $0.status == .improvement }) { return .improvement }
        return .success
    }

    /// `exitStatus(strict:)` as the process's exit code.
    public func exitCode(strict: Bool) -> Int32 { exitStatus(strict: strict).rawValue }

    /// Compares `results` with `baseline`.
    public static func compare(_ results: SuiteResults, with baseline: BaselineFile) -> GateReport {
        var checks = [Check]()
        var covered = Set<String>()
        let speed = baseline.speedBaseline(for: results.environment)
        let gated =
            baseline.entries.filter { !Metric.hostDependent.contains($0.metric) } + (speed?.baseline.entries ?? [])
        if speed == nil {
            for e in baseline.entries where Metric.hostDependent.contains(e.metric) {
                covered.insert("\(e.model)|\(e.variant)|\(e.metric)")
                let value = results.rows.first { $0.model == e.model && $0.variant == e.variant }?.metrics[e.metric]
                checks.append(
                    Check(
                        model: e.model, variant: e.variant, metric: e.metric, baseline: e.value, value: value,
                        allowance: e.tolerance.allowance(for: e.value), status: .otherHost))
            }
        }
        for e in gated {
            covered.insert("\(e.model)|\(e.variant)|\(e.metric)")
            let value = results.rows.first { $0.model == e.model && $0.variant == e.variant }?.metrics[e.metric]
            let allowance = e.tolerance.allowance(for: e.value)
            var status: Status
            if e.expectedFailure != nil {
                status = .expectedFailure
            } else if let value, !value.isFinite {
                status = .regression  // a NaN or infinite metric never passes
            } else if let value {
                // Entries were checked on load: every metric is a known kind.
                let worse = MetricKind(rawValue: e.metric)?.worsening(from: e.value, to: value) ?? .infinity
                if worse > allowance {
                    status = .regression
                } else if -worse > allowance && e.tolerance.twoSided {
                    status = .improvement
                } else {
                    status = .pass
                }
            } else {
                status = .missingResult
            }
            checks.append(
                Check(
                    model: e.model, variant: e.variant, metric: e.metric, baseline: e.value, value: value,
                    allowance: allowance, status: status))
        }
        for row in results.rows {
            for metric in Metric.gatedByDefault.keys.sorted()
            where row.metrics[metric] != nil && !covered.contains("\(row.model)|\(row.variant)|\(metric)")
                && !(Metric.hostDependent.contains(metric) && speed == nil)
            {
                checks.append(
                    Check(
                        model: row.model, variant: row.variant, metric: metric, baseline: nil,
                        value: row.metrics[metric], allowance: nil, status: .missingBaseline))
            }
        }
        var changes = [String]()
        for row in results.rows {
            // A merged run carries its shards' fingerprints, not the whole set's: not comparable.
            if let f = row.fingerprint, !f.hasPrefix("shards:"), let b = baseline.fingerprints[row.model], f != b {
                changes.append(
                    "\(row.model): inputs changed (fingerprint \(f.prefix(12))... vs baseline \(b.prefix(12))...)")
            }
        }
        return GateReport(
            checks: checks, fingerprintChanges: Array(Set(changes)).sorted(), incomplete: results.incomplete ?? [],
            speedNote: speedNote(speed, host: results.environment))
    }
}
