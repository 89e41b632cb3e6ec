/// Settings of image decoding. Each one that can change pixels is part of a set's fingerprint.
public struct DecodeOptions: Sendable, Equatable, Codable {
    /// Refuse images with more pixels than this (decompression-bomb guard), checked on the header
    /// before any pixel memory is allocated. Default 100 megapixels.
    public var maxPixels: Int
    /// Allow DCT-domain downscaling (libjpeg scale 1/2, 1/4, 1/8) when the preprocessing target is at
    /// most half the source size; the same rule as Pillow's `Image.draft`.
    public var dctScaling: Bool
    /// Treat libjpeg's corrupt-data warnings (premature end of data, bad Huffman code, ...) as errors.
    /// libjpeg itself only warns and fills the damaged area with gray; a benchmark must not score that.
    public var strictJPEG: Bool

    public init(maxPixels: Int = 100_000_000, dctScaling: Bool = true, strictJPEG: Bool = true) {
        self.maxPixels = maxPixels
        self.dctScaling = dctScaling
        self.strictJPEG = strictJPEG
    }

    public static let `default` = DecodeOptions()
}
