import ArgumentParser
import Foundation

/// `--threads N`, one option for every command: worker threads for decoding, kernels and evaluation. Every figure
/// is identical for any value (results do not depend on the split), so the default is this machine's cores.
struct ThreadOptions: ParsableArguments {
    /// The most threads a run may ask for (far above any core count these jobs see; a typo is refused, not obeyed).
    static let limit = 1024

    @Option(help: "Threads, 1 to 1024 (default: this machine's cores; results are identical for any value).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        guard (1...Self.limit).contains(threads) else {
            throw ValidationError("--threads must be between 1 and \(Self.limit), got \(threads)")
        }
    }
}
