/// Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Expand, Shape, Size, Identity, Dropout.
enum ShapeOps {
    static func register(_ r: inout [String: OperatorDef]) {
        r["Identity"] = OperatorDef(run: { ctx, inputs in [try ctx.input(inputs, 0)] }, infer: passThrough)
        r["Dropout"] = OperatorDef(
            run: { ctx, inputs in
                // Inference: identity; the optional mask output is all true.
                let x = try ctx.input(inputs, 0)
                if let t = ctx.optional(inputs, 2), t.ints.first ?? 0 != 0 {
                    throw ctx.fail(.unsupported, "training_mode=true is not supported")
                }
                var out = [x]
                if ctx.node.outputs.count > 1 {
                    out.append(Value(type: .bool, shape: x.shape, ints: [Int64](repeating: 1, count: x.count)))
                }
                return out
            },
            infer: { ctx, t in
                let out = try passThrough(ctx, t)
                return ctx.node.outputs.count > 1 ? out + [TypeInfo(type: .bool, shape: out[0].shape)] : out
            })

        r["Reshape"] = OperatorDef(
            run: { ctx, inputs in
                let x = try ctx.input(inputs, 0)
                let target: [Int]
                if ctx.opset < 5 {
                    guard let s = try ctx.ints("shape") else { throw ctx.fail(.badAttribute, "shape is required") }
                    target = s
                } else {
                    guard let s = try ctx.intList(inputs, 1) else {
                        throw ctx.fail(.malformedModel, "the shape input is required")
                    }
                    target = s
                }
                let allowZero = try ctx.int("allowzero", 0) != 0
                let dims = try reshapeDims(
                    ctx, input: x.shape.map { .fixed($0) }, target: target.map { .fixed($0) }, allowZero: allowZero,
                    count: x.count)
                return [x.reshaped(dims.map { $0.value! })]
            },
            infer: { ctx, t in
                guard let x = t.at(0) else { throw ctx.fail(.malformedModel, "input 0 is required") }
                let target: [Dim]?
                if ctx.opset < 5 {
                    target = try ctx.ints("shape")?.map { .fixed($0) }
                } else {
                    target = t.count > 1 ? t.at(1)?.elementDims : nil
                }
                guard let target, let xs = x.shape else { return [TypeInfo(type: x.type, shape: nil)] }
                let count: Int? = xs.allSatisfy { $0.value != nil } ? checkedProduct(xs.map { $0.value! }) : nil
                return [
                    TypeInfo(
                        type: x.type,
                        shape: try reshapeDims(
                            ctx, input: xs, target: target, allowZero: try ctx.int("allowzero", 0) != 0, count: count),
                        elements: x.elements)
                ]
            })

        r["Flatten"] = OperatorDef(
            run: { ctx, inputs in
                let x = try ctx.input(inputs, 0)
                let axis = try flattenAxis(ctx, rank: x.rank)
                return [x.reshaped([x.shape[..<axis].reduce(1, *), x.shape[axis...].reduce(1, *)])]
            },
            infer: { ctx, t in
                guard let x = t.at(0) else { throw ctx.fail(.malformedModel, "input 0 is required") }
                guard let xs = x.shape else { return [TypeInfo(type: x.type, shape: [.unknown, .unknown])] }
                let axis = try flattenAxis(ctx, rank: xs.count)
                return [TypeInfo(type: x.type, shape: [product(xs[..<axis]), product(xs[axis...])])]
            })

        r["Transpose"] = OperatorDef(
            run: { ctx, inputs in
                let x = try ctx.input(inputs, 0)
                return [x.transposed(try permutation(ctx, rank: x.rank))]
            },
            infer: { ctx, t in
                guard let x = t.at(0) else { throw ctx.fail(.malformedModel, "input 0 is required") }
                guard let xs = x.shape else { return [TypeInfo(type: x.type, shape: nil)] }
                let perm = try permutation(ctx, rank: xs.count)
                return [TypeInfo(type: x.type, shape: perm.map { xs[$0] })]
            })

        r["Squeeze"] = OperatorDef(
            run: { ctx, inputs in
                let x = try ctx.input(inputs, 0)
                let axes = try squeezeAxes(
                    ctx, inputs.count > 1 ? try ctx.intList(inputs, 1) : nil, shape: x.shape.map { .fixed($0) })
                return [x.reshaped(x.shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element))]
            },
            infer: { ctx, t in
                guard let x = t.at(0) else { throw ctx.fail(.malformedModel, "input 0 is required") }
                guard let xs = x.shape else { return [TypeInfo(type: x.type, shape: nil)] }
                let given: [Int]? = t.count > 1 ? t.at(1)?.constant?.ints.map { Int($0) } : nil
                if t.count > 1, t.at(1) != nil, given == nil { return [TypeInfo(type: x.type, shape: nil)] }
                let axes = try squeezeAxes(ctx, given, shape: xs)
                let shape = xs.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
                return [TypeInfo(type: x.type, shape: shape, elements: shape.isEmpty ? x.elements : nil)]
            })

        r["Unsqueeze"] = OperatorDef(
            run: { ctx, inputs in
                let x = try ctx.input(inputs, 0)
                let axes = try unsqueezeAxes(
                    ctx, ctx.opset >= 13 ? try ctx.intList(inputs, 1) : try ctx.ints("axes"), rank: x.rank)
                var shape = x.shape
                for a in axes { shape.insert(1, at: a) }
                return [x.reshaped(shape)]
            },
            infer: { ctx, t in
                guard let x = t.at(0) else { throw ctx.fail(.malformedModel, "input 0 is required") }
                guard let xs = x.shape else { return [TypeInfo(type: x.type, shape: nil)] }
                let given: [Int]? =
                    ctx.opset >= 13 ? t.count > 1 ? t.at(1)?.constant?.ints.map { Int($0) } : nil : try ctx.ints("axes")
                guard let given else { return [TypeInfo(type: x.type, shape: nil)] }
                let axes = try unsqueezeAxes(ctx, given, rank: xs.count)
                var shape = xs
                for a in axes { shape.insert(.fixed(1), at: a) }
                return [TypeInfo(type: x.type, shape: shape, elements: x.elementDims.flatMap { xs.isEmpty ? $0 : nil })]
            })

        r["Expand"] = OperatorDef(
            run: { ctx, inputs in
                let x = try ctx.input(inputs, 0)
                guard let target = try ctx.intList(inputs, 1) else {
                    throw ctx.fail(.malformedModel, "the shape input is required")
                }
                guard let shape = Broadcast.shape([x.shape, target]) else {
                    throw ctx.fail(.shapeMismatch, "cannot expand \(x.shape) to \(target)")
                }
                _ = try ctx.checkedCount(shape)
                switch x.storage {
                case .float(let f):
                    return [Value(type: x.type, shape: shape, storage: .float(Broadcast.expand(f, x.shape, to: shape)))]
                case .int(let v):
                    return [Value(type: x.type, shape: shape, storage: .int(Broadcast.expand(v, x.shape, to: shape)))]
                }
            },
            infer: { ctx, t in
                guard let x = t.at(0) else { throw ctx.fail(.malformedModel, "input 0 is required") }
                guard let xs = x.shape, let target = t.count > 1 ? t.at(1)?.elementDims : nil else {
                    return [TypeInfo(type: x.type, shape: nil)]
                }
                guard let s = Broadcast.dims([xs, target]) else {
                    throw ctx.fail(.shapeMismatch, "cannot expand \(xs) to \(target)")
                }
                return [TypeInfo(type: x.type, shape: s)]
            })

        r["Shape"] = OperatorDef(
            run: { ctx, inputs in
                let x = try ctx.input(inputs, 0)
                let (s, e) = try shapeRange(ctx, rank: x.rank)
                let dims = x.shape[s..<e].map { Int64($0) }
                return [Value(shape: [dims.count], ints: dims)]
            },
            infer: { ctx, t in
                guard let x = t.at(0) else { throw ctx.fail(.malformedModel, "input 0 is required") }
                guard let xs = x.shape else { return [TypeInfo(type: .int64, shape: [.unknown])] }
                let (s, e) = try shapeRange(ctx, rank: xs.count)
                return [TypeInfo(type: .int64, shape: [.fixed(e - s)], elements: Array(xs[s..<e]))]
            })

        r["Size"] = OperatorDef(
            run: { ctx, inputs in
                [Value(shape: [], ints: [Int64(try ctx.input(inputs, 0).count)])]
            }, infer: { _, t in [TypeInfo(type: .int64, shape: [])] })
    }

    static func passThrough(_ ctx: OpContext, _ t: [TypeInfo?]) throws -> [TypeInfo] {
        guard let x = t.first ?? nil else { throw ctx.fail(.malformedModel, "input 0 is required") }
        return [TypeInfo(type: x.type, shape: x.shape, elements: x.elements)]
    }

    /// The product of the dims; unknown when one is unknown or the product overflows (a real tensor that
    /// large cannot exist; the run-time allocation checks refuse it).
    static func product<C: Collection>(_ dims: C) -> Dim where C.Element == Dim {
        var p = 1
        for d in dims {
            guard let v = d.value else { return .unknown }
            let (q, overflow) = p.multipliedReportingOverflow(by: v)
            if overflow { return .unknown }
            p = q
        }
        return .fixed(p)
    }

    /// The product of known dims, nil on overflow.
    static func checkedProduct<C: Collection>(_ values: C) -> Int? where C.Element == Int {
        var p = 1
        for v in values {
            let (q, overflow) = p.multipliedReportingOverflow(by: v)
            if overflow { return nil }
            p = q
        }
        return p
    }

    /// Resolves a Reshape target: 0 copies the input dimension (unless allowzero), -1 takes what is left.
    static func reshapeDims(_ ctx: OpContext, input: [Dim], target: [Dim], allowZero: Bool, count: Int?) throws -> [Dim]
    {
        var out = [Dim]()
        var inferAt: Int? = nil
        for (i, d) in target.enumerated() {
            switch d {
            case .fixed(0) where !allowZero:
                guard i < input.count else {
                    throw ctx.fail(.shapeMismatch, "shape entry \(i) is 0 (copy) but the input has rank \(input.count)")
                }
                out.append(input[i])
            case .fixed(-1):
                guard inferAt == nil else { throw ctx.fail(.shapeMismatch, "more than one -1 in the target shape") }
                inferAt = i
                out.append(.unknown)
            case .fixed(let v) where v < -1:
                throw ctx.fail(.shapeMismatch, "invalid target dimension \(v)")
            default:
                out.append(d)
            }
        }
        let known = out.enumerated().filter { $0.offset != inferAt }.map(\.element)
        if let at = inferAt {
            if let count, known.allSatisfy({ $0.value != nil }) {
                guard let p = checkedProduct(known.map { $0.value! }), p > 0, count % p == 0 else {
                    throw ctx.fail(.shapeMismatch, "cannot reshape \(count) elements to \(target)")
                }
                out[at] = .fixed(count / p)
            } else if count == nil {
                // Symbolic input: the -1 equals the product of the input's dims not matched by the target.
                var rest = input
                for d in known {
                    if let j = rest.firstIndex(of: d) { rest.remove(at: j) }
                }
                if rest.count == 1 {
                    out[at] = rest[0]
                } else if rest.allSatisfy({ $0.value != nil }) && known.count + rest.count == input.count {
                    out[at] = checkedProduct(rest.map { $0.value! }).map { .fixed($0) } ?? .unknown
                }
            }
        } else if let count, out.allSatisfy({ $0.value != nil }) {
            guard checkedProduct(out.map { $0.value! }) == count else {
                throw ctx.fail(.shapeMismatch, "cannot reshape \(count) elements to \(target.map(\.description))")
            }
        }
        return out
    }

    static func flattenAxis(_ ctx: OpContext, rank: Int) throws -> Int {
        let a = try ctx.int("axis", 1)
        guard a >= -rank && a <= rank else {
            throw ctx.fail(.badAttribute, "axis \(a) is out of range for rank \(rank)")
        }
        return a < 0 ? a + rank : a
    }

    static func permutation(_ ctx: OpContext, rank: Int) throws -> [Int] {
        let perm = try ctx.ints("perm") ?? Array((0..<rank).reversed())
        guard perm.count == rank, Set(perm) == Set(0..<rank) else {
            throw ctx.fail(.badAttribute, "perm \(perm) is not a permutation of 0..<\(rank)")
        }
        return perm
    }

    static func squeezeAxes(_ ctx: OpContext, _ given: [Int]?, shape: [Dim]) throws -> Set<Int> {
        let axes = ctx.opset >= 13 ? given : try ctx.ints("axes")
        guard let axes else { return Set(shape.enumerated().filter { $0.element == .fixed(1) }.map(\.offset)) }
        let normalized = try axes.map { try ctx.axis($0, rank: shape.count) }
        for a in normalized where shape[a].value != nil && shape[a] != .fixed(1) {
            throw ctx.fail(.shapeMismatch, "cannot squeeze axis \(a) of size \(shape[a])")
        }
        return Set(normalized)
    }

    static func unsqueezeAxes(_ ctx: OpContext, _ given: [Int]?, rank: Int) throws -> [Int] {
        guard let given else { throw ctx.fail(.badAttribute, "axes are required") }
        let outRank = rank + given.count
        let axes = try given.map { try ctx.axis($0, rank: outRank) }.sorted()
        guard Set(axes).count == axes.count else { throw ctx.fail(.badAttribute, "axes \(given) repeat") }
        return axes
    }

    static func shapeRange(_ ctx: OpContext, rank: Int) throws -> (Int, Int) {
        func clampAxis(_ a: Int) -> Int { min(max(a < 0 ? a + rank : a, 0), rank) }
        let s = clampAxis(try ctx.int("start", 0)), e = clampAxis(try ctx.int("end", rank))
        return (s, max(s, e))
    }

}
