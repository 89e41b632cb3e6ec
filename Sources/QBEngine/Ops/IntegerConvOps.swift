/// ConvInteger and QLinearConv (1-D and 2-D; groups, pads, strides, dilations, auto_pad), per the ONNX spec: the
/// sums `(x - x0)(w - w0)` exact in Int64, then for QLinearConv the int32 bias and the requantization
/// `y = saturate(round(sum S_x S_w / S_y) + y0)` (half to even; S_w and w0 per tensor or per output channel).
enum IntegerConvOps {
    static func register(_ r: inout [String: OperatorDef]) {
        r["ConvInteger"] = OperatorDef(
            run: { ctx, inputs in
                let (x, w) = (try ctx.input(inputs, 0), try ctx.input(inputs, 1))
                let xZero = try QuantizedOps.zero(ctx, inputs, 2, rows: true)
                let wZero = try QuantizedOps.zero(ctx, inputs, 3, rows: false)
                let (sums, shape) = try integerConvolution(ctx, x, xZero, w, wZero)
                return [Value(type: .int32, shape: shape, ints: sums)]
            },
            infer: { _, _ in [TypeInfo(type: .int32, shape: nil)] })
        r["QLinearConv"] = OperatorDef(
            run: qlinearConv,
            infer: { ctx, t in
                guard t.count > 7, let zero = t[7] else { throw ctx.fail(.malformedModel, "8 inputs are required") }
                return [TypeInfo(type: zero.type, shape: nil)]
            })
    }

    /// The convolution of integer codes: [N, M, out...] sums of `(x - x0)(w - w0)` (x0 one value; w0 one value or
    /// one per output channel).
    static func integerConvolution(_ ctx: OpContext, _ x: Value, _ xZero: [Int64], _ w: Value, _ wZero: [Int64])
        throws -> (sums: [Int64], shape: [Int])
    {
        guard !x.type.isFloat, !w.type.isFloat, (3...4).contains(x.rank), w.rank == x.rank else {
            throw ctx.fail(.shapeMismatch, "integer input \(x.shape) and weight \(w.shape) must be 3-D or 4-D alike")
        }
        let group = try ctx.int("group", 1), (n, channels, outChannels) = (x.shape[0], x.shape[1], w.shape[0])
        guard group >= 1, channels % group == 0, outChannels % group == 0, w.shape[1] * group == channels else {
            throw ctx.fail(.shapeMismatch, "weight \(w.shape) does not fit \(channels) channels in \(group) groups")
        }
        guard xZero.count == 1, wZero.count == 1 || wZero.count == outChannels else {
            throw ctx.fail(.shapeMismatch, "zero points must be per tensor (the weight's may be per output channel)")
        }
        let window = try ConvWindow(
            node: ctx.node, file: ctx.file, inSize: Array(x.shape[2...]), kernel: Array(w.shape[2...]))
        let (ih, iw) = x.rank == 4 ? (x.shape[2], x.shape[3]) : (1, x.shape[2])
        let perGroupIn = channels / group, perGroupOut = outChannels / group, plane = window.oh * window.ow
        let xs = x.ints, ws = w.ints
        var sums = [Int64](repeating: 0, count: try ctx.checkedCount([n, outChannels, plane]))
        for b in 0..<n {
            for m in 0..<outChannels {
                let g = m / perGroupOut, w0 = wZero.count == 1 ? wZero[0] : wZero[m]
                for oy in 0..<window.oh {
                    for ox in 0..<window.ow {
                        var sum: Int64 = 0
                        for c in 0..<perGroupIn {
                            let channel = g * perGroupIn + c
                            for ky in 0..<window.kh {
                                let y = oy * window.sh + ky * window.dh - window.pt
                                guard y >= 0 && y < ih else { continue }
                                for kx in 0..<window.kw {
                                    let xx = ox * window.sw + kx * window.dw - window.pl
                                    guard xx >= 0 && xx < iw else { continue }
                                    let input = xs[((b * channels + channel) * ih + y) * iw + xx] - xZero[0]
                                    let weight = ws[((m * perGroupIn + c) * window.kh + ky) * window.kw + kx] - w0
                                    sum += input * weight
                                }
                            }
                        }
                        sums[(b * outChannels + m) * plane + oy * window.ow + ox] = sum
                    }
                }
            }
        }
        return (sums, [n, outChannels] + window.outSize)
    }

    static func qlinearConv(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let x = try ctx.input(inputs, 0), xScale = try ctx.floatInput(inputs, 1)
        let w = try ctx.input(inputs, 3), wScale = try ctx.floatInput(inputs, 4)
        let yScale = try ctx.floatInput(inputs, 6), yZero = try ctx.input(inputs, 7)
        let outChannels = w.shape.first ?? 0
        guard xScale.count == 1, yScale.count == 1, yZero.count == 1, wScale.count == 1 || wScale.count == outChannels
        else { throw ctx.fail(.shapeMismatch, "scales must be per tensor (the weight's may be per output channel)") }
        let (sums, shape) = try integerConvolution(
            ctx, x, QuantizedOps.zero(ctx, inputs, 2, rows: true), w, QuantizedOps.zero(ctx, inputs, 5, rows: false))
        let bias = ctx.optional(inputs, 8)?.ints
        guard bias == nil || bias!.count == outChannels else {
            throw ctx.fail(.shapeMismatch, "the bias must have \(outChannels) values")
        }
        let bounds = try QuantizedOps.range(ctx, yZero.type), plane = sums.count / max(shape[0] * outChannels, 1)
        let codes = sums.enumerated().map { i, sum -> Int64 in
            let m = i / plane % outChannels
            let multiplier = xScale.floats[0] * wScale.floats[wScale.count == 1 ? 0 : m] / yScale.floats[0]
            // In float32, as onnxruntime requantizes.
            let q = (Float(sum + (bias?[m] ?? 0)) * multiplier).rounded(.toNearestOrEven) + Float(yZero.ints[0])
            return Int64(min(max(Double(q), Double(bounds.lowerBound)), Double(bounds.upperBound)))
        }
        return [Value(type: yZero.type, shape: shape, ints: codes)]
    }
}
