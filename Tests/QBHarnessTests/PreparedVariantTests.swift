import Foundation
import QBEngine
@testable import QBHarness
import QBQuant
import QBTestSupport
import Testing

/// `quantbench prepare`: variants quantized once and loaded by later runs give the same figures; a damaged prepared
/// file is an error naming it.
@Suite("Prepared variants", .serialized)
struct PreparedVariantTests {
    static let timing: Set<String> = ["calibration_seconds", "kernel_gops", "kernel_speedup", "model_speedup"]

    static func suite() -> Suite {
        var entry = Suite.Entry(
            model: "Models/fmnist-resnet", variants: ["fp32", "int8", "fgq-n4", "w4a4+qwt"], limit: 40, calibration: 32)
        entry.qwtSamples = 32
        return Suite(name: "prepared", description: nil, models: [entry])
    }

    static func runner(_ folder: URL) -> SuiteRunner {
        var runner = SuiteRunner(root: Fixtures.packageRoot.path, options: SessionOptions(threads: 2))
        runner.measureKernels = false
        runner.preparedFolder = folder.path
        return runner
    }

    @Test("a run that loads the prepared variants equals one that quantizes them, figure for figure")
    func sameFigures() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("qb-prepared-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let runner = Self.runner(folder)
        let built = try runner.run(Self.suite())
        #expect(try runner.prepare(Self.suite()) == 3)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(files.filter { $0.hasSuffix(".qbqm") }.count == 3 && files.filter { $0.hasSuffix(".json") }.count == 3)
        let loaded = try runner.run(Self.suite())
        #expect(built.rows.count == loaded.rows.count)
        for (a, b) in zip(built.rows, loaded.rows) {
            #expect(a.counts == b.counts && a.outcomes == b.outcomes, "\(a.variant)")
            #expect(
                a.metrics.filter { !Self.timing.contains($0.key) }
                    == b.metrics.filter { !Self.timing.contains($0.key) },
                "\(a.variant)")
            // Block reports equal but for their fitting time.
            func untimed(_ blocks: [BlockReport]?) -> [BlockReport]? {
                blocks?.map { block in
                    var block = block
                    block.seconds = 0
                    return block
                }
            }
            #expect(a.layers == b.layers && untimed(a.blocks) == untimed(b.blocks), "\(a.variant)")
        }
    }

    @Test("a damaged prepared file stops the run with an error naming it")
    func damaged() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("qb-prepared-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        var suite = Self.suite()
        suite.models[0].variants = ["fp32", "int8"]
        let runner = Self.runner(folder)
        #expect(try runner.prepare(suite) == 1)
        let model = try #require(
            try FileManager.default.contentsOfDirectory(atPath: folder.path).first { $0.hasSuffix(".qbqm") })
        var bytes = try Data(contentsOf: folder.appendingPathComponent(model))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: folder.appendingPathComponent(model))
        #expect {
            _ = try runner.run(suite)
        } throws: { error in
            "\(error)".contains(model)
        }
    }
}
