/// Every figure a result row can carry, with the direction that is better: the gate, the baselines and the
/// metric sets of `Metric` take the polarity from here, so a new metric cannot be gated the wrong way by omission.
public enum MetricKind: String, CaseIterable, Sendable, Codable {
    case top1 = "top1", top5 = "top5", agreement = "agreement", kl = "kl"
    case top1CILow = "top1_ci_low", top1CIHigh = "top1_ci_high", deltaTop1 = "delta_top1"
    case flipsCorrectToWrong = "flips_correct_to_wrong", flipsWrongToCorrect = "flips_wrong_to_correct"
    case perplexity = "perplexity", perplexitySE = "perplexity_se", deltaPerplexity = "delta_perplexity"
    case bitsPerByte = "bits_per_byte"
    case modelBytes = "model_bytes", compression = "compression", bitsPerWeight = "bits_per_weight"
    case multsEliminated = "mults_eliminated"
    case kernelSpeedup = "kernel_speedup", kernelGOPS = "kernel_gops", calibrationSeconds = "calibration_seconds"

    public enum Polarity: Sendable {
        case higherIsBetter, lowerIsBetter
    }

    /// Which direction is an improvement. Deltas are variant minus FP32: a perplexity delta is better lower, a
    /// top-1 delta higher; the standard error of perplexity is better lower (a tighter estimate).
    public var polarity: Polarity {
        switch self {
        case .top1, .top5, .agreement, .top1CILow, .top1CIHigh, .deltaTop1, .flipsWrongToCorrect, .compression, .multsEliminated,
             .kernelSpeedup, .kernelGOPS:
            return .higherIsBetter
        case .kl, .flipsCorrectToWrong, .perplexity, .perplexitySE, .deltaPerplexity, .bitsPerByte, .modelBytes, .bitsPerWeight,
             .calibrationSeconds:
            return .lowerIsBetter
        }
    }

    /// Speed figures: gated only against a baseline recorded on the same host class.
    public var isHostDependent: Bool { self == .kernelSpeedup || self == .kernelGOPS }

    /// `worse` > 0 when `value` is worse than `baseline` by that much, in this metric's direction.
    public func worsening(from baseline: Double, to value: Double) -> Double {
        polarity == .lowerIsBetter ? value - baseline : baseline - value
    }

    /// The known names, for error messages.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
