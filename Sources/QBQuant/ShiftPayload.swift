/// A power-of-two layer's payload (kind 4): count u32, bits u8, recentralized u8, exponent bits u8, b i32,
/// unit f64, mu f64 x 2, nonzero count u32, a Huffman stream of the codes (component << 7 | sign << 6 |
/// exponent) of the nonzero weights, gap count u32, a Huffman stream of the sparse index as gaps (zeros before
/// each nonzero; 255 = add 255, go on), bias flag u8, bias f32. Each Huffman stream: used-symbol count u16,
/// (symbol u8, length u8) pairs, bit count u32, bytes. (bits and exponent bits are stored for readers; the
/// codes carry the rest.)
struct ShiftPayload: WeightPayload {
    var codes: ShiftCodes
    var bits: Int
    var bias: [Float]?

    static let kinds = [4]

    func encoded() -> [UInt8] {
        var writer = ByteWriter()
        PayloadHeader.write(kind: 4, count: codes.nonzero.count, to: &writer)
        writer.u8(bits)
        writer.u8(codes.recentralized ? 1 : 0)
        writer.u8(codes.exponentBits)
        writer.i32(codes.bias)
        writer.f64(codes.unit)
        writer.f64(codes.mu.0)
        writer.f64(codes.mu.1)
        var symbols = [UInt8](), gaps = [UInt8]()
        var gap = 0
        for i in 0..<codes.nonzero.count {
            guard codes.nonzero[i] else {
                gap += 1
                continue
            }
            symbols.append(codes.component[i] << 7 | (codes.negative[i] ? 64 : 0) | codes.exponent[i])
            while gap >= 255 {
                gaps.append(255)
                gap -= 255
            }
            gaps.append(UInt8(gap))
            gap = 0
        }
        writer.u32(symbols.count)
        writer.huffman(symbols)
        writer.u32(gaps.count)
        writer.huffman(gaps)
        writer.bias(bias)
        return writer.data
    }

    static func decode(kind: Int, count: Int, from reader: inout ByteReader) -> ShiftPayload? {
        guard let bits = reader.u8(), let recentralized = reader.u8(), let exponentBits = reader.u8(),
            let shiftBias = reader.i32(), let unit = reader.f64(), let mu0 = reader.f64(), let mu1 = reader.f64(),
            let symbolCount = reader.u32(), let symbols = reader.huffman(symbolCount), let gapCount = reader.u32(),
            let gaps = reader.huffman(gapCount), let bias = reader.bias()
        else { return nil }
        var codes = ShiftCodes(
            nonzero: [Bool](repeating: false, count: count), negative: [Bool](repeating: false, count: count),
            component: [UInt8](repeating: 0, count: count), exponent: [UInt8](repeating: 0, count: count), unit: unit,
            mu: (mu0, mu1), recentralized: recentralized == 1, separation: nil, bias: shiftBias,
            exponentBits: exponentBits)
        var position = 0, pendingGap = 0, symbol = 0
        for gap in gaps {
            pendingGap += Int(gap)
            if gap == 255 { continue }
            position += pendingGap
            pendingGap = 0
            guard position < count, symbol < symbols.count else { return nil }
            codes.nonzero[position] = true
            codes.negative[position] = symbols[symbol] & 64 != 0
            codes.component[position] = symbols[symbol] >> 7
            codes.exponent[position] = symbols[symbol] & 63
            symbol += 1
            position += 1
        }
        guard symbol == symbols.count else { return nil }
        return ShiftPayload(codes: codes, bits: bits, bias: bias)
    }

    func layer(_ spec: LayerSpec, input: AffineQuant?, output: AffineQuant?, file: String) throws -> QuantLayer {
        var spec = spec
        spec.bias = bias
        guard let input else {
            throw QuantError(
                .corruptFile, file: file, layer: spec.name, "a power-of-two layer needs its input quantizer")
        }
        return try ShiftMethod.build(spec, codes: codes, input: input, integer: true, file: file)
    }
}
