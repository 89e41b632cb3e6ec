import Foundation
import QBEngine
@testable import QBHarness
import QBTensor
import QBTestSupport
import Testing

@Suite("The embedded default suite, end to end", .serialized)
struct DefaultSuiteTests {
    /// The variants the test runs (a debug build runs the whole table too slowly for CI; `quantbench` in
    /// a release build runs and gates all of them).
    static let variants: Set<String> = ["fp32", "int8", "fgq-n4", "pow2-5"]
    /// On the quickest model also QwT and mixed precision.
    static let resnetExtra: Set<String> = ["w4a4+qwt", "mp-b5"]

    @Test(
        """
        runs from the committed files and passes the committed baselines (FP32, int8, FGQ, power-of-two; QwT and \
        mixed precision on fmnist-resnet); 1 and 2 threads, and the kernels one ISA level lower, give \
        identical results
        """
    )
    func endToEnd() throws {
        let root = Fixtures.packageRoot.path
        var suite = try Suite.load(root + "/Suites/default.json")
        for i in suite.models.indices {
            let wanted =
                suite.models[i].model.hasSuffix("fmnist-resnet") ? Self.variants.union(Self.resnetExtra) : Self.variants
            suite.models[i].variants = suite.models[i].variants.filter { wanted.contains($0) }
        }
        // Kernel timing is a release-build benchmark: the speed checks are "other host class" here.
        var runner = SuiteRunner(root: root, options: SessionOptions(threads: 2))
        runner.measureKernels = false
        let results = try runner.run(suite)
        #expect(results.rows.count == 4 * Self.variants.count + Self.resnetExtra.count)
        var baseline = try BaselineFile.load(root + "/Baselines/default.json")
        baseline.entries = baseline.entries.filter {
            Self.variants.contains($0.variant) || ($0.model == "fmnist-resnet" && Self.resnetExtra.contains($0.variant))
        }
        #expect(baseline.entries.contains { $0.variant == "int8" })
        let gate = GateReport.compare(results, with: baseline)
        for c in gate.checks where c.status != .pass && c.status != .otherHost {
            Issue.record(
                "\(c.model) \(c.variant) \(c.metric): \(c.status) (\(c.value ?? .nan) vs \(c.baseline ?? .nan))")
        }
        #expect(gate.exitCode(strict: true) == 0)
        #expect(gate.fingerprintChanges.isEmpty)
        // Determinism: the quickest model again on one thread, same metrics to the bit.
        var one = suite
        one.models = [suite.models[0]]
        one.models[0].variants = ["fp32", "int8"]
        var singleRunner = SuiteRunner(root: root, options: SessionOptions(threads: 1))
        singleRunner.measureKernels = false
        let single = try singleRunner.run(one)
        for (a, b) in zip(single.rows, results.rows) {
            var ma = a.metrics, mb = b.metrics
            ma["calibration_seconds"] = nil
            mb["calibration_seconds"] = nil
            #expect(ma == mb, "\(a.variant)")
            #expect(a.fingerprint == b.fingerprint)
        }
        // One answer on every CPU path: the quickest model's variants again with the kernels capped one level
        // lower (AVX2, the level of GitHub's x86-64 runners, on a machine with AVX-512; portable on an AVX2 one):
        // every figure and every layer's SQNR identical to the bit.
        let levels = KernelISA.available
        let lower: KernelISA = levels.last! > .avx2 ? .avx2 : .portable
        var resnet = suite
        resnet.models = [suite.models[0]]
        // The portable level's plain loops are slow in a debug build: there, FP32 and int8 only.
        if lower == .portable {
            resnet.models[0].variants = resnet.models[0].variants.filter { ["fp32", "int8"].contains($0) }
        }
        var cappedRunner = SuiteRunner(root: root, options: SessionOptions(threads: 2))
        cappedRunner.measureKernels = false
        let capped = try KernelISA.capped(at: lower) { try cappedRunner.run(resnet) }
        #expect(capped.rows.count == resnet.models[0].variants.count)
        #expect(capped.environment.kernels == lower.description)
        for a in capped.rows {
            guard let b = results.rows.first(where: { $0.model == a.model && $0.variant == a.variant }) else {
                Issue.record("\(a.variant): not in the native run")
                continue
            }
            var ma = a.metrics, mb = b.metrics
            ma["calibration_seconds"] = nil
            mb["calibration_seconds"] = nil
            #expect(a.variant == b.variant)
            #expect(ma == mb, "\(a.variant) at \(lower) vs \(KernelISA.active)")
            #expect(a.layers?.map(\.sqnr) == b.layers?.map(\.sqnr), "\(a.variant) layer SQNR at \(lower)")
        }
    }
}
