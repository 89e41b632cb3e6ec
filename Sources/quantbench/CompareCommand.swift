import ArgumentParser
import Foundation
import QBHarness
import QBIngest

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

    @Option(help: "Write the Markdown here (default: standard output).")
    var markdown: String?

    @Option(help: "Also write the comparison as JSON here.")
    var json: String?

    func validate() throws {
        guard alpha > 0 && alpha < 1 else { throw ValidationError("--alpha must be between 0 and 1, not \(alpha)") }
    }

    func run() throws {
        var code: Int32 = 0
        try CLI.guarded {
            let comparison = RunComparison.compare(
                try SuiteResults.load(first), try SuiteResults.load(second), names: (first, second), alpha: alpha)
            let text = comparison.markdown()
            if let markdown {
                try AtomicFile.write(Data(text.utf8), to: markdown)
                print("wrote \(markdown)")
            } else {
                print(text)
            }
            if let json { try AtomicFile.write(try comparison.json(), to: json) }
            code = comparison.exitStatus.rawValue
        }
        if code != 0 { throw ExitCode(code) }
    }
}
