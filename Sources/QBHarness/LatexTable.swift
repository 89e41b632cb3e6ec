import Foundation

/// Tables in LaTeX for papers (`--format latex`): booktabs rules (`\toprule`, `\midrule`, `\bottomrule`), one
/// `table` float per table with its caption and label, text escaped so that any variant or model name compiles.
public enum LatexTable {
    /// `text` with LaTeX's special characters escaped; "+-" becomes `$\pm$` and "->" `$\to$`.
    public static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "\\": out += "\\textbackslash{}"
            case "&", "%", "$", "#", "_", "{", "}": out += "\\" + String(c)
            case "~": out += "\\textasciitilde{}"
            case "^": out += "\\textasciicircum{}"
            default: out.append(c)
            }
        }
        return out.replacingOccurrences(of: "+-", with: "$\\pm$").replacingOccurrences(of: "->", with: "$\\to$")
    }

    /// A `table` float: `header` over `rows` (cells already formatted as text), columns aligned by `alignment`
    /// (e.g. "lrrr").
    public static func table(
        header: [String], rows: [[String]], alignment: String, caption: String, label: String
    ) -> [String] {
        func line(_ cells: [String]) -> String { cells.map(escape).joined(separator: " & ") + " \\\\" }
        return [
            "\\begin{table}[t]", "\\centering", "\\caption{\(escape(caption))}", "\\label{\(labelName(label))}",
            "\\begin{tabular}{\(alignment)}", "\\toprule", line(header), "\\midrule",
        ] + rows.map(line) + ["\\bottomrule", "\\end{tabular}", "\\end{table}", ""]
    }

    /// A label made of letters, digits, ':' and '-' only.
    static func labelName(_ text: String) -> String {
        String(text.map { $0.isLetter || $0.isNumber || $0 == ":" || $0 == "-" ? $0 : "-" })
    }

    /// The document preamble a table needs, as a comment for the reader.
    public static let preambleNote = "% Requires \\usepackage{booktabs} in the preamble."
}
