/// Float32 arithmetic on broadcast operands without a closure call per element: the operation is
/// chosen once, and the common layouts (equal shapes, a scalar, a trailing vector such as a bias or a
/// per-row scale) run as straight loops the compiler vectorizes.
enum FloatArithmetic {
    enum Op { case add, sub, mul, div }

    static func apply(_ op: Op, _ a: [Float], _ aShape: [Int], _ b: [Float], _ bShape: [Int], _ outShape: [Int]) -> [Float] {
        let n = outShape.reduce(1, *)
        if a.count == n && b.count == n && aShape == bShape {
            return run(op, n) { pa, pb, po in a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in
                kernel(op, x.baseAddress!, 1, y.baseAddress!, 1, po, n)
            } } }
        }
        // One operand repeats with period `inner` over the other (scalar, or a suffix of the shape).
        if a.count == n, let inner = period(bShape, outShape) {
            return run(op, n) { _, _, po in a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in
                if inner == 1 {
                    kernel(op, x.baseAddress!, 1, y.baseAddress!, 0, po, n)   // a scalar: one straight loop
                } else {
                    for r in 0..<(n / inner) { kernel(op, x.baseAddress! + r * inner, 1, y.baseAddress!, 1, po + r * inner, inner) }
                }
            } } }
        }
        if b.count == n, let inner = period(aShape, outShape) {
            return run(op, n) { _, _, po in a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in
                if inner == 1 {
                    kernel(op, x.baseAddress!, 0, y.baseAddress!, 1, po, n)
                } else {
                    for r in 0..<(n / inner) { kernel(op, x.baseAddress!, 1, y.baseAddress! + r * inner, 1, po + r * inner, inner) }
                }
            } } }
        }
        switch op {
        case .add: return Broadcast.map(a, aShape, b, bShape, outShape, +)
        case .sub: return Broadcast.map(a, aShape, b, bShape, outShape, -)
        case .mul: return Broadcast.map(a, aShape, b, bShape, outShape, *)
        case .div: return Broadcast.map(a, aShape, b, bShape, outShape, /)
        }
    }

    /// The length of the trailing block that `shape` covers in `outShape` when it equals the trailing
    /// dimensions of `outShape` (after stripping leading 1s), or 1 for a single element; else nil.
    static func period(_ shape: [Int], _ outShape: [Int]) -> Int? {
        let count = shape.reduce(1, *)
        if count == 1 { return 1 }
        let trimmed = Array(shape.drop { $0 == 1 })
        guard trimmed.count <= outShape.count, Array(outShape.suffix(trimmed.count)) == trimmed else { return nil }
        return count
    }

    private static func run(_ op: Op, _ n: Int, _ body: (UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafeMutablePointer<Float>) -> Void) -> [Float] {
        [Float](unsafeUninitializedCapacity: n) { out, count in
            if n > 0 { body(nil, nil, out.baseAddress!) }
            count = n
        }
    }

    /// out[i] = x[i * sx] (op) y[i * sy] for i < n; strides are 0 or 1.
    @inline(__always)
    private static func kernel(_ op: Op, _ x: UnsafePointer<Float>, _ sx: Int, _ y: UnsafePointer<Float>, _ sy: Int,
                               _ out: UnsafeMutablePointer<Float>, _ n: Int) {
        switch (op, sx, sy) {
        case (.add, 1, 1): for i in 0..<n { out[i] = x[i] + y[i] }
        case (.sub, 1, 1): for i in 0..<n { out[i] = x[i] - y[i] }
        case (.mul, 1, 1): for i in 0..<n { out[i] = x[i] * y[i] }
        case (.div, 1, 1): for i in 0..<n { out[i] = x[i] / y[i] }
        case (.add, 1, 0): let s = y[0]; for i in 0..<n { out[i] = x[i] + s }
        case (.sub, 1, 0): let s = y[0]; for i in 0..<n { out[i] = x[i] - s }
        case (.mul, 1, 0): let s = y[0]; for i in 0..<n { out[i] = x[i] * s }
        case (.div, 1, 0): let s = y[0]; for i in 0..<n { out[i] = x[i] / s }
        case (.add, 0, _): let s = x[0]; for i in 0..<n { out[i] = s + y[i] }
        case (.sub, 0, _): let s = x[0]; for i in 0..<n { out[i] = s - y[i] }
        case (.mul, 0, _): let s = x[0]; for i in 0..<n { out[i] = s * y[i] }
        case (.div, 0, _): let s = x[0]; for i in 0..<n { out[i] = s / y[i] }
        default: fatalError("unreachable stride pattern")
        }
    }
}
