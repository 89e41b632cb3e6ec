import QBTensor

/// The error of the ingestion phase: every failure names the file (and the line, where there is one)
/// and says why, in words a user can act on.
public struct IngestError: LocatedError, Equatable {
    /// What went wrong, coarsely; tests and callers branch on this, people read `reason`.
    public enum Kind: String, Sendable {
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

    public let kind: Kind
    public let file: String
    public let line: Int?
    public let reason: String

    public init(_ kind: Kind, file: String, line: Int? = nil, _ reason: String) {
        self.kind = kind
        self.file = file
        self.line = line
        self.reason = reason
    }

    public var kindName: String { kind.rawValue }
    public var message: String { reason }
}
