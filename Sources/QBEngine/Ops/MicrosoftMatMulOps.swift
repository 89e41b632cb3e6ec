/// The `com.microsoft` matrix products of onnxruntime's quantizer: QGemm, MatMulIntegerToFloat,
/// DynamicQuantizeMatMul and DynamicQuantizeLSTM.
extension MicrosoftQuantizedOps {
    /// Per-tensor or per-column (B's last axis) scales.
    static func columnScales(_ ctx: OpContext, _ inputs: [Value?], _ i: Int, columns: Int) throws -> [Float] {
        let s = try QuantizedOps.scales(ctx, inputs, i).floats
        guard s.count == 1 || s.count == columns else {
            throw ctx.fail(.shapeMismatch, "scale input \(i) has \(s.count) values for \(columns) columns")
        }
        return s
    }

    /// An optional float bias of one value per column, added after scaling.
    static func columnBias(_ ctx: OpContext, _ inputs: [Value?], _ i: Int, columns: Int) throws -> [Float]? {
        guard let b = ctx.optional(inputs, i), b.count > 0 else { return nil }
        guard b.count == columns, b.type.isFloat else {
            throw ctx.fail(.shapeMismatch, "bias input \(i) must be \(columns) floats, got \(b.signature)")
        }
        return b.floats
    }

    /// Integer sums scaled to float: y = sum Sa Sb[j] (+ bias[j]), in Float32 in that order.
    static func scaled(_ sums: [Int64], columns: Int, aScale: Float, bScales: [Float], bias: [Float]?) -> [Float] {
        sums.enumerated().map { i, sum in
            let j = i % columns
            let y = Float(sum) * (aScale * bScales[bScales.count == 1 ? 0 : j])
            return bias.map { y + $0[j] } ?? y
        }
    }

    /// QGemm(A, Sa, Za, B, Sb, Zb, C, Sy, Zy; alpha, transA, transB): the int32 bias C is added to the exact sums
    /// (its scale is alpha Sa Sb); with Sy the result is requantized, y = round(acc alpha Sa Sb / Sy) + Zy, else it
    /// is float, acc alpha Sa Sb.
    static func qGemm(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        var a = try ctx.input(inputs, 0), b = try ctx.input(inputs, 3)
        guard a.rank == 2, b.rank == 2 else { throw ctx.fail(.shapeMismatch, "A and B must be 2-D") }
        if try ctx.int("transA", 0) != 0 { a = a.transposed([1, 0]) }
        if try ctx.int("transB", 0) != 0 { b = b.transposed([1, 0]) }
        let alpha = try ctx.float("alpha", 1), columns = b.shape[1]
        let (sa, _) = try parameters(ctx, inputs, scale: 1, zero: 2)
        let sb = try columnScales(ctx, inputs, 4, columns: columns)
        let product = try QuantizedOps.integerProduct(
            ctx, a, QuantizedOps.zero(ctx, inputs, 2, rows: true), b, QuantizedOps.zero(ctx, inputs, 5, rows: false))
        var sums = product.sums
        if let c = ctx.optional(inputs, 6), c.count > 0 {
            guard let shape = Broadcast.shape([c.shape, product.shape]), shape == product.shape else {
                throw ctx.fail(.shapeMismatch, "C \(c.shape) does not broadcast to \(product.shape)")
            }
            sums = Broadcast.map(sums, product.shape, c.ints, c.shape, shape) { $0 + $1 }
        }
        let multipliers = sb.map { alpha * sa * $0 }
        guard let yZero = ctx.optional(inputs, 8), ctx.optional(inputs, 7) != nil else {
            return [
                Value(
                    shape: product.shape,
                    floats: scaled(sums, columns: columns, aScale: 1, bScales: multipliers, bias: nil))
            ]
        }
        let (sy, zy) = try parameters(ctx, inputs, scale: 7, zero: 8)
        let bounds = try QuantizedOps.range(ctx, yZero.type)
        let codes = sums.enumerated().map { i, sum in
            saturated(Float(sum) * (multipliers[multipliers.count == 1 ? 0 : i % columns] / sy) + Float(zy), bounds)
        }
        return [Value(type: yZero.type, shape: product.shape, ints: codes)]
    }

    /// MatMulIntegerToFloat(A, B, Sa, Sb, Za, Zb, bias): y = (A - Za)(B - Zb) Sa Sb + bias.
    static func matMulIntegerToFloat(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let a = try ctx.input(inputs, 0), b = try ctx.input(inputs, 1)
        let columns = b.shape.last ?? 1
        let (sa, _) = try parameters(ctx, inputs, scale: 2, zero: 4)
        let product = try QuantizedOps.integerProduct(
            ctx, a, QuantizedOps.zero(ctx, inputs, 4, rows: true), b, QuantizedOps.zero(ctx, inputs, 5, rows: false))
        let y = scaled(
            product.sums, columns: columns, aScale: sa, bScales: try columnScales(ctx, inputs, 3, columns: columns),
            bias: try columnBias(ctx, inputs, 6, columns: columns))
        return [Value(shape: product.shape, floats: y)]
    }

    /// DynamicQuantizeMatMul(A, B, Sb, Zb, bias): A quantized as DynamicQuantizeLinear does (uint8, its range
    /// widened to contain 0), then y = (A' - Za)(B - Zb) Sa Sb + bias.
    static func dynamicQuantizeMatMul(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let quantized = try QuantizedOps.dynamicQuantizeLinear(ctx, [try ctx.floatInput(inputs, 0)])
        let b = try ctx.input(inputs, 1), columns = b.shape.last ?? 1
        let product = try QuantizedOps.integerProduct(
            ctx, quantized[0], quantized[2].ints, b, QuantizedOps.zero(ctx, inputs, 3, rows: false))
        let y = scaled(
            product.sums, columns: columns, aScale: quantized[1].floats[0],
            bScales: try columnScales(ctx, inputs, 2, columns: columns),
            bias: try columnBias(ctx, inputs, 4, columns: columns))
        return [Value(shape: product.shape, floats: y)]
    }

    /// DynamicQuantizeLSTM(X, W, R, B, sequence_lens, initial_h, initial_c, P, W_scale, W_zero_point, R_scale,
    /// R_zero_point): an LSTM whose weights are int8/uint8 codes, W [directions, input, 4 hidden] and
    /// R [directions, hidden, 4 hidden] (transposed against LSTM's), scales and zero points per direction or per
    /// direction and gate column. The weights are dequantized, (code - zero point) scale, and the LSTM runs with
    /// onnxruntime's rounding of X and of each step's h to uint8 codes before the products (the same codes; the
    /// products are then in float, not int32 then scaled, a difference of float rounding only).
    static func dynamicQuantizeLSTM(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        func dequantized(_ i: Int, scale: Int, zero: Int) throws -> Value {
            let w = try ctx.input(inputs, i)
            guard w.rank == 3, !w.type.isFloat else {
                throw ctx.fail(.shapeMismatch, "input \(i) must be 3-D integer codes, got \(w.signature)")
            }
            let (directions, rows, columns) = (w.shape[0], w.shape[1], w.shape[2])
            let s = try QuantizedOps.scales(ctx, inputs, scale).floats
            let z = ctx.optional(inputs, zero)?.ints ?? [0]
            guard s.count == directions || s.count == directions * columns,
                z.count == 1 || z.count == directions || z.count == directions * columns
            else { throw ctx.fail(.shapeMismatch, "scales and zero points of input \(i) do not fit \(w.shape)") }
            let codes = w.ints
            var out = [Float](repeating: 0, count: codes.count)
            for d in 0..<directions {
                for r in 0..<rows {
                    for c in 0..<columns {
                        let p = s.count == directions ? d : d * columns + c
                        let q = z.count == 1 ? 0 : (z.count == directions ? d : d * columns + c)
                        // Stored transposed: [d, c, r] as LSTM reads its weights.
                        out[(d * columns + c) * rows + r] = Float(codes[(d * rows + r) * columns + c] - z[q]) * s[p]
                    }
                }
            }
            return Value(shape: [directions, columns, rows], floats: out)
        }
        let w = try dequantized(1, scale: 8, zero: 9), r = try dequantized(2, scale: 10, zero: 11)
        var lstmInputs = Array(inputs.prefix(8))
        lstmInputs[1] = w
        lstmInputs[2] = r
        return try RecurrentOps.run(.lstm, ctx, lstmInputs, quantizeActivations: true)
    }
}
