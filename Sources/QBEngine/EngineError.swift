import QBTensor

/// The error of the engine phase (model import, graph checks, execution): it names the model file,
/// and the node and operator where there is one.
public struct EngineError: LocatedError, Equatable {
    public enum Kind: String, Sendable {
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

    public let kind: Kind
    public let file: String
    /// `node 'name' (OpType)`, when the error belongs to a node.
    public let node: String?
    public let reason: String

    public init(_ kind: Kind, file: String, node: String? = nil, _ reason: String) {
        self.kind = kind
        self.file = file
        self.node = node
        self.reason = reason
    }

    public var line: Int? { nil }
    public var kindName: String { kind.rawValue }
    public var message: String { (node.map { "\($0): " } ?? "") + reason }
}
