import CKernels
import Foundation
import QBTensor
import Testing

/// The element-wise math of qb_vecmath.c: the stated accuracy against double precision, and the same bits
/// at every ISA level (odd lengths, so the vector loops' tails run too).
@Suite("Vectorized element-wise math")
struct VectorMathTests {
    /// Points over [-range, range], the edges and specials included.
    static func grid(_ range: Float, count: Int = 200_003) -> [Float] {
        var points = (0..<count).map { -range + 2 * range * Float($0) / Float(count - 1) }
        points += [0, -0.0, 1e-30, -1e-30, 0.4, -0.4, 0.5, -0.5, 88.7, -87.3, 100, -100, .infinity, -.infinity, .nan]
        return points
    }

    static func ulps(_ got: Float, _ expected: Double) -> Double {
        let e = Float(expected)
        guard e.isFinite, e != 0 else { return got == e ? 0 : .infinity }
        return abs(Double(got) - expected) / Double(e.ulp)
    }

    @Test("exp within 2 ulp, tanh within 4 ulp, erf within 2e-7, log within 1e-7 relative; specials")
    func accuracy() {
        var worstExp = 0.0, worstTanh = 0.0, worstErf = 0.0, worstLog = 0.0
        for x in Self.grid(88) where x.isFinite {
            let e = Foundation.exp(Double(x))
            if e > Double(Float.leastNormalMagnitude) && e < Double(Float.greatestFiniteMagnitude) {
                worstExp = max(worstExp, Self.ulps(qb_expf(x), e))
            }
        }
        for x in Self.grid(10) where x.isFinite {
            let t = Foundation.tanh(Double(x))
            if abs(t) > 1e-30 { worstTanh = max(worstTanh, Self.ulps(qb_tanhf(x), t)) }
            worstErf = max(worstErf, abs(Double(qb_erff(x)) - Foundation.erf(Double(x))))
        }
        for x in Self.grid(1000) where x > 0 && x.isFinite {
            let l = Foundation.log(Double(x))
            if abs(l) > 1e-3 { worstLog = max(worstLog, abs(Double(qb_logf(x)) - l) / abs(l)) }
        }
        #expect(worstExp <= 2, "exp: \(worstExp) ulp")
        #expect(worstTanh <= 4, "tanh: \(worstTanh) ulp")
        #expect(worstErf <= 2e-7, "erf: \(worstErf)")
        #expect(worstLog <= 1e-7, "log: \(worstLog)")
        #expect(qb_expf(-100) == 0 && qb_expf(100) == .infinity && qb_expf(.nan).isNaN)
        #expect(qb_erff(10) == 1 && qb_erff(-10) == -1 && qb_erff(.nan).isNaN)
        #expect(qb_tanhf(20) == 1 && qb_tanhf(-20) == -1 && qb_tanhf(.nan).isNaN)
        #expect(qb_logf(0) == -.infinity && qb_logf(-1).isNaN && qb_logf(.infinity) == .infinity)
        #expect(
            abs(qb_logf(Float.leastNonzeroMagnitude) - Float(Foundation.log(Double(Float.leastNonzeroMagnitude))))
                < 1e-4)
    }

    static func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

    @Test(
        "every function, Softmax and LayerNorm rows give the portable bits at every ISA level",
        arguments: KernelISA.available)
    func sameBits(isa: KernelISA) {
        let length = 1_037
        let x = (0..<length).map { Float(sin(Double($0) * 0.37)) * 6 }
        func unary(_ op: Int32) -> [UInt32] {
            var y = [Float](repeating: .nan, count: length)
            let status = qb_vec_unary(op, x, &y, Int64(length), 1.4142135)
            #expect(status == 0)
            return Self.bits(y)
        }
        func rows() -> ([UInt32], [UInt32], [UInt32]) {
            var soft = x, logSoft = x
            qb_softmax_rows(&soft, 7, 148, 0)
            qb_softmax_rows(&logSoft, 7, 148, 1)
            var norm = [Float](repeating: .nan, count: 7 * 148)
            let scale = (0..<148).map { 1 + Float($0) / 100 }, bias = (0..<148).map { Float($0) / 50 }
            qb_layernorm_rows(x, &norm, 7, 148, scale, bias, 1e-5, nil, nil)
            return (Self.bits(soft), Self.bits(logSoft), Self.bits(norm))
        }
        let ops: [Int32] = [0, 1, 2, 3, 4, 5, 6, 7]
        let portable = KernelISA.capped(at: .portable) { (ops.map(unary), rows()) }
        let here = KernelISA.capped(at: isa) { (ops.map(unary), rows()) }
        for (i, op) in ops.enumerated() {
            #expect(here.0[i] == portable.0[i], "op \(op) at \(isa)")
            #expect(!here.0[i].contains(Float.nan.bitPattern), "op \(op) left an element unwritten")
            // Each element equals the scalar function (no lane-dependent work).
            if op == 0 { #expect(here.0[i] == Self.bits(x.map(qb_expf))) }
            if op == 1 { #expect(here.0[i] == Self.bits(x.map(qb_erff))) }
        }
        // ReLU and HardSwish are the engine's former Swift formulas, bit for bit (NaN, -0 and infinities too).
        let specials = x + [.nan, -0.0, 0, .infinity, -.infinity, 3, -3, 1e-40]
        func swiftForm(_ op: Int32) -> [UInt32] {
            Self.bits(specials.map { op == 6 ? max($0, 0) : $0 * min(max($0 / 6 + 0.5, 0), 1) })
        }
        for op: Int32 in [6, 7] {
            var y = [Float](repeating: 0, count: specials.count)
            let status = KernelISA.capped(at: isa) { qb_vec_unary(op, specials, &y, Int64(specials.count), 0) }
            #expect(status == 0)
            #expect(Self.bits(y) == swiftForm(op), "op \(op) at \(isa)")
        }
        #expect(here.1.0 == portable.1.0 && here.1.1 == portable.1.1 && here.1.2 == portable.1.2, "rows at \(isa)")
        #expect(qb_vec_unary(99, x, nil, 0, 0) == -1)
    }
}
