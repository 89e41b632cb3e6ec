import Foundation

/// Reads a JSON fixture (relative to Tests/Fixtures) into a Decodable type.
public func loadJSONFixture<T: Decodable>(_ relative: String, as type: T.Type = T.self) throws -> T {
    let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(relative)))
    return try JSONDecoder().decode(T.self, from: data)
}

/// Reads a JSON Lines fixture into Decodable values, one per non-empty line.
public func loadJSONLinesFixture<T: Decodable>(_ relative: String, as type: T.Type = T.self) throws -> [T] {
    let text = try String(contentsOfFile: Fixtures.path(relative), encoding: .utf8)
    return try text.split(separator: "\n", omittingEmptySubsequences: true).map {
        try JSONDecoder().decode(T.self, from: Data($0.utf8))
    }
}
