/// The byte-level tokenizer: each UTF-8 byte of the text is one token, id = byte value (0...255).
/// Vocabulary size 256, nothing unknown; the tokenizer of the character-level language models.
public struct ByteTokenizer: Sendable {
    public static let vocabularySize = 256

    public init() {}

    public func encode(_ text: String) -> [Int32] {
        text.utf8.map { Int32($0) }
    }

    /// The text of byte ids (invalid UTF-8 sequences become U+FFFD).
    public func decode(_ ids: [Int32]) -> String {
        String(decoding: ids.map { UInt8(truncatingIfNeeded: $0) }, as: UTF8.self)
    }
}
