import Foundation

/// Decodes JPEG and PNG files to 8-bit gray or RGB pixels, choosing the decoder by content.
///
/// JPEG goes through libjpeg-turbo with the settings Pillow uses (ISLOW integer DCT, fancy
/// upsampling), so pixels are identical to Pillow's for baseline, progressive, grayscale and
/// CMYK/YCCK files. PNG goes through libpng: palette expanded, 1/2/4-bit gray scaled to 8 bits,
/// 16-bit samples rounded to 8 bits as round(v / 257) (libpng's png_set_scale_16), alpha dropped.
public struct ImageDecoder: Sendable {
    public var options: DecodeOptions

    public init(options: DecodeOptions = .default) {
        self.options = options
    }

    /// Decodes the file at `path`. With `draftTarget` (the size the image will be resized to) and
    /// `options.dctScaling`, a JPEG is decoded at 1/2, 1/4 or 1/8 scale in the DCT domain when the
    /// target is at most that fraction of the source (the rule of Pillow's `Image.draft`).
    public func decode(file path: String, draftTarget: (width: Int, height: Int)? = nil) throws -> DecodedImage {
        let data = try FileReader.read(path, maxBytes: 1 << 30)
        return try decode(data, name: path, draftTarget: draftTarget)
    }

    /// Decodes image bytes; `name` is used in error messages.
    public func decode(_ data: Data, name: String, draftTarget: (width: Int, height: Int)? = nil) throws -> DecodedImage
    {
        try decode(data, name: name, draftTargetFor: draftTarget.map { t in { _, _ in t } })
    }

    /// Decodes image bytes, asking `draftTargetFor(sourceWidth, sourceHeight)` for the DCT-scaling
    /// target once the JPEG header is read.
    public func decode(
        _ data: Data, name: String,
        draftTargetFor: ((Int, Int) -> (width: Int, height: Int))?
    ) throws -> DecodedImage {
        if data.isEmpty { throw IngestError(.emptyFile, file: name, "file is empty (0 bytes)") }
        guard let format = ImageFormat.detect(data) else {
            throw IngestError(.unknownFormat, file: name, ImageFormat.describeUnknown(data))
        }
        return try data.withUnsafeBytes { bytes in
            switch format {
            case .jpeg:
                return try CodecBridge.decodeJPEG(bytes, file: name, options: options) { w, h in
                    guard options.dctScaling, let target = draftTargetFor?(w, h) else { return 1 }
                    return Self.draftScale(
                        sourceWidth: w, sourceHeight: h, targetWidth: target.width, targetHeight: target.height)
                }
            case .png:
                return try CodecBridge.decodePNG(bytes, file: name, options: options)
            case .idx:
                throw IngestError(.unknownFormat, file: name, "IDX data is not an image file")
            }
        }
    }

    /// The DCT scale denominator for a source and target size: the largest of 8, 4, 2, 1 not above
    /// `min(sourceWidth / targetWidth, sourceHeight / targetHeight)` (integer division), as Pillow's
    /// `JpegImageFile.draft` chooses it.
    public static func draftScale(sourceWidth: Int, sourceHeight: Int, targetWidth: Int, targetHeight: Int) -> Int {
        guard targetWidth > 0, targetHeight > 0 else { return 1 }
        let scale = min(sourceWidth / targetWidth, sourceHeight / targetHeight)
        for denom in [8, 4, 2] where scale >= denom { return denom }
        return 1
    }
}
