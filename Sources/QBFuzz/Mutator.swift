/// Seeded byte mutations (the classic havoc set of AFL and libFuzzer, without coverage feedback): bit flips,
/// interesting bytes and integers, inserted, deleted and duplicated runs, JSON/CSV punctuation, truncation
/// and splicing of two seeds. The same seed gives the same inputs.
public struct Mutator {
    private var state: UInt64
    public static let maxBytes = 1 << 21

    public init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    /// SplitMix64.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }

    static let bytes: [UInt8] = [
        0, 1, 0x7F, 0x80, 0xFF, 0x20, 0x0A, 0x22, 0x2C, 0x3A, 0x5B, 0x5D, 0x7B, 0x7D, 0x5C, 0x2D, 0x30, 0x39, 0x65,
    ]
    static let ints: [UInt32] = [
        0, 1, 0xFFFF_FFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF, 0x1_0000, 0x100, 0xFF, 0x7F, 0x80, 0xFFFF_FF80,
    ]
    static let tokens: [[UInt8]] = [
        "\"", ",", "\n", "{", "}", "[", "]", ":", "1e999", "-1", "null", "NaN", "\"\"", "\r\n", "\\u0000",
        "9999999999999999999",
    ]
    .map { Array($0.utf8) }

    /// One mutated input: 1 to 8 mutations of a random seed (sometimes spliced with another).
    public mutating func mutate(_ seeds: [[UInt8]]) -> [UInt8] {
        guard !seeds.isEmpty else { return [] }
        var d = seeds[below(seeds.count)]
        for _ in 0..<(1 + below(8)) { step(&d, seeds) }
        if d.count > Self.maxBytes { d.removeLast(d.count - Self.maxBytes) }
        return d
    }

    private mutating func step(_ d: inout [UInt8], _ seeds: [[UInt8]]) {
        let n = d.count
        switch below(11) {
        case 0 where n > 0: d[below(n)] ^= 1 << UInt8(below(8))
        case 1 where n > 0: d[below(n)] = Self.bytes[below(Self.bytes.count)]
        case 2 where n > 0: d[below(n)] = UInt8(truncatingIfNeeded: next())
        case 3 where n >= 4:
            // A 32-bit integer, either byte order (lengths, dimensions, offsets in headers).
            var v = Self.ints[below(Self.ints.count)]
            if below(2) == 0 { v = v.byteSwapped }
            let at = below(n - 3)
            for k in 0..<4 { d[at + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(k))) }
        case 4:
            let count = 1 + below(16)
            d.insert(contentsOf: (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }, at: below(n + 1))
        case 5 where n > 1:
            let at = below(n), count = 1 + below(min(64, n - at))
            d.removeSubrange(at..<(at + count))
        case 6 where n > 1:
            let at = below(n), count = 1 + below(min(256, n - at))
            d.insert(contentsOf: d[at..<(at + count)], at: below(n + 1))
        case 7: d.insert(contentsOf: Self.tokens[below(Self.tokens.count)], at: below(n + 1))
        case 8 where n > 1: d.removeLast(below(n))
        case 9 where n > 0 && seeds.count > 1:
            let other = seeds[below(seeds.count)]
            guard !other.isEmpty else { return }
            d = Array(d.prefix(below(n + 1))) + other.suffix(below(other.count + 1))
        case 10 where n > 8:
            // Overwrite a run with a copy from elsewhere in the input.
            let from = below(n), to = below(n), count = 1 + below(min(32, n - max(from, to)))
            let run = Array(d[from..<(from + count)])
            d.replaceSubrange(to..<(to + count), with: run)
        default:
            d.append(UInt8(truncatingIfNeeded: next()))
        }
    }
}
