import CKernels
import QBTensor

/// Conv (groups, depthwise, pads, strides, dilations, auto_pad; 1-D and 2-D): im2col + GEMM, a
/// direct 1x1 path that needs no copy, and a direct depthwise kernel.
enum ConvOps {
    static func register(_ r: inout [String: OperatorDef]) {
        r["Conv"] = OperatorDef(run: conv, infer: { ctx, t in
            guard let x = t[0], let w = t.count > 1 ? t[1] : nil else { throw ctx.fail(.malformedModel, "Conv needs X and W") }
            guard let xs = x.shape, let ws = w.shape, ws.allSatisfy({ $0.value != nil }) else { return [TypeInfo(type: x.type, shape: nil)] }
            guard xs.count == ws.count, xs.count >= 3 else { throw ctx.fail(.shapeMismatch, "X rank \(xs.count) and W rank \(ws.count) must match (>= 3)") }
            let wv = ws.map { $0.value! }
            let group = try ctx.int("group", 1)
            if let c = xs[1].value, c != wv[1] * group {
                throw ctx.fail(.shapeMismatch, "X has \(c) channels, W expects \(wv[1]) x group \(group)")
            }
            let spatial = xs.dropFirst(2)
            guard spatial.allSatisfy({ $0.value != nil }) else { return [TypeInfo(type: x.type, shape: [xs[0], .fixed(wv[0])] + spatial.map { _ in .unknown })] }
            let g = try ConvGeometry(ctx, inSize: spatial.map { $0.value! }, kernel: Array(wv.dropFirst(2)))
            return [TypeInfo(type: x.type, shape: [xs[0], .fixed(wv[0])] + g.outSize.map { .fixed($0) })]
        })
    }

    static func conv(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let x = try ctx.floatInput(inputs, 0), w = try ctx.floatInput(inputs, 1)
        guard x.rank == w.rank, x.rank == 3 || x.rank == 4 else {
            throw ctx.fail(.unsupported, "Conv on X \(x.shape) with W \(w.shape): only 1-D and 2-D convolutions are supported")
        }
        let group = try ctx.int("group", 1)
        let n = x.shape[0], c = x.shape[1], m = w.shape[0], cg = w.shape[1]
        guard group > 0, c == cg * group, m % group == 0 else {
            throw ctx.fail(.shapeMismatch, "X has \(c) channels and W \(w.shape) with group \(group)")
        }
        if let k = try ctx.ints("kernel_shape"), k != Array(w.shape.dropFirst(2)) {
            throw ctx.fail(.badAttribute, "kernel_shape \(k) differs from W's \(Array(w.shape.dropFirst(2)))")
        }
        let g = try ConvGeometry(ctx, inSize: Array(x.shape.dropFirst(2)), kernel: Array(w.shape.dropFirst(2)))
        let bias = ctx.optional(inputs, 2)?.floats
        if let bias, bias.count != m { throw ctx.fail(.shapeMismatch, "bias has \(bias.count) values for \(m) output channels") }
        let (lo, hi) = try LinearOps.activation(ctx)
        let geo = g.as2D
        let ih = x.rank == 4 ? x.shape[2] : 1, iw = x.shape[x.rank - 1]
        let out = try run(x: x.floats, n: n, c: c, ih: ih, iw: iw, w: w.floats, m: m, group: group, geo: geo,
                          bias: bias, lo: lo, hi: hi, threads: ctx.threads)
        let shape = [n, m] + g.outSize
        return [Value(shape: shape, floats: out)]
    }

    typealias Geo = (kh: Int, kw: Int, sh: Int, sw: Int, dh: Int, dw: Int, pt: Int, pl: Int, oh: Int, ow: Int)

    static func run(x: [Float], n: Int, c: Int, ih: Int, iw: Int, w: [Float], m: Int, group: Int, geo: Geo,
                    bias: [Float]?, lo: Float, hi: Float, threads: Int) throws -> [Float] {
        let cg = c / group, mg = m / group
        let ohw = geo.oh * geo.ow
        let kdim = cg * geo.kh * geo.kw
        var out = [Float](repeating: 0, count: n * m * ohw)
        if group == c && mg == 1 {
            depthwise(x: x, n: n, c: c, ih: ih, iw: iw, w: w, geo: geo, bias: bias, lo: lo, hi: hi, out: &out, threads: threads)
            return out
        }
        let pointwise = geo.kh == 1 && geo.kw == 1 && geo.sh == 1 && geo.sw == 1 && geo.pt == 0 && geo.pl == 0 && geo.oh == ih && geo.ow == iw
        // Enough (item, group) planes for every thread: one task each, a single-threaded GEMM per task (each
        // element computed the same way as by the split GEMM below, so the bytes do not depend on the schedule).
        if threads > 1 && n * group >= threads {
            x.withUnsafeBufferPointer { px in w.withUnsafeBufferPointer { pw in out.withUnsafeMutableBufferPointer { po in
                let xs = SharedPointer(UnsafeMutablePointer(mutating: px.baseAddress!)), ws = SharedPointer(UnsafeMutablePointer(mutating: pw.baseAddress!))
                let os = SharedPointer(po.baseAddress!)
                Parallel.forEach(count: n * group, workers: threads) { t in
                    let b = t / group, gi = t % group
                    let xg = UnsafePointer(xs.base) + (b * c + gi * cg) * ih * iw
                    let col = UnsafeMutablePointer<Float>.allocate(capacity: pointwise ? 1 : kdim * ohw)
                    defer { col.deallocate() }
                    if !pointwise { im2col(xg, channels: cg, ih: ih, iw: iw, geo: geo, into: col) }
                    let biasSlice = bias.map { Array($0[(gi * mg)..<((gi + 1) * mg)]) }
                    func run(_ bp: UnsafePointer<Float>?) {
                        GEMM.multiply(m: mg, n: ohw, k: kdim, a: UnsafePointer(ws.base) + gi * mg * kdim, aRow: kdim, aCol: 1,
                                      b: pointwise ? xg : UnsafePointer(col), bRow: ohw, bCol: 1, c: os.base + (b * m + gi * mg) * ohw, ldc: ohw,
                                      bias: bp, biasPerRow: true, lo: lo, hi: hi, threads: 1)
                    }
                    if let biasSlice { biasSlice.withUnsafeBufferPointer { run($0.baseAddress!) } } else { run(nil) }
                }
            } } }
            return out
        }
        let col = UnsafeMutablePointer<Float>.allocate(capacity: pointwise ? 1 : kdim * ohw)
        defer { col.deallocate() }
        x.withUnsafeBufferPointer { px in w.withUnsafeBufferPointer { pw in out.withUnsafeMutableBufferPointer { po in
            for b in 0..<n {
                for gi in 0..<group {
                    let xg = px.baseAddress! + (b * c + gi * cg) * ih * iw
                    let src: UnsafePointer<Float>
                    if pointwise {
                        src = xg
                    } else {
                        im2col(xg, channels: cg, ih: ih, iw: iw, geo: geo, into: col)
                        src = UnsafePointer(col)
                    }
                    let biasSlice = bias.map { Array($0[(gi * mg)..<((gi + 1) * mg)]) }
                    func run(_ bp: UnsafePointer<Float>?) {
                        GEMM.multiply(m: mg, n: ohw, k: kdim, a: pw.baseAddress! + gi * mg * kdim, aRow: kdim, aCol: 1,
                                      b: src, bRow: ohw, bCol: 1, c: po.baseAddress! + (b * m + gi * mg) * ohw, ldc: ohw,
                                      bias: bp, biasPerRow: true, lo: lo, hi: hi, threads: threads)
                    }
                    if let biasSlice { biasSlice.withUnsafeBufferPointer { run($0.baseAddress!) } } else { run(nil) }
                }
            }
        } } }
        return out
    }

    static func cGeo(_ g: Geo) -> qb_conv_geo {
        qb_conv_geo(kh: Int32(g.kh), kw: Int32(g.kw), sh: Int32(g.sh), sw: Int32(g.sw), dh: Int32(g.dh), dw: Int32(g.dw),
                    pt: Int32(g.pt), pl: Int32(g.pl), oh: Int32(g.oh), ow: Int32(g.ow))
    }

    /// Unfolds padded, strided, dilated windows: row (ci, ki, kj), column (oy, ox) (C kernel).
    static func im2col(_ x: UnsafePointer<Float>, channels: Int, ih: Int, iw: Int, geo: Geo, into col: UnsafeMutablePointer<Float>) {
        qb_im2col(x, Int32(channels), Int32(ih), Int32(iw), cGeo(geo), col)
    }

    /// One filter per channel (C kernel), planes split over threads.
    static func depthwise(x: [Float], n: Int, c: Int, ih: Int, iw: Int, w: [Float], geo: Geo, bias: [Float]?,
                          lo: Float, hi: Float, out: inout [Float], threads: Int) {
        let g = cGeo(geo)
        let planes = n * c
        let workers = planes * geo.oh * geo.ow * geo.kh * geo.kw < 1 << 20 ? 1 : threads
        let chunk = (planes + workers - 1) / workers
        x.withUnsafeBufferPointer { px in w.withUnsafeBufferPointer { pw in out.withUnsafeMutableBufferPointer { po in
            let xp = SharedConst(px.baseAddress!), wp = SharedConst(pw.baseAddress!), op = SharedPointer(po.baseAddress!)
            let hasBias = bias != nil
            (bias ?? [0]).withUnsafeBufferPointer { pb in
                let bp = hasBias ? SharedConst(pb.baseAddress!) : nil
                Parallel.forEach(count: workers, workers: workers) { part in
                    let first = part * chunk, count = min(chunk, planes - first)
                    if count > 0 {
                        qb_depthwise(xp.base, Int32(c), Int32(first), Int32(count), Int32(ih), Int32(iw), wp.base,
                                     bp?.base, g, lo, hi, op.base)
                    }
                }
            }
        } } }
    }
}
