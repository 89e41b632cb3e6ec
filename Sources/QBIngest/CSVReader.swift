/// A strict RFC 4180 CSV reader: comma-separated fields, records ended by CRLF or LF, fields in
/// double quotes may hold commas, line breaks and doubled quotes (`""`). Anything else (a quote
/// inside an unquoted field, text after a closing quote, an unterminated quote, invalid UTF-8, a
/// record with the wrong number of fields) is an error naming the file and the line.
public struct CSVReader: Sendable {
    /// One record with the (1-based) line it starts on.
    public struct Record: Sendable, Equatable {
        public var line: Int
        public var fields: [String]
    }

    public let file: String

    public init(file: String) {
        self.file = file
    }

    /// Parses all records. The first record is the header when `header` is true; every record must
    /// then have as many fields as the header. A UTF-8 byte-order mark is skipped; blank lines are
    /// skipped only at the very end of the file.
    public func parse(_ bytes: [UInt8], header: Bool = true) throws -> (header: [String], records: [Record]) {
        var records = [Record]()
        var fields = [String]()
        var field = [UInt8]()
        var i = 0
        let n = bytes.count
        if n >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { i = 3 }
        var line = 1
        var recordLine = 1
        var atFieldStart = true

        func finishField() throws {
            guard let s = String(validating: field, as: UTF8.self) else {
                throw IngestError(.badCSV, file: file, line: line, "field \(fields.count + 1) is not valid UTF-8")
            }
            fields.append(s)
            field.removeAll(keepingCapacity: true)
        }
        func finishRecord() {
            records.append(Record(line: recordLine, fields: fields))
            fields.removeAll(keepingCapacity: true)
        }

        while i < n {
            let b = bytes[i]
            if atFieldStart && b == UInt8(ascii: "\"") {
                // Quoted field.
                let openLine = line
                i += 1
                var closed = false
                while i < n {
                    let q = bytes[i]
                    if q == UInt8(ascii: "\"") {
                        if i + 1 < n && bytes[i + 1] == UInt8(ascii: "\"") {
                            field.append(q)
                            i += 2
                            continue
                        }
                        i += 1
                        closed = true
                        break
                    }
                    if q == UInt8(ascii: "\n") { line += 1 }
                    field.append(q)
                    i += 1
                }
                if !closed {
                    throw IngestError(
                        .badCSV, file: file, line: openLine,
                        "unterminated quoted field (the quote opened here is never closed)")
                }
                // After a closing quote: a separator, a line end, or the end of the file.
                if i < n {
                    let next = bytes[i]
                    if next == UInt8(ascii: "\r") && i + 1 < n && bytes[i + 1] == UInt8(ascii: "\n") {
                        // handled below as a line end
                    } else if next != UInt8(ascii: ",") && next != UInt8(ascii: "\n") {
                        throw IngestError(
                            .badCSV, file: file, line: line,
                            "unexpected character after the closing quote of field \(fields.count + 1) (a quote "
                                + "inside a quoted field must be doubled)"
                        )
                    }
                }
                atFieldStart = false
                continue
            }
            switch b {
            case UInt8(ascii: ","):
                try finishField()
                atFieldStart = true
                i += 1
            case UInt8(ascii: "\r") where i + 1 < n && bytes[i + 1] == UInt8(ascii: "\n"):
                try finishField()
                finishRecord()
                i += 2
                line += 1
                recordLine = line
                atFieldStart = true
            case UInt8(ascii: "\n"):
                try finishField()
                finishRecord()
                i += 1
                line += 1
                recordLine = line
                atFieldStart = true
            case UInt8(ascii: "\""):
                throw IngestError(
                    .badCSV, file: file, line: line,
                    "stray quote inside unquoted field \(fields.count + 1) (quote the whole field and double the quote)"
                )
            default:
                field.append(b)
                atFieldStart = false
                i += 1
            }
        }
        if !field.isEmpty || !fields.isEmpty || !atFieldStart {
            try finishField()
            finishRecord()
        }
        // Drop blank records at the end (a trailing empty line); blank lines elsewhere are kept and
        // then fail the field-count check with their line number.
        while let last = records.last, last.fields == [""] { records.removeLast() }

        guard header else { return ([], records) }
        guard let first = records.first else {
            throw IngestError(.badCSV, file: file, line: 1, "no header row: the file has no records")
        }
        let names = first.fields
        for record in records.dropFirst() where record.fields.count != names.count {
            throw IngestError(
                .badCSV, file: file, line: record.line,
                "record has \(record.fields.count) fields, the header has \(names.count) "
                    + "(\(names.joined(separator: ",")))"
            )
        }
        return (names, Array(records.dropFirst()))
    }
}
