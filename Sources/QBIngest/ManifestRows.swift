import Foundation

/// Rows of a two-or-more-column manifest (CSV with a header, or JSON Lines), read by column name.
enum ManifestRows {
    struct Row {
        var line: Int
        var values: [String]
    }

    /// Reads `columns` from a CSV (header row required) or JSON Lines file (by extension
    /// `.jsonl`/`.ndjson`); errors name the file, the line and the missing column.
    static func read(_ file: String, columns: [String]) throws -> [Row] {
        let bytes = [UInt8](try FileReader.read(file))
        let lower = file.lowercased()
        if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") {
            let reader = JSONLinesReader(file: file)
            return try reader.parse(bytes).map { line, object in
                Row(line: line, values: try columns.map { try reader.string(object, $0, line: line) })
            }
        }
        let (header, records) = try CSVReader(file: file).parse(bytes)
        let positions = try columns.map { name -> Int in
            guard let i = header.firstIndex(of: name) else {
                throw IngestError(
                    .badCSV, file: file, line: 1,
                    "no column \"\(name)\" in the header (columns: \(header.joined(separator: ", ")))")
            }
            return i
        }
        return records.map { r in Row(line: r.line, values: positions.map { r.fields[$0] }) }
    }

    /// The class list: `declared` in its order (every label must be in it), or the sorted distinct labels.
    static func classes(_ labels: [(line: Int, label: String)], declared: [String]?, file: String) throws -> [String] {
        if let declared {
            let known = Set(declared)
            guard known.count == declared.count else {
                throw IngestError(.badSetting, file: file, "the declared classes repeat a name: \(declared)")
            }
            if let bad = labels.first(where: { !known.contains($0.label) }) {
                throw IngestError(
                    .unknownLabel, file: file, line: bad.line,
                    "label \"\(bad.label)\" is not one of the declared classes (\(declared.joined(separator: ", ")))")
            }
            return declared
        }
        if let empty = labels.first(where: { $0.label.isEmpty }) {
            throw IngestError(.unknownLabel, file: file, line: empty.line, "empty label")
        }
        return Set(labels.map(\.label)).sorted(by: ImageDataset.byteOrder)
    }
}
