import QBTensor

/// Float32 arithmetic on broadcast operands without a closure call per element: the operation is
/// chosen once, and the common layouts (equal shapes, a scalar, a trailing vector such as a bias or a
/// per-row scale) run as straight loops the compiler vectorizes.
enum FloatArithmetic {
    enum Op { case add, sub, mul, div }

    static func apply(
        _ op: Op, _ a: [Float], _ aShape: [Int], _ b: [Float], _ bShape: [Int], _ outShape: [Int],
        threads: Int = 1
    ) -> [Float] {
        let n = outShape.reduce(1, *)
        // Strides of a and b, the period of the repeating operand (0 none, 1 a scalar, else a row's length),
        // and whether a is the full operand.
        let layout: (sa: Int, sb: Int, period: Int, aFull: Bool)?
        if a.count == n && b.count == n && aShape == bShape {
            layout = (1, 1, 0, true)
        } else if a.count == n, let inner = period(bShape, outShape) {
            layout = inner == 1 ? (1, 0, 1, true) : (1, 1, inner, true)
        } else if b.count == n, let inner = period(aShape, outShape) {
            layout = inner == 1 ? (0, 1, 1, false) : (1, 1, inner, false)
        } else {
            layout = nil
        }
        guard let layout else {
            switch op {
            case .add: return Broadcast.map(a, aShape, b, bShape, outShape, +)
            case .sub: return Broadcast.map(a, aShape, b, bShape, outShape, -)
            case .mul: return Broadcast.map(a, aShape, b, bShape, outShape, *)
            case .div: return Broadcast.map(a, aShape, b, bShape, outShape, /)
            }
        }
        // Work split in whole rows of the repeating operand (or in elements), over threads for large tensors.
        let unit = layout.period > 1 ? layout.period : 1
        let units = n / unit
        let parts = n < VectorMath.parallelThreshold ? 1 : min(max(1, threads), units)
        let perPart = (units + parts - 1) / max(parts, 1)
        return [Float](unsafeUninitializedCapacity: n) { out, count in
            count = n
            guard n > 0 else { return }
            a.withUnsafeBufferPointer { x in
                b.withUnsafeBufferPointer { y in
                    let px = SharedConstPointer(x.baseAddress!), py = SharedConstPointer(y.baseAddress!)
                    let po = SharedPointer(out.baseAddress!)
                    Parallel.forEach(count: parts, workers: parts) { part in
                        let first = part * perPart, last = min(units, first + perPart)
                        guard first < last else { return }
                        if layout.period <= 1 {
                            let start = first * unit, length = (last - first) * unit
                            kernel(
                                op, px.pointer + start * layout.sa, layout.sa, py.pointer + start * layout.sb,
                                layout.sb,
                                po.base + start, length)
                        } else {
                            let inner = layout.period
                            for r in first..<last {
                                // The full operand advances by rows; the repeating one restarts at 0.
                                let xa = layout.aFull ? px.pointer + r * inner : px.pointer
                                let yb = layout.aFull ? py.pointer : py.pointer + r * inner
                                kernel(op, xa, 1, yb, 1, po.base + r * inner, inner)
                            }
                        }
                    }
                }
            }
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

    /// out[i] = x[i * sx] (op) y[i * sy] for i < n; strides are 0 or 1.
    @inline(__always)
    private static func kernel(
        _ op: Op, _ x: UnsafePointer<Float>, _ sx: Int, _ y: UnsafePointer<Float>, _ sy: Int,
        _ out: UnsafeMutablePointer<Float>, _ n: Int
    ) {
        switch (op, sx, sy) {
        case (.add, 1, 1): for i in 0..<n { out[i] = x[i] + y[i] }
        case (.sub, 1, 1): for i in 0..<n { out[i] = x[i] - y[i] }
        case (.mul, 1, 1): for i in 0..<n { out[i] = x[i] * y[i] }
        case (.div, 1, 1): for i in 0..<n { out[i] = x[i] / y[i] }
        case (.add, 1, 0):
            let s = y[0]
            for i in 0..<n { out[i] = x[i] + s }
        case (.sub, 1, 0):
            let s = y[0]
            for i in 0..<n { out[i] = x[i] - s }
        case (.mul, 1, 0):
            let s = y[0]
            for i in 0..<n { out[i] = x[i] * s }
        case (.div, 1, 0):
            let s = y[0]
            for i in 0..<n { out[i] = x[i] / s }
        case (.add, 0, _):
            let s = x[0]
            for i in 0..<n { out[i] = s + y[i] }
        case (.sub, 0, _):
            let s = x[0]
            for i in 0..<n { out[i] = s - y[i] }
        case (.mul, 0, _):
            let s = x[0]
            for i in 0..<n { out[i] = s * y[i] }
        case (.div, 0, _):
            let s = x[0]
            for i in 0..<n { out[i] = s / y[i] }
        default: fatalError("unreachable stride pattern")
        }
    }
}
