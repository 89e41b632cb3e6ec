/// An FGQ ternary layer's payload. Kind 2 (2 bits per weight, 4 per byte) or kind 3 (base 3, 5 trits per
/// byte = 1.6 bits): count u32, group size i32 (-1 = whole layer), packed codes (trit t + 1), alpha count u32,
/// alphas fp16, bias flag u8, bias f32.
struct TernaryPayload: WeightPayload {
    var codes: [Int8]
    var groupSize: Int?
    /// One per group (whole layer: one).
    var alphas: [Float]
    var bias: [Float]?
    var base3: Bool

    static let kinds = [2, 3]

    func encoded() -> [UInt8] {
        var writer = ByteWriter()
        PayloadHeader.write(kind: base3 ? 3 : 2, count: codes.count, to: &writer)
        writer.i32(groupSize ?? -1)
        let trits = codes.map { UInt8($0 + 1) }
        if base3 {
            for first in stride(from: 0, to: trits.count, by: 5) {
                var packed = 0
                for j in (first..<min(first + 5, trits.count)).reversed() { packed = packed * 3 + Int(trits[j]) }
                writer.u8(packed)
            }
        } else {
            for first in stride(from: 0, to: trits.count, by: 4) {
                var packed: UInt8 = 0
                for j in first..<min(first + 4, trits.count) { packed |= trits[j] << UInt8(2 * (j - first)) }
                writer.u8(Int(packed))
            }
        }
        writer.u32(alphas.count)
        for alpha in alphas { writer.u16(Int(Float16(alpha).bitPattern)) }
        writer.bias(bias)
        return writer.data
    }

    static func decode(kind: Int, count: Int, from reader: inout ByteReader) -> TernaryPayload? {
        guard let group = reader.i32(), group == -1 || group >= 1 else { return nil }
        var trits = [UInt8]()
        if kind == 3 {
            guard let packed = reader.bytes((count + 4) / 5) else { return nil }
            for (i, byte) in packed.enumerated() {
                var rest = Int(byte)
                for _ in 0..<min(5, count - i * 5) {
                    trits.append(UInt8(rest % 3))
                    rest /= 3
                }
            }
        } else {
            guard let packed = reader.bytes((count + 3) / 4) else { return nil }
            for (i, byte) in packed.enumerated() {
                for j in 0..<min(4, count - i * 4) { trits.append((byte >> UInt8(2 * j)) & 3) }
            }
        }
        guard trits.allSatisfy({ $0 <= 2 }), let alphaCount = reader.u32(),
            alphaCount * 2 <= reader.data.count - reader.pos
        else { return nil }
        let alphas = (0..<alphaCount).map { _ in Float(Float16(bitPattern: UInt16(reader.u16()!))) }
        guard let bias = reader.bias() else { return nil }
        return TernaryPayload(
            codes: trits.map { Int8($0) - 1 }, groupSize: group < 0 ? nil : group, alphas: alphas, bias: bias,
            base3: kind == 3)
    }

    func layer(_ spec: LayerSpec, input: AffineQuant?, output: AffineQuant?, file: String) throws -> QuantLayer {
        var spec = spec
        spec.bias = bias
        let groupCount = TernaryMethod.groups(spec, groupSize: groupSize).count
        let perGroup = groupSize == nil ? [Float](repeating: alphas.first ?? 0, count: groupCount) : alphas
        guard let input else {
            throw QuantError(.corruptFile, file: file, layer: spec.name, "a ternary layer needs its input quantizer")
        }
        return try TernaryMethod.build(
            spec, codes: codes, groupSize: groupSize, alphas: perGroup, input: input, integer: true, file: file)
    }
}
