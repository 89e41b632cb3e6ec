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
                guard t.count > 7, let zero = t.at(7) else { throw ctx.fail(.malformedModel, "8 inputs are required") }
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
        let depth = perGroupIn * window.kh * window.kw
        var sums = [Int64](repeating: 0, count: try ctx.checkedCount([n, outChannels, plane]))
        _ = try ctx.checkedCount([depth, plane])
        // Centered codes: the input's (x - x0) gathered into a [depth, plane] patch matrix per image and group
        // (0 where the window lies in the padding, which holds x0), the weights' (w - w0) as [out, depth] rows.
        let xs = x.ints.map { $0 - xZero[0] }
        let centeredWeights = w.ints.enumerated().map { i, v in v - (wZero.count == 1 ? wZero[0] : wZero[i / depth]) }
        // Int32 sums are exact while depth x max|x - x0| x max|w - w0| stays below 2^31 (8-bit codes: depth < 33,025).
        let xBound = xs.lazy.map { abs($0) }.max() ?? 0, wBound = centeredWeights.lazy.map { abs($0) }.max() ?? 0
        let (largest, overflowed) = xBound.multipliedReportingOverflow(by: wBound)
        let (bound, overflowedAgain) = Int64(depth).multipliedReportingOverflow(by: largest)
        let narrow = !overflowed && !overflowedAgain && bound < Int64(Int32.max)
        let weights32 = narrow ? centeredWeights.map { Int32(truncatingIfNeeded: $0) } : []
        var patches = [Int64](repeating: 0, count: depth * plane)
        for b in 0..<n {
            for g in 0..<group {
                for c in 0..<perGroupIn {
                    let channelBase = (b * channels + g * perGroupIn + c) * ih * iw
                    for ky in 0..<window.kh {
                        for kx in 0..<window.kw {
                            let row = ((c * window.kh + ky) * window.kw + kx) * plane
                            for oy in 0..<window.oh {
                                let y = oy * window.sh + ky * window.dh - window.pt
                                for ox in 0..<window.ow {
                                    let xx = ox * window.sw + kx * window.dw - window.pl
                                    patches[row + oy * window.ow + ox] =
                                        y >= 0 && y < ih && xx >= 0 && xx < iw ? xs[channelBase + y * iw + xx] : 0
                                }
                            }
                        }
                    }
                }
                let outBase = (b * outChannels + g * perGroupOut) * plane
                if narrow {
                    Self.product32(
                        patches.map { Int32(truncatingIfNeeded: $0) }, weights32, from: g * perGroupOut * depth,
                        rows: perGroupOut, depth: depth, plane: plane, into: &sums, at: outBase)
                } else {
                    for m in 0..<perGroupOut {
                        let wBase = (g * perGroupOut + m) * depth
                        for k in 0..<depth where centeredWeights[wBase + k] != 0 {
                            let weight = centeredWeights[wBase + k]
                            for p in 0..<plane { sums[outBase + m * plane + p] += weight * patches[k * plane + p] }
                        }
                    }
                }
            }
        }
        return (sums, [n, outChannels] + window.outSize)
    }

    /// sums[at + m plane + p] = sum over k of weights[from + m depth + k] patches[k plane + p], in Int32 (the caller
    /// checked that no sum can overflow); the inner loop runs along the plane, contiguous in both arrays.
    static func product32(
        _ patches: [Int32], _ weights: [Int32], from: Int, rows: Int, depth: Int, plane: Int,
        into sums: inout [Int64], at: Int
    ) {
        var row = [Int32](repeating: 0, count: plane)
        patches.withUnsafeBufferPointer { p in
            weights.withUnsafeBufferPointer { w in
                for m in 0..<rows {
                    row.withUnsafeMutableBufferPointer { acc in
                        for i in 0..<plane { acc[i] = 0 }
                        for k in 0..<depth {
                            let weight = w[from + m * depth + k]
                            if weight == 0 { continue }
                            let base = k * plane
                            for i in 0..<plane { acc[i] &+= weight &* p[base + i] }
                        }
                    }
                    for i in 0..<plane { sums[at + m * plane + i] = Int64(row[i]) }
                }
            }
        }
    }

    static func qlinearConv(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let x = try ctx.input(inputs, 0), xScale = try QuantizedOps.scales(ctx, inputs, 1)
        let w = try ctx.input(inputs, 3), wScale = try QuantizedOps.scales(ctx, inputs, 4)
        let yScale = try QuantizedOps.scales(ctx, inputs, 6), yZero = try ctx.input(inputs, 7)
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
        let xs = xScale.floats[0], ys = yScale.floats[0], ws = wScale.floats
        let multipliers = (0..<max(outChannels, 1)).map { m in xs * ws[ws.count == 1 ? 0 : m] / ys }
        let codes = sums.enumerated().map { i, sum -> Int64 in
            let m = i / plane % outChannels
            let multiplier = multipliers[m]
            // In float32, as onnxruntime requantizes.
            let q = (Float(sum + (bias?[m] ?? 0)) * multiplier).rounded(.toNearestOrEven) + Float(yZero.ints[0])
            return Int64(min(max(Double(q), Double(bounds.lowerBound)), Double(bounds.upperBound)))
        }
        return [Value(type: yZero.type, shape: shape, ints: codes)]
    }
}
