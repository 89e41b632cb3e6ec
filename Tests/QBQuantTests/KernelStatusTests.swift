import CKernels
@testable import QBQuant
import Testing

/// The quantized kernels' status codes reach the caller as errors that name the kernel and the reason, and a
/// part that fails among parallel parts is not dropped.
@Suite("Kernel status codes")
struct KernelStatusTests {
    @Test("a negative status throws: out of memory, or tables the kernel refuses; 0 and 1 pass")
    func statusCodes() throws {
        try KernelFailure.check(1, "k")
        try KernelFailure.check(0, "k")
        #expect(throws: KernelFailure.self) { try KernelFailure.check(QB_NO_MEMORY, "qb_shift_conv") }
        do {
            try KernelFailure.check(QB_NO_MEMORY, "qb_shift_conv")
        } catch let failure as KernelFailure {
            #expect(failure.reason == "qb_shift_conv: its buffers could not be allocated")
        }
        do {
            try KernelFailure.check(-1, "qb_ternary_rows")
        } catch let failure as KernelFailure {
            #expect(failure.reason.contains("qb_ternary_rows refused"))
        }
    }

    @Test("the packed ternary kernel refuses groups that do not divide its quads, and computes nothing")
    func ternaryRefusesGroups() {
        // depth 16 = 4 quads; 3 groups do not divide them.
        let wp = [Int8](repeating: 1, count: qb_vnni_packed_size(1, 16)), alphas = [Float](repeating: 1, count: 48)
        let corr = [Int32](repeating: 0, count: 48), codes = [Int16](repeating: 2, count: 16)
        var out: [Float] = [7]
        let status = wp.withUnsafeBufferPointer { w in
            alphas.withUnsafeBufferPointer { a in
                corr.withUnsafeBufferPointer { c in
                    codes.withUnsafeBufferPointer { x in
                        out.withUnsafeMutableBufferPointer { o in
                            var layer = qb_ternary_layer(
                                rows: 1, groups: 3, codes: w.baseAddress, alphas: a.baseAddress, corr: c.baseAddress)
                            var input = qb_code_columns(codes: x.baseAddress, stride: 16, depth: 16, zero: 0, count: 1)
                            var output = qb_float_output(
                                sx: 1, bias: nil, lo: -.infinity, hi: .infinity, out: o.baseAddress, rs: 1, cs: 1)
                            return qb_ternary_rows(&layer, &input, &output)
                        }
                    }
                }
            }
        }
        #expect(status == -1)
        #expect(out == [7])
        #expect(throws: KernelFailure.self) { try KernelFailure.check(status, "qb_ternary_rows") }
    }

    @Test("parallel parts: the counts add up, and one failing part fails the whole")
    func resultSlots() throws {
        let slots = ResultSlots(4)
        for i in 0..<4 { slots.set(i) { OpCounts(macs: Int64(i + 1)) } }
        #expect(try slots.total() == OpCounts(macs: 10))
        slots.set(2) { throw KernelFailure(reason: "part 2") }
        #expect(throws: KernelFailure.self) { _ = try slots.total() }
        let split = { (failing: Int) throws -> OpCounts in
            try PatchRunner.split(1000, threads: 2, work: Int.max) { first, count in
                if first <= failing && failing < first + count { throw KernelFailure(reason: "columns at \(first)") }
                return OpCounts(macs: Int64(count))
            }
        }
        #expect(try split(-1) == OpCounts(macs: 1000))
        #expect(throws: KernelFailure.self) { _ = try split(999) }
    }
}
