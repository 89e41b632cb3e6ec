import CKernels
import QBEngine

/// The shift kernel: per nonzero weight a sign and a left shift of the input code (int64 sums), plus the
/// per-component sums the recentralized offsets need. On AVX2 and AVX-512 VNNI, where every power fits int16
/// (exponent span <= 14; a plain layer's top level 2^15 is summed apart) and `255 sum |2^e| < 2^31` per row, the three
/// sums are exact int32 dot products
/// (`qb_shift_rows` / `qb_shift_conv`, with a plain twin); elsewhere the index-list form (`qb_shift_gemm`).
/// The counts are the method's: one shift-add per nonzero weight per output position.
struct ShiftKernel: DepthwiseKernel, HWCConvolutionKernel {
    let depth: Int
    let rowStart: [Int32]
    let indices: [Int32]
    let codes: [UInt8]
    let unit: [Float]
    let mu0: [Float]
    let mu1: [Float]
    let bias: [Float]?
    let lo: Float
    let hi: Float
    let packed: Packed?

    struct Packed: Sendable {
        let rows: Int
        let ld: Int
        /// 0 plain, 1 recentralized, 2 plain with a top level 2^15 (qb_shift_pack).
        let mode: Int32
        let weights: [Int8]
        let corrections: [Int32]
        let unit: [Double]
        let mu0: [Double]
        let mu1: [Double]
        let zeroPoint: Int

        /// nil below AVX2, for grouped convolutions, and where the powers or their sums do not fit int16 / int32.
        init?(_ spec: LayerSpec, codes: ShiftCodes, zeroPoint: Int) {
            let span = Int(codes.exponent.max() ?? 0)
            guard qb_kernels_have_avx2() == 1, spec.group == 1, (0...255).contains(zeroPoint),
                span <= (codes.recentralized ? 14 : 15)
            else { return nil }
            let mode: Int32 = codes.recentralized ? 1 : (span == 15 ? 2 : 0)
            var power = [Int32](repeating: 0, count: spec.rows * spec.depth)
            for r in 0..<spec.rows {
                var total = 0
                for k in 0..<spec.depth where codes.nonzero[r * spec.depth + k] {
                    let i = r * spec.depth + k, p = 1 << Int(codes.exponent[i])
                    power[i] = Int32(codes.negative[i] ? -p : p)
                    total += p
                }
                guard 255 * total < Int(Int32.max) else { return nil }
            }
            let component = codes.component.map { $0 == 0 ? UInt8(0) : 1 }
            var wp = [Int8](repeating: 0, count: qb_shift_packed_size(Int32(spec.rows), Int32(spec.depth)))
            var corr = [Int32](repeating: 0, count: (spec.rows + 15) / 16 * 48)
            qb_shift_pack(
                Int32(spec.rows), Int32(spec.depth), Int32(spec.taps), mode, power, component, Int32(zeroPoint), &wp,
                &corr)
            rows = spec.rows
            ld = (spec.depth + 15) / 16 * 16
            self.mode = mode
            weights = wp
            corrections = corr
            // The same float values the index-list form uses, widened.
            unit = [Double](repeating: Double(Float(codes.unit)), count: spec.rows)
            mu0 = [Double](repeating: Double(Float(codes.mu.0)), count: spec.rows)
            mu1 = [Double](repeating: Double(Float(codes.mu.1)), count: spec.rows)
            self.zeroPoint = zeroPoint
        }

        /// Runs `body` with the C description of the packed layer (pointers valid only inside).
        func withLayer<T>(_ body: (inout qb_shift_layer) -> T) -> T {
            weights.withUnsafeBufferPointer { w in
                corrections.withUnsafeBufferPointer { c in
                    unit.withUnsafeBufferPointer { u in
                        mu0.withUnsafeBufferPointer { m0 in
                            mu1.withUnsafeBufferPointer { m1 in
                                var layer = qb_shift_layer(
                                    rows: Int32(rows), mode: mode, weights: w.baseAddress, corr: c.baseAddress,
                                    unit: u.baseAddress,
                                    mu0: m0.baseAddress, mu1: m1.baseAddress)
                                return body(&layer)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Depthwise layers: per channel and tap the int16 power (2^15 apart, in `top`), the component-1 and
    /// nonzero indicators, each run through the vectorized depthwise kernel (exact int32 sums), then combined.
    struct Depthwise: Sendable {
        let taps: Int
        let mode: Int32
        let power: [Int16]
        let top: [Int16]
        let component: [Int16]
        let nonzero: [Int16]
        let unit: [Double]
        let mu0: [Double]
        let mu1: [Double]

        init?(_ spec: LayerSpec, codes: ShiftCodes) {
            let span = Int(codes.exponent.max() ?? 0)
            guard spec.group == spec.rows, spec.depth == spec.taps, span <= (codes.recentralized ? 14 : 15) else {
                return nil
            }
            taps = spec.taps
            mode = codes.recentralized ? 1 : (span == 15 ? 2 : 0)
            var power = [Int16](repeating: 0, count: spec.rows * taps), top = power, component = power, nonzero = power
            for i in 0..<(spec.rows * taps) where codes.nonzero[i] {
                let p = 1 << Int(codes.exponent[i]), sign = codes.negative[i] ? -1 : 1
                if p == 1 << 15 { top[i] = Int16(sign) } else { power[i] = Int16(sign * p) }
                component[i] = codes.component[i] == 0 ? 0 : 1
                nonzero[i] = 1
            }
            self.power = power
            self.top = top
            self.component = component
            self.nonzero = nonzero
            unit = [Double](repeating: Double(Float(codes.unit)), count: spec.rows)
            mu0 = [Double](repeating: Double(Float(codes.mu.0)), count: spec.rows)
            mu1 = [Double](repeating: Double(Float(codes.mu.1)), count: spec.rows)
        }
    }

    let depthwiseTables: Depthwise?

    var depthwiseForm: (any DepthwiseKernel)? { depthwiseTables == nil ? nil : self }

    func depthwise(
        rows r: Range<Int>, codes: UnsafePointer<Int16>, ih: Int, iw: Int, geo: qb_conv_geo, inputScale: Float,
        out: UnsafeMutablePointer<Float>
    ) throws -> OpCounts {
        guard let d = depthwiseTables else { preconditionFailure("not a depthwise layer") }
        let cols = Int(geo.oh) * Int(geo.ow), m = r.count, o = r.lowerBound
        let sums = (0..<3).map { _ in [Int32](repeating: 0, count: max(m * cols, 1)) }
        var s = sums[0], a = sums[1], z = sums[2]
        func pass(_ w: [Int16], into acc: inout [Int32]) {
            w.withUnsafeBufferPointer { wp in
                qb_dwconv_i16(
                    codes, Int32(m), Int32(ih), Int32(iw), geo, wp.baseAddress! + o * d.taps, Int32(d.taps), &acc)
            }
        }
        pass(d.power, into: &s)
        if d.mode == 1 {
            pass(d.component, into: &a)
            pass(d.nonzero, into: &z)
        }
        if d.mode == 2 { pass(d.top, into: &a) }
        d.unit.withUnsafeBufferPointer { u in
            d.mu0.withUnsafeBufferPointer { m0 in
                d.mu1.withUnsafeBufferPointer { m1 in
                    withOptionalPointer(bias) { b in
                        qb_shift_combine(
                            Int32(m), Int32(cols), d.mode, s, a, z, u.baseAddress! + o, m0.baseAddress! + o,
                            m1.baseAddress! + o, inputScale,
                            b.map { $0 + o }, lo, hi, out)
                    }
                }
            }
        }
        return counts(rows: r, cols: cols)
    }

    var layout: PatchLayout { packed.map { .columnMajor(ld: $0.ld) } ?? .kMajor }

    private func counts(rows r: Range<Int>, cols: Int) -> OpCounts {
        OpCounts(
            macs: Int64(r.count) * Int64(cols) * Int64(depth),
            shifts: Int64(rowStart[r.upperBound] - rowStart[r.lowerBound]) * Int64(cols))
    }

    func compute(
        rows r: Range<Int>, patches: UnsafePointer<Int16>, ldp: Int, cols: Int, inputScale: Float,
        out: UnsafeMutablePointer<Float>, rs: Int, cs: Int
    ) throws -> OpCounts {
        if let v = packed {
            precondition(r == 0..<v.rows, "the packed shift kernel computes whole layers")
            var status: Int32 = 0
            withUnitColumnStride(rows: v.rows, cols: cols, out: out, rs: rs, cs: cs) { o, ors, ocs in
                status = v.withLayer { layer in
                    withOptionalPointer(bias) { b in
                        var input = qb_code_columns(
                            patches: patches, stride: ldp, depth: depth, zero: v.zeroPoint, count: cols)
                        var output = qb_float_output(sx: inputScale, bias: b, lo: lo, hi: hi, out: o, rs: ors, cs: ocs)
                        return qb_shift_rows(&layer, &input, &output)
                    }
                }
            }
            try KernelFailure.check(status, "qb_shift_rows")
            return counts(rows: r, cols: cols)
        }
        var shifts: Int64 = 0
        let o = r.lowerBound
        rowStart.withUnsafeBufferPointer { rsp in
            indices.withUnsafeBufferPointer { i in
                codes.withUnsafeBufferPointer { c in
                    unit.withUnsafeBufferPointer { u in
                        mu0.withUnsafeBufferPointer { m0 in
                            mu1.withUnsafeBufferPointer { m1 in
                                withOptionalPointer(bias) { b in
                                    qb_shift_gemm(
                                        Int32(r.count), Int32(cols), rsp.baseAddress! + o, i.baseAddress!,
                                        c.baseAddress!, u.baseAddress! + o,
                                        m0.baseAddress! + o, m1.baseAddress! + o, patches, ldp, inputScale,
                                        b.map { $0 + o },
                                        lo, hi, out, rs, cs, &shifts)
                                }
                            }
                        }
                    }
                }
            }
        }
        return OpCounts(macs: Int64(r.count) * Int64(cols) * Int64(depth), shifts: shifts)
    }

    var hwcConvolutionForm: (any HWCConvolutionKernel)? { packed == nil ? nil : self }
    var hwcZeroPoint: Int { packed?.zeroPoint ?? 0 }

    func convolve(
        group: Int, hwc: UnsafePointer<UInt8>, channels: Int, ih: Int, iw: Int, geo: qb_conv_geo, first: Int, cols: Int,
        inputScale: Float, out: UnsafeMutablePointer<Float>, rs: Int
    ) throws -> OpCounts {
        guard let v = packed, group == 0 else {
            preconditionFailure("the packed shift kernel computes ungrouped convolutions")
        }
        let status = v.withLayer { layer in
            withOptionalPointer(bias) { b in
                var input = qb_hwc_input(
                    hwc: hwc, channels: channels, ih: ih, iw: iw, geo: geo, zero: v.zeroPoint, first: first, count: cols
                )
                var output = qb_float_output(sx: inputScale, bias: b, lo: lo, hi: hi, out: out, rs: rs, cs: 1)
                return qb_shift_conv(&layer, &input, &output)
            }
        }
        try KernelFailure.check(status, "qb_shift_conv")
        return counts(rows: 0..<v.rows, cols: cols)
    }

}

extension ShiftKernel: FloatLinearKernel {
    var fusedLinearForm: (any FloatLinearKernel)? { packed == nil ? nil : self }

    func linear(input: UnsafePointer<Float>, count: Int, quant: AffineQuant, out: UnsafeMutablePointer<Float>) throws
        -> OpCounts
    {
        guard let v = packed else { throw KernelFailure(reason: "qb_shift_floats: the layer has no packed form") }
        try packedLinear(
            "qb_shift_floats", input: input, count: count, depth: depth, quant: quant, packedZero: v.zeroPoint,
            rows: v.rows, bias: bias,
            lo: lo, hi: hi, out: out
        ) { x, output in v.withLayer { qb_shift_floats(&$0, &x, &output) } }
        return counts(rows: 0..<v.rows, cols: count)
    }
}
