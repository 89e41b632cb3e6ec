/// Shared comparison helpers and tolerances for tests.
public enum Tolerance {
    /// Pixels from two decoders: the largest absolute difference of corresponding bytes
    /// (nil when the lengths differ).
    public static func maxByteDifference(_ a: [UInt8], _ b: [UInt8]) -> Int? {
        guard a.count == b.count else { return nil }
        var worst = 0
        for i in 0..<a.count { worst = max(worst, abs(Int(a[i]) - Int(b[i]))) }
        return worst
    }

    /// The largest absolute difference of two float arrays (nil when the lengths differ).
    public static func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float? {
        guard a.count == b.count else { return nil }
        var worst: Float = 0
        for i in 0..<a.count { worst = max(worst, abs(a[i] - b[i])) }
        return worst
    }
}
