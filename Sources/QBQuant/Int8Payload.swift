/// An int8 (affine) layer's payload. Kind 1: count u32, codes (1 byte each), scale count u32, scales f32, bias
/// flag u8, bias f32. Narrower codes (kind 5): count u32, bits u8, codes packed `bits` each (two's complement,
/// LSB first), then scales and bias as kind 1.
struct Int8Payload: WeightPayload {
    var codes: [Int8]
    var bits: Int
    var scales: [Float]
    var bias: [Float]?

    static let kinds = [1, 5]

    func encoded() -> [UInt8] {
        var writer = ByteWriter()
        if bits == 8 {
            PayloadHeader.write(kind: 1, count: codes.count, to: &writer)
            writer.bytes(codes.map { UInt8(bitPattern: $0) })
        } else {
            PayloadHeader.write(kind: 5, count: codes.count, to: &writer)
            writer.u8(bits)
            var packer = BitWriter()
            for code in codes { packer.writeLSB(UInt64(UInt8(bitPattern: code)) & ((1 << UInt64(bits)) - 1), bits) }
            writer.bytes(packer.lsbBytes)
        }
        writer.floats(scales)
        writer.bias(bias)
        return writer.data
    }

    static func decode(kind: Int, count: Int, from reader: inout ByteReader) -> Int8Payload? {
        if kind == 1 {
            guard let raw = reader.bytes(count), let scales = reader.floats(), let bias = reader.bias() else {
                return nil
            }
            return Int8Payload(codes: raw.map { Int8(bitPattern: $0) }, bits: 8, scales: scales, bias: bias)
        }
        guard let bits = reader.u8(), (2...7).contains(bits), let raw = reader.bytes((count * bits + 7) / 8) else {
            return nil
        }
        var codes = [Int8](repeating: 0, count: count)
        let top = (1 << (bits - 1)) - 1
        for i in 0..<count {
            var value = 0
            for bit in 0..<bits where raw[(i * bits + bit) >> 3] >> UInt8((i * bits + bit) & 7) & 1 == 1 {
                value |= 1 << bit
            }
            if value >= 1 << (bits - 1) { value -= 1 << bits }  // two's complement
            guard abs(value) <= top else { return nil }
            codes[i] = Int8(value)
        }
        guard let scales = reader.floats(), let bias = reader.bias() else { return nil }
        return Int8Payload(codes: codes, bits: bits, scales: scales, bias: bias)
    }

    func layer(_ spec: LayerSpec, input: AffineQuant?, output: AffineQuant?, file: String) throws -> QuantLayer {
        var spec = spec
        spec.bias = bias
        guard scales.count == spec.rows, codes.count == spec.rows * spec.depth,
            scales.allSatisfy({ $0.isFinite && $0 > 0 })
        else {
            throw QuantError(.corruptFile, file: file, layer: spec.name, "int8 payload does not fit the layer")
        }
        spec.weights = (0..<codes.count).map { scales[$0 / spec.depth] * Float(codes[$0]) }
        return try Int8Method.build(
            spec, codes: codes, scales: scales, input: input, output: output, integer: true, file: file)
    }
}
