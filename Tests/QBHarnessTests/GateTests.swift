import Foundation
@testable import QBHarness
import QBIngest
import QBQuant
import QBTestSupport
import Testing

func syntheticResults(top1: Double = 0.9, perplexity: Double = 5.0) -> SuiteResults {
    let env = Environment(cpu: "test CPU", cores: 2, swift: "6.3", avx2: true, build: "debug", features: "avx2 fma")
    return SuiteResults(
        suite: "synthetic", environment: env,
        rows: [
            ResultRow(
                model: "cnn", folder: "Models/cnn", dataset: "Datasets/set", variant: "fp32", kind: .classification,
                samples: 1000,
                fingerprint: "abc123",
                metrics: [
                    "top1": top1, "top1_ci_low": top1 - 0.02, "top1_ci_high": top1 + 0.02, "top5": 0.99,
                    "delta_top1": 0, "agreement": 1, "flips_correct_to_wrong": 0, "flips_wrong_to_correct": 0,
                    "kl": 0, "bits_per_weight": 32, "model_bytes": 1234,
                ], seconds: 1.5),
            ResultRow(
                model: "lm", folder: "Models/lm", dataset: "Datasets/text", variant: "fp32", kind: .perplexity,
                samples: 64,
                fingerprint: nil,
                metrics: [
                    "perplexity": perplexity, "perplexity_se": 0.1, "bits_per_byte": 2.3, "delta_perplexity": 0,
                    "bits_per_weight": 32, "model_bytes": 999,
                ], seconds: 2),
        ])
}

@Suite("Baselines, gating and exit codes")
struct GateTests {
    let baseline = BaselineFile.record(syntheticResults())

    @Test("identical results pass")
    func pass() {
        let gate = GateReport.compare(syntheticResults(), with: baseline)
        #expect(gate.exitCode(strict: true) == 0)
        #expect(gate.checks.allSatisfy { $0.status == .pass })
    }

    @Test("a drop beyond tolerance is a regression (exit 2) naming the metric; within tolerance passes")
    func regression() {
        let worse = GateReport.compare(syntheticResults(top1: 0.895), with: baseline)
        #expect(worse.exitCode(strict: false) == 2)
        #expect(worse.checks.contains { $0.model == "cnn" && $0.metric == "top1" && $0.status == .regression })
        #expect(GateReport.compare(syntheticResults(top1: 0.899), with: baseline).exitCode(strict: false) == 0)
    }

    @Test("lower is better for perplexity: a rise regresses, a fall is an improvement (exit 3 only when strict)")
    func perplexityDirection() {
        #expect(GateReport.compare(syntheticResults(perplexity: 5.01), with: baseline).exitCode(strict: false) == 2)
        let better = GateReport.compare(syntheticResults(perplexity: 4.9), with: baseline)
        #expect(better.checks.contains { $0.metric == "perplexity" && $0.status == .improvement })
        #expect(better.exitCode(strict: false) == 0 && better.exitCode(strict: true) == 3)
    }

    @Test(
        """
        kernel speedup is gated per host class: a slowdown beyond 35% regresses on the class it was recorded on and \
        on another CPU of the same kernel level; another level is not gated
        """
    )
    func hostClass() {
        func withSpeed(_ speedup: Double, cpu: String = "test CPU", features: String = "avx2 fma") -> SuiteResults {
            var r = syntheticResults()
            r.environment.cpu = cpu
            r.environment.features = features
            var q = r.rows[0]
            q.variant = "int8"
            q.metrics["kernel_speedup"] = speedup
            r.rows.append(q)
            return r
        }
        let b = BaselineFile.record(withSpeed(2.0))
        #expect(b.entries.contains { $0.metric == "kernel_speedup" && $0.variant == "int8" })
        #expect(GateReport.compare(withSpeed(1.5), with: b).exitCode(strict: true) == 0)
        let slow = GateReport.compare(withSpeed(1.2), with: b)
        #expect(slow.exitCode(strict: false) == 2)
        #expect(slow.checks.contains { $0.metric == "kernel_speedup" && $0.status == .regression })
        #expect(slow.speedNote.contains("this host class"))
        // Another CPU at the same kernel level (an AVX2 runner): gated against that level's figures, and said so.
        let runner = GateReport.compare(withSpeed(0.5, cpu: "another CPU"), with: b)
        #expect(runner.exitCode(strict: false) == 2)
        #expect(runner.speedNote.contains("avx2 debug class"))
        #expect(GateReport.compare(withSpeed(1.6, cpu: "another CPU"), with: b).exitCode(strict: true) == 0)
        // Another kernel level: not gated until that class is recorded.
        let vnni = "avx2 fma avx512f avx512bw avx512_vnni"
        let elsewhere = GateReport.compare(withSpeed(0.5, cpu: "another CPU", features: vnni), with: b)
        #expect(elsewhere.exitCode(strict: true) == 0)
        #expect(elsewhere.checks.contains { $0.metric == "kernel_speedup" && $0.status == .otherHost })
        #expect(elsewhere.speedNote.contains("not gated"))
        // A run on another host with no baseline entry for the speed is not asked for one either.
        var noSpeed = b
        noSpeed.entries.removeAll { $0.metric == "kernel_speedup" }
        #expect(
            GateReport.compare(withSpeed(0.5, cpu: "another CPU", features: vnni), with: noSpeed).exitCode(
                strict: false) == 0)
        // `baseline record --host-only` on the VNNI host adds its class beside the AVX2 one; each host is gated
        // against its own, and the file reads back.
        let both = b.recordingSpeed(of: withSpeed(3.0, cpu: "another CPU", features: vnni))
        #expect(both.speedBaselines.count == 2 && both.entries == b.entries)
        #expect(
            GateReport.compare(withSpeed(2.5, cpu: "another CPU", features: vnni), with: both).exitCode(strict: true)
                == 0)
        #expect(
            GateReport.compare(withSpeed(1.5, cpu: "another CPU", features: vnni), with: both).exitCode(strict: false)
                == 2)
        #expect(GateReport.compare(withSpeed(1.5), with: both).exitCode(strict: false) == 0)
        let encoder = JSONEncoder()
        let data = try! encoder.encode(both)
        let back = try! BaselineFile.parse(data, file: "both.json")
        #expect(back.speedBaselines.count == 2)
        // A full recording on the AVX2 host keeps the VNNI class; recording the VNNI class again replaces it.
        let again = BaselineFile.record(withSpeed(2.1)).keepingSpeedClasses(of: both)
        #expect(again.speedBaselines.count == 2)
        #expect(both.recordingSpeed(of: withSpeed(3.3, cpu: "another CPU", features: vnni)).speedBaselines.count == 2)
    }

    @Test("a figure without a baseline exits 4; a baselined figure missing from the run exits 2")
    func missing() {
        var partial = baseline
        partial.entries.removeAll { $0.model == "lm" }
        #expect(GateReport.compare(syntheticResults(), with: partial).exitCode(strict: false) == 4)
        var fewer = syntheticResults()
        fewer.rows.removeLast()
        let gate = GateReport.compare(fewer, with: baseline)
        #expect(gate.exitCode(strict: false) == 2)
        #expect(gate.checks.contains { $0.status == .missingResult && $0.model == "lm" })
    }

    @Test("expected failures are reported, never gated; fingerprint drift is reported")
    func expectedFailureAndDrift() {
        var b = baseline
        for i in b.entries.indices where b.entries[i].metric == "top1" {
            b.entries[i].expectedFailure = "known: being retrained"
        }
        var drifted = syntheticResults(top1: 0.5)
        drifted.rows[0].fingerprint = "zzz999"
        let gate = GateReport.compare(drifted, with: b)
        #expect(gate.checks.contains { $0.metric == "top1" && $0.status == .expectedFailure })
        #expect(!gate.fingerprintChanges.isEmpty)
    }

    @Test("baselines are written atomically and read back; broken files give a clear error")
    func files() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("b.json").path
        try baseline.write(to: path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["b.json"], "no temporary file left")
        #expect(try BaselineFile.load(path).entries == baseline.entries)
        try Data("{\"suite\": \"x\", \"entries\": [".utf8).write(to: URL(fileURLWithPath: path))
        do {
            _ = try BaselineFile.load(path)
            Issue.record("accepted")
        } catch let e as HarnessError {
            #expect(e.file == path && e.reason.contains("not a valid baseline"))
        }
        var negative = baseline
        negative.entries[0].tolerance.absolute = -1
        try negative.write(to: path)
        do {
            _ = try BaselineFile.load(path)
            Issue.record("accepted")
        } catch let e as HarnessError {
            #expect(e.reason.contains("negative"), "\(e)")
        }
    }

    @Test(
        """
        every metric a run writes has a polarity, and the gate follows it: delta_perplexity rising regresses, \
        delta_top1 falling regresses
        """
    )
    func everyMetricHasADirection() throws {
        let written = Set(syntheticResults().rows.flatMap { $0.metrics.keys })
        #expect(
            written.allSatisfy { MetricKind(rawValue: $0) != nil },
            "\(written.filter { MetricKind(rawValue: $0) == nil })")
        #expect(Metric.higherIsBetter.isDisjoint(with: Metric.lowerIsBetter))
        #expect(Metric.higherIsBetter.union(Metric.lowerIsBetter) == Set(MetricKind.allCases.map(\.rawValue)))
        // A baseline on a lower-is-better metric that the old list missed: a rise is a regression, a fall is not.
        func gate(_ metric: MetricKind, baselineValue: Double, value: Double) throws -> GateReport.Status {
            var results = syntheticResults()
            results.rows[1].metrics[metric.rawValue] = value
            let entry = BaselineEntry(
                model: "lm", variant: "fp32", metric: metric.rawValue, value: baselineValue,
                tolerance: Tolerance(absolute: 0.01, relative: nil, twoSided: false))
            var file = baseline
            file.entries = [entry]
            return try #require(GateReport.compare(results, with: file).checks.first { $0.metric == metric.rawValue })
                .status
        }
        #expect(try gate(.deltaPerplexity, baselineValue: 0.1, value: 0.5) == .regression)
        #expect(try gate(.deltaPerplexity, baselineValue: 0.1, value: -0.3) == .pass)
        #expect(try gate(.deltaTop1, baselineValue: 0, value: -0.05) == .regression)
        #expect(try gate(.deltaTop1, baselineValue: 0, value: 0.05) == .pass)
        #expect(try gate(.flipsWrongToCorrect, baselineValue: 10, value: 5) == .regression)
    }

    @Test("a baseline entry on an unknown metric is refused on load, naming the metric and its line")
    func unknownMetric() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("b.json").path
        var edited = baseline
        edited.entries[0].metric = "top_1"
        try edited.write(to: path)
        #expect {
            try BaselineFile.load(path)
        } throws: { error in
            guard let error = error as? HarnessError else { return false }
            return error.reason.contains("unknown metric 'top_1'") && error.line != nil
                && error.description.hasPrefix(path)
        }
    }

    @Test("a hand-edited baseline gives the line of the problem: syntax, wrong type, NaN, duplicate")
    func baselineLines() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("b.json").path
        try baseline.write(to: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.components(separatedBy: "\n")
        func load(_ edited: String) throws -> HarnessError? {
            try Data(edited.utf8).write(to: URL(fileURLWithPath: path))
            do {
                _ = try BaselineFile.load(path)
                return nil
            } catch let e as HarnessError { return e }
        }
        // The line of the first "value" key of entries[2], 1-based.
        let valueLines = lines.indices.filter { lines[$0].contains("\"value\"") }
        let third = valueLines[2]
        // A wrong type: the error points at that line.
        var edited = lines
        edited[third] = edited[third].replacingOccurrences(
            of: #"("value" *: *)[-0-9.e+]+"#, with: #"$1"oops""#, options: .regularExpression)
        let typeError = try #require(try load(edited.joined(separator: "\n")))
        #expect(typeError.line == third + 1 && typeError.description.contains("\(path):\(third + 1):"), "\(typeError)")
        // A syntax error (a stray comma): its line.
        edited = lines
        edited[third] += ",,"
        let syntax = try #require(try load(edited.joined(separator: "\n")))
        #expect(syntax.line == third + 1 && syntax.reason.contains("not JSON"), "\(syntax)")
        // NaN is not JSON; 1e999 does not fit a Double: refused (by the decoder or the finite check) at its entry.
        edited = lines
        edited[third] = edited[third].replacingOccurrences(
            of: #"("value" *: *)[-0-9.e+]+"#, with: "$11e999", options: .regularExpression)
        let infinite = try #require(try load(edited.joined(separator: "\n")))
        #expect(infinite.line == third + 1 && infinite.reason.contains("out of range"), "\(infinite)")
        // The same entry twice.
        var twice = baseline
        twice.entries.append(twice.entries[0])
        try twice.write(to: path)
        let duplicate = try #require(try load(try String(contentsOfFile: path, encoding: .utf8)))
        #expect(duplicate.reason.contains("twice") && duplicate.line != nil, "\(duplicate)")
        // Deep nesting is a syntax error, not a stack overflow.
        #expect(
            JSONLocator.locate([], in: Data((String(repeating: "[", count: 100_000)).utf8)).syntaxError?.contains(
                "nested") == true)
    }

    @Test("the gate never passes a NaN metric, nor results merged with gaps")
    func neverPassesMissing() {
        var nan = syntheticResults()
        nan.rows[0].metrics["top1"] = .nan
        let gate = GateReport.compare(nan, with: baseline)
        #expect(gate.exitCode(strict: false) == 2)
        #expect(gate.checks.contains { $0.metric == "top1" && $0.status == .regression })
        var gappy = syntheticResults()
        gappy.incomplete = ["cnn [fp32]: samples 100..<200 are missing (a shard failed or was not given)"]
        let g2 = GateReport.compare(gappy, with: baseline)
        #expect(g2.checks.allSatisfy { $0.status == .pass } && g2.exitCode(strict: false) == 2)
        #expect(ReportWriter.markdown(gappy, gate: g2).contains("INCOMPLETE"))
    }

    @Test("suite files: unknown variants and empty suites are refused with the file named")
    func suites() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("s.json").path
        try Data(#"{"name": "s", "models": [{"model": "Models/x", "variants": ["int3"]}]}"#.utf8).write(
            to: URL(fileURLWithPath: path))
        do {
            _ = try Suite.load(path)
            Issue.record("accepted")
        } catch let e as HarnessError { #expect(e.reason.contains("int3")) }
        try Data(#"{"name": "s", "models": []}"#.utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: HarnessError.self) { try Suite.load(path) }
        #expect(
            try Suite.load(Fixtures.packageRoot.appendingPathComponent("Suites/default.json").path).models.count == 4)
    }

    @Test("the Markdown report matches its snapshot")
    func reportSnapshot() throws {
        // With quantized rows: the method table, per-layer SQNR and the checks against the papers.
        var results = syntheticResults(top1: 0.895)
        for (variant, top1, compression) in [
            ("int8", 0.89, 3.5), ("fgq-n4", 0.80, 4.6), ("fgq-n64", 0.70, 9.3), ("fq-5-s50", 0.88, 7.8),
        ] {
            var q = results.rows[0]
            q.variant = variant
            q.metrics["top1"] = top1
            q.metrics["compression"] = compression
            q.metrics["kernel_speedup"] = 1.25
            q.metrics["mults_eliminated"] = variant.hasPrefix("fgq") ? 0.75 : 0
            q.metrics["quantized_weights"] = 1
            q.metrics["quantized_macs"] = 0.9
            q.layers = [
                LayerReport(
                    name: "conv1", op: "Conv", output: "c1", weights: 144, payloadBytes: 200, zeros: 0.25,
                    detail: "per-channel scales", sqnr: 31.5),
                LayerReport(
                    name: "fc", op: "Gemm", output: "y", weights: 640, payloadBytes: 700, zeros: 0.1,
                    detail: "per-channel scales", sqnr: nil),
            ]
            results.rows.insert(q, at: results.rows.count - 1)
        }
        // An external variant: its source listed under the table, its end-to-end speed in a column of its own.
        var external = results.rows[0]
        external.variant = "ort-int8"
        external.metrics["model_speedup"] = 0.5
        external.metrics["quantized_weights"] = 1
        external.metrics["quantized_macs"] = 1
        external.source = "`m/ort-int8.onnx` (1000 bytes, sha256 `0123456789abcdef...`): onnxruntime quantize_static"
        results.rows.insert(external, at: results.rows.count - 1)
        let md = ReportWriter.markdown(results, gate: GateReport.compare(results, with: baseline))
        let snapshot = Fixtures.path("reports/synthetic.md")
        if ProcessInfo.processInfo.environment["QB_UPDATE_SNAPSHOTS"] == "1" {
            try Data(md.utf8).write(to: URL(fileURLWithPath: snapshot))
        }
        #expect(
            md == (try String(contentsOfFile: snapshot, encoding: .utf8)),
            "regenerate with QB_UPDATE_SNAPSHOTS=1 swift test if the change is intended")
    }
}

@Suite("Machine-readable results")
struct ResultFormatTests {
    @Test("JSON round-trips; CSV has one RFC 4180 line per metric")
    func formats() throws {
        let r = syntheticResults()
        let back = try JSONDecoder().decode(SuiteResults.self, from: try ReportWriter.json(r))
        #expect(back.rows == r.rows)
        let csv = ReportWriter.csv(r).components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(csv.first == "model,dataset,variant,samples,metric,value")
        #expect(csv.count == 1 + r.rows.reduce(0) { $0 + $1.metrics.count })
        #expect(csv.contains("cnn,Datasets/set,fp32,1000,top1,0.9"))
    }

    @Test("the SVG chart has two panels per model and one point per result in each, and is deterministic")
    func chart() {
        let svg = ChartWriter.svg(syntheticResults())
        #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>\n"))
        #expect(svg.components(separatedBy: "<circle class=\"point\"").count - 1 == 4)
        #expect(svg.components(separatedBy: "<g class=\"panel\"").count - 1 == 4)
        #expect(svg.contains(">cnn: figure vs bits per weight<") && svg.contains(">lm: figure vs serialized size<"))
        #expect(svg == ChartWriter.svg(syntheticResults()))
    }
}
