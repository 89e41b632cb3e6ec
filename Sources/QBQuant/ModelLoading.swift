import Foundation
import QBEngine

extension ModelFile {
    /// Reads a `.qbqm` file into a runnable graph: the nodes, the FP32 tensors, and every quantized layer
    /// rebuilt from its payload on the integer kernels. For a model quantized with integer kernels (what the
    /// harness and `quantbench quantize` write) the result computes exactly what the written model computes
    /// (tested bit for bit); a simulated model's file loads as its integer form.
    public static func load(_ bytes: [UInt8], file: String) throws -> Graph {
        try load(bytes, file: file, registry: .standard)
    }

    /// A quantized model read back whole, for reuse (`quantbench prepare`): the graph, the layer payloads and the fp16
    /// tensors from the file; the facts the file does not hold (layer reports, QwT's blocks, calibration time) as
    /// given. Encoding it again gives the same bytes.
    public static func model(
        _ bytes: [UInt8], file: String, layers: [LayerReport], blocks: [BlockReport], calibrationSeconds: Double
    ) throws -> QuantizedModel {
        let decoded = try decode(bytes, file: file, registry: .standard)
        let graph = try graph(decoded, file: file)
        var model = QuantizedModel(
            graph: graph, layers: layers, calibrationSeconds: calibrationSeconds, payloads: decoded.payloads)
        model.blocks = blocks
        model.halfTensors = decoded.halves
        return model
    }

    /// `load` with the methods of `registry` (tests add methods).
    static func load(_ bytes: [UInt8], file: String, registry: MethodRegistry) throws -> Graph {
        try graph(try decode(bytes, file: file, registry: registry), file: file)
    }

    /// The runnable graph of a decoded file.
    static func graph(
        _ decoded: (
            header: Header, payloads: [String: any WeightPayload], tensors: [String: Value], halves: Set<String>
        ),
        file: String
    ) throws -> Graph {
        let (header, payloads, tensors) = (decoded.header, decoded.payloads, decoded.tensors)
        var scope = Set(header.inputs.map(\.name)).union(tensors.keys)
        for n in header.nodes {
            scope.formUnion(n.outputs)
            scope.formUnion(n.captures ?? [])
        }
        func attributes(_ n: Header.NodeEntry) throws -> [String: Attribute] {
            var out = [String: Attribute]()
            for (k, a) in n.attributes.sorted(by: { $0.key < $1.key }) {
                if let encoded = a.graph {
                    guard let bytes = Data(base64Encoded: encoded) else {
                        throw QuantError(.corruptFile, file: file, "node '\(n.name)': subgraph '\(k)' is not base64")
                    }
                    do {
                        out[k] = .graph(
                            try Subgraph.decode(
                                bytes, attribute: k, node: "node '\(n.name)' (\(n.op))", scope: scope,
                                opset: header.opset,
                                file: file))
                    } catch let e as EngineError {
                        throw QuantError(.corruptFile, file: file, e.message)
                    }
                } else if let v = a.int {
                    out[k] = .int(v)
                } else if let v = a.float {
                    out[k] = .float(v)
                } else if let v = a.string {
                    out[k] = .string(v)
                } else if let v = a.ints {
                    out[k] = .ints(v)
                } else if let v = a.floats {
                    out[k] = .floats(v)
                } else if let v = a.strings {
                    out[k] = .strings(v)
                } else if let t = a.tensor {
                    guard let v = tensors[t] else {
                        throw QuantError(.corruptFile, file: file, "attribute tensor '\(t)' is missing")
                    }
                    out[k] = .tensor(v)
                } else {
                    throw QuantError(.corruptFile, file: file, "node '\(n.name)': attribute '\(k)' has no value")
                }
            }
            return out
        }
        func node(_ n: Header.NodeEntry) throws -> Node {
            let attributes = try attributes(n)
            let captures = n.captures ?? []
            var derived = [String]()
            for case (_, .graph(let g)) in attributes.sorted(by: { $0.key < $1.key }) {
                for c in g.captures where !derived.contains(c) { derived.append(c) }
            }
            guard Set(derived) == Set(captures), captures.count <= n.inputs.count else {
                throw QuantError(
                    .corruptFile, file: file, "node '\(n.name)': its captured values do not match its subgraphs")
            }
            return Node(
                name: n.name, opType: n.op, domain: n.domain, inputs: n.inputs, outputs: n.outputs,
                attributes: attributes, captures: captures)
        }
        func info(_ v: Header.ValueEntry) -> ValueInfo {
            ValueInfo(
                name: v.name, type: v.type.flatMap(DataType.init(rawValue:)),
                shape: v.shape?.map { d in
                    if let n = Int(d) { return .fixed(n) }
                    return d == "?" ? .unknown : .symbol(d)
                })
        }
        var graph = Graph(
            nodes: try header.nodes.map(node), initializers: tensors.filter { !$0.key.hasPrefix("attribute:") },
            inputs: header.inputs.map(info), outputs: header.outputs.map(info), opset: header.opset, file: file)
        for l in header.layers {
            guard let payload = payloads[l.node.outputs.first ?? l.name],
                let kernelNode = graph.nodes.first(where: { $0.isKernelLayer && $0.outputs == l.node.outputs })
            else {
                throw QuantError(.corruptFile, file: file, layer: l.name, "the layer's node or payload is missing")
            }
            guard l.input?.isValid ?? true, l.output?.isValid ?? true else {
                throw QuantError(
                    .corruptFile, file: file, layer: l.name,
                    "invalid activation quantizer (scale must be positive, 1...8 bits, zero point among the codes)")
            }
            let original = try node(l.node)
            let spec = try LayerSpec(node: original, weightShape: l.weightShape, file: file)
            let layer = try payload.layer(spec, input: l.input, output: l.output, file: file)
            graph.kernels[kernelNode.name] = layer
        }
        return graph
    }
}

extension LayerSpec {
    /// The weight's shape as the operator holds it.
    var weightShape: [Int] {
        switch kind {
        case .conv(_, let kernel): return [rows, depth / taps] + kernel
        case .linear:
            return LayerSpec.weightTransposed(node) ? [rows, depth] : [depth, rows]
        }
    }

    /// A layer described by its operator and weight shape (weights and bias filled in by the caller).
    init(node: Node, weightShape w: [Int], file: String) throws {
        let lo = LayerSpec.attributeFloat(node, "qb_lo") ?? -.infinity,
            hi = LayerSpec.attributeFloat(node, "qb_hi") ?? .infinity
        guard node.inputs.count >= 2, node.outputs.count == 1, w.allSatisfy({ $0 > 0 }),
            w.reduce(1.0, { $0 * Double($1) }) <= Double(1 << 26)
        else {
            throw QuantError(file: file, layer: node.name, "not a layer: \(node.opType) with weight shape \(w)")
        }
        switch node.opType {
        case "Conv" where w.count == 3 || w.count == 4:
            let taps = w.dropFirst(2).reduce(1, *)
            let group = LayerSpec.attributeInt(node, "group") ?? 1
            guard group >= 1, w[0] % group == 0 else {
                throw QuantError(
                    file: file, layer: node.name, "\(w[0]) output channels do not split into \(group) groups")
            }
            self.init(
                node: node,
                kind: .conv(group: LayerSpec.attributeInt(node, "group") ?? 1, kernel: Array(w.dropFirst(2))),
                input: node.inputs[0],
                output: node.outputs[0], rows: w[0], depth: w[1] * taps, taps: taps, weights: [], bias: nil, lo: lo,
                hi: hi, constants: [])
        case "Gemm" where w.count == 2, "MatMul" where w.count == 2:
            let transB = LayerSpec.weightTransposed(node)
            self.init(
                node: node, kind: .linear, input: node.inputs[0], output: node.outputs[0], rows: transB ? w[0] : w[1],
                depth: transB ? w[1] : w[0],
                taps: 1, weights: [], bias: nil, lo: lo, hi: hi, constants: [])
        default:
            throw QuantError(file: file, layer: node.name, "not a layer: \(node.opType) with weight shape \(w)")
        }
    }
}
