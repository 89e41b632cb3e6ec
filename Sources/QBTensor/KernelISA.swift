import CKernels
import Foundation

/// The instruction-set levels the C kernels dispatch on (`qb_cpu.h`), each including the ones below it.
/// Every level computes the same bits; a cap only chooses which code runs, so any path can be tested and
/// benchmarked on a machine that has a higher one (like oneDNN's `ONEDNN_MAX_CPU_ISA`).
public enum KernelISA: Int32, CaseIterable, Comparable, Sendable, CustomStringConvertible {
    case portable = 0
    case avx2 = 1
    case avx512 = 2
    case vnni = 3

    /// The environment variable that caps the process (`portable`, `avx2`, `avx512`, `vnni`, `native`).
    public static let environmentVariable = "QB_MAX_ISA"

    public static func < (lhs: KernelISA, rhs: KernelISA) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { String(cString: qb_isa_name(rawValue)) }

    /// The level named `portable`, `avx2`, `avx512`, `vnni` or `native` (the detected one); nil otherwise.
    public init?(name: String) {
        let level = qb_isa_parse(name)
        guard level >= 0, let isa = KernelISA(rawValue: level) else { return nil }
        self = isa
    }

    /// The highest level this CPU has.
    public static var detected: KernelISA { KernelISA(rawValue: qb_isa_detected()) ?? .portable }

    /// The level the kernels use on this thread (detected, capped by the process and thread caps).
    public static var active: KernelISA { KernelISA(rawValue: qb_isa()) ?? .portable }

    /// Every level this machine can run, lowest first.
    public static var available: [KernelISA] { allCases.filter { $0 <= detected } }

    /// The value of `QB_MAX_ISA` when it names no level (the cap is then not applied), else nil.
    public static var invalidEnvironmentValue: String? {
        guard qb_isa_env_invalid() != 0 else { return nil }
        return String(cString: getenv(environmentVariable))
    }

    /// Caps every thread of the process (the CLI's `--max-isa`).
    public static func setProcessCap(_ cap: KernelISA) { _ = qb_isa_set_process_cap(cap.rawValue) }

    /// Runs `body` with the calling thread capped at `cap` (and `Parallel.forEach`'s workers it starts);
    /// the previous cap is restored after. Tests use it to run every path in one process.
    public static func capped<T>(at cap: KernelISA, _ body: () throws -> T) rethrows -> T {
        let previous = qb_isa_set_thread_cap(cap.rawValue)
        defer { _ = qb_isa_set_thread_cap(previous) }
        return try body()
    }
}
