/// NumPy-style (multidirectional) broadcasting, as ONNX defines it.
enum Broadcast {
    /// The broadcast shape of several shapes, or nil when they are incompatible.
    static func shape(_ shapes: [[Int]]) -> [Int]? {
        let rank = shapes.map(\.count).max() ?? 0
        var out = [Int](repeating: 1, count: rank)
        for s in shapes {
            let offset = rank - s.count
            for (i, d) in s.enumerated() {
                let o = out[offset + i]
                if o == 1 { out[offset + i] = d } else if d != 1 && d != o { return nil }
            }
        }
        return out
    }

    /// The broadcast of symbolic shapes; nil when two fixed dimensions clash.
    static func dims(_ shapes: [[Dim]]) -> [Dim]? {
        let rank = shapes.map(\.count).max() ?? 0
        var out = [Dim](repeating: .fixed(1), count: rank)
        for s in shapes {
            let offset = rank - s.count
            for (i, d) in s.enumerated() {
                let o = out[offset + i]
                switch (o, d) {
                case (.fixed(1), _): out[offset + i] = d
                case (_, .fixed(1)): break
                case (.fixed(let x), .fixed(let y)): if x != y { return nil }
                case (.fixed, _): break
                case (_, .fixed): out[offset + i] = d
                case (.symbol(let x), .symbol(let y)): if x != y { out[offset + i] = .unknown }
                default: out[offset + i] = .unknown
                }
            }
        }
        return out
    }

    /// Strides of `shape` seen from a broadcast `outShape` (0 along broadcast dimensions).
    static func strides(of shape: [Int], in outShape: [Int]) -> [Int] {
        let own = QBEngine.strides(shape)
        let offset = outShape.count - shape.count
        return (0..<outShape.count).map { i in
            i < offset ? 0 : (shape[i - offset] == 1 && outShape[i] != 1 ? 0 : own[i - offset])
        }
    }

    /// Applies `f` elementwise over broadcast inputs. Fast paths for equal shapes and scalars;
    /// otherwise rows of the last dimension with per-input strides.
    static func map<A, B, R>(
        _ a: [A], _ aShape: [Int], _ b: [B], _ bShape: [Int], _ outShape: [Int],
        _ f: (A, B) -> R
    ) -> [R] {
        let n = outShape.reduce(1, *)
        if n == 0 { return [] }
        if aShape == bShape && a.count == n {
            return a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    [R](unsafeUninitializedCapacity: n) { out, count in
                        for i in 0..<n { (out.baseAddress! + i).initialize(to: f(pa[i], pb[i])) }
                        count = n
                    }
                }
            }
        }
        if b.count == 1 && a.count == n {
            let s = b[0]
            return a.map { f($0, s) }
        }
        if a.count == 1 && b.count == n {
            let s = a[0]
            return b.map { f(s, $0) }
        }
        let sa = strides(of: aShape, in: outShape), sb = strides(of: bShape, in: outShape)
        let rank = outShape.count
        let inner = outShape[rank - 1]
        let rows = n / inner
        let ia = sa[rank - 1], ib = sb[rank - 1]
        var counter = [Int](repeating: 0, count: rank)
        var offA = 0, offB = 0
        return a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                [R](unsafeUninitializedCapacity: n) { out, count in
                    var o = 0
                    for _ in 0..<rows {
                        var ja = offA, jb = offB
                        for _ in 0..<inner {
                            (out.baseAddress! + o).initialize(to: f(pa[ja], pb[jb]))
                            o += 1
                            ja += ia
                            jb += ib
                        }
                        // Advance the row counter over dimensions rank-2 ... 0.
                        var d = rank - 2
                        while d >= 0 {
                            counter[d] += 1
                            offA += sa[d]
                            offB += sb[d]
                            if counter[d] < outShape[d] { break }
                            offA -= sa[d] * outShape[d]
                            offB -= sb[d] * outShape[d]
                            counter[d] = 0
                            d -= 1
                        }
                    }
                    count = n
                }
            }
        }
    }

    /// Gathers `values` (of `shape`) broadcast to `outShape`.
    static func expand<T>(_ values: [T], _ shape: [Int], to outShape: [Int]) -> [T] {
        StridedCopy.copy(values, base: 0, shape: outShape, strides: strides(of: shape, in: outShape))
    }
}
