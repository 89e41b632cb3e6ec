import Foundation

/// The throughput figures of a run for a benchmark-trend dashboard, in github-action-benchmark's custom format (an
/// array of `{"name", "unit", "value", "extra"}`): `--trend FILE` holds the bigger-is-better figures (tool
/// `customBiggerIsBetter`: kernel GOP/s, kernel and model speedups), `--trend-smaller FILE` the smaller-is-better ones
/// (`customSmallerIsBetter`: calibration seconds). Names are `model [variant] metric`, stable across runs.
public enum TrendReport {
    public struct Point: Codable, Equatable, Sendable {
        public var name: String
        public var unit: String
        public var value: Double
        public var extra: String
    }

    static let bigger: [(MetricKind, String)] = [
        (.kernelGOPS, "GOP/s"), (.kernelSpeedup, "x vs FP32"), (.modelSpeedup, "x vs FP32"),
    ]
    static let smaller: [(MetricKind, String)] = [(.calibrationSeconds, "s")]

    /// The points of `results` whose metric is bigger-is-better (`biggerIsBetter`) or smaller-is-better.
    public static func points(_ results: SuiteResults, biggerIsBetter: Bool) -> [Point] {
        let kinds = biggerIsBetter ? bigger : smaller
        let host = "\(results.environment.cpu); kernels \(results.environment.kernelLevel)"
        var points = [Point]()
        for row in results.rows {
            for (kind, unit) in kinds {
                guard let value = row.metrics[kind.rawValue], value.isFinite else { continue }
                points.append(
                    Point(
                        name: "\(row.model) [\(row.variant)] \(kind.rawValue)", unit: unit, value: value,
                        extra: "suite \(results.suite); \(host)"))
            }
        }
        return points
    }

    /// The JSON file: the points, sorted keys, one per line.
    public static func json(_ points: [Point]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(points)
    }
}
