import Foundation

/// The trigonometric and hyperbolic functions (Tan, Asin, Acos, Atan, Sinh, Cosh, Asinh, Acosh, Atanh; Sin and Cos
/// are in `ExtraOps`), ThresholdedRelu, Shrink, Celu, Hardmax, CumSum, LRN, MeanVarianceNormalization and
/// ReverseSequence, BitShift and Det, per the ONNX operator specs.
enum MathOps {
    static func register(_ r: inout [String: OperatorDef]) {
        func unary(_ name: String, _ f: @escaping (OpContext) throws -> (Float) -> Float) {
            r[name] = ElementwiseOps.unaryOperator(f)
        }
        unary("Tan") { _ in { Foundation.tan($0) } }
        unary("Asin") { _ in { Foundation.asin($0) } }
        unary("Acos") { _ in { Foundation.acos($0) } }
        unary("Atan") { _ in { Foundation.atan($0) } }
        unary("Sinh") { _ in { Foundation.sinh($0) } }
        unary("Cosh") { _ in { Foundation.cosh($0) } }
        unary("Asinh") { _ in { Foundation.asinh($0) } }
        unary("Acosh") { _ in { Foundation.acosh($0) } }
        unary("Atanh") { _ in { Foundation.atanh($0) } }
        // y = x where x > alpha, else 0.
        unary("ThresholdedRelu") { ctx in
            let alpha = try ctx.float("alpha", 1)
            return { $0 > alpha ? $0 : 0 }
        }
        // y = x + bias where x < -lambd, x - bias where x > lambd, else 0.
        unary("Shrink") { ctx in
            let lambd = try ctx.float("lambd", 0.5), bias = try ctx.float("bias", 0)
            return { $0 < -lambd ? $0 + bias : ($0 > lambd ? $0 - bias : 0) }
        }
        // y = max(0, x) + min(0, alpha (exp(x / alpha) - 1)).
        unary("Celu") { ctx in
            let alpha = try ctx.float("alpha", 1)
            return { max(0, $0) + min(0, alpha * (Foundation.exp($0 / alpha) - 1)) }
        }
        r["Hardmax"] = OperatorDef(run: hardmax, infer: ElementwiseOps.sameAsInput)
        r["LRN"] = OperatorDef(run: localResponseNormalization, infer: ElementwiseOps.sameAsInput)
        r["MeanVarianceNormalization"] = OperatorDef(run: meanVarianceNormalization, infer: ElementwiseOps.sameAsInput)
        r["ReverseSequence"] = OperatorDef(run: reverseSequence, infer: ElementwiseOps.sameAsInput)
        r["CumSum"] = OperatorDef(run: cumulativeSum, infer: ElementwiseOps.sameAsInput)
        r["BitShift"] = OperatorDef(run: bitShift, infer: ElementwiseOps.broadcastInfer(nil))
        r["Det"] = OperatorDef(
            run: determinant,
            infer: { ctx, t in
                guard let x = t.at(0) else { throw ctx.fail(.malformedModel, "input 0 is required") }
                return [TypeInfo(type: x.type, shape: x.shape.map { Array($0.dropLast(2)) })]
            })
    }

    /// BitShift of unsigned integers, broadcast: x << y or x >> y (`direction` LEFT or RIGHT), wrapped to the type;
    /// a shift by the type's width or more gives 0.
    static func bitShift(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let x = try ctx.input(inputs, 0), y = try ctx.input(inputs, 1)
        guard [.uint8, .uint16, .uint32, .uint64].contains(x.type), y.type == x.type else {
            throw ctx.fail(
                .typeMismatch, "inputs must be the same unsigned integer type, got \(x.signature), \(y.signature)")
        }
        let direction = try ctx.string("direction", "")
        guard direction == "LEFT" || direction == "RIGHT" else {
            throw ctx.fail(.badAttribute, "direction must be LEFT or RIGHT, not '\(direction)'")
        }
        let left = direction == "LEFT"
        let shape = try ElementwiseOps.broadcast(ctx, x.shape, y.shape)
        let out = Broadcast.map(x.ints, x.shape, y.ints, y.shape, shape) { value, by -> Int64 in
            let bits = UInt64(bitPattern: value), amount = UInt64(bitPattern: by)
            guard amount < 64 else { return 0 }
            return x.type.wrap(Int64(bitPattern: left ? bits << amount : bits >> amount))
        }
        return [Value(type: x.type, shape: shape, ints: out)]
    }

    /// The determinant of each [M, M] matrix in the last two axes, by LU decomposition with partial pivoting in
    /// Double.
    static func determinant(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let x = try ctx.floatInput(inputs, 0)
        guard x.rank >= 2, x.shape[x.rank - 1] == x.shape[x.rank - 2] else {
            throw ctx.fail(.shapeMismatch, "input must be [..., M, M], got \(x.shape)")
        }
        let m = x.shape[x.rank - 1], values = x.floats
        let batch = x.shape.dropLast(2).reduce(1, *)
        var out = [Float](repeating: 0, count: batch)
        for b in 0..<batch {
            var a = values[(b * m * m)..<((b + 1) * m * m)].map(Double.init)
            var det = 1.0
            for col in 0..<m {
                var pivot = col
                for row in (col + 1)..<max(m, col + 1) where abs(a[row * m + col]) > abs(a[pivot * m + col]) {
                    pivot = row
                }
                if a[pivot * m + col] == 0 {
                    det = 0
                    break
                }
                if pivot != col {
                    for k in 0..<m { a.swapAt(pivot * m + k, col * m + k) }
                    det = -det
                }
                det *= a[col * m + col]
                for row in (col + 1)..<max(m, col + 1) {
                    let factor = a[row * m + col] / a[col * m + col]
                    for k in col..<m { a[row * m + k] -= factor * a[col * m + k] }
                }
            }
            out[b] = Float(det)
        }
        return [Value(type: x.type, shape: Array(x.shape.dropLast(2)), storage: .float(out))]
    }

    /// 1 at the first largest element along `axis` (opset 13: that axis alone, default -1; before 13: the input
    /// seen as 2-D, [dims before axis] x [dims from axis on], default 1), 0 elsewhere.
    static func hardmax(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let x = try ctx.floatInput(inputs, 0)
        let axis = try ctx.axis(try ctx.int("axis", ctx.opset >= 13 ? -1 : 1), rank: x.rank)
        let outer = x.shape[..<axis].reduce(1, *)
        let (length, inner) =
            ctx.opset >= 13
            ? (x.rank == 0 ? 1 : x.shape[axis], x.shape[(axis + 1)...].reduce(1, *))
            : (x.shape[axis...].reduce(1, *), 1)
        let values = x.floats
        var out = [Float](repeating: 0, count: values.count)
        for o in 0..<outer {
            for j in 0..<inner where length > 0 {
                var best = 0
                for k in 1..<length where values[(o * length + k) * inner + j] > values[(o * length + best) * inner + j]
                {
                    best = k
                }
                out[(o * length + best) * inner + j] = 1
            }
        }
        return [Value(type: x.type, shape: x.shape, storage: .float(out))]
    }

    /// Running sums along the axis given as the second input: `exclusive` leaves out each element itself, `reverse`
    /// sums from the end.
    static func cumulativeSum(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let x = try ctx.input(inputs, 0)
        guard let axes = try ctx.intList(inputs, 1), axes.count == 1 else {
            throw ctx.fail(.badInput, "the axis must be one integer")
        }
        let axis = try ctx.axis(axes[0], rank: x.rank)
        let exclusive = try ctx.int("exclusive", 0) != 0, reverse = try ctx.int("reverse", 0) != 0
        let length = x.shape[axis], inner = x.shape[(axis + 1)...].reduce(1, *)
        let outer = x.shape[..<axis].reduce(1, *)
        func scan<T: AdditiveArithmetic>(_ values: [T]) -> [T] {
            var out = [T](repeating: .zero, count: values.count)
            for o in 0..<outer {
                for j in 0..<inner {
                    var sum = T.zero
                    for step in 0..<length {
                        let k = reverse ? length - 1 - step : step
                        let index = (o * length + k) * inner + j
                        if exclusive {
                            out[index] = sum
                            sum += values[index]
                        } else {
                            sum += values[index]
                            out[index] = sum
                        }
                    }
                }
            }
            return out
        }
        if x.type.isFloat { return [Value(type: x.type, shape: x.shape, storage: .float(scan(x.floats)))] }
        return [Value(type: x.type, shape: x.shape, ints: scan(x.ints))]
    }

    /// `y = x / (bias + alpha / size * sum of x^2 over the channels c - floor((size - 1) / 2) ... c + ceil((size -
    /// 1) / 2))^beta`.
    static func localResponseNormalization(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let x = try ctx.floatInput(inputs, 0)
        let size = try ctx.int("size", 0)
        guard x.rank >= 2, size >= 1 else { throw ctx.fail(.badInput, "LRN needs a rank >= 2 input and size >= 1") }
        let alpha = try ctx.float("alpha", 1e-4), beta = try ctx.float("beta", 0.75), bias = try ctx.float("bias", 1)
        let (channels, inner) = (x.shape[1], x.shape[2...].reduce(1, *))
        let below = (size - 1) / 2, above = size - 1 - below
        let values = x.floats
        var out = [Float](repeating: 0, count: values.count)
        for b in 0..<x.shape[0] {
            for c in 0..<channels {
                for j in 0..<inner {
                    var sum: Float = 0
                    for k in max(0, c - below)...min(channels - 1, c + above) {
                        let v = values[(b * channels + k) * inner + j]
                        sum += v * v
                    }
                    let index = (b * channels + c) * inner + j
                    out[index] = values[index] / Foundation.pow(bias + alpha / Float(size) * sum, beta)
                }
            }
        }
        return [Value(type: x.type, shape: x.shape, storage: .float(out))]
    }

    /// `(x - E[x]) / (sqrt(E[x^2] - E[x]^2) + 1e-9)` over `axes` (default 0, 2, 3), as the spec's function body.
    static func meanVarianceNormalization(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let x = try ctx.floatInput(inputs, 0)
        let axes = Set(try (ctx.ints("axes") ?? [0, 2, 3]).map { try ctx.axis($0, rank: x.rank) })
        let reducedShape = x.shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
        let groups = reducedShape.reduce(1, *), count = Float(x.count / max(groups, 1))
        let sourceStrides = strides(x.shape), groupStrides = strides(reducedShape)
        let group = (0..<x.count).map { i -> Int in
            var rest = i, index = 0
            for d in 0..<x.rank {
                let coordinate = rest / sourceStrides[d]
                rest %= sourceStrides[d]
                if !axes.contains(d) { index += coordinate * groupStrides[d] }
            }
            return index
        }
        let values = x.floats
        var sums = [Float](repeating: 0, count: groups), squares = sums
        for i in 0..<values.count {
            sums[group[i]] += values[i]
            squares[group[i]] += values[i] * values[i]
        }
        let means = sums.map { $0 / count }
        let deviations = (0..<groups).map { (squares[$0] / count - means[$0] * means[$0]).squareRoot() + 1e-9 }
        let out = (0..<values.count).map { (values[$0] - means[group[$0]]) / deviations[group[$0]] }
        return [Value(type: x.type, shape: x.shape, storage: .float(out))]
    }

    /// The first `sequence_lens[b]` steps along `time_axis` reversed for each batch entry b along `batch_axis`.
    static func reverseSequence(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let x = try ctx.input(inputs, 0)
        guard let lengths = try ctx.intList(inputs, 1), x.rank >= 2 else {
            throw ctx.fail(.badInput, "ReverseSequence needs a rank >= 2 input and sequence_lens")
        }
        let timeAxis = try ctx.axis(try ctx.int("time_axis", 0), rank: x.rank)
        let batchAxis = try ctx.axis(try ctx.int("batch_axis", 1), rank: x.rank)
        guard timeAxis != batchAxis, lengths.count == x.shape[batchAxis],
            lengths.allSatisfy({ (0...x.shape[timeAxis]).contains($0) })
        else { throw ctx.fail(.badInput, "sequence_lens \(lengths) do not fit \(x.shape)") }
        let xStrides = strides(x.shape)
        let positions = (0..<x.count).map { i -> Int in
            let t = i / xStrides[timeAxis] % x.shape[timeAxis], b = i / xStrides[batchAxis] % x.shape[batchAxis]
            guard t < lengths[b] else { return i }
            return i + (lengths[b] - 1 - 2 * t) * xStrides[timeAxis]
        }
        return [x.gathering(positions, shape: x.shape)]
    }
}
