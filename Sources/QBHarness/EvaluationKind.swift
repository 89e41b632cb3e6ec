/// What a model's evaluation measures, which decides its metrics, its report table and its sample unit.
public enum EvaluationKind: String, Codable, Sendable, CaseIterable {
    /// Labeled samples: top-1 / top-5 against the labels, agreement and KL against FP32.
    case classification
    /// A language model on a corpus: perplexity over windows.
    case perplexity
    /// Unlabeled samples: top-1 agreement with FP32 only.
    case agreement

    /// What the evaluation counts ("samples", or "windows" for perplexity).
    public var sampleUnit: String { self == .perplexity ? "windows" : "samples" }

    /// The accuracy figure a chart or a paper check plots (perplexity, else top-1 or agreement in percent).
    public func headline(_ metrics: [String: Double]) -> Double? {
        self == .perplexity ? metrics["perplexity"] : (metrics["top1"] ?? metrics["agreement"]).map { $0 * 100 }
    }
}
