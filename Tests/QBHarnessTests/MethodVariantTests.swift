import Foundation
import QBEngine
@testable import QBHarness
import QBQuant
import QBTestSupport
import Testing

/// The variants that sit on other variants: `+qwt` on any quantized one, mixed precision with its
/// sensitivity cache, and their report tables.
@Suite("QwT and mixed-precision variants in the harness", .serialized)
struct MethodVariantTests {
    @Test("variant names: any quantized variant takes +qwt; FP32 and unknown names do not")
    func names() {
        #expect(Variants.named("w4a4+qwt")?.qwt != nil)
        #expect(Variants.named("mp-b5+qwt")?.mixed != nil)
        #expect(Variants.named("fp32+qwt") == nil)
        #expect(Variants.named("nope+qwt") == nil)
        #expect(Variants.named("int8")?.qwt == nil)
        for name in MixedDef.defaultCandidates { #expect(Variants.named(name)?.method != nil, "\(name)") }
    }

    @Test("every committed suite file loads: its variant names are known and its settings valid")
    func committedSuites() throws {
        let folder = Fixtures.packageRoot.appendingPathComponent("Suites").path
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".json") }
            .sorted()
        #expect(files.contains("default.json") && files.contains("nightly.json"))
        for f in files {
            let suite = try Suite.load(folder + "/" + f)
            #expect(suite.models.allSatisfy { $0.variants.contains("fp32") }, "\(f)")
        }
        // A bad QwT block override is refused with the file named.
        let bad = try Fixtures.temporaryDirectory().appendingPathComponent("bad.json")
        try Data(
            (#"{"name": "x", "models": [{"model": "Models/fmnist-resnet", "variants": ["fp32"], "#
                + #""qwt_blocks": [["a"]]}]}"#)
                .utf8
        ).write(to: bad)
        do {
            _ = try Suite.load(bad.path)
            Issue.record("a bad qwt_blocks entry was accepted")
        } catch let e as HarnessError {
            #expect(e.file == bad.path && e.reason.contains("qwt_blocks"))
        }
    }

    @Test(
        """
        a suite with W4A4, W4A4+QwT and mixed precision: the sensitivities come from the cache the second time with \
        identical results, the report shows both tables
        """
    )
    func suiteWithMethods() throws {
        let root = Fixtures.packageRoot.path
        let cache = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: cache) }
        let suite = Suite(
            name: "methods", description: nil,
            models: [
                Suite.Entry(
                    model: "Models/fmnist-resnet", variants: ["fp32", "w4a4", "w4a4+qwt", "mp-b5"], limit: 400,
                    calibration: 128, dataset: nil, qwtSamples: 128)
            ])
        var runner = SuiteRunner(root: root, options: SessionOptions(threads: 2))
        runner.measureKernels = false
        runner.cacheFolder = cache.path
        let first = try runner.run(suite)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: cache.path).filter { $0.hasPrefix("sensitivity-") }
                .count == 1)
        let second = try runner.run(suite)
        let mixed = try #require(second.rows.first { $0.variant == "mp-b5" }?.mixed)
        #expect(mixed.cached && first.rows.first { $0.variant == "mp-b5" }?.mixed?.cached == false)
        for (a, b) in zip(first.rows, second.rows) {
            var ma = a.metrics, mb = b.metrics
            for k in ["calibration_seconds"] {
                ma[k] = nil
                mb[k] = nil
            }
            #expect(ma == mb, "\(a.variant)")
        }
        // The deployed allocation meets its budget, measured on the serialized file.
        let bits = try #require(second.rows.first { $0.variant == "mp-b5" }?.metrics["bits_per_weight"])
        #expect(bits <= 5)
        #expect(mixed.greedy.count == 10 && mixed.front.count >= 2)
        let base = try #require(second.rows.first { $0.variant == "w4a4" }),
            qwt = try #require(second.rows.first { $0.variant == "w4a4+qwt" })
        #expect(qwt.blocks?.count == 3)
        #expect(qwt.metrics["model_bytes"]! > base.metrics["model_bytes"]!)
        // Whether QwT helps on the evaluation set is a measured result (the report's), not a test; each
        // block's fit reduces the error on the calibration samples.
        #expect(
            qwt.blocks!.allSatisfy { $0.gated || $0.errorAfter < $0.errorBefore } && qwt.blocks!.contains { !$0.gated })
        let md = ReportWriter.markdown(second, gate: nil)
        #expect(
            md.contains("QwT per block") && md.contains("| w4a4 | ")
                && md.contains("Greedy front against the exact optimum"))
        #expect(MethodTables.frontSVG(second)?.contains("<polyline") == true)
    }
}
