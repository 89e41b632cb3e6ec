import Foundation
import QBTensor
import QBQuant

/// One evaluated (model, set, variant) with its metrics; the rows of a suite run.
public struct ResultRow: Codable, Sendable, Equatable {
    public var model: String
    public var folder: String
    public var dataset: String
    public var variant: String
    public var kind: EvaluationKind
    public var samples: Int
    /// The input fingerprint (image sets), proving the inputs did not drift.
    public var fingerprint: String?
    /// Metric values by name (see `Metric`), computed from `counts` (plus bits per weight and size).
    public var metrics: [String: Double]
    /// The integer tallies the metrics come from; shards add them up exactly (see `Counts`).
    public var counts: [String: Int64] = [:]
    /// Which samples (perplexity: windows) this row covers when it is one shard's part: [first, end, total].
    public var range: [Int]? = nil
    /// Wall-clock seconds (excluded from determinism comparisons).
    public var seconds: Double
    /// The quantized layers: payload, zeros, method facts and SQNR against FP32 on the calibration inputs.
    public var layers: [LayerReport]? = nil
    /// QwT's blocks (variants with QwT).
    public var blocks: [BlockReport]? = nil
    /// Mixed precision's choice and front.
    public var mixed: MixedReport? = nil
}

/// The machine and build a run happened on.
public struct Environment: Codable, Sendable, Equatable {
    public var cpu: String
    public var cores: Int
    public var swift: String
    public var avx2: Bool
    public var build: String
    /// The CPU's vector features that decide kernel speed (avx2, fma, avx512f, avx512bw, avx512_vnni,
    /// avx_vnni), from /proc/cpuinfo: "AMD EPYC" names Zen 3 and Zen 4 machines alike.
    public var features: String? = nil
    /// The kernel ISA level the run used (`KernelISA.active`: portable, avx2, avx512, vnni) and the one the
    /// CPU has; they differ when `QB_MAX_ISA` / `--max-isa` capped the run. Figures other than speed are the
    /// same at every level. Results recorded before these fields existed ran at their CPU's level.
    public var kernels: String? = nil
    public var cpuKernels: String? = nil

    /// The level a run used: `kernels`, or for older records the one its feature list implies.
    public var kernelLevel: String {
        if let kernels { return kernels }
        let f = Set((features ?? "").split(separator: " ").map(String.init))
        if f.isSuperset(of: ["avx512f", "avx512bw", "avx512_vnni"]) { return "vnni" }
        if f.isSuperset(of: ["avx512f", "avx512bw"]) { return "avx512" }
        return f.isSuperset(of: ["avx2", "fma"]) ? "avx2" : "portable"
    }

    public static func current(avx2: Bool) -> Environment {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let flags = Set(
            cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? []
        )
        let features = ["avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni"].filter { flags.contains($0) }
            .joined(separator: " ")
        let model =
            cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }.map {
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
        return Environment(
            cpu: model, cores: ProcessInfo.processInfo.activeProcessorCount, swift: swift, avx2: avx2, build: build,
            features: features,
            kernels: KernelISA.active.description, cpuKernels: KernelISA.detected.description)
    }

    /// Whether speed figures recorded on `other` are comparable with this one's: same CPU model, vector
    /// features, core count, kernel level and build.
    public func sameHostClass(_ other: Environment) -> Bool {
        cpu == other.cpu && cores == other.cores && avx2 == other.avx2 && build == other.build && features != nil
            && features == other.features
            && kernelLevel == other.kernelLevel
    }
}

/// A suite run: rows in suite order.
public struct SuiteResults: Codable, Sendable {
    public var suite: String
    public var environment: Environment
    public var rows: [ResultRow]
    /// What a merge with `--allow-incomplete` could not cover (missing samples per row); the report says so
    /// and the gate never passes such results (exit 2).
    public var incomplete: [String]? = nil

    /// Reads a results file (`quantbench run` JSON); errors name the file and the problem.
    public static func load(_ path: String) throws -> SuiteResults {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HarnessError(.missingFile, file: path, "no such results file")
        }
        return try parse(data, file: path)
    }

    public static func parse(_ data: Data, file path: String) throws -> SuiteResults {
        do { return try JSONDecoder().decode(SuiteResults.self, from: data) } catch {
            throw HarnessError.decoding(error, kind: .badResults, file: path, data: data, what: "not a results file")
        }
    }
}

/// What the metrics mean and which direction is better.
public enum Metric {
    public static let higherIsBetter = Set(
        MetricKind.allCases.filter { $0.polarity == .higherIsBetter }.map(\.rawValue))
    public static let lowerIsBetter = Set(MetricKind.allCases.filter { $0.polarity == .lowerIsBetter }.map(\.rawValue))

    /// Metrics that are gated by default when a baseline is recorded, with their default tolerance.
    public static let gatedByDefault: [String: Tolerance] = Dictionary(
        uniqueKeysWithValues: MetricKind.allCases.compactMap { kind in kind.defaultTolerance.map { (kind.rawValue, $0) }
        })

    /// Metrics gated only against a baseline recorded on the same host class (`Environment.sameHostClass`).
    public static let hostDependent = Set(MetricKind.allCases.filter(\.isHostDependent).map(\.rawValue))
}

extension SuiteResults {
    /// Adds shard results up: rows of the same (model, variant) are summed count by count, in the order
    /// the first shard lists them. Refuses shards of different suites, shards whose sample ranges do not
    /// tile each model's set without gap or overlap, and (unless `allowIncomplete`) a missing shard.
    public static func merge(_ parts: [SuiteResults], allowIncomplete: Bool = false) throws -> SuiteResults {
        guard let first = parts.first else { throw HarnessError(.badResults, file: "merge", "no shard results given") }
        guard parts.allSatisfy({ $0.suite == first.suite }) else {
            throw HarnessError(.badResults, file: "merge", "the shards come from different suites")
        }
        var rows = [ResultRow](), gaps = [String]()
        // Every (model, variant) any part has, in the order of first appearance: a row only later shards
        // produced is not dropped.
        var protos = [ResultRow](), seen = Set<String>()
        for part in parts {
            for r in part.rows where seen.insert("\(r.model)|\(r.variant)").inserted { protos.append(r) }
        }
        for proto in protos {
            let mine = parts.flatMap { $0.rows.filter { $0.model == proto.model && $0.variant == proto.variant } }
            let ranges = mine.compactMap(\.range).sorted { $0[0] < $1[0] }
            guard ranges.count == mine.count else {
                throw HarnessError(
                    .badResults, file: "merge",
                    "\(proto.model) [\(proto.variant)]: a part is not a shard (no sample range)")
            }
            func missing(_ what: String) throws {
                let text = "\(proto.model) [\(proto.variant)]: \(what)"
                guard allowIncomplete else { throw HarnessError(.badResults, file: "merge", text) }
                gaps.append(text)
            }
            for (a, b) in zip(ranges, ranges.dropFirst()) where a[1] != b[0] {
                if a[1] > b[0] {
                    throw HarnessError(
                        .badResults, file: "merge",
                        "\(proto.model) [\(proto.variant)]: samples \(b[0])..<\(a[1]) are covered twice")
                }
                try missing("samples \(a[1])..<\(b[0]) are missing (a shard failed or was not given)")
            }
            if let f = ranges.first, f[0] != 0 {
                try missing("samples 0..<\(f[0]) are missing (the first shard was not given)")
            }
            if let last = ranges.last, last.count == 3, last[1] != last[2] {
                try missing("samples \(last[1])..<\(last[2]) are missing (the last shard was not given)")
            }
            if Set(ranges.compactMap { $0.count == 3 ? $0[2] : nil }).count > 1 {
                throw HarnessError(
                    .badResults, file: "merge",
                    "\(proto.model) [\(proto.variant)]: the shards disagree on the number of samples")
            }
            var merged = proto
            merged.counts = [:]
            for part in mine { for (k, v) in part.counts { merged.counts[k, default: 0] += v } }
            merged.samples = mine.reduce(0) { $0 + $1.samples }
            merged.seconds = mine.reduce(0) { $0 + $1.seconds }
            merged.range = nil
            let fingerprints = Set(mine.compactMap(\.fingerprint))
            merged.fingerprint =
                fingerprints.isEmpty
                ? nil : "shards:" + mine.compactMap(\.fingerprint).joined(separator: "+").prefix(200)
            for (k, v) in Counts.metrics(kind: merged.kind, merged.counts) { merged.metrics[k] = v }
            rows.append(merged)
        }
        // A row some part lacks entirely is missing from the shards that did not run it.
        let incomplete = gaps + parts.flatMap { $0.incomplete ?? [] }
        return SuiteResults(
            suite: first.suite, environment: first.environment, rows: rows,
            incomplete: incomplete.isEmpty ? nil : incomplete)
    }
}
