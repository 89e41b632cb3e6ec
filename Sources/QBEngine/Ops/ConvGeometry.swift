/// The spatial geometry of Conv and pooling nodes: kernel, strides, dilations and pads, with
/// `auto_pad` resolved, for any number of spatial axes (`as2D` gives the 1-D and 2-D form the fast kernels take).
struct ConvGeometry: Equatable {
    var kernel: [Int]
    var strides: [Int]
    var dilations: [Int]
    /// Begin pads then end pads, per spatial axis.
    var padsBegin: [Int]
    var padsEnd: [Int]
    var outSize: [Int]

    /// Resolves the attributes for input spatial size `inSize` and kernel size `kernel`.
    /// `ceilMode` rounds the output size up (pools).
    init(_ ctx: OpContext, inSize: [Int], kernel: [Int], ceilMode: Bool = false) throws {
        let n = inSize.count
        guard n >= 1 else { throw ctx.fail(.shapeMismatch, "the input has no spatial axis") }
        guard kernel.count == n, kernel.allSatisfy({ $0 > 0 }) else {
            throw ctx.fail(.badAttribute, "kernel shape \(kernel) does not fit \(n) spatial dimensions")
        }
        self.kernel = kernel
        strides = try ctx.ints("strides") ?? [Int](repeating: 1, count: n)
        dilations = try ctx.ints("dilations") ?? [Int](repeating: 1, count: n)
        guard strides.count == n, strides.allSatisfy({ $0 > 0 }) else {
            throw ctx.fail(.badAttribute, "strides \(strides) must be \(n) positive values")
        }
        guard dilations.count == n, dilations.allSatisfy({ $0 > 0 }) else {
            throw ctx.fail(.badAttribute, "dilations \(dilations) must be \(n) positive values")
        }
        let autoPad = try ctx.string("auto_pad", "NOTSET")
        var pads = try ctx.ints("pads") ?? [Int](repeating: 0, count: 2 * n)
        guard pads.count == 2 * n, pads.allSatisfy({ $0 >= 0 }) else {
            throw ctx.fail(.badAttribute, "pads \(pads) must be \(2 * n) non-negative values")
        }
        outSize = []
        for i in 0..<n {
            let effective = (kernel[i] - 1) * dilations[i] + 1
            switch autoPad {
            case "NOTSET":
                break
            case "VALID":
                pads[i] = 0
                pads[i + n] = 0
            case "SAME_UPPER", "SAME_LOWER":
                let out = (inSize[i] + strides[i] - 1) / strides[i]
                let total = max((out - 1) * strides[i] + effective - inSize[i], 0)
                let small = total / 2, large = total - small
                pads[i] = autoPad == "SAME_UPPER" ? small : large
                pads[i + n] = autoPad == "SAME_UPPER" ? large : small
            default:
                throw ctx.fail(.badAttribute, "auto_pad \(autoPad) is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER")
            }
            let span = inSize[i] + pads[i] + pads[i + n] - effective
            guard span >= 0 else {
                throw ctx.fail(.shapeMismatch, "kernel \(kernel) (dilated) is larger than the padded input \(inSize)")
            }
            var o = (ceilMode ? (span + strides[i] - 1) / strides[i] : span / strides[i]) + 1
            // A ceil-mode window must start inside the input or its left padding.
            if ceilMode && (o - 1) * strides[i] >= inSize[i] + pads[i] { o -= 1 }
            outSize.append(o)
        }
        padsBegin = Array(pads[0..<n])
        padsEnd = Array(pads[n..<(2 * n)])
    }

    /// The 2-D form: (kh, kw, sh, sw, dh, dw, pt, pl, oh, ow), height 1 for 1-D ops (1-D and 2-D only).
    var as2D: (kh: Int, kw: Int, sh: Int, sw: Int, dh: Int, dw: Int, pt: Int, pl: Int, oh: Int, ow: Int) {
        if kernel.count == 1 {
            return (1, kernel[0], 1, strides[0], 1, dilations[0], 0, padsBegin[0], 1, outSize[0])
        }
        return (
            kernel[0], kernel[1], strides[0], strides[1], dilations[0], dilations[1], padsBegin[0], padsBegin[1],
            outSize[0], outSize[1]
        )
    }
}

/// A Conv node's resolved window for a given input (2-D form; a 1-D convolution has height 1), for
/// kernels outside the operator table (the quantized layers).
public struct ConvWindow: Sendable, Equatable {
    public var kh, kw, sh, sw, dh, dw, pt, pl, oh, ow: Int
    /// The output's spatial size (one value for a 1-D convolution).
    public var outSize: [Int]

    /// Resolves `node`'s strides, dilations and pads (`auto_pad` included) for spatial input `inSize`
    /// and kernel `kernel`; errors name the node.
    public init(node: Node, file: String, inSize: [Int], kernel: [Int]) throws {
        let ctx = OpContext(node: node, file: file, opset: 17)
        guard inSize.count <= 2 else {
            throw ctx.fail(.unsupported, "\(inSize.count)-D spatial input is not supported here (1-D and 2-D are)")
        }
        let g = try ConvGeometry(ctx, inSize: inSize, kernel: kernel)
        let t = g.as2D
        (kh, kw, sh, sw, dh, dw, pt, pl, oh, ow) = (t.kh, t.kw, t.sh, t.sw, t.dh, t.dw, t.pt, t.pl, t.oh, t.ow)
        outSize = g.outSize
    }

}
