import ArgumentParser
import Foundation
import QBIngest
import QBTensor

/// The `quantbench` command line.
@main
struct QuantBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantbench",
        abstract: "Benchmark and validate quantized neural networks on real evaluation sets.",
        discussion: """
            With no subcommand, runs the embedded default suite (Suites/default.json), writes Reports/default.md \
            and gates against Baselines/default.json (see README.md).
            Exit codes: 0 success; 1 error (bad input, missing file, bad settings); 2 regression; \
            3 improvement beyond tolerance (--strict); 4 baseline missing; 64 usage error.
            """,
        subcommands: [
            RunCommand.self, GateCommand.self, MergeCommand.self, BaselineCommand.self, DatasetsCommand.self,
            DecodeCommand.self, DatasetCommand.self, InferCommand.self, QuantizeCommand.self, ModelCommand.self,
            ConformanceCommand.self, BenchCommand.self, InitCommand.self, CompareCommand.self, ReportCommand.self,
            PrepareCommand.self,
        ],
        defaultSubcommand: RunCommand.self)

    static func main() {
        MemoryPolicy.keepFreedMemory()
        main(nil)
    }
}
