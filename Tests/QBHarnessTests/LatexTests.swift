import Foundation
@testable import QBHarness
import Testing

/// `--format latex`: escaping, and tables whose rows have as many cells as the column specification.
@Suite("LaTeX tables")
struct LatexTests {
    @Test("special characters are escaped; +- and -> become math")
    func escaping() {
        #expect(LatexTable.escape("w4a4_x & 50% #1 $ {a}") == "w4a4\\_x \\& 50\\% \\#1 \\$ \\{a\\}")
        #expect(LatexTable.escape("5.1 +- 0.1, c->w") == "5.1 $\\pm$ 0.1, c$\\to$w")
        #expect(LatexTable.escape("a\\b~^") == "a\\textbackslash{}b\\textasciitilde{}\\textasciicircum{}")
    }

    /// The unescaped '&' separators of a LaTeX row.
    static func cells(_ line: String) -> Int {
        var count = 1, previous: Character = " "
        for c in line {
            if c == "&" && previous != "\\" { count += 1 }
            previous = c
        }
        return count
    }

    @Test("a results file's tables: one float per model, every row as wide as its tabular")
    func reportTables() {
        var results = syntheticResults()
        results.rows[0].variant = "int8_pt & more"
        let text = ReportWriter.latex(results)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0 == "\\begin{table}[t]" }.count == 2)
        #expect(lines.filter { $0 == "\\end{table}" }.count == 2)
        var width = 0
        for line in lines {
            if line.hasPrefix("\\begin{tabular}{") { width = line.count - "\\begin{tabular}{}".count }
            if line.hasSuffix(" \\\\") { #expect(Self.cells(line) == width, "\(line)") }
        }
        #expect(text.contains("int8\\_pt \\& more") && text.contains("\\label{tab:synthetic-cnn}"))
    }

    @Test("a comparison's LaTeX has one table per model with its verdicts")
    func comparisonTables() {
        let comparison = RunComparison.compare(syntheticResults(), syntheticResults(top1: 0.8), names: ("a", "b"))
        let text = comparison.latex()
        #expect(text.components(separatedBy: "\\begin{tabular}{llrrrlrl}").count == 3)
        #expect(text.contains("top1 & 0.9 & 0.8 & -0.1"))
    }
}
