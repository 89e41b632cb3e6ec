import Foundation

/// Per-sample outcomes kept in a result row, so two runs of the same suite can be compared pairwise
/// (`quantbench compare`: McNemar's exact test needs to know which samples each run got right, not only how many).
///
/// A classification row keeps whether each sample's top-1 equals its label, an agreement row whether it equals
/// FP32's, as bits (sample i in byte i/8, bit i%8), base64: 10,000 samples take 1,668 characters. Shards keep their
/// own samples' bits; `merge` concatenates them in sample order.
public enum SampleOutcomes {
    public static func encode(_ bits: [Bool]) -> String {
        var bytes = [UInt8](repeating: 0, count: (bits.count + 7) / 8)
        for (i, bit) in bits.enumerated() where bit { bytes[i / 8] |= 1 << UInt8(i % 8) }
        return Data(bytes).base64EncodedString()
    }

    /// The `count` bits of `text`, or nil when it is not base64 of exactly that many bits (unused bits zero).
    public static func decode(_ text: String, count: Int) -> [Bool]? {
        guard count >= 0, let data = Data(base64Encoded: text), data.count == (count + 7) / 8 else { return nil }
        let bytes = [UInt8](data)
        let bits = (0..<count).map { bytes[$0 / 8] & (1 << UInt8($0 % 8)) != 0 }
        if count % 8 != 0, let last = bytes.last, last >> UInt8(count % 8) != 0 { return nil }
        return bits
    }

    /// The parts' bits one after another (each part: its text and its sample count); nil if any part is absent or
    /// malformed.
    public static func concatenate(_ parts: [(text: String?, count: Int)]) -> String? {
        var bits = [Bool]()
        for part in parts {
            guard let text = part.text, let partBits = decode(text, count: part.count) else { return nil }
            bits += partBits
        }
        return encode(bits)
    }
}
