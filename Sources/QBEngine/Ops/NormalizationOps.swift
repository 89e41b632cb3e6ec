import Foundation

/// BatchNormalization (inference), LayerNormalization, Softmax, LogSoftmax.
enum NormalizationOps {
    static func register(_ r: inout [String: OperatorDef]) {
        r["BatchNormalization"] = OperatorDef(
            run: { ctx, inputs in
                let x = try ctx.floatInput(inputs, 0)
                let scale = try ctx.floatInput(inputs, 1).floats, bias = try ctx.floatInput(inputs, 2).floats
                let mean = try ctx.floatInput(inputs, 3).floats, variance = try ctx.floatInput(inputs, 4).floats
                if try ctx.int("training_mode", 0) != 0 {
                    throw ctx.fail(.unsupported, "training_mode=1 is not supported (inference only)")
                }
                let eps = try ctx.float("epsilon", 1e-5)
                guard x.rank >= 2 else { throw ctx.fail(.shapeMismatch, "input \(x.shape) needs a channel axis") }
                let c = x.shape[1]
                guard [scale, bias, mean, variance].allSatisfy({ $0.count == c }) else {
                    throw ctx.fail(.shapeMismatch, "scale, B, mean and var need \(c) values each")
                }
                let inner = x.shape.dropFirst(2).reduce(1, *)
                var out = x.floats
                for i in 0..<out.count {
                    let ch = (i / inner) % c
                    out[i] = (out[i] - mean[ch]) / (variance[ch] + eps).squareRoot() * scale[ch] + bias[ch]
                }
                return [Value(type: x.type, shape: x.shape, storage: .float(out))]
            },
            infer: { ctx, t in
                guard let x = t.at(0) else { throw ctx.fail(.malformedModel, "input 0 is required") }
                if ctx.node.outputs.filter({ !$0.isEmpty }).count > 1 {
                    throw ctx.fail(.unsupported, "training outputs (running mean/var) are not supported")
                }
                return [TypeInfo(type: x.type, shape: x.shape)]
            })

        r["LayerNormalization"] = OperatorDef(
            run: { ctx, inputs in
                let x = try ctx.floatInput(inputs, 0), scale = try ctx.floatInput(inputs, 1)
                let bias = ctx.optional(inputs, 2)
                let axis = try ctx.axis(try ctx.int("axis", -1), rank: x.rank)
                let eps = try ctx.float("epsilon", 1e-5)
                let inner = x.shape[axis...].reduce(1, *), outer = x.count / max(inner, 1)
                let normShape = Array(x.shape[axis...])
                let s = Broadcast.expand(scale.floats, scale.shape, to: normShape)
                let b = bias.map { Broadcast.expand($0.floats, $0.shape, to: normShape) }
                let (out, means, invs) = VectorMath.layerNormRows(
                    x.floats, rows: outer, length: inner, scale: s, bias: b,
                    epsilon: eps, threads: ctx.threads)
                // Optional outputs: Mean and InvStdDev, shaped like X with the normalized axes set to 1.
                let statShape = x.shape.enumerated().map { $0.offset < axis ? $0.element : 1 }
                return [
                    Value(type: x.type, shape: x.shape, storage: .float(out)),
                    Value(shape: statShape, floats: means), Value(shape: statShape, floats: invs),
                ]
            },
            infer: { ctx, t in
                guard let x = t.at(0) else { throw ctx.fail(.malformedModel, "input 0 is required") }
                guard let xs = x.shape else {
                    return [TypeInfo](repeating: TypeInfo(type: x.type, shape: nil), count: 3)
                }
                let axis = try ctx.axis(try ctx.int("axis", -1), rank: xs.count)
                let stat = xs.enumerated().map { $0.offset < axis ? $0.element : .fixed(1) }
                return [
                    TypeInfo(type: x.type, shape: xs), TypeInfo(type: .float, shape: stat),
                    TypeInfo(type: .float, shape: stat),
                ]
            })

        for name in ["Softmax", "LogSoftmax"] {
            r[name] = OperatorDef(
                run: { ctx, inputs in
                    let x = try ctx.floatInput(inputs, 0)
                    let axis = try ctx.axis(try ctx.int("axis", ctx.opset >= 13 ? -1 : 1), rank: x.rank)
                    var out = x.floats
                    let log = name == "LogSoftmax"
                    if ctx.opset >= 13 {
                        // Along one axis: rows of the last axis in place, any other axis through a gathered copy.
                        let n = x.shape[axis], inner = x.shape[(axis + 1)...].reduce(1, *),
                            outer = x.shape[..<axis].reduce(1, *)
                        if inner == 1 {
                            VectorMath.softmaxRows(&out, rows: outer, length: n, log: log, threads: ctx.threads)
                        } else {
                            var row = [Float](repeating: 0, count: n)
                            for o in 0..<outer {
                                for j in 0..<inner {
                                    let start = o * n * inner + j
                                    for i in 0..<n { row[i] = out[start + i * inner] }
                                    VectorMath.softmaxRows(&row, rows: 1, length: n, log: log, threads: 1)
                                    for i in 0..<n { out[start + i * inner] = row[i] }
                                }
                            }
                        }
                    } else {
                        // Opset < 13: the input is flattened to 2-D at `axis`.
                        let n = x.shape[axis...].reduce(1, *), outer = x.count / max(n, 1)
                        VectorMath.softmaxRows(&out, rows: outer, length: n, log: log, threads: ctx.threads)
                    }
                    return [Value(type: x.type, shape: x.shape, storage: .float(out))]
                }, infer: ElementwiseOps.sameAsInput)
        }
    }
}
