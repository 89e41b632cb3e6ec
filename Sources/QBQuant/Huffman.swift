import Foundation

/// Canonical Huffman coding of byte symbols (the codes of power-of-two weights and the gaps of their
/// sparse index). The table is stored as 256 code lengths (one byte each, 0 = unused) and the stream
/// as MSB-first bits.
public enum Huffman {
    /// Code lengths from symbol frequencies (classic two-queue Huffman, ties by symbol for determinism).
    /// A single used symbol gets length 1.
    public static func lengths(_ counts: [Int]) -> [UInt8] {
        precondition(counts.count == 256)
        var lengths = [UInt8](repeating: 0, count: 256)
        let used = (0..<256).filter { counts[$0] > 0 }
        if used.count == 1 { lengths[used[0]] = 1 }
        guard used.count > 1 else { return lengths }
        // Nodes: (weight, id); leaves 0..<256, internal 256...
        var parent = [Int](repeating: -1, count: 512)
        var heap = used.map { (weight: counts[$0], id: $0) }
        var next = 256
        func less(_ a: (weight: Int, id: Int), _ b: (weight: Int, id: Int)) -> Bool {
            a.weight != b.weight ? a.weight < b.weight : a.id < b.id
        }
        while heap.count > 1 {
            heap.sort { less($1, $0) }  // smallest last
            let a = heap.removeLast(), b = heap.removeLast()
            parent[a.id] = next
            parent[b.id] = next
            heap.append((a.weight + b.weight, next))
            next += 1
        }
        for s in used {
            var d = 0, n = s
            while parent[n] >= 0 {
                n = parent[n]
                d += 1
            }
            lengths[s] = UInt8(d)
        }
        return lengths
    }

    /// Canonical codes for the lengths: (code, length) per symbol.
    static func codes(_ lengths: [UInt8]) -> [(code: UInt64, length: Int)] {
        var out = [(code: UInt64, length: Int)](repeating: (0, 0), count: 256)
        let order = (0..<256).filter { lengths[$0] > 0 }.sorted {
            lengths[$0] != lengths[$1] ? lengths[$0] < lengths[$1] : $0 < $1
        }
        var code: UInt64 = 0, previous = 0
        for (i, s) in order.enumerated() {
            let l = Int(lengths[s])
            if i > 0 { code = (code + 1) << UInt64(l - previous) } else { code = 0 }
            previous = l
            out[s] = (code, l)
        }
        return out
    }

    /// Encodes `symbols`: returns the 256-byte length table and the packed bit stream.
    public static func encode(_ symbols: [UInt8]) -> (table: [UInt8], bits: [UInt8], bitCount: Int) {
        var counts = [Int](repeating: 0, count: 256)
        for s in symbols { counts[Int(s)] += 1 }
        let table = lengths(counts)
        let c = codes(table)
        var writer = BitWriter()
        for s in symbols { writer.write(c[Int(s)].code, c[Int(s)].length) }
        return (table, writer.bytes, writer.count)
    }

    /// Decodes `count` symbols; nil if the stream or table is invalid.
    public static func decode(table: [UInt8], bits: [UInt8], count: Int) -> [UInt8]? {
        guard table.count == 256, table.allSatisfy({ $0 <= 64 }) else { return nil }
        // Kraft: a valid prefix code never oversubscribes (a damaged table would overflow the canonical codes).
        guard table.reduce(0.0, { $0 + ($1 > 0 ? pow(2.0, -Double($1)) : 0) }) <= 1 + 1e-12 else { return nil }
        let c = codes(table)
        var lookup = [Int: [UInt64: UInt8]]()
        for s in 0..<256 where c[s].length > 0 { lookup[c[s].length, default: [:]][c[s].code] = UInt8(s) }
        guard let longest = lookup.keys.max(), longest <= 64 else { return count == 0 ? [] : nil }
        var out = [UInt8]()
        out.reserveCapacity(count)
        var pos = 0
        while out.count < count {
            var code: UInt64 = 0, length = 0
            var found: UInt8? = nil
            while found == nil {
                guard pos < bits.count * 8, length < longest else { return nil }
                code = code << 1 | UInt64((bits[pos >> 3] >> (7 - UInt8(pos & 7))) & 1)
                pos += 1
                length += 1
                found = lookup[length]?[code]
            }
            out.append(found!)
        }
        return out
    }
}

/// MSB-first bit packing (Huffman streams), and LSB-first packing of fixed-width codes.
struct BitWriter {
    private(set) var bytes = [UInt8]()
    private(set) var count = 0
    private(set) var lsbBytes = [UInt8]()
    private var lsbCount = 0

    mutating func writeLSB(_ value: UInt64, _ length: Int) {
        for i in 0..<length {
            if lsbCount & 7 == 0 { lsbBytes.append(0) }
            if (value >> UInt64(i)) & 1 == 1 { lsbBytes[lsbBytes.count - 1] |= 1 << UInt8(lsbCount & 7) }
            lsbCount += 1
        }
    }

    mutating func write(_ value: UInt64, _ length: Int) {
        for i in stride(from: length - 1, through: 0, by: -1) {
            if count & 7 == 0 { bytes.append(0) }
            if (value >> UInt64(i)) & 1 == 1 { bytes[bytes.count - 1] |= 0x80 >> UInt8(count & 7) }
            count += 1
        }
    }
}
