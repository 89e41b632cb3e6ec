import Foundation
@testable import QBEngine
@testable import QBQuant
import QBTestSupport
import Testing

/// Mixed precision: the allocation (greedy front, exact optimum) against brute force, and the
/// sensitivities of a real model.
@Suite("Mixed precision")
struct MixedPrecisionTests {
    /// A synthetic problem: `layers` x `candidates`, candidate 0 the costliest.
    static func problem(layers: Int, candidates: Int, seed: UInt64) -> Sensitivity {
        let r = randomFloats(layers * candidates * 2, seed: seed).map { abs($0) }
        var noise = [[Double]](), bytes = [[Int]]()
        for l in 0..<layers {
            noise.append((0..<candidates).map { c in c == 0 ? 0 : Double(r[l * candidates + c]) * Double(c) })
            var row = [Int]()
            for c in 0..<candidates {
                let size: Double = Double(100 + 37 * l) * (1 - Double(c) / Double(candidates + 1))
                let jitter: Double = Double(r[layers * candidates + l * candidates + c]) * 9
                row.append(max(1, Int(size + jitter)))
            }
            bytes.append(row)
        }
        return Sensitivity(
            metric: .sqnr, candidates: (0..<candidates).map { "c\($0)" }, layers: (0..<layers).map { "l\($0)" },
            weights: (0..<layers).map { 100 + 37 * $0 }, macs: (0..<layers).map { 1000 * ($0 + 1) }, noise: noise,
            bytes: bytes, samples: 1, seconds: 0)
    }

    @Test(
        "the dynamic program finds the brute-force optimum under every budget (bytes and BOPs)", arguments: [1, 2, 3])
    func optimumIsExact(seed: Int) throws {
        let s = Self.problem(layers: 5, candidates: 4, seed: UInt64(seed))
        let bits: [(weights: Double, activations: Double)] = [(8, 8), (6, 8), (4, 8), (4, 4)]
        for budget in [Budget.bytes(0), .relativeBOPs(0)] {
            let costs = MixedPrecision.costTable(s, bits: bits, budget: budget)
            let all = costs.reduce(0) { $0 + $1.max()! }, least = costs.reduce(0) { $0 + $1.min()! }
            for step in 0...10 {
                let limit = least + (all - least) * Double(step) / 10
                // Brute force over all 4^5 choices.
                var best = Double.infinity
                for code in 0..<1024 {
                    let choice = (0..<5).map { (code >> (2 * $0)) & 3 }
                    let p = MixedPrecision.point(choice, costs, s)
                    if p.cost <= limit * (1 + 1e-12) { best = min(best, p.predicted) }
                }
                let dp = try #require(MixedPrecision.optimum(s, bits: bits, budget: budget, limit: limit))
                #expect(dp.exact)
                #expect(dp.point.cost <= limit * (1 + 1e-9), "\(budget) step \(step)")
                #expect(
                    abs(dp.point.predicted - best) <= 1e-12 * max(1, best),
                    "\(budget) step \(step): DP \(dp.point.predicted), brute force \(best)")
                // The greedy point within the same budget is never better than the optimum.
                if let g = MixedPrecision.greedy(
                    MixedPrecision.greedyFront(s, bits: bits, budget: budget), limit: limit)
                {
                    #expect(g.predicted >= dp.point.predicted - 1e-12 && g.cost <= limit * (1 + 1e-12))
                }
            }
        }
    }

    @Test("a bucketed dynamic program stays within the budget and says it is not exact")
    func bucketed() throws {
        let s = Self.problem(layers: 6, candidates: 3, seed: 9)
        let bits: [(weights: Double, activations: Double)] = [(8, 8), (4, 8), (2, 8)]
        let limit = Double(s.bytes.reduce(0) { $0 + $1[1] })
        let dp = try #require(MixedPrecision.optimum(s, bits: bits, budget: .bytes(0), limit: limit, maxCells: 50))
        #expect(!dp.exact && dp.point.cost <= limit)
    }

    @Test(
        "the greedy front starts at the costliest choice, only gets cheaper, and flips the least sensitive layers first"
    )
    func greedyFront() {
        let s = Self.problem(layers: 7, candidates: 4, seed: 5)
        let bits: [(weights: Double, activations: Double)] = [(8, 8), (6, 8), (4, 8), (4, 4)]
        let front = MixedPrecision.greedyFront(s, bits: bits, budget: .bytes(0))
        let costs = MixedPrecision.costTable(s, bits: bits, budget: .bytes(0))
        #expect(front[0].cost == costs.reduce(0) { $0 + $1.max()! })
        for i in 1..<front.count { #expect(front[i].cost < front[i - 1].cost) }
        // The flips applied, in order: each changes one layer, and their sensitivities never decrease.
        var last = -Double.infinity
        for i in 1..<front.count {
            let changed = front[i].choice.indices.filter { front[i].choice[$0] != front[i - 1].choice[$0] }
            #expect(changed.count == 1)
            let l = changed[0], noise = s.noise[l][front[i].choice[l]]
            #expect(noise >= last)
            last = noise
        }
        // Binary search = the first point within the budget, for every budget between the ends.
        for p in front {
            #expect(MixedPrecision.greedy(front, limit: p.cost) == front.first { $0.cost <= p.cost })
        }
        #expect(MixedPrecision.greedy(front, limit: front.last!.cost - 1) == nil)
    }

    @Test(
        "on fmnist-resnet every layer is more sensitive at W4A4 than at int8, and the sensitivities are deterministic")
    func realSensitivities() throws {
        let (session, feeds) = try ModelQuantizationTests.prepared("fmnist-resnet")
        let cands = [
            Candidate(name: "int8", method: .int8(Int8Settings())),
            Candidate(name: "w4a4", method: .int8(Int8Settings(weightBits: 4, activationBits: 4))),
        ]
        let a = try Sensitivity.measure(session.graph, candidates: cands, feeds: feeds, threads: 2)
        let b = try Sensitivity.measure(session.graph, candidates: cands, feeds: feeds, threads: 1)
        #expect(a.layers.count == 10 && a.noise == b.noise && a.bytes == b.bytes)
        for l in a.layers.indices {
            #expect(a.noise[l][0] < a.noise[l][1], "\(a.layers[l]): \(a.noise[l])")
            #expect(a.bytes[l][0] > a.bytes[l][1])
        }
        // MACs per sample of the stem: 144 weights at 28 x 28 positions.
        #expect(a.macs[0] == 144 * 28 * 28)
    }
}
