import QBTestSupport
import QBEngine
import QBTensor
import Testing

@Suite("SGEMM kernel against the plain reference", .serialized)
struct GEMMTests {
    static let sizes: [(Int, Int, Int)] = [
        (1, 1, 1), (5, 7, 3), (6, 16, 8), (7, 17, 9), (13, 33, 257), (64, 48, 300), (97, 131, 71), (1, 515, 64),
        (130, 1, 40),
    ]

    func check(m: Int, n: Int, k: Int, transA: Bool, transB: Bool, bias: Bool, clamp: Bool, threads: Int) -> Float {
        let a = randomFloats(m * k, seed: UInt64(m * 31 + k)), b = randomFloats(k * n, seed: UInt64(n * 17 + k))
        let biasValues = bias ? randomFloats(n, seed: 99) : nil
        let (aRow, aCol) = transA ? (1, m) : (k, 1)
        let (bRow, bCol) = transB ? (1, k) : (n, 1)
        let lo: Float = clamp ? 0 : -.infinity, hi: Float = clamp ? 0.5 : .infinity
        let ref = GEMM.reference(
            m: m, n: n, k: k, a: a, aRow: aRow, aCol: aCol, b: b, bRow: bRow, bCol: bCol, bias: biasValues, lo: lo,
            hi: hi)
        var c = [Float](repeating: .nan, count: m * n)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    if let biasValues {
                        biasValues.withUnsafeBufferPointer { pbias in
                            #expect(
                                GEMM.multiply(
                                    m: m, n: n, k: k, a: pa.baseAddress!, aRow: aRow, aCol: aCol, b: pb.baseAddress!,
                                    bRow: bRow, bCol: bCol,
                                    c: pc.baseAddress!, ldc: n, bias: pbias.baseAddress!, lo: lo, hi: hi,
                                    threads: threads))
                        }
                    } else {
                        #expect(
                            GEMM.multiply(
                                m: m, n: n, k: k, a: pa.baseAddress!, aRow: aRow, aCol: aCol, b: pb.baseAddress!,
                                bRow: bRow, bCol: bCol,
                                c: pc.baseAddress!, ldc: n, lo: lo, hi: hi, threads: threads))
                    }
                }
            }
        }
        var worst: Float = 0
        for i in 0..<(m * n) { worst = Tolerance.worse(worst, abs(c[i] - ref[i]) / max(1, abs(ref[i]))) }
        return worst
    }

    @Test("odd sizes, transposes, bias and clamp", arguments: sizes)
    func oddSizes(_ s: (Int, Int, Int)) {
        for (ta, tb, bias, clamp) in [
            (false, false, false, false), (true, false, true, false), (false, true, true, true),
            (true, true, false, true),
        ] {
            let err = check(m: s.0, n: s.1, k: s.2, transA: ta, transB: tb, bias: bias, clamp: clamp, threads: 1)
            #expect(
                err < 1e-5 * Float(max(s.2, 1)).squareRoot(),
                "m=\(s.0) n=\(s.1) k=\(s.2) transA=\(ta) transB=\(tb): \(err)")
        }
    }

    @Test(
        "every ISA level this machine has agrees with the reference, and all give the same bits",
        arguments: KernelISA.available)
    func everyLevel(isa: KernelISA) {
        KernelISA.capped(at: isa) {
            for s in Self.sizes {
                #expect(
                    check(m: s.0, n: s.1, k: s.2, transA: false, transB: true, bias: true, clamp: false, threads: 1)
                        < 1e-4)
            }
        }
        let m = 37, n = 45, k = 129
        let a = randomFloats(m * k, seed: 8), b = randomFloats(k * n, seed: 9)
        func run() -> [UInt32] {
            var c = [Float](repeating: .nan, count: m * n)
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        #expect(
                            GEMM.multiply(
                                m: m, n: n, k: k, a: pa.baseAddress!, aRow: k, aCol: 1, b: pb.baseAddress!, bRow: n,
                                bCol: 1,
                                c: pc.baseAddress!, ldc: n, threads: 2))
                    }
                }
            }
            return c.map(\.bitPattern)
        }
        #expect(KernelISA.capped(at: isa, run) == KernelISA.capped(at: .portable, run), "\(isa) vs portable")
    }

    @Test("results are bit-identical for 1, 2 and 3 threads")
    func threads() {
        let m = 150, n = 700, k = 300
        let a = randomFloats(m * k, seed: 1), b = randomFloats(k * n, seed: 2)
        var results = [[Float]]()
        for t in [1, 2, 3] {
            var c = [Float](repeating: 0, count: m * n)
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        GEMM.multiply(
                            m: m, n: n, k: k, a: pa.baseAddress!, aRow: k, aCol: 1, b: pb.baseAddress!, bRow: n,
                            bCol: 1,
                            c: pc.baseAddress!, ldc: n, threads: t)
                    }
                }
            }
            results.append(c)
        }
        #expect(results[0] == results[1] && results[1] == results[2])
        // Tall and narrow: split by rows.
        var tall = [[Float]]()
        let a2 = randomFloats(900 * 200, seed: 3), b2 = randomFloats(200 * 8, seed: 4)
        for t in [1, 2] {
            var c = [Float](repeating: 0, count: 900 * 8)
            a2.withUnsafeBufferPointer { pa in
                b2.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        GEMM.multiply(
                            m: 900, n: 8, k: 200, a: pa.baseAddress!, aRow: 200, aCol: 1, b: pb.baseAddress!, bRow: 8,
                            bCol: 1,
                            c: pc.baseAddress!, ldc: 8, threads: t)
                    }
                }
            }
            tall.append(c)
        }
        #expect(tall[0] == tall[1])
    }
}
