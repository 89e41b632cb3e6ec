/// ONNX tensor element types the engine carries (TensorProto.DataType codes).
///
/// Floating types are computed in Float32 (`double` and `float16` inputs are converted on load);
/// integer and boolean types are held as Int64.
public enum DataType: Int32, Sendable, Codable, CustomStringConvertible {
    case float = 1
    case uint8 = 2
    case int8 = 3
    case uint16 = 4
    case int16 = 5
    case int32 = 6
    case int64 = 7
    case bool = 9
    case float16 = 10
    case double = 11
    case uint32 = 12
    case uint64 = 13
    /// 4-bit codes, two per byte (first element in the low nibble), as ONNX packs them.
    case uint4 = 21
    case int4 = 22

    /// Held as Float32 storage.
    public var isFloat: Bool { self == .float || self == .double || self == .float16 }

    public var description: String {
        switch self {
        case .float: return "float32"
        case .uint8: return "uint8"
        case .int8: return "int8"
        case .uint16: return "uint16"
        case .int16: return "int16"
        case .int32: return "int32"
        case .int64: return "int64"
        case .bool: return "bool"
        case .float16: return "float16"
        case .double: return "float64"
        case .uint32: return "uint32"
        case .uint64: return "uint64"
        case .uint4: return "uint4"
        case .int4: return "int4"
        }
    }

    /// Wraps an integer into this type's range, as a cast to it does (bool: non-zero -> 1).
    func wrap(_ v: Int64) -> Int64 {
        switch self {
        case .uint8: return Int64(UInt8(truncatingIfNeeded: v))
        case .int8: return Int64(Int8(truncatingIfNeeded: v))
        case .uint16: return Int64(UInt16(truncatingIfNeeded: v))
        case .int16: return Int64(Int16(truncatingIfNeeded: v))
        case .int32: return Int64(Int32(truncatingIfNeeded: v))
        case .uint32: return Int64(UInt32(truncatingIfNeeded: v))
        case .bool: return v != 0 ? 1 : 0
        case .uint4: return v & 0xF
        case .int4: return (v & 0xF) >= 8 ? (v & 0xF) - 16 : v & 0xF
        default: return v
        }
    }
}
