/// ConvTranspose (1-D, 2-D and 3-D; groups, strides, dilations, pads, output_padding, output_shape, auto_pad), per the
/// ONNX spec: the products of every input position with every tap in one GEMM per image and group, each product
/// then added where its tap lands in the output, in a fixed order (the same bits for any thread count), then the bias.
enum ConvTransposeOps {
    static func register(_ r: inout [String: OperatorDef]) {
        r["ConvTranspose"] = OperatorDef(
            run: { ctx, inputs in [try convTranspose(ctx, inputs)] },
            infer: { ctx, t in
                guard let x = t.at(0) else { throw ctx.fail(.malformedModel, "input 0 is required") }
                return [TypeInfo(type: x.type, shape: x.shape.map { $0.map { _ in Dim.unknown } })]
            })
    }

    /// The output's spatial size and the padding before each spatial axis.
    static func geometry(
        _ ctx: OpContext, input: [Int], kernel: [Int], strides: [Int], dilations: [Int]
    ) throws -> (output: [Int], padBefore: [Int]) {
        let rank = input.count
        let outputPadding = try ctx.ints("output_padding") ?? [Int](repeating: 0, count: rank)
        guard outputPadding.count == rank else { throw ctx.fail(.badAttribute, "output_padding needs \(rank) values") }
        var full = [Int](repeating: 0, count: rank)
        for d in 0..<rank {
            let span = (kernel[d] - 1) * dilations[d] + 1
            full[d] = strides[d] * (input[d] - 1) + outputPadding[d] + span
        }
        let autoPad = try ctx.string("auto_pad", "NOTSET")
        if let shape = try ctx.ints("output_shape") {
            let requested = Array(shape.suffix(rank))
            guard requested.count == rank else { throw ctx.fail(.badAttribute, "output_shape needs \(rank) values") }
            let total = (0..<rank).map { full[$0] - requested[$0] }
            // (Floor division, as the spec's reference: a negative total pads after the input.)
            let half = total.map { Int((Double($0) / 2).rounded(.down)) }
            let before = (0..<rank).map { autoPad == "SAME_UPPER" ? half[$0] : total[$0] - half[$0] }
            return (requested, before)
        }
        switch autoPad {
        case "NOTSET":
            let pads = try ctx.ints("pads") ?? [Int](repeating: 0, count: 2 * rank)
            guard pads.count == 2 * rank, pads.allSatisfy({ $0 >= 0 }) else {
                throw ctx.fail(.badAttribute, "pads must be \(2 * rank) non-negative values")
            }
            var output = [Int](repeating: 0, count: rank)
            for d in 0..<rank { output[d] = full[d] - pads[d] - pads[d + rank] }
            return (output, Array(pads[..<rank]))
        case "VALID":
            return (full, [Int](repeating: 0, count: rank))
        case "SAME_UPPER", "SAME_LOWER":
            let output = (0..<rank).map { input[$0] * strides[$0] }
            let total = (0..<rank).map { max(0, full[$0] - output[$0]) }
            let before = (0..<rank).map { autoPad == "SAME_UPPER" ? total[$0] / 2 : total[$0] - total[$0] / 2 }
            return (output, before)
        default:
            throw ctx.fail(.badAttribute, "auto_pad \(autoPad) is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER")
        }
    }

    static func convTranspose(_ ctx: OpContext, _ inputs: [Value?]) throws -> Value {
        let x = try ctx.floatInput(inputs, 0), w = try ctx.floatInput(inputs, 1)
        let bias = try ctx.optional(inputs, 2).map { b -> [Float] in
            guard b.type.isFloat else { throw ctx.fail(.typeMismatch, "the bias must be floating point") }
            return b.floats
        }
        let spatial = x.rank - 2
        guard (1...3).contains(spatial), w.rank == x.rank else {
            throw ctx.fail(.shapeMismatch, "input \(x.shape) and weight \(w.shape) must be 3-D to 5-D alike")
        }
        let group = try ctx.int("group", 1)
        let (n, channels) = (x.shape[0], x.shape[1])
        guard group >= 1, channels % group == 0, w.shape[0] == channels else {
            throw ctx.fail(.shapeMismatch, "weight \(w.shape) does not fit \(channels) channels in \(group) groups")
        }
        let perGroupOut = w.shape[1], outChannels = perGroupOut * group
        let kernel = Array(w.shape[2...]), input = Array(x.shape[2...])
        let strides = try ctx.ints("strides") ?? [Int](repeating: 1, count: spatial)
        let dilations = try ctx.ints("dilations") ?? [Int](repeating: 1, count: spatial)
        guard strides.count == spatial, dilations.count == spatial, (strides + dilations).allSatisfy({ $0 >= 1 }) else {
            throw ctx.fail(.badAttribute, "strides and dilations need \(spatial) positive values")
        }
        guard bias == nil || bias!.count == outChannels else {
            throw ctx.fail(.shapeMismatch, "bias of \(bias!.count) for \(outChannels) output channels")
        }
        let (output, before) = try geometry(
            ctx, input: input, kernel: kernel, strides: strides, dilations: dilations)
        guard output.allSatisfy({ $0 > 0 }) else { throw ctx.fail(.shapeMismatch, "output size \(output)") }
        let outShape = [n, outChannels] + output
        var out = [Float](repeating: 0, count: try ctx.checkedCount(outShape))
        let inPlane = input.reduce(1, *), outPlane = output.reduce(1, *), taps = kernel.reduce(1, *)
        let perGroupIn = channels / group, rows = perGroupOut * taps
        _ = try ctx.checkedCount([rows, inPlane])
        _ = try ctx.checkedCount([taps, inPlane])
        // Where each (tap, input position) lands in the output plane, or -1 outside it.
        let inStrides = QBEngine.strides(input), outStrides = QBEngine.strides(output)
        let tapStrides = QBEngine.strides(kernel)
        var landing = [Int](repeating: -1, count: taps * inPlane)
        for t in 0..<taps {
            for p in 0..<inPlane {
                var position = 0, inside = true
                for d in 0..<spatial {
                    let i = p / inStrides[d] % input[d], k = t / tapStrides[d] % kernel[d]
                    let o = i * strides[d] + k * dilations[d] - before[d]
                    if o < 0 || o >= output[d] {
                        inside = false
                        break
                    }
                    position += o * outStrides[d]
                }
                if inside { landing[t * inPlane + p] = position }
            }
        }
        // Per image and group: columns[m * taps + t, p] = sum_c W[c, m, t] X[c, p] (one GEMM), then each column
        // added at its landing place, channel by channel in a fixed order (the same bits for any thread count).
        var columns = [Float](repeating: 0, count: rows * inPlane)
        let xs = x.floats, ws = w.floats
        for b in 0..<n {
            for g in 0..<group {
                let multiplied = xs.withUnsafeBufferPointer { px in
                    ws.withUnsafeBufferPointer { pw in
                        columns.withUnsafeMutableBufferPointer { pc in
                            GEMM.multiply(
                                m: rows, n: inPlane, k: perGroupIn, a: pw.baseAddress! + g * perGroupIn * rows,
                                aRow: 1, aCol: rows, b: px.baseAddress! + (b * channels + g * perGroupIn) * inPlane,
                                bRow: inPlane, bCol: 1, c: pc.baseAddress!, ldc: inPlane, threads: ctx.threads)
                        }
                    }
                }
                guard multiplied else { throw LinearOps.gemmFailure(ctx, m: rows, n: inPlane, k: perGroupIn) }
                columns.withUnsafeBufferPointer { pc in
                    landing.withUnsafeBufferPointer { pl in
                        out.withUnsafeMutableBufferPointer { po in
                            for m in 0..<perGroupOut {
                                let plane = po.baseAddress! + (b * outChannels + g * perGroupOut + m) * outPlane
                                for t in 0..<taps {
                                    let column = pc.baseAddress! + (m * taps + t) * inPlane
                                    let places = pl.baseAddress! + t * inPlane
                                    for p in 0..<inPlane where places[p] >= 0 { plane[places[p]] += column[p] }
                                }
                            }
                        }
                    }
                }
            }
        }
        if let bias {
            for b in 0..<n {
                for m in 0..<outChannels {
                    for q in 0..<outPlane { out[(b * outChannels + m) * outPlane + q] += bias[m] }
                }
            }
        }
        return Value(type: x.type, shape: outShape, storage: .float(out))
    }
}
