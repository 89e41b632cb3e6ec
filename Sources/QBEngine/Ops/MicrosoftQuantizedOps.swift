import Foundation

/// The `com.microsoft` operators that onnxruntime's quantizer writes (QOperator format and `quantize_dynamic`),
/// per onnxruntime's contrib-operator documentation and its reference (MLAS) arithmetic: QLinearAdd, QLinearMul,
/// QLinearConcat, QLinearGlobalAveragePool, QLinearSigmoid, QLinearLeakyRelu, QGemm, MatMulIntegerToFloat,
/// DynamicQuantizeMatMul and DynamicQuantizeLSTM. Integer sums are exact; requantization is in Float32 with
/// rounding half to even and saturation, as onnxruntime's reference kernels do it.
enum MicrosoftQuantizedOps {
    static let domain = "com.microsoft"

    static func register(_ r: inout [String: OperatorDef]) {
        func add(_ name: String, _ def: OperatorDef) { r["\(domain).\(name)"] = def }
        let codesOfInput0: (OpContext, [TypeInfo?]) throws -> [TypeInfo] = ElementwiseOps.sameAsInput
        add("QLinearAdd", OperatorDef(run: { try binary($0, $1, multiply: false) }, infer: broadcastCodes))
        add("QLinearMul", OperatorDef(run: { try binary($0, $1, multiply: true) }, infer: broadcastCodes))
        add("QLinearConcat", OperatorDef(run: concat, infer: nil))
        add("QLinearGlobalAveragePool", OperatorDef(run: globalAveragePool, infer: nil))
        add(
            "QLinearSigmoid",
            OperatorDef(run: { try lookup($0, $1) { 1 / (1 + Foundation.exp(-$0)) } }, infer: codesOfInput0))
        add(
            "QLinearLeakyRelu",
            OperatorDef(
                run: { ctx, inputs in
                    let alpha = try ctx.float("alpha", 0.01)
                    return try lookup(ctx, inputs) { $0 >= 0 ? $0 : alpha * $0 }
                }, infer: codesOfInput0))
        add("QGemm", OperatorDef(run: qGemm, infer: nil))
        add("MatMulIntegerToFloat", OperatorDef(run: matMulIntegerToFloat, infer: floatOutput))
        add("DynamicQuantizeMatMul", OperatorDef(run: dynamicQuantizeMatMul, infer: floatOutput))
        add("DynamicQuantizeLSTM", OperatorDef(run: dynamicQuantizeLSTM, infer: nil))
    }

    static func broadcastCodes(_ ctx: OpContext, _ t: [TypeInfo?]) throws -> [TypeInfo] {
        guard let a = t.at(0), t.count > 3, let b = t.at(3) else {
            throw ctx.fail(.malformedModel, "inputs A and B are required")
        }
        return [TypeInfo(type: a.type, shape: a.shape.flatMap { x in b.shape.flatMap { Broadcast.dims([x, $0]) } })]
    }

    static func floatOutput(_ ctx: OpContext, _ t: [TypeInfo?]) throws -> [TypeInfo] {
        [TypeInfo(type: .float, shape: nil)]
    }

    /// One scale (float) and zero point (integer code) of a per-tensor quantized input; a missing zero point is 0.
    static func parameters(_ ctx: OpContext, _ inputs: [Value?], scale: Int, zero: Int) throws -> (Float, Int64) {
        let s = try QuantizedOps.scales(ctx, inputs, scale)
        let z = ctx.optional(inputs, zero)
        guard s.count == 1, z.map({ $0.count == 1 }) ?? true else {
            throw ctx.fail(.shapeMismatch, "scale input \(scale) and zero point input \(zero) must be one value each")
        }
        return (s.floats[0], z?.ints[0] ?? 0)
    }

    /// The code nearest `value` (half to even), saturated to `bounds`.
    static func saturated(_ value: Float, _ bounds: ClosedRange<Int64>) -> Int64 {
        guard !value.isNaN else { return bounds.lowerBound }
        let r = value.rounded(.toNearestOrEven)
        return Int64(min(max(Double(r), Double(bounds.lowerBound)), Double(bounds.upperBound)))
    }

    /// QLinearAdd: C = (A - Az) (Sa / Sc) + (B - Bz) (Sb / Sc) + Cz, computed as onnxruntime does,
    /// A Sa/Sc + B Sb/Sc + (Cz - Az Sa/Sc - Bz Sb/Sc); QLinearMul: C = (A - Az)(B - Bz) Sa Sb / Sc + Cz.
    /// Inputs A, Sa, Az, B, Sb, Bz, Sc, Cz; A and B broadcast.
    static func binary(_ ctx: OpContext, _ inputs: [Value?], multiply: Bool) throws -> [Value] {
        let a = try ctx.input(inputs, 0), b = try ctx.input(inputs, 3)
        let (sa, za) = try parameters(ctx, inputs, scale: 1, zero: 2)
        let (sb, zb) = try parameters(ctx, inputs, scale: 4, zero: 5)
        let (sc, zc) = try parameters(ctx, inputs, scale: 6, zero: 7)
        guard !a.type.isFloat, a.type == b.type else {
            throw ctx.fail(
                .typeMismatch, "A and B must be codes of one integer type, got \(a.signature), \(b.signature)")
        }
        let bounds = try QuantizedOps.range(ctx, a.type), shape = try ElementwiseOps.broadcast(ctx, a.shape, b.shape)
        let out: [Int64]
        if multiply {
            let multiplier = sa * sb / sc
            out = Broadcast.map(a.ints, a.shape, b.ints, b.shape, shape) {
                saturated(Float($0 - za) * Float($1 - zb) * multiplier + Float(zc), bounds)
            }
        } else {
            // onnxruntime's (MLAS) form: a fixed part Zc - (Sa/Sc Za + Sb/Sc Zb), then two fused multiply-adds.
            let ratioA = sa / sc, ratioB = sb / sc
            let fixed = Float(zc) - (ratioA * Float(za) + ratioB * Float(zb))
            out = Broadcast.map(a.ints, a.shape, b.ints, b.shape, shape) {
                saturated(fixed.addingProduct(Float($1), ratioB).addingProduct(Float($0), ratioA), bounds)
            }
        }
        return [Value(type: a.type, shape: shape, ints: out)]
    }

    /// QLinearSigmoid, QLinearLeakyRelu: y = quantize(f(dequantize(x))), element by element (inputs X, Sx, Zx, Sy, Zy).
    static func lookup(_ ctx: OpContext, _ inputs: [Value?], _ f: @escaping (Float) -> Float) throws -> [Value] {
        let x = try ctx.input(inputs, 0)
        let (sx, zx) = try parameters(ctx, inputs, scale: 1, zero: 2)
        let (sy, zy) = try parameters(ctx, inputs, scale: 3, zero: 4)
        guard x.type == .uint8 || x.type == .int8 else {
            throw ctx.fail(.typeMismatch, "X must hold uint8 or int8 codes, not \(x.signature)")
        }
        let bounds = try QuantizedOps.range(ctx, x.type)
        var table = [Int64: Int64]()
        for code in bounds { table[code] = saturated(f(Float(code - zx) * sx) / sy + Float(zy), bounds) }
        return [Value(type: x.type, shape: x.shape, ints: try x.ints.map { try table[$0] ?? outOfRange(ctx, $0) })]
    }

    static func outOfRange(_ ctx: OpContext, _ code: Int64) throws -> Int64 {
        throw ctx.fail(.badInput, "code \(code) is outside its type's range")
    }

    /// QLinearConcat(Sy, Zy, X1, S1, Z1, X2, S2, Z2, ...): each input requantized to (Sy, Zy), then concatenated
    /// along `axis`.
    static func concat(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let (sy, zy) = try parameters(ctx, inputs, scale: 0, zero: 1)
        guard inputs.count >= 5, (inputs.count - 2) % 3 == 0 else {
            throw ctx.fail(
                .malformedModel, "inputs must be Y's scale and zero point, then (X, scale, zero point) triples")
        }
        var parts = [Value]()
        for start in stride(from: 2, to: inputs.count, by: 3) {
            let x = try ctx.input(inputs, start)
            let (sx, zx) = try parameters(ctx, inputs, scale: start + 1, zero: start + 2)
            let bounds = try QuantizedOps.range(ctx, x.type)
            let codes =
                sx == sy && zx == zy ? x.ints : x.ints.map { saturated(Float($0 - zx) * sx / sy + Float(zy), bounds) }
            parts.append(Value(type: x.type, shape: x.shape, ints: codes))
        }
        let rank = parts[0].rank, axis = try ctx.axis(try ctx.int("axis", 0), rank: rank)
        guard parts.allSatisfy({ $0.rank == rank && $0.type == parts[0].type }) else {
            throw ctx.fail(.shapeMismatch, "inputs differ in rank or type: \(parts.map(\.signature))")
        }
        for p in parts where (0..<rank).contains(where: { $0 != axis && p.shape[$0] != parts[0].shape[$0] }) {
            throw ctx.fail(.shapeMismatch, "inputs \(parts.map(\.shape)) differ outside axis \(axis)")
        }
        return [Value.concatenate(parts, axis: axis)]
    }

    /// QLinearGlobalAveragePool(X, Sx, Zx, Sy, Zy): per image and channel, y = round((sum x - Zx n) Sx / (n Sy)) + Zy
    /// over the n spatial positions; `channels_last` 1 reads [N, H, W, C].
    static func globalAveragePool(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let x = try ctx.input(inputs, 0)
        let (sx, zx) = try parameters(ctx, inputs, scale: 1, zero: 2)
        let (sy, zy) = try parameters(ctx, inputs, scale: 3, zero: 4)
        guard x.rank >= 3 else { throw ctx.fail(.shapeMismatch, "X must be [N, C, spatial...], got \(x.shape)") }
        let channelsLast = try ctx.int("channels_last", 0) != 0
        let batch = x.shape[0], channels = channelsLast ? x.shape[x.rank - 1] : x.shape[1]
        let size = x.count / max(batch * channels, 1), codes = x.ints
        let bounds = try QuantizedOps.range(ctx, x.type), scale = sx / (Float(size) * sy)
        var out = [Int64](repeating: 0, count: batch * channels)
        for n in 0..<batch {
            for c in 0..<channels {
                var sum: Int64 = 0
                for p in 0..<size {
                    sum += codes[channelsLast ? (n * size + p) * channels + c : (n * channels + c) * size + p]
                }
                out[n * channels + c] = saturated(Float(sum - zx * Int64(size)) * scale + Float(zy), bounds)
            }
        }
        let shape =
            channelsLast
            ? [batch] + [Int](repeating: 1, count: x.rank - 2) + [channels]
            : [batch, channels] + [Int](repeating: 1, count: x.rank - 2)
        return [Value(type: x.type, shape: shape, ints: out)]
    }
}
