/// Runs `Preprocessing` on decoded images: a separable resize computed only over the center-crop
/// window, then normalization into a CHW Float32 tensor.
public struct Preprocessor: Sendable {
    public let settings: Preprocessing

    public init(_ settings: Preprocessing) throws {
        try settings.validate()
        self.settings = settings
    }

    /// The size to hand the decoder as its DCT-scaling (draft) target for a source of this size.
    public func draftTarget(sourceWidth: Int, sourceHeight: Int) -> (width: Int, height: Int) {
        settings.resizedSize(width: sourceWidth, height: sourceHeight)
    }

    /// Preprocesses one image into `[channels, size, size]` floats, written to `out`
    /// (`out.count == channels * size * size`).
    public func run(_ image: DecodedImage, into out: UnsafeMutableBufferPointer<Float>) {
        let s = settings
        precondition(out.count == s.channels * s.size * s.size)
        // Channel conversion on 8-bit pixels: RGB -> luma when one channel is wanted.
        var pixels = image.pixels
        var c = image.channels
        if s.channels == 1 && c == 3 {
            pixels = Self.luma(image.pixels)
            c = 1
        }
        // Full resized size from the file's own size; the decoder may have shrunk the pixels (draft).
        let full = s.resizedSize(width: image.source.width, height: image.source.height)
        let left = Int((Double(full.width - s.size) / 2).rounded(.toNearestOrEven))
        let top = Int((Double(full.height - s.size) / 2).rounded(.toNearestOrEven))
        let tx = ResampleTaps(
            inSize: image.width, outSize: full.width, outRange: left..<(left + s.size),
            filter: s.filter, antialias: s.antialias)
        let ty = ResampleTaps(
            inSize: image.height, outSize: full.height, outRange: top..<(top + s.size),
            filter: s.filter, antialias: s.antialias)
        let plane = s.size * s.size
        let rowLen = s.size * c
        let yFirst = ty.start.first!, yEnd = ty.start.last! + ty.width
        var rows = [Float](repeating: 0, count: (yEnd - yFirst) * rowLen)
        var line = [Float](repeating: 0, count: image.width * c)
        var acc = [Float](repeating: 0, count: rowLen)

        pixels.withUnsafeBufferPointer { src in
            rows.withUnsafeMutableBufferPointer { rowsBuf in
                line.withUnsafeMutableBufferPointer { lineBuf in
                    tx.weights.withUnsafeBufferPointer { wx in
                        // Horizontal pass over the source rows the vertical taps need.
                        for y in yFirst..<yEnd {
                            let srcRow = src.baseAddress! + y * image.width * c
                            for i in 0..<(image.width * c) { lineBuf[i] = Float(srcRow[i]) }
                            let dst = rowsBuf.baseAddress! + (y - yFirst) * rowLen
                            Self.horizontal(
                                lineBuf.baseAddress!, channels: c, taps: tx, weights: wx.baseAddress!, into: dst)
                        }
                    }
                }
            }
        }
        rows.withUnsafeBufferPointer { rowsBuf in
            acc.withUnsafeMutableBufferPointer { accBuf in
                ty.weights.withUnsafeBufferPointer { wy in
                    for oy in 0..<s.size {
                        for j in 0..<rowLen { accBuf[j] = 0 }
                        let base = ty.start[oy] - yFirst
                        for k in 0..<ty.width {
                            let w = wy[oy * ty.width + k]
                            if w == 0 { continue }
                            let row = rowsBuf.baseAddress! + (base + k) * rowLen
                            for j in 0..<rowLen { accBuf[j] += w * row[j] }
                        }
                        // Normalize and scatter to CHW (gray replicated when three channels are wanted).
                        for ch in 0..<s.channels {
                            let srcCh = c == 1 ? 0 : ch
                            let mul = s.scale / s.std[ch]
                            let add = -s.mean[ch] / s.std[ch]
                            let dst = out.baseAddress! + ch * plane + oy * s.size
                            for ox in 0..<s.size { dst[ox] = accBuf[ox * c + srcCh] * mul + add }
                        }
                    }
                }
            }
        }
    }

    /// Preprocesses one image into a new `[channels, size, size]` tensor's storage.
    public func run(_ image: DecodedImage) -> [Float] {
        var out = [Float](repeating: 0, count: settings.channels * settings.size * settings.size)
        out.withUnsafeMutableBufferPointer { run(image, into: $0) }
        return out
    }

    @inline(__always)
    private static func horizontal(
        _ line: UnsafePointer<Float>, channels c: Int, taps: ResampleTaps,
        weights: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>
    ) {
        let width = taps.width
        taps.start.withUnsafeBufferPointer { start in
            for ox in 0..<start.count {
                let w = weights + ox * width
                let p = line + start[ox] * c
                if c == 1 {
                    var a: Float = 0
                    for k in 0..<width { a += w[k] * p[k] }
                    dst[ox] = a
                } else {
                    var r: Float = 0, g: Float = 0, b: Float = 0
                    for k in 0..<width {
                        let wk = w[k]
                        r += wk * p[3 * k]
                        g += wk * p[3 * k + 1]
                        b += wk * p[3 * k + 2]
                    }
                    dst[3 * ox] = r
                    dst[3 * ox + 1] = g
                    dst[3 * ox + 2] = b
                }
            }
        }
    }

    /// ITU-R 601-2 luma with Pillow's fixed-point rounding: `(R*19595 + G*38470 + B*7471 + 0x8000) >> 16`.
    static func luma(_ rgb: [UInt8]) -> [UInt8] {
        let n = rgb.count / 3
        var out = [UInt8](repeating: 0, count: n)
        rgb.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<n {
                    let v = Int(src[3 * i]) * 19595 + Int(src[3 * i + 1]) * 38470 + Int(src[3 * i + 2]) * 7471 + 0x8000
                    dst[i] = UInt8(truncatingIfNeeded: v >> 16)
                }
            }
        }
        return out
    }
}
