import ArgumentParser
import Foundation
import QBEngine
import QBIngest

/// `quantbench conformance [DIR]`: ONNX's node tests through the engine.
struct ConformanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conformance",
        abstract: "Run ONNX backend node tests (Debian libonnx-testdata) and report pass counts.")

    @Argument(help: "Folder of test folders.")
    var root: String = "/usr/share/libonnx-testdata/data/node"

    @Flag(help: "Run with the graph rewrites on.")
    var optimize = false

    @Option(help: "Write a Markdown report here.")
    var report: String?

    @Flag(help: "List every failing test with its reason.")
    var verbose = false

    /// The reason without the file path and node name, so equal reasons group together.
    static func shortReason(_ why: String) -> String {
        var text = why
        if let r = text.range(of: "unsupported: ") { text = String(text[r.upperBound...]) }
        if let r = text.range(of: "): "), text.hasPrefix("node ") { text = String(text[r.upperBound...]) }
        return text.replacingOccurrences(of: #"\(1 node: [^)]*\)"#, with: "", options: .regularExpression)
    }

    @OptionGroup var isaOptions: ISAOptions

    func run() throws {
        isaOptions.apply()
        try CLI.guarded {
            guard FileManager.default.fileExists(atPath: root) else {
                throw IngestError(.missingFile, file: root, "no test folder: apt-get install libonnx-testdata")
            }
            let cases = Conformance.run(root: root, optimize: optimize)
            let passed = cases.filter { $0.outcome == .passed }
            let failed = cases.filter {
                if case .failed = $0.outcome { return true }
                return false
            }
            let unsupported = cases.count - passed.count - failed.count
            print("tests: \(cases.count); passed \(passed.count); failed \(failed.count); unsupported \(unsupported)")
            // Unsupported tests grouped by reason (the operators, types or attributes not supported).
            var reasons = [String: [String]]()
            for c in cases {
                if case .unsupported(let why) = c.outcome { reasons[Self.shortReason(why), default: []].append(c.name) }
            }
            if verbose {
                for c in failed { if case .failed(let why) = c.outcome { print("FAIL \(c.name): \(why)") } }
                for (why, names) in reasons.sorted(by: { $0.value.count > $1.value.count }) {
                    print("UNSUPPORTED \(names.count): \(why)")
                }
            }
            if let report {
                var lines = [
                    "# ONNX node conformance", "",
                    "`quantbench conformance \(root)\(optimize ? " --optimize" : "")`: \(cases.count) tests; "
                        + "**\(passed.count) passed**, \(failed.count) failed, \(unsupported) use an unsupported "
                        + "operator, type or attribute.",
                    "",
                    "## Failures", "",
                ]
                for c in failed {
                    if case .failed(let why) = c.outcome {
                        lines.append("- `\(c.name)`: \(why.replacingOccurrences(of: "\n", with: " "))")
                    }
                }
                lines += ["", "## Not supported, and why", ""] + ConformanceReasons.markdown(reasons)
                lines += ["## Passed", "", passed.map { "`\($0.name)`" }.joined(separator: ", "), ""]
                try AtomicFile.write(Data(lines.joined(separator: "\n").utf8), to: report)
                print("wrote \(report)")
            }
        }
    }
}
