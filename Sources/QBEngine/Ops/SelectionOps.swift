/// Concat, Slice, Split, Gather, Constant, ConstantOfShape, Range, Tile.
enum SelectionOps {
    static func register(_ r: inout [String: OperatorDef]) {
        r["Concat"] = OperatorDef(
            run: { ctx, inputs in
                let values = try inputs.indices.compactMap { i -> Value? in
                    inputs[i] == nil ? nil : try ctx.input(inputs, i)
                }
                guard let first = values.first else { throw ctx.fail(.malformedModel, "Concat needs inputs") }
                let axis = try ctx.axis(try ctx.int("axis", 0), rank: first.rank)
                for v in values
                where v.rank != first.rank
                    || (0..<v.rank).contains(where: { $0 != axis && v.shape[$0] != first.shape[$0] })
                {
                    throw ctx.fail(
                        .shapeMismatch, "cannot concatenate \(first.shape) and \(v.shape) along axis \(axis)")
                }
                let unified = values.map { $0.type == first.type ? $0 : ElementwiseOps.cast($0, to: first.type) }
                return [Value.concatenate(unified, axis: axis)]
            },
            infer: { ctx, t in
                let present = t.compactMap { $0 }
                guard let first = present.first else { throw ctx.fail(.malformedModel, "Concat needs inputs") }
                guard let rank = first.rank, present.allSatisfy({ $0.shape != nil }) else {
                    return [TypeInfo(type: first.type, shape: nil)]
                }
                let axis = try ctx.axis(try ctx.int("axis", 0), rank: rank)
                var shape = first.shape!
                var total: Dim = .fixed(0)
                for p in present {
                    let s = p.shape!
                    guard s.count == rank else {
                        throw ctx.fail(.shapeMismatch, "inputs have ranks \(rank) and \(s.count)")
                    }
                    for d in 0..<rank where d != axis {
                        if let a = shape[d].value, let b = s[d].value, a != b {
                            throw ctx.fail(.shapeMismatch, "input dims differ on axis \(d): \(a) vs \(b)")
                        }
                        if shape[d].value == nil, s[d].value != nil { shape[d] = s[d] }
                    }
                    if let a = total.value, let b = s[axis].value { total = .fixed(a + b) } else { total = .unknown }
                }
                shape[axis] = total
                var elements: [Dim]? = nil
                if rank == 1 {
                    let parts = present.map(\.elementDims)
                    if parts.allSatisfy({ $0 != nil }) { elements = parts.flatMap { $0! } }
                }
                return [TypeInfo(type: first.type, shape: shape, elements: elements)]
            })

        r["Slice"] = OperatorDef(
            run: { ctx, inputs in
                let x = try ctx.input(inputs, 0)
                let (start, step, shape) = try sliceGeometry(ctx, inputs: inputs, shape: x.shape)
                return [x.sliced(start: start, step: step, shape: shape)]
            },
            infer: { ctx, t in
                guard let x = t.at(0) else { throw ctx.fail(.malformedModel, "input 0 is required") }
                guard let xs = x.shape, xs.allSatisfy({ $0.value != nil }) else {
                    return [TypeInfo(type: x.type, shape: x.shape.map { $0.map { _ in Dim.unknown } })]
                }
                let params = t.dropFirst().map { $0?.constant }
                if ctx.opset >= 10 && params.contains(where: { $0 == nil }) && params.count >= 2
                    && (params[0] == nil || params[1] == nil)
                {
                    return [TypeInfo(type: x.type, shape: xs.map { _ in Dim.unknown })]
                }
                let (start, step, shape) = try sliceGeometry(ctx, inputs: [nil] + params, shape: xs.map { $0.value! })
                var elements: [Dim]? = nil
                if xs.count == 1, let e = x.elementDims { elements = (0..<shape[0]).map { e[start[0] + $0 * step[0]] } }
                return [TypeInfo(type: x.type, shape: shape.map { .fixed($0) }, elements: elements)]
            })

        r["Split"] = OperatorDef(
            run: { ctx, inputs in
                let x = try ctx.input(inputs, 0)
                let axis = try ctx.axis(try ctx.int("axis", 0), rank: x.rank)
                let sizes = try splitSizes(
                    ctx, given: ctx.opset >= 13 ? try ctx.intList(inputs, 1) : try ctx.ints("split"),
                    length: x.shape[axis])
                var out = [Value]()
                var offset = 0
                for s in sizes {
                    var shape = x.shape
                    shape[axis] = s
                    var start = [Int](repeating: 0, count: x.rank)
                    start[axis] = offset
                    out.append(x.sliced(start: start, step: [Int](repeating: 1, count: x.rank), shape: shape))
                    offset += s
                }
                return out
            },
            infer: { ctx, t in
                guard let x = t.at(0) else { throw ctx.fail(.malformedModel, "input 0 is required") }
                let outs = ctx.node.outputs.count
                guard let xs = x.shape else {
                    return [TypeInfo](repeating: TypeInfo(type: x.type, shape: nil), count: outs)
                }
                let axis = try ctx.axis(try ctx.int("axis", 0), rank: xs.count)
                guard let length = xs[axis].value else {
                    return [TypeInfo](repeating: TypeInfo(type: x.type, shape: nil), count: outs)
                }
                if ctx.opset >= 13, t.count > 1, let s = t.at(1), s.constant == nil {
                    return [TypeInfo](
                        repeating: TypeInfo(
                            type: x.type, shape: xs.enumerated().map { $0.offset == axis ? .unknown : $0.element }),
                        count: outs)
                }
                let given: [Int]? =
                    ctx.opset >= 13
                    ? (t.count > 1 ? t.at(1)?.constant?.ints.map { Int($0) } : nil) : try ctx.ints("split")
                let sizes = try splitSizes(ctx, given: given, length: length)
                return sizes.map { s in
                    var shape = xs
                    shape[axis] = .fixed(s)
                    return TypeInfo(type: x.type, shape: shape)
                }
            })

        r["Gather"] = OperatorDef(
            run: { ctx, inputs in
                let x = try ctx.input(inputs, 0), idx = try ctx.input(inputs, 1)
                guard !idx.type.isFloat else { throw ctx.fail(.typeMismatch, "indices must be integers") }
                let axis = try ctx.axis(try ctx.int("axis", 0), rank: x.rank)
                let n = x.shape[axis]
                let indices = try idx.ints.map { i -> Int in
                    let j = Int(i) < 0 ? Int(i) + n : Int(i)
                    guard j >= 0 && j < n else {
                        throw ctx.fail(.badInput, "index \(i) is out of range for axis \(axis) of size \(n)")
                    }
                    return j
                }
                let outer = x.shape[..<axis].reduce(1, *), inner = x.shape[(axis + 1)...].reduce(1, *)
                var map = [Int]()
                map.reserveCapacity(outer * indices.count * inner)
                for o in 0..<outer {
                    for j in indices {
                        let base = (o * n + j) * inner
                        for i in 0..<inner { map.append(base + i) }
                    }
                }
                return [x.gathering(map, shape: Array(x.shape[..<axis]) + idx.shape + Array(x.shape[(axis + 1)...]))]
            },
            infer: { ctx, t in
                guard let x = t.at(0), let idx = t.count > 1 ? t.at(1) : nil else {
                    throw ctx.fail(.malformedModel, "Gather needs data and indices")
                }
                guard let xs = x.shape, let ids = idx.shape else { return [TypeInfo(type: x.type, shape: nil)] }
                let axis = try ctx.axis(try ctx.int("axis", 0), rank: xs.count)
                var elements: [Dim]? = nil
                if xs.count == 1, let e = x.elementDims, let c = idx.constant {
                    elements = c.ints.map { i in
                        let j = Int(i) < 0 ? Int(i) + e.count : Int(i)
                        return j >= 0 && j < e.count ? e[j] : .unknown
                    }
                }
                return [
                    TypeInfo(
                        type: x.type, shape: Array(xs[..<axis]) + ids + Array(xs[(axis + 1)...]), elements: elements)
                ]
            })

        r["Constant"] = OperatorDef(
            run: { ctx, _ in [try constant(ctx)] }, infer: { ctx, _ in [TypeInfo(try constant(ctx))] })

        r["ConstantOfShape"] = OperatorDef(
            run: { ctx, inputs in
                guard let shape = try ctx.intList(inputs, 0) else {
                    throw ctx.fail(.malformedModel, "the shape input is required")
                }
                let count = try ctx.checkedCount(shape)
                let fill = try ctx.node.tensor("value", file: ctx.file) ?? Value(shape: [1], floats: [0])
                switch fill.storage {
                case .float(let f):
                    return [
                        Value(
                            type: fill.type, shape: shape,
                            storage: .float([Float](repeating: f.first ?? 0, count: count)))
                    ]
                case .int(let v):
                    return [
                        Value(
                            type: fill.type, shape: shape, storage: .int([Int64](repeating: v.first ?? 0, count: count))
                        )
                    ]
                }
            },
            infer: { ctx, t in
                let fill = try ctx.node.tensor("value", file: ctx.file)
                let dims = (t.first ?? nil)?.elementDims
                return [TypeInfo(type: fill?.type ?? .float, shape: dims)]
            })

        r["Range"] = OperatorDef(
            run: { ctx, inputs in
                let s = try ctx.input(inputs, 0), l = try ctx.input(inputs, 1), d = try ctx.input(inputs, 2)
                if s.type.isFloat {
                    let a = s.floats[0], b = l.floats[0], step = d.floats[0]
                    guard step != 0, step.isFinite, a.isFinite, b.isFinite else {
                        throw ctx.fail(.badInput, "start, limit and delta must be finite, delta non-zero")
                    }
                    let steps = (Double(b - a) / Double(step)).rounded(.up)
                    guard steps <= Double(1 << 31) else {
                        throw ctx.fail(.limit, "Range of \(steps) elements is too large")
                    }
                    let n = max(Int(steps), 0)
                    return [Value(type: s.type, shape: [n], storage: .float((0..<n).map { a + Float($0) * step }))]
                }
                let a = s.ints[0], b = l.ints[0], step = d.ints[0]
                guard step != 0 else { throw ctx.fail(.badInput, "delta is 0") }
                let steps = ((Double(b) - Double(a)) / Double(step)).rounded(.up)
                guard steps <= Double(1 << 31) else {
                    throw ctx.fail(.limit, "Range of \(steps) elements is too large")
                }
                let n = max(Int(steps), 0)
                return [Value(type: s.type, shape: [n], ints: (0..<n).map { a + Int64($0) * step })]
            }, infer: { ctx, t in [TypeInfo(type: (t.first ?? nil)?.type ?? .float, shape: [.unknown])] })

        r["Tile"] = OperatorDef(
            run: { ctx, inputs in
                let x = try ctx.input(inputs, 0)
                guard let reps = try ctx.intList(inputs, 1), reps.count == x.rank, reps.allSatisfy({ $0 >= 0 }) else {
                    throw ctx.fail(.badInput, "repeats must hold one non-negative value per axis of \(x.shape)")
                }
                let outShape = zip(x.shape, reps).map { $0.multipliedReportingOverflow(by: $1).overflow ? -1 : $0 * $1 }
                let inStrides = strides(x.shape)
                let n = try ctx.checkedCount(outShape)
                var map = [Int](repeating: 0, count: n)
                let outStrides = strides(outShape)
                for i in 0..<n {
                    var rem = i, src = 0
                    for d in 0..<outShape.count {
                        let c = rem / outStrides[d]
                        rem %= outStrides[d]
                        src += (c % x.shape[d]) * inStrides[d]
                    }
                    map[i] = src
                }
                return [x.gathering(map, shape: outShape)]
            },
            infer: { ctx, t in
                [
                    TypeInfo(
                        type: (t.first ?? nil)?.type ?? .float,
                        shape: (t.first ?? nil)?.shape.map { $0.map { _ in .unknown } })
                ]
            })
    }

    static func constant(_ ctx: OpContext) throws -> Value {
        let n = ctx.node
        if let t = try n.tensor("value", file: ctx.file) { return t }
        switch n.attributes["value_float"] {
        case .float(let f)?: return Value(shape: [], floats: [f])
        default: break
        }
        if let fs = try ctx.floats("value_floats"), n.attributes["value_floats"] != nil {
            return Value(shape: [fs.count], floats: fs)
        }
        switch n.attributes["value_int"] {
        case .int(let i)?: return Value(shape: [], ints: [Int64(i)])
        default: break
        }
        if let i = try ctx.ints("value_ints"), n.attributes["value_ints"] != nil {
            return Value(shape: [i.count], ints: i.map { Int64($0) })
        }
        throw ctx.fail(
            .unsupported,
            "Constant needs value, value_float(s) or value_int(s) (sparse and string values are not supported)")
    }

    /// Normalized starts, steps and output shape of a Slice (attributes before opset 10, inputs after).
    static func sliceGeometry(_ ctx: OpContext, inputs: [Value?], shape: [Int]) throws -> ([Int], [Int], [Int]) {
        let rank = shape.count
        let starts: [Int], ends: [Int], axesGiven: [Int]?, stepsGiven: [Int]?
        if ctx.opset < 10 {
            guard let s = try ctx.ints("starts"), let e = try ctx.ints("ends") else {
                throw ctx.fail(.badAttribute, "starts and ends are required")
            }
            starts = s
            ends = e
            axesGiven = try ctx.ints("axes")
            stepsGiven = nil
        } else {
            guard let s = try ctx.intList(inputs, 1), let e = try ctx.intList(inputs, 2) else {
                throw ctx.fail(.malformedModel, "starts and ends are required")
            }
            starts = s
            ends = e
            axesGiven = try ctx.intList(inputs, 3)
            stepsGiven = try ctx.intList(inputs, 4)
        }
        let axes = try (axesGiven ?? Array(0..<starts.count)).map { try ctx.axis($0, rank: rank) }
        let steps = stepsGiven ?? [Int](repeating: 1, count: starts.count)
        guard ends.count == starts.count, axes.count == starts.count, steps.count == starts.count else {
            throw ctx.fail(.badInput, "starts, ends, axes and steps must have the same length")
        }
        var start = [Int](repeating: 0, count: rank), step = [Int](repeating: 1, count: rank), out = shape
        for (i, a) in axes.enumerated() {
            let dim = shape[a], st = steps[i]
            guard st != 0 else { throw ctx.fail(.badInput, "step 0 on axis \(a)") }
            func clampIndex(_ v: Int, _ lo: Int, _ hi: Int) -> Int { min(max(v < 0 ? v + dim : v, lo), hi) }
            let b: Int, e: Int
            if st > 0 {
                b = clampIndex(starts[i], 0, dim)
                e = clampIndex(ends[i], 0, dim)
                out[a] = max(0, (e - b + st - 1) / st)
            } else {
                b = clampIndex(starts[i], 0, dim - 1)
                e = ends[i] < -dim ? -1 : clampIndex(ends[i], -1, dim - 1)
                out[a] = max(0, (b - e + (-st) - 1) / (-st))
            }
            start[a] = out[a] > 0 ? b : 0
            step[a] = st
        }
        return (start, step, out)
    }

    static func splitSizes(_ ctx: OpContext, given: [Int]?, length: Int) throws -> [Int] {
        let outs = ctx.node.outputs.count
        if let given, !given.isEmpty {
            guard given.count == outs, given.reduce(0, +) == length, given.allSatisfy({ $0 >= 0 }) else {
                throw ctx.fail(.shapeMismatch, "split \(given) does not divide length \(length) into \(outs) outputs")
            }
            return given
        }
        let parts = try ctx.int("num_outputs", outs)
        guard parts > 0 else { throw ctx.fail(.badAttribute, "num_outputs must be positive") }
        let size = (length + parts - 1) / parts
        return (0..<parts).map { min(size, max(length - $0 * size, 0)) }
    }
}
