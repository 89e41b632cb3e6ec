import Crypto
import Foundation

/// SHA-256 over everything that decides what a model is fed: the settings (as canonical JSON), then
/// each sample in order (its index, label, and its preprocessed tensor as little-endian Float32 bytes,
/// or its token ids as little-endian Int32). Two runs, on any machine, that report the same
/// fingerprint evaluated the same inputs.
public struct Fingerprint: Sendable {
    private var hasher = SHA256()

    /// Starts a fingerprint with a domain tag and the settings that shape the inputs.
    public init<Settings: Encodable>(domain: String, settings: Settings) {
        hasher.update(data: Data("quantbench-fingerprint v1\n\(domain)\n".utf8))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = (try? encoder.encode(settings)) ?? Data("unencodable".utf8)
        addInt(json.count)
        hasher.update(data: json)
    }

    /// Adds one integer (little-endian Int64).
    public mutating func addInt(_ v: Int) {
        withUnsafeBytes(of: Int64(v).littleEndian) { hasher.update(bufferPointer: $0) }
    }

    /// Adds Float32 values as little-endian bytes.
    public mutating func addFloats(_ values: UnsafeBufferPointer<Float>) {
        addInt(values.count)
        #if _endian(little)
            hasher.update(bufferPointer: UnsafeRawBufferPointer(values))
        #else
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { hasher.update(bufferPointer: $0) } }
        #endif
    }

    /// Adds token ids as little-endian Int32.
    public mutating func addTokens(_ ids: [Int32]) {
        addInt(ids.count)
        for id in ids { withUnsafeBytes(of: id.littleEndian) { hasher.update(bufferPointer: $0) } }
    }

    /// Adds raw bytes (length-prefixed).
    public mutating func addBytes(_ data: Data) {
        addInt(data.count)
        hasher.update(data: data)
    }

    /// Adds a string (length-prefixed UTF-8).
    public mutating func addString(_ s: String) {
        let bytes = Array(s.utf8)
        addInt(bytes.count)
        hasher.update(data: bytes)
    }

    /// The hex digest.
    public func finalize() -> String {
        hasher.finalize().map { byte in
            let s = String(byte, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined()
    }
}
