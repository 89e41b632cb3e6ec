import Foundation
import QBQuant

/// One evaluated (model, set, variant) with its metrics; the rows of a suite run.
public struct ResultRow: Codable, Sendable, Equatable {
    public var model: String
    public var folder: String
    public var dataset: String
    public var variant: String
    public var kind: EvaluationKind
    public var samples: Int
    /// The input fingerprint (image sets), proving the inputs did not drift.
    public var fingerprint: String?
    /// Metric values by name (see `Metric`), computed from `counts` (plus bits per weight and size).
    public var metrics: [String: Double]
    /// The integer tallies the metrics come from; shards add them up exactly (see `Counts`).
    public var counts: [String: Int64] = [:]
    /// Which samples (perplexity: windows) this row covers when it is one shard's part: [first, end, total].
    public var range: [Int]? = nil
    /// Per sample, whether it was right (classification: top-1 = label; agreement: top-1 = FP32's), as
    /// `SampleOutcomes` bits, for paired comparisons between runs.
    public var outcomes: String? = nil
    /// Per window, the mean negative log-likelihood in fixed point (`Counts.scale`), for paired comparisons of
    /// perplexity runs.
    public var windowLoss: [Int64]? = nil
    /// Wall-clock seconds (excluded from determinism comparisons).
    public var seconds: Double
    /// The quantized layers: payload, zeros, method facts and SQNR against FP32 on the calibration inputs.
    public var layers: [LayerReport]? = nil
    /// QwT's blocks (variants with QwT).
    public var blocks: [BlockReport]? = nil
    /// Mixed precision's choice and front.
    public var mixed: MixedReport? = nil
    /// Where an external variant came from: its file, size, sha256 and the suite's note.
    public var source: String? = nil
}
