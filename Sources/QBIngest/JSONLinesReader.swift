import Foundation

/// Reads JSON Lines: one JSON object per line (LF or CRLF); blank lines are skipped. Errors name
/// the file and the line.
public struct JSONLinesReader: Sendable {
    public let file: String

    public init(file: String) {
        self.file = file
    }

    /// Each object with its 1-based line number.
    public func parse(_ bytes: [UInt8]) throws -> [(line: Int, object: [String: Any])] {
        var out = [(line: Int, object: [String: Any])]()
        var lineNumber = 0
        var start = 0
        let n = bytes.count
        while start <= n {
            var end = start
            while end < n && bytes[end] != UInt8(ascii: "\n") { end += 1 }
            lineNumber += 1
            var slice = bytes[start..<end]
            if slice.last == UInt8(ascii: "\r") { slice = slice.dropLast() }
            if lineNumber == 1, slice.starts(with: [0xEF, 0xBB, 0xBF]) { slice = slice.dropFirst(3) }
            if !slice.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                let value: Any
                do {
                    value = try JSONSerialization.jsonObject(with: Data(slice), options: [])
                } catch {
                    throw IngestError(.badJSON, file: file, line: lineNumber, "not valid JSON: \(Self.describe(error))")
                }
                guard let object = value as? [String: Any] else {
                    throw IngestError(.badJSON, file: file, line: lineNumber, "expected a JSON object per line")
                }
                out.append((lineNumber, object))
            }
            if end >= n { break }
            start = end + 1
        }
        return out
    }

    /// A string field of `object`, or an error naming the line.
    func string(_ object: [String: Any], _ key: String, line: Int) throws -> String {
        guard let value = object[key] else {
            throw IngestError(.badJSON, file: file, line: line, "missing field \"\(key)\"")
        }
        if let s = value as? String { return s }
        if let n = value as? NSNumber, !(value is Bool) { return n.stringValue }
        throw IngestError(.badJSON, file: file, line: line, "field \"\(key)\" must be a string")
    }

    private static func describe(_ error: Error) -> String {
        let text = "\(error)"
        if let range = text.range(of: "NSDebugDescription=") {
            return String(text[range.upperBound...]).trimmingCharacters(in: CharacterSet(charactersIn: "})"))
        }
        return text
    }
}
