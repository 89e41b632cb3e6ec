import CKernels

/// How an integer kernel wants the patch matrix of centered codes.
enum PatchLayout: Sendable, Equatable {
    /// `pt[k * ldp + j]`: one row per weight index k, columns = output positions (ternary, shift).
    case kMajor
    /// `p[j * ld + k]`: each output position's patch contiguous, zero-padded to `ld` (int8 dot products).
    case columnMajor(ld: Int)
}

/// A kernel computing rows of a layer's output from a patch matrix. `rows` are the layer rows of the
/// current group; `patches` points at the first column to compute; output element (i, j) goes to
/// `out[(i - rows.lowerBound) * rs + j * cs]`. The faster forms a layer may also have are capabilities: the
/// kernel returns itself as one where this layer has that form (its packing, its shape, the CPU path), else nil.
protocol IntegerKernel: Sendable {
    var layout: PatchLayout { get }
    /// What the kernel's speed depends on (`TimingKey`): layers with equal keys are timed once.
    var timingKey: TimingKey { get }
    func compute(
        rows: Range<Int>, patches: UnsafePointer<Int16>, ldp: Int, cols: Int, inputScale: Float,
        out: UnsafeMutablePointer<Float>, rs: Int, cs: Int
    ) throws -> OpCounts
    /// The kernel's depthwise form, where the layer has one.
    var depthwiseForm: (any DepthwiseKernel)? { get }
    /// The kernel's convolution from HWC codes, where the layer has one.
    var hwcConvolutionForm: (any HWCConvolutionKernel)? { get }
    /// The kernel's fused float-in, float-out linear form, where it runs on this thread's CPU path.
    var fusedLinearForm: (any FloatLinearKernel)? { get }
}

extension IntegerKernel {
    var depthwiseForm: (any DepthwiseKernel)? { nil }
    var hwcConvolutionForm: (any HWCConvolutionKernel)? { nil }
    var fusedLinearForm: (any FloatLinearKernel)? { nil }
}

/// A kernel that computes depthwise convolutions straight from the input planes.
protocol DepthwiseKernel: IntegerKernel {
    /// A depthwise convolution on the input planes: channel i of `rows` reads plane i at `codes` and
    /// writes plane i of `out`.
    func depthwise(
        rows: Range<Int>, codes: UnsafePointer<Int16>, ih: Int, iw: Int, geo: qb_conv_geo, inputScale: Float,
        out: UnsafeMutablePointer<Float>
    ) throws -> OpCounts
}

/// A kernel that computes convolutions from the input as unsigned codes in HWC order (zero point
/// `hwcZeroPoint`), building its patches block by block.
protocol HWCConvolutionKernel: IntegerKernel {
    var hwcZeroPoint: Int { get }
    /// Output positions [first, first + cols) of group `group`'s rows; row i of the group goes to `out + i * rs`.
    func convolve(
        group: Int, hwc: UnsafePointer<UInt8>, channels: Int, ih: Int, iw: Int, geo: qb_conv_geo, first: Int, cols: Int,
        inputScale: Float, out: UnsafeMutablePointer<Float>, rs: Int
    ) throws -> OpCounts
}
