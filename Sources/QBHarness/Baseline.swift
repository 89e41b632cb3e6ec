import Foundation
import QBIngest

/// How far a metric may move from its baseline: `absolute` or `relative` (fraction of the baseline);
/// `twoSided` flags an improvement beyond it too, so the baseline gets ratcheted.
public struct Tolerance: Codable, Sendable, Equatable {
    public var absolute: Double?
    public var relative: Double?
    public var twoSided: Bool

    public init(absolute: Double?, relative: Double?, twoSided: Bool) {
        self.absolute = absolute
        self.relative = relative
        self.twoSided = twoSided
    }

    /// The allowed distance from `baseline`.
    public func allowance(for baseline: Double) -> Double {
        max(absolute ?? 0, (relative ?? 0) * abs(baseline))
    }
}

/// A recorded figure: which run, which metric, its value and tolerance; or an expected failure.
public struct BaselineEntry: Codable, Sendable, Equatable {
    public var model: String
    public var variant: String
    public var metric: String
    public var value: Double
    public var tolerance: Tolerance
    /// When set, the entry is a known failure: reported, never gated, with this reason.
    public var expectedFailure: String?
}

/// Baselines/<suite>.json: the entries, and the environment and input fingerprints they were recorded with.
public struct BaselineFile: Codable, Sendable {
    public var suite: String
    public var environment: Environment
    public var fingerprints: [String: String]
    public var entries: [BaselineEntry]
    /// Speed figures of other host classes (`SpeedBaseline`); nil when only the top-level host's were recorded.
    public var speed: [SpeedBaseline]? = nil

    /// Reads a baseline file; a hand-edited or corrupted file gives an error naming the problem and where.
    public static func load(_ path: String) throws -> BaselineFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HarnessError(.missingFile, file: path, "no baseline file")
        }
        return try parse(data, file: path)
    }

    /// Checks a baseline file's bytes (`path` names it in errors).
    public static func parse(_ data: Data, file path: String) throws -> BaselineFile {
        let file: BaselineFile
        do { file = try JSONDecoder().decode(BaselineFile.self, from: data) } catch {
            throw HarnessError.decoding(
                error, kind: .badBaseline, file: path, data: data, what: "not a valid baseline file")
        }
        try check(file.entries, at: [.key("entries")], file: path, data: data)
        for (c, cls) in (file.speed ?? []).enumerated() {
            try check(cls.entries, at: [.key("speed"), .index(c), .key("entries")], file: path, data: data)
        }
        return file
    }

    /// Known metrics, finite values, non-negative tolerances, no entry twice.
    private static func check(_ entries: [BaselineEntry], at path: [JSONLocator.Step], file: String, data: Data) throws
    {
        var seen = Set<String>()
        let label =
            path.compactMap {
                if case .key(let k) = $0 { return k }
                return nil
            }.last ?? "entries"
        for (i, e) in entries.enumerated() {
            let here = path + [.index(i)], name = "\(label)[\(i)] (\(e.model) \(e.variant) \(e.metric))"
            guard MetricKind(rawValue: e.metric) != nil else {
                throw HarnessError.at(
                    here, kind: .badBaseline, file: file, data: data,
                    "\(name): unknown metric '\(e.metric)' (known: \(MetricKind.names))")
            }
            guard e.value.isFinite else {
                throw HarnessError.at(
                    here, kind: .badBaseline, file: file, data: data, "\(name): value is not a finite number")
            }
            guard (e.tolerance.absolute ?? 0) >= 0, (e.tolerance.relative ?? 0) >= 0 else {
                throw HarnessError.at(
                    here, kind: .badBaseline, file: file, data: data, "\(name): a tolerance cannot be negative")
            }
            guard seen.insert("\(e.model)|\(e.variant)|\(e.metric)").inserted else {
                throw HarnessError.at(here, kind: .badBaseline, file: file, data: data, "\(name): listed twice")
            }
        }
    }

    /// A baseline recorded from a run: every gated-by-default metric of every row.
    public static func record(_ results: SuiteResults) -> BaselineFile {
        var entries = [BaselineEntry]()
        var fingerprints = [String: String]()
        for row in results.rows {
            if let f = row.fingerprint { fingerprints[row.model] = f }
            for (metric, tolerance) in Metric.gatedByDefault.sorted(by: { $0.key < $1.key }) {
                guard let v = row.metrics[metric] else { continue }
                entries.append(
                    BaselineEntry(
                        model: row.model, variant: row.variant, metric: metric, value: v, tolerance: tolerance,
                        expectedFailure: nil))
            }
        }
        return BaselineFile(
            suite: results.suite, environment: results.environment, fingerprints: fingerprints, entries: entries)
    }

    /// Writes the file atomically (temporary file, fsync, rename).
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(self) + Data("\n".utf8), to: path)
    }
}
