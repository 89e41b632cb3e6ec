/// What an operator sees when it runs or is checked: its node, the model file and the opset.
struct OpContext: Sendable {
    let node: Node
    let file: String
    let opset: Int
    var threads: Int = 1
    /// Most iterations a Loop or Scan may run (`EngineLimits.maxLoopIterations`).
    var maxLoopIterations: Int = EngineLimits().maxLoopIterations

    func fail(_ kind: EngineErrorKind = .badInput, _ reason: String) -> EngineError {
        EngineError(kind, file: file, node: node.label, reason)
    }

    func int(_ key: String, _ fallback: Int) throws -> Int { try node.int(key, fallback, file: file) }
    func float(_ key: String, _ fallback: Float) throws -> Float { try node.float(key, fallback, file: file) }
    func ints(_ key: String) throws -> [Int]? { try node.ints(key, file: file) }
    func floats(_ key: String) throws -> [Float]? { try node.floats(key, file: file) }
    func string(_ key: String, _ fallback: String) throws -> String { try node.string(key, fallback, file: file) }
    func strings(_ key: String) throws -> [String]? { try node.strings(key, file: file) }

    /// Input `i`, which must be present.
    func input(_ inputs: [Value?], _ i: Int) throws -> Value {
        guard i < inputs.count, let v = inputs[i] else { throw fail(.malformedModel, "input \(i) is required") }
        return v
    }

    /// Optional input `i` (absent or "").
    func optional(_ inputs: [Value?], _ i: Int) -> Value? {
        i < inputs.count ? inputs[i] : nil
    }

    /// A float input (any floating type).
    func floatInput(_ inputs: [Value?], _ i: Int) throws -> Value {
        let v = try input(inputs, i)
        guard v.type.isFloat else {
            throw fail(.typeMismatch, "input \(i) must be a floating-point tensor, not \(v.signature)")
        }
        return v
    }

    /// Normalizes an axis in [-rank, rank) to [0, rank).
    func axis(_ a: Int, rank: Int) throws -> Int {
        guard a >= -rank && a < max(rank, 1) else {
            throw fail(.badAttribute, "axis \(a) is out of range for rank \(rank)")
        }
        return a < 0 ? a + rank : a
    }

    /// The element count of a shape computed from data (Expand, ConstantOfShape, Tile, Range), refusing
    /// negative dimensions and counts over the engine's limit instead of overflowing.
    func checkedCount(_ shape: [Int], limit: Int = 1 << 31) throws -> Int {
        var n = 1
        for d in shape {
            guard d >= 0 else { throw fail(.badInput, "negative dimension in \(shape)") }
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            guard !overflow, p <= limit else { throw fail(.limit, "shape \(shape) has more than \(limit) elements") }
            n = p
        }
        return n
    }

    /// An int64 list held in an input tensor (axes, shape, pads, ...).
    func intList(_ inputs: [Value?], _ i: Int) throws -> [Int]? {
        guard let v = optional(inputs, i) else { return nil }
        guard !v.type.isFloat else { throw fail(.typeMismatch, "input \(i) must hold integers") }
        return v.ints.map { Int(clamping: $0) }
    }
}

/// An operator implementation: `run` computes outputs from input values; `infer` computes output
/// types and shapes from input types and shapes (used to check a graph before it runs).
/// The closures are pure functions of their arguments (they capture only constants), so the table
/// is safe to share between threads.
struct OperatorDef: @unchecked Sendable {
    let run: (OpContext, [Value?]) throws -> [Value]
    let infer: ((OpContext, [TypeInfo?]) throws -> [TypeInfo])?
}

/// What is known of a value before running: its type, its shape (dims may be symbolic), and, for
/// values computed from constants only, the value itself.
struct TypeInfo: Equatable, Sendable {
    var type: DataType
    var shape: [Dim]?
    var constant: Value?
    /// For 1-D integer tensors computed from shapes (Shape, Gather, Concat, ...): their elements as
    /// dimensions, some symbolic. This is how Reshape targets built from `Shape(x)` stay known.
    var elements: [Dim]?

    init(type: DataType, shape: [Dim]?, constant: Value? = nil, elements: [Dim]? = nil) {
        self.type = type
        self.shape = shape
        self.constant = constant
        self.elements = elements
    }

    /// The elements as dimensions: from the constant, or from the symbolic elements.
    var elementDims: [Dim]? {
        if let constant, !constant.type.isFloat, constant.rank <= 1 {
            return constant.ints.map { .fixed(Int(clamping: $0)) }
        }
        return elements
    }

    init(_ value: Value) {
        self.init(type: value.type, shape: value.shape.map { .fixed($0) }, constant: value)
    }

    var rank: Int? { shape?.count }
}

/// Row-major strides of a shape.
func strides(_ shape: [Int]) -> [Int] {
    var s = [Int](repeating: 1, count: shape.count)
    var acc = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
        s[i] = acc
        acc *= shape[i]
    }
    return s
}

extension Array where Element == TypeInfo? {
    /// Input `i`'s type, nil when absent or beyond the inputs the node gives (a malformed node must not trap).
    func at(_ i: Int) -> TypeInfo? { i >= 0 && i < count ? self[i] : nil }
}
