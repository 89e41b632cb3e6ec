import CKernels
import QBEngine

/// The FGQ kernel: per group, additions and subtractions of the input codes, then one multiply by alpha.
/// On AVX2 and AVX-512 VNNI the codes are packed as bytes and each group's additions and subtractions run 32
/// (AVX2: vpmaddubsw) or 64 (vpdpbusd) at a time (`qb_ternary_rows` / `qb_ternary_conv`, a plain twin beside them);
/// below AVX2, and where the groups do not fall on whole 4-byte steps, the CSR form below (index lists of the +1
/// and -1 weights per group). Every form gives the same bits.
/// The counts are the method's arithmetic either way: one addition or subtraction per nonzero weight and
/// one multiply per nonempty group, per output position.
struct TernaryKernel: DepthwiseKernel, HWCConvolutionKernel {
    let depth: Int
    let rowStart: [Int32]
    let groupStart: [Int32]
    let plusCount: [Int32]
    let indices: [Int32]
    let alphas: [Float]
    let bias: [Float]?
    let lo: Float
    let hi: Float
    let packed: Packed?
    /// Depthwise layers (groups of one weight at each tap): the weights alpha * t, [channels][taps].
    let depthwiseWeights: [Float]?

    /// The VNNI form of a layer: codes packed tap-major in 16-row blocks, per (block, group, row) alpha and
    /// zero-point correction.
    struct Packed: Sendable {
        let rows: Int
        let groups: Int
        let ld: Int
        let codes: [Int8]
        let alphas: [Float]
        let corrections: [Int32]
        let zeroPoint: Int

        /// nil below AVX2, for grouped convolutions, and where a group is not a whole number of 4-byte steps.
        init?(_ spec: LayerSpec, codes: [Int8], groupSize: Int?, alphas: [Float], zeroPoint: Int) {
            guard qb_kernels_have_avx2() == 1, spec.group == 1, (0...255).contains(zeroPoint) else { return nil }
            let channels = spec.depth / spec.taps, quads = (spec.depth + 3) / 4
            let groups: Int
            var dense: [Float]
            if let n = groupSize {
                guard n % 4 == 0, channels % n == 0 else { return nil }
                groups = spec.taps * channels / n
                dense = alphas  // TernaryMethod.groups order: row, tap, channel block = tap-major within a row
            } else {
                groups = 1
                dense = Array(alphas.prefix(spec.rows))
            }
            guard groups > 0, quads % groups == 0, dense.count == spec.rows * groups else { return nil }
            let wide = codes.map { Int16($0) }
            let tables = qb_ternary_table_size(Int32(spec.rows), Int32(groups))
            var wp = [Int8](repeating: 0, count: qb_vnni_packed_size(Int32(spec.rows), Int32(spec.depth)))
            var sums = [Int32](repeating: 0, count: spec.rows), a = [Float](repeating: 0, count: tables),
                c = [Int32](repeating: 0, count: tables)
            qb_ternary_pack(
                Int32(spec.rows), Int32(spec.depth), Int32(spec.taps), Int32(groups), wide, Int32(spec.depth), &dense,
                Int32(zeroPoint),
                &wp, &sums, &a, &c)
            self.rows = spec.rows
            self.groups = groups
            self.ld = (spec.depth + 15) / 16 * 16
            self.codes = wp
            self.alphas = a
            self.corrections = c
            self.zeroPoint = zeroPoint
        }

        /// Runs `body` with the C description of the packed layer (pointers valid only inside).
        func withLayer<T>(_ body: (inout qb_ternary_layer) -> T) -> T {
            codes.withUnsafeBufferPointer { w in
                alphas.withUnsafeBufferPointer { a in
                    corrections.withUnsafeBufferPointer { c in
                        var layer = qb_ternary_layer(
                            rows: Int32(rows), groups: Int32(groups), codes: w.baseAddress, alphas: a.baseAddress,
                            corr: c.baseAddress)
                        return body(&layer)
                    }
                }
            }
        }
    }

    var layout: PatchLayout { packed.map { .columnMajor(ld: $0.ld) } ?? .kMajor }

    /// The method's operation counts for rows `r` over `cols` positions.
    private func counts(rows r: Range<Int>, cols: Int) -> OpCounts {
        let groups = Int64(rowStart[r.upperBound] - rowStart[r.lowerBound])
        let adds = Int64(groupStart[Int(rowStart[r.upperBound])] - groupStart[Int(rowStart[r.lowerBound])])
        return OpCounts(
            macs: Int64(r.count) * Int64(cols) * Int64(depth), multiplies: groups * Int64(cols),
            adds: adds * Int64(cols))
    }

    func compute(
        rows r: Range<Int>, patches: UnsafePointer<Int16>, ldp: Int, cols: Int, inputScale: Float,
        out: UnsafeMutablePointer<Float>, rs: Int, cs: Int
    ) throws -> OpCounts {
        if let v = packed {
            precondition(r == 0..<v.rows, "the packed ternary kernel computes whole layers")
            var done: Int32 = 0
            withUnitColumnStride(rows: v.rows, cols: cols, out: out, rs: rs, cs: cs) { o, ors, ocs in
                done = v.withLayer { layer in
                    withOptionalPointer(bias) { b in
                        var input = qb_code_columns(
                            patches: patches, stride: ldp, depth: depth, zero: v.zeroPoint, count: cols)
                        var output = qb_float_output(sx: inputScale, bias: b, lo: lo, hi: hi, out: o, rs: ors, cs: ocs)
                        return qb_ternary_rows(&layer, &input, &output)
                    }
                }
            }
            try KernelFailure.check(done, "qb_ternary_rows")
            return counts(rows: r, cols: cols)
        }
        var adds: Int64 = 0, mults: Int64 = 0
        rowStart.withUnsafeBufferPointer { rsp in
            groupStart.withUnsafeBufferPointer { g in
                plusCount.withUnsafeBufferPointer { p in
                    indices.withUnsafeBufferPointer { i in
                        alphas.withUnsafeBufferPointer { a in
                            withOptionalPointer(bias) { b in
                                qb_ternary_gemm(
                                    Int32(r.count), Int32(cols), rsp.baseAddress! + r.lowerBound, g.baseAddress!,
                                    p.baseAddress!, i.baseAddress!,
                                    a.baseAddress!, patches, ldp, inputScale, b.map { $0 + r.lowerBound }, lo, hi,
                                    out, rs, cs, &adds, &mults)
                            }
                        }
                    }
                }
            }
        }
        return OpCounts(macs: Int64(r.count) * Int64(cols) * Int64(depth), multiplies: mults, adds: adds)
    }

    var hwcConvolutionForm: (any HWCConvolutionKernel)? { packed == nil ? nil : self }
    var hwcZeroPoint: Int { packed?.zeroPoint ?? 0 }

    func convolve(
        group: Int, hwc: UnsafePointer<UInt8>, channels: Int, ih: Int, iw: Int, geo: qb_conv_geo, first: Int, cols: Int,
        inputScale: Float, out: UnsafeMutablePointer<Float>, rs: Int
    ) throws -> OpCounts {
        guard let v = packed, group == 0 else {
            preconditionFailure("the packed ternary kernel computes ungrouped convolutions")
        }
        let done = v.withLayer { layer in
            withOptionalPointer(bias) { b in
                var input = qb_hwc_input(
                    hwc: hwc, channels: channels, ih: ih, iw: iw, geo: geo, zero: v.zeroPoint, first: first, count: cols
                )
                var output = qb_float_output(sx: inputScale, bias: b, lo: lo, hi: hi, out: out, rs: rs, cs: 1)
                return qb_ternary_conv(&layer, &input, &output)
            }
        }
        try KernelFailure.check(done, "qb_ternary_conv")
        return counts(rows: 0..<v.rows, cols: cols)
    }

    var depthwiseForm: (any DepthwiseKernel)? { depthwiseWeights == nil ? nil : self }

    func depthwise(
        rows r: Range<Int>, codes: UnsafePointer<Int16>, ih: Int, iw: Int, geo: qb_conv_geo, inputScale: Float,
        out: UnsafeMutablePointer<Float>
    ) throws -> OpCounts {
        guard let w = depthwiseWeights else { preconditionFailure("not a depthwise layer") }
        let taps = Int(geo.kh) * Int(geo.kw)
        w.withUnsafeBufferPointer { wp in
            withOptionalPointer(bias) { b in
                qb_dwternary_i16(
                    codes, Int32(r.count), Int32(ih), Int32(iw), geo, wp.baseAddress! + r.lowerBound * taps, inputScale,
                    b.map { $0 + r.lowerBound }, lo, hi, out)
            }
        }
        return counts(rows: r, cols: Int(geo.oh) * Int(geo.ow))
    }

}

extension TernaryKernel: FloatLinearKernel {
    var fusedLinearForm: (any FloatLinearKernel)? { packed == nil ? nil : self }

    func linear(input: UnsafePointer<Float>, count: Int, quant: AffineQuant, out: UnsafeMutablePointer<Float>) throws
        -> OpCounts
    {
        guard let v = packed else { throw KernelFailure(reason: "qb_ternary_floats: the layer has no packed form") }
        try packedLinear(
            "qb_ternary_floats", input: input, count: count, depth: depth, quant: quant, packedZero: v.zeroPoint,
            rows: v.rows, bias: bias,
            lo: lo, hi: hi, out: out
        ) { x, output in v.withLayer { qb_ternary_floats(&$0, &x, &output) } }
        return counts(rows: 0..<v.rows, cols: count)
    }
}
