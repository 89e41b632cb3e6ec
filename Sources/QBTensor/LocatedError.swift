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
