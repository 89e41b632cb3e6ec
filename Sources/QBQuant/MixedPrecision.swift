import Foundation

/// The cost a mixed-precision budget limits.
public enum Budget: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Average bits per weight over the quantized layers, as serialized (codes, scales, tables, biases):
    /// the `bits_per_weight` the reports quote, so FGQ's fp16 group scales count.
    case bitsPerWeight(Double)
    /// Bytes of the quantized layers' payloads (as serialized).
    case bytes(Int)
    /// Payload bytes relative to every layer at the first (largest) candidate.
    case relativeBytes(Double)
    /// Bit operations `sum MACs x w_bits x a_bits` relative to W8A8 everywhere.
    case relativeBOPs(Double)

    public var description: String {
        switch self {
        case .bitsPerWeight(let b): return String(format: "%.2f bits/weight", b)
        case .bytes(let n): return "\(n) payload bytes"
        case .relativeBytes(let r): return String(format: "%.0f%% of the payload bytes", r * 100)
        case .relativeBOPs(let r): return String(format: "%.0f%% of W8A8's BOPs", r * 100)
        }
    }
}

/// Mixed precision: one candidate per layer under a budget (Pandey et al. 2023, arXiv 2302.05397, the
/// AIMET algorithm; HAWQ-V3 for the integer-programming view).
///
/// Greedy (the paper's): start with every layer at its costliest candidate, sort all (layer, candidate)
/// flips from least to most sensitive (`Sensitivity.noise`), apply them cumulatively (a flip applies only
/// if it lowers the layer's cost) — each step is a point of the front — and binary-search the steps for
/// the first one within the budget. Optimum: minimize the predicted output noise `sum_l noise[l][c_l]`
/// (noise powers of independent layers add) under the budget, exactly, by dynamic programming over the
/// layers on integer costs (bucketed, rounding costs up, when the exact table would be too large).
public enum MixedPrecision {
    /// A point of a front: the choice per layer, its cost (in the budget's unit) and its predicted noise.
    public struct Point: Sendable, Equatable, Codable {
        public var choice: [Int]
        public var cost: Double
        public var predicted: Double
    }

    /// The cost of candidate `c` at layer `l` in the budget's unit.
    public static func cost(
        _ s: Sensitivity, bits: [(weights: Double, activations: Double)], budget: Budget, layer l: Int, candidate c: Int
    ) -> Double {
        switch budget {
        case .bitsPerWeight: return Double(s.bytes[l][c] * 8) / Double(max(s.weights.reduce(0, +), 1))
        case .bytes: return Double(s.bytes[l][c])
        case .relativeBytes: return Double(s.bytes[l][c]) / Double(max(s.bytes.reduce(0) { $0 + ($1.first ?? 0) }, 1))
        case .relativeBOPs:
            let total = s.macs.reduce(0.0) { $0 + Double($1) * 64 }
            return Double(s.macs[l]) * bits[c].weights * min(bits[c].activations, 32) / max(total, 1)
        }
    }

    public static func limit(_ budget: Budget) -> Double {
        switch budget {
        case .bitsPerWeight(let b): return b
        case .bytes(let n): return Double(n)
        case .relativeBytes(let r), .relativeBOPs(let r): return r
        }
    }

    static func point(_ choice: [Int], _ costs: [[Double]], _ s: Sensitivity) -> Point {
        Point(
            choice: choice, cost: choice.enumerated().reduce(0) { $0 + costs[$1.offset][$1.element] },
            predicted: choice.enumerated().reduce(0) { $0 + s.noise[$1.offset][$1.element] })
    }

    static func costTable(_ s: Sensitivity, bits: [(weights: Double, activations: Double)], budget: Budget)
        -> [[Double]]
    {
        s.layers.indices.map { l in
            s.candidates.indices.map { cost(s, bits: bits, budget: budget, layer: l, candidate: $0) }
        }
    }

    /// The greedy front, from every layer at its costliest candidate to the last flip.
    public static func greedyFront(_ s: Sensitivity, bits: [(weights: Double, activations: Double)], budget: Budget)
        -> [Point]
    {
        let costs = costTable(s, bits: bits, budget: budget)
        var choice = costs.map { row in row.indices.max { (row[$0], -$0) < (row[$1], -$1) }! }
        var flips = [(l: Int, c: Int)]()
        for l in s.layers.indices { for c in s.candidates.indices where c != choice[l] { flips.append((l, c)) } }
        flips.sort { (s.noise[$0.l][$0.c], $0.l, $0.c) < (s.noise[$1.l][$1.c], $1.l, $1.c) }
        var front = [point(choice, costs, s)]
        for f in flips where costs[f.l][f.c] < costs[f.l][choice[f.l]] {
            choice[f.l] = f.c
            front.append(point(choice, costs, s))
        }
        return front
    }

    /// The first point of the greedy front within the budget (binary search: the front's cost only falls),
    /// or nil when even the last is over it.
    public static func greedy(_ front: [Point], limit: Double) -> Point? {
        var lo = 0, hi = front.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if front[mid].cost <= limit * (1 + 1e-12) { hi = mid } else { lo = mid + 1 }
        }
        return lo < front.count ? front[lo] : nil
    }

    /// The choice minimizing the predicted noise within the budget, by dynamic programming over layers on
    /// integer cost units. `exact` is false when costs had to be rounded up to coarser units (the result
    /// then still meets the budget, but a finer choice might exist).
    public static func optimum(
        _ s: Sensitivity, bits: [(weights: Double, activations: Double)], budget: Budget, limit: Double,
        maxCells: Int = 200_000
    ) -> (point: Point, exact: Bool)? {
        let costs = costTable(s, bits: bits, budget: budget)
        // Integer units: costs are sums of (weights x bits) or bytes; scale to the unit they share.
        let scale: Double
        switch budget {
        case .bitsPerWeight: scale = Double(max(s.weights.reduce(0, +), 1)) / 8  // bytes
        case .bytes: scale = 1
        case .relativeBytes: scale = Double(max(s.bytes.reduce(0) { $0 + ($1.first ?? 0) }, 1))
        case .relativeBOPs: scale = 10 * max(s.macs.reduce(0.0) { $0 + Double($1) * 64 }, 1)
        }
        var units = costs.map { $0.map { Int(($0 * scale).rounded()) } }
        var capacity = Int((limit * scale * (1 + 1e-12)).rounded(.down))
        guard capacity >= 0 else { return nil }
        var g = units.flatMap { $0 }.reduce(0) { gcd($0, $1) }
        if g == 0 { g = 1 }
        var exact = true
        var unit = g
        if capacity / unit > maxCells {
            unit = max(g, (capacity + maxCells - 1) / maxCells)
            exact = unit == g
        }
        units = units.map { $0.map { ($0 + unit - 1) / unit } }  // round up: a bucketed choice never exceeds the budget
        capacity /= unit
        let inf = Double.infinity
        var best = [Double](repeating: 0, count: capacity + 1)
        var pick = [[Int8]]()
        for l in s.layers.indices {
            var next = [Double](repeating: inf, count: capacity + 1)
            var p = [Int8](repeating: -1, count: capacity + 1)
            for cap in 0...capacity {
                for c in s.candidates.indices where units[l][c] <= cap {
                    let v = best[cap - units[l][c]] + s.noise[l][c]
                    if v < next[cap] {
                        next[cap] = v
                        p[cap] = Int8(c)
                    }
                }
            }
            best = next
            pick.append(p)
        }
        guard best[capacity].isFinite else { return nil }
        var choice = [Int](repeating: 0, count: s.layers.count), cap = capacity
        for l in s.layers.indices.reversed() {
            let c = Int(pick[l][cap])
            choice[l] = c
            cap -= units[l][c]
        }
        return (point(choice, costs, s), exact)
    }

    static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
}
