import CKernels
import QBTensor

/// Conv (groups, depthwise, pads, strides, dilations, auto_pad): 1-D and 2-D on a direct kernel on phase planes
/// (qb_conv_direct, im2col + GEMM above `directDepthLimit`) and a direct depthwise kernel; 3-D and more by the
/// reference loop of `GeneralWindowOps`.
enum ConvOps {
    static func register(_ r: inout [String: OperatorDef]) {
        r["Conv"] = OperatorDef(
            run: conv,
            infer: { ctx, t in
                guard let x = t.at(0), let w = t.count > 1 ? t.at(1) : nil else {
                    throw ctx.fail(.malformedModel, "Conv needs X and W")
                }
                guard let xs = x.shape, let ws = w.shape, ws.allSatisfy({ $0.value != nil }) else {
                    return [TypeInfo(type: x.type, shape: nil)]
                }
                guard xs.count == ws.count, xs.count >= 3 else {
                    throw ctx.fail(.shapeMismatch, "X rank \(xs.count) and W rank \(ws.count) must match (>= 3)")
                }
                let wv = ws.map { $0.value! }
                let group = try ctx.int("group", 1)
                if let c = xs[1].value, c != wv[1] * group {
                    throw ctx.fail(.shapeMismatch, "X has \(c) channels, W expects \(wv[1]) x group \(group)")
                }
                let spatial = xs.dropFirst(2)
                guard spatial.allSatisfy({ $0.value != nil }) else {
                    return [TypeInfo(type: x.type, shape: [xs[0], .fixed(wv[0])] + spatial.map { _ in .unknown })]
                }
                let g = try ConvGeometry(ctx, inSize: spatial.map { $0.value! }, kernel: Array(wv.dropFirst(2)))
                return [TypeInfo(type: x.type, shape: [xs[0], .fixed(wv[0])] + g.outSize.map { .fixed($0) })]
            })
    }

    static func conv(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let x = try ctx.floatInput(inputs, 0), w = try ctx.floatInput(inputs, 1)
        guard x.rank == w.rank, x.rank >= 3 else {
            throw ctx.fail(.shapeMismatch, "Conv on X \(x.shape) with W \(w.shape): ranks must match (>= 3)")
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
        if let bias, bias.count != m {
            throw ctx.fail(.shapeMismatch, "bias has \(bias.count) values for \(m) output channels")
        }
        let (lo, hi) = try LinearOps.activation(ctx)
        if x.rank > 4 {
            _ = try ctx.checkedCount([n, m] + g.outSize)
            _ = try ctx.checkedCount(g.outSize + [g.kernel.reduce(1, *)])  // the table of window offsets
            let out = GeneralWindowOps.conv(x, w, bias: bias, group: group, geometry: g, lo: lo, hi: hi)
            return [Value(shape: [n, m] + g.outSize, floats: out)]
        }
        let geo = g.as2D
        let ih = x.rank == 4 ? x.shape[2] : 1, iw = x.shape[x.rank - 1]
        let out = try run(
            ctx, x: x.floats, n: n, c: c, ih: ih, iw: iw, w: w.floats, m: m, group: group, geo: geo,
            bias: bias, lo: lo, hi: hi, threads: ctx.threads)
        let shape = [n, m] + g.outSize
        return [Value(shape: shape, floats: out)]
    }

    typealias Geo = (kh: Int, kw: Int, sh: Int, sw: Int, dh: Int, dw: Int, pt: Int, pl: Int, oh: Int, ow: Int)

    /// Depth (channels per group x taps) up to which the direct kernel runs; above it, im2col + GEMM (the same
    /// bits either way: see qb_conv_direct).
    static let directDepthLimit = 8192

    static func run(
        _ ctx: OpContext, x: [Float], n: Int, c: Int, ih: Int, iw: Int, w: [Float], m: Int, group: Int,
        geo: Geo, bias: [Float]?, lo: Float, hi: Float, threads: Int
    ) throws -> [Float] {
        let cg = c / group, mg = m / group
        let ohw = geo.oh * geo.ow
        let depth = cg * geo.kh * geo.kw
        // Every element is written below (or an error is thrown), so the output starts uninitialized.
        var out = [Float](unsafeUninitializedCapacity: n * m * ohw) { _, count in count = n * m * ohw }
        if group == c && mg == 1 {
            try depthwise(
                ctx, x: x, n: n, c: c, ih: ih, iw: iw, w: w, geo: geo, bias: bias, lo: lo, hi: hi,
                out: &out, threads: threads)
            return out
        }
        if depth > directDepthLimit {
            try im2colGEMM(
                ctx, x: x, n: n, c: c, ih: ih, iw: iw, w: w, m: m, group: group, geo: geo, bias: bias, lo: lo, hi: hi,
                out: &out, threads: threads)
            return out
        }
        let g = cGeo(geo)
        let blocks = Int(qb_conv_direct_blocks(g))
        // Tasks: (item, group, block range). Enough planes for every thread: one task per plane; else each
        // plane's blocks split in parts (at least ~256K multiply-adds each).
        let planeWork = mg * depth * ohw
        let parts = n * group >= threads ? 1 : max(1, min(threads, blocks, planeWork >> 18))
        let perPart = (blocks + parts - 1) / parts
        var failed = [Int32](repeating: 0, count: n * group * parts)
        x.withUnsafeBufferPointer { px in
            w.withUnsafeBufferPointer { pw in
                out.withUnsafeMutableBufferPointer { po in
                    failed.withUnsafeMutableBufferPointer { pf in
                        let xs = SharedConst(px.baseAddress!), ws = SharedConst(pw.baseAddress!)
                        let os = SharedPointer(po.baseAddress!), fs = SharedPointer(pf.baseAddress!)
                        let hasBias = bias != nil
                        (bias ?? [0]).withUnsafeBufferPointer { pb in
                            let bs = hasBias ? SharedConst(pb.baseAddress!) : nil
                            Parallel.forEach(count: n * group * parts, workers: threads) { task in
                                let plane = task / parts, part = task % parts
                                let item = plane / group, gi = plane % group
                                let first = part * perPart, count = min(perPart, blocks - first)
                                guard count > 0 else { return }
                                fs.base[task] = qb_conv_direct(
                                    xs.base + (item * c + gi * cg) * ih * iw, Int32(cg), Int32(ih),
                                    Int32(iw), ws.base + gi * mg * depth, Int32(mg),
                                    bs.map { $0.base + gi * mg }, g, lo, hi,
                                    os.base + (item * m + gi * mg) * ohw, Int32(first), Int32(count))
                            }
                        }
                    }
                }
            }
        }
        if failed.contains(where: { $0 != 0 }) {
            throw ctx.fail(.limit, "the convolution's buffers (\(cg) channels of \(ih) x \(iw)) could not be allocated")
        }
        return out
    }

    /// im2col + GEMM, for depths above `directDepthLimit`: (item, group) planes over threads when there are
    /// enough, else the GEMM split over threads (the same bits for any split).
    static func im2colGEMM(
        _ ctx: OpContext, x: [Float], n: Int, c: Int, ih: Int, iw: Int, w: [Float], m: Int, group: Int,
        geo: Geo, bias: [Float]?, lo: Float, hi: Float, out: inout [Float], threads: Int
    ) throws {
        let cg = c / group, mg = m / group, ohw = geo.oh * geo.ow, depth = cg * geo.kh * geo.kw
        let planeThreads = threads > 1 && n * group >= threads
        var multiplied = [Bool](repeating: true, count: n * group)
        x.withUnsafeBufferPointer { px in
            w.withUnsafeBufferPointer { pw in
                out.withUnsafeMutableBufferPointer { po in
                    multiplied.withUnsafeMutableBufferPointer { pm in
                        let xs = SharedConst(px.baseAddress!), ws = SharedConst(pw.baseAddress!),
                            os = SharedPointer(po.baseAddress!)
                        let status = SharedPointer(pm.baseAddress!)
                        Parallel.forEach(count: n * group, workers: planeThreads ? threads : 1) { task in
                            let item = task / group, gi = task % group
                            let col = UnsafeMutablePointer<Float>.allocate(capacity: depth * ohw)
                            defer { col.deallocate() }
                            im2col(
                                xs.base + (item * c + gi * cg) * ih * iw, channels: cg, ih: ih, iw: iw, geo: geo,
                                into: col)
                            let biasSlice = bias.map { Array($0[(gi * mg)..<((gi + 1) * mg)]) }
                            func multiply(_ biasPointer: UnsafePointer<Float>?) {
                                status.base[task] = GEMM.multiply(
                                    m: mg, n: ohw, k: depth, a: ws.base + gi * mg * depth, aRow: depth, aCol: 1,
                                    b: UnsafePointer(col), bRow: ohw, bCol: 1, c: os.base + (item * m + gi * mg) * ohw,
                                    ldc: ohw, bias: biasPointer, biasPerRow: true, lo: lo, hi: hi,
                                    threads: planeThreads ? 1 : threads)
                            }
                            if let biasSlice {
                                biasSlice.withUnsafeBufferPointer { multiply($0.baseAddress!) }
                            } else {
                                multiply(nil)
                            }
                        }
                    }
                }
            }
        }
        guard !multiplied.contains(false) else { throw LinearOps.gemmFailure(ctx, m: mg, n: ohw, k: depth) }
    }

    static func cGeo(_ g: Geo) -> qb_conv_geo {
        qb_conv_geo(
            kh: Int32(g.kh), kw: Int32(g.kw), sh: Int32(g.sh), sw: Int32(g.sw), dh: Int32(g.dh), dw: Int32(g.dw),
            pt: Int32(g.pt), pl: Int32(g.pl), oh: Int32(g.oh), ow: Int32(g.ow))
    }

    /// Unfolds padded, strided, dilated windows: row (ci, ki, kj), column (oy, ox) (C kernel).
    static func im2col(
        _ x: UnsafePointer<Float>, channels: Int, ih: Int, iw: Int, geo: Geo, into col: UnsafeMutablePointer<Float>
    ) {
        qb_im2col(x, Int32(channels), Int32(ih), Int32(iw), cGeo(geo), col)
    }

    /// One filter per channel (C kernel), planes split over threads.
    static func depthwise(
        _ ctx: OpContext, x: [Float], n: Int, c: Int, ih: Int, iw: Int, w: [Float], geo: Geo,
        bias: [Float]?, lo: Float, hi: Float, out: inout [Float], threads: Int
    ) throws {
        let g = cGeo(geo)
        let planes = n * c
        let workers = planes * geo.oh * geo.ow * geo.kh * geo.kw < 1 << 20 ? 1 : threads
        let chunk = (planes + workers - 1) / workers
        var failed = [Int32](repeating: 0, count: workers)
        x.withUnsafeBufferPointer { px in
            w.withUnsafeBufferPointer { pw in
                out.withUnsafeMutableBufferPointer { po in
                    failed.withUnsafeMutableBufferPointer { pf in
                        let xp = SharedConst(px.baseAddress!), wp = SharedConst(pw.baseAddress!)
                        let op = SharedPointer(po.baseAddress!), fs = SharedPointer(pf.baseAddress!)
                        let hasBias = bias != nil
                        (bias ?? [0]).withUnsafeBufferPointer { pb in
                            let bp = hasBias ? SharedConst(pb.baseAddress!) : nil
                            Parallel.forEach(count: workers, workers: workers) { part in
                                let first = part * chunk, count = min(chunk, planes - first)
                                if count > 0 {
                                    fs.base[part] = qb_depthwise(
                                        xp.base, Int32(c), Int32(first), Int32(count), Int32(ih),
                                        Int32(iw), wp.base, bp?.base, g, lo, hi, op.base)
                                }
                            }
                        }
                    }
                }
            }
        }
        if failed.contains(where: { $0 != 0 }) {
            throw ctx.fail(.limit, "the depthwise convolution's buffers (\(ih) x \(iw) planes) could not be allocated")
        }
    }
}
