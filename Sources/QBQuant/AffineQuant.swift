import CKernels
import QBTensor

/// Per-tensor affine quantization of activations (Jacob et al., CVPR 2018, eq. 1): `r = S (q - Z)` with
/// unsigned codes `q` in `[0, 2^bits - 1]` and an integer zero point `Z` that represents 0.0 exactly.
public struct AffineQuant: Sendable, Equatable, Codable {
    public var scale: Float
    public var zeroPoint: Int
    public var bits: Int

    public var qmax: Int { (1 << bits) - 1 }

    public init(scale: Float, zeroPoint: Int, bits: Int) {
        self.scale = scale
        self.zeroPoint = zeroPoint
        self.bits = bits
    }

    /// The quantizer of the real range `[lo, hi]`, widened to contain 0: `S = (hi - lo) / (2^bits - 1)`,
    /// `Z = round(-lo / S)` (half away from zero). An empty range (all zeros) gets `S = 1`.
    public init(lo: Float, hi: Float, bits: Int) {
        let l = lo.isFinite ? min(lo, 0) : 0, h = hi.isFinite ? max(hi, 0) : 0
        var s = (h - l) / Float((1 << bits) - 1)
        if !(s > 0) || !s.isFinite { s = 1 }
        self.init(scale: s, zeroPoint: min(max(Int((-l / s).rounded()), 0), (1 << bits) - 1), bits: bits)
    }

    /// Whether the quantizer can run: a positive finite scale, 1...8 bits, the zero point among the codes
    /// (a `.qbqm` header is checked with it).
    public var isValid: Bool { scale.isFinite && scale > 0 && (1...8).contains(bits) && (0...qmax).contains(zeroPoint) }

    /// The code of `x` minus the zero point: `clamp(round(x / S) + Z, 0, qmax) - Z` (NaN gives 0).
    @inline(__always)
    public func centered(_ x: Float) -> Int {
        var v = (x / scale).rounded()
        if v.isNaN { v = 0 }
        v = min(max(v, Float(-zeroPoint)), Float(qmax - zeroPoint))
        return Int(v)
    }

    /// The centered codes of a tensor (the integer kernels' input), in blocks over `threads` (element-wise:
    /// the same codes whatever the split).
    public func centered(_ xs: [Float], threads: Int = 1) -> [Int16] {
        var out = [Int16](unsafeUninitializedCapacity: xs.count) { _, initialized in initialized = xs.count }
        let block = 1 << 16, parts = (xs.count + block - 1) / block
        let (scale, zp, qmax) = (scale, Int32(zeroPoint), Int32(qmax))
        xs.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                guard let s = src.baseAddress, let d = dst.baseAddress else { return }
                let (sp, dp) = (SharedConstPointer(s), SharedPointer(d))
                Parallel.forEach(count: parts, workers: threads) { i in
                    let lo = i * block, n = min(block, xs.count - lo)
                    qb_quantize_i16(sp.pointer + lo, n, scale, zp, qmax, dp.base + lo)  // the same formula in C
                }
            }
        }
        return out
    }

    /// Quantize then dequantize: `S (q(x) - Z)`, the simulated form.
    public func fakeQuant(_ xs: [Float]) -> [Float] {
        xs.map { scale * Float(centered($0)) }
    }
}
