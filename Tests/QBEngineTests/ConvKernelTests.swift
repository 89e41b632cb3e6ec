import CKernels
import QBTensor
import QBTestSupport
import Testing

/// The direct convolution and depthwise kernels (qb_conv_direct.c) against their plain twins: im2col + SGEMM
/// (the same bits by construction) and a scalar depthwise loop, on odd geometries, at every ISA level.
@Suite("Direct and depthwise FP32 convolution kernels")
struct ConvKernelTests {
    /// channels, ih, iw, M, kh, kw, stride h/w, dilation h/w, pads top/left/bottom/right.
    struct Case: CustomStringConvertible, Sendable {
        let c, ih, iw, m, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr: Int
        var oh: Int { (ih + pt + pb - dh * (kh - 1) - 1) / sh + 1 }
        var ow: Int { (iw + pl + pr - dw * (kw - 1) - 1) / sw + 1 }
        var geo: qb_conv_geo {
            qb_conv_geo(
                kh: Int32(kh), kw: Int32(kw), sh: Int32(sh), sw: Int32(sw), dh: Int32(dh), dw: Int32(dw),
                pt: Int32(pt), pl: Int32(pl), oh: Int32(oh), ow: Int32(ow))
        }
        var description: String {
            "C\(c) \(ih)x\(iw) M\(m) k\(kh)x\(kw) s\(sh),\(sw) d\(dh),\(dw) p\(pt),\(pl),\(pb),\(pr)"
        }
    }

    static let cases: [Case] = [
        Case(c: 1, ih: 28, iw: 28, m: 16, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pt: 1, pl: 1, pb: 1, pr: 1),
        Case(c: 16, ih: 28, iw: 28, m: 32, kh: 3, kw: 3, sh: 2, sw: 2, dh: 1, dw: 1, pt: 1, pl: 1, pb: 1, pr: 1),
        Case(c: 5, ih: 9, iw: 11, m: 7, kh: 3, kw: 2, sh: 3, sw: 2, dh: 2, dw: 3, pt: 2, pl: 0, pb: 1, pr: 3),
        Case(c: 3, ih: 7, iw: 7, m: 13, kh: 1, kw: 1, sh: 1, sw: 1, dh: 1, dw: 1, pt: 0, pl: 0, pb: 0, pr: 0),
        Case(c: 24, ih: 8, iw: 8, m: 6, kh: 1, kw: 1, sh: 1, sw: 1, dh: 1, dw: 1, pt: 0, pl: 0, pb: 0, pr: 0),
        Case(c: 16, ih: 14, iw: 14, m: 5, kh: 1, kw: 1, sh: 2, sw: 2, dh: 1, dw: 1, pt: 0, pl: 0, pb: 0, pr: 0),
        Case(c: 70, ih: 5, iw: 6, m: 9, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pt: 1, pl: 1, pb: 1, pr: 1),
        Case(c: 4, ih: 1, iw: 37, m: 11, kh: 1, kw: 5, sh: 1, sw: 2, dh: 1, dw: 1, pt: 0, pl: 2, pb: 0, pr: 1),
        Case(c: 2, ih: 3, iw: 3, m: 1, kh: 5, kw: 5, sh: 1, sw: 1, dh: 1, dw: 1, pt: 2, pl: 2, pb: 2, pr: 2),
        Case(c: 3, ih: 10, iw: 12, m: 8, kh: 2, kw: 4, sh: 1, sw: 1, dh: 1, dw: 1, pt: 0, pl: 0, pb: 0, pr: 0),
    ]

    static func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

    /// The twin: im2col then SGEMM with bias and clamp (the engine's former path).
    static func twin(_ t: Case, x: [Float], w: [Float], bias: [Float]?, lo: Float, hi: Float) -> [Float] {
        let depth = t.c * t.kh * t.kw, ohw = t.oh * t.ow
        var col = [Float](repeating: .nan, count: depth * ohw)
        qb_im2col(x, Int32(t.c), Int32(t.ih), Int32(t.iw), t.geo, &col)
        var out = [Float](repeating: .nan, count: t.m * ohw)
        let status = qb_sgemm(
            Int32(t.m), Int32(ohw), Int32(depth), w, depth, 1, col, ohw, 1, &out, ohw, bias,
            1, lo, hi, 0)
        #expect(status == 0)
        return out
    }

    /// The direct kernel, its blocks computed in `parts` calls.
    static func direct(
        _ t: Case, x: [Float], w: [Float], bias: [Float]?, lo: Float, hi: Float,
        parts: Int
    ) -> [Float] {
        var out = [Float](repeating: .nan, count: t.m * t.oh * t.ow)
        let blocks = Int(qb_conv_direct_blocks(t.geo)), per = (blocks + parts - 1) / parts
        for part in 0..<parts where part * per < blocks {
            let status = qb_conv_direct(
                x, Int32(t.c), Int32(t.ih), Int32(t.iw), w, Int32(t.m), bias, t.geo, lo, hi,
                &out, Int32(part * per), Int32(min(per, blocks - part * per)))
            #expect(status == 0)
        }
        return out
    }

    @Test(
        "direct convolution has im2col + SGEMM's bits on odd geometries, in any block split",
        arguments: KernelISA.available)
    func directEqualsTwin(isa: KernelISA) {
        for (index, t) in Self.cases.enumerated() {
            let x = randomFloats(t.c * t.ih * t.iw, seed: UInt64(index) * 7 + 1)
            let w = randomFloats(t.m * t.c * t.kh * t.kw, seed: UInt64(index) * 7 + 2)
            let bias = index % 2 == 0 ? randomFloats(t.m, seed: UInt64(index)) : nil
            let (lo, hi): (Float, Float) = index % 3 == 0 ? (0, .infinity) : (-.infinity, .infinity)
            let expected = KernelISA.capped(at: isa) { Self.twin(t, x: x, w: w, bias: bias, lo: lo, hi: hi) }
            for parts in [1, 3] {
                let got = KernelISA.capped(at: isa) {
                    Self.direct(t, x: x, w: w, bias: bias, lo: lo, hi: hi, parts: parts)
                }
                #expect(!got.contains { $0.isNaN }, "\(t) at \(isa): an output left unwritten")
                #expect(Self.bits(got) == Self.bits(expected), "\(t) at \(isa), \(parts) parts")
            }
        }
    }

    /// The scalar twin of qb_depthwise: a rounded product then a rounded add per tap inside the image.
    static func depthwiseTwin(_ t: Case, x: [Float], w: [Float], bias: [Float]?, lo: Float, hi: Float) -> [Float] {
        var out = [Float](repeating: .nan, count: t.c * t.oh * t.ow)
        for ch in 0..<t.c {
            for oy in 0..<t.oh {
                for ox in 0..<t.ow {
                    var acc: Float = 0
                    for ki in 0..<t.kh {
                        for kj in 0..<t.kw {
                            let y = oy * t.sh - t.pt + ki * t.dh, xx = ox * t.sw - t.pl + kj * t.dw
                            guard y >= 0, y < t.ih, xx >= 0, xx < t.iw else { continue }
                            let product = w[(ch * t.kh + ki) * t.kw + kj] * x[(ch * t.ih + y) * t.iw + xx]
                            acc = acc + product
                        }
                    }
                    let v = acc + (bias?[ch] ?? 0)
                    out[(ch * t.oh + oy) * t.ow + ox] = min(max(v, lo), hi)
                }
            }
        }
        return out
    }

    @Test("depthwise convolution equals the scalar twin bit for bit", arguments: KernelISA.available)
    func depthwiseEqualsTwin(isa: KernelISA) {
        for (index, t) in Self.cases.enumerated() {
            let x = randomFloats(t.c * t.ih * t.iw, seed: UInt64(index) * 5 + 3)
            let w = randomFloats(t.c * t.kh * t.kw, seed: UInt64(index) * 5 + 4)
            let bias = index % 2 == 1 ? randomFloats(t.c, seed: UInt64(index) + 50) : nil
            let (lo, hi): (Float, Float) = index % 3 == 1 ? (0, 6) : (-.infinity, .infinity)
            let expected = Self.depthwiseTwin(t, x: x, w: w, bias: bias, lo: lo, hi: hi)
            var got = [Float](repeating: .nan, count: t.c * t.oh * t.ow)
            // Two calls, planes [0, c/2) and [c/2, c), as the engine splits them over threads.
            let half = Int32(t.c / 2)
            let status = KernelISA.capped(at: isa) {
                (
                    qb_depthwise(x, Int32(t.c), 0, half, Int32(t.ih), Int32(t.iw), w, bias, t.geo, lo, hi, &got),
                    qb_depthwise(
                        x, Int32(t.c), half, Int32(t.c) - half, Int32(t.ih), Int32(t.iw), w, bias, t.geo, lo, hi,
                        &got)
                )
            }
            #expect(status.0 == 0 && status.1 == 0)
            #expect(!got.contains { $0.isNaN }, "\(t) at \(isa): an output left unwritten")
            #expect(Self.bits(got) == Self.bits(expected), "\(t) at \(isa)")
        }
    }
}
