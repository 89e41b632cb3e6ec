import Foundation
import QBEngine
@testable import QBHarness
import QBTestSupport
import Testing

@Suite("Shards add up exactly", .serialized)
struct ShardTests {
    /// A quick suite over real models: a classifier, the text classifier and the language model, limited.
    static func quickSuite() -> Suite {
        Suite(
            name: "quick", description: nil,
            models: [
                Suite.Entry(model: "Models/fmnist-resnet", variants: ["fp32"], limit: 203),
                Suite.Entry(model: "Models/finefoods-transformer", variants: ["fp32"], limit: 41),
                Suite.Entry(model: "Models/austen-lm", variants: ["fp32"], limit: 19),
            ])
    }

    @Test("three shards merged equal one unsharded run, count for count and metric for metric")
    func mergeEqualsWhole() throws {
        let runner = SuiteRunner(root: Fixtures.packageRoot.path, options: SessionOptions(threads: 2))
        let whole = try runner.run(Self.quickSuite())
        let parts = try (0..<3).map { try runner.run(Self.quickSuite(), shard: ($0, 3)) }
        let merged = try SuiteResults.merge([parts[2], parts[0], parts[1]])
        #expect(merged.rows.count == whole.rows.count)
        for (m, w) in zip(merged.rows, whole.rows) {
            #expect(m.counts == w.counts, "\(m.model)")
            #expect(m.samples == w.samples)
            #expect(m.metrics == w.metrics, "\(m.model): \(m.metrics) vs \(w.metrics)")
            #expect(m.outcomes != nil || m.windowLoss != nil, "\(m.model): per-sample outcomes kept")
            #expect(m.outcomes == w.outcomes && m.windowLoss == w.windowLoss, "\(m.model): per-sample outcomes")
        }
        // A missing shard is refused unless allowed.
        #expect(throws: HarnessError.self) { try SuiteResults.merge([parts[0], parts[2]]) }
        #expect(throws: HarnessError.self) { try SuiteResults.merge([parts[0], parts[1]]) }  // the last shard missing
        #expect(throws: HarnessError.self) { try SuiteResults.merge([parts[0], parts[0], parts[1], parts[2]]) }
        let partial = try SuiteResults.merge([parts[0], parts[2]], allowIncomplete: true)
        #expect(partial.rows[0].samples < whole.rows[0].samples)
        // Allowed, the gaps are named in the results and the gate fails on them.
        #expect(partial.incomplete?.count == whole.rows.count, "\(partial.incomplete ?? [])")
        #expect(GateReport.compare(partial, with: BaselineFile.record(whole)).exitCode(strict: false) == 2)
        // A row only a later shard has is kept (and marked incomplete).
        var extra = parts[2]
        extra.rows.append(
            ResultRow(
                model: "Models/other", folder: "Models/other", dataset: "d", variant: "fp32", kind: .classification,
                samples: 5,
                fingerprint: nil, metrics: [:], range: [10, 15, 15], seconds: 0))
        let kept = try SuiteResults.merge([parts[0], parts[1], extra], allowIncomplete: true)
        #expect(kept.rows.contains { $0.model == "Models/other" })
        #expect(kept.incomplete?.contains { $0.contains("Models/other") && $0.contains("0..<10") } == true)
    }
}
