import Foundation
import QBEngine
@testable import QBHarness
import QBTestSupport
import Testing

@Suite("A killed run resumes from its finished parts", .serialized)
struct ResumeTests {
    @Test("finished model entries are reused when model and card are unchanged, recomputed when not")
    func resume() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let suite = Suite(
            name: "quick", description: nil,
            models: [
                Suite.Entry(model: "Models/fmnist-resnet", variants: ["fp32"], limit: 64),
                Suite.Entry(model: "Models/austen-lm", variants: ["fp32"], limit: 8),
            ])
        var log = [String]()
        var runner = SuiteRunner(root: Fixtures.packageRoot.path, options: SessionOptions(threads: 2))
        runner.partsFolder = dir.appendingPathComponent("parts").path
        let first = try runner.run(suite)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("parts/part-0.json").path))
        runner.log = { log.append($0) }
        let again = try runner.run(suite)
        #expect(log.filter { $0.contains("resumed") }.count == 2)
        #expect(again.rows.map(\.counts) == first.rows.map(\.counts))
        // A part for another range is not reused.
        log = []
        var changed = suite
        changed.models[0].limit = 32
        let other = try runner.run(changed)
        #expect(log.filter { $0.contains("resumed") }.count == 1, "\(log)")
        #expect(other.rows[0].samples == 32)
    }
}
