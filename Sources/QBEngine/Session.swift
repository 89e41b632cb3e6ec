import Foundation

/// How a model is prepared and run.
public struct SessionOptions: Sendable {
    /// Apply the graph rewrites (constant folding, BatchNormalization folding, activation fusion).
    /// Off (`--no-optimize`) runs the graph exactly as written, for validation.
    public var optimize = true
    /// Threads for the kernels; results are bit-identical for any value.
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    public var limits = EngineLimits()

    public init(optimize: Bool = true, threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.optimize = optimize
        self.threads = max(1, threads)
    }
}

/// Called with every value a node produces (name, node, value); return a replacement to substitute it
/// (e.g. a fake-quantized activation), or nil to keep it. Calibration and per-layer error use it to capture.
public typealias ValueHook = (_ name: String, _ node: Node, _ value: Value) throws -> Value?

/// A checked, optionally optimized model, ready to run any number of times.
public final class Session: @unchecked Sendable {
    /// The graph that runs (after the rewrites when `options.optimize`).
    public let graph: Graph
    public let options: SessionOptions
    /// The checked types and shapes of the graph as loaded.
    let info: [String: TypeInfo]
    /// For each node, the values whose last reader it is (freed after it runs).
    private let releaseAfter: [[String]]

    /// Loads, checks and prepares a model file.
    public convenience init(modelPath: String, options: SessionOptions = SessionOptions()) throws {
        try self.init(graph: ModelLoader.load(modelPath, limits: options.limits), options: options)
    }

    public init(graph: Graph, options: SessionOptions = SessionOptions()) throws {
        let checked = try GraphChecker.check(graph)
        self.info = checked.info
        self.options = options
        let g = options.optimize ? try GraphOptimizer.optimize(graph, info: checked.info) : graph
        self.graph = g
        // Liveness: a value is released after its last reader, unless it is a graph output.
        var last = [String: Int]()
        for (i, n) in g.nodes.enumerated() { for v in n.inputs where !v.isEmpty { last[v] = i } }
        for o in g.outputs { last[o.name] = nil }
        var release = [[String]](repeating: [], count: g.nodes.count)
        for (v, i) in last where g.initializers[v] == nil { release[i].append(v) }
        self.releaseAfter = release
    }

    /// The graph inputs the caller must provide.
    public var inputs: [ValueInfo] { graph.inputs }
    public var outputs: [ValueInfo] { graph.outputs }

    /// Runs the graph on `feeds` (one value per graph input) and returns every graph output.
    /// `threads` overrides the session's thread count for this run.
    public func run(_ feeds: [String: Value], hook: ValueHook? = nil, threads: Int? = nil) throws -> [String: Value] {
        let threads = max(1, threads ?? options.threads)
        var env = [String: Value]()
        env.reserveCapacity(graph.nodes.count + graph.initializers.count)
        try bindInputs(feeds, into: &env)
        for (i, n) in graph.nodes.enumerated() {
            var ctx = OpContext(node: n, file: graph.file, opset: graph.opset)
            ctx.threads = threads
            ctx.maxLoopIterations = options.limits.maxLoopIterations
            let inputs: [Value?] = n.inputs.map { name in name.isEmpty ? nil : (env[name] ?? graph.initializers[name]) }
            var outs: [Value]
            do {
                if n.isKernelLayer {
                    outs = [try graph.kernels[n.name]!.run(inputs[0]!, threads: threads)]
                } else {
                    outs = try Operators.definition(n)!.run(ctx, inputs)
                }
            } catch let e as EngineError {
                throw e
            } catch {
                throw EngineError(.badInput, file: graph.file, node: n.label, "\(error)")
            }
            for (k, name) in n.outputs.enumerated() where !name.isEmpty && k < outs.count {
                if let hook, let replaced = try hook(name, n, outs[k]) {
                    guard replaced.shape == outs[k].shape else {
                        throw EngineError(
                            .shapeMismatch, file: graph.file, node: n.label,
                            "the hook replaced '\(name)' \(outs[k].shape) with a \(replaced.shape) value")
                    }
                    outs[k] = replaced
                }
                env[name] = outs[k]
            }
            for v in releaseAfter[i] { env[v] = nil }
        }
        var result = [String: Value]()
        for o in graph.outputs {
            guard let v = env[o.name] ?? graph.initializers[o.name] else {
                throw EngineError(.malformedModel, file: graph.file, "graph output '\(o.name)' was not computed")
            }
            result[o.name] = v
        }
        return result
    }

    /// Checks the feeds against the declared inputs: every input present, element types compatible,
    /// fixed dimensions equal, each symbolic dimension one size across all inputs.
    private func bindInputs(_ feeds: [String: Value], into env: inout [String: Value]) throws {
        var symbols = [String: Int]()
        for i in graph.inputs {
            guard var v = feeds[i.name] else {
                throw EngineError(
                    .badInput, file: graph.file,
                    "input '\(i.name)' is missing (the model needs \(graph.inputs.map(\.name).joined(separator: ", ")))"
                )
            }
            if let t = i.type {
                if t.isFloat != v.type.isFloat {
                    throw EngineError(
                        .typeMismatch, file: graph.file, "input '\(i.name)' must be \(t), got \(v.signature)")
                }
                if t != v.type { v = ElementwiseOps.cast(v, to: t) }
            }
            if let shape = i.shape {
                guard shape.count == v.rank else {
                    throw EngineError(
                        .shapeMismatch, file: graph.file,
                        "input '\(i.name)' must have rank \(shape.count) \(shape), got \(v.shape)")
                }
                for (d, n) in zip(shape, v.shape) {
                    switch d {
                    case .fixed(let f) where f != n:
                        throw EngineError(
                            .shapeMismatch, file: graph.file, "input '\(i.name)' must be \(shape), got \(v.shape)")
                    case .symbol(let s):
                        if let seen = symbols[s], seen != n {
                            throw EngineError(
                                .shapeMismatch, file: graph.file,
                                "dimension '\(s)' is \(seen) in one input and \(n) in '\(i.name)'")
                        }
                        symbols[s] = n
                    default: break
                    }
                }
            }
            env[i.name] = v
        }
        for name in feeds.keys where !graph.inputs.contains(where: { $0.name == name }) {
            throw EngineError(
                .badInput, file: graph.file,
                "the model has no input named '\(name)' (inputs: \(graph.inputs.map(\.name).joined(separator: ", ")))")
        }
    }
}
