import Foundation

/// Further operators common in exported models: Pad, PRelu, Sin, Cos, Round, Sign, Softsign, IsNaN,
/// IsInf, Trilu, InstanceNormalization.
enum ExtraOps {
    static func register(_ r: inout [String: OperatorDef]) {
        func unary(_ name: String, _ f: @escaping (Float) -> Float) {
            r[name] = ElementwiseOps.unaryOperator { _ in f }
        }
        unary("Sin") { Foundation.sin($0) }
        unary("Cos") { Foundation.cos($0) }
        unary("Round") { $0.rounded(.toNearestOrEven) }
        unary("Sign") { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }
        unary("Softsign") { $0 / (1 + abs($0)) }

        for name in ["IsNaN", "IsInf"] {
            r[name] = OperatorDef(
                run: { ctx, inputs in
                    let x = try ctx.floatInput(inputs, 0)
                    let pos = try ctx.int("detect_positive", 1) != 0, neg = try ctx.int("detect_negative", 1) != 0
                    let out: [Int64] = x.floats.map { v in
                        if name == "IsNaN" { return v.isNaN ? 1 : 0 }
                        return v.isInfinite && ((v > 0 && pos) || (v < 0 && neg)) ? 1 : 0
                    }
                    return [Value(type: .bool, shape: x.shape, ints: out)]
                }, infer: { ctx, t in [TypeInfo(type: .bool, shape: try ElementwiseOps.sameAsInput(ctx, t)[0].shape)] })
        }

        r["PRelu"] = OperatorDef(
            run: { ctx, inputs in
                let x = try ctx.floatInput(inputs, 0), slope = try ctx.floatInput(inputs, 1)
                let shape = try ElementwiseOps.broadcast(ctx, x.shape, slope.shape)
                guard shape == x.shape else {
                    throw ctx.fail(.shapeMismatch, "slope \(slope.shape) must broadcast to X \(x.shape)")
                }
                return [
                    Value(
                        type: x.type, shape: shape,
                        storage: .float(
                            Broadcast.map(x.floats, x.shape, slope.floats, slope.shape, shape) { $0 < 0 ? $0 * $1 : $0 }
                        ))
                ]
            }, infer: ElementwiseOps.sameAsInput)

        r["Pad"] = OperatorDef(
            run: pad,
            infer: { ctx, t in
                guard let x = t.at(0) else { throw ctx.fail(.malformedModel, "input 0 is required") }
                guard let xs = x.shape else { return [TypeInfo(type: x.type, shape: nil)] }
                let pads: [Int]?
                if ctx.opset < 11 {
                    pads = try ctx.ints("pads")
                } else {
                    pads = t.count > 1 ? t.at(1)?.constant?.ints.map { Int($0) } : nil
                }
                let axesGiven: [Int]? = t.count > 3 ? t.at(3)?.constant?.ints.map { Int($0) } : nil
                if t.count > 3, t.at(3) != nil, axesGiven == nil {
                    return [TypeInfo(type: x.type, shape: xs.map { _ in .unknown })]
                }
                guard let pads else { return [TypeInfo(type: x.type, shape: xs.map { _ in .unknown })] }
                let full = try fullPads(ctx, pads, axes: axesGiven, rank: xs.count)
                return [
                    TypeInfo(
                        type: x.type,
                        shape: xs.enumerated().map { i, d in
                            d.value.map { .fixed($0 + full[i] + full[i + xs.count]) } ?? .unknown
                        })
                ]
            })

        r["Trilu"] = OperatorDef(
            run: { ctx, inputs in
                let x = try ctx.input(inputs, 0)
                guard x.rank >= 2 else { throw ctx.fail(.shapeMismatch, "Trilu needs rank >= 2, got \(x.shape)") }
                let k = try ctx.intList(inputs, 1)?.first ?? 0
                let upper = try ctx.int("upper", 1) != 0
                let rows = x.shape[x.rank - 2], cols = x.shape[x.rank - 1]
                func keep(_ i: Int) -> Bool {
                    let c = i % cols, r = (i / cols) % rows
                    return upper ? c - r >= k : c - r <= k
                }
                switch x.storage {
                case .float(let f):
                    return [
                        Value(type: x.type, shape: x.shape, storage: .float(f.indices.map { keep($0) ? f[$0] : 0 }))
                    ]
                case .int(let v):
                    return [Value(type: x.type, shape: x.shape, storage: .int(v.indices.map { keep($0) ? v[$0] : 0 }))]
                }
            }, infer: ElementwiseOps.sameAsInput)

        r["InstanceNormalization"] = OperatorDef(
            run: { ctx, inputs in
                let x = try ctx.floatInput(inputs, 0), scale = try ctx.floatInput(inputs, 1).floats,
                    bias = try ctx.floatInput(inputs, 2).floats
                let eps = try ctx.float("epsilon", 1e-5)
                guard x.rank >= 3, scale.count == x.shape[1], bias.count == x.shape[1] else {
                    throw ctx.fail(
                        .shapeMismatch, "X \(x.shape) needs scale and B of \(x.rank > 1 ? x.shape[1] : 0) values")
                }
                let c = x.shape[1], inner = x.shape.dropFirst(2).reduce(1, *)
                var out = x.floats
                for p in 0..<(x.shape[0] * c) {
                    let ch = p % c
                    var mean: Float = 0
                    for i in 0..<inner { mean += out[p * inner + i] }
                    mean /= Float(inner)
                    var v: Float = 0
                    for i in 0..<inner {
                        let d = out[p * inner + i] - mean
                        v += d * d
                    }
                    let inv = 1 / (v / Float(inner) + eps).squareRoot()
                    for i in 0..<inner { out[p * inner + i] = (out[p * inner + i] - mean) * inv * scale[ch] + bias[ch] }
                }
                return [Value(type: x.type, shape: x.shape, storage: .float(out))]
            }, infer: ElementwiseOps.sameAsInput)
    }

    /// Pads as [begin_0, ..., begin_{r-1}, end_0, ..., end_{r-1}] for all axes.
    static func fullPads(_ ctx: OpContext, _ pads: [Int], axes: [Int]?, rank: Int) throws -> [Int] {
        let axes = try (axes ?? Array(0..<rank)).map { try ctx.axis($0, rank: rank) }
        guard pads.count == 2 * axes.count else {
            throw ctx.fail(.badInput, "pads has \(pads.count) values for \(axes.count) axes")
        }
        var full = [Int](repeating: 0, count: 2 * rank)
        for (i, a) in axes.enumerated() {
            full[a] = pads[i]
            full[a + rank] = pads[i + axes.count]
        }
        return full
    }

    /// Pad: constant, reflect, edge or wrap; negative pads crop.
    static func pad(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let x = try ctx.input(inputs, 0)
        let mode = try ctx.string("mode", "constant")
        let pads: [Int]
        var constant: Float = 0
        var constantInt: Int64 = 0
        if ctx.opset < 11 {
            guard let p = try ctx.ints("pads") else { throw ctx.fail(.badAttribute, "pads is required") }
            pads = p
            constant = try ctx.float("value", 0)
            constantInt = Int64(constant)
        } else {
            guard let p = try ctx.intList(inputs, 1) else {
                throw ctx.fail(.malformedModel, "the pads input is required")
            }
            pads = p
            if let c = ctx.optional(inputs, 2), c.count > 0 {
                constant = c.floats[0]
                constantInt = c.ints[0]
            }
        }
        let full = try fullPads(ctx, pads, axes: ctx.opset >= 18 ? try ctx.intList(inputs, 3) : nil, rank: x.rank)
        let rank = x.rank
        let outShape = (0..<rank).map { x.shape[$0] + full[$0] + full[$0 + rank] }
        guard outShape.allSatisfy({ $0 >= 0 }) else {
            throw ctx.fail(.shapeMismatch, "pads \(pads) crop more than \(x.shape)")
        }
        guard ["constant", "reflect", "edge", "wrap"].contains(mode) else {
            throw ctx.fail(.badAttribute, "mode \(mode) is not supported")
        }
        let inStrides = strides(x.shape), outStrides = strides(outShape)
        let n = outShape.reduce(1, *)
        var map = [Int](repeating: -1, count: n)
        for i in 0..<n {
            var rem = i, src = 0, inside = true
            for d in 0..<rank {
                var c = rem / outStrides[d] - full[d]
                rem %= outStrides[d]
                let size = x.shape[d]
                if c < 0 || c >= size {
                    switch mode {
                    case "edge": c = min(max(c, 0), size - 1)
                    case "reflect":
                        if size == 1 {
                            c = 0
                        } else {
                            let period = 2 * (size - 1)
                            c = ((c % period) + period) % period
                            if c >= size { c = period - c }
                        }
                    case "wrap": c = ((c % size) + size) % size
                    default: inside = false
                    }
                }
                if !inside { break }
                src += c * inStrides[d]
            }
            map[i] = inside ? src : -1
        }
        switch x.storage {
        case .float(let f):
            return [Value(type: x.type, shape: outShape, storage: .float(map.map { $0 < 0 ? constant : f[$0] }))]
        case .int(let v):
            return [Value(type: x.type, shape: outShape, storage: .int(map.map { $0 < 0 ? constantInt : v[$0] }))]
        }
    }
}
