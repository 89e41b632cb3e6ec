import CKernels

/// The packed kernels' C argument structs, built from Swift's integers in one place.
extension qb_hwc_input {
    /// A convolution's input as HWC unsigned codes (zero point `zero`) and the output positions [first, first + count).
    init(
        hwc: UnsafePointer<UInt8>, channels: Int, ih: Int, iw: Int, geo: qb_conv_geo, zero: Int, first: Int, count: Int
    ) {
        self.init(
            codes: hwc, channels: Int32(channels), ih: Int32(ih), iw: Int32(iw), geo: geo, zero: Int32(zero),
            first: Int32(first),
            count: Int32(count))
    }
}

extension qb_code_columns {
    /// `count` columns of `depth` centered codes, `stride` apart, whose unsigned codes are these + `zero`.
    init(patches: UnsafePointer<Int16>, stride: Int, depth: Int, zero: Int, count: Int) {
        self.init(codes: patches, stride: stride, depth: Int32(depth), zero: Int32(zero), count: Int32(count))
    }
}

/// A packed kernel's float form of a linear layer (`qb_ternary_floats`, `qb_shift_floats`): `count` input rows of
/// `depth` floats quantized with `quant`, the output in the linear layout (each input row's `rows` features
/// contiguous). `call` runs the C kernel on the two structs; its status is checked under `name`.
func packedLinear(
    _ name: String, input: UnsafePointer<Float>, count: Int, depth: Int, quant: AffineQuant, packedZero: Int, rows: Int,
    bias: [Float]?, lo: Float, hi: Float, out: UnsafeMutablePointer<Float>,
    _ call: (inout qb_float_columns, inout qb_float_output) -> Int32
) throws {
    guard packedZero == quant.zeroPoint else {
        throw KernelFailure(reason: "\(name): the layer was packed for another input zero point")
    }
    let status = withOptionalPointer(bias) { b in
        var x = qb_float_columns(
            x: input, stride: depth, depth: Int32(depth), scale: quant.scale, zero: Int32(quant.zeroPoint),
            max: Int32(quant.qmax), count: Int32(count))
        var output = qb_float_output(sx: quant.scale, bias: b, lo: lo, hi: hi, out: out, rs: 1, cs: rows)
        return call(&x, &output)
    }
    try KernelFailure.check(status, name)
}
