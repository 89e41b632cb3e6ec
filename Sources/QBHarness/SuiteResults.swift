import Foundation

/// A suite run: rows in suite order.
public struct SuiteResults: Codable, Sendable {
    public var suite: String
    public var environment: Environment
    public var rows: [ResultRow]
    /// What a merge with `--allow-incomplete` could not cover (missing samples per row); the report says so
    /// and the gate never passes such results (exit 2).
    public var incomplete: [String]? = nil

    /// Reads a results file (`quantbench run` JSON); errors name the file and the problem.
    public static func load(_ path: String) throws -> SuiteResults {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HarnessError(.missingFile, file: path, "no such results file")
        }
        return try parse(data, file: path)
    }

    public static func parse(_ data: Data, file path: String) throws -> SuiteResults {
        do { return try JSONDecoder().decode(SuiteResults.self, from: data) } catch {
            throw HarnessError.decoding(error, kind: .badResults, file: path, data: data, what: "not a results file")
        }
    }
}
