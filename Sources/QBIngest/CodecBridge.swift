import CImageShim

/// The one Swift file that calls the C libraries (libjpeg-turbo, libpng, zlib), through the shim in
/// `Sources/CImageShim`, which keeps setjmp/longjmp error recovery inside C.
enum CodecBridge {
    /// Bytes a decoder may read; must outlive the decoder (the shim keeps pointers into them).
    typealias Bytes = UnsafeRawBufferPointer

    // MARK: JPEG

    /// Decodes a JPEG held in memory. `scaleFor(width, height)` picks the DCT scale denominator
    /// (1, 2, 4 or 8) once the header is known.
    static func decodeJPEG(
        _ bytes: Bytes, file: String, options: DecodeOptions,
        scaleFor: (Int, Int) -> Int
    ) throws -> DecodedImage {
        guard let dec = qb_jpeg_create() else {
            throw IngestError(.corrupt, file: file, "out of memory creating a JPEG decoder")
        }
        defer { qb_jpeg_destroy(dec) }
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)

        var header = qb_jpeg_header()
        if qb_jpeg_read_header(dec, base, bytes.count, &header) != 0 {
            throw jpegError(dec, file: file, stage: "reading the JPEG header")
        }
        let width = Int(header.width), height = Int(header.height)
        try checkPixels(width: width, height: height, file: file, options: options)
        let model: String
        switch header.color_space {
        case 1: model = "gray"
        case 2: model = "rgb"
        case 3: model = "ycbcr"
        case 4: model = "cmyk"
        case 5: model = "ycck"
        default:
            throw IngestError(
                .unsupported, file: file,
                "JPEG color space \(header.color_space) with \(header.components) components is not supported")
        }
        let denom = scaleFor(width, height)
        var outW: UInt32 = 0, outH: UInt32 = 0
        var outChannels: Int32 = 0
        if qb_jpeg_start(dec, Int32(denom), &outW, &outH, &outChannels) != 0 {
            throw jpegError(dec, file: file, stage: "starting JPEG decompression")
        }
        let w = Int(outW), h = Int(outH), c = Int(outChannels)
        var raw = [UInt8](repeating: 0, count: w * h * c)
        let rc = raw.withUnsafeMutableBufferPointer { qb_jpeg_read(dec, $0.baseAddress!, w * c) }
        if rc != 0 { throw jpegError(dec, file: file, stage: "decoding JPEG scanlines") }
        if options.strictJPEG, qb_jpeg_warning_count(dec) > 0 {
            let warning = String(cString: qb_jpeg_first_warning(dec))
            let kind: IngestErrorKind = warning.localizedPremature ? .truncated : .corrupt
            throw IngestError(
                kind, file: file,
                "libjpeg reported damaged data: \(warning)"
                    + (qb_jpeg_warning_count(dec) > 1 ? " (and \(qb_jpeg_warning_count(dec) - 1) more warnings)" : ""))
        }
        let source = DecodedImage.SourceInfo(
            format: .jpeg, width: width, height: height, channels: Int(header.components),
            bitDepth: Int(header.data_precision), colorModel: model, interlaced: false,
            progressive: header.progressive != 0, scaleDenominator: denom)
        if c == 4 {
            return DecodedImage(
                width: w, height: h, channels: 3, pixels: ColorConversion.invertedCMYKToRGB(raw), source: source)
        }
        return DecodedImage(width: w, height: h, channels: c, pixels: raw, source: source)
    }

    private static func jpegError(_ dec: OpaquePointer, file: String, stage: String) -> IngestError {
        let message = String(cString: qb_jpeg_message(dec))
        let kind: IngestErrorKind = message.localizedPremature ? .truncated : .corrupt
        return IngestError(kind, file: file, "\(stage): \(message.isEmpty ? "libjpeg failed" : message)")
    }

    // MARK: PNG

    /// Decodes a PNG held in memory to 8-bit gray or RGB (alpha dropped, 16-bit rounded to 8 bits).
    static func decodePNG(_ bytes: Bytes, file: String, options: DecodeOptions) throws -> DecodedImage {
        guard let dec = qb_png_create() else {
            throw IngestError(.corrupt, file: file, "out of memory creating a PNG decoder")
        }
        defer { qb_png_destroy(dec) }
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var header = qb_png_header()
        if qb_png_read_header(dec, base, bytes.count, &header) != 0 {
            throw pngError(dec, file: file, stage: "reading the PNG header")
        }
        let width = Int(header.width), height = Int(header.height)
        try checkPixels(width: width, height: height, file: file, options: options)
        let rowBytes = Int(header.out_rowbytes), outChannels = Int(header.out_channels)
        guard rowBytes == width * outChannels else {
            throw IngestError(
                .unsupported, file: file, "unexpected decoded row size \(rowBytes) for \(width) x \(outChannels)")
        }
        var raw = [UInt8](repeating: 0, count: rowBytes * height)
        let rc = raw.withUnsafeMutableBufferPointer { qb_png_read(dec, $0.baseAddress!, rowBytes) }
        if rc != 0 { throw pngError(dec, file: file, stage: "decoding PNG image data") }

        let fileChannels: Int, model: String
        switch header.color_type {
        case 0: (fileChannels, model) = (1, "gray")
        case 2: (fileChannels, model) = (3, "rgb")
        case 3: (fileChannels, model) = (1, "palette")
        case 4: (fileChannels, model) = (2, "gray+alpha")
        case 6: (fileChannels, model) = (4, "rgba")
        default: throw IngestError(.unsupported, file: file, "PNG color type \(header.color_type)")
        }
        let source = DecodedImage.SourceInfo(
            format: .png, width: width, height: height, channels: fileChannels, bitDepth: Int(header.bit_depth),
            colorModel: model, interlaced: header.interlaced != 0, progressive: false, scaleDenominator: 1)
        switch outChannels {
        case 1, 3:
            return DecodedImage(width: width, height: height, channels: outChannels, pixels: raw, source: source)
        case 2, 4:
            return DecodedImage(
                width: width, height: height, channels: outChannels - 1,
                pixels: ColorConversion.dropAlpha(raw, channels: outChannels), source: source)
        default:
            throw IngestError(.unsupported, file: file, "PNG decoded to \(outChannels) channels")
        }
    }

    private static func pngError(_ dec: OpaquePointer, file: String, stage: String) -> IngestError {
        let message = String(cString: qb_png_message(dec))
        let lower = message.lowercased()
        let kind: IngestErrorKind =
            (lower.contains("truncated") || lower.contains("not enough") || lower.contains("read error"))
            ? .truncated : .corrupt
        return IngestError(kind, file: file, "\(stage): \(message.isEmpty ? "libpng failed" : message)")
    }

    private static func checkPixels(width: Int, height: Int, file: String, options: DecodeOptions) throws {
        guard width > 0, height > 0 else {
            throw IngestError(.corrupt, file: file, "image has no pixels (\(width) x \(height))")
        }
        if width.multipliedReportingOverflow(by: height).partialValue > options.maxPixels || width > 1 << 24
            || height > 1 << 24
        {
            throw IngestError(
                .tooLarge, file: file,
                "header declares \(width) x \(height) = \(width * height) pixels, over the limit of "
                    + "\(options.maxPixels) (decompression-bomb guard; raise it with --max-pixels)"
            )
        }
    }

    // MARK: gzip

    /// Inflates gzip data (one or more members), refusing output larger than `maxBytes`.
    static func gunzip(_ bytes: Bytes, file: String, maxBytes: Int) throws -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>? = nil
        var outSize = 0
        var message = [CChar](repeating: 0, count: Int(QB_MSG_CAP))
        let rc = qb_gunzip(
            bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count, maxBytes, &out, &outSize, &message)
        guard rc == 0, let out else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw IngestError(
                rc == -2 ? .tooLarge : (text.contains("truncated") ? .truncated : .corrupt), file: file, text)
        }
        defer { qb_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: outSize))
    }
}

private extension String {
    /// libjpeg's words for a file that ends early (JWRN_JPEG_EOF), as opposed to a damaged segment.
    var localizedPremature: Bool { contains("Premature end of JPEG file") }
}
