import ArgumentParser
import Foundation
import QBEngine
import QBHarness
import QBIngest

/// `quantbench` (= `quantbench run`): run a suite, write its report, gate it against its baselines.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract:
            "Run a suite (default: Suites/default.json), write Reports/<suite>.md and .json, gate against "
            + "Baselines/<suite>.json.",
        discussion: """
            Exit codes: 0 every gated figure within tolerance; 1 error; 2 a regression (or a baselined figure \
            missing from the run); 3 an improvement beyond tolerance (with --strict); 4 a figure without a baseline.
            """)

    @Argument(help: "The suite file.")
    var suite: String = "Suites/default.json"

    @OptionGroup var gate: GateOptions

    @OptionGroup var threadOptions: ThreadOptions
    var threads: Int { threadOptions.threads }

    @Option(
        help: ArgumentHelp(
            "Run only shard K of N (K from 1): a contiguous 1/N of every model's samples; writes partial results for "
                + "`quantbench merge`, no gate. 'auto' reads K and N from the CI engine's environment (GitLab, "
                + "Kubernetes Indexed Jobs, Slurm arrays, CircleCI, Buildkite; see the README).")
    )
    var shard: String?

    @Option(
        help: ArgumentHelp(
            "With --shard auto: the shard count, for engines that do not set one (a Kubernetes Indexed Job's "
                + "completions; else QB_SHARD_COUNT).")
    )
    var shardCount: Int?

    @Option(help: "Where a shard's partial results go (default Reports/<suite>.shard-K-of-N.json).")
    var output: String?

    @Option(help: "The cache folder for measured sensitivities (default .cache/quantbench in the project folder).")
    var cache: String?

    @OptionGroup var limitOptions: LimitOptions

    func validate() throws {
        if let shard, shard != "auto" { _ = try Self.parseShard(shard) }
        if shardCount != nil && shard != "auto" { throw ValidationError("--shard-count goes with --shard auto") }
    }

    /// The shard to run (index from 0), from `--shard K/N` or, for `--shard auto`, from the environment.
    func resolvedShard() throws -> (index: Int, count: Int)? {
        guard let shard else { return nil }
        guard shard == "auto" else { return try Self.parseShard(shard) }
        let found = try ShardEnvironment.resolve(ProcessInfo.processInfo.environment, givenCount: shardCount)
        FileHandle.standardError.write(Data("shard \(found.index + 1)/\(found.count) from \(found.source)\n".utf8))
        return (found.index, found.count)
    }

    static func parseShard(_ text: String) throws -> (index: Int, count: Int) {
        let parts = text.split(separator: "/").compactMap { Int($0) }
        guard parts.count == 2, parts[1] >= 1, (1...parts[1]).contains(parts[0]) else {
            throw ValidationError("--shard must be K/N with 1 <= K <= N, not \(text)")
        }
        return (parts[0] - 1, parts[1])
    }

    @OptionGroup var isaOptions: ISAOptions

    func run() throws {
        isaOptions.apply()
        var code: Int32 = 0
        try CLI.guarded {
            let root = gate.root
            let s = try Suite.load(gate.resolve(suite))
            var runner = SuiteRunner(
                root: root, options: limitOptions.session(threads: threads),
                log: { FileHandle.standardError.write(Data("  \($0)\n".utf8)) },
                progress: { CLI.progressPrinter(label: $0) })
            let shard = try resolvedShard()
            let shardSuffix = shard.map { ".shard-\($0.index + 1)-of-\($0.count)" } ?? ""
            let parts = gate.resolve(gate.reports) + "/.\(s.name)\(shardSuffix).parts"
            runner.partsFolder = parts
            runner.cacheFolder = cache.map(gate.resolve) ?? root + "/.cache/quantbench"
            runner.preparedFolder = runner.cacheFolder! + "/prepared"
            let start = Date()
            if let (k, n) = shard {
                let path = output ?? gate.resolve(gate.reports) + "/\(s.name).shard-\(k + 1)-of-\(n).json"
                // A stale file from an earlier run must not be merged in place of this shard if it fails; the folder
                // is made now, not found missing after the shard's work.
                try? FileManager.default.removeItem(atPath: path)
                let folder = (path as NSString).deletingLastPathComponent
                if !folder.isEmpty {
                    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                }
                let results = try runner.run(s, shard: (k, n))
                try AtomicFile.write(try ReportWriter.json(results), to: path)
                try? FileManager.default.removeItem(atPath: parts)  // finished: nothing to resume
                print(
                    String(
                        format: "shard %d/%d of suite %@: %d partial results in %.1f s, written to %@", k + 1, n,
                        s.name, results.rows.count,
                        Date().timeIntervalSince(start), path))
                return
            }
            let results = try runner.run(s)
            try? FileManager.default.removeItem(atPath: parts)  // finished: nothing to resume
            code = try Self.reportAndGate(results, options: gate)
            print(
                String(
                    format: "suite %@: %d results in %.1f s", s.name, results.rows.count,
                    Date().timeIntervalSince(start)))
        }
        if code != 0 { throw ExitCode(code) }
    }

    /// Writes the reports, gates against the baseline, prints the verdict; returns the exit code.
    static func reportAndGate(_ results: SuiteResults, options: GateOptions) throws -> Int32 {
        var code: Int32 = 0
        do {
            let baselinePath = options.resolve(options.baseline ?? "Baselines/\(results.suite).json")
            var gate: GateReport? = nil
            // A broken baseline must not lose the run: the results and an ungated report are written
            // first, then the baseline's error ends the command (exit 1).
            var baselineError: Error? = nil
            if FileManager.default.fileExists(atPath: baselinePath) {
                do { gate = GateReport.compare(results, with: try BaselineFile.load(baselinePath)) } catch {
                    baselineError = error
                }
            }
            let paths = try ReportWriter.write(results, gate: gate, folder: options.resolve(options.reports))
            if let baselineError {
                print("report (not gated): \(paths.markdown) (and \(paths.json))")
                throw baselineError
            }
            try options.writeCIFiles(results, gate: gate)
            for row in results.rows {
                let m = row.metrics
                let figure =
                    row.kind == .perplexity
                    ? String(format: "perplexity %.4f", m["perplexity"] ?? 0)
                    : String(format: "top-1 %.2f%%", (m["top1"] ?? m["agreement"] ?? 0) * 100)
                print("\(row.model) [\(row.variant)]: \(figure) on \(row.samples) \(row.kind.sampleUnit)")
            }
            print("report: \(paths.markdown) (and \(paths.json))")
            if let gate {
                code = gate.exitCode(strict: options.strict)
                for c in gate.checks where c.status != .pass && c.status != .expectedFailure {
                    print(
                        "\(c.status.rawValue.uppercased()): \(c.model) [\(c.variant)] \(c.metric): "
                            + "\(c.value.map { String($0) } ?? "none") vs baseline "
                            + "\(c.baseline.map { String($0) } ?? "none")"
                    )
                }
                for f in gate.fingerprintChanges { print("note: \(f)") }
                for gap in gate.incomplete { print("INCOMPLETE: \(gap)") }
                print("gate: \(code == 0 ? "pass" : "exit \(code)") against \(baselinePath)")
            } else {
                code = 4
                print("gate: no baseline file \(baselinePath); record one with `quantbench baseline record` (exit 4)")
            }
        }
        return code
    }
}

/// `quantbench merge FILES...`: add shard results up exactly, then report and gate like `run`.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge shard results (quantbench run --shard K/N) into one report and gate it.",
        discussion:
            "Refuses incomplete or overlapping shards unless --allow-incomplete: the report then lists the gaps and "
            + "the gate fails (exit 2). Exit codes as for run."
    )

    @Argument(help: "The shards' result files.")
    var files: [String]

    @OptionGroup var gate: GateOptions

    @Flag(help: "Merge even when shards are missing: the report lists the gaps and the gate fails on them (exit 2).")
    var allowIncomplete = false

    func run() throws {
        var code: Int32 = 0
        try CLI.guarded {
            let merged = try SuiteResults.merge(try files.map(SuiteResults.load), allowIncomplete: allowIncomplete)
            for gap in merged.incomplete ?? [] { print("INCOMPLETE: \(gap)") }
            code = try RunCommand.reportAndGate(merged, options: gate)
        }
        if code != 0 { throw ExitCode(code) }
    }
}

/// `quantbench baseline record`: run a suite and write its baselines.
struct BaselineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline", abstract: "Record baselines.", subcommands: [Record.self])

    struct Record: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Run a suite (or take a finished run's results) and write Baselines/<suite>.json (atomically), "
                + "printing what changed."
        )

        @Argument(help: "The suite file.")
        var suite: String = "Suites/default.json"

        @Option(
            help: ArgumentHelp(
                "Record from this results file (a run's or a merge's Reports/<suite>.json) instead of running the "
                    + "suite.")
        )
        var results: String?

        @OptionGroup var rootOptions: RootOptions
        var root: String { rootOptions.root }

        @OptionGroup var threadOptions: ThreadOptions
        var threads: Int { threadOptions.threads }

        @Flag(
            help: ArgumentHelp(
                "Record only this host class's speed figures (kernel speedup, GOP/s) into the existing file, beside "
                    + "the other classes'.")
        )
        var hostOnly = false

        @OptionGroup var isaOptions: ISAOptions

        func run() throws {
            isaOptions.apply()
            try CLI.guarded {
                let results: SuiteResults
                if let file = self.results {
                    results = try SuiteResults.load(file)
                } else {
                    let s = try Suite.load(GateOptions.resolve(suite, root: root))
                    var runner = SuiteRunner(
                        root: root, options: SessionOptions(threads: threads),
                        progress: { CLI.progressPrinter(label: $0) })
                    runner.cacheFolder = root + "/.cache/quantbench"
                    results = try runner.run(s)
                }
                let path = root + "/Baselines/\(results.suite).json"
                let old = try? BaselineFile.load(path)
                let new: BaselineFile
                if hostOnly {
                    guard let old else {
                        throw HarnessError(
                            .badBaseline, file: path,
                            "--host-only adds to an existing baseline file; record the whole suite first")
                    }
                    new = old.recordingSpeed(of: results)
                } else {
                    new = BaselineFile.record(results).keepingSpeedClasses(of: old)
                }
                let oldEntries =
                    (old?.entries ?? [])
                    + (old?.speed ?? []).filter { $0.environment.sameHostClass(results.environment) }.flatMap(\.entries)
                let newEntries =
                    new.entries
                    + (new.speed ?? []).filter { $0.environment.sameHostClass(results.environment) }.flatMap(\.entries)
                for e in newEntries where !hostOnly || Metric.hostDependent.contains(e.metric) {
                    let before = oldEntries.first {
                        $0.model == e.model && $0.variant == e.variant && $0.metric == e.metric
                    }
                    if before?.value != e.value {
                        print(
                            "\(e.model) [\(e.variant)] \(e.metric): \(before.map { String($0.value) } ?? "new") -> "
                                + "\(e.value)"
                        )
                    }
                }
                try FileManager.default.createDirectory(atPath: root + "/Baselines", withIntermediateDirectories: true)
                try new.write(to: path)
                let classes = new.speedBaselines.map(\.environment.speedClass).joined(separator: ", ")
                print(
                    "wrote \(path) (\(new.entries.count) entries; speed figures for \(new.speedBaselines.count) host "
                        + "classes: \(classes))"
                )
            }
        }
    }
}

/// `quantbench gate RESULTS.json`: gate results already computed (a run's or a merge's JSON).
struct GateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gate",
        abstract:
            "Compare a results file (Reports/<suite>.json) with its baselines, rewrite its report, and exit with the "
            + "gate's code."
    )

    @Argument(help: "The results file.")
    var results: String

    @OptionGroup var gate: GateOptions

    func run() throws {
        var code: Int32 = 0
        try CLI.guarded {
            code = try RunCommand.reportAndGate(try SuiteResults.load(results), options: gate)
        }
        if code != 0 { throw ExitCode(code) }
    }
}

/// Options shared by the commands that report and gate (run, merge, gate).
struct GateOptions: ParsableArguments {
    @OptionGroup var rootOptions: RootOptions
    var root: String { rootOptions.root }

    @Option(help: "The baseline file (default: Baselines/<suite>.json).")
    var baseline: String?

    @Option(help: "Where the reports go.")
    var reports: String = "Reports"

    @Flag(help: "Fail (exit 3) when a two-sided figure improved beyond its tolerance, so the baseline gets ratcheted.")
    var strict = false

    @Option(help: "Also write the gate as JUnit XML here (one test case per gated check), for CI test reporters.")
    var junit: String?

    @Option(help: "Also write a Markdown job summary here (e.g. \"$GITHUB_STEP_SUMMARY\").")
    var summary: String?

    @Option(
        help: ArgumentHelp(
            "Also write the bigger-is-better throughput figures here (github-action-benchmark's "
                + "customBiggerIsBetter JSON).")
    )
    var trend: String?

    @Option(help: "Also write the smaller-is-better figures here (calibration seconds; customSmallerIsBetter JSON).")
    var trendSmaller: String?

    /// Writes the CI files asked for (JUnit, job summary, trend points).
    func writeCIFiles(_ results: SuiteResults, gate: GateReport?) throws {
        if let junit {
            let xml =
                gate.map { JUnitReport.xml($0, results: results, strict: strict) }
                ?? JUnitReport.notGated(results, reason: "no baseline file; record one with quantbench baseline record")
            try AtomicFile.write(Data(xml.utf8), to: resolve(junit))
        }
        if let summary {
            let text = JobSummary.markdown(results, gate: gate, strict: strict)
            try AtomicFile.write(Data(text.utf8), to: resolve(summary))
        }
        if let trend {
            try AtomicFile.write(
                try TrendReport.json(TrendReport.points(results, biggerIsBetter: true)), to: resolve(trend))
        }
        if let trendSmaller {
            try AtomicFile.write(
                try TrendReport.json(TrendReport.points(results, biggerIsBetter: false)), to: resolve(trendSmaller))
        }
    }

    /// `path` relative to the project folder, unless it is absolute.
    func resolve(_ path: String) -> String { Self.resolve(path, root: root) }

    static func resolve(_ path: String, root: String) -> String { path.hasPrefix("/") ? path : root + "/" + path }

}
