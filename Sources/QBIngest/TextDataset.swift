import Foundation

/// A labeled text set (classification): CSV (RFC 4180, with a header) or JSON Lines, one text and
/// one label per record, in file order.
public struct TextDataset: Sendable {
    public struct Sample: Sendable, Equatable {
        public var text: String
        public var label: Int
        /// The line the record starts on.
        public var line: Int
    }

    public let location: String
    public let classes: [String]
    public let samples: [Sample]

    /// Reads `textColumn` and `labelColumn` (JSON Lines: those fields). Classes are
    /// `declaredClasses` in that order (a label outside them is an error naming its line) or the
    /// sorted distinct labels.
    public static func labeled(
        _ file: String, textColumn: String = "text", labelColumn: String = "label",
        declaredClasses: [String]? = nil
    ) throws -> TextDataset {
        let rows = try ManifestRows.read(file, columns: [textColumn, labelColumn])
        if rows.isEmpty { throw IngestError(.badDataset, file: file, "no records") }
        let classes = try ManifestRows.classes(
            rows.map { ($0.line, $0.values[1]) }, declared: declaredClasses, file: file)
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        let samples = rows.map { Sample(text: $0.values[0], label: index[$0.values[1]]!, line: $0.line) }
        return TextDataset(location: file, classes: classes, samples: samples)
    }

    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: classes.count)
        for s in samples { counts[s.label] += 1 }
        return counts
    }
}

/// A raw text corpus for language-model perplexity: one or more UTF-8 files, concatenated in the
/// given order.
public struct TextCorpus: Sendable {
    public let files: [String]
    public let text: String

    public init(files: [String]) throws {
        guard !files.isEmpty else { throw IngestError(.badDataset, file: "corpus", "no corpus files given") }
        var text = ""
        for f in files {
            let data = try FileReader.read(f)
            let bytes = [UInt8](data)
            guard let s = String(validating: bytes, as: UTF8.self) else {
                let offset = Self.firstInvalidUTF8(bytes) ?? 0
                let line = 1 + bytes[..<offset].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
                throw IngestError(.corrupt, file: f, line: line, "not valid UTF-8 text (bad byte at offset \(offset))")
            }
            text += s
        }
        self.files = files
        self.text = text
    }

    /// The offset of the first byte that does not start a valid UTF-8 sequence.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded): offset += encoded.count
            case .error(let length):
                _ = length
                return offset
            case .emptyInput: return nil
            }
        }
    }
}

/// How text becomes token ids, recorded in fingerprints.
public struct TextTokenization: Sendable, Codable, Equatable {
    /// "bytes" or "wordpiece".
    public var tokenizer: String
    /// The vocabulary's SHA-256 (WordPiece), so a changed vocab changes the fingerprint.
    public var vocabularySHA256: String?
    public var maxLength: Int?
}
