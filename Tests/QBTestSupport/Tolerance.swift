/// Shared comparison helpers and tolerances for tests.
///
/// Errors are combined with `worse` / `worst`, never with Swift's `max`: `max(worst, .nan)` and
/// `[.nan, ...].max()` drop the NaN, so a kernel that leaves an element unwritten (the tests fill outputs with
/// NaN) would pass. Here a non-finite error makes the result +infinity.
public enum Tolerance {
    /// The larger of two errors, +infinity when either is NaN or infinite.
    public static func worse<T: BinaryFloatingPoint>(_ a: T, _ b: T) -> T {
        a.isFinite && b.isFinite ? Swift.max(a, b) : .infinity
    }

    /// The largest error of a sequence (0 when empty), +infinity when any is NaN or infinite.
    public static func worst<S: Sequence>(_ errors: S) -> S.Element where S.Element: BinaryFloatingPoint {
        errors.reduce(0) { worse($0, $1) }
    }

    /// Pixels from two decoders: the largest absolute difference of corresponding bytes
    /// (nil when the lengths differ).
    public static func maxByteDifference(_ a: [UInt8], _ b: [UInt8]) -> Int? {
        guard a.count == b.count else { return nil }
        var worst = 0
        for i in 0..<a.count { worst = max(worst, abs(Int(a[i]) - Int(b[i]))) }
        return worst
    }

    /// The largest absolute difference of two float arrays (nil when the lengths differ; +infinity when a
    /// difference is not finite).
    public static func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float? {
        guard a.count == b.count else { return nil }
        return worst(zip(a, b).map { abs($0 - $1) })
    }
}
