import CKernels
import Foundation
@testable import QBEngine
@testable import QBQuant
import QBTensor
import QBTestSupport
import Testing

/// Reference-against-optimized tests of the integer kernels on odd sizes (in the style of ggml's
/// test-quantize-fns), at every ISA level this machine has (`KernelISA.capped`, a per-thread cap: suites running
/// in parallel do not change each other's paths). A test of a path the CPU lacks is skipped, never failed.
@Suite("Integer kernels against their plain references", .serialized)
struct KernelTests {
    static let sizes = [1, 2, 3, 5, 7, 8, 15, 16, 17, 31, 33, 63, 127, 129]

    /// Deterministic integers in [lo, hi].
    static func ints(_ n: Int, seed: UInt64, lo: Int, hi: Int) -> [Int16] {
        randomFloats(n, seed: seed).map {
            Int16(lo + Int((($0 + 1) / 2 * Float(hi - lo + 1)).rounded(.down)).clamped(0, hi - lo))
        }
    }

    @Test(
        "int8 GEMM (int16-widened, vpmaddwd) equals the int32 reference, extremes included",
        arguments: KernelISA.available)
    func igemm(isa: KernelISA) {
        let previous = qb_isa_set_thread_cap(isa.rawValue)
        defer { _ = qb_isa_set_thread_cap(previous) }
        for (i, m) in Self.sizes.enumerated() {
            let n = Self.sizes[(i * 5 + 3) % Self.sizes.count], k = Self.sizes[(i * 7 + 1) % Self.sizes.count]
            let ld = (k + 15) / 16 * 16
            var w = [Int16](repeating: 0, count: m * ld), p = [Int16](repeating: 0, count: n * ld)
            let wv = Self.ints(m * k, seed: UInt64(m), lo: -127, hi: 127),
                pv = Self.ints(n * k, seed: UInt64(n + 100), lo: -255, hi: 255)
            for r in 0..<m { for c in 0..<k { w[r * ld + c] = r == 0 ? -127 : wv[r * k + c] } }
            for j in 0..<n { for c in 0..<k { p[j * ld + c] = j == 0 ? -255 : pv[j * k + c] } }
            var acc = [Int32](repeating: 0, count: m * n)
            qb_igemm_i16(Int32(m), Int32(n), Int32(ld), w, p, &acc)
            for r in 0..<m {
                for j in 0..<n {
                    var s: Int32 = 0
                    for c in 0..<k { s += Int32(w[r * ld + c]) * Int32(p[j * ld + c]) }
                    #expect(acc[r * n + j] == s, "m=\(m) n=\(n) k=\(k) at (\(r), \(j))")
                }
            }
        }
    }

    @Test(
        """
        the packed int8 GEMM (VNNI u8 x s8, or AVX2 on the same bytes, with the zero-point correction) equals the \
        int16 kernel on odd sizes and extremes
        """,
        arguments: KernelISA.available.filter { $0 >= .avx2 })
    func packedEqualsInt16(isa: KernelISA) throws {
        let previous = qb_isa_set_thread_cap(isa.rawValue)
        defer { _ = qb_isa_set_thread_cap(previous) }
        for (m, n, k, zp) in [
            (1, 1, 1, 0), (3, 5, 7, 255), (4, 4, 64, 128), (5, 9, 65, 37), (17, 33, 129, 200), (8, 300, 576, 3),
            (64, 7, 1000, 91),
            (33, 13, 48, 5), (32, 24, 16, 250), (47, 251, 100, 77),
        ] {
            let ld = (k + 15) / 16 * 16
            var w = [Int16](repeating: 0, count: m * ld), p = [Int16](repeating: 0, count: n * ld)
            let wv = Self.ints(m * k, seed: UInt64(m + 7), lo: -127, hi: 127)
            // Centered codes q - zp with q in [0, 255]; the extremes q = 0 and q = 255 against w = -127 and 127.
            let qv = Self.ints(n * k, seed: UInt64(n + 9), lo: 0, hi: 255)
            for r in 0..<m { for c in 0..<k { w[r * ld + c] = r == 0 ? -127 : (r == 1 ? 127 : wv[r * k + c]) } }
            for j in 0..<n {
                for c in 0..<k { p[j * ld + c] = (j == 0 ? 255 : (j == 1 ? 0 : qv[j * k + c])) - Int16(zp) }
            }
            var a = [Int32](repeating: 0, count: m * n), b = [Int32](repeating: 1, count: m * n)
            qb_igemm_i16(Int32(m), Int32(n), Int32(ld), w, p, &a)
            var wp = [Int8](repeating: 0, count: qb_vnni_packed_size(Int32(m), Int32(k))),
                sums = [Int32](repeating: 0, count: m)
            qb_vnni_pack(Int32(m), Int32(k), 1, w, Int32(ld), &wp, &sums)
            #expect(qb_igemm_vnni(Int32(m), Int32(n), Int32(k), wp, sums, p, ld, Int32(zp), &b) == 1)
            #expect(a == b, "m=\(m) n=\(n) k=\(k) zp=\(zp)")
        }
        // Capped below AVX2, the packed entry declines and computes nothing.
        var c = [Int32](repeating: 5, count: 1)
        _ = qb_isa_set_thread_cap(KernelISA.portable.rawValue)
        #expect(
            qb_igemm_vnni(
                1, 1, 16, [Int8](repeating: 1, count: 64 * 32), [16], [Int16](repeating: 0, count: 16), 16, 0, &c) == 0
                && c == [5])
    }

    @Test(
        """
        the HWC convolution (tap-major patches built block by block; VNNI and its portable twin) equals im2row + the \
        int16 kernel, on odd geometries and column ranges
        """,
        arguments: KernelISA.available)
    func hwcConvolution(isa: KernelISA) throws {
        let previous = qb_isa_set_thread_cap(isa.rawValue)
        defer { _ = qb_isa_set_thread_cap(previous) }
        // (rows, channels, h, w, kernel h, kernel w, stride, pad, dilation, zero point)
        for (m, c, h, w, kh, kw, s, p, d, zp) in [
            (1, 1, 5, 7, 3, 3, 1, 1, 1, 0), (16, 1, 28, 28, 3, 3, 1, 1, 1, 128), (3, 5, 9, 6, 3, 3, 2, 1, 1, 255),
            (17, 3, 8, 8, 2, 3, 3, 1, 2, 37), (33, 16, 7, 7, 3, 3, 1, 1, 1, 200), (20, 7, 6, 11, 1, 1, 1, 0, 1, 91),
            (40, 9, 10, 10, 5, 5, 2, 2, 1, 3), (8, 24, 4, 4, 3, 3, 2, 0, 1, 250), (16, 40, 9, 7, 1, 1, 2, 0, 1, 128),
            // Pointwise, stride 1, channels a multiple of 4: the HWC codes are read in place.
            (24, 16, 5, 9, 1, 1, 1, 0, 1, 77), (5, 8, 3, 3, 1, 1, 1, 0, 1, 255),
        ] {
            let oh = (h + 2 * p - (kh - 1) * d - 1) / s + 1, ow = (w + 2 * p - (kw - 1) * d - 1) / s + 1
            let geo = qb_conv_geo(
                kh: Int32(kh), kw: Int32(kw), sh: Int32(s), sw: Int32(s), dh: Int32(d), dw: Int32(d), pt: Int32(p),
                pl: Int32(p),
                oh: Int32(oh), ow: Int32(ow))
            let taps = kh * kw, k = c * taps, ld = (k + 15) / 16 * 16, cols = oh * ow
            // Centered codes of unsigned codes in [0, 255], extremes included.
            let x = Self.ints(c * h * w, seed: UInt64(c * h + 5), lo: 0, hi: 255).enumerated().map { i, v in
                (i % 13 == 0 ? 255 : (i % 17 == 0 ? 0 : v)) - Int16(zp)
            }
            var wts = [Int16](repeating: 0, count: m * ld)
            let wv = Self.ints(m * k, seed: UInt64(m + 3), lo: -127, hi: 127)
            for r in 0..<m { for q in 0..<k { wts[r * ld + q] = r == 0 ? 127 : wv[r * k + q] } }
            var rows = [Int16](repeating: 0, count: cols * ld), want = [Int32](repeating: 0, count: m * cols)
            qb_im2row_i16(x, Int32(c), Int32(h), Int32(w), geo, &rows, ld)
            qb_igemm_i16(Int32(m), Int32(cols), Int32(ld), wts, rows, &want)
            var wp = [Int8](repeating: 0, count: qb_vnni_packed_size(Int32(m), Int32(k))),
                sums = [Int32](repeating: 0, count: m)
            qb_vnni_pack(Int32(m), Int32(k), Int32(taps), wts, Int32(ld), &wp, &sums)
            var hwc = [UInt8](repeating: 0, count: c * h * w)
            qb_hwc_u8(x, Int32(c), Int32(h * w), Int32(zp), &hwc)
            #expect(
                hwc == (0..<(c * h * w)).map { i in UInt8(Int(x[(i % c) * h * w + i / c]) + zp) },
                "HWC codes, \(c) channels \(h)x\(w)")
            // The whole range, and a range starting mid-row (as a thread's share does).
            for (first, n) in [(0, cols), (cols / 3, cols - cols / 3)] {
                var got = [Int32](repeating: 7, count: m * n)
                let status = hwc.withUnsafeBufferPointer { x in
                    var input = qb_hwc_input(
                        codes: x.baseAddress, channels: Int32(c), ih: Int32(h), iw: Int32(w), geo: geo, zero: Int32(zp),
                        first: Int32(first), count: Int32(n))
                    return qb_conv_u8(Int32(m), wp, sums, &input, &got)
                }
                #expect(status == (isa >= .avx2 ? 1 : 0))
                var expected = [Int32]()
                for r in 0..<m { expected += want[(r * cols + first)..<(r * cols + first + n)] }
                #expect(
                    got == expected,
                    "m=\(m) c=\(c) \(h)x\(w) k=\(kh)x\(kw) s=\(s) p=\(p) d=\(d) zp=\(zp) first=\(first)")
            }
        }
    }

    @Test(
        """
        the direct depthwise int8 convolution (AVX-512 and portable) equals the im2row path channel by channel, on \
        odd geometries
        """,
        arguments: KernelISA.available)
    func depthwise(isa: KernelISA) {
        let previous = qb_isa_set_thread_cap(isa.rawValue)
        defer { _ = qb_isa_set_thread_cap(previous) }
        for (c, h, w, k, s, p, d) in [
            (1, 5, 7, 3, 1, 1, 1), (3, 9, 6, 3, 2, 1, 1), (2, 8, 8, 2, 3, 1, 2), (5, 4, 11, 1, 1, 0, 1),
            (4, 7, 7, 5, 2, 2, 1),
            (3, 28, 28, 3, 1, 1, 1), (2, 29, 37, 3, 2, 1, 1), (2, 14, 40, 3, 1, 2, 2), (1, 3, 3, 3, 2, 0, 1),
        ] {
            let oh = (h + 2 * p - (k - 1) * d - 1) / s + 1, ow = (w + 2 * p - (k - 1) * d - 1) / s + 1
            let geo = qb_conv_geo(
                kh: Int32(k), kw: Int32(k), sh: Int32(s), sw: Int32(s), dh: Int32(d), dw: Int32(d), pt: Int32(p),
                pl: Int32(p),
                oh: Int32(oh), ow: Int32(ow))
            let x = Self.ints(c * h * w, seed: UInt64(c * h + 3), lo: -255, hi: 255)
            let taps = k * k, ld = (taps + 15) / 16 * 16, cols = oh * ow
            var wts = [Int16](repeating: 0, count: c * ld)
            let wv = Self.ints(c * taps, seed: UInt64(c + 11), lo: -127, hi: 127)
            for ch in 0..<c { for t in 0..<taps { wts[ch * ld + t] = wv[ch * taps + t] } }
            var direct = [Int32](repeating: 7, count: c * cols)
            qb_dwconv_i16(x, Int32(c), Int32(h), Int32(w), geo, wts, Int32(ld), &direct)
            for ch in 0..<c {
                var rows = [Int16](repeating: 1, count: cols * ld)
                Array(x[(ch * h * w)..<((ch + 1) * h * w)]).withUnsafeBufferPointer { xp in
                    qb_im2row_i16(xp.baseAddress!, 1, Int32(h), Int32(w), geo, &rows, ld)
                }
                var viaRows = [Int32](repeating: 0, count: cols)
                qb_igemm_i16(1, Int32(cols), Int32(ld), Array(wts[(ch * ld)..<((ch + 1) * ld)]), rows, &viaRows)
                #expect(
                    Array(direct[(ch * cols)..<((ch + 1) * cols)]) == viaRows,
                    "c=\(c) h=\(h) w=\(w) k=\(k) s=\(s) p=\(p) d=\(d) channel \(ch)")
            }
        }
    }

    @Test(
        """
        the depthwise ternary convolution: every level gives its plain twin's bits, within float rounding of a \
        Double evaluation
        """,
        arguments: KernelISA.available)
    func depthwiseTernary(isa: KernelISA) {
        for (c, h, w, k, s, p, d) in [
            (1, 5, 7, 3, 1, 1, 1), (3, 9, 6, 3, 2, 1, 1), (2, 8, 8, 2, 3, 1, 2), (4, 7, 7, 5, 2, 2, 1),
            (3, 28, 28, 3, 1, 1, 1),
            (2, 29, 37, 3, 2, 1, 1),
        ] {
            let oh = (h + 2 * p - (k - 1) * d - 1) / s + 1, ow = (w + 2 * p - (k - 1) * d - 1) / s + 1
            let geo = qb_conv_geo(
                kh: Int32(k), kw: Int32(k), sh: Int32(s), sw: Int32(s), dh: Int32(d), dw: Int32(d), pt: Int32(p),
                pl: Int32(p),
                oh: Int32(oh), ow: Int32(ow))
            let x = Self.ints(c * h * w, seed: UInt64(c * h + 7), lo: -128, hi: 127), taps = k * k, cols = oh * ow
            let wts = Self.ints(c * taps, seed: UInt64(c + 13), lo: -1, hi: 1).enumerated().map {
                Float($0.element) * Float(0.03 + 0.01 * Double($0.offset % 5))
            }
            let bias = (0..<c).map { Float($0) * 0.1 - 0.05 }
            var fast = [Float](repeating: .nan, count: c * cols), plain = fast
            KernelISA.capped(at: isa) {
                qb_dwternary_i16(x, Int32(c), Int32(h), Int32(w), geo, wts, 0.02, bias, 0, .infinity, &fast)
            }
            KernelISA.capped(at: .portable) {
                qb_dwternary_i16(x, Int32(c), Int32(h), Int32(w), geo, wts, 0.02, bias, 0, .infinity, &plain)
            }
            #expect(fast.map(\.bitPattern) == plain.map(\.bitPattern), "c=\(c) \(h)x\(w) k=\(k) s=\(s) p=\(p) d=\(d)")
            var worst = 0.0
            for ch in 0..<c {
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        var v = 0.0
                        for i in 0..<k {
                            for j in 0..<k {
                                let y = oy * s - p + i * d, xx = ox * s - p + j * d
                                if y >= 0 && y < h && xx >= 0 && xx < w {
                                    v += Double(wts[ch * taps + i * k + j]) * Double(x[ch * h * w + y * w + xx])
                                }
                            }
                        }
                        let want = max(0, 0.02 * v + Double(bias[ch]))
                        worst = Tolerance.worse(
                            worst, abs(Double(fast[ch * cols + oy * ow + ox]) - want) / max(1, abs(want)))
                    }
                }
            }
            #expect(worst < 1e-5, "c=\(c) \(h)x\(w) k=\(k): \(worst)")
        }
    }

    @Test(
        """
        the packed shift kernel (VNNI, AVX2) in its three modes (plain, recentralized, plain with a 2^15 level): its \
        twin's bits, and the exact sums
        """,
        arguments: [0, 1, 2], KernelISA.available)
    func shiftModes(mode: Int32, isa: KernelISA) throws {
        for (m, k, n, zp) in [(1, 1, 1, 0), (5, 9, 7, 128), (17, 33, 30, 255), (40, 144, 13, 3), (16, 64, 241, 77)] {
            let e = Self.ints(m * k, seed: UInt64(m * 31 + k), lo: -1, hi: mode == 2 ? 15 : 14)  // -1: a zero weight
            let sign = Self.ints(m * k, seed: UInt64(k + 5), lo: 0, hi: 1)
            let comp = Self.ints(m * k, seed: UInt64(m + 9), lo: 0, hi: 1).map { UInt8($0) }
            let power: [Int32] = (0..<(m * k)).map { i in
                e[i] < 0 ? 0 : (sign[i] == 1 ? -1 : 1) * (Int32(1) << Int32(e[i]))
            }
            let ld = (k + 15) / 16 * 16
            var p = [Int16](repeating: 0, count: n * ld)
            let q = Self.ints(n * k, seed: UInt64(n + 2), lo: 0, hi: 255)
            for j in 0..<n { for c in 0..<k { p[j * ld + c] = q[j * k + c] - Int16(zp) } }
            var wp = [Int8](repeating: 0, count: qb_shift_packed_size(Int32(m), Int32(k))),
                corr = [Int32](repeating: 0, count: (m + 15) / 16 * 48)
            qb_shift_pack(Int32(m), Int32(k), 1, mode, power, comp, Int32(zp), &wp, &corr)
            let unit = [Double](repeating: 0.001, count: m), mu0 = [Double](repeating: mode == 1 ? -0.02 : 0, count: m)
            let mu1 = [Double](repeating: mode == 1 ? 0.03 : 0, count: m), bias = (0..<m).map { Float($0) * 0.1 }
            var fast = [Float](repeating: .nan, count: m * n), plain = fast
            // The packed layer and its input columns, computed into `out` (n columns of m rows).
            func shiftRows(_ out: inout [Float]) -> Int32 {
                wp.withUnsafeBufferPointer { w in
                    corr.withUnsafeBufferPointer { c in
                        unit.withUnsafeBufferPointer { u in
                            mu0.withUnsafeBufferPointer { m0 in
                                mu1.withUnsafeBufferPointer { m1 in
                                    p.withUnsafeBufferPointer { x in
                                        bias.withUnsafeBufferPointer { b in
                                            out.withUnsafeMutableBufferPointer { o in
                                                var layer = qb_shift_layer(
                                                    rows: Int32(m), mode: mode, weights: w.baseAddress,
                                                    corr: c.baseAddress, unit: u.baseAddress,
                                                    mu0: m0.baseAddress, mu1: m1.baseAddress)
                                                var input = qb_code_columns(
                                                    codes: x.baseAddress, stride: ld, depth: Int32(k), zero: Int32(zp),
                                                    count: Int32(n))
                                                var output = qb_float_output(
                                                    sx: 0.5, bias: b.baseAddress, lo: -.infinity, hi: .infinity,
                                                    out: o.baseAddress, rs: n, cs: 1)
                                                return qb_shift_rows(&layer, &input, &output)
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            let ran = KernelISA.capped(at: isa) { shiftRows(&fast) }
            #expect(ran == (isa >= .avx2 ? 1 : 0), "the path that ran at \(isa)")
            _ = KernelISA.capped(at: .portable) { shiftRows(&plain) }
            #expect(fast.map(\.bitPattern) == plain.map(\.bitPattern), "mode \(mode) m=\(m) k=\(k) n=\(n)")
            for i in 0..<m {
                for j in 0..<n {
                    var sv = 0.0, c0 = 0.0, c1 = 0.0
                    for c in 0..<k where power[i * k + c] != 0 {
                        let x = Double(p[j * ld + c])
                        sv += Double(power[i * k + c]) * x
                        if comp[i * k + c] == 1 { c1 += x } else { c0 += x }
                    }
                    let want = 0.5 * (0.001 * sv + mu0[i] * c0 + mu1[i] * c1) + Double(bias[i])
                    #expect(
                        abs(Double(fast[i * n + j]) - want) <= 1e-5 * max(1, abs(want)),
                        "mode \(mode) (\(i), \(j)): \(fast[i * n + j]) vs \(want)")
                }
            }
        }
    }

    @Test(
        "input quantization in C equals the Swift formula; im2row equals im2col transposed, on odd geometries",
        arguments: KernelISA.available)
    func quantizeAndIm2row(isa: KernelISA) {
        let previous = qb_isa_set_thread_cap(isa.rawValue)
        defer { _ = qb_isa_set_thread_cap(previous) }
        let q = AffineQuant(scale: 0.25, zeroPoint: 37, bits: 8)
        let xs: [Float] =
            randomFloats(301, seed: 5).map { $0 * 100 } + [
                0.125, -0.125, 0.375, -9.125, 1e30, -1e30, .infinity, -.infinity, .nan, 0, -0,
            ]
        #expect(q.centered(xs) == xs.map { Int16(q.centered($0)) })
        // The edge values inside the vector loop too (16 at a time), halves and their neighbours included.
        let edges: [Float] = [
            0.125, -0.125, 0.375, -0.375, 0.12499999, 0.12500001, -9.125, 1e30, -1e30, .infinity, -.infinity, .nan, 0,
            -0, 63.875, -64.125,
        ]
        let mixed = edges + xs + edges
        #expect(q.centered(mixed) == mixed.map { Int16(q.centered($0)) })
        for (c, h, w, k, s, p, d) in [
            (1, 5, 7, 3, 1, 1, 1), (3, 9, 6, 3, 2, 0, 1), (2, 8, 8, 2, 3, 1, 2), (5, 4, 11, 1, 1, 0, 1),
        ] {
            let oh = (h + 2 * p - (k - 1) * d - 1) / s + 1, ow = (w + 2 * p - (k - 1) * d - 1) / s + 1
            let geo = qb_conv_geo(
                kh: Int32(k), kw: Int32(k), sh: Int32(s), sw: Int32(s), dh: Int32(d), dw: Int32(d), pt: Int32(p),
                pl: Int32(p),
                oh: Int32(oh), ow: Int32(ow))
            let x = Self.ints(c * h * w, seed: UInt64(c * h), lo: -255, hi: 255)
            let depth = c * k * k, cols = oh * ow, ld = (depth + 15) / 16 * 16
            var col = [Int16](repeating: 0, count: depth * cols), viaTranspose = [Int16](repeating: 1, count: cols * ld)
            var row = [Int16](repeating: 1, count: cols * ld)
            qb_im2col_i16(x, Int32(c), Int32(h), Int32(w), geo, &col, cols)
            qb_transpose_i16(Int32(depth), Int32(cols), col, cols, &viaTranspose, ld)
            qb_im2row_i16(x, Int32(c), Int32(h), Int32(w), geo, &row, ld)
            #expect(row == viaTranspose, "c \(c) \(h)x\(w) k \(k) s \(s) p \(p) d \(d)")
        }
    }

    @Test(
        "the vectorized requantization equals the Swift formula on extreme sums, biases, multipliers and shifts",
        arguments: KernelISA.available)
    func requantizeExtremes(isa: KernelISA) {
        let previous = qb_isa_set_thread_cap(isa.rawValue)
        defer { _ = qb_isa_set_thread_cap(previous) }
        let extremes: [Int32] = [
            0, 1, -1, .max, .min, .max - 1, .min + 1, 1 << 30, -(1 << 30), 8_290_000, -8_290_000, 12345, -12345, 127,
            -128,
        ]
        // 94: vector and tail
        let acc = extremes + Self.ints(64, seed: 99, lo: -32000, hi: 32000).map { Int32($0) * 4099 } + extremes
        let mults: [FixedPointMultiplier] =
            [0.0000123, 0.00049, 0.0031, 0.25, 0.5, 0.9999, 1.0, 1.7, 37.5, 4000.25].map { FixedPointMultiplier($0) }
            + [
                FixedPointMultiplier(m0: .max, leftShift: 0, rightShift: 31),
                FixedPointMultiplier(m0: 1 << 30, leftShift: 31, rightShift: 0),
                FixedPointMultiplier(m0: -(1 << 30), leftShift: 3, rightShift: 5),
                FixedPointMultiplier(m0: 1, leftShift: 0, rightShift: 1),
            ]
        for bias: Int32 in [0, 7, -7, .max, .min, 1 << 29] {
            for (zy, qmin, qmax) in [(0, 0, 255), (128, 0, 255), (17, 17, 200), (3, 0, 6)] {
                let m = mults.count, n = acc.count
                var out = [Float](repeating: .nan, count: m * n)
                let rows = [Int32](repeating: 0, count: m).indices.flatMap { _ in acc }
                qb_requantize(
                    Int32(m), Int32(n), rows, [Int32](repeating: bias, count: m), mults.map(\.m0),
                    mults.map(\.leftShift), mults.map(\.rightShift),
                    Int32(zy), Int32(qmin), Int32(qmax), 0.37, &out, n, 1)
                for (i, f) in mults.enumerated() {
                    for (j, a) in acc.enumerated() {
                        let v = Int32(clamping: Int64(a) + Int64(bias))
                        let q = min(max(Int(f.apply(v)) + zy, qmin), qmax)
                        #expect(
                            out[i * n + j] == 0.37 * Float(q - zy),
                            "acc \(a) bias \(bias) m0 \(f.m0) << \(f.leftShift) >> \(f.rightShift) zy \(zy)")
                    }
                }
            }
        }
    }

    @Test("gemmlowp primitives: C equals Swift, edge cases included")
    func fixedPoint() {
        let values: [Int32] = [
            0, 1, -1, 2, -2, 3, -3, 1 << 30, -(1 << 30), .max, .min, 12345678, -12345678, 0x40000000, 1 << 20,
            -(1 << 20) - 1,
        ]
        for a in values {
            for b in values {
                #expect(qb_srdhm(a, b) == FixedPointMultiplier.saturatingRoundingDoublingHighMul(a, b))
            }
            for e in 0...31 {
                #expect(qb_rdbypot(a, Int32(e)) == FixedPointMultiplier.roundingDivideByPOT(a, e))
            }
        }
        // Round half away from zero: 5/2 -> 3, -5/2 -> -3, 3/2 -> 2, -3/2 -> -2, 7/4 -> 2.
        #expect(FixedPointMultiplier.roundingDivideByPOT(5, 1) == 3)
        #expect(FixedPointMultiplier.roundingDivideByPOT(-5, 1) == -3)
        #expect(FixedPointMultiplier.roundingDivideByPOT(-3, 1) == -2)
        #expect(FixedPointMultiplier.roundingDivideByPOT(7, 2) == 2)
        #expect(FixedPointMultiplier.saturatingRoundingDoublingHighMul(.min, .min) == .max)
        // M is represented within 2^-31 relative, for M below and above 1.
        for m in [1e-6, 0.0037, 0.25, 0.5, 0.999999, 1.0, 1.5, 3.75, 1234.5] {
            let f = FixedPointMultiplier(m)
            let represented = Double(f.m0) / 2147483648 * pow(2, Double(f.leftShift) - Double(f.rightShift))
            #expect(abs(represented - m) / m < 1.0 / 2147483648 * 2, "M = \(m)")
            #expect(f.m0 >= 1 << 30)
        }
        // Requantizing 1000 with M = 0.25 gives exactly 250; with M = 0.3, 300. M = 0.25 is M0 = 0.5 with a right
        // shift of 1: +-1002 -> +-501 (exact high multiply) -> +-250.5 rounded away from zero -> +-251.
        #expect(FixedPointMultiplier(0.25).apply(1000) == 250)
        #expect(FixedPointMultiplier(0.3).apply(1000) == 300)
        #expect(FixedPointMultiplier(0.25).apply(-1002) == -251)
        #expect(FixedPointMultiplier(0.25).apply(1002) == 251)
    }

    @Test(
        """
        the requantization epilogue equals the Swift reference element by element (int16 kernel on one-row groups, \
        VNNI at 40 rows and 2 groups of 20)
        """,
        arguments: [(7, 1), (40, 40), (40, 20)])
    func requantize(m: Int, groupRows: Int) throws {
        let n = 13, k = 33, ld = 48
        let w = Self.ints(m * ld, seed: 1, lo: -127, hi: 127).enumerated().map { $0.offset % ld < k ? $0.element : 0 }
        // Centered codes of an input with zero point 40.
        let p = Self.ints(n * ld, seed: 2, lo: -40, hi: 215).enumerated().map { $0.offset % ld < k ? $0.element : 0 }
        // Multipliers below 1 (right shifts) and above 1 (left shifts, saturation).
        let mults: [FixedPointMultiplier] = (0..<m).map { (i: Int) -> FixedPointMultiplier in
            let v: Double = i % 6 == 5 ? 1.3 + Double(i) : 0.0009 * Double(i + 1)
            return FixedPointMultiplier(v)
        }
        let kernel = Int8Kernel(
            rows: m, depth: k, ld: ld, weights: w, bias: (0..<m).map { Int32($0 * 1000 - 3000) },
            m0: mults.map(\.m0), leftShift: mults.map(\.leftShift), rightShift: mults.map(\.rightShift),
            output: AffineQuant(scale: 0.05, zeroPoint: 17, bits: 8), qmin: 17, qmax: 200, inputZero: 40,
            groupRows: groupRows)
        #expect(kernel.packed.count == (qb_kernels_have_avx2() == 1 && groupRows >= 2 ? m / groupRows : 0))
        var out = [Float](repeating: .nan, count: m * n)
        for g in 0..<(m / groupRows) {
            _ = try p.withUnsafeBufferPointer { pp in
                try out.withUnsafeMutableBufferPointer { po in
                    try kernel.compute(
                        rows: (g * groupRows)..<((g + 1) * groupRows), patches: pp.baseAddress!, ldp: ld, cols: n,
                        inputScale: 1,
                        out: po.baseAddress! + g * groupRows * n, rs: n, cs: 1)
                }
            }
        }
        for i in 0..<m {
            for j in 0..<n {
                #expect(out[i * n + j] == kernel.reference(row: i, patch: Array(p[(j * ld)..<(j * ld + ld)])))
            }
        }
    }

    @Test("ternary and shift kernels equal a plain evaluation of the same arithmetic", arguments: KernelISA.available)
    func ternaryAndShift(isa: KernelISA) throws {
        let previous = qb_isa_set_thread_cap(isa.rawValue)
        defer { _ = qb_isa_set_thread_cap(previous) }
        var packedCases = 0
        defer {
            #expect(
                isa < .avx2 || packedCases >= 8, "the packed ternary and shift paths ran \(packedCases) times at \(isa)"
            )
        }
        for (i, m) in Self.sizes.enumerated() {
            // Every other depth a multiple of 4 (the VNNI ternary kernel takes groups of whole 4-byte steps, the
            // CSR kernel the others); centered codes of an input with zero point 128, k-major [depth][cols].
            let base = Self.sizes[(i * 3 + 5) % Self.sizes.count] * 3, cols = Self.sizes[(i * 5 + 2) % Self.sizes.count]
            let depth = i % 2 == 0 ? (base + 3) / 4 * 4 : base
            let spec = LayerFixtures.linear(rows: m, depth: depth, seed: UInt64(i))
            let x = Self.ints(depth * cols, seed: UInt64(i + 50), lo: -128, hi: 127)
            for method in ["ternary", "shift", "shift5"] {
                let layer: QuantLayer
                let input = AffineQuant(scale: 0.01, zeroPoint: 128, bits: 8)
                if method == "ternary" {
                    layer = try TernaryMethod.layer(
                        spec, settings: TernarySettings(groupSize: 4), input: input, integer: true, file: "t"
                    ).0
                } else {
                    layer = try ShiftMethod.layer(
                        spec, settings: ShiftSettings(bits: method == "shift" ? 7 : 5, sparsity: 0.3), input: input,
                        integer: true, file: "t"
                    ).0
                }
                guard case .integer(let kernel) = layer.path else {
                    Issue.record("not integer")
                    return
                }
                var out = [Float](repeating: .nan, count: m * cols)
                // The patches in the kernel's layout (the VNNI ternary kernel reads each position's codes contiguous).
                var patches = x, ldp = cols
                if case .columnMajor(let ld) = kernel.layout {
                    patches = [Int16](repeating: 0, count: cols * ld)
                    for k in 0..<depth { for j in 0..<cols { patches[j * ld + k] = x[k * cols + j] } }
                    ldp = ld
                }
                _ = try patches.withUnsafeBufferPointer { px in
                    try out.withUnsafeMutableBufferPointer { po in
                        try kernel.compute(
                            rows: 0..<m, patches: px.baseAddress!, ldp: ldp, cols: cols, inputScale: 0.01,
                            out: po.baseAddress!, rs: cols, cs: 1)
                    }
                }
                if case .columnMajor = kernel.layout, isa > .portable {
                    // The packed kernel's plain twin (capped to portable after packing) gives the same bits.
                    var twin = [Float](repeating: .nan, count: m * cols)
                    try KernelISA.capped(at: .portable) {
                        _ = try patches.withUnsafeBufferPointer { px in
                            try twin.withUnsafeMutableBufferPointer { po in
                                try kernel.compute(
                                    rows: 0..<m, patches: px.baseAddress!, ldp: ldp, cols: cols, inputScale: 0.01,
                                    out: po.baseAddress!, rs: cols, cs: 1)
                            }
                        }
                    }
                    #expect(
                        twin.map(\.bitPattern) == out.map(\.bitPattern),
                        "\(method) packed twin at \(isa) m=\(m) depth=\(depth) cols=\(cols)")
                    packedCases += 1
                }
                // The same quantized weights, dequantized, times the same inputs in Double.
                let simulated =
                    try
                    (method == "ternary"
                    ? TernaryMethod.layer(
                        spec, settings: TernarySettings(groupSize: 4), input: input, integer: false, file: "t"
                    ).0
                    : ShiftMethod.layer(
                        spec, settings: ShiftSettings(bits: method == "shift" ? 7 : 5, sparsity: 0.3), input: input,
                        integer: false, file: "t"
                    ).0)
                guard case .simulated(let fl, _) = simulated.path else {
                    Issue.record("not simulated")
                    return
                }
                let w = fl.session.graph.initializers[spec.node.inputs[1]]!.floats  // [M][K] (Gemm, transB = 1)
                var worst = 0.0
                for r in 0..<m {
                    for j in 0..<cols {
                        var s = Double(spec.bias![r])
                        for k in 0..<depth { s += Double(w[r * depth + k]) * 0.01 * Double(x[k * cols + j]) }
                        worst = Tolerance.worse(worst, abs(Double(out[r * cols + j]) - s) / max(1, abs(s)))
                    }
                }
                #expect(worst < 1e-5, "\(method) m=\(m) depth=\(depth) cols=\(cols): \(worst)")
            }
        }
    }
}

extension Int {
    func clamped(_ lo: Int, _ hi: Int) -> Int { Swift.min(Swift.max(self, lo), hi) }
}

/// Synthetic layers for the quantizer tests.
enum LayerFixtures {
    /// A MatMul layer x[.., depth] x W[depth][rows] with a separate bias kept in the spec (for kernels).
    static func linear(rows: Int, depth: Int, seed: UInt64) -> LayerSpec {
        let w = randomFloats(rows * depth, seed: seed).map { $0 * 0.2 }
        var node = Node(name: "fc", opType: "Gemm", inputs: ["x", "w", "b"], outputs: ["y"])
        node.attributes["transB"] = .int(1)
        return LayerSpec(
            node: node, kind: .linear, input: "x", output: "y", rows: rows, depth: depth, taps: 1, weights: w,
            bias: randomFloats(rows, seed: seed + 7), lo: -.infinity, hi: .infinity, constants: ["w", "b"])
    }
}
