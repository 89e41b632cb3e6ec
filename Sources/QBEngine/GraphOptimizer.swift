/// The rewrites every serious engine does, each exact up to floating-point rounding:
/// 1. constant folding: nodes computed from constants only become initializers;
/// 2. BatchNormalization folded into the Conv (or Gemm with a constant B) that feeds it:
///    `W' = W * g / sqrt(v + eps)`, `b' = (b - mean) * g / sqrt(v + eps) + beta`, per output channel;
/// 3. Relu and Clip (constant bounds) fused into the Conv, Gemm or MatMul that feeds them, as the
///    clamp of the GEMM epilogue (`qb_lo`, `qb_hi`);
/// 4. Identity and Dropout removed;
/// 5. torch's erf form of GELU fused into one Gelu node, bit-identical (GeluFusion.swift).
/// A rewrite only applies when the intermediate value has no other consumer and is not a graph output.
enum GraphOptimizer {
    static func optimize(_ graph: Graph, info: [String: TypeInfo]) throws -> Graph {
        var g = graph
        var initializers = g.initializers
        var nodes = [Node]()
        let outputs = Set(g.outputs.map(\.name))
        // 1. Constant folding.
        for n in g.nodes {
            let folded = n.outputs.allSatisfy { $0.isEmpty || info[$0]?.constant != nil }
            if folded {
                for o in n.outputs where !o.isEmpty { initializers[o] = info[o]!.constant! }
            } else {
                nodes.append(n)
            }
        }
        // 4. Identity / inference Dropout: rename the output to the input everywhere downstream.
        var renamed = [String: String]()
        var kept = [Node]()
        for var n in nodes {
            n.inputs = n.inputs.map { renamed[$0] ?? $0 }
            let isDropout = n.opType == "Dropout" && (n.outputs.count < 2 || n.outputs[1].isEmpty) && n.inputs.count < 3
            if (n.opType == "Identity" || isDropout) && !outputs.contains(n.outputs[0]) {
                renamed[n.outputs[0]] = n.inputs[0]
                continue
            }
            kept.append(n)
        }
        nodes = kept
        // 2. BatchNormalization into Conv / Gemm.
        nodes = try fuseIntoProducer(nodes, graphOutputs: outputs, consumers: ["BatchNormalization"]) { producer, bn in
            guard bn.outputs.count == 1, producer.attributes["qb_lo"] == nil, producer.attributes["qb_hi"] == nil else {
                return nil
            }
            let params = bn.inputs[1...4].map { initializers[$0] }
            guard params.allSatisfy({ $0 != nil }) else { return nil }
            let (gamma, beta, mean, variance) = (
                params[0]!.floats, params[1]!.floats, params[2]!.floats, params[3]!.floats
            )
            let eps = (try? bn.float("epsilon", 1e-5, file: g.file)) ?? 1e-5
            let scale = (0..<gamma.count).map { gamma[$0] / (variance[$0] + eps).squareRoot() }
            return try fold(producer, scale: scale, beta: beta, mean: mean, initializers: &initializers, file: g.file)
        }
        // 3. Activation fusion.
        nodes = fuseIntoProducer(nodes, graphOutputs: outputs, consumers: ["Relu", "Clip"]) { producer, act in
            guard ["Conv", "Gemm", "MatMul"].contains(producer.opType), producer.attributes["qb_lo"] == nil,
                let (lo, hi) = bounds(act, initializers: initializers, opset: g.opset, file: g.file)
            else { return nil }
            var new = producer
            new.attributes["qb_lo"] = .float(lo)
            new.attributes["qb_hi"] = .float(hi)
            return new
        }
        // 5. GELU.
        nodes = fuseGelu(nodes, initializers: initializers, graphOutputs: outputs)
        // Keep only the initializers something still reads (or that are outputs).
        let use = consumers(nodes)
        initializers = initializers.filter { use[$0.key] != nil || outputs.contains($0.key) }
        g.nodes = nodes
        g.initializers = initializers
        return g
    }

    /// How many nodes read each value.
    static func consumers(_ nodes: [Node]) -> [String: Int] {
        var c = [String: Int]()
        for n in nodes { for i in n.inputs where !i.isEmpty { c[i, default: 0] += 1 } }
        return c
    }

    /// The shared mechanism of the fusions: for each node of a `consumers` type whose first input is the
    /// single output of another node, read by nothing else and not a graph output, `rewrite(producer,
    /// consumer)` may return the producer's replacement, which takes over the consumer's outputs; the
    /// consumer is then removed.
    static func fuseIntoProducer(
        _ nodes: [Node], graphOutputs: Set<String>, consumers types: Set<String>,
        _ rewrite: (Node, Node) throws -> Node?
    ) rethrows -> [Node] {
        var nodes = nodes
        let use = consumers(nodes)
        var index = [String: Int]()
        for (i, n) in nodes.enumerated() { for o in n.outputs { index[o] = i } }
        var removed = Set<Int>()
        for (i, consumer) in nodes.enumerated() where types.contains(consumer.opType) {
            guard let p = index[consumer.inputs[0]], !removed.contains(p) else { continue }
            let producer = nodes[p]
            guard producer.outputs.count == 1, use[producer.outputs[0]] == 1,
                !graphOutputs.contains(producer.outputs[0]),
                var new = try rewrite(producer, consumer)
            else { continue }
            new.outputs = consumer.outputs
            nodes[p] = new
            removed.insert(i)
            for o in consumer.outputs { index[o] = p }
        }
        return nodes.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
    }

    /// The clamp of a Relu or a Clip with constant (or absent) bounds.
    static func bounds(_ n: Node, initializers: [String: Value], opset: Int, file: String) -> (Float, Float)? {
        if n.opType == "Relu" { return (0, .infinity) }
        if opset < 11 {
            guard let lo = try? n.float("min", -.infinity, file: file),
                let hi = try? n.float("max", .infinity, file: file)
            else { return nil }
            return (lo, hi)
        }
        var lo = -Float.infinity, hi = Float.infinity
        if n.inputs.count > 1, !n.inputs[1].isEmpty {
            guard let v = initializers[n.inputs[1]], let f = v.floats.first else { return nil }
            lo = f
        }
        if n.inputs.count > 2, !n.inputs[2].isEmpty {
            guard let v = initializers[n.inputs[2]], let f = v.floats.first else { return nil }
            hi = f
        }
        return (lo, hi)
    }

    /// The Conv or Gemm with the batch norm's per-channel scale and shift folded into its weights.
    static func fold(
        _ n: Node, scale: [Float], beta: [Float], mean: [Float], initializers: inout [String: Value], file: String
    ) throws -> Node? {
        let channels = scale.count
        guard n.inputs.count >= 2, let w = initializers[n.inputs[1]], w.type == .float else { return nil }
        let oldBias: [Float]
        if n.inputs.count > 2, !n.inputs[2].isEmpty {
            guard let b = initializers[n.inputs[2]], b.count == channels else { return nil }
            oldBias = b.floats
        } else {
            oldBias = [Float](repeating: 0, count: channels)
        }
        var wf = w.floats
        switch n.opType {
        case "Conv":
            guard w.shape.first == channels else { return nil }
            let per = w.count / channels
            for c in 0..<channels { for k in 0..<per { wf[c * per + k] *= scale[c] } }
        case "Gemm":
            // Output channels are the columns: B is [K, N], or [N, K] with transB.
            guard w.rank == 2, (try? n.float("alpha", 1, file: file)) == 1, (try? n.float("beta", 1, file: file)) == 1,
                (try? n.int("transA", 0, file: file)) == 0
            else { return nil }
            let transB = (try? n.int("transB", 0, file: file)) ?? 0 != 0
            let (rows, cols) = (w.shape[0], w.shape[1])
            guard (transB ? rows : cols) == channels else { return nil }
            for r in 0..<rows { for c in 0..<cols { wf[r * cols + c] *= scale[transB ? r : c] } }
        default:
            return nil
        }
        let bias = (0..<channels).map { (oldBias[$0] - mean[$0]) * scale[$0] + beta[$0] }
        let wName = n.inputs[1] + "_bnfolded", bName = n.outputs[0] + "_bnfolded_bias"
        initializers[wName] = Value(type: .float, shape: w.shape, storage: .float(wf))
        initializers[bName] = Value(shape: [channels], floats: bias)
        var new = n
        new.inputs = [n.inputs[0], wName, bName]
        return new
    }
}
