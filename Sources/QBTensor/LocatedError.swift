/// A failure that says where it happened and why, printed one way everywhere:
/// `FILE[:LINE]: KIND: MESSAGE`. Every phase's error type (ingest, engine, quantization, harness) conforms;
/// the CLI prints the description of any of them on one line.
public protocol LocatedError: Error, CustomStringConvertible, Sendable {
    /// The file the failure belongs to (a data file, a model, a suite, a baseline).
    var file: String { get }
    /// The line in `file`, where there is one.
    var line: Int? { get }
    /// What kind of failure, in a few words ("missing file", "malformed JSON", "bad setting", ...).
    var kindName: String { get }
    /// What went wrong, with the node or layer it concerns.
    var message: String { get }
}

extension LocatedError {
    public var description: String {
        "\(file)\(line.map { ":\($0)" } ?? ""): \(kindName): \(message)"
    }
}

/// The kinds of one phase's errors: a string enum whose raw values are the words printed as KIND.
public protocol ErrorKind: RawRepresentable, Sendable, Equatable where RawValue == String {}

/// The error of one phase (`IngestError`, `EngineError`, `QuantError`, `HarnessError` are its kinds' aliases): the
/// file, the line where there is one, the kind, what in the file it concerns (a node, a layer), and the reason.
/// Each phase adds its own initializer in a constrained extension, with the labels its callers use.
public struct PhaseError<Kind: ErrorKind>: LocatedError, Equatable {
    public let kind: Kind
    public let file: String
    public let line: Int?
    /// What in the file the error concerns ("node 'n' (Conv)", "layer 'conv1'"), where there is one.
    public let subject: String?
    public let reason: String

    public init(_ kind: Kind, file: String, line: Int?, subject: String?, _ reason: String) {
        self.kind = kind
        self.file = file
        self.line = line
        self.subject = subject
        self.reason = reason
    }

    public var kindName: String { kind.rawValue }
    public var message: String { (subject.map { "\($0): " } ?? "") + reason }
}
