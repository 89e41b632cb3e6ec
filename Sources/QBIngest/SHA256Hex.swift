import Crypto
import Foundation

/// The SHA-256 of bytes as 64 lowercase hex digits (model cards, external variants' sources).
public enum SHA256Hex {
    public static func of(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
