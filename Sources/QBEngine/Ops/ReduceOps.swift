import CKernels

/// ReduceMean, ReduceSum, ReduceMax, ReduceMin, ReduceProd, ReduceSumSquare, ReduceL1, ReduceL2, ReduceLogSum,
/// ReduceLogSumExp, ArgMax, ArgMin.
enum ReduceOps {
    /// A reduction: `finish(combine(... combine(initial, element(x_0)) ..., element(x_n)))` over the reduced axes,
    /// with its axes an input from opset `axesInputSince` on (an attribute before).
    struct Reducer: Sendable {
        let name: String
        let initial: Float
        let combine: @Sendable (Float, Float) -> Float
        var element: (@Sendable (Float) -> Float)? = nil
        var finish: (@Sendable (Float) -> Float)? = nil
        let axesInputSince: Int
    }

    static let reducers: [Reducer] = [
        Reducer(name: "ReduceSum", initial: 0, combine: +, axesInputSince: 13),
        Reducer(name: "ReduceMean", initial: 0, combine: +, axesInputSince: 18),
        Reducer(name: "ReduceMax", initial: -.infinity, combine: { max($0, $1) }, axesInputSince: 18),
        Reducer(name: "ReduceMin", initial: .infinity, combine: { min($0, $1) }, axesInputSince: 18),
        Reducer(name: "ReduceProd", initial: 1, combine: *, axesInputSince: 18),
        Reducer(name: "ReduceSumSquare", initial: 0, combine: +, element: { $0 * $0 }, axesInputSince: 18),
        Reducer(name: "ReduceL1", initial: 0, combine: +, element: { abs($0) }, axesInputSince: 18),
        Reducer(
            name: "ReduceL2", initial: 0, combine: +, element: { $0 * $0 }, finish: { $0.squareRoot() },
            axesInputSince: 18),
        Reducer(name: "ReduceLogSum", initial: 0, combine: +, finish: { qb_logf($0) }, axesInputSince: 18),
        Reducer(
            name: "ReduceLogSumExp", initial: 0, combine: +, element: { qb_expf($0) }, finish: { qb_logf($0) },
            axesInputSince: 18),
    ]

    static func register(_ r: inout [String: OperatorDef]) {
        for reducer in reducers {
            let (name, initial, f, axesInputSince) = (
                reducer.name, reducer.initial, reducer.combine, reducer.axesInputSince
            )
            r[name] = OperatorDef(
                run: { ctx, inputs in
                    let x = try ctx.floatInput(inputs, 0)
                    let given = ctx.opset >= axesInputSince ? try ctx.intList(inputs, 1) : try ctx.ints("axes")
                    guard let axes = try reduceAxes(ctx, given, rank: x.rank) else { return [x] }
                    let keep = try ctx.int("keepdims", 1) != 0
                    let outShape = x.shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
                    let n = outShape.reduce(1, *)
                    var acc = [Float](repeating: initial, count: n)
                    let xs = strides(x.shape), os = strides(outShape)
                    let f32 = x.floats
                    let element = reducer.element ?? { $0 }
                    for i in 0..<f32.count {
                        var rem = i, o = 0
                        for d in 0..<x.rank {
                            let c = rem / xs[d]
                            rem %= xs[d]
                            if outShape[d] != 1 { o += c * os[d] }
                        }
                        acc[o] = f(acc[o], element(f32[i]))
                    }
                    if name == "ReduceMean" {
                        let count = Float(x.count / max(n, 1))
                        for i in 0..<n { acc[i] /= count }
                    }
                    if let finish = reducer.finish { acc = acc.map(finish) }
                    let shape =
                        keep ? outShape : x.shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
                    return [Value(type: x.type, shape: shape, storage: .float(acc))]
                },
                infer: { ctx, t in
                    guard let x = t.at(0) else { throw ctx.fail(.malformedModel, "input 0 is required") }
                    guard let xs = x.shape else { return [TypeInfo(type: x.type, shape: nil)] }
                    let given: [Int]?
                    if ctx.opset >= axesInputSince {
                        if t.count > 1, let a = t.at(1) {
                            guard let c = a.constant else { return [TypeInfo(type: x.type, shape: nil)] }
                            given = c.ints.map { Int($0) }
                        } else {
                            given = nil
                        }
                    } else {
                        given = try ctx.ints("axes")
                    }
                    guard let axes = try reduceAxes(ctx, given, rank: xs.count) else {
                        return [TypeInfo(type: x.type, shape: xs)]
                    }
                    let keep = try ctx.int("keepdims", 1) != 0
                    let shape =
                        keep
                        ? xs.enumerated().map { axes.contains($0.offset) ? .fixed(1) : $0.element }
                        : xs.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
                    return [TypeInfo(type: x.type, shape: shape)]
                })
        }
        for name in ["ArgMax", "ArgMin"] {
            r[name] = OperatorDef(
                run: { ctx, inputs in
                    let x = try ctx.input(inputs, 0)
                    let axis = try ctx.axis(try ctx.int("axis", 0), rank: x.rank)
                    let keep = try ctx.int("keepdims", 1) != 0, last = try ctx.int("select_last_index", 0) != 0
                    let n = x.shape[axis], inner = x.shape[(axis + 1)...].reduce(1, *),
                        outer = x.shape[..<axis].reduce(1, *)
                    let f = x.floats
                    var out = [Int64](repeating: 0, count: outer * inner)
                    for o in 0..<outer {
                        for j in 0..<inner {
                            var best = 0
                            for k in 1..<max(n, 1) {
                                let v = f[(o * n + k) * inner + j], b = f[(o * n + best) * inner + j]
                                let better =
                                    name == "ArgMax" ? (v > b || (last && v == b)) : (v < b || (last && v == b))
                                if better { best = k }
                            }
                            out[o * inner + j] = Int64(best)
                        }
                    }
                    var shape = x.shape
                    if keep { shape[axis] = 1 } else { shape.remove(at: axis) }
                    return [Value(shape: shape, ints: out)]
                },
                infer: { ctx, t in
                    guard let x = t.at(0) else { throw ctx.fail(.malformedModel, "input 0 is required") }
                    guard var xs = x.shape else { return [TypeInfo(type: .int64, shape: nil)] }
                    let axis = try ctx.axis(try ctx.int("axis", 0), rank: xs.count)
                    if try ctx.int("keepdims", 1) != 0 { xs[axis] = .fixed(1) } else { xs.remove(at: axis) }
                    return [TypeInfo(type: .int64, shape: xs)]
                })
        }
    }

    /// The set of reduced axes; nil when nothing is reduced (empty axes with noop_with_empty_axes).
    static func reduceAxes(_ ctx: OpContext, _ given: [Int]?, rank: Int) throws -> Set<Int>? {
        if let given, !given.isEmpty { return Set(try given.map { try ctx.axis($0, rank: rank) }) }
        if try ctx.int("noop_with_empty_axes", 0) != 0 { return nil }
        return Set(0..<rank)
    }
}
