import Foundation

/// BERT's WordPiece tokenizer, compatible with a BERT `vocab.txt` and with Hugging Face's
/// `BertTokenizer` (uncased): the same ids for the same text.
///
/// Basic tokenization (Devlin et al. 2019; HF `BasicTokenizer`): drop NUL, U+FFFD and control
/// characters (Unicode category C*, except tab, LF and CR) and map whitespace (space, tab, LF, CR,
/// category Zs) to a space; put spaces around CJK ideographs; NFC-normalize; split on whitespace;
/// per word, lower-case (full Unicode mapping, with the final-sigma rule) and strip accents (NFD,
/// drop category Mn); split off every punctuation character (ASCII non-alphanumerics, category P*).
/// Then WordPiece (Wu et al. 2016): greedy longest-match-first over code points, continuation pieces
/// prefixed `##`; a word longer than 100 code points, or one that cannot be covered, is `[UNK]`.
public struct WordPieceTokenizer: Sendable {
    public let vocabulary: [String]
    private let ids: [[UInt8]: Int32]
    public let lowercase: Bool
    public let stripAccents: Bool
    public let maxCharsPerWord = 100
    public let unkID: Int32
    public let clsID: Int32
    public let sepID: Int32
    public let padID: Int32

    /// Loads `vocab.txt` (one token per line, id = line number from 0).
    public init(vocabularyFile path: String, lowercase: Bool = true, stripAccents: Bool? = nil) throws {
        let data = try FileReader.read(path)
        guard let text = String(data: data, encoding: .utf8) else {
            throw IngestError(.badVocabulary, file: path, "vocabulary is not valid UTF-8")
        }
        var tokens = text.components(separatedBy: "\n")
        if tokens.last == "" { tokens.removeLast() }
        try self.init(vocabulary: tokens, file: path, lowercase: lowercase, stripAccents: stripAccents)
    }

    /// A tokenizer over an in-memory vocabulary; it must hold [UNK], [CLS], [SEP] and [PAD].
    public init(vocabulary: [String], file: String = "vocabulary", lowercase: Bool = true, stripAccents: Bool? = nil)
        throws
    {
        var ids = [[UInt8]: Int32]()
        // Python's load_vocab assigns vocab[token] = index in order, so a repeated token keeps its LAST index.
        for (i, token) in vocabulary.enumerated() { ids[Array(token.utf8)] = Int32(i) }
        func special(_ name: String) throws -> Int32 {
            guard let id = ids[Array(name.utf8)] else {
                throw IngestError(.badVocabulary, file: file, "the vocabulary has no \(name) token")
            }
            return id
        }
        self.vocabulary = vocabulary
        self.ids = ids
        self.lowercase = lowercase
        self.stripAccents = stripAccents ?? lowercase
        self.unkID = try special("[UNK]")
        self.clsID = try special("[CLS]")
        self.sepID = try special("[SEP]")
        self.padID = try special("[PAD]")
    }

    /// The ids of `[CLS] text [SEP]`; with `maxLength`, the word pieces are cut so that the whole
    /// sequence (special tokens included) has at most `maxLength` ids (`truncation=True`).
    public func encode(_ text: String, maxLength: Int? = nil) -> [Int32] {
        var pieces = pieceIDs(text)
        if let maxLength, pieces.count + 2 > maxLength { pieces = Array(pieces.prefix(max(maxLength - 2, 0))) }
        return [clsID] + pieces + [sepID]
    }

    /// The word-piece ids of `text`, without special tokens.
    public func pieceIDs(_ text: String) -> [Int32] {
        var out = [Int32]()
        for word in basicTokens(text) { wordPieces(word, into: &out) }
        return out
    }

    /// The word-piece strings of `text`, without special tokens.
    public func tokenize(_ text: String) -> [String] {
        pieceIDs(text).map { vocabulary[Int($0)] }
    }

    // MARK: Basic tokenization

    /// Words after cleaning, CJK spacing, NFC, whitespace split, lower-casing, accent stripping and
    /// punctuation splitting; each word is a list of code points.
    func basicTokens(_ text: String) -> [[Unicode.Scalar]] {
        var cleaned = String.UnicodeScalarView()
        for s in text.unicodeScalars {
            let v = s.value
            if v == 0 || v == 0xFFFD || Self.isControl(s) { continue }
            if Self.isWhitespace(s) {
                cleaned.append(" ")
            } else if Self.isCJK(v) {
                cleaned.append(" ")
                cleaned.append(s)
                cleaned.append(" ")
            } else {
                cleaned.append(s)
            }
        }
        let nfc = String(cleaned).precomposedStringWithCanonicalMapping
        var words = [[Unicode.Scalar]]()
        for raw in Self.splitOnWhitespace(Array(nfc.unicodeScalars)) {
            var word = raw
            if lowercase { word = Self.lowercased(word) }
            if stripAccents {
                let nfd = String(String.UnicodeScalarView(word)).decomposedStringWithCanonicalMapping
                word = nfd.unicodeScalars.filter { $0.properties.generalCategory != .nonspacingMark }
            }
            // Split off punctuation; the pieces are re-split on whitespace (lower-casing never adds any).
            var current = [Unicode.Scalar]()
            for s in word {
                if Self.isPunctuation(s) {
                    if !current.isEmpty {
                        words.append(contentsOf: Self.splitOnWhitespace(current))
                        current = []
                    }
                    words.append([s])
                } else {
                    current.append(s)
                }
            }
            if !current.isEmpty { words.append(contentsOf: Self.splitOnWhitespace(current)) }
        }
        return words
    }

    /// Greedy longest-match-first WordPiece of one word.
    private func wordPieces(_ word: [Unicode.Scalar], into out: inout [Int32]) {
        if word.count > maxCharsPerWord {
            out.append(unkID)
            return
        }
        var offsets = [0]  // UTF-8 byte offset of each code point, and the end
        var bytes = [UInt8]()
        for s in word {
            bytes.append(contentsOf: String(s).utf8)
            offsets.append(bytes.count)
        }
        let mark = out.count
        var start = 0
        var key = [UInt8]()
        while start < word.count {
            var end = word.count
            var found: Int32? = nil
            while start < end {
                key.removeAll(keepingCapacity: true)
                if start > 0 {
                    key.append(0x23)
                    key.append(0x23)
                }  // "##"
                key.append(contentsOf: bytes[offsets[start]..<offsets[end]])
                if let id = ids[key] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let id = found else {
                out.removeSubrange(mark...)
                out.append(unkID)
                return
            }
            out.append(id)
            start = end
        }
    }

    // MARK: Character classes (as HF's tokenization utilities define them)

    /// Splits on the characters Python's `str.split()` treats as whitespace and that survive cleaning.
    static func splitOnWhitespace(_ scalars: [Unicode.Scalar]) -> [[Unicode.Scalar]] {
        scalars.split(whereSeparator: {
            $0 == " " || $0 == "\u{2028}" || $0 == "\u{2029}" || $0.properties.generalCategory == .spaceSeparator
                || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\u{0B}" || $0 == "\u{0C}"
        }).map(Array.init)
    }

    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        s == " " || s == "\t" || s == "\n" || s == "\r" || s.properties.generalCategory == .spaceSeparator
    }

    static func isControl(_ s: Unicode.Scalar) -> Bool {
        if s == "\t" || s == "\n" || s == "\r" { return false }
        switch s.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }

    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) {
            return true
        }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default: return false
        }
    }

    static func isCJK(_ v: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x20000...0x2A6DF).contains(v)
            || (0x2A700...0x2B73F).contains(v) || (0x2B740...0x2B81F).contains(v) || (0x2B820...0x2CEAF).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0x2F800...0x2FA1F).contains(v)
    }

    /// Python's `str.lower()`: the full lower-case mapping of each code point, except that capital
    /// sigma becomes final sigma (U+03C2) when it ends a word (Unicode's Final_Sigma condition).
    static func lowercased(_ word: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out = [Unicode.Scalar]()
        out.reserveCapacity(word.count)
        for (i, s) in word.enumerated() {
            if s == "\u{03A3}" && finalSigma(word, at: i) {
                out.append("\u{03C2}")
                continue
            }
            out.append(contentsOf: s.properties.lowercaseMapping.unicodeScalars)
        }
        return out
    }

    private static func finalSigma(_ word: [Unicode.Scalar], at i: Int) -> Bool {
        var j = i - 1
        while j >= 0 && word[j].properties.isCaseIgnorable { j -= 1 }
        guard j >= 0, word[j].properties.isCased else { return false }
        var k = i + 1
        while k < word.count && word[k].properties.isCaseIgnorable { k += 1 }
        return !(k < word.count && word[k].properties.isCased)
    }
}
