/// Copies an N-D strided selection of a flat buffer into a new dense one: output element at coordinate c
/// reads `source[base + sum_d c[d] * strides[d]]`. Transpose, Slice and Split are this copy; the innermost
/// axis runs as a straight loop (a block copy when its stride is 1), with no per-element index array.
enum StridedCopy {
    static func copy<Element>(_ source: [Element], base: Int, shape: [Int], strides: [Int]) -> [Element] {
        let count = shape.reduce(1, *)
        guard count > 0 else { return [] }
        let rank = shape.count
        return [Element](unsafeUninitializedCapacity: count) { out, written in
            source.withUnsafeBufferPointer { src in
                let input = src.baseAddress! + base, output = out.baseAddress!
                if rank == 0 {
                    output.initialize(to: input[0])
                    written = 1
                    return
                }
                let inner = shape[rank - 1], innerStride = strides[rank - 1]
                var counter = [Int](repeating: 0, count: rank)
                var offset = 0, position = 0
                while position < count {
                    if innerStride == 1 {
                        (output + position).initialize(from: input + offset, count: inner)
                    } else {
                        var from = offset
                        for i in 0..<inner {
                            (output + position + i).initialize(to: input[from])
                            from += innerStride
                        }
                    }
                    position += inner
                    // Advance the outer coordinates like an odometer.
                    var axis = rank - 2
                    while axis >= 0 {
                        counter[axis] += 1
                        offset += strides[axis]
                        if counter[axis] < shape[axis] { break }
                        offset -= strides[axis] * shape[axis]
                        counter[axis] = 0
                        axis -= 1
                    }
                }
                written = count
            }
        }
    }
}

extension Value {
    /// The strided selection of this value's elements (see `StridedCopy`), with `shape`.
    func strided(shape: [Int], base: Int, strides: [Int]) -> Value {
        switch storage {
        case .float(let f):
            return Value(
                type: type, shape: shape,
                storage: .float(StridedCopy.copy(f, base: base, shape: shape, strides: strides)))
        case .int(let v):
            return Value(
                type: type, shape: shape, storage: .int(StridedCopy.copy(v, base: base, shape: shape, strides: strides))
            )
        }
    }

    /// The axes permuted: output axis i is this value's axis `order[i]` (Transpose).
    func transposed(_ order: [Int]) -> Value {
        let source = QBEngine.strides(shape)
        return strided(shape: order.map { shape[$0] }, base: 0, strides: order.map { source[$0] })
    }

    /// The N-D slice with per-axis `start` and `step` (steps may be negative) and `shape`.
    func sliced(start: [Int], step: [Int], shape: [Int]) -> Value {
        let s = QBEngine.strides(self.shape)
        let base = zip(start, s).reduce(0) { $0 + $1.0 * $1.1 }
        return strided(shape: shape, base: base, strides: zip(step, s).map { $0 * $1 })
    }
}
