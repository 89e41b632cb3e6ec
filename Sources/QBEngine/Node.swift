/// An attribute value of a node.
public enum Attribute: Sendable, Equatable {
    case float(Float)
    case int(Int)
    case string(String)
    case tensor(Value)
    case floats([Float])
    case ints([Int])
    case strings([String])
    /// A subgraph (If's branches, Loop's and Scan's bodies).
    case graph(Subgraph)
}

/// One operator application in a graph.
public struct Node: Sendable, Equatable {
    public var name: String
    public var opType: String
    public var domain: String
    /// Input value names; "" marks an omitted optional input.
    public var inputs: [String]
    public var outputs: [String]
    public var attributes: [String: Attribute]
    /// The names this node's subgraphs read from the enclosing graphs. The values themselves are the last
    /// `captures.count` entries of `inputs` (which rewrites may rename; these names stay as the subgraphs see them).
    public var captures: [String]

    public init(
        name: String, opType: String, domain: String = "", inputs: [String], outputs: [String],
        attributes: [String: Attribute] = [:], captures: [String] = []
    ) {
        self.captures = captures
        self.name = name
        self.opType = opType
        self.domain = domain
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
    }

    /// How errors name the node: `node 'name' (OpType)`.
    public var label: String { "node '\(name.isEmpty ? outputs.first ?? "?" : name)' (\(opType))" }

    // MARK: Typed attribute access; a wrong type is an error naming the attribute.

    /// The operator's name qualified by its domain outside the default one: `Conv`, `com.microsoft.QLinearAdd`.
    public var qualifiedType: String { domain.isEmpty ? opType : "\(domain).\(opType)" }

    /// The inputs the operator declares, without the captured values.
    public var declaredInputs: ArraySlice<String> { inputs.dropLast(captures.count) }

    func error(_ file: String, _ reason: String) -> EngineError {
        EngineError(.badAttribute, file: file, node: label, reason)
    }

    func int(_ key: String, _ fallback: Int, file: String) throws -> Int {
        switch attributes[key] {
        case nil: return fallback
        case .int(let v)?: return v
        default: throw error(file, "attribute '\(key)' must be an integer")
        }
    }

    func float(_ key: String, _ fallback: Float, file: String) throws -> Float {
        switch attributes[key] {
        case nil: return fallback
        case .float(let v)?: return v
        case .int(let v)?: return Float(v)
        default: throw error(file, "attribute '\(key)' must be a float")
        }
    }

    func ints(_ key: String, file: String) throws -> [Int]? {
        switch attributes[key] {
        case nil: return nil
        case .ints(let v)?: return v
        case .int(let v)?: return [v]
        default: throw error(file, "attribute '\(key)' must be a list of integers")
        }
    }

    func floats(_ key: String, file: String) throws -> [Float]? {
        switch attributes[key] {
        case nil: return nil
        case .floats(let v)?: return v
        case .float(let v)?: return [v]
        default: throw error(file, "attribute '\(key)' must be a list of floats")
        }
    }

    func strings(_ key: String, file: String) throws -> [String]? {
        switch attributes[key] {
        case nil: return nil
        case .strings(let v)?: return v
        case .string(let v)?: return [v]
        default: throw error(file, "attribute '\(key)' must be a list of strings")
        }
    }

    func string(_ key: String, _ fallback: String, file: String) throws -> String {
        switch attributes[key] {
        case nil: return fallback
        case .string(let v)?: return v
        default: throw error(file, "attribute '\(key)' must be a string")
        }
    }

    func tensor(_ key: String, file: String) throws -> Value? {
        switch attributes[key] {
        case nil: return nil
        case .tensor(let v)?: return v
        default: throw error(file, "attribute '\(key)' must be a tensor")
        }
    }
}
