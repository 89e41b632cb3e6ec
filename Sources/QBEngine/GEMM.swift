import CKernels
import QBTensor

/// FP32 matrix multiplication: the C kernel (AVX2/FMA when the CPU has it) split over threads, and a
/// plain reference beside it for tests.
public enum GEMM {
    /// `c[i*ldc + j] = clamp(sum_k A(i,k) B(k,j) + bias + (accumulate ? c : 0), lo, hi)` with
    /// `A(i,k) = a[i*aRow + k*aCol]`, `B(k,j) = b[k*bRow + j*bCol]`. The output is split among
    /// `threads` by column blocks (or row blocks when it is narrow); every element is computed with
    /// the same operations whatever the split, so results are bit-identical for any thread count.
    /// Returns false when the kernel's packing buffers could not be allocated (the output is then NaN).
    public static func multiply(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, aRow: Int, aCol: Int,
        b: UnsafePointer<Float>, bRow: Int, bCol: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        bias: UnsafePointer<Float>? = nil, biasPerRow: Bool = false,
        lo: Float = -.infinity, hi: Float = .infinity,
        accumulate: Bool = false, threads: Int = 1
    ) -> Bool {
        guard m > 0, n > 0 else { return true }
        let work = m * n * max(k, 1)
        let workers = work < 1 << 21 ? 1 : max(1, threads)  // below ~2M multiply-adds a thread costs more than it saves
        let aP = SharedConst(a), bP = SharedConst(b), cP = SharedPointer(c), biasP = bias.map(SharedConst.init)
        if workers == 1 {
            return qb_sgemm(
                Int32(m), Int32(n), Int32(k), a, aRow, aCol, b, bRow, bCol, c, ldc, bias, biasPerRow ? 1 : 0, lo, hi,
                accumulate ? 1 : 0) == 0
        }
        var statuses = [Int32](repeating: 0, count: workers)
        statuses.withUnsafeMutableBufferPointer { buffer in
            split(
                m: m, n: n, k: k, a: aP, aRow: aRow, aCol: aCol, b: bP, bRow: bRow, bCol: bCol, c: cP, ldc: ldc,
                bias: biasP, biasPerRow: biasPerRow, lo: lo, hi: hi, accumulate: accumulate, workers: workers,
                statuses: SharedPointer(buffer.baseAddress!))
        }
        return statuses.allSatisfy { $0 == 0 }
    }

    /// The multi-threaded case of `multiply`: column or row blocks, one per worker; status i of block i.
    private static func split(
        m: Int, n: Int, k: Int, a aP: SharedConst<Float>, aRow: Int, aCol: Int, b bP: SharedConst<Float>,
        bRow: Int, bCol: Int, c cP: SharedPointer<Float>, ldc: Int, bias biasP: SharedConst<Float>?,
        biasPerRow: Bool, lo: Float, hi: Float, accumulate: Bool, workers: Int,
        statuses: SharedPointer<Int32>
    ) {
        if n >= 64 * workers || n >= m {
            // Column blocks, multiples of 16 (the micro-kernel's width), one per worker: the work is
            // uniform, and every block repacks A.
            let block = max(16, ((n + workers - 1) / workers + 15) / 16 * 16)
            let count = (n + block - 1) / block
            Parallel.forEach(count: count, workers: workers) { i in
                let j0 = i * block, cols = min(block, n - j0)
                statuses.base[i] = qb_sgemm(
                    Int32(m), Int32(cols), Int32(k), aP.base, aRow, aCol, bP.base + j0 * bCol, bRow, bCol,
                    cP.base + j0, ldc, biasP.map { biasPerRow ? $0.base : $0.base + j0 }, biasPerRow ? 1 : 0, lo, hi,
                    accumulate ? 1 : 0)
            }
        } else {
            // Row blocks, multiples of 6 (the micro-kernel's height).
            let block = max(6, ((m + workers - 1) / workers + 5) / 6 * 6)
            let count = (m + block - 1) / block
            Parallel.forEach(count: count, workers: workers) { i in
                let i0 = i * block, rows = min(block, m - i0)
                statuses.base[i] = qb_sgemm(
                    Int32(rows), Int32(n), Int32(k), aP.base + i0 * aRow, aRow, aCol, bP.base, bRow, bCol,
                    cP.base + i0 * ldc, ldc, biasP.map { biasPerRow ? $0.base + i0 : $0.base }, biasPerRow ? 1 : 0, lo,
                    hi, accumulate ? 1 : 0)
            }
        }
    }

    /// The plain reference: the same formula, one dot product per element in Float, k ascending.
    public static func reference(
        m: Int, n: Int, k: Int, a: [Float], aRow: Int, aCol: Int, b: [Float], bRow: Int, bCol: Int,
        bias: [Float]? = nil, biasPerRow: Bool = false, lo: Float = -.infinity, hi: Float = .infinity
    ) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s: Float = 0
                for p in 0..<k { s += a[i * aRow + p * aCol] * b[p * bRow + j * bCol] }
                if let bias { s += biasPerRow ? bias[i] : bias[j] }
                c[i * n + j] = min(max(s, lo), hi)
            }
        }
        return c
    }

    /// Whether the AVX2/FMA kernels run on this thread (`KernelISA.active`).
    public static var usesAVX2: Bool { qb_kernels_have_avx2() != 0 }
}

/// A read-only pointer handed to parallel workers.
struct SharedConst<Element>: @unchecked Sendable {
    let base: UnsafePointer<Element>
    init(_ base: UnsafePointer<Element>) { self.base = base }
}
