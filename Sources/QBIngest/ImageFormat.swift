/// A container format recognised by its leading bytes ("magic"), never by the file name.
public enum ImageFormat: String, Sendable, Codable {
    case jpeg
    case png
    /// IDX unsigned-byte arrays (MNIST-style); never detected as an image file.
    case idx

    /// Detects the format from the first bytes of a file; nil when the bytes are neither JPEG nor PNG.
    ///
    /// JPEG: SOI marker `FF D8` followed by another marker byte `FF`.
    /// PNG: the 8-byte signature `89 50 4E 47 0D 0A 1A 0A`.
    public static func detect<C: Collection>(_ bytes: C) -> ImageFormat? where C.Element == UInt8 {
        let head = Array(bytes.prefix(8))
        if head.count >= 3, head[0] == 0xFF, head[1] == 0xD8, head[2] == 0xFF { return .jpeg }
        if head == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] { return .png }
        return nil
    }

    /// Says what unknown leading bytes are, for error messages.
    static func describeUnknown<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        let head = Array(bytes.prefix(8))
        let hex = head.map { byte -> String in
            let s = String(byte, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined(separator: " ")
        if head.starts(with: [0x1F, 0x8B]) { return "gzip data (\(hex)), not an image" }
        return "leading bytes \(hex) are neither JPEG (ff d8 ff) nor PNG (89 50 4e 47 0d 0a 1a 0a)"
    }
}
