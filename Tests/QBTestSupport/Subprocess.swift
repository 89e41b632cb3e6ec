import Foundation

/// A child process run to completion, its two output streams read at the same time (a child that fills the pipe
/// of the stream nobody reads would otherwise block forever).
public enum Subprocess {
    /// What a finished child left: its exit status and both streams as text.
    public struct Outcome: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// Whether the tests (and the binaries beside them) are a debug build: only those honour `QB_FAULT`.
    public static let isDebugBuild: Bool = {
        #if DEBUG
            return true
        #else
            return false
        #endif
    }()

    /// The built `quantbench` binary: beside the test bundle in the build folder, else `.build/debug`.
    public static func quantbench() -> URL? {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("quantbench")
        let candidates = [beside, Fixtures.packageRoot.appendingPathComponent(".build/debug/quantbench")]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// Runs `executable` with `arguments` in `directory`, `environment` added to this process's.
    public static func run(
        _ executable: URL, _ arguments: [String], directory: URL, environment: [String: String] = [:]
    ) throws -> Outcome {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let errorText = StreamBox()
        let reader = DispatchGroup()
        DispatchQueue.global().async(group: reader) {
            errorText.data = errors.fileHandleForReading.readDataToEndOfFile()
        }
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        reader.wait()
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus, stdout: String(decoding: outputData, as: UTF8.self),
            stderr: String(decoding: errorText.data, as: UTF8.self))
    }

    /// The bytes one reader thread fills and the caller reads after waiting for it.
    private final class StreamBox: @unchecked Sendable {
        var data = Data()
    }
}
