import ArgumentParser
import Foundation
import QBHarness
import QBIngest

extension ReportFormat: ExpressibleByArgument {}

/// `quantbench compare A.json B.json`: two runs' results side by side with paired significance tests.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two results files (release A against candidate B): values, differences, significance.",
        discussion: """
            Per model, variant and metric: both values and B - A. Top-1 and agreement are tested with McNemar's \
            exact test on the per-sample outcomes both runs kept, perplexity with a paired t-test over windows. \
            Exit 2 when B is significantly worse (p < --alpha) on top-1, agreement or perplexity; else 0.
            """)

    @Argument(help: "The reference results (e.g. the last release's Reports/<suite>.json).")
    var first: String

    @Argument(help: "The candidate's results.")
    var second: String

    @Option(help: "Significance level, between 0 and 1.")
    var alpha: Double = 0.05

    @Option(help: "markdown, latex or json.")
    var format: ReportFormat = .markdown

    @Option(help: "Write here (default: standard output).")
    var output: String?

    func validate() throws {
        guard alpha > 0 && alpha < 1 else { throw ValidationError("--alpha must be between 0 and 1, not \(alpha)") }
        guard format != .csv else { throw ValidationError("compare writes markdown, latex or json, not csv") }
    }

    func run() throws {
        var code: Int32 = 0
        try CLI.guarded {
            let comparison = RunComparison.compare(
                try SuiteResults.load(first), try SuiteResults.load(second), names: (first, second), alpha: alpha)
            let data: Data
            switch format {
            case .json: data = try comparison.json()
            case .latex: data = Data(comparison.latex().utf8)
            case .markdown, .csv: data = Data(comparison.markdown().utf8)
            }
            if let output {
                try AtomicFile.write(data, to: output)
                print("wrote \(output)")
            } else {
                FileHandle.standardOutput.write(data)
            }
            code = comparison.exitStatus.rawValue
        }
        if code != 0 { throw ExitCode(code) }
    }
}
