/// Checks a graph before anything runs: every operator supported (all unsupported ones listed at
/// once), attributes valid, shapes consistent. Infers every value's type and shape (symbolic batch and
/// sequence dimensions stay symbolic) and computes the values that depend on constants only.
enum GraphChecker {
    struct Result {
        /// Type, shape and (for constant-only values) the value of every named value.
        var info: [String: TypeInfo]
    }

    static func check(_ graph: Graph, foldLimit: Int = 1 << 22) throws -> Result {
        // 1. Unsupported operators, all at once.
        var missing = [String: [String]]()
        for n in graph.nodes {
            if n.isKernelLayer {
                guard graph.kernels[n.name] != nil, n.inputs.count == 1, n.outputs.count == 1 else {
                    throw EngineError(
                        .malformedModel, file: graph.file, node: n.label,
                        "a kernel layer needs one input, one output and a kernel")
                }
                continue
            }
            collectUnsupported(n, into: &missing)
        }
        if !missing.isEmpty {
            let list = missing.keys.sorted().map { op in
                let nodes = missing[op]!
                return
                    "\(op) (\(nodes.count) node\(nodes.count == 1 ? "" : "s"): "
                    + "\(nodes.prefix(3).joined(separator: ", "))\(nodes.count > 3 ? ", ..." : ""))"
            }
            throw EngineError(
                .unsupported, file: graph.file,
                "\(missing.count) unsupported operator\(missing.count == 1 ? "" : "s"): \(list.joined(separator: "; "))"
            )
        }
        // 2. Types and shapes, node by node.
        var info = [String: TypeInfo]()
        for (name, v) in graph.initializers { info[name] = TypeInfo(v) }
        for i in graph.inputs {
            guard let type = i.type else {
                let what =
                    i.unsupportedElement != 0
                    ? "is a tensor of element type \(i.unsupportedElement) (\(elementName(i.unsupportedElement))), "
                        + "which is not supported"
                    : "has no tensor type (a sequence, optional or map)"
                throw EngineError(.unsupported, file: graph.file, "graph input '\(i.name)' \(what)")
            }
            info[i.name] = TypeInfo(type: type, shape: i.shape)
        }
        try inferNodes(
            graph.nodes, info: &info, file: graph.file, opset: graph.opset, kernels: graph.kernels, foldLimit: foldLimit
        )
        // 3. Declared output types against the inferred ones.
        for o in graph.outputs {
            guard let got = info[o.name] else { continue }
            if let t = o.type, t.isFloat != got.type.isFloat {
                throw EngineError(
                    .typeMismatch, file: graph.file,
                    "graph output '\(o.name)' is declared \(t) but computes \(got.type)")
            }
            if let declared = o.shape, let inferred = got.shape {
                guard declared.count == inferred.count else {
                    throw EngineError(
                        .shapeMismatch, file: graph.file,
                        "graph output '\(o.name)' is declared with rank \(declared.count) but has rank "
                            + "\(inferred.count)"
                    )
                }
                for (d, e) in zip(declared, inferred) {
                    if let a = d.value, let b = e.value, a != b {
                        throw EngineError(
                            .shapeMismatch, file: graph.file,
                            "graph output '\(o.name)' is declared \(declared) but computes \(inferred)")
                    }
                }
            }
        }
        return Result(info: info)
    }

    /// Every operator of `node` and of its subgraphs that the engine lacks, by operator (domain-qualified).
    static func collectUnsupported(_ node: Node, into missing: inout [String: [String]]) {
        if Operators.definition(node) == nil { missing[node.qualifiedType, default: []].append(node.name) }
        for (_, body) in Subgraph.bodies(of: node) {
            for n in body.nodes { collectUnsupported(n, into: &missing) }
        }
    }

    /// Infers the types and shapes `nodes` produce, in order, into `info` (which holds their inputs' already);
    /// runs the nodes whose inputs are all constant and hold at most `foldLimit` elements.
    static func inferNodes(
        _ nodes: [Node], info: inout [String: TypeInfo], file: String, opset: Int, kernels: [String: any LayerKernel],
        foldLimit: Int
    ) throws {
        for n in nodes {
            if n.isKernelLayer {
                guard let x = info[n.inputs[0]] else {
                    throw EngineError(
                        .malformedModel, file: file, node: n.label, "input '\(n.inputs[0])' is unknown")
                }
                info[n.outputs[0]] = TypeInfo(
                    type: .float, shape: try x.shape.map { try kernels[n.name]!.outputShape($0) })
                continue
            }
            let ctx = OpContext(node: n, file: file, opset: opset)
            let op = Operators.definition(n)!
            let inputs: [TypeInfo?] = n.inputs.map { $0.isEmpty ? nil : info[$0] }
            var outputs: [TypeInfo]
            let constant = !n.inputs.isEmpty || n.opType == "Constant"
            let allConstant = constant && zip(n.inputs, inputs).allSatisfy { $0.0.isEmpty || $0.1?.constant != nil }
            let size = inputs.reduce(0) { $0 + ($1?.constant?.count ?? 0) }
            if allConstant && size <= foldLimit && n.opType != "Dropout" {
                let values = try op.run(ctx, inputs.map { $0?.constant })
                outputs = values.map { TypeInfo($0) }
            } else if let infer = op.infer {
                outputs = try infer(ctx, inputs)
            } else {
                outputs = n.outputs.map { _ in TypeInfo(type: inputs.first??.type ?? .float, shape: nil) }
            }
            for (k, name) in n.outputs.enumerated() where !name.isEmpty {
                guard k < outputs.count else {
                    throw EngineError(
                        .malformedModel, file: file, node: n.label,
                        "declares \(n.outputs.count) outputs, the operator gives \(outputs.count)")
                }
                info[name] = outputs[k]
            }
        }
    }
}

extension GraphChecker {
    /// The types and shapes a subgraph gives when its inputs have `inputs` (nil or missing: as it declares them)
    /// and the values it captures have `scope`. Its declared output types fill in what cannot be inferred.
    static func outputTypes(of body: Subgraph, inputs: [TypeInfo?], scope: [String: TypeInfo], _ ctx: OpContext)
        throws -> [TypeInfo]
    {
        var info = scope
        for (name, v) in body.initializers { info[name] = TypeInfo(v) }
        for (k, declared) in body.inputs.enumerated() {
            let given = k < inputs.count ? inputs[k] : nil
            guard let type = given?.type ?? declared.type else {
                throw ctx.fail(.unsupported, "input '\(declared.name)' of \(body) has no tensor type")
            }
            info[declared.name] = TypeInfo(type: type, shape: given?.shape ?? declared.shape)
        }
        try inferNodes(body.nodes, info: &info, file: ctx.file, opset: ctx.opset, kernels: [:], foldLimit: 1 << 16)
        return try body.outputs.map { o in
            if let got = info[o.name] { return TypeInfo(type: got.type, shape: got.shape ?? o.shape) }
            guard let type = o.type else {
                throw ctx.fail(.malformedModel, "output '\(o.name)' of \(body) has no type and is not computed")
            }
            return TypeInfo(type: type, shape: o.shape)
        }
    }
}

/// The ONNX name of a TensorProto element code the engine does not carry.
func elementName(_ code: Int32) -> String {
    let names: [Int32: String] = [
        8: "string", 14: "complex64", 15: "complex128", 16: "bfloat16", 17: "float8e4m3fn", 18: "float8e4m3fnuz",
        19: "float8e5m2", 20: "float8e5m2fnuz", 23: "float4e2m1",
    ]
    return names[code] ?? "unknown"
}
