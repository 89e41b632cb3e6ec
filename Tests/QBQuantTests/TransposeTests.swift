import CKernels
import QBTensor
import Testing

/// The float transpose that lays out linear layers' outputs (8 x 8 AVX2 blocks, scalar edges) against a plain
/// loop, on odd sizes and strides, at every ISA level this machine has.
@Suite("Float transpose")
struct TransposeTests {
    @Test("qb_transpose_f32 equals the plain transpose and writes nothing else", arguments: KernelISA.available)
    func transpose(isa: KernelISA) {
        for (m, n) in [(1, 1), (7, 9), (8, 8), (9, 17), (16, 3), (24, 40), (33, 65), (128, 240)] {
            let ldi = n + 3, ldo = m + 5
            let input = (0..<(m * ldi)).map { Float($0) * 0.5 - 7 }
            var got = [Float](repeating: .nan, count: n * ldo)
            KernelISA.capped(at: isa) { qb_transpose_f32(Int32(m), Int32(n), input, ldi, &got, ldo) }
            var mismatches = 0
            for j in 0..<n {
                for i in 0..<ldo {
                    let value = got[j * ldo + i]
                    if i < m {
                        if value != input[i * ldi + j] { mismatches += 1 }
                    } else if !value.isNaN {
                        mismatches += 1
                    }
                }
            }
            #expect(mismatches == 0, "\(m) x \(n) at \(isa)")
        }
    }
}
