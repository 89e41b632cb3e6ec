import Foundation
import QBIngest
import QBTensor

/// What a suite, baseline or results file, or a run, got wrong.
public enum HarnessErrorKind: String, ErrorKind {
    case missingFile = "missing file"
    case badSuite = "bad suite"
    case badBaseline = "bad baseline"
    case badResults = "bad results"
    case badVariant = "bad variant"
    case evaluation = "evaluation failed"
    /// `quantbench init`: a model or data set that cannot be brought into a suite as given.
    case cannotInitialize = "cannot initialize"
    /// `--shard auto`: the environment names no shard, or names one that does not fit.
    case badShard = "bad shard"
}

/// A suite, baseline or results file that cannot be used, or a run that cannot go on: the file, the line when
/// known, what kind of failure, and the reason.
public typealias HarnessError = PhaseError<HarnessErrorKind>

extension PhaseError where Kind == HarnessErrorKind {
    public init(_ kind: Kind, file: String, line: Int? = nil, _ reason: String) {
        self.init(kind, file: file, line: line, subject: nil, reason)
    }

    /// A JSON decoding error of `data` (the bytes of `file`) as a short sentence with its JSON path, at the
    /// line where the offending value (or the text's first syntax error) is.
    public static func decoding(_ error: Error, kind: Kind, file: String, data: Data, what: String) -> HarnessError {
        let problem = JSONLocator.decodingProblem(error, in: data)
        return HarnessError(kind, file: file, line: problem.line, "\(what): \(problem.reason)")
    }

    /// An error about the value at `path` (e.g. ["entries", 3]) of `data`, at its line.
    public static func at(
        _ path: [JSONLocator.Step], kind: Kind, file: String, data: Data, _ reason: String
    ) -> HarnessError {
        HarnessError(kind, file: file, line: JSONLocator.locate(path, in: data).line, reason)
    }
}
