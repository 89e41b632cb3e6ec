import Foundation
import QBEngine
@testable import QBHarness
import QBTestSupport
import Testing

@Suite("The embedded default suite, end to end", .serialized)
struct DefaultSuiteTests {
    @Test("runs from the committed files and passes the committed baselines; 1 and 2 threads give identical results")
    func endToEnd() throws {
        let root = Fixtures.packageRoot.path
        let suite = try Suite.load(root + "/Suites/default.json")
        let results = try SuiteRunner(root: root, options: SessionOptions(threads: 2)).run(suite)
        #expect(results.rows.count == 4)
        let gate = GateReport.compare(results, with: try BaselineFile.load(root + "/Baselines/default.json"))
        for c in gate.checks where c.status != .pass { Issue.record("\(c.model) \(c.variant) \(c.metric): \(c.status) (\(c.value ?? .nan) vs \(c.baseline ?? .nan))") }
        #expect(gate.exitCode(strict: true) == 0)
        #expect(gate.fingerprintChanges.isEmpty)
        // Determinism: the quickest model again on one thread, same metrics to the bit.
        var one = suite
        one.models = [suite.models[0]]
        let single = try SuiteRunner(root: root, options: SessionOptions(threads: 1)).run(one)
        #expect(single.rows[0].metrics == results.rows[0].metrics)
        #expect(single.rows[0].fingerprint == results.rows[0].fingerprint)
    }
}
