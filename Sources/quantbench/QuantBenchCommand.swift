import ArgumentParser
import Foundation
import QBIngest

/// The `quantbench` command line.
@main
struct QuantBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantbench",
        abstract: "Benchmark and validate quantized neural networks on real evaluation sets.",
        discussion: """
            With no subcommand, runs the embedded default suite (see README.md).
            Exit codes: 0 success, 1 error (bad input, missing file, bad settings), 64 usage error.
            """,
        subcommands: [DefaultSuiteCommand.self, DecodeCommand.self, DatasetCommand.self, InferCommand.self, ModelCommand.self, ConformanceCommand.self, BenchCommand.self],
        defaultSubcommand: DefaultSuiteCommand.self)
}
