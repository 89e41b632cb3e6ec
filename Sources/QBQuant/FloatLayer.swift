import QBEngine

/// A layer's FP32 operator (Conv, Gemm or MatMul) with replaced weights, run by the engine: the
/// simulated (fake-quantized) forms and weight-only variants compute through it.
struct FloatLayer: @unchecked Sendable {
    let session: Session
    let input: String
    let output: String

    /// `weights` is [rows][depth] as in `LayerSpec`; it is put back in the node's own layout.
    init(_ spec: LayerSpec, weights: [Float], bias: [Float]?, file: String) throws {
        var node = spec.node
        let original = spec.node.inputs[1]
        var initializers = [String: Value]()
        switch spec.kind {
        case .conv(_, let kernel):
            initializers[original] = Value(shape: [spec.rows, spec.depth / spec.taps] + kernel, floats: weights)
        case .linear:
            if LayerSpec.weightTransposed(node) {
                initializers[original] = Value(shape: [spec.rows, spec.depth], floats: weights)
            } else {
                let m = spec.rows, k = spec.depth
                initializers[original] = Value(
                    shape: [k, m], floats: (0..<(m * k)).map { weights[($0 % m) * k + $0 / m] })
            }
        }
        if let bias {
            if node.inputs.count > 2 && !node.inputs[2].isEmpty {
                initializers[node.inputs[2]] = Value(shape: [spec.rows], floats: bias)
            } else {
                throw QuantError(file: file, layer: spec.name, "a bias was given to a layer without one")
            }
        }
        node.inputs = Array(node.inputs.prefix(bias == nil ? 2 : 3))
        let graph = Graph(
            nodes: [node], initializers: initializers, inputs: [ValueInfo(name: spec.input, type: .float, shape: nil)],
            outputs: [ValueInfo(name: spec.output, type: .float, shape: nil)], opset: 17, file: file)
        session = try Session(graph: graph, options: SessionOptions(optimize: false, threads: 1))
        input = spec.input
        output = spec.output
    }

    func run(_ x: Value, threads: Int) throws -> Value {
        try session.run([input: x], threads: threads)[output]!
    }
}
