import Foundation
import QBMetrics

/// The raw tallies behind a result's metrics: integers only, so that shard results add up exactly, in any
/// order, to what one unsharded run gives. Real-valued sums (KL, log-likelihoods) are held in fixed point,
/// 2^32 units per 1.0, rounded per sample (or per window) before they are added.
public enum Counts {
    public static let scale = 4_294_967_296.0

    static func fixed(_ x: Double) -> Int64 { Int64((x * scale).rounded()) }

    /// Tallies of a classification against its labels and against the FP32 reference.
    static func classification(_ c: ModelEvaluation.Classification, reference r: ModelEvaluation.Classification)
        -> [String: Int64]
    {
        var counts: [String: Int64] = [
            "n": Int64(c.count), "correct": Int64(c.correct), "top5": Int64(c.topK(5)),
            "reference_correct": Int64(r.correct),
        ]
        counts["agree"] = Int64(zip(c.predictions, r.predictions).filter { $0 == $1 }.count)
        counts["flips_c2w"] = Int64(
            c.labels.indices.filter { r.predictions[$0] == c.labels[$0] && c.predictions[$0] != c.labels[$0] }.count)
        counts["flips_w2c"] = Int64(
            c.labels.indices.filter { r.predictions[$0] != c.labels[$0] && c.predictions[$0] == c.labels[$0] }.count)
        if c.classes > 0 && r.classes == c.classes {
            counts["kl_fixed"] = c.labels.indices.reduce(Int64(0)) {
                $0 + fixed(Statistics.klDivergence(reference: r.row($1), c.row($1)))
            }
        }
        return counts
    }

    /// Tallies of a perplexity run and its FP32 reference.
    static func perplexity(_ p: ModelEvaluation.Perplexity, reference r: ModelEvaluation.Perplexity) -> [String: Int64]
    {
        let perWindow = p.windowNLL.map { $0 * Double(p.predicted / max(p.windows, 1)) }
        return [
            "windows": Int64(p.windows), "predicted": Int64(p.predicted),
            "nll_fixed": perWindow.reduce(Int64(0)) { $0 + fixed($1) },
            "window_mean_fixed": p.windowNLL.reduce(Int64(0)) { $0 + fixed($1) },
            "window_mean_sq_fixed": p.windowNLL.reduce(Int64(0)) { $0 + fixed($1 * $1) },
            "reference_nll_fixed": r.windowNLL.map { $0 * Double(r.predicted / max(r.windows, 1)) }.reduce(Int64(0)) {
                $0 + fixed($1)
            },
        ]
    }

    /// The metrics of a result, computed from its tallies only.
    public static func metrics(kind: EvaluationKind, _ c: [String: Int64]) -> [String: Double] {
        func v(_ k: String) -> Double { Double(c[k] ?? 0) }
        var m = [String: Double]()
        switch kind {
        case .classification:
            let n = max(v("n"), 1)
            let ci = Statistics.wilson(successes: Int(v("correct")), n: Int(v("n")))
            m["top1"] = v("correct") / n
            m["top1_ci_low"] = ci.low
            m["top1_ci_high"] = ci.high
            m["top5"] = v("top5") / n
            m["delta_top1"] = (v("correct") - v("reference_correct")) / n
            m["agreement"] = v("agree") / n
            m["flips_correct_to_wrong"] = v("flips_c2w")
            m["flips_wrong_to_correct"] = v("flips_w2c")
            if c["kl_fixed"] != nil { m["kl"] = v("kl_fixed") / scale / n }
        case .perplexity:
            let predicted = max(v("predicted"), 1), w = max(v("windows"), 1)
            let meanNLL = v("nll_fixed") / scale / predicted
            m["perplexity"] = exp(meanNLL)
            m["bits_per_byte"] = meanNLL / log(2)
            m["delta_perplexity"] = exp(meanNLL) - exp(v("reference_nll_fixed") / scale / predicted)
            let s1 = v("window_mean_fixed") / scale, s2 = v("window_mean_sq_fixed") / scale
            let variance = w > 1 ? max(s2 - s1 * s1 / w, 0) / (w - 1) : 0
            m["perplexity_se"] = exp(meanNLL) * (variance / w).squareRoot()
        case .agreement:
            m["agreement"] = v("agree") / max(v("n"), 1)
        }
        return m
    }
}
