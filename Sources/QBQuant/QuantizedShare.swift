import QBEngine

/// How much of a model a variant quantized: the share of its weights and of its multiply-accumulates (for one
/// sample) that run in integers, so that a variant's figures are never read as covering layers it left in FP32
/// (LSTMs, ConvTranspose, attention's activation products, ...).
///
/// Weights: the weight tensors of Conv, ConvTranspose, Gemm, MatMul, RNN/GRU/LSTM and embedding tables (Gather of
/// a rank-2 initializer), by element. MACs: Conv, ConvTranspose, Gemm, MatMul (constant or not) and the recurrent
/// cells, and their integer forms, counted from the shapes one run of the graph produces (nodes inside control-flow
/// subgraphs are not counted).
public struct QuantizedShare: Sendable, Equatable {
    public var weights: Double
    public var macs: Double

    /// A QuantBench variant of `reference`: its quantized layers are those computing `quantizedOutputs`, holding
    /// `quantizedWeights` weights.
    public static func ofVariant(
        reference: Session, feed: [String: Value], quantizedOutputs: Set<String>, quantizedWeights: Int
    ) throws -> QuantizedShare {
        try ofVariant(
            census: Census(session: reference, feed: feed), quantizedOutputs: quantizedOutputs,
            quantizedWeights: quantizedWeights)
    }

    /// The same from a census of the reference taken once (the harness shares it across a model's variants).
    public static func ofVariant(census: Census, quantizedOutputs: Set<String>, quantizedWeights: Int)
        -> QuantizedShare
    {
        let quantizedMACs = census.macs.filter { quantizedOutputs.contains($0.output) }.reduce(0) { $0 + $1.count }
        return QuantizedShare(
            weights: Double(quantizedWeights) / Double(max(census.weightElements(quantized: nil), 1)),
            macs: Double(quantizedMACs) / Double(max(census.totalMACs, 1)))
    }

    /// A model quantized elsewhere (QDQ or QOperator ONNX): a weight is quantized when it is stored as integer codes
    /// (int8, uint8, int16, uint16) read by DequantizeLinear or an integer operator; a product is quantized when it
    /// is an integer operator (QLinearConv, MatMulInteger, QGemm, DynamicQuantizeLSTM, ...) or its weight comes from
    /// DequantizeLinear (the QDQ form onnxruntime runs on integer kernels).
    public static func ofExternal(session: Session, feed: [String: Value]) throws -> QuantizedShare {
        let census = try Census(session: session, feed: feed)
        let quantizedMACs = census.macs.filter(\.quantized).reduce(0) { $0 + $1.count }
        let total = census.weightElements(quantized: nil)
        return QuantizedShare(
            weights: Double(census.weightElements(quantized: true)) / Double(max(total, 1)),
            macs: Double(quantizedMACs) / Double(max(census.totalMACs, 1)))
    }
}

/// The weight tensors and the products of one run of a graph.
public struct Census: Sendable {
    struct Product: Sendable {
        var output: String
        var count: Int
        var quantized: Bool
    }
    /// Weight tensors: element count and whether stored as integer codes.
    var weights: [String: (count: Int, quantized: Bool)] = [:]
    var macs: [Product] = []
    var totalMACs: Int { macs.reduce(0) { $0 + $1.count } }

    func weightElements(quantized: Bool?) -> Int {
        weights.values.filter { quantized == nil || $0.quantized == quantized }.reduce(0) { $0 + $1.count }
    }

    /// Integer operators: the input positions of their weights.
    static let integerWeightInputs: [String: [Int]] = [
        "ConvInteger": [1], "MatMulInteger": [1], "QLinearConv": [3], "QLinearMatMul": [3],
        "com.microsoft.QGemm": [3], "com.microsoft.DynamicQuantizeMatMul": [1],
        "com.microsoft.MatMulIntegerToFloat": [1],
        "com.microsoft.DynamicQuantizeLSTM": [1, 2],
    ]
    /// Float operators: the input positions of their weights.
    static let floatWeightInputs: [String: [Int]] = [
        "Conv": [1], "ConvTranspose": [1], "Gemm": [1], "MatMul": [1], "LSTM": [1, 2], "GRU": [1, 2], "RNN": [1, 2],
    ]

    public init(session: Session, feed: [String: Value]) throws {
        let graph = session.graph
        var shapes = [String: [Int]]()
        for (name, v) in feed { shapes[name] = v.shape }
        for (name, v) in graph.initializers { shapes[name] = v.shape }
        _ = try session.run(
            feed,
            hook: { name, _, value in
                shapes[name] = value.shape
                return nil
            })
        var producer = [String: Node]()
        for n in graph.nodes { for o in n.outputs { producer[o] = n } }
        let codeTypes: Set<DataType> = [.int4, .uint4, .int8, .uint8, .int16, .uint16]
        /// The stored tensor behind a weight input: the initializer itself, or the codes a DequantizeLinear reads.
        func stored(_ name: String) -> (name: String, value: Value, viaDequantize: Bool)? {
            if let v = graph.initializers[name] { return (name, v, false) }
            if let p = producer[name], p.opType == "DequantizeLinear", let codes = graph.initializers[p.inputs[0]] {
                return (p.inputs[0], codes, true)
            }
            return nil
        }
        for n in graph.nodes {
            let key = n.qualifiedType
            let integer = Self.integerWeightInputs[key]
            var weightFromDequantize = false
            for i in integer ?? Self.floatWeightInputs[key] ?? [] where i < n.inputs.count {
                guard let w = stored(n.inputs[i]), w.value.rank >= 2 else { continue }
                weights[w.name] = (w.value.count, codeTypes.contains(w.value.type))
                weightFromDequantize = weightFromDequantize || w.viaDequantize
            }
            if n.opType == "Gather", let table = graph.initializers[n.inputs[0]], table.rank == 2 {
                weights[n.inputs[0]] = (table.count, codeTypes.contains(table.type))
            }
            if let count = Self.macs(of: n, key: key, shapes: shapes), count > 0 {
                macs.append(
                    Product(output: n.outputs[0], count: count, quantized: integer != nil || weightFromDequantize))
            }
        }
    }

    /// Multiply-accumulates of one product node, from the shapes of its inputs and outputs.
    static func macs(of n: Node, key: String, shapes: [String: [Int]]) -> Int? {
        func shape(_ i: Int) -> [Int]? { i < n.inputs.count ? shapes[n.inputs[i]] : nil }
        guard let y = n.outputs.first.flatMap({ shapes[$0] }) else { return nil }
        let outputs = y.reduce(1, *)
        switch key {
        case "Conv", "ConvInteger", "QLinearConv":
            guard let w = shape(key == "QLinearConv" ? 3 : 1), let m = w.first, m > 0 else { return nil }
            return outputs * (w.reduce(1, *) / m)
        case "ConvTranspose":
            guard let x = shape(0), let w = shape(1), let c = w.first, c > 0 else { return nil }
            return x.reduce(1, *) * (w.reduce(1, *) / c)
        case "MatMul", "MatMulInteger", "QLinearMatMul", "com.microsoft.MatMulIntegerToFloat",
            "com.microsoft.DynamicQuantizeMatMul", "Gemm", "com.microsoft.QGemm":
            guard let a = shape(0), a.count >= 2 else { return nil }
            let k = key.hasSuffix("Gemm") && n.attributes["transA"] == .int(1) ? a[0] : a[a.count - 1]
            return outputs * k
        case "LSTM", "GRU", "RNN", "com.microsoft.DynamicQuantizeLSTM":
            // R is [directions, gates hidden, hidden]; DynamicQuantizeLSTM's is [directions, hidden, 4 hidden].
            guard let x = shape(0), let r = shape(2), r.count == 3 else { return nil }
            let hidden = key.hasPrefix("com.microsoft") ? r[1] : r[2]
            let gates = key.hasSuffix("LSTM") ? 4 : (key == "GRU" ? 3 : 1)
            return outputs * gates * ((x.last ?? 0) + hidden)
        default: return nil
        }
    }
}
