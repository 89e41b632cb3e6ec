/// Windowed operators over any number of spatial axes, by direct loops: MaxPool with its Indices output
/// (and 3-D pooling), MaxUnpool, and Conv with three or more spatial axes. The 1-D and 2-D paths without
/// indices stay on the fast kernels of `PoolOps` and `ConvOps`; these are the reference for everything else.
/// Sums run in a fixed order (channels, then taps in row-major order), so the bits never depend on threads.
enum GeneralWindowOps {
    /// Each output position's window origin per spatial axis (`o * stride - pad_begin`), and each tap's offset
    /// (`k * dilation`), for geometry `g`.
    struct Window {
        let inSize: [Int]
        let g: ConvGeometry
        let outPlane: Int, taps: Int
        let outStrides: [Int], tapStrides: [Int]

        init(inSize: [Int], geometry: ConvGeometry) {
            self.inSize = inSize
            g = geometry
            outPlane = geometry.outSize.reduce(1, *)
            taps = geometry.kernel.reduce(1, *)
            outStrides = strides(geometry.outSize)
            tapStrides = strides(geometry.kernel)
        }

        /// The input coordinate on axis `d` of tap `t` for output position `q` (may lie in the padding).
        @inline(__always) func coordinate(_ q: Int, _ t: Int, axis d: Int) -> Int {
            let o = q / outStrides[d] % g.outSize[d], k = t / tapStrides[d] % g.kernel[d]
            return o * g.strides[d] - g.padsBegin[d] + k * g.dilations[d]
        }
    }

    /// MaxPool or AveragePool of float `x` ([N, C, spatial...]) over window `g`; with `indices`, each maximum's
    /// flat position in `x` (spatial axes row-major, or column-major for `storage_order` 1), as onnxruntime
    /// numbers them. Ties keep the first maximum; NaN wins.
    static func pool(
        _ x: Value, geometry g: ConvGeometry, isMax: Bool, includePad: Bool, columnMajor: Bool
    ) -> (values: [Float], indices: [Int64]) {
        let inSize = Array(x.shape.dropFirst(2)), rank = inSize.count
        let window = Window(inSize: inSize, geometry: g)
        let planes = x.shape[0] * x.shape[1], inPlane = inSize.reduce(1, *)
        let rowStrides = strides(inSize)
        var indexStrides = rowStrides
        if columnMajor {
            indexStrides[0] = 1
            for d in 1..<rank { indexStrides[d] = indexStrides[d - 1] * inSize[d - 1] }
        }
        let xs = x.floats
        var values = [Float](repeating: 0, count: planes * window.outPlane)
        var indices = [Int64](repeating: 0, count: isMax ? planes * window.outPlane : 0)
        for p in 0..<planes {
            for q in 0..<window.outPlane {
                var acc: Float = isMax ? -.infinity : 0, best = -1, visited = 0, padded = 0
                for t in 0..<window.taps {
                    var inside = true, inPad = true, offset = 0, indexOffset = 0
                    for d in 0..<rank {
                        let c = window.coordinate(q, t, axis: d)
                        if c < -g.padsBegin[d] || c >= inSize[d] + g.padsEnd[d] { inPad = false }
                        if c < 0 || c >= inSize[d] {
                            inside = false
                        } else {
                            offset += c * rowStrides[d]
                            indexOffset += c * indexStrides[d]
                        }
                    }
                    if inPad { padded += 1 }
                    guard inside else { continue }
                    let v = xs[p * inPlane + offset]
                    if isMax {
                        if best < 0 || v > acc || (v.isNaN && !acc.isNaN) {
                            acc = v
                            best = indexOffset
                        }
                    } else {
                        acc += v
                    }
                    visited += 1
                }
                let o = p * window.outPlane + q
                if isMax {
                    values[o] = acc
                    indices[o] = Int64(p * inPlane + max(best, 0))
                } else {
                    values[o] = acc / Float(includePad ? padded : max(visited, 1))
                }
            }
        }
        return (values, indices)
    }

    /// Conv of float `x` ([N, C, spatial...]) with `w` ([M, C/group, kernel...]) over window `g`, plus the bias,
    /// clamped to `[lo, hi]` (a fused activation).
    static func conv(
        _ x: Value, _ w: Value, bias: [Float]?, group: Int, geometry g: ConvGeometry, lo: Float, hi: Float
    ) -> [Float] {
        let inSize = Array(x.shape.dropFirst(2)), rank = inSize.count
        let window = Window(inSize: inSize, geometry: g)
        let (n, channels, outChannels) = (x.shape[0], x.shape[1], w.shape[0])
        let perGroupIn = channels / group, perGroupOut = outChannels / group, inPlane = inSize.reduce(1, *)
        let rowStrides = strides(inSize)
        // Each (position, tap) pair's input offset, or -1 in the padding.
        var offsets = [Int](repeating: -1, count: window.outPlane * window.taps)
        for q in 0..<window.outPlane {
            for t in 0..<window.taps {
                var offset = 0, inside = true
                for d in 0..<rank {
                    let c = window.coordinate(q, t, axis: d)
                    if c < 0 || c >= inSize[d] {
                        inside = false
                        break
                    }
                    offset += c * rowStrides[d]
                }
                if inside { offsets[q * window.taps + t] = offset }
            }
        }
        let xs = x.floats, ws = w.floats
        var out = [Float](repeating: 0, count: n * outChannels * window.outPlane)
        for b in 0..<n {
            for m in 0..<outChannels {
                let firstChannel = m / perGroupOut * perGroupIn
                for q in 0..<window.outPlane {
                    var sum: Float = 0
                    for c in 0..<perGroupIn {
                        let plane = (b * channels + firstChannel + c) * inPlane
                        let filter = (m * perGroupIn + c) * window.taps
                        for t in 0..<window.taps {
                            let offset = offsets[q * window.taps + t]
                            if offset >= 0 { sum += xs[plane + offset] * ws[filter + t] }
                        }
                    }
                    sum += bias?[m] ?? 0
                    out[(b * outChannels + m) * window.outPlane + q] = min(max(sum, lo), hi)
                }
            }
        }
        return out
    }

    /// MaxUnpool: zeros of the inferred shape (`(in - 1) * stride + kernel - pads` per spatial axis) with each `X`
    /// value written at its flat index from `I` (a later duplicate overwrites); a larger `output_shape` then holds
    /// that tensor at the start of each axis, as ONNX's reference does.
    static func maxUnpool(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let x = try ctx.floatInput(inputs, 0), index = try ctx.input(inputs, 1)
        guard x.rank >= 3, index.shape == x.shape, index.type == .int64 else {
            throw ctx.fail(.shapeMismatch, "X \(x.shape) needs rank >= 3 and int64 indices I of its shape")
        }
        guard let kernel = try ctx.ints("kernel_shape") else {
            throw ctx.fail(.badAttribute, "kernel_shape is required")
        }
        let spatial = x.rank - 2
        let steps = try ctx.ints("strides") ?? [Int](repeating: 1, count: spatial)
        let pads = try ctx.ints("pads") ?? [Int](repeating: 0, count: 2 * spatial)
        guard kernel.count == spatial, steps.count == spatial, pads.count == 2 * spatial,
            (kernel + steps).allSatisfy({ $0 > 0 }), pads.allSatisfy({ $0 >= 0 })
        else { throw ctx.fail(.badAttribute, "kernel_shape, strides and pads must fit \(spatial) spatial axes") }
        var inferred = Array(x.shape.prefix(2))
        for d in 0..<spatial {
            inferred.append((x.shape[d + 2] - 1) * steps[d] + kernel[d] - pads[d] - pads[d + spatial])
        }
        var shape = inferred
        if let requested = ctx.optional(inputs, 2) {
            shape = requested.ints.map { Int($0) }
            guard shape.count == x.rank, zip(shape, inferred).allSatisfy({ $0 >= $1 }) else {
                throw ctx.fail(.shapeMismatch, "output_shape \(shape) is smaller than the unpooled shape \(inferred)")
            }
        }
        guard inferred.allSatisfy({ $0 > 0 }) else { throw ctx.fail(.shapeMismatch, "unpooled shape \(inferred)") }
        let count = try ctx.checkedCount(inferred)
        var unpooled = [Float](repeating: 0, count: count)
        let xs = x.floats
        for (i, position) in index.ints.enumerated() {
            guard position >= 0 && position < count else {
                throw ctx.fail(.badInput, "index \(position) lies outside the unpooled shape \(inferred)")
            }
            unpooled[Int(position)] = xs[i]
        }
        guard shape != inferred else { return [Value(type: x.type, shape: shape, storage: .float(unpooled))] }
        var out = [Float](repeating: 0, count: try ctx.checkedCount(shape))
        let from = strides(inferred), to = strides(shape)
        for i in 0..<count {
            var target = 0
            for d in 0..<inferred.count { target += i / from[d] % inferred[d] * to[d] }
            out[target] = unpooled[i]
        }
        return [Value(type: x.type, shape: shape, storage: .float(out))]
    }
}
