/// Little-endian writing and bounds-checked reading of the `.qbqm` payloads' fields.
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
        for s in used {
            u8(s)
            u8(Int(table[s]))
        }
        u32(bitCount)
        bytes(bits)
    }
}

struct ByteReader {
    let data: [UInt8]
    var pos = 0
    init(_ d: [UInt8]) { data = d }
    mutating func u8() -> Int? {
        guard pos < data.count else { return nil }
        pos += 1
        return Int(data[pos - 1])
    }
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
        guard let bitCount = u32(), count <= bitCount || count == 0, let bits = bytes((bitCount + 7) / 8) else {
            return nil
        }
        return Huffman.decode(table: table, bits: bits, count: count)
    }
}
