import QBTensor

/// What went wrong in the engine phase (model import, graph checks, execution).
public enum EngineErrorKind: String, ErrorKind {
    case missingFile = "missing file"
    case malformedModel = "malformed model"
    case unsupported = "unsupported"
    case badAttribute = "bad attribute"
    case shapeMismatch = "shape mismatch"
    case typeMismatch = "type mismatch"
    case badInput = "bad input"
    case limit = "over a limit"
    case io = "i/o error"
}

/// The error of the engine phase: it names the model file, and the node and operator where there is one.
public typealias EngineError = PhaseError<EngineErrorKind>

extension PhaseError where Kind == EngineErrorKind {
    /// `node`: `node 'name' (OpType)`, when the error belongs to a node.
    public init(_ kind: Kind, file: String, node: String? = nil, _ reason: String) {
        self.init(kind, file: file, line: nil, subject: node, reason)
    }

    /// `node 'name' (OpType)`, when the error belongs to a node.
    public var node: String? { subject }
}
