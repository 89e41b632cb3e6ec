import ArgumentParser
import Foundation
import QBIngest

/// `quantbench dataset inspect PATH`.
struct DatasetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset", abstract: "Work with evaluation sets.", subcommands: [Inspect.self])

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read a whole set as a model would be fed it; print its count, classes and fingerprint.",
            discussion: """
                PATH is an ImageFolder (one subfolder per class), a folder of unlabeled images, a manifest \
                (.csv or .jsonl with path,label), an IDX images file (raw or gzip; labels found by name), a \
                labeled text set (.csv or .jsonl with text,label) or a text corpus (any other file).
                """)

        @Argument(help: "The data set.")
        var path: String

        @OptionGroup var options: IngestOptions

        func run() throws {
            try CLI.guarded {
                let report = try DatasetInspector.inspect(
                    path, settings: options.settings, progress: CLI.progressPrinter(label: path))
                CLI.printReport(report)
            }
        }
    }
}
