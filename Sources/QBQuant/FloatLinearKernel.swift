import CKernels
import QBTensor

/// A kernel that can run a whole linear layer from its float input to its float output in one pass
/// (quantization, integer sums, requantization and the transposed layout fused, as `qb_linear_int8` does), with the
/// same bits as the separate steps that `PatchRunner` otherwise runs.
protocol FloatLinearKernel: IntegerKernel {
    /// Rows `[first, first + count)` of the input (`depth` floats each, at `input`) into the same rows of the output
    /// (`rows` floats each, at `out`).
    func linear(input: UnsafePointer<Float>, count: Int, quant: AffineQuant, out: UnsafeMutablePointer<Float>) throws
        -> OpCounts
}

extension PatchRunner {
    /// A linear layer of `inputRows` x `depth` floats through the fused kernel, its input rows split among threads.
    static func fusedLinear(
        _ kernel: any FloatLinearKernel, input: [Float], inputRows: Int, outputFeatures: Int, depth: Int,
        quant: AffineQuant, threads: Int
    ) throws -> ([Float], OpCounts) {
        var out = uninitializedFloats(inputRows * outputFeatures)
        let counts = try input.withUnsafeBufferPointer { source in
            try out.withUnsafeMutableBufferPointer { target in
                let x = SharedConstPointer(source.baseAddress!), y = SharedPointer(target.baseAddress!)
                return try split(inputRows, threads: threads, work: inputRows * outputFeatures * depth) {
                    first, count in
                    try kernel.linear(
                        input: x.pointer + first * depth, count: count, quant: quant,
                        out: y.base + first * outputFeatures)
                }
            }
        }
        return (out, counts)
    }
}
