/// A dimension of a declared or inferred shape.
public enum Dim: Sendable, Equatable, CustomStringConvertible {
    case fixed(Int)
    /// A named, run-time dimension (batch, sequence).
    case symbol(String)
    case unknown

    public var value: Int? {
        if case .fixed(let v) = self { return v }
        return nil
    }

    public var description: String {
        switch self {
        case .fixed(let v): return String(v)
        case .symbol(let s): return s
        case .unknown: return "?"
        }
    }
}

/// A graph input or output: name, element type and shape (nil when undeclared).
public struct ValueInfo: Sendable, Equatable {
    public var name: String
    public var type: DataType?
    public var shape: [Dim]?
    /// The declared TensorProto element code when it is a tensor of a type the engine does not carry (0 otherwise).
    public var unsupportedElement: Int32 = 0

    public init(name: String, type: DataType?, shape: [Dim]?) {
        self.name = name
        self.type = type
        self.shape = shape
    }
}

/// A model's main graph in the engine's form: nodes in a topological order, constant tensors
/// (initializers), and the graph's inputs (without initializers) and outputs.
public struct Graph: Sendable {
    public var nodes: [Node]
    public var initializers: [String: Value]
    public var inputs: [ValueInfo]
    public var outputs: [ValueInfo]
    /// The default-domain opset the model imports.
    public var opset: Int
    /// The model file, for error messages.
    public var file: String
    /// The kernels of the graph's kernel layers (`LayerKernels`), by node name.
    public var kernels: [String: any LayerKernel] = [:]
    /// What the loader tolerated in the file and read another way (one line per kind, for the user to see).
    public var notices: [String] = []

    public init(
        nodes: [Node], initializers: [String: Value], inputs: [ValueInfo], outputs: [ValueInfo], opset: Int,
        file: String
    ) {
        self.nodes = nodes
        self.initializers = initializers
        self.inputs = inputs
        self.outputs = outputs
        self.opset = opset
        self.file = file
    }

    /// Orders `nodes` so that every node comes after the producers of its inputs (Kahn's algorithm,
    /// keeping the file order among ready nodes). Errors name a value produced twice, an input that
    /// nothing produces, or the nodes of a cycle.
    static func topologicallySorted(_ nodes: [Node], available: Set<String>, file: String) throws -> [Node] {
        var producer = [String: Int]()
        for (i, n) in nodes.enumerated() {
            for o in n.outputs where !o.isEmpty {
                if producer[o] != nil || available.contains(o) {
                    throw EngineError(
                        .malformedModel, file: file, node: n.label, "value '\(o)' is produced more than once")
                }
                producer[o] = i
            }
        }
        var pending = [Int](repeating: 0, count: nodes.count)
        var consumers = [[Int]](repeating: [], count: nodes.count)
        for (i, n) in nodes.enumerated() {
            for input in Set(n.inputs) where !input.isEmpty {
                if let p = producer[input] {
                    pending[i] += 1
                    consumers[p].append(i)
                } else if !available.contains(input) {
                    throw EngineError(
                        .malformedModel, file: file, node: n.label,
                        "input '\(input)' is not a graph input, an initializer or any node's output")
                }
            }
        }
        var ready = (0..<nodes.count).filter { pending[$0] == 0 }
        var order = [Node]()
        order.reserveCapacity(nodes.count)
        var cursor = 0
        while cursor < ready.count {
            let i = ready[cursor]
            cursor += 1
            order.append(nodes[i])
            for c in consumers[i] {
                pending[c] -= 1
                if pending[c] == 0 { ready.append(c) }
            }
        }
        if order.count != nodes.count {
            let stuck = (0..<nodes.count).filter { pending[$0] > 0 }.prefix(5).map { nodes[$0].label }
            throw EngineError(
                .malformedModel, file: file, "the graph has a cycle through \(stuck.joined(separator: ", "))")
        }
        return order
    }
}
