import Foundation

/// An IDX file (the MNIST / Fashion-MNIST format): magic `00 00 08 n` (unsigned bytes, n dimensions),
/// n big-endian UInt32 sizes, then the data, row-major. Read raw or gzip-compressed (detected by
/// content: gzip starts with `1f 8b`).
public struct IDXFile: Sendable {
    public let dimensions: [Int]
    public let data: [UInt8]

    /// Reads and validates an IDX file; `maxBytes` bounds the (decompressed) size.
    public init(path: String, maxBytes: Int = 1 << 31) throws {
        let raw = try FileReader.read(path, maxBytes: maxBytes)
        var bytes: [UInt8]
        if raw.count >= 2, raw[raw.startIndex] == 0x1F, raw[raw.startIndex + 1] == 0x8B {
            bytes = try raw.withUnsafeBytes { try CodecBridge.gunzip($0, file: path, maxBytes: maxBytes) }
        } else {
            bytes = [UInt8](raw)
        }
        try self.init(bytes: bytes, file: path)
    }

    /// Parses IDX bytes (already decompressed).
    public init(bytes: [UInt8], file: String) throws {
        guard bytes.count >= 4, bytes[0] == 0, bytes[1] == 0 else {
            throw IngestError(.unknownFormat, file: file, "not an IDX file: the first two bytes must be 00 00")
        }
        guard bytes[2] == 0x08 else {
            throw IngestError(
                .unsupported, file: file,
                String(format: "IDX element type 0x%02x is not supported (only 0x08, unsigned byte)", bytes[2]))
        }
        let rank = Int(bytes[3])
        guard rank >= 1, rank <= 4 else {
            throw IngestError(.corrupt, file: file, "IDX rank \(rank) is out of range 1...4")
        }
        guard bytes.count >= 4 + 4 * rank else { throw IngestError(.truncated, file: file, "IDX header is cut short") }
        var dims = [Int]()
        for d in 0..<rank {
            let o = 4 + 4 * d
            let v = Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3])
            dims.append(v)
        }
        // Four 32-bit dimensions can multiply past Int.max: an overflowing product is more data than any file has.
        var expected = 1
        for d in dims {
            let (p, overflow) = expected.multipliedReportingOverflow(by: d)
            guard !overflow else {
                throw IngestError(
                    .corrupt, file: file, "IDX header declares \(dims) elements, more than any file can hold")
            }
            expected = p
        }
        let have = bytes.count - 4 - 4 * rank
        if have < expected {
            throw IngestError(
                .truncated, file: file, "IDX header declares \(dims) = \(expected) bytes of data, the file has \(have)")
        }
        if have > expected {
            throw IngestError(
                .corrupt, file: file,
                "IDX header declares \(dims) = \(expected) bytes of data, the file has \(have - expected) bytes more")
        }
        self.dimensions = dims
        self.data = Array(bytes[(4 + 4 * rank)...])
    }
}
