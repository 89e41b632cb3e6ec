import ArgumentParser
import QBTensor

/// `--max-isa`: caps the kernels' run-time dispatch (README, "Kernel paths"), like the `QB_MAX_ISA`
/// environment variable, which it overrides. Every level gives the same figures; only speed differs.
struct ISAOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Highest kernel ISA to use: portable, avx2, avx512, vnni or native (default: QB_MAX_ISA, else native).",
            valueName: "level"))
    var maxIsa: String?

    func validate() throws {
        if let value = KernelISA.invalidEnvironmentValue {
            throw ValidationError(
                "\(KernelISA.environmentVariable)='\(value)' is not one of portable, avx2, avx512, vnni, native")
        }
        if let maxIsa, KernelISA(name: maxIsa) == nil {
            throw ValidationError("--max-isa '\(maxIsa)' is not one of portable, avx2, avx512, vnni, native")
        }
    }

    /// Sets the process cap when `--max-isa` was given.
    func apply() {
        if let maxIsa, let level = KernelISA(name: maxIsa) { KernelISA.setProcessCap(level) }
    }
}
