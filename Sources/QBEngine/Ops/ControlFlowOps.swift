/// Control flow, per the ONNX operator specs: If (opset 1+), Loop (opset 1+; loop-carried values may change shape
/// from one iteration to the next, as opset 11 allows) and Scan (opset 9+). Their bodies are `Subgraph`s run by the
/// same operators as the main graph; the values they read from the graphs around them arrive as the node's captured
/// inputs. Loop and Scan stop with an error naming the node past `EngineLimits.maxLoopIterations` iterations.
enum ControlFlowOps {
    static func register(_ r: inout [String: OperatorDef]) {
        r["If"] = OperatorDef(run: runIf, infer: inferIf)
        r["Loop"] = OperatorDef(run: runLoop, infer: inferLoop)
        r["Scan"] = OperatorDef(run: runScan, infer: inferScan)
    }

    static func body(_ ctx: OpContext, _ key: String) throws -> Subgraph {
        guard case .graph(let g)? = ctx.node.attributes[key] else {
            throw ctx.fail(.badAttribute, "attribute '\(key)' must hold a graph")
        }
        return g
    }

    /// The declared inputs (without the captured ones) and the captured values by the name the bodies use.
    static func split(_ ctx: OpContext, _ inputs: [Value?]) -> (declared: [Value?], scope: [String: Value]) {
        let captured = ctx.node.captures.count
        var scope = [String: Value]()
        for (name, value) in zip(ctx.node.captures, inputs.suffix(captured)) { scope[name] = value }
        return (Array(inputs.dropLast(captured)), scope)
    }

    /// If: runs `then_branch` when the single boolean element of `cond` is true, else `else_branch`.
    static func runIf(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let (declared, scope) = split(ctx, inputs)
        let cond = try ctx.input(declared, 0)
        guard cond.count == 1 else { throw ctx.fail(.badInput, "cond must hold one element, got \(cond.shape)") }
        let branch = try body(ctx, cond.floats[0] != 0 ? "then_branch" : "else_branch")
        let outs = try branch.run([], scope: scope, context: ctx)
        guard outs.count == ctx.node.outputs.count else {
            throw ctx.fail(
                .malformedModel, "\(branch) gives \(outs.count) outputs, the node declares \(ctx.node.outputs.count)")
        }
        return outs
    }

    /// Loop: inputs M (trip count, optional), cond (optional), then N loop-carried values. The body takes (iteration
    /// number, condition, N values) and gives (condition, N values, K scan outputs). It runs while i < M (when given)
    /// and the condition holds (when given; without a cond input the body's condition is ignored). Outputs: the N
    /// final values, then each scan output stacked along a new first axis.
    static func runLoop(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let (declared, scope) = split(ctx, inputs)
        let loop = try body(ctx, "body")
        let tripCount = ctx.optional(declared, 0).map { $0.ints.first ?? 0 }
        let condInput = ctx.optional(declared, 1).map { ($0.ints.first ?? 0) != 0 }
        var carried = try (2..<max(declared.count, 2)).map { try ctx.input(declared, $0) }
        guard loop.inputs.count == carried.count + 2, loop.outputs.count >= carried.count + 1 else {
            throw ctx.fail(
                .malformedModel,
                "\(loop) takes \(loop.inputs.count) inputs and gives \(loop.outputs.count) outputs; with "
                    + "\(carried.count) loop-carried values it must take \(carried.count + 2) and give at least "
                    + "\(carried.count + 1)")
        }
        let scanCount = loop.outputs.count - 1 - carried.count
        var scans = [[Value]](repeating: [], count: scanCount)
        var condition = condInput ?? true
        var iteration: Int64 = 0
        while condition && (tripCount.map { iteration < $0 } ?? true) {
            guard iteration < Int64(ctx.maxLoopIterations) else {
                throw ctx.fail(.limit, "the loop runs more than \(ctx.maxLoopIterations) iterations (the limit)")
            }
            let feeds =
                [Value(type: .int64, shape: [], ints: [iteration]), Value(type: .bool, shape: [], ints: [1])] + carried
            let outs = try loop.run(feeds, scope: scope, context: ctx)
            if condInput != nil { condition = (outs[0].ints.first ?? 0) != 0 }
            let n = carried.count
            carried = Array(outs[1..<(1 + n)])
            for k in 0..<scanCount { scans[k].append(outs[1 + n + k]) }
            iteration += 1
        }
        let stacked = try scans.enumerated().map { k, slices in
            try stack(ctx, slices, axis: 0, empty: loop.outputs[1 + carried.count + k])
        }
        return carried + stacked
    }

    /// Scan (opset 9+): N state values, then M scan inputs (`num_scan_inputs`). Each iteration feeds the states and
    /// one slice of every scan input (along `scan_input_axes`, backwards where `scan_input_directions` is 1) to the
    /// body, which gives the new states and K scan output slices, stacked along `scan_output_axes` (in reverse order
    /// where `scan_output_directions` is 1).
    static func runScan(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        try refuseBatchedScan(ctx)
        let (declared, scope) = split(ctx, inputs)
        let scan = try body(ctx, "body")
        let scanInputCount = try ctx.int("num_scan_inputs", 0)
        let all = try declared.indices.map { try ctx.input(declared, $0) }
        guard scanInputCount >= 1, scanInputCount <= all.count else {
            throw ctx.fail(.badAttribute, "num_scan_inputs \(scanInputCount) does not fit \(all.count) inputs")
        }
        var states = Array(all.dropLast(scanInputCount))
        let scanned = Array(all.suffix(scanInputCount))
        let scanOutputCount = scan.outputs.count - states.count
        guard scan.inputs.count == all.count, scanOutputCount >= 0 else {
            throw ctx.fail(
                .malformedModel,
                "\(scan) takes \(scan.inputs.count) inputs and gives \(scan.outputs.count) outputs for "
                    + "\(states.count) states and \(scanInputCount) scan inputs")
        }
        let inputAxes = try ctx.ints("scan_input_axes") ?? Array(repeating: 0, count: scanInputCount)
        let inputDirections = try ctx.ints("scan_input_directions") ?? Array(repeating: 0, count: scanInputCount)
        let outputAxes = try ctx.ints("scan_output_axes") ?? Array(repeating: 0, count: scanOutputCount)
        let outputDirections = try ctx.ints("scan_output_directions") ?? Array(repeating: 0, count: scanOutputCount)
        guard inputAxes.count == scanInputCount, inputDirections.count == scanInputCount,
            outputAxes.count == scanOutputCount, outputDirections.count == scanOutputCount
        else { throw ctx.fail(.badAttribute, "the scan axes and directions must have one entry per scan value") }
        // Each scan input with its scan axis moved first, so that a slice is a contiguous block.
        let leading = try zip(scanned, inputAxes).map { x, a -> Value in
            guard x.rank >= 1 else { throw ctx.fail(.shapeMismatch, "a scan input must have rank 1 or more") }
            let axis = try ctx.axis(a, rank: x.rank)
            return x.transposed([axis] + (0..<x.rank).filter { $0 != axis })
        }
        let length = leading.first?.shape.first ?? 0
        guard leading.allSatisfy({ $0.shape.first == length }) else {
            throw ctx.fail(.shapeMismatch, "the scan inputs differ in length along their scan axes")
        }
        guard length <= ctx.maxLoopIterations else {
            throw ctx.fail(.limit, "the scan runs \(length) iterations, more than the limit \(ctx.maxLoopIterations)")
        }
        var slicesOut = [[Value]](repeating: [], count: scanOutputCount)
        for t in 0..<length {
            let slices = zip(leading, inputDirections).map { x, reverse in
                let rest = Array(x.shape.dropFirst()), step = rest.reduce(1, *)
                let index = reverse != 0 ? length - 1 - t : t
                return x.strided(shape: rest, base: index * step, strides: QBEngine.strides(rest))
            }
            let outs = try scan.run(states + slices, scope: scope, context: ctx)
            states = Array(outs.prefix(states.count))
            for k in 0..<scanOutputCount { slicesOut[k].append(outs[states.count + k]) }
        }
        let outputs = try (0..<scanOutputCount).map { k -> Value in
            let slices = outputDirections[k] != 0 ? slicesOut[k].reversed() : slicesOut[k]
            let first = try stack(ctx, slices, axis: 0, empty: scan.outputs[states.count + k])
            let axis = try ctx.axis(outputAxes[k], rank: first.rank)
            guard axis != 0 else { return first }
            var order = Array(1..<first.rank)
            order.insert(0, at: axis)
            return first.transposed(order)
        }
        return states + outputs
    }

    static func refuseBatchedScan(_ ctx: OpContext) throws {
        guard ctx.opset >= 9 else {
            throw ctx.fail(.unsupported, "Scan of opset 8 (batched, with sequence_lens) is not supported")
        }
    }

    /// Slices of one shape stacked along a new axis 0; no slices give [0, declared dims...] (or [0]).
    static func stack(_ ctx: OpContext, _ slices: [Value], axis: Int, empty declared: ValueInfo) throws -> Value {
        guard let first = slices.first else {
            let declaredDims = declared.shape ?? []
            let dims = declaredDims.compactMap(\.value)
            let shape = [0] + (dims.count == declaredDims.count ? dims : [])
            let type = declared.type ?? .float
            return type.isFloat
                ? Value(type: type, shape: shape, storage: .float([])) : Value(type: type, shape: shape, ints: [])
        }
        guard slices.allSatisfy({ $0.shape == first.shape && $0.type.isFloat == first.type.isFloat }) else {
            throw ctx.fail(.shapeMismatch, "a scan output changes shape or type between iterations")
        }
        return Value.concatenate(slices.map { $0.reshaped([1] + $0.shape) }, axis: axis)
    }
}

extension ControlFlowOps {
    /// If's outputs: the then-branch's types; a dimension both branches agree on is kept, others are unknown.
    static func inferIf(_ ctx: OpContext, _ t: [TypeInfo?]) throws -> [TypeInfo] {
        let scope = scopeInfo(ctx, t)
        let thenTypes = try GraphChecker.outputTypes(of: try body(ctx, "then_branch"), inputs: [], scope: scope, ctx)
        let elseTypes = try GraphChecker.outputTypes(of: try body(ctx, "else_branch"), inputs: [], scope: scope, ctx)
        guard thenTypes.count == elseTypes.count else {
            throw ctx.fail(
                .malformedModel, "then_branch gives \(thenTypes.count) outputs, else_branch \(elseTypes.count)")
        }
        return zip(thenTypes, elseTypes).map { a, b in TypeInfo(type: a.type, shape: merged(a.shape, b.shape)) }
    }

    /// Loop's outputs: the body's loop-carried types (shapes kept where the body keeps them), then each scan output
    /// with a leading dimension of unknown length.
    static func inferLoop(_ ctx: OpContext, _ t: [TypeInfo?]) throws -> [TypeInfo] {
        let scope = scopeInfo(ctx, t)
        let declared = Array(t.dropLast(ctx.node.captures.count))
        let carried = Array(declared.dropFirst(2))
        let loop = try body(ctx, "body")
        let feeds: [TypeInfo?] = [TypeInfo(type: .int64, shape: []), TypeInfo(type: .bool, shape: [])] + carried
        let outs = try GraphChecker.outputTypes(of: loop, inputs: feeds, scope: scope, ctx)
        guard outs.count >= 1 + carried.count else {
            throw ctx.fail(
                .malformedModel, "\(loop) gives \(outs.count) outputs for \(carried.count) loop-carried values")
        }
        let final = zip(carried, outs[1...]).map { input, out in
            TypeInfo(type: out.type, shape: merged(input?.shape, out.shape))
        }
        let scans = outs.dropFirst(1 + carried.count).map {
            TypeInfo(type: $0.type, shape: $0.shape.map { [.unknown] + $0 })
        }
        return final + scans
    }

    /// Scan's outputs: the states' types, then each scan output with an unknown scan dimension at its axis.
    static func inferScan(_ ctx: OpContext, _ t: [TypeInfo?]) throws -> [TypeInfo] {
        try refuseBatchedScan(ctx)
        let scope = scopeInfo(ctx, t)
        let declared = Array(t.dropLast(ctx.node.captures.count))
        let scanInputCount = try ctx.int("num_scan_inputs", 0)
        guard scanInputCount >= 1, scanInputCount <= declared.count else {
            throw ctx.fail(.badAttribute, "num_scan_inputs \(scanInputCount) does not fit \(declared.count) inputs")
        }
        let stateCount = declared.count - scanInputCount
        let scan = try body(ctx, "body")
        let axes = try ctx.ints("scan_input_axes") ?? Array(repeating: 0, count: scanInputCount)
        var feeds = Array(declared.prefix(stateCount))
        for (k, x) in declared.suffix(scanInputCount).enumerated() {
            var slice = x.map { TypeInfo(type: $0.type, shape: nil) }
            if let x, let shape = x.shape, k < axes.count {
                guard !shape.isEmpty else { throw ctx.fail(.shapeMismatch, "a scan input must have rank 1 or more") }
                var dims = shape
                dims.remove(at: try ctx.axis(axes[k], rank: shape.count))
                slice = TypeInfo(type: x.type, shape: dims)
            }
            feeds.append(slice)
        }
        let outs = try GraphChecker.outputTypes(of: scan, inputs: feeds, scope: scope, ctx)
        guard outs.count >= stateCount else {
            throw ctx.fail(.malformedModel, "\(scan) gives \(outs.count) outputs for \(stateCount) states")
        }
        let outputAxes = try ctx.ints("scan_output_axes") ?? Array(repeating: 0, count: outs.count - stateCount)
        let scans = try outs.dropFirst(stateCount).enumerated().map { k, out -> TypeInfo in
            guard var dims = out.shape, k < outputAxes.count else { return TypeInfo(type: out.type, shape: nil) }
            dims.insert(.unknown, at: try ctx.axis(outputAxes[k], rank: dims.count + 1))
            return TypeInfo(type: out.type, shape: dims)
        }
        return Array(outs.prefix(stateCount)).map { TypeInfo(type: $0.type, shape: $0.shape) } + scans
    }

    /// The captured inputs' types by the name the bodies use.
    static func scopeInfo(_ ctx: OpContext, _ t: [TypeInfo?]) -> [String: TypeInfo] {
        var scope = [String: TypeInfo]()
        for (name, info) in zip(ctx.node.captures, t.suffix(ctx.node.captures.count)) { scope[name] = info }
        return scope
    }

    /// Two shapes of one value: the dimensions they agree on, unknown elsewhere; nil when the ranks differ.
    static func merged(_ a: [Dim]?, _ b: [Dim]?) -> [Dim]? {
        guard let a, let b, a.count == b.count else { return nil }
        return zip(a, b).map { $0 == $1 ? $0 : .unknown }
    }
}
