import Foundation

/// The gate as a JUnit XML file (`--junit FILE`), the test-report format GitHub (test-reporter actions), GitLab
/// (`artifacts:reports:junit`) and Jenkins (`junit` step) read: one test suite per model, one test case per gated
/// check (classname `model.variant`, name the metric).
///
/// A regression, a missing result, a missing baseline (exit 4) and, with `--strict`, an improvement are failures,
/// whose message holds the value, the baseline, the allowed change and the exit code; expected failures and speed
/// figures of another host class are skipped with the reason; an incomplete merge adds one failing case per gap.
public enum JUnitReport {
    /// The XML document for `gate` of `results`.
    public static func xml(_ gate: GateReport, results: SuiteResults, strict: Bool) -> String {
        let exit = gate.exitCode(strict: strict)
        var suites = [(name: String, cases: [String], failures: Int, skipped: Int)]()
        var models = [String]()
        var byModel = [String: [GateReport.Check]]()
        for check in gate.checks {
            if byModel[check.model] == nil { models.append(check.model) }
            byModel[check.model, default: []].append(check)
        }
        for model in models {
            var cases = [String](), failures = 0, skipped = 0
            for check in byModel[model]! {
                let open =
                    "    <testcase classname=\"\(escape("\(model).\(check.variant)"))\" "
                    + "name=\"\(escape(check.metric))\""
                switch outcome(check, strict: strict, exit: exit) {
                case .passed:
                    cases.append(open + " time=\"0\"/>")
                case .skipped(let reason):
                    skipped += 1
                    cases.append(open + " time=\"0\">\n      <skipped message=\"\(escape(reason))\"/>\n    </testcase>")
                case .failed(let type, let message):
                    failures += 1
                    cases.append(
                        open + " time=\"0\">\n      <failure type=\"\(escape(type))\" message=\"\(escape(message))\">"
                            + "\(escape(message))</failure>\n    </testcase>")
                }
            }
            suites.append((model, cases, failures, skipped))
        }
        if !gate.incomplete.isEmpty {
            let cases = gate.incomplete.map { gap in
                "    <testcase classname=\"merge\" name=\"\(escape(gap))\" time=\"0\">\n"
                    + "      <failure type=\"incomplete\" "
                    + "message=\"\(escape("\(gap); exit \(exit)"))\">\(escape(gap))</failure>\n    </testcase>"
            }
            suites.append(("merge", cases, cases.count, 0))
        }
        let tests = suites.reduce(0) { $0 + $1.cases.count }, failures = suites.reduce(0) { $0 + $1.failures }
        let skipped = suites.reduce(0) { $0 + $1.skipped }
        var lines = [
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
            "<testsuites name=\"quantbench \(escape(results.suite))\" tests=\"\(tests)\" failures=\"\(failures)\" "
                + "errors=\"0\" skipped=\"\(skipped)\">",
        ]
        for suite in suites {
            lines.append(
                "  <testsuite name=\"\(escape(results.suite)).\(escape(suite.name))\" tests=\"\(suite.cases.count)\" "
                    + "failures=\"\(suite.failures)\" errors=\"0\" skipped=\"\(suite.skipped)\" time=\"0\">")
            lines += suite.cases
            lines.append("  </testsuite>")
        }
        lines.append("</testsuites>")
        return lines.joined(separator: "\n") + "\n"
    }

    /// A run that could not be gated: one failing case that says why (exit 4).
    public static func notGated(_ results: SuiteResults, reason: String) -> String {
        let suite = escape(results.suite)
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <testsuites name="quantbench \(suite)" tests="1" failures="1" errors="0" skipped="0">
              <testsuite name="\(suite).gate" tests="1" failures="1" errors="0" skipped="0" time="0">
                <testcase classname="gate" name="baseline" time="0">
                  <failure type="missing baseline" message="\(escape(reason)); exit 4">\(escape(reason))</failure>
                </testcase>
              </testsuite>
            </testsuites>

            """
    }

    enum Outcome {
        case passed
        case skipped(String)
        case failed(type: String, message: String)
    }

    static func outcome(_ check: GateReport.Check, strict: Bool, exit: Int32) -> Outcome {
        let value = check.value.map { format($0) } ?? "none"
        let baseline = check.baseline.map { format($0) } ?? "none"
        let allowed = check.allowance.map { "allowed change \(format($0))" } ?? "no tolerance"
        let figures =
            "\(check.model) [\(check.variant)] \(check.metric): value \(value), baseline \(baseline), \(allowed)"
        switch check.status {
        case .pass:
            return .passed
        case .improvement:
            return strict
                ? .failed(
                    type: "improvement",
                    message: "\(figures): improved beyond tolerance (--strict); "
                        + "record a new baseline; exit \(exit)") : .passed
        case .regression:
            return .failed(type: "regression", message: "\(figures): worse than the baseline allows; exit \(exit)")
        case .missingResult:
            return .failed(type: "missing result", message: "\(figures): the run produced no value; exit \(exit)")
        case .missingBaseline:
            return .failed(
                type: "missing baseline",
                message: "\(figures): no baseline entry (quantbench baseline record); exit \(exit)")
        case .expectedFailure:
            return .skipped("expected failure: \(figures)")
        case .otherHost:
            return .skipped("speed figure recorded on another host class: \(figures)")
        }
    }

    static func format(_ value: Double) -> String { String(format: "%.6g", value) }

    /// XML attribute and text escaping.
    static func escape(_ text: String) -> String {
        var out = ""
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n": out += "&#10;"
            default:
                // Control characters are not allowed in XML 1.0.
                if c.value < 0x20 && c != "\t" { out += " " } else { out.unicodeScalars.append(c) }
            }
        }
        return out
    }
}
