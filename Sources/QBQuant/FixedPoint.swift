import Foundation

/// A real multiplier `M > 0` held as gemmlowp does (Jacob et al. 2018, section 2.2): `M = M0 * 2^-n`
/// with `M0` in [0.5, 1) stored as the int32 nearest `2^31 * M0`. `n` may be negative for M >= 1; it is
/// split into a left shift (applied before the multiply) and a right shift (after).
public struct FixedPointMultiplier: Sendable, Equatable, Codable {
    public var m0: Int32
    public var leftShift: Int32
    public var rightShift: Int32

    public init(_ m: Double) {
        guard m > 0, m.isFinite else {
            self.m0 = 0
            leftShift = 0
            rightShift = 0
            return
        }
        let e = m.exponent + 1  // m = f * 2^e with f in [0.5, 1)
        var f = (m / pow(2, Double(e)) * 2147483648).rounded()
        var exp = e
        if f >= 2147483648 {
            f /= 2
            exp += 1
        }
        m0 = Int32(f)
        // Shifts of 31 or more leave nothing (right) or saturate (left): clamp so C never shifts past its width.
        leftShift = Int32(min(max(exp, 0), 31))
        rightShift = Int32(min(max(-exp, 0), 31))
    }

    /// `(v << left) * M0 / 2^31` rounded, then rounded right shift: the reference of the C epilogue.
    public func apply(_ v: Int32) -> Int32 {
        let shifted = Int64(v) << Int64(leftShift)
        let s = Int32(clamping: shifted)
        return Self.roundingDivideByPOT(Self.saturatingRoundingDoublingHighMul(s, m0), Int(rightShift))
    }

    /// gemmlowp's SaturatingRoundingDoublingHighMul: round(a * b / 2^31), ties away from zero; the one
    /// overflowing case (both INT32_MIN) saturates.
    public static func saturatingRoundingDoublingHighMul(_ a: Int32, _ b: Int32) -> Int32 {
        if a == .min && b == .min { return .max }
        let ab = Int64(a) * Int64(b)
        let nudge: Int64 = ab >= 0 ? 1 << 30 : 1 - (1 << 30)
        return Int32((ab + nudge) / (1 << 31))
    }

    /// gemmlowp's RoundingDivideByPOT: x / 2^exponent rounded half away from zero.
    public static func roundingDivideByPOT(_ x: Int32, _ exponent: Int) -> Int32 {
        guard exponent > 0 else { return x }
        let exponent = min(exponent, 31)
        let mask = Int32(truncatingIfNeeded: (Int64(1) << exponent) - 1)
        let remainder = x & mask
        let threshold = (mask >> 1) + (x < 0 ? 1 : 0)
        return (x >> Int32(exponent)) + (remainder > threshold ? 1 : 0)
    }
}
