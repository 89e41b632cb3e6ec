import Foundation

/// One evaluated (model, set, variant) with its metrics; the rows of a suite run.
public struct ResultRow: Codable, Sendable, Equatable {
    public var model: String
    public var folder: String
    public var dataset: String
    public var variant: String
    /// classification or perplexity.
    public var kind: String
    public var samples: Int
    /// The input fingerprint (image sets), proving the inputs did not drift.
    public var fingerprint: String?
    /// Metric values by name (see `Metric`).
    public var metrics: [String: Double]
    /// Wall-clock seconds (excluded from determinism comparisons).
    public var seconds: Double
}

/// The machine and build a run happened on.
public struct Environment: Codable, Sendable, Equatable {
    public var cpu: String
    public var cores: Int
    public var swift: String
    public var avx2: Bool
    public var build: String

    public static func current(avx2: Bool) -> Environment {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }.map {
            String($0.split(separator: ":", maxSplits: 1).last ?? "").trimmingCharacters(in: .whitespaces)
        } ?? "unknown"
        #if DEBUG
        let build = "debug"
        #else
        let build = "release"
        #endif
        #if swift(>=6.3)
        let swift = "6.3"
        #elseif swift(>=6.0)
        let swift = "6.x"
        #else
        let swift = "5.x"
        #endif
        return Environment(cpu: model, cores: ProcessInfo.processInfo.activeProcessorCount, swift: swift, avx2: avx2, build: build)
    }
}

/// A suite run: rows in suite order.
public struct SuiteResults: Codable, Sendable {
    public var suite: String
    public var environment: Environment
    public var rows: [ResultRow]
}

/// What the metrics mean and which direction is better.
public enum Metric {
    public static let higherIsBetter: Set<String> = ["top1", "top5", "agreement", "top1_ci_low", "top1_ci_high"]
    public static let lowerIsBetter: Set<String> = ["kl", "perplexity", "bits_per_byte", "flips_correct_to_wrong", "model_bytes", "perplexity_se"]

    /// Metrics that are gated by default when a baseline is recorded, with their default tolerance.
    public static let gatedByDefault: [String: Tolerance] = [
        "top1": Tolerance(absolute: 0.002, relative: nil, twoSided: true),
        "top5": Tolerance(absolute: 0.002, relative: nil, twoSided: true),
        "agreement": Tolerance(absolute: 0.002, relative: nil, twoSided: false),
        "kl": Tolerance(absolute: 1e-4, relative: nil, twoSided: false),
        "perplexity": Tolerance(absolute: nil, relative: 1e-4, twoSided: true),
    ]
}
