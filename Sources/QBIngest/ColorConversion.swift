/// Pixel-format conversions applied after decoding.
enum ColorConversion {
    /// Adobe-inverted CMYK (as libjpeg returns Adobe CMYK/YCCK files) to RGB, the way Pillow does it:
    /// Pillow reads CMYK JPEGs as "CMYK;I" (un-inverting each byte), then `cmyk2rgb`:
    /// `nk = 255 - K; R = clip(nk - mulDiv255(C, nk))`, with `mulDiv255(a, b) = ((t >> 8) + t) >> 8`,
    /// `t = a * b + 128`, the exact rounding of `a * b / 255`.
    static func invertedCMYKToRGB(_ raw: [UInt8]) -> [UInt8] {
        let n = raw.count / 4
        var out = [UInt8](repeating: 0, count: n * 3)
        raw.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<n {
                    let nk = Int(src[4 * i + 3])  // 255 - K, since the stored K is inverted
                    for ch in 0..<3 {
                        let c = 255 - Int(src[4 * i + ch])
                        let t = c * nk + 128
                        let v = nk - (((t >> 8) + t) >> 8)
                        dst[3 * i + ch] = UInt8(clamping: v)
                    }
                }
            }
        }
        return out
    }

    /// Drops the last channel (alpha) of interleaved gray+alpha or RGBA pixels.
    static func dropAlpha(_ raw: [UInt8], channels: Int) -> [UInt8] {
        let keep = channels - 1
        let n = raw.count / channels
        var out = [UInt8](repeating: 0, count: n * keep)
        raw.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<n {
                    for ch in 0..<keep { dst[keep * i + ch] = src[channels * i + ch] }
                }
            }
        }
        return out
    }
}
