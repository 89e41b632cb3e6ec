import Foundation
import ONNXProto
import QBTensor
import SwiftProtobuf

/// Reads ONNX ModelProto files (any IR version with a default-domain opset) into a `Graph`.
public enum ModelLoader {
    /// Loads `path`; external data files are read relative to its folder.
    public static func load(_ path: String, limits: EngineLimits = EngineLimits()) throws -> Graph {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue else {
            throw EngineError(
                .missingFile, file: path, isDir.boolValue ? "is a folder, not a model file" : "no such file")
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        if let size = (attributes?[.size] as? NSNumber)?.intValue, size > limits.maxModelBytes {
            throw EngineError(.limit, file: path, "model is \(size) bytes, over the limit of \(limits.maxModelBytes)")
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw EngineError(.io, file: path, "cannot read: \(error.localizedDescription)")
        }
        if data.isEmpty { throw EngineError(.malformedModel, file: path, "file is empty") }
        return try load(
            data, file: path, baseDirectory: URL(fileURLWithPath: path).deletingLastPathComponent().path, limits: limits
        )
    }

    /// Parses serialized ModelProto bytes.
    public static func load(
        _ data: Data, file: String, baseDirectory: String? = nil, limits: EngineLimits = EngineLimits()
    ) throws -> Graph {
        let model: Onnx_ModelProto
        do {
            model = try Onnx_ModelProto(serializedBytes: data, options: limits.decodingOptions)
        } catch {
            throw EngineError(
                .malformedModel, file: file, "not an ONNX ModelProto (protobuf decoding failed: \(error))")
        }
        guard model.hasGraph else { throw EngineError(.malformedModel, file: file, "the model has no graph") }
        var opset = 0
        for o in model.opsetImport where o.domain.isEmpty || o.domain == "ai.onnx" { opset = Int(o.version) }
        if opset == 0 && model.opsetImport.isEmpty { opset = 1 }
        guard opset > 0 else {
            throw EngineError(.unsupported, file: file, "the model imports no default-domain (ai.onnx) opset")
        }
        return try convert(model.graph, opset: opset, file: file, baseDirectory: baseDirectory, limits: limits)
    }

    static func convert(_ g: Onnx_GraphProto, opset: Int, file: String, baseDirectory: String?, limits: EngineLimits)
        throws -> Graph
    {
        guard g.node.count <= limits.maxNodes else {
            throw EngineError(.limit, file: file, "\(g.node.count) nodes, over the limit of \(limits.maxNodes)")
        }
        if !g.sparseInitializer.isEmpty {
            throw EngineError(.unsupported, file: file, "sparse initializers are not supported")
        }
        let decoder = TensorDecoder(file: file, baseDirectory: baseDirectory, limits: limits)
        var initializers = [String: Value]()
        for t in g.initializer {
            initializers[t.name] = try decoder.decode(t, what: "initializer")
        }
        if FaultInjection.isActive("weights") {
            for (name, v) in initializers where v.type == .float && v.count >= 64 {
                var f = v.floats
                for i in stride(from: 0, to: f.count, by: 7) { f[i] = -f[i] }
                initializers[name] = Value(shape: v.shape, floats: f)
            }
        }
        let inputs = try g.input.filter { initializers[$0.name] == nil }.map {
            try valueInfo($0, file: file, maxElements: limits.maxTensorElements)
        }
        let outputs = try g.output.map { try valueInfo($0, file: file, maxElements: limits.maxTensorElements) }
        guard !outputs.isEmpty else { throw EngineError(.malformedModel, file: file, "the graph declares no outputs") }
        var scope = Set(initializers.keys).union(inputs.map(\.name))
        for n in g.node { scope.formUnion(n.output) }
        let reader = NodeReader(decoder: decoder, opset: opset, limits: limits)
        let nodes = try g.node.enumerated().map { i, n in try reader.node(n, index: i, scope: scope) }
        var available = Set(initializers.keys)
        for i in inputs { available.insert(i.name) }
        let sorted = try Graph.topologicallySorted(nodes, available: available, file: file)
        for o in outputs where !available.contains(o.name) && !sorted.contains(where: { $0.outputs.contains(o.name) }) {
            throw EngineError(.malformedModel, file: file, "graph output '\(o.name)' is produced by no node")
        }
        var graph = Graph(
            nodes: sorted, initializers: initializers, inputs: inputs, outputs: outputs, opset: opset, file: file)
        let minusOne = (g.input + g.output).filter { v in
            guard case .tensorType(let t)? = v.type.value else { return false }
            return t.shape.dim.contains { $0.dimValue == -1 }
        }
        if !minusOne.isEmpty {
            let names = minusOne.prefix(3).map { "'\($0.name)'" }.joined(separator: ", ")
            graph.notices.append(
                "\(file): notice: \(names)\(minusOne.count > 3 ? ", ..." : "") declare dimension -1 (older exporters' "
                    + "dynamic dimension); read as dynamic, as onnxruntime does")
        }
        return graph
    }

    /// A declared input/output type. A dimension of -1 (how older exporters, paddle2onnx among them, write a dynamic
    /// dimension) is read as dynamic, as onnxruntime reads it; any other negative dimension, or fixed dimensions
    /// whose product exceeds the tensor element limit, is refused (a malformed or malicious model), never followed.
    static func valueInfo(_ v: Onnx_ValueInfoProto, file: String, maxElements: Int = EngineLimits().maxTensorElements)
        throws -> ValueInfo
    {
        guard v.hasType, case .tensorType(let t)? = v.type.value else {
            return ValueInfo(name: v.name, type: nil, shape: nil)
        }
        let type = DataType(rawValue: t.elemType)
        guard type != nil || t.elemType == 0 else {
            var info = ValueInfo(name: v.name, type: nil, shape: nil)
            info.unsupportedElement = t.elemType
            return info
        }
        guard t.hasShape else { return ValueInfo(name: v.name, type: type, shape: nil) }
        var elements = 1
        let dims: [Dim] = try t.shape.dim.map { d in
            switch d.value {
            case .dimValue(-1)?:
                return .unknown
            case .dimValue(let n)?:
                guard n >= 0 else {
                    throw EngineError(
                        .malformedModel, file: file, "value '\(v.name)' declares a negative dimension \(n)")
                }
                let (p, overflow) = elements.multipliedReportingOverflow(by: Int(clamping: n))
                guard !overflow, p <= maxElements else {
                    throw EngineError(
                        .limit, file: file,
                        "value '\(v.name)' declares \(t.shape.dim.map { $0.dimValue }) elements, more than the limit "
                            + "of \(maxElements)"
                    )
                }
                elements = p
                return .fixed(Int(n))
            // A name without a letter or digit ("?", which older paddle2onnx writes for every dynamic dimension) names
            // nothing: each such dimension is independent, as onnxruntime reads it.
            case .dimParam(let s)?:
                return s.contains(where: { $0.isLetter || $0.isNumber }) ? .symbol(s) : .unknown
            case nil: return .unknown
            }
        }
        return ValueInfo(name: v.name, type: type, shape: dims)
    }

    /// A non-graph attribute (`NodeReader` reads the graph ones).
    static func attribute(_ a: Onnx_AttributeProto, decoder: TensorDecoder, node: String) throws -> Attribute {
        switch a.type {
        case .float: return .float(a.f)
        case .int: return .int(Int(clamping: a.i))
        case .string: return .string(String(decoding: a.s, as: UTF8.self))
        case .tensor: return .tensor(try decoder.decode(a.t, what: "\(node) attribute '\(a.name)'"))
        case .floats: return .floats(a.floats)
        case .ints: return .ints(a.ints.map { Int(clamping: $0) })
        case .strings: return .strings(a.strings.map { String(decoding: $0, as: UTF8.self) })
        case .graph, .graphs:
            throw EngineError(
                .unsupported, file: decoder.file, node: node, "attribute '\(a.name)' holds a graph where none is read")
        case .undefined:
            // IR < 3 files may leave the type out: infer it from the field that is set.
            if a.hasT { return .tensor(try decoder.decode(a.t, what: "\(node) attribute '\(a.name)'")) }
            if !a.ints.isEmpty { return .ints(a.ints.map { Int(clamping: $0) }) }
            if !a.floats.isEmpty { return .floats(a.floats) }
            if a.hasS { return .string(String(decoding: a.s, as: UTF8.self)) }
            if a.hasF { return .float(a.f) }
            return .int(Int(clamping: a.i))
        default:
            throw EngineError(
                .unsupported, file: decoder.file, node: node, "attribute '\(a.name)' of type \(a.type) is not supported"
            )
        }
    }
}

extension ModelLoader {
    /// Reads a serialized TensorProto file (the ONNX test-data format); returns its name and value.
    public static func loadTensor(_ path: String, limits: EngineLimits = EngineLimits()) throws -> (
        name: String, value: Value
    ) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EngineError(.missingFile, file: path, "no such file")
        }
        let t: Onnx_TensorProto
        do { t = try Onnx_TensorProto(serializedBytes: data) } catch {
            throw EngineError(.malformedModel, file: path, "not a TensorProto (protobuf decoding failed: \(error))")
        }
        let decoder = TensorDecoder(
            file: path, baseDirectory: URL(fileURLWithPath: path).deletingLastPathComponent().path, limits: limits)
        return (t.name, try decoder.decode(t, what: "tensor file"))
    }
}
