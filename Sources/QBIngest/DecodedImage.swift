/// Pixels decoded from an image file: 8 bits per sample, row-major, channels interleaved.
///
/// `channels` is 1 (grayscale sources) or 3 (RGB); alpha is always dropped. `source` records what the
/// file held before conversion, for reports and `quantbench decode`.
public struct DecodedImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [UInt8]
    public var source: SourceInfo

    /// What the file itself declared.
    public struct SourceInfo: Sendable, Equatable {
        public var format: ImageFormat
        /// Dimensions in the file (before any DCT-domain downscaling).
        public var width: Int
        public var height: Int
        /// Channels as stored: 1 gray (or palette), 2 gray+alpha, 3 RGB/YCbCr, 4 RGBA or CMYK/YCCK.
        public var channels: Int
        /// Bits per sample as stored (PNG: 1, 2, 4, 8, 16; JPEG: 8).
        public var bitDepth: Int
        /// gray, rgb, ycbcr, cmyk, ycck, palette, gray+alpha, rgba.
        public var colorModel: String
        public var interlaced: Bool
        public var progressive: Bool
        /// The DCT-domain scale denominator used (1 = full size; JPEG only).
        public var scaleDenominator: Int
    }

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8], source: SourceInfo) {
        precondition(pixels.count == width * height * channels)
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
        self.source = source
    }

    /// The pixels as RGB8 (gray replicated to three channels), row-major.
    public func rgb8() -> [UInt8] {
        if channels == 3 { return pixels }
        var out = [UInt8](repeating: 0, count: width * height * 3)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<src.count {
                    let v = src[i]
                    dst[3 * i] = v
                    dst[3 * i + 1] = v
                    dst[3 * i + 2] = v
                }
            }
        }
        return out
    }
}
