import Foundation

/// The body of a control-flow node (If's branches, Loop's and Scan's bodies): its own nodes, in a topological
/// order, initializers, formal inputs and outputs, and the names it reads from the enclosing graphs (`captures`).
///
/// A node that holds subgraphs lists the union of their captures after its declared inputs (`Node.captures` says
/// how many), so the enclosing graph's sort, liveness and rewrites see those reads like any other input, and the
/// operator stays a pure function of its inputs.
public final class Subgraph: Sendable, Equatable, CustomStringConvertible {
    public let name: String
    public let nodes: [Node]
    public let initializers: [String: Value]
    public let inputs: [ValueInfo]
    public let outputs: [ValueInfo]
    /// Names the body reads that none of its inputs, initializers or nodes define, in first-read order.
    public let captures: [String]
    /// The GraphProto as read from the file, so that a model holding it can be written again.
    public let serialized: Data
    /// For each node, the body-local values whose last reader it is.
    private let releaseAfter: [[String]]

    init(
        name: String, nodes: [Node], initializers: [String: Value], inputs: [ValueInfo], outputs: [ValueInfo],
        captures: [String], serialized: Data
    ) {
        self.name = name
        self.nodes = nodes
        self.initializers = initializers
        self.inputs = inputs
        self.outputs = outputs
        self.captures = captures
        self.serialized = serialized
        var last = [String: Int]()
        for (i, n) in nodes.enumerated() { for v in n.inputs where !v.isEmpty { last[v] = i } }
        for o in outputs { last[o.name] = nil }
        var release = [[String]](repeating: [], count: nodes.count)
        for (v, i) in last where initializers[v] == nil && !captures.contains(v) { release[i].append(v) }
        self.releaseAfter = release
    }

    public static func == (a: Subgraph, b: Subgraph) -> Bool { a === b }

    public var description: String { "subgraph '\(name)' (\(nodes.count) nodes)" }

    /// Runs the body: `feeds` bind its formal inputs in order, `scope` gives the captured values by name.
    /// Returns its outputs in order.
    func run(_ feeds: [Value], scope: [String: Value], context: OpContext) throws -> [Value] {
        guard feeds.count == inputs.count else {
            throw context.fail(
                .malformedModel, "\(self) takes \(inputs.count) inputs, the operator gives it \(feeds.count)")
        }
        var env = scope
        for (info, value) in zip(inputs, feeds) { env[info.name] = value }
        for (i, n) in nodes.enumerated() {
            var ctx = OpContext(node: n, file: context.file, opset: context.opset)
            ctx.threads = context.threads
            ctx.maxLoopIterations = context.maxLoopIterations
            let values: [Value?] = n.inputs.map { $0.isEmpty ? nil : (env[$0] ?? initializers[$0]) }
            guard let op = Operators.definition(n) else {
                throw ctx.fail(.unsupported, "unsupported operator \(n.opType) in \(self)")
            }
            let outs = try op.run(ctx, values)
            for (k, out) in n.outputs.enumerated() where !out.isEmpty && k < outs.count { env[out] = outs[k] }
            for v in releaseAfter[i] { env[v] = nil }
        }
        return try outputs.map { o in
            guard let v = env[o.name] ?? initializers[o.name] else {
                throw context.fail(.malformedModel, "output '\(o.name)' of \(self) was not computed")
            }
            return v
        }
    }

    /// The subgraphs held by `node`'s attributes, by attribute name.
    static func bodies(of node: Node) -> [(String, Subgraph)] {
        node.attributes.keys.sorted().compactMap { key in
            if case .graph(let g)? = node.attributes[key] { return (key, g) }
            return nil
        }
    }
}
