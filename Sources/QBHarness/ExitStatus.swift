/// The exit codes of `quantbench`, which CI jobs tell apart (README "Exit codes").
public enum ExitStatus: Int32, Sendable, CaseIterable {
    /// Every gated figure within its baseline tolerance (or a command that succeeded).
    case success = 0
    /// Bad or missing input, an unreadable file, bad settings, a bad suite or baseline file.
    case error = 1
    /// A figure worse than its baseline beyond tolerance, a non-finite figure, a baselined figure missing from the
    /// run, or merged results with gaps; also `model eval` when the engine's figure differs from the card's.
    case regression = 2
    /// An improvement beyond tolerance on a two-sided metric, with `--strict` (ratchet the baseline).
    case improvement = 3
    /// A gated-by-default figure without a baseline entry.
    case baselineMissing = 4
    /// A usage error: an unknown option or a value out of range (swift-argument-parser's validation code).
    case usage = 64

    /// The verdict a report prints for this status.
    public var verdict: String {
        switch self {
        case .success: return "pass"
        case .regression: return "REGRESSION"
        case .improvement: return "improvement beyond tolerance"
        case .baselineMissing: return "baseline missing"
        case .error, .usage: return "error"
        }
    }
}
