/// The ONNX operators of already-quantized models: QuantizeLinear and DequantizeLinear (per tensor, per axis and
/// blocked; int4, uint4, int8, uint8, int16, uint16 and int32 codes), DynamicQuantizeLinear, MatMulInteger and
/// QLinearMatMul.
/// Integer sums are exact (Int64); rounding is half to even and codes saturate, as the spec says.
enum QuantizedOps {
    static func register(_ r: inout [String: OperatorDef]) {
        r["QuantizeLinear"] = OperatorDef(
            run: quantizeLinear,
            infer: { ctx, t in
                guard let x = t.at(0) else { throw ctx.fail(.malformedModel, "input 0 is required") }
                let type = t.count > 2 ? t.at(2)?.type ?? .uint8 : .uint8
                return [TypeInfo(type: type, shape: x.shape)]
            })
        r["DequantizeLinear"] = OperatorDef(
            run: dequantizeLinear,
            infer: { ctx, t in
                guard let x = t.at(0) else { throw ctx.fail(.malformedModel, "input 0 is required") }
                let type = t.count > 1 ? t.at(1)?.type ?? .float : .float
                return [TypeInfo(type: type, shape: x.shape)]
            })
        r["DynamicQuantizeLinear"] = OperatorDef(
            run: dynamicQuantizeLinear,
            infer: { ctx, t in
                guard let x = t.at(0) else { throw ctx.fail(.malformedModel, "input 0 is required") }
                return [
                    TypeInfo(type: .uint8, shape: x.shape), TypeInfo(type: x.type, shape: []),
                    TypeInfo(type: .uint8, shape: []),
                ]
            })
        r["MatMulInteger"] = OperatorDef(
            run: { ctx, inputs in
                let (a, b) = (try ctx.input(inputs, 0), try ctx.input(inputs, 1))
                let product = try integerProduct(
                    ctx, a, zero(ctx, inputs, 2, rows: true), b, zero(ctx, inputs, 3, rows: false))
                return [Value(type: .int32, shape: product.shape, ints: product.sums)]
            },
            infer: { ctx, t in [TypeInfo(type: .int32, shape: nil)] })
        r["QLinearMatMul"] = OperatorDef(
            run: qlinearMatMul,
            infer: { ctx, t in
                guard t.count > 7, let zero = t.at(7) else { throw ctx.fail(.malformedModel, "8 inputs are required") }
                return [TypeInfo(type: zero.type, shape: nil)]
            })
    }

    /// Scale input `i`: every scale positive and finite (a zero, negative or non-finite scale is an error naming the
    /// node and the input).
    static func scales(_ ctx: OpContext, _ inputs: [Value?], _ i: Int) throws -> Value {
        let s = try ctx.floatInput(inputs, i)
        guard let bad = s.floats.first(where: { !($0 > 0 && $0.isFinite) }) else { return s }
        throw ctx.fail(.badInput, "scale input \(i) holds \(bad); scales must be positive and finite")
    }

    /// The saturating range of a code type.
    static func range(_ ctx: OpContext, _ type: DataType) throws -> ClosedRange<Int64> {
        switch type {
        case .uint4: return 0...15
        case .int4: return -8...7
        case .uint8: return 0...255
        case .int8: return -128...127
        case .uint16: return 0...65535
        case .int16: return -32768...32767
        case .int32: return Int64(Int32.min)...Int64(Int32.max)
        default: throw ctx.fail(.unsupported, "quantized type \(type) is not supported")
        }
    }

    /// For each element of a tensor of `shape`, the index of its scale and zero point: 0 per tensor; the
    /// coordinate on `axis` per axis; that coordinate divided by `blockSize` (and the other coordinates) blocked.
    static func parameterIndex(
        _ ctx: OpContext, shape: [Int], parameterShape: [Int], axisAttribute: Int, blockSize: Int
    ) throws -> [Int] {
        let count = shape.reduce(1, *)
        if parameterShape.reduce(1, *) == 1 && (parameterShape.count <= 1) { return [Int](repeating: 0, count: count) }
        let axis = try ctx.axis(axisAttribute, rank: shape.count)
        let inner = shape[(axis + 1)...].reduce(1, *), length = shape[axis]
        if blockSize <= 0 {
            guard parameterShape == [length] else {
                throw ctx.fail(.shapeMismatch, "scale \(parameterShape) must have \(length) values for axis \(axis)")
            }
            return (0..<count).map { $0 / inner % length }
        }
        var blocked = shape
        blocked[axis] = (length + blockSize - 1) / blockSize
        guard parameterShape == blocked else {
            throw ctx.fail(.shapeMismatch, "blocked scale \(parameterShape) must be \(blocked)")
        }
        let parameterStrides = strides(blocked), dataStrides = strides(shape)
        return (0..<count).map { i in
            var rest = i, index = 0
            for d in 0..<shape.count {
                let coordinate = rest / dataStrides[d]
                rest %= dataStrides[d]
                index += (d == axis ? coordinate / blockSize : coordinate) * parameterStrides[d]
            }
            return index
        }
    }

    static func quantizeLinear(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let x = try ctx.floatInput(inputs, 0), scale = try scales(ctx, inputs, 1)
        let zero = ctx.optional(inputs, 2)
        let type = zero?.type ?? .uint8, bounds = try range(ctx, type)
        let zeros = zero.map { $0.ints } ?? [Int64](repeating: 0, count: scale.count)
        guard zeros.count == scale.count else { throw ctx.fail(.shapeMismatch, "zero point and scale differ") }
        let index = try parameterIndex(
            ctx, shape: x.shape, parameterShape: scale.shape, axisAttribute: try ctx.int("axis", 1),
            blockSize: try ctx.int("block_size", 0))
        let values = x.floats, scales = scale.floats
        let codes = (0..<values.count).map { i -> Int64 in
            // In float32, as the spec's reference and onnxruntime divide.
            let q = Double((values[i] / scales[index[i]]).rounded(.toNearestOrEven))
            guard q.isFinite else { return q > 0 ? bounds.upperBound : bounds.lowerBound }
            let clamped = min(max(q + Double(zeros[index[i]]), Double(bounds.lowerBound)), Double(bounds.upperBound))
            return Int64(clamped)
        }
        return [Value(type: type, shape: x.shape, ints: codes)]
    }

    static func dequantizeLinear(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let x = try ctx.input(inputs, 0), scale = try scales(ctx, inputs, 1)
        guard !x.type.isFloat else { throw ctx.fail(.typeMismatch, "the input must hold integer codes") }
        let zeros = ctx.optional(inputs, 2)?.ints ?? [Int64](repeating: 0, count: scale.count)
        guard zeros.count == scale.count else { throw ctx.fail(.shapeMismatch, "zero point and scale differ") }
        let index = try parameterIndex(
            ctx, shape: x.shape, parameterShape: scale.shape, axisAttribute: try ctx.int("axis", 1),
            blockSize: try ctx.int("block_size", 0))
        let codes = x.ints, scales = scale.floats
        let values = (0..<codes.count).map { i in Float(codes[i] - zeros[index[i]]) * scales[index[i]] }
        return [Value(type: scale.type, shape: x.shape, storage: .float(values))]
    }

    /// uint8 codes of `x` over its range widened to contain 0: `S = (max - min) / 255`, `Z = round(-min / S)`.
    static func dynamicQuantizeLinear(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let x = try ctx.floatInput(inputs, 0)
        let values = x.floats
        let finite = values.filter(\.isFinite)
        let low = min(0, finite.min() ?? 0), high = max(0, finite.max() ?? 0)
        let scale = (high - low) / 255
        let zero = scale == 0 ? 0 : min(max((-low / scale).rounded(.toNearestOrEven), 0), 255)
        let codes = values.map { v -> Int64 in
            guard scale > 0, !v.isNaN else { return Int64(zero) }
            return Int64(min(max((v / scale).rounded(.toNearestOrEven) + zero, 0), 255))
        }
        return [
            Value(type: .uint8, shape: x.shape, ints: codes), Value(type: x.type, shape: [], storage: .float([scale])),
            Value(type: .uint8, shape: [], ints: [Int64(zero)]),
        ]
    }

    /// A zero point input: one value, or one per row of A (`rows`) or per column of B.
    static func zero(_ ctx: OpContext, _ inputs: [Value?], _ i: Int, rows: Bool) throws -> [Int64] {
        guard let zero = ctx.optional(inputs, i) else { return [0] }
        guard !zero.type.isFloat else { throw ctx.fail(.typeMismatch, "zero points must be integers") }
        return zero.count == 0 ? [0] : zero.ints
    }

    /// `(A - a0) (B - b0)` with numpy's matmul batching (a 2-D operand is shared by every batch), in Int64.
    static func integerProduct(_ ctx: OpContext, _ a: Value, _ a0: [Int64], _ b: Value, _ b0: [Int64]) throws
        -> (sums: [Int64], shape: [Int])
    {
        guard a.rank >= 2, b.rank >= 2, !a.type.isFloat, !b.type.isFloat else {
            throw ctx.fail(.shapeMismatch, "MatMulInteger needs integer operands of rank 2 or more")
        }
        let (m, k) = (a.shape[a.rank - 2], a.shape[a.rank - 1]), (k2, n) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
        let aBatch = Array(a.shape.dropLast(2)), bBatch = Array(b.shape.dropLast(2))
        guard k == k2, aBatch == bBatch || aBatch.isEmpty || bBatch.isEmpty else {
            throw ctx.fail(.shapeMismatch, "cannot multiply \(a.shape) by \(b.shape)")
        }
        guard a0.count == 1 || a0.count == m, b0.count == 1 || b0.count == n else {
            throw ctx.fail(.shapeMismatch, "zero points must be one value, one per row of A or per column of B")
        }
        let batchShape = aBatch.isEmpty ? bBatch : aBatch, batches = batchShape.reduce(1, *)
        let av = a.ints, bv = b.ints
        var sums = [Int64](repeating: 0, count: batches * m * n)
        for batch in 0..<batches {
            let aBase = aBatch.isEmpty ? 0 : batch * m * k, bBase = bBatch.isEmpty ? 0 : batch * k * n
            for i in 0..<m {
                let za = a0.count == 1 ? a0[0] : a0[i]
                for j in 0..<n {
                    let zb = b0.count == 1 ? b0[0] : b0[j]
                    var sum: Int64 = 0
                    for p in 0..<k { sum += (av[aBase + i * k + p] - za) * (bv[bBase + p * n + j] - zb) }
                    sums[(batch * m + i) * n + j] = sum
                }
            }
        }
        return (sums, batchShape + [m, n])
    }

    /// `y = saturate(round((a - a0)(b - b0) S_a S_b / S_y) + y0)`.
    static func qlinearMatMul(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let a = try ctx.input(inputs, 0), aScale = try scales(ctx, inputs, 1)
        let b = try ctx.input(inputs, 3), bScale = try scales(ctx, inputs, 4)
        let yScale = try scales(ctx, inputs, 6), yZero = try ctx.input(inputs, 7)
        guard aScale.count == 1, yScale.count == 1, yZero.count == 1, bScale.count == 1 || bScale.count == b.shape.last
        else { throw ctx.fail(.shapeMismatch, "scales must be per tensor (B's may be per column)") }
        let product = try integerProduct(
            ctx, a, zero(ctx, inputs, 2, rows: true), b, zero(ctx, inputs, 5, rows: false))
        let bounds = try range(ctx, yZero.type), n = product.shape.last ?? 1
        let codes = product.sums.enumerated().map { i, sum -> Int64 in
            // In float32, as onnxruntime requantizes.
            let multiplier = aScale.floats[0] * bScale.floats[bScale.count == 1 ? 0 : i % n] / yScale.floats[0]
            let q = (Float(sum) * multiplier).rounded(.toNearestOrEven) + Float(yZero.ints[0])
            return Int64(min(max(Double(q), Double(bounds.lowerBound)), Double(bounds.upperBound)))
        }
        return [Value(type: yZero.type, shape: product.shape, ints: codes)]
    }
}
