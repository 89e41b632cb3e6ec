import QBMetrics
import Testing

/// Reference values computed with SciPy 1.17 (scipy.stats.binomtest(...).proportion_ci(method="wilson"),
/// scipy.special.rel_entr over softmaxes) and by hand.
@Suite("Metric math against SciPy and hand-computed cases")
struct StatisticsTests {
    @Test(
        "Wilson 95% intervals",
        arguments: [
            (1834, 2000, 0.904094913280437, 0.9283062692869981), (0, 10, 0.0, 0.27753279986288926),
            (10, 10, 0.7224672001371109, 1.0), (772, 1000, 0.7449850163320578, 0.7969332270518),
            (1, 3, 0.06149194472039626, 0.7923403991979523),
        ])
    func wilson(_ c: (Int, Int, Double, Double)) {
        let ci = Statistics.wilson(successes: c.0, n: c.1)
        #expect(abs(ci.low - c.2) < 1e-12 && abs(ci.high - c.3) < 1e-12, "\(c.0)/\(c.1): \(ci)")
    }

    @Test("KL divergence of softmaxes")
    func kl() {
        let p: [Float] = [2.0, 1.0, 0.1, -3.0], q: [Float] = [1.5, 1.2, 0.3, -2.0]
        #expect(abs(Statistics.klDivergence(reference: p[...], q[...]) - 0.06288006900971659) < 1e-9)
        #expect(Statistics.klDivergence(reference: p[...], p[...]) == 0)
        // Shifting all logits leaves the softmax, and so the divergence, unchanged.
        #expect(abs(Statistics.klDivergence(reference: p[...], q.map { $0 + 7 }[...]) - 0.06288006900971659) < 1e-6)
    }

    @Test("mean and standard error; top-k membership")
    func meanAndTopK() {
        let (m, se) = Statistics.meanAndStandardError([1, 2, 4, 7])
        #expect(m == 3.5 && abs(se - 1.3228756555322954) < 1e-12)
        let row: [Float] = [0.1, 0.9, 0.5, 0.9, 0.2]
        #expect(Statistics.inTopK(row[...], label: 1, k: 1))
        #expect(!Statistics.inTopK(row[...], label: 3, k: 1), "a tie goes to the lower index")
        #expect(Statistics.inTopK(row[...], label: 3, k: 2))
        #expect(!Statistics.inTopK(row[...], label: 4, k: 3))
        #expect(Statistics.inTopK(row[...], label: 4, k: 4))
    }
}
