import Foundation
@testable import QBQuant
import QBTestSupport
import Testing

/// The quantizers' math against independent NumPy / SciPy / scikit-learn computations on real
/// activations and weights of fmnist-resnet (scripts/make_quant_references.py, Tests/Fixtures/quant).
@Suite("Quantizer math against the NumPy/SciPy/scikit-learn references")
struct ReferenceTests {
    struct Calibration: Decodable {
        struct Choice: Decodable {
            var bin: Int
            var threshold: Double
        }
        struct Bits: Decodable {
            var levels: Int
            var percentile: Choice
            var mse: Choice
            var entropy: Choice
        }
        struct TensorCase: Decodable {
            var name: String
            var signed: Bool
            var min: Float
            var max: Float
            var values: [Float]
            var bits: [String: Bits]
        }
        var tensors: [TensorCase]
    }

    @Test("percentile, MSE and entropy (TensorRT KL) thresholds equal the NumPy/SciPy reference on real activations")
    func calibration() throws {
        let fixture: Calibration = try loadJSONFixture("quant/calibration.json")
        #expect(fixture.tensors.count == 2)
        for t in fixture.tensors {
            var o = RangeObserver()
            o.observe(t.values)
            o.accumulate(t.values)
            #expect(o.signed == t.signed)
            #expect(o.minimum == t.min && o.maximum == t.max)
            #expect(o.histogram.reduce(0, +) == Double(t.values.count))
            for (bits, ref) in t.bits {
                let b = Int(bits)!
                for (method, choice) in [
                    (CalibrationMethod.percentile, ref.percentile), (.mse, ref.mse), (.entropy, ref.entropy),
                ] {
                    let got = Double(o.threshold(method, bits: b))
                    #expect(
                        abs(got - choice.threshold) <= 1e-6 * choice.threshold,
                        "\(t.name) \(bits)-bit \(method): \(got) vs \(choice.threshold)")
                }
                let (lo, hi) = o.range(.max, bits: b)
                #expect(lo == min(t.min, 0) && hi == max(t.max, 0))
            }
        }
    }

    struct Ternary: Decodable {
        struct Group: Decodable {
            var codes: [Int8]
            var alpha: Double
            var alpha_fp16: Float
            var weights: [Float]
        }
        var exact_4: [Group]
        var exact_64: [Group]
        var twn_4: [Group]
    }

    @Test("FGQ exact threshold (verified by exhaustive search in the script) and TWN's threshold equal the reference")
    func ternary() throws {
        let fixture: Ternary = try loadJSONFixture("quant/ternary.json")
        for (groups, rule) in [
            (fixture.exact_4, TernarySettings.Threshold.exact), (fixture.exact_64, .exact), (fixture.twn_4, .twn),
        ] {
            #expect(!groups.isEmpty)
            for g in groups {
                let (codes, alpha) = TernaryMethod.ternarize(g.weights, threshold: rule)
                #expect(codes == g.codes, "\(rule) \(g.weights)")
                #expect(alpha == g.alpha_fp16, "\(rule): alpha \(alpha) vs \(g.alpha_fp16)")
            }
        }
    }

    struct Mixture: Decodable {
        struct Fit: Decodable {
            var weights: [Double]
            var means: [Double]
            var stds: [Double]
        }
        struct Layer: Decodable {
            var initializer: String
            var weights: [Double]
            var means: [Double]
            var stds: [Double]
            var separation: Double
            var variance: Double
            var predict_first_100: [Int]
            var em_relative_tol_1e_9: Fit
            enum CodingKeys: String, CodingKey {
                case initializer, weights, means, stds, separation, variance, predict_first_100
                case em_relative_tol_1e_9 = "em_relative_tol_1e-9"
            }
        }
        var layers: [Layer]
    }

    @Test(
        """
        the FQ mixture fit equals NumPy EM with the same stopping rule, and scikit-learn's to 2e-3; separation and \
        posteriors too
        """
    )
    func mixture() throws {
        let fixture: Mixture = try loadJSONFixture("quant/gmm.json")
        let root = Fixtures.packageRoot.path
        let graph = try QBEngineAccess.initializers(root + "/Models/fmnist-resnet/model.onnx")
        #expect(fixture.layers.count >= 5)
        for layer in fixture.layers {
            let w = try #require(graph[layer.initializer])
            let g = try #require(GaussianMixture.fit(w))
            let same = layer.em_relative_tol_1e_9
            for (got, want) in [
                (g.weight.0, same.weights[0]), (g.weight.1, same.weights[1]), (g.mean.0, same.means[0]),
                (g.mean.1, same.means[1]),
                (g.std.0, same.stds[0]), (g.std.1, same.stds[1]),
            ] {
                #expect(abs(got - want) <= 1e-6 * abs(want), "\(layer.initializer): \(got) vs \(want) (NumPy EM)")
            }
            for (got, want) in [
                (g.mean.0, layer.means[0]), (g.mean.1, layer.means[1]), (g.std.0, layer.stds[0]),
                (g.std.1, layer.stds[1]),
            ] {
                #expect(abs(got - want) <= 2e-3 * abs(want), "\(layer.initializer): \(got) vs \(want) (scikit-learn)")
            }
            #expect(abs(g.separation(variance: layer.variance) - layer.separation) <= 2e-3 * layer.separation)
            let predicted = w.prefix(100).map { g.component(Double($0)) }
            #expect(
                zip(predicted, layer.predict_first_100).filter { $0 != $1 }.count <= 1,
                "\(layer.initializer) posteriors")
        }
    }

    @Test("Huffman coding round-trips and is optimal on a known distribution; payloads round-trip every kind")
    func huffmanAndPayloads() {
        // Frequencies 1, 1, 2, 4, 8: lengths 4, 4, 3, 2, 1 (the classic example).
        var counts = [Int](repeating: 0, count: 256)
        for (s, c) in [(10, 1), (11, 1), (12, 2), (13, 4), (14, 8)] { counts[s] = c }
        let lengths = Huffman.lengths(counts)
        #expect([10, 11, 12, 13, 14].map { lengths[$0] } == [4, 4, 3, 2, 1])
        let symbols: [UInt8] = (0..<500).map { (i: Int) -> UInt8 in (i * 7919) % 13 == 0 ? 200 : UInt8((i * 31) % 5) }
        let (table, bits, n) = Huffman.encode(symbols)
        #expect(Huffman.decode(table: table, bits: bits, count: symbols.count) == symbols)
        #expect(n <= symbols.count * 3)
        let w = randomFloats(301, seed: 3)
        let shift = ShiftMethod.quantize(w, settings: ShiftSettings(bits: 5, sparsity: 0.6))
        let int8Codes: [Int8] = w.map { Int8(($0 * 127).rounded()) }
        let trits: [Int8] = w.map { (x: Float) -> Int8 in x > 0.3 ? 1 : (x < -0.3 ? -1 : 0) }
        let payloads: [any WeightPayload] = [
            Int8Payload(codes: int8Codes, bits: 8, scales: [0.5, 0.25], bias: nil),
            Int8Payload(codes: int8Codes.map { max(min($0, 7), -7) }, bits: 4, scales: [0.5], bias: [1]),
            TernaryPayload(codes: trits, groupSize: 4, alphas: [0.5, 0.25, 1], bias: [1, 2], base3: false),
            TernaryPayload(codes: trits, groupSize: nil, alphas: [0.5], bias: nil, base3: true),
            ShiftPayload(codes: shift, bits: 5, bias: [3]),
        ]
        for p in payloads {
            let bytes = p.encoded()
            #expect(MethodRegistry.standard.decodePayload(bytes)?.isEqual(p) == true)
            // Truncated payloads are refused, never misread.
            #expect(MethodRegistry.standard.decodePayload(Array(bytes.dropLast(3))) == nil)
        }
        // 60% pruned 5-bit codes take well under 5 bits per weight once Huffman-coded with the sparse index.
        let bytes = ShiftPayload(codes: shift, bits: 5, bias: nil).encoded().count
        #expect(Double(bytes * 8) / 301 < 5)
    }
}
