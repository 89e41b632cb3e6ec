import ArgumentParser
import Foundation
import QBEngine
import QBHarness

/// `quantbench prepare [SUITE]`: quantize every variant of a suite once, for the shards that follow to load.
struct PrepareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare",
        abstract: "Quantize every variant of a suite once into the cache, so that runs and shards load them.",
        discussion: """
            Writes each quantized variant's .qbqm file and its facts to <cache>/prepared/, content-addressed by \
            the variant's settings, the model's bytes, the calibration tensors and the quantbench executable \
            (a rebuilt binary never reuses them). `quantbench run` (and every `run --shard`) with the same cache \
            then loads each variant instead of calibrating and quantizing it again; the figures are the same. \
            Mixed precision's sensitivities are cached there too.
            """)

    @Argument(help: "The suite file.")
    var suite: String = "Suites/default.json"

    @OptionGroup var rootOptions: RootOptions

    @OptionGroup var threadOptions: ThreadOptions

    @Option(help: "The cache folder (default .cache/quantbench in the project folder); use the shards' --cache.")
    var cache: String?

    @OptionGroup var isaOptions: ISAOptions

    func run() throws {
        isaOptions.apply()
        try CLI.guarded {
            let root = rootOptions.root
            let s = try Suite.load(GateOptions.resolve(suite, root: root))
            var runner = SuiteRunner(
                root: root, options: SessionOptions(threads: threadOptions.threads),
                log: { FileHandle.standardError.write(Data("  \($0)\n".utf8)) })
            runner.cacheFolder = cache.map { GateOptions.resolve($0, root: root) } ?? root + "/.cache/quantbench"
            runner.preparedFolder = runner.cacheFolder! + "/prepared"
            let start = Date()
            let written = try runner.prepare(s)
            print(
                String(
                    format: "suite %@: %d variants prepared in %.1f s, in %@", s.name, written,
                    Date().timeIntervalSince(start), runner.preparedFolder!))
        }
    }
}
