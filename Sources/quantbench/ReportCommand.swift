import ArgumentParser
import Foundation
import QBHarness
import QBIngest

/// `quantbench report RESULTS.json --format latex|markdown|csv|json`: a results file's tables in another format.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a results file's tables as Markdown, LaTeX (for papers), CSV or JSON, without gating.")

    @Argument(help: "The results file (a run's or a merge's Reports/<suite>.json).")
    var results: String

    @Option(help: "markdown, latex, csv or json.")
    var format: ReportFormat = .latex

    @Option(help: "Write here (default: standard output).")
    var output: String?

    func run() throws {
        try CLI.guarded {
            let loaded = try SuiteResults.load(results)
            let data: Data
            switch format {
            case .markdown: data = Data(ReportWriter.markdown(loaded, gate: nil).utf8)
            case .latex: data = Data(ReportWriter.latex(loaded).utf8)
            case .csv: data = Data(ReportWriter.csv(loaded).utf8)
            case .json: data = try ReportWriter.json(loaded)
            }
            if let output {
                try AtomicFile.write(data, to: output)
                print("wrote \(output)")
            } else {
                FileHandle.standardOutput.write(data)
            }
        }
    }
}
