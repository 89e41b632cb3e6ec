import QBTestSupport
@testable import QBEngine
import Testing

@Suite("Broadcasting against a plain reference")
struct BroadcastTests {
    /// The plain reference: each output coordinate mapped to each input by the rules, one by one.
    func reference(_ a: [Int], _ aShape: [Int], _ b: [Int], _ bShape: [Int], _ out: [Int]) -> [Int] {
        let n = out.reduce(1, *)
        return (0..<n).map { i in
            var rem = i
            var coords = [Int](repeating: 0, count: out.count)
            for d in stride(from: out.count - 1, through: 0, by: -1) {
                coords[d] = rem % out[d]
                rem /= out[d]
            }
            func index(_ shape: [Int]) -> Int {
                var idx = 0
                let offset = out.count - shape.count
                for (k, s) in shape.enumerated() { idx = idx * s + (s == 1 ? 0 : coords[offset + k]) }
                return idx
            }
            return a[index(aShape)] * 1000 + b[index(bShape)]
        }
    }

    @Test("random shape pairs", arguments: Array(0..<40))
    func randomPairs(_ seed: Int) throws {
        var g = UInt64(seed * 7919 + 1)
        func next(_ n: Int) -> Int {
            g = g &* 6364136223846793005 &+ 1442695040888963407
            return Int(g >> 33) % n
        }
        let rank = next(4) + 1
        let out = (0..<rank).map { _ in next(4) + 1 }
        func derive() -> [Int] {
            let drop = next(rank + 1)
            return out.dropFirst(drop).map { next(3) == 0 ? 1 : $0 }
        }
        let aShape = derive(), bShape = derive()
        let a = Array(0..<aShape.reduce(1, *)), b = Array(0..<bShape.reduce(1, *))
        let shape = try #require(Broadcast.shape([aShape, bShape]))
        #expect(
            Broadcast.map(a, aShape, b, bShape, shape) { $0 * 1000 + $1 } == reference(a, aShape, b, bShape, shape),
            "\(aShape) with \(bShape)")
    }

    @Test(
        "the Float fast paths equal the generic broadcast",
        arguments: [
            ([2, 3, 4], [2, 3, 4]), ([2, 3, 4], [4]), ([4], [2, 3, 4]), ([2, 3, 4], []), ([], [2, 3, 4]),
            ([2, 3, 4], [1, 3, 4]),
            ([2, 3, 4], [3, 1]), ([5, 1], [1, 7]), ([1], [6]), ([2, 1, 4], [1, 3, 1]),
        ])
    func floatFastPaths(_ c: ([Int], [Int])) throws {
        let a = randomFloats(c.0.reduce(1, *), seed: 1).map { $0 + 2 },
            b = randomFloats(c.1.reduce(1, *), seed: 2).map { $0 + 2 }
        let shape = try #require(Broadcast.shape([c.0, c.1]))
        for (op, f) in [
            (FloatArithmetic.Op.add, { (x: Float, y: Float) in x + y }), (.sub, { $0 - $1 }), (.mul, { $0 * $1 }),
            (.div, { $0 / $1 }),
        ] {
            #expect(
                FloatArithmetic.apply(op, a, c.0, b, c.1, shape) == Broadcast.map(a, c.0, b, c.1, shape, f),
                "\(op) \(c)")
        }
    }

    @Test("expanding a single value or an equal-rank value to a larger shape")
    func expand() {
        #expect(Broadcast.expand([7], [], to: [3]) == [7, 7, 7])
        #expect(Broadcast.expand([1, 2], [2], to: [2, 2]) == [1, 2, 1, 2])
        #expect(Broadcast.expand([1, 2], [2, 1], to: [2, 3]) == [1, 1, 1, 2, 2, 2])
        #expect(Broadcast.shape([[2, 3], [4, 3]]) == nil)
    }
}
