import QBTensor

/// Gemm and MatMul (batched, broadcast), on the GEMM kernel.
enum LinearOps {
    static func register(_ r: inout [String: OperatorDef]) {
        r["MatMul"] = OperatorDef(
            run: { ctx, inputs in
                let a = try ctx.floatInput(inputs, 0), b = try ctx.floatInput(inputs, 1)
                return [try matmul(ctx, a, b, bias: nil)]
            },
            infer: { ctx, t in
                guard let a = t.at(0), let b = t.count > 1 ? t.at(1) : nil else {
                    throw ctx.fail(.malformedModel, "MatMul needs two inputs")
                }
                guard let sa = a.shape, let sb = b.shape else { return [TypeInfo(type: a.type, shape: nil)] }
                return [TypeInfo(type: a.type, shape: try matmulShape(ctx, sa, sb))]
            })
        r["Gemm"] = OperatorDef(
            run: gemm,
            infer: { ctx, t in
                guard let a = t.at(0), let b = t.count > 1 ? t.at(1) : nil else {
                    throw ctx.fail(.malformedModel, "Gemm needs two inputs")
                }
                guard let sa = a.shape, let sb = b.shape else { return [TypeInfo(type: a.type, shape: nil)] }
                guard sa.count == 2, sb.count == 2 else {
                    throw ctx.fail(.shapeMismatch, "Gemm needs 2-D A and B, got ranks \(sa.count) and \(sb.count)")
                }
                let ta = try ctx.int("transA", 0) != 0, tb = try ctx.int("transB", 0) != 0
                let m = ta ? sa[1] : sa[0], ka = ta ? sa[0] : sa[1], kb = tb ? sb[1] : sb[0], n = tb ? sb[0] : sb[1]
                if let x = ka.value, let y = kb.value, x != y {
                    throw ctx.fail(.shapeMismatch, "inner dimensions differ: A gives \(x), B gives \(y)")
                }
                return [TypeInfo(type: a.type, shape: [m, n])]
            })
    }

    /// The fused activation clamp a rewrite may have attached (`qb_lo`, `qb_hi`).
    static func activation(_ ctx: OpContext) throws -> (Float, Float) {
        (try ctx.float("qb_lo", -.infinity), try ctx.float("qb_hi", .infinity))
    }

    static func gemm(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let a = try ctx.floatInput(inputs, 0), b = try ctx.floatInput(inputs, 1)
        guard a.rank == 2, b.rank == 2 else {
            throw ctx.fail(.shapeMismatch, "Gemm needs 2-D A and B, got \(a.shape) and \(b.shape)")
        }
        let ta = try ctx.int("transA", 0) != 0, tb = try ctx.int("transB", 0) != 0
        let alpha = try ctx.float("alpha", 1), beta = try ctx.float("beta", 1)
        let m = ta ? a.shape[1] : a.shape[0], k = ta ? a.shape[0] : a.shape[1]
        let kb = tb ? b.shape[1] : b.shape[0], n = tb ? b.shape[0] : b.shape[1]
        guard k == kb else {
            throw ctx.fail(
                .shapeMismatch, "inner dimensions differ: A \(a.shape) transA=\(ta), B \(b.shape) transB=\(tb)")
        }
        let (lo, hi) = try activation(ctx)
        let c = ctx.optional(inputs, 2)
        // Every element is written by the kernel (0 when k = 0; NaN when it fails): no zero-fill pass first.
        var out = [Float](unsafeUninitializedCapacity: m * n) { _, written in written = m * n }
        // A bias of N values (or one) with alpha = beta = 1 goes into the kernel's epilogue.
        let simpleBias: [Float]? = {
            guard let c, alpha == 1, beta == 1 else { return nil }
            if c.count == n && (c.rank == 1 || c.shape == [1, n]) { return c.floats }
            if c.count == 1 { return [Float](repeating: c.floats[0], count: n) }
            return nil
        }()
        let fused = c == nil || simpleBias != nil
        let af = a.floats, bf = b.floats
        var multiplied = true
        af.withUnsafeBufferPointer { pa in
            bf.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { pc in
                    func run(_ bias: UnsafePointer<Float>?) {
                        multiplied = GEMM.multiply(
                            m: m, n: n, k: k, a: pa.baseAddress!, aRow: ta ? 1 : k, aCol: ta ? m : 1,
                            b: pb.baseAddress!, bRow: tb ? 1 : n, bCol: tb ? k : 1, c: pc.baseAddress!, ldc: n,
                            bias: bias, lo: fused ? lo : -.infinity, hi: fused ? hi : .infinity, threads: ctx.threads)
                    }
                    if let simpleBias { simpleBias.withUnsafeBufferPointer { run($0.baseAddress!) } } else { run(nil) }
                }
            }
        }
        guard multiplied else { throw gemmFailure(ctx, m: m, n: n, k: k) }
        if !fused, let c {
            guard let s = Broadcast.shape([c.shape, [m, n]]), s == [m, n] else {
                throw ctx.fail(.shapeMismatch, "C \(c.shape) does not broadcast to [\(m), \(n)]")
            }
            let cb = Broadcast.expand(c.floats, c.shape, to: [m, n])
            for i in 0..<out.count { out[i] = min(max(alpha * out[i] + beta * cb[i], lo), hi) }
        } else if alpha != 1 && c == nil {
            for i in 0..<out.count { out[i] = min(max(alpha * out[i], lo), hi) }
        }
        return [Value(shape: [m, n], floats: out)]
    }

    static func matmulShape(_ ctx: OpContext, _ a: [Dim], _ b: [Dim]) throws -> [Dim] {
        guard !a.isEmpty, !b.isEmpty else { throw ctx.fail(.shapeMismatch, "MatMul operands must have rank >= 1") }
        let a2 = a.count == 1 ? [.fixed(1)] + a : a, b2 = b.count == 1 ? b + [.fixed(1)] : b
        let k1 = a2[a2.count - 1], k2 = b2[b2.count - 2]
        if let x = k1.value, let y = k2.value, x != y {
            throw ctx.fail(.shapeMismatch, "inner dimensions differ: [..., \(x)] x [..., \(y), ...]")
        }
        guard let batch = Broadcast.dims([Array(a2.dropLast(2)), Array(b2.dropLast(2))]) else {
            throw ctx.fail(.shapeMismatch, "batch dimensions do not broadcast")
        }
        var out = batch
        if a.count > 1 { out.append(a2[a2.count - 2]) }
        if b.count > 1 { out.append(b2[b2.count - 1]) }
        return out
    }

    /// Batched, broadcast matrix product; `bias` (N values) goes into the kernel's epilogue.
    static func matmul(_ ctx: OpContext, _ a: Value, _ b: Value, bias: [Float]?) throws -> Value {
        guard a.rank >= 1, b.rank >= 1 else { throw ctx.fail(.shapeMismatch, "MatMul operands must have rank >= 1") }
        let sa = a.rank == 1 ? [1] + a.shape : a.shape, sb = b.rank == 1 ? b.shape + [1] : b.shape
        let m = sa[sa.count - 2], k = sa[sa.count - 1], k2 = sb[sb.count - 2], n = sb[sb.count - 1]
        guard k == k2 else { throw ctx.fail(.shapeMismatch, "inner dimensions differ: \(a.shape) x \(b.shape)") }
        let ba = Array(sa.dropLast(2)), bb = Array(sb.dropLast(2))
        guard let batch = Broadcast.shape([ba, bb]) else {
            throw ctx.fail(.shapeMismatch, "batch dimensions of \(a.shape) and \(b.shape) do not broadcast")
        }
        let count = batch.reduce(1, *)
        let (lo, hi) = try activation(ctx)
        // Batch index -> matrix index of A and B under broadcasting.
        let idxA = Broadcast.expand(Array(0..<max(ba.reduce(1, *), 1)), ba, to: batch)
        let idxB = Broadcast.expand(Array(0..<max(bb.reduce(1, *), 1)), bb, to: batch)
        var out = [Float](unsafeUninitializedCapacity: count * m * n) { _, written in written = count * m * n }
        let af = a.floats, bf = b.floats
        // Small products in a batch (attention heads) go one per task, each single-threaded: every element is
        // computed the same way either way, so the bytes do not depend on the split.
        let perItem = count > 1 && m * n * k < 1 << 21 && ctx.threads > 1
        var multiplied = [Bool](repeating: true, count: count)
        af.withUnsafeBufferPointer { pa in
            bf.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { pc in
                    multiplied.withUnsafeMutableBufferPointer { pm in
                        let aBase = SharedConst(pa.baseAddress!), bBase = SharedConst(pb.baseAddress!),
                            cBase = SharedPointer(pc.baseAddress!)
                        let status = SharedPointer(pm.baseAddress!)
                        func run(_ biasPtr: UnsafePointer<Float>?) {
                            let biasBase = biasPtr.map(SharedConst.init)
                            Parallel.forEach(count: count, workers: perItem ? ctx.threads : 1) { i in
                                status.base[i] = GEMM.multiply(
                                    m: m, n: n, k: k, a: aBase.base + idxA[i] * m * k, aRow: k, aCol: 1,
                                    b: bBase.base + idxB[i] * k * n, bRow: n, bCol: 1,
                                    c: cBase.base + i * m * n, ldc: n, bias: biasBase?.base, lo: lo, hi: hi,
                                    threads: perItem ? 1 : ctx.threads)
                            }
                        }
                        if let bias { bias.withUnsafeBufferPointer { run($0.baseAddress!) } } else { run(nil) }
                    }
                }
            }
        }
        guard !multiplied.contains(false) else { throw gemmFailure(ctx, m: m, n: n, k: k) }
        var shape = batch
        if a.rank > 1 { shape.append(m) }
        if b.rank > 1 { shape.append(n) }
        return Value(shape: shape, floats: out)
    }

    /// The error when the SGEMM's packing buffers could not be allocated.
    static func gemmFailure(_ ctx: OpContext, m: Int, n: Int, k: Int) -> EngineError {
        ctx.fail(.limit, "the matrix product's packing buffers (\(m) x \(k) by \(k) x \(n)) could not be allocated")
    }
}
