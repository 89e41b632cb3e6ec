/// MaxPool (with its Indices output), AveragePool (pads, strides, dilations, ceil_mode, count_include_pad),
/// GlobalAveragePool, GlobalMaxPool and MaxUnpool; 1-D and 2-D pools on a fast loop, 3-D and more (and Indices) by
/// `GeneralWindowOps`.
enum PoolOps {
    static func register(_ r: inout [String: OperatorDef]) {
        for name in ["MaxPool", "AveragePool"] {
            r[name] = OperatorDef(
                run: { ctx, inputs in try pool(ctx, inputs, max: name == "MaxPool") },
                infer: { ctx, t in
                    guard let x = t.at(0) else { throw ctx.fail(.malformedModel, "input 0 is required") }
                    guard let xs = x.shape, xs.count >= 3, xs.dropFirst(2).allSatisfy({ $0.value != nil }) else {
                        return [TypeInfo(type: x.type, shape: nil), TypeInfo(type: .int64, shape: nil)]
                    }
                    guard let k = try ctx.ints("kernel_shape") else {
                        throw ctx.fail(.badAttribute, "kernel_shape is required")
                    }
                    let g = try ConvGeometry(
                        ctx, inSize: xs.dropFirst(2).map { $0.value! }, kernel: k,
                        ceilMode: try ctx.int("ceil_mode", 0) != 0)
                    let shape = Array(xs.prefix(2)) + g.outSize.map { Dim.fixed($0) }
                    return [TypeInfo(type: x.type, shape: shape), TypeInfo(type: .int64, shape: shape)]
                })
        }
        r["MaxUnpool"] = OperatorDef(
            run: GeneralWindowOps.maxUnpool,
            infer: { ctx, t in
                guard let x = t.at(0) else { throw ctx.fail(.malformedModel, "input 0 is required") }
                return [TypeInfo(type: x.type, shape: x.shape.map { $0.map { _ in Dim.unknown } })]
            })
        for name in ["GlobalAveragePool", "GlobalMaxPool"] {
            r[name] = OperatorDef(
                run: { ctx, inputs in
                    let x = try ctx.floatInput(inputs, 0)
                    guard x.rank >= 3 else {
                        throw ctx.fail(.shapeMismatch, "input must be [N, C, spatial...], got \(x.shape)")
                    }
                    let planes = x.shape[0] * x.shape[1], size = x.shape.dropFirst(2).reduce(1, *)
                    let f = x.floats
                    var out = [Float](repeating: 0, count: planes)
                    for p in 0..<planes {
                        let slice = f[(p * size)..<((p + 1) * size)]
                        if name == "GlobalMaxPool" {
                            out[p] = slice.max() ?? 0
                        } else {
                            var s: Float = 0
                            for v in slice { s += v }
                            out[p] = s / Float(size)
                        }
                    }
                    return [
                        Value(shape: Array(x.shape.prefix(2)) + [Int](repeating: 1, count: x.rank - 2), floats: out)
                    ]
                },
                infer: { ctx, t in
                    guard let x = t.at(0) else { throw ctx.fail(.malformedModel, "input 0 is required") }
                    guard let xs = x.shape else { return [TypeInfo(type: x.type, shape: nil)] }
                    return [
                        TypeInfo(
                            type: x.type,
                            shape: Array(xs.prefix(2)) + [Dim](repeating: .fixed(1), count: max(xs.count - 2, 0)))
                    ]
                })
        }
    }

    /// The pooled value, and for MaxPool with a second output the indices of the maxima.
    static func pool(_ ctx: OpContext, _ inputs: [Value?], max isMax: Bool) throws -> [Value] {
        let input = try ctx.input(inputs, 0)
        if !input.type.isFloat {
            // Integer max pooling: exact through Float for 8- and 16-bit types.
            guard isMax, [.uint8, .int8, .int16, .uint16].contains(input.type) else {
                throw ctx.fail(.typeMismatch, "pooling of \(input.signature) is not supported")
            }
            var asFloat = inputs
            asFloat[0] = ElementwiseOps.cast(input, to: .float)
            var results = try pool(ctx, asFloat, max: true)
            results[0] = ElementwiseOps.cast(results[0], to: input.type)
            return results
        }
        let x = input
        guard x.rank >= 3 else { throw ctx.fail(.shapeMismatch, "pooling needs [N, C, spatial...], got \(x.shape)") }
        guard let k = try ctx.ints("kernel_shape") else { throw ctx.fail(.badAttribute, "kernel_shape is required") }
        let storageOrder = try ctx.int("storage_order", 0)
        guard storageOrder == 0 || storageOrder == 1 else {
            throw ctx.fail(.badAttribute, "storage_order \(storageOrder) is not 0 or 1")
        }
        let g = try ConvGeometry(
            ctx, inSize: Array(x.shape.dropFirst(2)), kernel: k, ceilMode: try ctx.int("ceil_mode", 0) != 0)
        let includePad = try ctx.int("count_include_pad", 0) != 0
        let shape = Array(x.shape.prefix(2)) + g.outSize
        _ = try ctx.checkedCount(shape)
        _ = try ctx.checkedCount(shape + [g.kernel.reduce(1, *)])  // the work: every output visits its window
        let wantsIndices = isMax && ctx.node.outputs.count > 1 && !ctx.node.outputs[1].isEmpty
        if wantsIndices || x.rank > 4 {
            let pooled = GeneralWindowOps.pool(
                x, geometry: g, isMax: isMax, includePad: includePad, columnMajor: storageOrder == 1)
            let values = Value(shape: shape, floats: pooled.values)
            return wantsIndices ? [values, Value(type: .int64, shape: shape, ints: pooled.indices)] : [values]
        }
        return [Value(shape: shape, floats: planePool(x, g, isMax: isMax, includePad: includePad))]
    }

    /// 1-D and 2-D pooling without indices.
    static func planePool(_ x: Value, _ g: ConvGeometry, isMax: Bool, includePad: Bool) -> [Float] {
        let geo = g.as2D
        let ih = x.rank == 4 ? x.shape[2] : 1, iw = x.shape[x.rank - 1]
        let planes = x.shape[0] * x.shape[1]
        let f = x.floats
        var out = [Float](repeating: 0, count: planes * geo.oh * geo.ow)
        // Padded extent for count_include_pad: windows are clipped to the input plus its explicit pads.
        let padBottom = x.rank == 4 ? g.padsEnd[0] : 0, padRight = g.padsEnd[g.padsEnd.count - 1]
        f.withUnsafeBufferPointer { px in
            out.withUnsafeMutableBufferPointer { po in
                for p in 0..<planes {
                    let src = px.baseAddress! + p * ih * iw
                    for oy in 0..<geo.oh {
                        for ox in 0..<geo.ow {
                            var acc: Float = isMax ? -.infinity : 0
                            var n = 0, padded = 0
                            for ki in 0..<geo.kh {
                                let y = oy * geo.sh - geo.pt + ki * geo.dh
                                let yInPad = y >= -geo.pt && y < ih + padBottom
                                for kj in 0..<geo.kw {
                                    let xx = ox * geo.sw - geo.pl + kj * geo.dw
                                    if yInPad && xx >= -geo.pl && xx < iw + padRight { padded += 1 }
                                    if y < 0 || y >= ih || xx < 0 || xx >= iw { continue }
                                    let v = src[y * iw + xx]
                                    if isMax { if v > acc || v.isNaN { acc = v } } else { acc += v }
                                    n += 1
                                }
                            }
                            let i = p * geo.oh * geo.ow + oy * geo.ow + ox
                            po[i] = isMax ? acc : acc / Float(includePad ? padded : max(n, 1))
                        }
                    }
                }
            }
        }
        return out
    }
}
