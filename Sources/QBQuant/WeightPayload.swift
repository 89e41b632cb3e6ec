/// A quantized layer's weights in serialized form (format version 1; little-endian):
/// - int8 (kind 1): count u32, codes (1 byte each), scale count u32, scales f32, bias flag u8, bias f32;
///   narrower affine codes (kind 5): count u32, bits u8, codes packed `bits` each (two's complement, LSB
///   first), then scales and bias as kind 1.
/// - ternary (kind 2: 2 bits per weight, 4 per byte; kind 3: base 3, 5 trits per byte = 1.6 bits):
///   count u32, group size i32 (-1 = whole layer), packed codes (trit t + 1), alpha count u32, alphas fp16, bias.
/// - power-of-two (kind 4): count u32, bits u8, recentralized u8, exponent bits u8, b i32, unit f64,
///   mu f64 x 2, nonzero count u32, a Huffman stream of the codes (component << 7 | sign << 6 | exponent)
///   of the nonzero weights, gap count u32, a Huffman stream of the sparse index as gaps (zeros before each
///   nonzero; 255 = add 255, go on), bias. Each Huffman stream: used-symbol count u16, (symbol u8, length u8)
///   pairs, bit count u32, bytes. (bits and exponent bits are stored for readers; the codes carry the rest.)
enum WeightPayload: Sendable, Equatable {
    case int8(codes: [Int8], bits: Int, scales: [Float], bias: [Float]?)
    case ternary(codes: [Int8], groupSize: Int?, alphas: [Float], bias: [Float]?, base3: Bool)
    case shift(codes: ShiftCodes, bits: Int, bias: [Float]?)

    /// The bytes of the payload.
    func encoded() -> [UInt8] {
        var w = ByteWriter()
        switch self {
        case .int8(let codes, let bits, let scales, let bias):
            w.u8(bits == 8 ? 1 : 5)
            w.u32(codes.count)
            if bits == 8 {
                w.bytes(codes.map { UInt8(bitPattern: $0) })
            } else {
                w.u8(bits)
                var packer = BitWriter()
                for c in codes { packer.writeLSB(UInt64(UInt8(bitPattern: c)) & ((1 << UInt64(bits)) - 1), bits) }
                w.bytes(packer.lsbBytes)
            }
            w.floats(scales)
            w.bias(bias)
        case .ternary(let codes, let groupSize, let alphas, let bias, let base3):
            w.u8(base3 ? 3 : 2)
            w.u32(codes.count)
            w.i32(groupSize ?? -1)
            let trits = codes.map { UInt8($0 + 1) }
            if base3 {
                for i in stride(from: 0, to: trits.count, by: 5) {
                    var v = 0
                    for j in (i..<min(i + 5, trits.count)).reversed() { v = v * 3 + Int(trits[j]) }
                    w.u8(v)
                }
            } else {
                for i in stride(from: 0, to: trits.count, by: 4) {
                    var v: UInt8 = 0
                    for j in i..<min(i + 4, trits.count) { v |= trits[j] << UInt8(2 * (j - i)) }
                    w.u8(Int(v))
                }
            }
            w.u32(alphas.count)
            for a in alphas { w.u16(Int(Float16(a).bitPattern)) }
            w.bias(bias)
        case .shift(let c, let bits, let bias):
            w.u8(4)
            w.u32(c.nonzero.count)
            w.u8(bits)
            w.u8(c.recentralized ? 1 : 0)
            w.u8(c.exponentBits)
            w.i32(c.bias)
            w.f64(c.unit)
            w.f64(c.mu.0)
            w.f64(c.mu.1)
            var symbols = [UInt8](), gaps = [UInt8]()
            var gap = 0
            for i in 0..<c.nonzero.count {
                guard c.nonzero[i] else { gap += 1; continue }
                symbols.append(c.component[i] << 7 | (c.negative[i] ? 64 : 0) | c.exponent[i])
                while gap >= 255 { gaps.append(255); gap -= 255 }
                gaps.append(UInt8(gap))
                gap = 0
            }
            w.u32(symbols.count)
            w.huffman(symbols)
            w.u32(gaps.count)
            w.huffman(gaps)
            w.bias(bias)
        }
        return w.data
    }

    /// Reads a payload back; nil when the bytes are not a valid payload.
    static func decode(_ data: [UInt8]) -> WeightPayload? {
        var r = ByteReader(data)
        // At most 2^26 weights per layer: a damaged count must not allocate gigabytes before failing.
        guard let kind = r.u8(), let count = r.u32(), count <= 1 << 26 else { return nil }
        switch kind {
        case 1:
            guard let raw = r.bytes(count), let scales = r.floats(), let bias = r.bias() else { return nil }
            return .int8(codes: raw.map { Int8(bitPattern: $0) }, bits: 8, scales: scales, bias: bias)
        case 5:
            guard let bits = r.u8(), (2...7).contains(bits), let raw = r.bytes((count * bits + 7) / 8) else { return nil }
            var codes = [Int8](repeating: 0, count: count)
            let top = (1 << (bits - 1)) - 1
            for i in 0..<count {
                var v = 0
                for b in 0..<bits where raw[(i * bits + b) >> 3] >> UInt8((i * bits + b) & 7) & 1 == 1 { v |= 1 << b }
                if v >= 1 << (bits - 1) { v -= 1 << bits }  // two's complement
                guard abs(v) <= top else { return nil }
                codes[i] = Int8(v)
            }
            guard let scales = r.floats(), let bias = r.bias() else { return nil }
            return .int8(codes: codes, bits: bits, scales: scales, bias: bias)
        case 2, 3:
            guard let g = r.i32(), g == -1 || g >= 1 else { return nil }
            var trits = [UInt8]()
            if kind == 3 {
                guard let packed = r.bytes((count + 4) / 5) else { return nil }
                for (i, b) in packed.enumerated() {
                    var v = Int(b)
                    for _ in 0..<min(5, count - i * 5) { trits.append(UInt8(v % 3)); v /= 3 }
                }
            } else {
                guard let packed = r.bytes((count + 3) / 4) else { return nil }
                for (i, b) in packed.enumerated() {
                    for j in 0..<min(4, count - i * 4) { trits.append((b >> UInt8(2 * j)) & 3) }
                }
            }
            guard trits.allSatisfy({ $0 <= 2 }), let n = r.u32(), n * 2 <= data.count - r.pos else { return nil }
            let alphas = (0..<n).map { _ in Float(Float16(bitPattern: UInt16(r.u16()!))) }
            guard let bias = r.bias() else { return nil }
            return .ternary(codes: trits.map { Int8($0) - 1 }, groupSize: g < 0 ? nil : g, alphas: alphas, bias: bias, base3: kind == 3)
        case 4:
            guard let bits = r.u8(), let rc = r.u8(), let eb = r.u8(), let b = r.i32(), let unit = r.f64(), let m0 = r.f64(), let m1 = r.f64(),
                  let ns = r.u32(), let symbols = r.huffman(ns), let ng = r.u32(), let gaps = r.huffman(ng), let bias = r.bias() else { return nil }
            var c = ShiftCodes(nonzero: [Bool](repeating: false, count: count), negative: [Bool](repeating: false, count: count),
                               component: [UInt8](repeating: 0, count: count), exponent: [UInt8](repeating: 0, count: count), unit: unit,
                               mu: (m0, m1), recentralized: rc == 1, separation: nil, bias: b, exponentBits: eb)
            var pos = 0, g = 0, s = 0
            for v in gaps {
                g += Int(v)
                if v == 255 { continue }
                pos += g
                g = 0
                guard pos < count, s < symbols.count else { return nil }
                c.nonzero[pos] = true
                c.negative[pos] = symbols[s] & 64 != 0
                c.component[pos] = symbols[s] >> 7
                c.exponent[pos] = symbols[s] & 63
                s += 1
                pos += 1
            }
            guard s == symbols.count else { return nil }
            return .shift(codes: c, bits: bits, bias: bias)
        default:
            return nil
        }
    }
}

struct ByteWriter {
    var data = [UInt8]()
    mutating func u8(_ v: Int) { data.append(UInt8(truncatingIfNeeded: v)) }
    mutating func u16(_ v: Int) { for i in 0..<2 { data.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
    mutating func u32(_ v: Int) { for i in 0..<4 { data.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
    mutating func i32(_ v: Int) { u32(Int(UInt32(bitPattern: Int32(v)))) }
    mutating func u64(_ v: UInt64) { for i in 0..<8 { data.append(UInt8(truncatingIfNeeded: v >> UInt64(8 * i))) } }
    mutating func f64(_ v: Double) { u64(v.bitPattern) }
    mutating func bytes(_ b: [UInt8]) { data += b }
    mutating func floats(_ f: [Float]) {
        u32(f.count)
        for x in f { u32(Int(x.bitPattern)) }
    }
    mutating func bias(_ b: [Float]?) {
        u8(b == nil ? 0 : 1)
        if let b { floats(b) }
    }
    mutating func huffman(_ symbols: [UInt8]) {
        let (table, bits, bitCount) = Huffman.encode(symbols)
        let used = (0..<256).filter { table[$0] > 0 }
        u16(used.count)
        for s in used { u8(s); u8(Int(table[s])) }
        u32(bitCount)
        bytes(bits)
    }
}

struct ByteReader {
    let data: [UInt8]
    var pos = 0
    init(_ d: [UInt8]) { data = d }
    mutating func u8() -> Int? { guard pos < data.count else { return nil }; pos += 1; return Int(data[pos - 1]) }
    mutating func fixed(_ n: Int) -> UInt64? {
        guard pos + n <= data.count else { return nil }
        var v: UInt64 = 0
        for i in 0..<n { v |= UInt64(data[pos + i]) << UInt64(8 * i) }
        pos += n
        return v
    }
    mutating func u16() -> Int? { fixed(2).map { Int($0) } }
    mutating func u32() -> Int? { fixed(4).map { Int($0) } }
    mutating func i32() -> Int? { fixed(4).map { Int(Int32(bitPattern: UInt32($0))) } }
    mutating func f64() -> Double? { fixed(8).map { Double(bitPattern: $0) } }
    mutating func bytes(_ n: Int) -> [UInt8]? {
        guard n >= 0, pos + n <= data.count else { return nil }
        pos += n
        return Array(data[(pos - n)..<pos])
    }
    mutating func floats() -> [Float]? {
        guard let n = u32(), n * 4 <= data.count - pos else { return nil }
        return (0..<n).map { _ in Float(bitPattern: UInt32(fixed(4)!)) }
    }
    mutating func bias() -> [Float]?? {
        guard let flag = u8() else { return nil }
        if flag == 0 { return .some(nil) }
        guard let f = floats() else { return nil }
        return .some(f)
    }
    mutating func huffman(_ count: Int) -> [UInt8]? {
        guard let used = u16(), used <= 256 else { return nil }
        var table = [UInt8](repeating: 0, count: 256)
        for _ in 0..<used {
            guard let s = u8(), let l = u8() else { return nil }
            table[s] = UInt8(l)
        }
        guard let bitCount = u32(), count <= bitCount || count == 0, let bits = bytes((bitCount + 7) / 8) else { return nil }
        return Huffman.decode(table: table, bits: bits, count: count)
    }
}
