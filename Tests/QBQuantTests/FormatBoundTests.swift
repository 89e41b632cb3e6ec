import Foundation
@testable import QBEngine
@testable import QBQuant
import QBTestSupport
import Testing

/// Round-trip error bounds of each weight format on odd sizes (quantize, serialize, read back,
/// dequantize), in the style of ggml's test-quantize-fns.
@Suite("Weight formats: round-trip error bounds on odd sizes")
struct FormatBoundTests {
    static let sizes = [1, 2, 3, 5, 7, 8, 15, 16, 17, 31, 33, 63, 127, 129]

    static func spec(rows: Int, depth: Int, seed: UInt64) -> LayerSpec {
        var s = LayerFixtures.linear(rows: rows, depth: depth, seed: seed)
        // Heavier tails than uniform, as real weights: cube of the uniform values.
        s.weights = s.weights.map { $0 * $0 * $0 * 5 }
        return s
    }

    @Test("int8: every weight within half a step of its channel's scale; codes in [-127, 127]; bytes round-trip")
    func int8() {
        for (i, rows) in Self.sizes.enumerated() {
            let depth = Self.sizes[(i * 5 + 2) % Self.sizes.count]
            let s = Self.spec(rows: rows, depth: depth, seed: UInt64(i))
            for (perChannel, bits) in [(true, 8), (false, 8), (true, 6), (true, 4), (false, 2)] {
                let (codes, scales) = Int8Method.quantizeWeights(
                    s.weights, rows: rows, depth: depth, perChannel: perChannel, bits: bits)
                let top = Int8((1 << (bits - 1)) - 1)
                #expect(codes.allSatisfy { abs($0) <= top })
                let p = Int8Payload(codes: codes, bits: bits, scales: scales, bias: s.bias)
                #expect(MethodRegistry.standard.decodePayload(p.encoded())?.isEqual(p) == true)
                #expect(
                    p.encoded().count <= 5 + (bits < 8 ? 1 : 0) + (codes.count * bits + 7) / 8 + 4 + 4 * scales.count
                        + 1 + 4 + 4 * rows)
                guard let decoded = MethodRegistry.standard.decodePayload(p.encoded()) as? Int8Payload else {
                    Issue.record("decode")
                    return
                }
                let (c2, s2) = (decoded.codes, decoded.scales)
                for k in 0..<s.weights.count {
                    let err = abs(s.weights[k] - s2[k / depth] * Float(c2[k]))
                    #expect(err <= s2[k / depth] * 0.5 * 1.0001, "rows \(rows) depth \(depth) [\(k)]")
                }
            }
        }
    }

    @Test("ternary: the exact threshold's L2 error never exceeds TWN's nor the all-zero code's, group by group")
    func ternary() {
        for (i, rows) in Self.sizes.enumerated() {
            let depth = Self.sizes[(i * 3 + 4) % Self.sizes.count]
            let s = Self.spec(rows: rows, depth: depth, seed: UInt64(i + 20))
            for n in [4, 64] {
                for g in TernaryMethod.groups(s, groupSize: n) {
                    let w = g.ks.map { s.weights[g.row * depth + $0] }
                    func err(_ t: TernarySettings.Threshold) -> Double {
                        let (c, a) = TernaryMethod.ternarize(w, threshold: t)
                        return zip(w, c).reduce(0.0) {
                            $0 + Double($1.0 - a * Float($1.1)) * Double($1.0 - a * Float($1.1))
                        }
                    }
                    let zero = w.reduce(0.0) { $0 + Double($1) * Double($1) }
                    // alpha is stored in fp16: allow its rounding (relative 2^-11) on top.
                    #expect(
                        err(.exact) <= min(err(.twn), zero) * (1 + 1e-3) + 1e-12, "rows \(rows) depth \(depth) N \(n)")
                }
                let (codes, alphas) = TernaryMethod.ternarizeLayer(s, settings: TernarySettings(groupSize: n))
                for base3 in [false, true] {
                    let p = TernaryPayload(codes: codes, groupSize: n, alphas: alphas, bias: nil, base3: base3)
                    #expect(MethodRegistry.standard.decodePayload(p.encoded())?.isEqual(p) == true)
                    let bits = Double((p.encoded().count - 13 - 2 * alphas.count) * 8) / Double(codes.count)
                    #expect(bits <= (base3 ? 1.6 : 2.0) + 40.0 / Double(codes.count), "\(bits) bits per code")
                }
            }
        }
    }

    @Test(
        """
        power-of-two: kept weights within a factor sqrt(2) of their level unless clipped; clipping at most 1/(2^n + \
        1) of them
        """
    )
    func shift() {
        for (i, rows) in Self.sizes.enumerated() {
            let depth = Self.sizes[(i * 7 + 3) % Self.sizes.count]
            let s = Self.spec(rows: rows, depth: depth, seed: UInt64(i + 40))
            for bits in [5, 7] {
                let c = ShiftMethod.quantize(s.weights, settings: ShiftSettings(bits: bits, recentralize: false))
                let emax = (1 << (bits - 1)) - 1
                let top = pow(2.0, Double(emax - c.bias))
                var clipped = 0, kept = 0
                for k in 0..<s.weights.count where s.weights[k] != 0 {
                    let w = Double(s.weights[k]), q = Double(c.value(k))
                    guard c.nonzero[k] else {
                        #expect(abs(w) < c.unit / 2, "only values below half the smallest level become zero")
                        continue
                    }
                    kept += 1
                    if abs(w) > top * 2.0.squareRoot() {
                        clipped += 1
                        #expect(abs(q) == top)
                        continue
                    }
                    // Between half the smallest level and the smallest level: rounded up to it.
                    if abs(w) < c.unit / 2.0.squareRoot() {
                        #expect(abs(q) == c.unit && abs(w) >= c.unit / 2, "\(w) -> \(q)")
                        continue
                    }
                    #expect((w < 0) == (q < 0))
                    #expect(
                        abs(q) / abs(w) <= 2.0.squareRoot() * 1.0001 && abs(w) / abs(q) <= 2.0.squareRoot() * 1.0001,
                        "\(w) -> \(q)")
                }
                #expect(Double(clipped) <= Double(kept) / Double((1 << bits) + 1) + 1)
                let p = ShiftPayload(codes: c, bits: bits, bias: nil)
                #expect(MethodRegistry.standard.decodePayload(p.encoded())?.isEqual(p) == true)
            }
        }
    }

    @Test("damaged payloads and tables are refused, never allocated or trusted")
    func damaged() {
        // A count of 2^32 - 1 weights.
        #expect(MethodRegistry.standard.decodePayload([1, 255, 255, 255, 255]) == nil)
        // A ternary group size of 0.
        var w = ByteWriter()
        w.u8(2)
        w.u32(4)
        w.i32(0)
        w.u8(0x55)
        w.u32(1)
        w.u16(0x3c00)
        w.u8(0)
        #expect(MethodRegistry.standard.decodePayload(w.data) == nil)
        // An oversubscribed Huffman table (three codes of length 1).
        var table = [UInt8](repeating: 0, count: 256)
        table[0] = 1
        table[1] = 1
        table[2] = 1
        #expect(Huffman.decode(table: table, bits: [0xff], count: 3) == nil)
        // Non-finite calibration values are ignored, not trapped on.
        var o = RangeObserver()
        o.observe([1, .infinity, -.infinity, .nan, -2])
        o.accumulate([1, .infinity, -2])
        #expect(o.minimum == -2 && o.maximum == 1)
        #expect(AffineQuant(lo: -.infinity, hi: .infinity, bits: 8).isValid)
        #expect(!AffineQuant(scale: 0, zeroPoint: 0, bits: 8).isValid)
    }

    @Test("per-layer methods: one layer in another method, one left in FP32")
    func perLayer() throws {
        let spec = Self.spec(rows: 8, depth: 16, seed: 1)
        var node = spec.node
        node.inputs = ["x", "w", "b"]
        let graph = Graph(
            nodes: [node],
            initializers: [
                "w": Value(shape: [8, 16], floats: spec.weights), "b": Value(shape: [8], floats: spec.bias!),
            ],
            inputs: [ValueInfo(name: "x", type: .float, shape: [.symbol("n"), .fixed(16)])],
            outputs: [ValueInfo(name: "y", type: .float, shape: nil)], opset: 17, file: "memory")
        let feeds = [["x": Value(shape: [4, 16], floats: randomFloats(64, seed: 9))]]
        let a = try Quantizer.quantize(
            graph, method: .int8(Int8Settings()), calibration: feeds, perLayer: ["fc": .ternary(TernarySettings())])
        #expect(a.layers.count == 1 && a.layers[0].detail.contains("groups of 4"))
        #expect(throws: QuantError.self) {
            try Quantizer.quantize(
                graph, method: .int8(Int8Settings()), calibration: feeds, perLayer: ["nope": .int8(Int8Settings())])
        }
        #expect(throws: QuantError.self) {
            try Quantizer.quantize(graph, method: .int8(Int8Settings()), calibration: feeds, skip: ["fc"])
        }
    }
}
