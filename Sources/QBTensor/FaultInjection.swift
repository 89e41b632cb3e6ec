import Foundation

/// Deliberate faults, for the tests that prove the gate can fail (`QB_FAULT=weights,rounding,labels`):
/// `weights` flips the sign of every 7th element of each float initializer of 64+ elements when a model
/// loads; `rounding` rounds int8 weight codes toward zero instead of to nearest; `labels` shifts every
/// 10th evaluation label to the next class. Honoured only in debug builds: a release build never reads
/// the variable, so no production run can be perturbed by its environment.
public enum FaultInjection {
    public static let active: Set<String> = {
        #if DEBUG
            return Set((ProcessInfo.processInfo.environment["QB_FAULT"] ?? "").split(separator: ",").map(String.init))
        #else
            return []
        #endif
    }()

    public static func isActive(_ fault: String) -> Bool { !active.isEmpty && active.contains(fault) }

    /// The `labels` fault: every 10th label moved to the next class (identity when the fault is off).
    public static func shifted(_ labels: [Int], classes: Int) -> [Int] {
        guard isActive("labels"), classes > 1 else { return labels }
        return labels.enumerated().map { $0.offset % 10 == 0 ? ($0.element + 1) % classes : $0.element }
    }
}
