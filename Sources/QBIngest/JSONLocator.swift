import Foundation

/// Line numbers in JSON text, for errors about hand-edited files: where the value at a path (object keys
/// and array indices) starts, or where the text stops being valid JSON. A small scanner of its own
/// (Foundation's decoder reports paths, not lines); nesting deeper than `maxDepth` is a syntax error, so a
/// hostile file cannot exhaust the stack.
public enum JSONLocator {
    public enum Step: Equatable, Sendable {
        case key(String)
        case index(Int)

        init(_ key: CodingKey) { self = key.intValue.map { .index($0) } ?? .key(key.stringValue) }
    }

    public static let maxDepth = 256

    /// The 1-based line of the value at `path` (the innermost value on the path that exists), and the first
    /// syntax error with its line when the text is not JSON.
    public static func locate(_ path: [Step], in data: Data) -> (line: Int?, syntaxError: String?) {
        var s = Scanner(bytes: [UInt8](data), target: path)
        do {
            s.space()
            try s.value(depth: 0, path: [])
            s.space()
            if s.i < s.b.count { throw Failure(line: s.line, reason: "unexpected text after the top-level value") }
            return (s.found ?? (path.isEmpty ? nil : s.deepest), nil)
        } catch let f as Failure {
            return (f.line, "line \(f.line): \(f.reason)")
        } catch {
            return (nil, nil)
        }
    }

    struct Failure: Error {
        let line: Int
        let reason: String
    }

    struct Scanner {
        let b: [UInt8]
        let target: [Step]
        var i = 0
        var line = 1
        var found: Int?
        /// The line of the longest prefix of the target seen (the closest existing value).
        var deepest: Int?
        var deepestLength = -1

        init(bytes: [UInt8], target: [Step]) {
            b = bytes
            self.target = target
        }

        mutating func space() {
            while i < b.count, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0D || b[i] == 0x0A {
                if b[i] == 0x0A { line += 1 }
                i += 1
            }
        }

        func fail(_ reason: String) -> Failure { Failure(line: line, reason: reason) }

        mutating func value(depth: Int, path: [Step]) throws {
            guard depth <= JSONLocator.maxDepth else { throw fail("nested deeper than \(JSONLocator.maxDepth) levels") }
            if path == target { found = found ?? line }
            if path.count > deepestLength, path.count <= target.count, Array(target.prefix(path.count)) == path {
                deepest = line
                deepestLength = path.count
            }
            guard i < b.count else { throw fail("the text ends where a value should be") }
            switch b[i] {
            case UInt8(ascii: "{"):
                i += 1
                space()
                if i < b.count, b[i] == UInt8(ascii: "}") {
                    i += 1
                    return
                }
                while true {
                    space()
                    guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw fail("expected a quoted key") }
                    let key = try string()
                    space()
                    guard i < b.count, b[i] == UInt8(ascii: ":") else {
                        throw fail("expected ':' after the key \"\(key)\"")
                    }
                    i += 1
                    space()
                    try value(depth: depth + 1, path: path + [.key(key)])
                    space()
                    guard i < b.count else { throw fail("the text ends inside an object") }
                    if b[i] == UInt8(ascii: ",") {
                        i += 1
                        continue
                    }
                    if b[i] == UInt8(ascii: "}") {
                        i += 1
                        return
                    }
                    throw fail("expected ',' or '}' in an object")
                }
            case UInt8(ascii: "["):
                i += 1
                space()
                if i < b.count, b[i] == UInt8(ascii: "]") {
                    i += 1
                    return
                }
                var n = 0
                while true {
                    space()
                    try value(depth: depth + 1, path: path + [.index(n)])
                    n += 1
                    space()
                    guard i < b.count else { throw fail("the text ends inside an array") }
                    if b[i] == UInt8(ascii: ",") {
                        i += 1
                        continue
                    }
                    if b[i] == UInt8(ascii: "]") {
                        i += 1
                        return
                    }
                    throw fail("expected ',' or ']' in an array")
                }
            case UInt8(ascii: "\""):
                _ = try string()
            default:
                let start = i
                while i < b.count, !",]} \t\r\n".utf8.contains(b[i]) { i += 1 }
                let word = String(decoding: b[start..<i], as: UTF8.self)
                guard word == "true" || word == "false" || word == "null" || Double(word) != nil else {
                    throw fail(word.isEmpty ? "expected a value" : "'\(word.prefix(40))' is not a JSON value")
                }
                if let d = Double(word), !d.isFinite { throw fail("the number \(word.prefix(40)) is out of range") }
            }
        }

        mutating func string() throws -> String {
            i += 1
            var out = [UInt8]()
            while i < b.count {
                let c = b[i]
                if c == UInt8(ascii: "\"") {
                    i += 1
                    return String(decoding: out, as: UTF8.self)
                }
                if c == 0x0A { line += 1 }
                if c == UInt8(ascii: "\\") {
                    i += 1
                    guard i < b.count else { break }
                }
                out.append(b[i])
                i += 1
            }
            throw fail("a string is not closed")
        }
    }

    /// A `JSONDecoder` error of `data` as a short sentence with its JSON path ("missing \"task\" at eval"), and the
    /// line where the offending value (or the text's first syntax error) is.
    public static func decodingProblem(_ error: Error, in data: Data) -> (line: Int?, reason: String) {
        var path: [CodingKey] = []
        switch error {
        case DecodingError.keyNotFound(_, let context), DecodingError.typeMismatch(_, let context),
            DecodingError.valueNotFound(_, let context), DecodingError.dataCorrupted(let context):
            path = context.codingPath
        default: break
        }
        let located = locate(path.map(Step.init), in: data)
        return (located.line, located.syntaxError.map { "not JSON (\($0))" } ?? describe(error))
    }

    /// A decoding error as a short sentence with its JSON path.
    public static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing \"\(key.stringValue)\" at \(path(context))"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "\(context.debugDescription) at \(path(context))"
        case DecodingError.dataCorrupted(let context):
            return context.debugDescription + (context.codingPath.isEmpty ? "" : " at \(path(context))")
        default: return "\(error)"
        }
    }

    private static func path(_ context: DecodingError.Context) -> String {
        context.codingPath.isEmpty
            ? "the top level"
            : context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}
