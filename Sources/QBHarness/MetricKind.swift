/// Every figure a result row can carry, with the direction that is better: the gate, the baselines and the
/// metric sets of `Metric` take the polarity from here, so a new metric cannot be gated the wrong way by omission.
public enum MetricKind: String, CaseIterable, Sendable, Codable {
    case top1 = "top1"
    case top5 = "top5"
    case agreement = "agreement"
    case kl = "kl"
    case top1CILow = "top1_ci_low"
    case top1CIHigh = "top1_ci_high"
    case deltaTop1 = "delta_top1"
    case flipsCorrectToWrong = "flips_correct_to_wrong"
    case flipsWrongToCorrect = "flips_wrong_to_correct"
    case perplexity = "perplexity"
    case perplexitySE = "perplexity_se"
    case deltaPerplexity = "delta_perplexity"
    case bitsPerByte = "bits_per_byte"
    case modelBytes = "model_bytes"
    case compression = "compression"
    case bitsPerWeight = "bits_per_weight"
    case multsEliminated = "mults_eliminated"
    case kernelSpeedup = "kernel_speedup"
    case kernelGOPS = "kernel_gops"
    case calibrationSeconds = "calibration_seconds"
    /// The share of the model's weights (Conv, ConvTranspose, Gemm, MatMul, recurrent and embedding tensors) that
    /// the variant stores quantized, and of its multiply-accumulates that run quantized (`QuantizedShare`).
    case quantizedWeights = "quantized_weights"
    case quantizedMACs = "quantized_macs"
    /// FP32's end-to-end time over the variant's on the same input, in the same run (external variants).
    case modelSpeedup = "model_speedup"

    public enum Polarity: Sendable {
        case higherIsBetter, lowerIsBetter
    }

    /// Which direction is an improvement. Deltas are variant minus FP32: a perplexity delta is better lower, a
    /// top-1 delta higher; the standard error of perplexity is better lower (a tighter estimate).
    public var polarity: Polarity {
        switch self {
        case .top1, .top5, .agreement, .top1CILow, .top1CIHigh, .deltaTop1, .flipsWrongToCorrect, .compression,
            .multsEliminated,
            .kernelSpeedup, .kernelGOPS, .quantizedWeights, .quantizedMACs, .modelSpeedup:
            return .higherIsBetter
        case .kl, .flipsCorrectToWrong, .perplexity, .perplexitySE, .deltaPerplexity, .bitsPerByte, .modelBytes,
            .bitsPerWeight,
            .calibrationSeconds:
            return .lowerIsBetter
        }
    }

    /// Speed figures: gated only against a baseline recorded on the same host class.
    public var isHostDependent: Bool { self == .kernelSpeedup || self == .kernelGOPS || self == .modelSpeedup }

    /// `worse` > 0 when `value` is worse than `baseline` by that much, in this metric's direction.
    public func worsening(from baseline: Double, to value: Double) -> Double {
        polarity == .lowerIsBetter ? value - baseline : baseline - value
    }

    /// The tolerance a recorded baseline gets by default; nil: not gated unless a baseline lists it.
    public var defaultTolerance: Tolerance? {
        switch self {
        case .top1, .top5: return Tolerance(absolute: 0.002, relative: nil, twoSided: true)
        case .agreement: return Tolerance(absolute: 0.002, relative: nil, twoSided: false)
        case .kl: return Tolerance(absolute: 1e-4, relative: nil, twoSided: false)
        case .perplexity: return Tolerance(absolute: nil, relative: 1e-4, twoSided: true)
        // The serialized size is exact: any change in a format or a method shows.
        case .modelBytes: return Tolerance(absolute: 0, relative: nil, twoSided: true)
        // Speed ratios move with the machine's load: a generous one-sided tolerance, same host class only.
        case .kernelSpeedup: return Tolerance(absolute: nil, relative: 0.35, twoSided: false)
        default: return nil
        }
    }

    /// The report's column header.
    public var header: String {
        switch self {
        case .top1: return "top-1"
        case .top5: return "top-5"
        case .agreement: return "agreement"
        case .kl: return "KL vs FP32"
        case .top1CILow: return "top-1 CI low"
        case .top1CIHigh: return "top-1 CI high"
        case .deltaTop1: return "delta top-1 vs FP32"
        case .flipsCorrectToWrong: return "flips c->w"
        case .flipsWrongToCorrect: return "flips w->c"
        case .perplexity: return "perplexity"
        case .perplexitySE: return "perplexity SE"
        case .deltaPerplexity: return "delta vs FP32"
        case .bitsPerByte: return "bits/byte"
        case .modelBytes: return "size (bytes)"
        case .compression: return "compression"
        case .bitsPerWeight: return "bits/weight"
        case .multsEliminated: return "multiplications eliminated"
        case .kernelSpeedup: return "kernel speedup"
        case .kernelGOPS: return "kernel GOP/s"
        case .calibrationSeconds: return "calibration (s)"
        case .quantizedWeights: return "weights quantized"
        case .quantizedMACs: return "MACs quantized"
        case .modelSpeedup: return "model speedup"
        }
    }

    /// How the report shows a value: times `scale`, with `digits` decimals, then `suffix` (fractions as percent).
    public var display: (scale: Double, digits: Int, suffix: String) {
        switch self {
        case .top1, .top5, .agreement, .top1CILow, .top1CIHigh: return (100, 2, "%")
        case .deltaTop1: return (100, 2, " pt")
        case .multsEliminated, .quantizedWeights, .quantizedMACs: return (100, 1, "%")
        case .kl: return (1, 5, "")
        case .flipsCorrectToWrong, .flipsWrongToCorrect, .modelBytes: return (1, 0, "")
        case .perplexity, .perplexitySE, .deltaPerplexity, .bitsPerByte: return (1, 4, "")
        case .compression: return (1, 2, "x")
        case .bitsPerWeight, .kernelSpeedup, .kernelGOPS, .calibrationSeconds, .modelSpeedup: return (1, 2, "")
        }
    }

    /// `value` as the report shows it ("-", without a unit, when absent); `digits` overrides the metric's.
    public func formatted(_ value: Double?, digits: Int? = nil) -> String {
        let (scale, defaultDigits, suffix) = display
        guard let value else { return "-" }
        return String(format: "%.\(digits ?? defaultDigits)f", value * scale) + suffix
    }

    /// The known names, for error messages.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// What the metrics mean and which direction is better.
public enum Metric {
    public static let higherIsBetter = Set(
        MetricKind.allCases.filter { $0.polarity == .higherIsBetter }.map(\.rawValue))
    public static let lowerIsBetter = Set(MetricKind.allCases.filter { $0.polarity == .lowerIsBetter }.map(\.rawValue))

    /// Metrics that are gated by default when a baseline is recorded, with their default tolerance.
    public static let gatedByDefault: [String: Tolerance] = Dictionary(
        uniqueKeysWithValues: MetricKind.allCases.compactMap { kind in kind.defaultTolerance.map { (kind.rawValue, $0) }
        })

    /// Metrics gated only against a baseline recorded on the same host class (`Environment.sameHostClass`).
    public static let hostDependent = Set(MetricKind.allCases.filter(\.isHostDependent).map(\.rawValue))
}
