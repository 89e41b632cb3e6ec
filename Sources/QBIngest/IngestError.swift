import QBTensor

/// What went wrong in the ingestion phase, coarsely; tests and callers branch on this, people read the reason.
public enum IngestErrorKind: String, ErrorKind {
    case missingFile = "missing file"
    case unreadable = "unreadable file"
    case emptyFile = "empty file"
    case unknownFormat = "unknown format"
    case corrupt = "corrupt data"
    case truncated = "truncated data"
    case tooLarge = "over a limit"
    case unsupported = "unsupported"
    case badDataset = "bad dataset"
    case badCSV = "malformed CSV"
    case badJSON = "malformed JSON"
    case unknownLabel = "unknown label"
    case badSetting = "bad setting"
    case badVocabulary = "bad vocabulary"
    case writeFailed = "write failed"
}

/// The error of the ingestion phase: every failure names the file (and the line, where there is one)
/// and says why, in words a user can act on.
public typealias IngestError = PhaseError<IngestErrorKind>

extension PhaseError where Kind == IngestErrorKind {
    public init(_ kind: Kind, file: String, line: Int? = nil, _ reason: String) {
        self.init(kind, file: file, line: line, subject: nil, reason)
    }
}
