/// A quantized layer's weights in serialized form (format version 1; little-endian). Every payload opens with
/// its kind u8 and its weight count u32; the rest is the method's (see each payload type). A payload type is
/// registered with its method in `MethodRegistry`, which the `.qbqm` reader dispatches on by the kind byte.
protocol WeightPayload: Sendable, Equatable {
    /// The kind bytes this type writes and reads (unique across the registry).
    static var kinds: [Int] { get }
    /// The bytes of the payload, kind and count first.
    func encoded() -> [UInt8]
    /// Reads the rest of a payload of `kind` with `count` weights; nil when the bytes are not a valid payload.
    static func decode(kind: Int, count: Int, from reader: inout ByteReader) -> Self?
    /// The layer a loaded payload runs as: `spec` has the operator's geometry (no weights, no bias), `input`
    /// and `output` the activation quantizers the file stores. It runs on the integer kernels.
    func layer(_ spec: LayerSpec, input: AffineQuant?, output: AffineQuant?, file: String) throws -> QuantLayer
}

extension WeightPayload {
    /// Whether `other` is the same payload (same type, equal fields).
    func isEqual(_ other: any WeightPayload) -> Bool {
        guard let other = other as? Self else { return false }
        return self == other
    }
}

/// The opening every payload shares.
enum PayloadHeader {
    /// At most 2^26 weights per layer: a damaged count must not allocate gigabytes before failing.
    static let maxWeights = 1 << 26

    static func write(kind: Int, count: Int, to writer: inout ByteWriter) {
        writer.u8(kind)
        writer.u32(count)
    }
}
