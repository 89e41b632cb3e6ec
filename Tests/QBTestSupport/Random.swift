/// Seeded pseudo-random values for kernel tests (an LCG: the same values on every platform).
public func randomFloats(_ n: Int, seed: UInt64) -> [Float] {
    var s = seed &+ 0x9E37_79B9_7F4A_7C15
    return (0..<n).map { _ in
        s = s &* 6364136223846793005 &+ 1442695040888963407
        return Float(Int64(bitPattern: s >> 11) % (1 << 24)) / Float(1 << 23) - 1
    }
}
