/// The quantization methods this build knows, after ggml's type-traits table: each entry carries the method's
/// settings type, and through it its payload type, so the `.qbqm` reader, the kernel bench and the registry's
/// tests are built from this list. Adding a method: its own files plus one line in `standard`.
struct MethodRegistry: Sendable {
    let methods: [any QuantizationMethod.Type]

    /// Every method of this build.
    static let standard = MethodRegistry([
        Int8Settings.self,
        TernarySettings.self,
        ShiftSettings.self,
    ])

    init(_ methods: [any QuantizationMethod.Type]) {
        self.methods = methods
    }

    /// The registry with one more method (tests add methods this way).
    func adding(_ method: any QuantizationMethod.Type) -> MethodRegistry {
        MethodRegistry(methods + [method])
    }

    /// The method families' names, in registry order.
    var families: [String] { methods.map { $0.family } }

    /// The method of a family name.
    func method(family: String) -> (any QuantizationMethod.Type)? {
        methods.first { $0.family == family }
    }

    /// Every method's payload type, in registry order.
    var payloadTypes: [any WeightPayload.Type] {
        func payloadType<Method: QuantizationMethod>(_ method: Method.Type) -> any WeightPayload.Type {
            Method.Payload.self
        }
        return methods.map { payloadType($0) }
    }

    /// Reads a payload by its kind byte; nil when no method reads that kind or the bytes are not a valid payload.
    func decodePayload(_ bytes: [UInt8]) -> (any WeightPayload)? {
        var reader = ByteReader(bytes)
        guard let kind = reader.u8(), let count = reader.u32(), count <= PayloadHeader.maxWeights,
            let type = payloadTypes.first(where: { $0.kinds.contains(kind) })
        else { return nil }
        func decode<Payload: WeightPayload>(_ type: Payload.Type) -> (any WeightPayload)? {
            Payload.decode(kind: kind, count: count, from: &reader)
        }
        return decode(type)
    }
}
