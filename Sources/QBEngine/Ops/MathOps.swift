import Foundation

/// The trigonometric and hyperbolic functions (Tan, Asin, Acos, Atan, Sinh, Cosh, Asinh, Acosh, Atanh; Sin and Cos
/// are in `ExtraOps`), ThresholdedRelu, Shrink, Hardmax and CumSum, per the ONNX operator specs.
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
        r["Hardmax"] = OperatorDef(run: hardmax, infer: ElementwiseOps.sameAsInput)
        r["CumSum"] = OperatorDef(run: cumulativeSum, infer: ElementwiseOps.sameAsInput)
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
}
