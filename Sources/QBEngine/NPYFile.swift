import Foundation

/// NumPy `.npy` files (format versions 1, 2 and 3): read little-endian float32, float64, int64,
/// int32, int8, uint8 and bool arrays in C order; write float32 and int64.
public enum NPYFile {
    public static func read(_ path: String, maxElements: Int = EngineLimits().maxTensorElements) throws -> Value {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EngineError(.missingFile, file: path, "no such file")
        }
        return try parse([UInt8](data), file: path, maxElements: maxElements)
    }

    /// Parses a whole file's bytes; an array of more than `maxElements` elements is refused (a limit error).
    public static func parse(_ b: [UInt8], file: String, maxElements: Int = EngineLimits().maxTensorElements) throws
        -> Value
    {
        func bad(_ reason: String) -> EngineError {
            EngineError(.badInput, file: file, "not a valid .npy file: \(reason)")
        }
        guard b.count >= 10, b[0] == 0x93, Array(b[1..<6]) == Array("NUMPY".utf8) else {
            throw bad("missing the \\x93NUMPY magic")
        }
        let major = b[6]
        let headerLength: Int, start: Int
        switch major {
        case 1:
            headerLength = Int(b[8]) | Int(b[9]) << 8
            start = 10
        case 2, 3:
            guard b.count >= 12 else { throw bad("truncated header") }
            headerLength = Int(b[8]) | Int(b[9]) << 8 | Int(b[10]) << 16 | Int(b[11]) << 24
            start = 12
        default: throw bad("unknown format version \(major)")
        }
        guard b.count >= start + headerLength else { throw bad("truncated header") }
        let header = String(decoding: b[start..<(start + headerLength)], as: UTF8.self)
        guard let descr = field(header, "descr") else { throw bad("no 'descr' in the header") }
        if field(header, "fortran_order") == "True" {
            throw EngineError(
                .unsupported, file: file, "Fortran-order arrays are not supported; save with np.ascontiguousarray")
        }
        guard let shapeText = field(header, "shape") else { throw bad("no 'shape' in the header") }
        let shape = try shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "() ")).split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            .map { s -> Int in
                guard let v = Int(s), v >= 0 else { throw bad("bad shape \(shapeText)") }
                return v
            }
        var count = 1
        for d in shape {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, p <= maxElements else {
                throw EngineError(
                    .limit, file: file,
                    "shape \(shape) has more than \(maxElements) elements (the tensor element limit)")
            }
            count = p
        }
        let type: DataType, width: Int
        switch descr.trimmingCharacters(in: CharacterSet(charactersIn: "'\"")) {
        case "<f4": (type, width) = (.float, 4)
        case "<f8": (type, width) = (.double, 8)
        case "<i8": (type, width) = (.int64, 8)
        case "<i4": (type, width) = (.int32, 4)
        case "|i1": (type, width) = (.int8, 1)
        case "|u1": (type, width) = (.uint8, 1)
        case "|b1": (type, width) = (.bool, 1)
        case let other:
            throw EngineError(
                .unsupported, file: file,
                "element type \(other) is not supported (float32, float64, int64, int32, int8, uint8, bool are)")
        }
        let body = start + headerLength
        guard b.count - body == count &* width else {
            throw bad("shape \(shape) of \(type) needs \(count * width) bytes of data, the file has \(b.count - body)")
        }
        let storage = TensorDecoder.decodeRaw(Data(b[body...]), type: type, count: count)
        return Value(type: type == .double ? .float : type, shape: shape, storage: storage)
    }

    /// The value of `key` in the header dict (a Python literal), as text.
    static func field(_ header: String, _ key: String) -> String? {
        guard let r = header.range(of: "'\(key)'") ?? header.range(of: "\"\(key)\"") else { return nil }
        var rest = header[r.upperBound...].drop { $0 == " " || $0 == ":" }
        if rest.first == "(" {
            guard let end = rest.firstIndex(of: ")") else { return nil }
            return String(rest[...end])
        }
        if rest.first == "'" || rest.first == "\"" {
            let q = rest.first!
            rest = rest.dropFirst()
            guard let end = rest.firstIndex(of: q) else { return nil }
            return String(rest[..<end])
        }
        return String(rest.prefix { $0 != "," && $0 != "}" }).trimmingCharacters(in: .whitespaces)
    }

    /// The bytes of a version 1.0 `.npy` file: float32 for floating values, int64 otherwise.
    public static func encode(_ v: Value) -> Data {
        let descr = v.type.isFloat ? "<f4" : "<i8"
        let shape =
            v.shape.isEmpty
            ? "()"
            : v.shape.count == 1 ? "(\(v.shape[0]),)" : "(" + v.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
        let total = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var out = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let n = header.utf8.count
        out.append(contentsOf: [UInt8(n & 0xFF), UInt8(n >> 8)])
        out.append(contentsOf: Array(header.utf8))
        switch v.storage {
        case .float(let f): for x in f { withUnsafeBytes(of: x.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        case .int(let i): for x in i { withUnsafeBytes(of: x.littleEndian) { out.append(contentsOf: $0) } }
        }
        return out
    }
}
