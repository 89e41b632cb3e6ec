import CKernels
@testable import QBQuant
import QBTensor
import QBTestSupport
import Testing

/// The fused int8 linear layer (`qb_linear_int8`: floats to codes, the packed tile, the requantization written
/// straight into the output's layout) against the Swift reference of each element, at every ISA level this machine has.
@Suite("Fused int8 linear layers against their plain reference")
struct FusedLinearTests {
    /// Floats around the input's code grid: halves, their neighbours, saturating and non-finite values.
    static func inputs(_ n: Int, seed: UInt64, scale: Float) -> [Float] {
        let edges: [Float] = [
            0.5, -0.5, 1.5, -2.5, 0.49999997, 0.50000006, 1e30, -1e30, .infinity, -.infinity, .nan, 0, -0, 200, -200,
        ]
        return randomFloats(n, seed: seed).enumerated().map { i, v in
            i % 7 == 3 ? edges[(i / 7) % edges.count] * scale : v * 90 * scale
        }
    }

    static func kernel(rows m: Int, depth k: Int, leftShiftRow: Int?, seed: UInt64) -> Int8Kernel {
        let ld = (k + 15) / 16 * 16
        let values = KernelTests.ints(m * k, seed: seed, lo: -127, hi: 127)
        var weights = [Int16](repeating: 0, count: m * ld)
        for i in 0..<m { for c in 0..<k { weights[i * ld + c] = i == 0 ? 127 : (i == 1 ? -127 : values[i * k + c]) } }
        // Right shifts from 0 to 31 and extreme multipliers; optionally one row above 1 (a left shift: the row form).
        let mults: [FixedPointMultiplier] = (0..<m).map { i in
            if i == leftShiftRow { return FixedPointMultiplier(3.7) }
            switch i % 5 {
            case 0: return FixedPointMultiplier(m0: .max, leftShift: 0, rightShift: Int32(i % 32))
            case 1: return FixedPointMultiplier(m0: 1 << 30, leftShift: 0, rightShift: 0)
            default: return FixedPointMultiplier(0.00037 * Double(i + 1))
            }
        }
        var bias = (0..<m).map { Int32($0 * 977 - 5000) }
        if m > 3 {
            bias[2] = .max
            bias[3] = .min
        }
        return Int8Kernel(
            rows: m, depth: k, ld: ld, weights: weights, bias: bias, m0: mults.map(\.m0),
            leftShift: mults.map(\.leftShift),
            rightShift: mults.map(\.rightShift), output: AffineQuant(scale: 0.043, zeroPoint: 21, bits: 8), qmin: 0,
            qmax: 255,
            inputZero: 40)
    }

    @Test(
        """
        fused equals the reference bit for bit on odd sizes, both epilogues (lanes, and rows for a left shift), 1 \
        and 2 threads
        """,
        arguments: KernelISA.available)
    func fusedEqualsReference(isa: KernelISA) throws {
        let quant = AffineQuant(scale: 0.0625, zeroPoint: 40, bits: 8)
        for (m, k, n) in [
            (1, 1, 1), (7, 29, 301), (37, 64, 241), (16, 128, 17), (40, 33, 480), (3, 5, 239), (24, 100, 3),
        ] {
            for leftShiftRow in [nil, m / 2] {
                let kernel = Self.kernel(rows: m, depth: k, leftShiftRow: leftShiftRow, seed: UInt64(m * 31 + k))
                let input = Self.inputs(n * k, seed: UInt64(n), scale: quant.scale)
                try KernelISA.capped(at: isa) {
                    guard kernel.fusedLinearForm != nil else {
                        #expect(isa < .avx2 || kernel.packed.isEmpty, "the fused form declined at \(isa)")
                        return
                    }
                    for threads in [1, 2] {
                        let (out, counts) = try PatchRunner.fusedLinear(
                            kernel, input: input, inputRows: n, outputFeatures: m, depth: k,
                            quant: quant, threads: threads)
                        #expect(counts.macs == Int64(m * n * k))
                        var mismatches = 0
                        for j in 0..<n {
                            var patch = [Int16](repeating: 0, count: kernel.ld)
                            for c in 0..<k { patch[c] = Int16(quant.centered(input[j * k + c])) }
                            for i in 0..<m
                            where out[j * m + i].bitPattern != kernel.reference(row: i, patch: patch).bitPattern {
                                mismatches += 1
                            }
                        }
                        #expect(
                            mismatches == 0,
                            "\(isa) m \(m) k \(k) n \(n) row \(String(describing: leftShiftRow)) \(threads)t"
                        )
                    }
                }
            }
        }
    }

    @Test(
        """
        FGQ ternary and power-of-two linear layers: the fused form (floats in, the output's layout) has the patch \
        path's bits
        """,
        arguments: KernelISA.available)
    func ternaryAndShiftFused(isa: KernelISA) throws {
        let quant = AffineQuant(scale: 0.03125, zeroPoint: 131, bits: 8)
        var fusedCases = 0
        for (m, k, n) in [(5, 12, 3), (17, 64, 241), (33, 40, 300), (16, 128, 17)] {
            let spec = LayerFixtures.linear(rows: m, depth: k, seed: UInt64(m + k))
            let input = Self.inputs(n * k, seed: UInt64(n + 3), scale: quant.scale)
            let layers = [
                try TernaryMethod.layer(
                    spec, settings: TernarySettings(groupSize: 4), input: quant, integer: true, file: "t"
                ).0,
                try ShiftMethod.layer(
                    spec, settings: ShiftSettings(bits: 7, sparsity: 0.3), input: quant, integer: true, file: "t"
                ).0,
                try ShiftMethod.layer(
                    spec, settings: ShiftSettings(bits: 5, sparsity: 0.3), input: quant, integer: true, file: "t"
                ).0,
            ]
            for layer in layers {
                guard case .integer(let kernel) = layer.path else {
                    Issue.record("not an integer kernel")
                    return
                }
                try KernelISA.capped(at: isa) {
                    guard let fused = kernel.fusedLinearForm else { return }
                    let patches = PatchRunner.linearPatches(
                        quant.centered(input), rows: n, depth: k, layout: kernel.layout)
                    var viaPatches = [Float](repeating: .nan, count: n * m)
                    _ = try patches.withUnsafeBufferPointer { px in
                        try viaPatches.withUnsafeMutableBufferPointer { po in
                            let ldp = if case .columnMajor(let ld) = kernel.layout { ld } else { n }
                            return try kernel.compute(
                                rows: 0..<m, patches: px.baseAddress!, ldp: ldp, cols: n, inputScale: quant.scale,
                                out: po.baseAddress!, rs: 1, cs: m)
                        }
                    }
                    let (out, _) = try PatchRunner.fusedLinear(
                        fused, input: input, inputRows: n, outputFeatures: m, depth: k, quant: quant,
                        threads: 2)
                    #expect(
                        out.map(\.bitPattern) == viaPatches.map(\.bitPattern),
                        "\(isa) \(type(of: kernel)) m \(m) k \(k) n \(n)")
                    #expect(!out.contains { !$0.isFinite })
                    fusedCases += 1
                }
            }
        }
        #expect(
            KernelISA.detected < .avx2 || fusedCases >= 8,
            "the fused ternary and shift forms ran \(fusedCases) times at \(isa)")
    }

    @Test("unsigned input codes in C equal the Swift formula plus the zero point", arguments: KernelISA.available)
    func unsignedCodes(isa: KernelISA) {
        for quant in [
            AffineQuant(scale: 0.25, zeroPoint: 37, bits: 8), AffineQuant(scale: 3, zeroPoint: 0, bits: 8),
            AffineQuant(scale: 0.5, zeroPoint: 255, bits: 8), AffineQuant(scale: 0.1, zeroPoint: 3, bits: 3),
        ] {
            let xs = Self.inputs(301, seed: 11, scale: quant.scale)
            var codes = [UInt8](repeating: 0xAA, count: xs.count)
            KernelISA.capped(at: isa) {
                qb_quantize_u8(xs, xs.count, quant.scale, Int32(quant.zeroPoint), Int32(quant.qmax), &codes)
            }
            #expect(codes == xs.map { UInt8(quant.centered($0) + quant.zeroPoint) }, "\(isa) \(quant)")
        }
    }

    @Test(
        "codes of floats at and beside every half boundary (k + 1/2) times awkward scales equal the Swift formula",
        arguments: KernelISA.available)
    func halfBoundaries(isa: KernelISA) {
        for scale: Float in [0.1, 0.0173, 3.1e-5, 7.7, 0.33333334, 1e-38, 3e38] {
            let quant = AffineQuant(scale: scale, zeroPoint: 128, bits: 8)
            var xs = [Float]()
            for k in -130...130 {
                let x = (Float(k) + 0.5) * scale
                xs += [x, x.nextUp, x.nextDown, x.nextUp.nextUp, x.nextDown.nextDown, Float(k) * scale]
            }
            var codes = [UInt8](repeating: 0xAA, count: xs.count)
            let centered = KernelISA.capped(at: isa) { () -> [Int16] in
                qb_quantize_u8(xs, xs.count, quant.scale, Int32(quant.zeroPoint), Int32(quant.qmax), &codes)
                return quant.centered(xs)
            }
            #expect(codes == xs.map { UInt8(quant.centered($0) + quant.zeroPoint) }, "\(isa) scale \(scale)")
            #expect(centered == xs.map { Int16(quant.centered($0)) }, "\(isa) scale \(scale)")
        }
    }
}
