import Foundation
import ONNXProto
import SwiftProtobuf

/// Reads NodeProtos into `Node`s, and the subgraphs their attributes hold (If, Loop, Scan) into `Subgraph`s,
/// recursively. A subgraph may read any value of the graphs around it; a name defined nowhere in scope is refused
/// with the node and subgraph named, as is a subgraph whose nodes form a cycle.
struct NodeReader {
    let decoder: TensorDecoder
    let opset: Int
    let limits: EngineLimits

    /// `scope`: every name visible where the node is (inputs, initializers and node outputs of its graph and of
    /// the graphs around it).
    func node(_ n: Onnx_NodeProto, index: Int, scope: Set<String>) throws -> Node {
        var attributes = [String: Attribute]()
        let label = "node '\(n.name.isEmpty ? "#\(index)" : n.name)' (\(n.opType))"
        var captures = [String]()
        for a in n.attribute {
            switch a.type {
            case .graph:
                let body = try subgraph(a.g, attribute: a.name, node: label, scope: scope)
                for c in body.captures where !captures.contains(c) { captures.append(c) }
                attributes[a.name] = .graph(body)
            case .graphs:
                throw EngineError(
                    .unsupported, file: decoder.file, node: label, "attribute '\(a.name)' (a list of graphs)")
            default:
                attributes[a.name] = try ModelLoader.attribute(a, decoder: decoder, node: label)
            }
        }
        return Node(
            name: n.name.isEmpty ? "\(n.opType)_\(index)" : n.name, opType: n.opType,
            domain: n.domain == "ai.onnx" ? "" : n.domain, inputs: n.input + captures, outputs: n.output,
            attributes: attributes, captures: captures)
    }

    /// Reads the body `g` of attribute `attribute` of `node`.
    func subgraph(_ g: Onnx_GraphProto, attribute: String, node: String, scope outer: Set<String>) throws -> Subgraph {
        let what = "\(node) subgraph '\(attribute)'"
        guard g.node.count <= limits.maxNodes else {
            throw EngineError(.limit, file: decoder.file, node: node, "\(what) has \(g.node.count) nodes")
        }
        if !g.sparseInitializer.isEmpty {
            throw EngineError(.unsupported, file: decoder.file, node: node, "\(what) has sparse initializers")
        }
        var initializers = [String: Value]()
        for t in g.initializer { initializers[t.name] = try decoder.decode(t, what: "\(what) initializer") }
        let valueInfo = {
            try ModelLoader.valueInfo($0, file: self.decoder.file, maxElements: self.limits.maxTensorElements)
        }
        let inputs = try g.input.map(valueInfo), outputs = try g.output.map(valueInfo)
        var local = Set(initializers.keys).union(inputs.map(\.name))
        for n in g.node { local.formUnion(n.output.filter { !$0.isEmpty }) }
        let visible = outer.union(local)
        let nodes = try g.node.enumerated().map { i, n in try self.node(n, index: i, scope: visible) }
        // What the body reads from outside: node inputs (their own captures included) and outputs it passes through.
        var captures = [String]()
        for name in nodes.flatMap(\.inputs) + outputs.map(\.name) where !name.isEmpty && !local.contains(name) {
            guard outer.contains(name) else {
                throw EngineError(
                    .malformedModel, file: decoder.file, node: node,
                    "\(what) reads '\(name)', which neither it nor any graph around it defines")
            }
            if !captures.contains(name) { captures.append(name) }
        }
        var available = Set(initializers.keys).union(inputs.map(\.name))
        available.formUnion(captures)
        let sorted: [Node]
        do { sorted = try Graph.topologicallySorted(nodes, available: available, file: decoder.file) } catch let e
            as EngineError
        {
            throw EngineError(e.kind, file: decoder.file, node: node, "in \(what): \(e.message)")
        }
        let serialized: Data
        do { serialized = try g.serializedData() } catch {
            throw EngineError(.malformedModel, file: decoder.file, node: node, "\(what) cannot be re-encoded: \(error)")
        }
        return Subgraph(
            name: g.name.isEmpty ? attribute : g.name, nodes: sorted, initializers: initializers, inputs: inputs,
            outputs: outputs, captures: captures, serialized: serialized)
    }
}

extension Subgraph {
    /// Reads a subgraph back from its GraphProto bytes (`serialized`), as the `.qbqm` reader does; `scope` holds
    /// every name of the graphs around it.
    public static func decode(
        _ bytes: Data, attribute: String, node: String, scope: Set<String>, opset: Int, file: String,
        limits: EngineLimits = EngineLimits()
    ) throws -> Subgraph {
        let g: Onnx_GraphProto
        do {
            g = try Onnx_GraphProto(serializedBytes: bytes, options: limits.decodingOptions)
        } catch {
            throw EngineError(
                .malformedModel, file: file, node: node, "subgraph '\(attribute)' does not decode: \(error)")
        }
        let reader = NodeReader(
            decoder: TensorDecoder(file: file, baseDirectory: nil, limits: limits), opset: opset, limits: limits)
        return try reader.subgraph(g, attribute: attribute, node: node, scope: scope)
    }
}
