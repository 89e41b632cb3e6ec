import CKernels

/// The int8 integer path (Jacob et al. 2018): int32 accumulation of W (symmetric, Z = 0) times the
/// centered input codes, int32 bias (scale S_x S_w, zero point 0), fixed-point requantization to the
/// output's uint8 codes with the fused ReLU/Clip clamp, then `S_y (q - Z_y)` for the float ops after it.
struct Int8Kernel: FloatLinearKernel, DepthwiseKernel, HWCConvolutionKernel {
    let rows: Int
    let depth: Int
    /// The row stride of `weights`: depth rounded up to 16 (the AVX2 step), zero-padded.
    let ld: Int
    /// int8 values widened to int16, [rows][ld].
    let weights: [Int16]
    let bias: [Int32]
    let m0: [Int32]
    let leftShift: [Int32]
    let rightShift: [Int32]
    let output: AffineQuant
    let qmin: Int
    let qmax: Int
    /// The input's zero point (the VNNI path turns the centered codes back into unsigned codes).
    let inputZero: Int
    /// Rows per convolution group (all rows for a linear layer): the row ranges `compute` is called with.
    let groupRows: Int
    /// Taps per input channel (kh kw of a convolution, 1 for a linear layer): weight k is channel k / taps, tap k %
    /// taps.
    let taps: Int
    /// Per group, the weights packed for the packed kernels (AVX-512 VNNI, or AVX2 on the same bytes; tap-major when
    /// taps > 1) and their row sums; empty below AVX2 and for depthwise layers (one row per group), which have their
    /// own kernel.
    let packed: [[Int8]]
    let packedSums: [[Int32]]

    init(
        rows: Int, depth: Int, ld: Int, weights: [Int16], bias: [Int32], m0: [Int32], leftShift: [Int32],
        rightShift: [Int32],
        output: AffineQuant, qmin: Int, qmax: Int, inputZero: Int, groupRows: Int? = nil, taps: Int = 1
    ) {
        self.rows = rows
        self.depth = depth
        self.ld = ld
        self.weights = weights
        self.bias = bias
        self.m0 = m0
        self.leftShift = leftShift
        self.rightShift = rightShift
        self.output = output
        self.qmin = qmin
        self.qmax = qmax
        self.inputZero = inputZero
        let mg = max(1, groupRows ?? rows)
        self.groupRows = mg
        let t = taps >= 1 && depth % taps == 0 ? taps : 1
        self.taps = t
        var packed = [[Int8]](), sums = [[Int32]]()
        if qb_kernels_have_avx2() == 1 && mg >= 2 && rows % mg == 0 {
            for g in 0..<(rows / mg) {
                var wp = [Int8](repeating: 0, count: qb_vnni_packed_size(Int32(mg), Int32(depth)))
                var s = [Int32](repeating: 0, count: mg)
                weights.withUnsafeBufferPointer { w in
                    qb_vnni_pack(Int32(mg), Int32(depth), Int32(t), w.baseAddress! + g * mg * ld, Int32(ld), &wp, &s)
                }
                packed.append(wp)
                sums.append(s)
            }
        }
        self.packed = packed
        self.packedSums = sums
    }

    var layout: PatchLayout { .columnMajor(ld: ld) }

    func compute(
        rows r: Range<Int>, patches: UnsafePointer<Int16>, ldp: Int, cols: Int, inputScale: Float,
        out: UnsafeMutablePointer<Float>, rs: Int, cs: Int
    ) throws -> OpCounts {
        let m = r.count
        // Column chunks whose sums and outputs stay in cache (and whose buffers are not fresh pages each call).
        let chunk = min(cols, max(240, (1 << 16) / max(m, 1) / 240 * 240))
        let acc = UnsafeMutablePointer<Int32>.allocate(capacity: max(m * chunk, 1))
        defer { acc.deallocate() }
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: cs == 1 ? 1 : max(m * chunk, 1))
        defer { scratch.deallocate() }
        // The packed kernel (AVX-512 VNNI or AVX2, the same exact sums), else the int16-widened one. Convolution
        // weights are packed tap-major for `convolve`, so the patch-matrix path takes the int16 kernel.
        let g = r.lowerBound / groupRows
        let packedOK = !packed.isEmpty && taps == 1 && r.count == groupRows && r.lowerBound % groupRows == 0
        for c0 in stride(from: 0, to: cols, by: max(chunk, 1)) {
            let n = min(chunk, cols - c0), p = patches + c0 * ldp
            var packedRan: Int32 = 0
            if packedOK {
                packedRan = packed[g].withUnsafeBufferPointer { wp in
                    packedSums[g].withUnsafeBufferPointer { s in
                        qb_igemm_vnni(
                            Int32(m), Int32(n), Int32(depth), wp.baseAddress!, s.baseAddress!, p, ldp, Int32(inputZero),
                            acc)
                    }
                }
            }
            if packedRan == 0 {
                weights.withUnsafeBufferPointer { w in
                    qb_igemm_i16(Int32(m), Int32(n), Int32(ld), w.baseAddress! + r.lowerBound * ld, p, acc)
                }
            }
            // Linear layers want the output transposed: unit stride into a buffer, then tiled (withUnitColumnStride).
            withUnitColumnStride(rows: m, cols: n, out: out + c0 * cs, rs: rs, cs: cs, scratch: cs == 1 ? nil : scratch)
            { o, ors, ocs in
                requantize(rows: r, acc: acc, cols: n, out: o, rs: ors, cs: ocs)
            }
        }
        let macs = Int64(m) * Int64(cols) * Int64(depth)
        return OpCounts(macs: macs, multiplies: macs)
    }

    /// The epilogue of rows `r`: int32 sums `acc` [rows][cols] plus bias, requantized to the output codes,
    /// dequantized into `out` (element (i, j) at `i * rs + j * cs`).
    private func requantize(
        rows r: Range<Int>, acc: UnsafePointer<Int32>, cols: Int, out: UnsafeMutablePointer<Float>, rs: Int, cs: Int
    ) {
        bias.withUnsafeBufferPointer { b in
            m0.withUnsafeBufferPointer { m0p in
                leftShift.withUnsafeBufferPointer { l in
                    rightShift.withUnsafeBufferPointer { rsh in
                        let o = r.lowerBound
                        qb_requantize(
                            Int32(r.count), Int32(cols), acc, b.baseAddress! + o, m0p.baseAddress! + o,
                            l.baseAddress! + o, rsh.baseAddress! + o,
                            Int32(output.zeroPoint), Int32(qmin), Int32(qmax), output.scale, out, rs, cs)
                    }
                }
            }
        }
    }

    var hwcConvolutionForm: (any HWCConvolutionKernel)? { packed.isEmpty ? nil : self }
    var hwcZeroPoint: Int { inputZero }

    func convolve(
        group g: Int, hwc: UnsafePointer<UInt8>, channels: Int, ih: Int, iw: Int, geo: qb_conv_geo, first: Int,
        cols: Int,
        inputScale: Float, out: UnsafeMutablePointer<Float>, rs: Int
    ) throws -> OpCounts {
        let m = groupRows, chunk = 960
        let acc = UnsafeMutablePointer<Int32>.allocate(capacity: m * min(chunk, max(cols, 1)))
        defer { acc.deallocate() }
        try packed[g].withUnsafeBufferPointer { wp in
            try packedSums[g].withUnsafeBufferPointer { s in
                for c0 in stride(from: 0, to: cols, by: chunk) {
                    let n = min(chunk, cols - c0)
                    var input = qb_hwc_input(
                        hwc: hwc, channels: channels, ih: ih, iw: iw, geo: geo, zero: inputZero, first: first + c0,
                        count: n)
                    try KernelFailure.check(
                        qb_conv_u8(Int32(m), wp.baseAddress!, s.baseAddress!, &input, acc), "qb_conv_u8")
                    requantize(rows: (g * m)..<((g + 1) * m), acc: acc, cols: n, out: out + c0, rs: rs, cs: 1)
                }
            }
        }
        let macs = Int64(m) * Int64(cols) * Int64(depth)
        return OpCounts(macs: macs, multiplies: macs)
    }

    var fusedLinearForm: (any FloatLinearKernel)? {
        packed.count == 1 && taps == 1 && groupRows == rows && qb_kernels_have_avx2() == 1 ? self : nil
    }

    func linear(input: UnsafePointer<Float>, count: Int, quant: AffineQuant, out: UnsafeMutablePointer<Float>) throws
        -> OpCounts
    {
        let status = packed[0].withUnsafeBufferPointer { wp in
            packedSums[0].withUnsafeBufferPointer { sums in
                bias.withUnsafeBufferPointer { b in
                    m0.withUnsafeBufferPointer { m0p in
                        leftShift.withUnsafeBufferPointer { l in
                            rightShift.withUnsafeBufferPointer { r in
                                var layer = qb_int8_linear(
                                    rows: Int32(rows), depth: Int32(depth), weights: wp.baseAddress,
                                    weight_sums: sums.baseAddress,
                                    in_scale: quant.scale, in_zero: Int32(quant.zeroPoint), in_max: Int32(quant.qmax),
                                    bias: b.baseAddress, m0: m0p.baseAddress, left_shift: l.baseAddress,
                                    right_shift: r.baseAddress,
                                    out_scale: output.scale, out_zero: Int32(output.zeroPoint), out_min: Int32(qmin),
                                    out_max: Int32(qmax))
                                return qb_linear_int8(&layer, input, Int32(count), out)
                            }
                        }
                    }
                }
            }
        }
        if status == 0 { throw KernelFailure(reason: "qb_linear_int8 declined a layer it was given (no AVX2 form)") }
        try KernelFailure.check(status, "qb_linear_int8")
        let macs = Int64(rows) * Int64(count) * Int64(depth)
        return OpCounts(macs: macs, multiplies: macs)
    }

    var depthwiseForm: (any DepthwiseKernel)? { self }

    func depthwise(
        rows r: Range<Int>, codes: UnsafePointer<Int16>, ih: Int, iw: Int, geo: qb_conv_geo, inputScale: Float,
        out: UnsafeMutablePointer<Float>
    ) throws -> OpCounts {
        let cols = Int(geo.oh) * Int(geo.ow), m = r.count
        // A few channels at a time, so their int32 sums are requantized while still in cache.
        let chunk = max(1, min(m, (1 << 15) / max(cols, 1)))
        let acc = UnsafeMutablePointer<Int32>.allocate(capacity: max(chunk * cols, 1))
        defer { acc.deallocate() }
        weights.withUnsafeBufferPointer { w in
            for c0 in stride(from: 0, to: m, by: chunk) {
                let n = min(chunk, m - c0), first = r.lowerBound + c0
                qb_dwconv_i16(
                    codes + c0 * ih * iw, Int32(n), Int32(ih), Int32(iw), geo, w.baseAddress! + first * ld, Int32(ld),
                    acc)
                requantize(rows: first..<(first + n), acc: acc, cols: cols, out: out + c0 * cols, rs: cols, cs: 1)
            }
        }
        let macs = Int64(m) * Int64(cols) * Int64(depth)
        return OpCounts(macs: macs, multiplies: macs)
    }

    /// The plain reference of `compute` for one output element: the same integer arithmetic in Swift.
    func reference(row i: Int, patch: [Int16]) -> Float {
        var acc: Int32 = 0
        for k in 0..<depth { acc &+= Int32(weights[i * ld + k]) * Int32(patch[k]) }
        let v = Int32(clamping: Int64(acc) + Int64(bias[i]))
        let fp = FixedPointMultiplier(m0: m0[i], leftShift: leftShift[i], rightShift: rightShift[i])
        let q = min(max(Int(fp.apply(v)) + output.zeroPoint, qmin), qmax)
        return output.scale * Float(q - output.zeroPoint)
    }
}

extension FixedPointMultiplier {
    init(m0: Int32, leftShift: Int32, rightShift: Int32) {
        self.init(1)
        self.m0 = m0
        self.leftShift = leftShift
        self.rightShift = rightShift
    }
}
