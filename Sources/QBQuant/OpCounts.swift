/// The operations an integer kernel performed, counted by the kernel as it ran.
public struct OpCounts: Sendable, Equatable, Codable {
    /// Multiply-accumulates (int8), multiplications (one per group for ternary), additions and
    /// subtractions, and shift-adds (power-of-two).
    public var macs: Int64 = 0
    public var multiplies: Int64 = 0
    public var adds: Int64 = 0
    public var shifts: Int64 = 0

    public init(macs: Int64 = 0, multiplies: Int64 = 0, adds: Int64 = 0, shifts: Int64 = 0) {
        self.macs = macs
        self.multiplies = multiplies
        self.adds = adds
        self.shifts = shifts
    }

    public static func + (a: OpCounts, b: OpCounts) -> OpCounts {
        OpCounts(
            macs: a.macs + b.macs, multiplies: a.multiplies + b.multiplies, adds: a.adds + b.adds,
            shifts: a.shifts + b.shifts)
    }

    public static func - (a: OpCounts, b: OpCounts) -> OpCounts {
        OpCounts(
            macs: a.macs - b.macs, multiplies: a.multiplies - b.multiplies, adds: a.adds - b.adds,
            shifts: a.shifts - b.shifts)
    }
}
