import Crypto
import Foundation
import QBEngine

/// The serialized form of a quantized model (`.qbqm`, format version 2), whose byte count is the size
/// every report quotes: everything needed to run the model is in it.
///
/// Layout: magic `QBQM`, version u16 (2), header length u32, the header (JSON, UTF-8), the data blob, then
/// the SHA-256 of every byte before it (32 bytes), checked before anything else is read. The header lists the
/// graph (nodes with their attributes, inputs, outputs), every FP32 tensor the quantized graph still reads (name,
/// shape, offset and length in the blob: little-endian float32,
/// or int64 for integer tensors), and every quantized layer (its original node, the input and output
/// quantizers, and the offset and length of its weight payload, see `WeightPayload`).
public enum ModelFile {
    public static let magic: [UInt8] = Array("QBQM".utf8)
    public static let version = 2
    /// Bytes of the SHA-256 at the end of the file.
    static let checksumBytes = 32

    struct Header: Codable, Equatable {
        struct NodeEntry: Codable, Equatable {
            var name: String, op: String, domain: String, inputs: [String], outputs: [String]
            var attributes: [String: AttributeEntry]
            /// The names the node's subgraphs read from the graph around them (the last inputs hold the values).
            var captures: [String]? = nil
        }
        struct AttributeEntry: Codable, Equatable {
            var int: Int?, float: Float?, string: String?, ints: [Int]?, floats: [Float]?, strings: [String]?,
                tensor: String?
            /// A subgraph (If, Loop, Scan): its ONNX GraphProto bytes, base64.
            var graph: String? = nil
        }
        struct TensorEntry: Codable, Equatable {
            /// `type`: the ONNX data type code; float types are stored as float32, the others as int64.
            var name: String, type: Int32, shape: [Int], offset: Int, length: Int
            /// Stored as IEEE fp16 (2 bytes per element; every value exactly representable).
            var half: Bool? = nil
        }
        struct LayerEntry: Codable, Equatable {
            /// `node`: the layer's original operator (Conv, Gemm, MatMul) with its attributes; `weightShape`: its
            /// weight's shape as in that operator; `output`: int8's output quantizer.
            var name: String, node: NodeEntry, weightShape: [Int], input: AffineQuant?, output: AffineQuant?,
                offset: Int, length: Int
        }
        struct ValueEntry: Codable, Equatable {
            /// Dimensions as numbers, symbol names, or "?".
            var name: String, type: Int32?, shape: [String]?
        }
        var method: String
        var opset: Int
        var inputs: [ValueEntry]
        var outputs: [ValueEntry]
        var nodes: [NodeEntry]
        var tensors: [TensorEntry]
        var layers: [LayerEntry]
    }

    /// The file's bytes for a quantized model; `method` names the variant.
    public static func encode(_ model: QuantizedModel, method: String) throws -> [UInt8] {
        var blob = [UInt8]()
        var tensors = [Header.TensorEntry]()
        func addTensor(_ name: String, _ v: Value, half: Bool = false) throws {
            let start = blob.count
            switch v.storage {
            case .float(let f) where half:
                for x in f {
                    guard Float(Float16(x)) == x || x.isNaN else {
                        throw QuantError(file: model.graph.file, "tensor '\(name)' is marked fp16 but holds \(x)")
                    }
                    append(&blob, UInt64(Float16(x).bitPattern), 2)
                }
            case .float(let f): for x in f { append(&blob, UInt64(x.bitPattern), 4) }
            case .int(let i): for x in i { append(&blob, UInt64(bitPattern: x), 8) }
            }
            tensors.append(
                .init(
                    name: name, type: v.type.rawValue, shape: v.shape, offset: start, length: blob.count - start,
                    half: half ? true : nil))
        }
        func node(_ n: Node) throws -> Header.NodeEntry {
            var attrs = [String: Header.AttributeEntry]()
            for (k, a) in n.attributes.sorted(by: { $0.key < $1.key }) {
                var e = Header.AttributeEntry()
                switch a {
                case .int(let v): e.int = v
                case .float(let v): e.float = v
                case .string(let v): e.string = v
                case .ints(let v): e.ints = v
                case .floats(let v): e.floats = v
                case .strings(let v): e.strings = v
                case .tensor(let v):
                    e.tensor = "attribute:\(n.name):\(k)"
                    try addTensor(e.tensor!, v)
                case .graph(let g): e.graph = g.serialized.base64EncodedString()
                }
                attrs[k] = e
            }
            return .init(
                name: n.name, op: n.opType, domain: n.domain, inputs: n.inputs, outputs: n.outputs, attributes: attrs,
                captures: n.captures.isEmpty ? nil : n.captures)
        }
        let g = model.graph
        let nodes = try g.nodes.map(node)
        for name in g.initializers.keys.sorted() {
            try addTensor(
                name, g.initializers[name]!,
                half: model.halfTensors.contains(name) && g.initializers[name]!.type.isFloat)
        }
        var layers = [Header.LayerEntry]()
        for n in g.nodes where n.isKernelLayer {
            guard let layer = g.kernels[n.name] as? QuantLayer, let payload = model.payloads[layer.spec.output] else {
                throw QuantError(
                    file: g.file, layer: n.name, "a kernel layer without a quantized payload cannot be serialized")
            }
            let bytes = payload.encoded()
            layers.append(
                .init(
                    name: layer.spec.name, node: try node(layer.spec.node), weightShape: layer.spec.weightShape,
                    input: layer.input,
                    output: layer.output, offset: blob.count, length: bytes.count))
            blob += bytes
        }
        func info(_ v: ValueInfo) -> Header.ValueEntry {
            .init(
                name: v.name, type: v.type?.rawValue,
                shape: v.shape?.map { d in
                    switch d {
                    case .fixed(let n): return String(n)
                    case .symbol(let s): return s
                    case .unknown: return "?"
                    }
                })
        }
        let header = Header(
            method: method, opset: g.opset, inputs: g.inputs.map(info), outputs: g.outputs.map(info), nodes: nodes,
            tensors: tensors, layers: layers)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let json = [UInt8](try encoder.encode(header))
        var out = magic
        append(&out, UInt64(version), 2)
        append(&out, UInt64(json.count), 4)
        out += json + blob
        return out + Array(SHA256.hash(data: out))
    }

    /// Reads a file back: the weight payloads by layer name and the FP32 tensors by name. Errors say what
    /// is wrong with the bytes.
    static func decode(_ bytes: [UInt8], file: String, registry: MethodRegistry = .standard) throws
        -> (header: Header, payloads: [String: any WeightPayload], tensors: [String: Value], halves: Set<String>)
    {
        guard bytes.count >= 4, Array(bytes[0..<4]) == magic else {
            throw QuantError(.corruptFile, file: file, "not a QuantBench quantized model (bad magic)")
        }
        guard bytes.count >= 10 else {
            throw QuantError(.corruptFile, file: file, "truncated: \(bytes.count) bytes, shorter than the fixed header")
        }
        let version = Int(bytes[4]) | Int(bytes[5]) << 8
        guard version == Self.version else {
            throw QuantError(
                .corruptFile, file: file,
                "format version \(version) is not supported (this build reads \(Self.version))")
        }
        let end = bytes.count - checksumBytes
        guard end >= 10, Array(SHA256.hash(data: bytes[0..<end])) == Array(bytes[end...]) else {
            throw QuantError(
                .corruptFile, file: file,
                "checksum mismatch: the file is damaged or truncated (its SHA-256 does not match)")
        }
        let length = (0..<4).reduce(0) { $0 | Int(bytes[6 + $1]) << (8 * $1) }
        guard 10 + length <= end else { throw QuantError(.corruptFile, file: file, "truncated header") }
        let header: Header
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do { header = try decoder.decode(Header.self, from: Data(bytes[10..<(10 + length)])) } catch {
            throw QuantError(.corruptFile, file: file, "unreadable header: \(error)")
        }
        let blob = Array(bytes[(10 + length)..<end])
        func slice(_ offset: Int, _ count: Int, _ what: String) throws -> ArraySlice<UInt8> {
            guard offset >= 0, count >= 0, offset <= blob.count, count <= blob.count - offset else {
                throw QuantError(.corruptFile, file: file, "\(what) lies outside the file")
            }
            return blob[offset..<(offset + count)]
        }
        var tensors = [String: Value](), halves = Set<String>()
        for t in header.tensors {
            let raw = try slice(t.offset, t.length, "tensor '\(t.name)'")
            guard t.shape.allSatisfy({ $0 >= 0 && $0 <= raw.count }),
                t.shape.reduce(1.0, { $0 * Double($1) }) <= Double(raw.count)
            else {
                throw QuantError(
                    .corruptFile, file: file, "tensor '\(t.name)' has shape \(t.shape) for \(t.length) bytes")
            }
            let n = t.shape.reduce(1, *)
            guard let type = DataType(rawValue: t.type), t.shape.allSatisfy({ $0 >= 0 }) else {
                throw QuantError(
                    .corruptFile, file: file, "tensor '\(t.name)' has an unknown type \(t.type) or a negative dimension"
                )
            }
            let half = t.half ?? false
            guard !half || type.isFloat else {
                throw QuantError(
                    .corruptFile, file: file, "tensor '\(t.name)' is marked fp16 but is not a float tensor")
            }
            let width = half ? 2 : (type.isFloat ? 4 : 8)
            guard n * width == t.length else {
                throw QuantError(
                    .corruptFile, file: file, "tensor '\(t.name)' has \(t.length) bytes for shape \(t.shape)")
            }
            let words = (0..<n).map { i in
                (0..<width).reduce(UInt64(0)) { $0 | UInt64(raw[raw.startIndex + i * width + $1]) << (8 * UInt64($1)) }
            }
            if half {
                tensors[t.name] = Value(
                    type: type, shape: t.shape, storage: .float(words.map { Float(Float16(bitPattern: UInt16($0))) }))
                halves.insert(t.name)
            } else {
                tensors[t.name] =
                    type.isFloat
                    ? Value(type: type, shape: t.shape, storage: .float(words.map { Float(bitPattern: UInt32($0)) }))
                    : Value(type: type, shape: t.shape, storage: .int(words.map { Int64(bitPattern: $0) }))
            }
        }
        var payloads = [String: any WeightPayload]()
        guard Set(header.layers.map { $0.node.outputs.first ?? $0.name }).count == header.layers.count else {
            throw QuantError(.corruptFile, file: file, "two quantized layers compute the same value")
        }
        for l in header.layers {
            guard let p = registry.decodePayload(Array(try slice(l.offset, l.length, "layer '\(l.name)'"))) else {
                throw QuantError(.corruptFile, file: file, layer: l.name, "corrupt weight payload")
            }
            payloads[l.node.outputs.first ?? l.name] = p
        }
        return (header, payloads, tensors, halves)
    }

    static func append(_ out: inout [UInt8], _ v: UInt64, _ bytes: Int) {
        for i in 0..<bytes { out.append(UInt8(truncatingIfNeeded: v >> UInt64(8 * i))) }
    }
}
