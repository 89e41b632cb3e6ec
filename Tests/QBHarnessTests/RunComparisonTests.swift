import Foundation
@testable import QBHarness
import QBMetrics
import Testing

/// `quantbench compare`: paired significance (p-values checked against SciPy 1.17.1 on the same tables), the
/// per-sample outcomes results keep (and shards merge), and the verdict's exit code.
@Suite("Comparing two runs: McNemar, paired t, per-sample outcomes")
struct RunComparisonTests {
    @Test(
        "McNemar's exact p equals SciPy's binomtest(b, b + c, 0.5).pvalue",
        arguments: [
            (0, 0, 1.0), (3, 0, 0.25), (10, 2, 0.03857421875), (25, 40, 0.08168153394154003),
            (120, 151, 0.06820129335098757), (7, 7, 1.0), (1, 30, 2.9802322387695312e-08),
            (500, 560, 0.06990955946026937),
        ])
    func mcNemar(_ b: Int, _ c: Int, _ scipy: Double) {
        let p = PairedTests.mcNemarExact(b: b, c: c)
        #expect(abs(p - scipy) <= 1e-9 * max(scipy, 1e-12) + 1e-15, "b=\(b) c=\(c): \(p) vs SciPy \(scipy)")
        #expect(PairedTests.mcNemarExact(b: c, c: b) == p)
    }

    @Test("the paired t-test's t and p equal SciPy's ttest_1samp on the same differences")
    func pairedT() {
        let cases: [([Double], Double, Double)] = [
            (
                [0.169117, 0.264324, 0.166087, -0.160631, 0.281071, 0.189275, -0.007391, 0.216224],
                2.63762084261856, 0.033539185018965044
            ),
            ([0.974882, 1.133831, 1.243769, 1.076586, 0.824856], 14.742116661750416, 0.0001232269925741953),
        ]
        for (d, t, p) in cases {
            let got = PairedTests.pairedT(d)
            #expect(abs(got.t - t) < 1e-9 * abs(t) && abs(got.p - p) < 1e-7 * p, "\(got) vs SciPy (\(t), \(p))")
        }
        #expect(PairedTests.pairedT([0.1]).p == 1 && PairedTests.pairedT([0.2, 0.2]).p == 0)
        #expect(PairedTests.pairedT([0, 0, 0]).p == 1)
    }

    @Test("outcome bits round-trip; a wrong length or stray bits are refused; shards concatenate")
    func outcomes() {
        let bits = (0..<21).map { $0 % 3 == 0 }
        let text = SampleOutcomes.encode(bits)
        #expect(SampleOutcomes.decode(text, count: 21) == bits)
        #expect(SampleOutcomes.decode(text, count: 16) == nil && SampleOutcomes.decode("***", count: 8) == nil)
        #expect(SampleOutcomes.decode(SampleOutcomes.encode([true, true, true]), count: 2) == nil)
        let joined = SampleOutcomes.concatenate([
            (SampleOutcomes.encode(Array(bits[..<5])), 5), (SampleOutcomes.encode(Array(bits[5...])), 16),
        ])
        #expect(joined == text)
        #expect(SampleOutcomes.concatenate([(nil, 3)]) == nil)
    }

    /// A classification run of 200 samples where sample i is right unless `wrong(i)`.
    static func run(wrong: (Int) -> Bool) -> SuiteResults {
        var results = syntheticResults()
        let bits = (0..<200).map { !wrong($0) }
        results.rows[0].samples = 200
        results.rows[0].outcomes = SampleOutcomes.encode(bits)
        results.rows[0].metrics["top1"] = Double(bits.filter { $0 }.count) / 200
        results.rows[1].samples = 4
        results.rows[1].windowLoss = [1.0, 1.1, 0.9, 1.0].map { Int64($0 * Counts.scale) }
        return results
    }

    @Test("a candidate that loses 12 samples and gains 2 is significantly worse (exit 2); one that loses 2 is not")
    func verdict() {
        let release = Self.run { $0 % 10 == 0 }  // 20 wrong
        let worse = Self.run { ($0 % 10 == 0 && $0 > 10) || (101...113).contains($0) }
        let comparison = RunComparison.compare(release, worse, names: ("a", "b"))
        let top1 = comparison.entries.first { $0.model == "cnn" && $0.metric == "top1" }
        #expect(top1?.test == "mcnemar-exact" && top1?.detail == "only A right 12, only B right 2")
        #expect(top1?.pValue.map { abs($0 - PairedTests.mcNemarExact(b: 12, c: 2)) < 1e-15 } == true)
        #expect(top1?.significant == true && top1?.worse == true && comparison.exitStatus == .regression)
        #expect(comparison.markdown().contains("**worse**"))
        let close = RunComparison.compare(release, Self.run { $0 % 10 == 0 || $0 == 1 || $0 == 3 }, names: ("a", "b"))
        #expect(close.exitStatus == .success)
        let ppl = close.entries.first { $0.metric == "perplexity" }
        #expect(ppl?.test == "paired-t" && ppl?.pValue == 1)
    }

    @Test("rows without outcomes or with different samples are compared without a test, and the notes say why")
    func unpaired() {
        var other = Self.run { $0 % 10 == 0 }
        other.rows[0].samples = 199
        other.rows.removeLast()
        let comparison = RunComparison.compare(Self.run { $0 % 10 == 0 }, other, names: ("a", "b"))
        #expect(comparison.entries.filter { $0.model == "cnn" }.allSatisfy { $0.test == nil })
        #expect(comparison.notes.contains { $0.contains("200 samples against 199") })
        #expect(comparison.notes.contains { $0.contains("lm [fp32]: only in a") })
        #expect(comparison.exitStatus == .success)
    }
}
