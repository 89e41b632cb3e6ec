import Foundation
@testable import QBHarness
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The files CI systems read: `--shard auto` from each engine's environment, JUnit XML (parsed back with an XML
/// parser), the job summary and the benchmark-trend points.
@Suite("CI contract: --shard auto, JUnit, job summary, trend")
struct CIOutputTests {
    @Test(
        "each engine's variables give the shard (index from 0, count)",
        arguments: [
            (["CI_NODE_INDEX": "3", "CI_NODE_TOTAL": "4"], nil, 2, 4),
            (["JOB_COMPLETION_INDEX": "0"], 3, 0, 3),
            (["JOB_COMPLETION_INDEX": "2", "QB_SHARD_COUNT": "3"], nil, 2, 3),
            (["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "4"], nil, 1, 3),
            (["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "2", "SLURM_ARRAY_TASK_MIN": "0"], nil, 0, 2),
            (["CIRCLE_NODE_INDEX": "1", "CIRCLE_NODE_TOTAL": "2"], nil, 1, 2),
            (["BUILDKITE_PARALLEL_JOB": "0", "BUILDKITE_PARALLEL_JOB_COUNT": "5"], nil, 0, 5),
            (
                [
                    "CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "3", "SLURM_ARRAY_TASK_ID": "1",
                    "SLURM_ARRAY_TASK_COUNT": "3",
                ],
                nil, 1, 3
            ),
        ] as [([String: String], Int?, Int, Int)])
    func shardFromEnvironment(_ environment: [String: String], _ count: Int?, _ index: Int, _ total: Int) throws {
        let shard = try ShardEnvironment.resolve(environment, givenCount: count)
        #expect(shard.index == index && shard.count == total, "\(environment): got \(shard)")
    }

    @Test(
        "no engine, a count missing, a bad number, an index out of range or two engines that disagree: a clear error",
        arguments: [
            ([:], nil, "no shard index in the environment"),
            (["JOB_COMPLETION_INDEX": "1"], nil, "no count"),
            (["CI_NODE_INDEX": "x", "CI_NODE_TOTAL": "2"], nil, "not a whole number"),
            (["CI_NODE_INDEX": "3", "CI_NODE_TOTAL": "2"], nil, "outside 1...2"),
            (["CI_NODE_INDEX": "0", "CI_NODE_TOTAL": "2"], nil, "outside 1...2"),
            (
                [
                    "CIRCLE_NODE_INDEX": "0", "CIRCLE_NODE_TOTAL": "2", "BUILDKITE_PARALLEL_JOB": "1",
                    "BUILDKITE_PARALLEL_JOB_COUNT": "2",
                ], nil, "disagrees"
            ),
            (["CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "2"], 3, "disagrees with the given count 3"),
            (["JOB_COMPLETION_INDEX": "0"], 0, "at least 1"),
            (["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "2", "SLURM_ARRAY_TASK_STEP": "2"], nil, "step 1"),
        ] as [([String: String], Int?, String)])
    func shardErrors(_ environment: [String: String], _ count: Int?, _ words: String) {
        do {
            let shard = try ShardEnvironment.resolve(environment, givenCount: count)
            Issue.record("\(environment): expected an error, got \(shard)")
        } catch {
            #expect("\(error)".contains(words) && "\(error)".contains("--shard auto"), "\(error)")
        }
    }

    /// The test cases of a JUnit document: (classname, name, failure message or nil, skipped), and the root's counts.
    final class JUnitCases: NSObject, XMLParserDelegate {
        var cases = [(classname: String, name: String, failure: String?, skipped: Bool)]()
        var rootCounts = [String: String]()
        func parser(
            _ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            switch element {
            case "testsuites": rootCounts = attributes
            case "testcase": cases.append((attributes["classname"] ?? "", attributes["name"] ?? "", nil, false))
            case "failure": cases[cases.count - 1].failure = attributes["message"] ?? ""
            case "skipped": cases[cases.count - 1].skipped = true
            default: break
            }
        }
    }

    static func parse(_ xml: String) throws -> JUnitCases {
        let parser = XMLParser(data: Data(xml.utf8))
        let cases = JUnitCases()
        parser.delegate = cases
        #expect(parser.parse(), "the JUnit file must be well-formed XML: \(parser.parserError.map { "\($0)" } ?? "")")
        return cases
    }

    @Test("a regressed run's JUnit file parses; the failing case names the metric, value, baseline and exit code")
    func junitRegression() throws {
        let baseline = BaselineFile.record(syntheticResults())
        let results = syntheticResults(top1: 0.85)
        let gate = GateReport.compare(results, with: baseline)
        let junit = try Self.parse(JUnitReport.xml(gate, results: results, strict: false))
        let failed = junit.cases.filter { $0.failure != nil }
        #expect(failed.count == 1 && failed.first?.name == "top1" && failed.first?.classname == "cnn.fp32")
        let message = failed.first?.failure ?? ""
        #expect(message.contains("value 0.85") && message.contains("baseline 0.9") && message.contains("exit 2"))
        #expect(junit.cases.count == gate.checks.count && junit.rootCounts["failures"] == "1")
        #expect(junit.rootCounts["tests"] == String(gate.checks.count))
    }

    @Test("a passing run has no failure; names with XML characters are escaped; an ungated run fails its one case")
    func junitPassAndEscaping() throws {
        var results = syntheticResults()
        results.rows[0].variant = "int8 <\"a&b\">"
        let gate = GateReport.compare(results, with: BaselineFile.record(results))
        let junit = try Self.parse(JUnitReport.xml(gate, results: results, strict: true))
        #expect(junit.cases.allSatisfy { $0.failure == nil } && junit.rootCounts["failures"] == "0")
        #expect(junit.cases.contains { $0.classname == "cnn.int8 <\"a&b\">" })
        let ungated = try Self.parse(JUnitReport.notGated(results, reason: "no baseline file"))
        #expect(ungated.cases.count == 1 && ungated.cases[0].failure?.contains("exit 4") == true)
    }

    @Test("the job summary gives the verdict, the failing check and each row's headline figure")
    func summary() {
        let baseline = BaselineFile.record(syntheticResults())
        let results = syntheticResults(top1: 0.85)
        let text = JobSummary.markdown(results, gate: GateReport.compare(results, with: baseline), strict: false)
        #expect(text.contains("REGRESSION (exit 2)") && text.contains("| cnn | fp32 | top1 | 0.85 | 0.9 |"))
        #expect(text.contains("top-1 85.00%") && text.contains("ppl 5.000"))
        let passing = JobSummary.markdown(
            syntheticResults(), gate: GateReport.compare(syntheticResults(), with: baseline), strict: false)
        #expect(passing.contains("`synthetic`: pass") && !passing.contains("did not pass"))
    }

    @Test("trend points: the throughput figures in github-action-benchmark's custom shape, by direction")
    func trend() throws {
        var results = syntheticResults()
        results.rows[0].metrics["kernel_gops"] = 12.5
        results.rows[0].metrics["kernel_speedup"] = 2.25
        results.rows[0].metrics["calibration_seconds"] = 0.75
        let bigger =
            try JSONSerialization.jsonObject(
                with: try TrendReport.json(TrendReport.points(results, biggerIsBetter: true))) as? [[String: Any]]
        let names = (bigger ?? []).compactMap { $0["name"] as? String }
        #expect(names == ["cnn [fp32] kernel_gops", "cnn [fp32] kernel_speedup"])
        #expect((bigger?.first?["value"] as? Double) == 12.5 && (bigger?.first?["unit"] as? String) == "GOP/s")
        let smaller = TrendReport.points(results, biggerIsBetter: false)
        #expect(smaller.map(\.name) == ["cnn [fp32] calibration_seconds"] && smaller[0].unit == "s")
    }
}
