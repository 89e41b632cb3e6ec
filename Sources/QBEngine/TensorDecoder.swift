import Foundation
import ONNXProto
import SwiftProtobuf

/// Turns ONNX TensorProtos into `Value`s: typed fields, little-endian `raw_data`, and external data
/// files (which must stay inside the model's folder).
struct TensorDecoder {
    let file: String
    /// The folder external data paths are relative to (nil: external data refused).
    let baseDirectory: String?
    let limits: EngineLimits

    func decode(_ t: Onnx_TensorProto, what: String) throws -> Value {
        func bad(_ reason: String) -> EngineError {
            EngineError(.malformedModel, file: file, "tensor '\(t.name)' (\(what)): \(reason)")
        }
        guard let type = DataType(rawValue: t.dataType) else {
            throw EngineError(
                .unsupported, file: file, "tensor '\(t.name)' (\(what)): element type \(t.dataType) is not supported")
        }
        var count = 1
        for d in t.dims {
            guard d >= 0 else { throw bad("negative dimension \(d) in \(t.dims)") }
            let (p, overflow) = count.multipliedReportingOverflow(by: Int(d))
            guard !overflow, p <= limits.maxTensorElements else {
                throw EngineError(
                    .limit, file: file,
                    "tensor '\(t.name)' (\(what)): \(t.dims) elements exceed the limit of \(limits.maxTensorElements)")
            }
            count = p
        }
        let shape = t.dims.map { Int($0) }
        var raw = t.rawData
        if t.dataLocation == .external {
            raw = try externalBytes(t, bad: bad)
        }
        if !raw.isEmpty || t.dataLocation == .external {
            let bytes = Self.byteCount(type, elements: count)
            guard raw.count == bytes else {
                throw bad("raw data has \(raw.count) bytes, \(shape) of \(type) needs \(bytes)")
            }
            return Value(type: type, shape: shape, storage: Self.decodeRaw(raw, type: type, count: count))
        }
        let storage: Value.Storage
        let have: Int
        switch type {
        case .float:
            storage = .float(t.floatData)
            have = t.floatData.count
        case .double:
            storage = .float(t.doubleData.map { Float($0) })
            have = t.doubleData.count
        case .float16:
            storage = .float(t.int32Data.map { Float(Float16(bitPattern: UInt16(truncatingIfNeeded: $0))) })
            have = t.int32Data.count
        case .int64:
            storage = .int(t.int64Data)
            have = t.int64Data.count
        case .uint32, .uint64:
            storage = .int(t.uint64Data.map { Int64(bitPattern: $0) })
            have = t.uint64Data.count
        case .uint4, .int4:
            // Two elements per int32_data entry (its low byte, first element in the low nibble).
            guard t.int32Data.count == (count + 1) / 2 else {
                throw bad("has \(t.int32Data.count) packed entries, its shape \(shape) needs \((count + 1) / 2)")
            }
            storage = .int(
                Self.unpackNibbles(t.int32Data.map { UInt8(truncatingIfNeeded: $0) }, type: type, count: count))
            have = count
        default:
            storage = .int(t.int32Data.map { type.wrap(Int64($0)) })
            have = t.int32Data.count
        }
        guard have == count else { throw bad("has \(have) elements, its shape \(shape) needs \(count)") }
        return Value(type: type, shape: shape, storage: storage)
    }

    private func externalBytes(_ t: Onnx_TensorProto, bad: (String) -> EngineError) throws -> Data {
        var info = [String: String]()
        for e in t.externalData { info[e.key] = e.value }
        guard let location = info["location"], !location.isEmpty else { throw bad("external data without a location") }
        guard let base = baseDirectory else { throw bad("external data, but the model was not loaded from a file") }
        guard !location.hasPrefix("/") else {
            throw bad("external data location '\(location)' is absolute; it must be inside the model's folder")
        }
        let baseURL = URL(fileURLWithPath: base).standardizedFileURL.resolvingSymlinksInPath()
        let url = baseURL.appendingPathComponent(location).standardizedFileURL.resolvingSymlinksInPath()
        guard url.path.hasPrefix(baseURL.path + "/") else {
            throw bad("external data location '\(location)' points outside the model's folder; refused")
        }
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw EngineError(
                .missingFile, file: file, "tensor '\(t.name)': external data file \(url.path) cannot be opened")
        }
        defer { try? handle.close() }
        guard let offset = UInt64(info["offset"] ?? "0") else {
            throw bad("external data offset '\(info["offset"] ?? "")' is not a non-negative integer")
        }
        var length: Int? = nil
        if let lengthText = info["length"] {
            guard let n = Int(lengthText), n >= 0 else {
                throw bad("external data length '\(lengthText)' is not a non-negative integer")
            }
            length = n
        }
        guard (length ?? 0) <= limits.maxModelBytes else {
            throw EngineError(
                .limit, file: file,
                "tensor '\(t.name)': external data of \(length ?? 0) bytes exceeds the model size limit")
        }
        do {
            try handle.seek(toOffset: offset)
            if let length {
                let data = try handle.read(upToCount: length) ?? Data()
                guard data.count == length else {
                    throw bad("external data file \(url.path) holds fewer than \(length) bytes at offset \(offset)")
                }
                return data
            }
            let data = try handle.read(upToCount: limits.maxModelBytes + 1) ?? Data()
            guard data.count <= limits.maxModelBytes else {
                throw EngineError(
                    .limit, file: file,
                    "tensor '\(t.name)': external data file \(url.path) exceeds the model size limit")
            }
            return data
        } catch let e as EngineError {
            throw e
        } catch {
            throw EngineError(.io, file: file, "tensor '\(t.name)': reading \(url.path): \(error.localizedDescription)")
        }
    }

    /// Bytes of `elements` elements of `type` in `raw_data` (4-bit types two per byte, rounded up).
    static func byteCount(_ type: DataType, elements: Int) -> Int {
        switch type {
        case .uint4, .int4: return (elements + 1) / 2
        case .uint8, .int8, .bool: return elements
        case .uint16, .int16, .float16: return 2 * elements
        case .float, .int32, .uint32: return 4 * elements
        case .int64, .double, .uint64: return 8 * elements
        }
    }

    /// 4-bit codes from packed bytes: element 2i in the low nibble of byte i, 2i+1 in the high one;
    /// int4 sign-extended.
    static func unpackNibbles(_ bytes: [UInt8], type: DataType, count: Int) -> [Int64] {
        (0..<count).map { i in
            let byte = bytes[i / 2]
            return type.wrap(Int64(i % 2 == 0 ? byte & 0xF : byte >> 4))
        }
    }

    static func decodeRaw(_ raw: Data, type: DataType, count: Int) -> Value.Storage {
        raw.withUnsafeBytes { (p: UnsafeRawBufferPointer) -> Value.Storage in
            func load<T: FixedWidthInteger>(_: T.Type, _ i: Int) -> T {
                T(littleEndian: p.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self))
            }
            switch type {
            case .float: return .float((0..<count).map { Float(bitPattern: load(UInt32.self, $0)) })
            case .double: return .float((0..<count).map { Float(Double(bitPattern: load(UInt64.self, $0))) })
            case .float16: return .float((0..<count).map { Float(Float16(bitPattern: load(UInt16.self, $0))) })
            case .uint8: return .int((0..<count).map { Int64(load(UInt8.self, $0)) })
            case .int8: return .int((0..<count).map { Int64(load(Int8.self, $0)) })
            case .bool: return .int((0..<count).map { load(UInt8.self, $0) != 0 ? 1 : 0 })
            case .uint16: return .int((0..<count).map { Int64(load(UInt16.self, $0)) })
            case .int16: return .int((0..<count).map { Int64(load(Int16.self, $0)) })
            case .int32: return .int((0..<count).map { Int64(load(Int32.self, $0)) })
            case .uint32: return .int((0..<count).map { Int64(load(UInt32.self, $0)) })
            case .int64: return .int((0..<count).map { load(Int64.self, $0) })
            case .uint64: return .int((0..<count).map { Int64(bitPattern: load(UInt64.self, $0)) })
            case .uint4, .int4: return .int(unpackNibbles(Array(p.prefix((count + 1) / 2)), type: type, count: count))
            }
        }
    }
}

/// Resource limits for untrusted models.
public struct EngineLimits: Sendable, Equatable {
    /// Largest model file, bytes.
    public var maxModelBytes: Int = 4 << 30
    /// Largest tensor (declared or computed), elements.
    public var maxTensorElements: Int = 1 << 31
    /// Most nodes in a graph.
    public var maxNodes: Int = 1_000_000
    /// Deepest protobuf message nesting (attributes holding graphs holding attributes ...).
    public var maxNestingDepth: Int = 64
    /// Most iterations of one Loop or Scan node (a while-loop whose condition never turns false stops here).
    public var maxLoopIterations: Int = 1 << 20

    public init() {}

    /// Protobuf decoding options that enforce `maxNestingDepth`.
    var decodingOptions: BinaryDecodingOptions {
        var options = BinaryDecodingOptions()
        options.messageDepthLimit = maxNestingDepth
        return options
    }
}
