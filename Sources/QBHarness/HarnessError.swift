import Foundation

/// A suite, baseline or results file that cannot be used: the file, the line when known, and the reason.
public struct HarnessError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let line: Int?
    public let reason: String

    public init(file: String, line: Int? = nil, _ reason: String) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    public var description: String { "\(file)\(line.map { ":\($0)" } ?? ""): \(reason)" }

    /// A JSON decoding error of `data` (the bytes of `file`) as a short sentence with its JSON path, at the
    /// line where the offending value (or the text's first syntax error) is.
    public static func decoding(_ error: Error, file: String, data: Data, what: String) -> HarnessError {
        var path: [CodingKey] = []
        switch error {
        case DecodingError.keyNotFound(_, let ctx), DecodingError.typeMismatch(_, let ctx),
            DecodingError.valueNotFound(_, let ctx),
            DecodingError.dataCorrupted(let ctx):
            path = ctx.codingPath
        default: break
        }
        let located = JSONLocator.locate(path.map(JSONLocator.Step.init), in: data)
        let reason = located.syntaxError.map { "\(what): not JSON (\($0))" } ?? "\(what): \(describe(error))"
        return HarnessError(file: file, line: located.line, reason)
    }

    /// An error about the value at `path` (e.g. ["entries", 3]) of `data`, at its line.
    public static func at(_ path: [JSONLocator.Step], file: String, data: Data, _ reason: String) -> HarnessError {
        HarnessError(file: file, line: JSONLocator.locate(path, in: data).line, reason)
    }

    /// A decoding error as a short sentence with its JSON path.
    public static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let ctx): return "missing \"\(key.stringValue)\" at \(path(ctx))"
        case DecodingError.typeMismatch(_, let ctx), DecodingError.valueNotFound(_, let ctx):
            return "\(ctx.debugDescription) at \(path(ctx))"
        case DecodingError.dataCorrupted(let ctx):
            return ctx.debugDescription + (ctx.codingPath.isEmpty ? "" : " at \(path(ctx))")
        default: return "\(error)"
        }
    }

    private static func path(_ ctx: DecodingError.Context) -> String {
        ctx.codingPath.isEmpty
            ? "the top level"
            : ctx.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}
