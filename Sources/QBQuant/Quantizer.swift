import Foundation
import QBEngine

/// A quantization method with its settings: one entry of the harness's variant table builds on one.
public enum QuantMethod: Sendable, Equatable {
    case int8(Int8Settings)
    case ternary(TernarySettings)
    case shift(ShiftSettings)

    var calibration: CalibrationMethod {
        switch self {
        case .int8(let s): return s.calibration
        case .ternary(let s): return s.calibration
        case .shift(let s): return s.calibration
        }
    }

    var activationBits: Int {
        switch self {
        case .int8(let s): return s.activationBits
        case .ternary(let s): return s.activationBits
        case .shift(let s): return s.activationBits
        }
    }

    /// The bits per weight of the method's codes (before entropy coding and sparsity).
    public var nominalBits: Double {
        switch self {
        case .int8(let s): return Double(s.weightBits)
        case .ternary(let s): return s.base3 ? 1.6 : 2
        case .shift(let s): return Double(s.bits)
        }
    }
}

/// What one quantized layer is and how it came out.
public struct LayerReport: Sendable, Codable, Equatable {
    public var name: String
    public var op: String
    /// The value the layer computes (where its SQNR is measured).
    public var output: String
    public var weights: Int
    /// Bytes of the layer's serialized payload (codes, scales, tables, sparse index, bias).
    public var payloadBytes: Int
    /// Fraction of weights that are zero after quantization.
    public var zeros: Double
    /// Method-specific facts ("recentralized, separation 3.1", ...).
    public var detail: String
    /// SQNR (dB) of the layer's output in the quantized model against FP32 on the calibration inputs.
    public var sqnr: Double?

    public init(name: String, op: String, output: String, weights: Int, payloadBytes: Int, zeros: Double, detail: String, sqnr: Double?) {
        self.name = name
        self.op = op
        self.output = output
        self.weights = weights
        self.payloadBytes = payloadBytes
        self.zeros = zeros
        self.detail = detail
        self.sqnr = sqnr
    }
}

/// A quantized model: the graph that runs (quantized layers as `LayerKernels`), per-layer facts, and the
/// time calibration and quantization took.
public struct QuantizedModel: Sendable {
    public var graph: Graph
    public var layers: [LayerReport]
    public var calibrationSeconds: Double
    /// The serialized payload of every layer, by the value the layer computes (unique, unlike node names).
    var payloads: [String: WeightPayload]
    /// QwT's compensations, one report per block (empty without QwT).
    public var blocks: [BlockReport] = []
    /// Initializers stored as fp16 in the file (QwT's weights, rounded to fp16 when fitted).
    public var halfTensors: Set<String> = []

    /// Weights in the quantized layers, and the bytes of their payloads.
    public var quantizedWeights: Int { layers.reduce(0) { $0 + $1.weights } }
    public var payloadBytes: Int { layers.reduce(0) { $0 + $1.payloadBytes } }
    /// Bytes of QwT's compensations (fp16 weights, fp32 biases).
    public var compensationBytes: Int { blocks.reduce(0) { $0 + $1.bytes } }

    /// Kernel operations performed so far by all quantized layers.
    public var counts: OpCounts {
        graph.kernels.values.compactMap { $0 as? QuantLayer }.reduce(OpCounts()) { $0 + $1.counts }
    }
}

public enum Quantizer {
    /// Quantizes the layers of an optimized FP32 graph (`Session.graph`) with `method`, calibrating the
    /// activation ranges on `calibration` (feeds for the graph's inputs). `integer` builds the deployed
    /// integer kernels; otherwise the simulated (fake-quantized) form. `perLayer` gives some layers (by
    /// `LayerSpec.name`) another method and `skip` leaves layers in FP32: the per-layer interface mixed
    /// precision builds on. `ranges` reuses observations of the FP32 graph (`observe`) instead of
    /// observing again: the ranges of FP32 values do not depend on which layers are quantized.
    public static func quantize(_ graph: Graph, method: QuantMethod, calibration: [[String: Value]], integer: Bool = true,
                                perLayer: [String: QuantMethod] = [:], skip: Set<String> = [], ranges: [String: RangeObserver]? = nil,
                                threads: Int = 1) throws -> QuantizedModel {
        let start = DispatchTime.now().uptimeNanoseconds
        let specs = LayerSpec.find(in: graph).filter { !skip.contains($0.name) }
        guard !specs.isEmpty else { throw QuantError(file: graph.file, "the model has no Conv, Gemm or MatMul layer with constant weights to quantize") }
        for name in perLayer.keys where !specs.contains(where: { $0.name == name }) {
            throw QuantError(file: graph.file, layer: name, "no such quantizable layer (layers: \(specs.prefix(5).map(\.name).joined(separator: ", "))...)")
        }
        func methodOf(_ spec: LayerSpec) -> QuantMethod { perLayer[spec.name] ?? method }
        for m in [method] + Array(perLayer.values) {
            guard (2...8).contains(m.activationBits) else { throw QuantError(file: graph.file, "activation bits must be 2...8, got \(m.activationBits)") }
            if case .ternary(let s) = m, let n = s.groupSize, n < 1 { throw QuantError(file: graph.file, "the FGQ group size must be positive, got \(n)") }
            if case .int8(let s) = m, !(2...8).contains(s.weightBits) { throw QuantError(file: graph.file, "weight bits must be 2...8, got \(s.weightBits)") }
        }
        // What calibration must observe: every activation-quantized layer's input, int8 layers' outputs.
        var names = Set<String>(), histogram = false
        for spec in specs {
            let m = methodOf(spec)
            if case .int8(let s) = m {
                if s.weightOnly { continue }
                names.insert(spec.output)
            }
            names.insert(spec.input)
            histogram = histogram || m.calibration != .max
        }
        var observed = [String: RangeObserver]()
        if let ranges, names.isSubset(of: Set(ranges.keys)), !histogram || ranges.values.allSatisfy(\.hasHistogram) {
            observed = ranges
        } else if !names.isEmpty {
            guard !calibration.isEmpty else { throw QuantError(file: graph.file, "no calibration samples") }
            observed = try observe(graph, names: names, feeds: calibration, histogram: histogram, threads: threads)
        }
        var g = graph
        var layers = [LayerReport](), payloads = [String: WeightPayload]()
        var used = Set<String>()
        for spec in specs {
            guard spec.weights.allSatisfy(\.isFinite), spec.bias?.allSatisfy(\.isFinite) ?? true else {
                throw QuantError(file: graph.file, layer: spec.name, "the weights or the bias hold NaN or infinite values")
            }
            let method = methodOf(spec)
            func quant(_ name: String, bits: Int) throws -> AffineQuant {
                guard let o = observed[name] else { throw QuantError(file: graph.file, layer: spec.name, "value '\(name)' was never observed during calibration") }
                let r = o.range(method.calibration, bits: bits)
                return AffineQuant(lo: r.lo, hi: r.hi, bits: bits)
            }
            let layer: QuantLayer, payload: WeightPayload
            var detail = "", zeros = 0.0
            switch method {
            case .int8(let s):
                let input = s.weightOnly ? AffineQuant(scale: 1, zeroPoint: 0, bits: 8) : try quant(spec.input, bits: s.activationBits)
                let output = s.weightOnly ? input : try quant(spec.output, bits: s.activationBits)
                (layer, payload) = try Int8Method.layer(spec, settings: s, input: input, output: output, integer: integer, file: graph.file)
                detail = (s.perChannel ? "per-channel scales" : "per-tensor scale") + (s.weightBits == 8 && s.activationBits == 8 ? "" : ", W\(s.weightBits)A\(s.weightOnly ? 32 : s.activationBits)")
                if case .int8(let codes, _, _, _) = payload { zeros = Double(codes.filter { $0 == 0 }.count) / Double(codes.count) }
            case .ternary(let s):
                (layer, payload) = try TernaryMethod.layer(spec, settings: s, input: try quant(spec.input, bits: s.activationBits), integer: integer, file: graph.file)
                if case .ternary(let codes, _, let alphas, _, _) = payload {
                    zeros = Double(codes.filter { $0 == 0 }.count) / Double(codes.count)
                    detail = "\(s.groupSize.map { "groups of \($0)" } ?? "one group per layer"), \(alphas.count) scale\(alphas.count == 1 ? "" : "s")"
                }
            case .shift(let s):
                let codes: ShiftCodes
                (layer, payload, codes) = try ShiftMethod.layer(spec, settings: s, input: try quant(spec.input, bits: s.activationBits), integer: integer, file: graph.file)
                zeros = Double(codes.nonzero.filter { !$0 }.count) / Double(codes.nonzero.count)
                let sep = codes.separation.map { String(format: "separation %.2f", $0) } ?? "no mixture"
                detail = "\(codes.recentralized ? "recentralized" : "plain shift"), \(sep), b = \(codes.bias)"
            }
            // Replace the node; its weight and bias initializers go unless something else reads them.
            guard let i = g.nodes.firstIndex(where: { $0.outputs == spec.node.outputs }) else { continue }
            let name = "qb:" + spec.output
            g.nodes[i] = LayerKernels.node(name: name, input: spec.input, output: spec.output)
            g.kernels[name] = layer
            used.formUnion(spec.constants)
            payloads[spec.output] = payload
            layers.append(LayerReport(name: spec.name, op: spec.opType, output: spec.output, weights: spec.weights.count, payloadBytes: payload.encoded().count,
                                      zeros: zeros, detail: detail, sqnr: nil))
        }
        let read = Set(g.nodes.flatMap(\.inputs))
        for c in used where !read.contains(c) && !g.outputs.contains(where: { $0.name == c }) { g.initializers[c] = nil }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return QuantizedModel(graph: g, layers: layers, calibrationSeconds: seconds, payloads: payloads)
    }

    /// The ranges of every quantizable layer's input and output on the FP32 graph, with the histograms
    /// `methods` need: one observation that quantizations with any of them (any layer subset) can share.
    public static func observeLayers(_ graph: Graph, feeds: [[String: Value]], methods: [QuantMethod], threads: Int) throws -> [String: RangeObserver] {
        let names = Set(LayerSpec.find(in: graph).flatMap { [$0.input, $0.output] })
        return try observe(graph, names: names, feeds: feeds, histogram: methods.contains { $0.calibration != .max }, threads: threads)
    }

    /// Runs the FP32 graph on the calibration feeds and collects the ranges of `names` (two passes when a
    /// histogram is needed). Graph inputs are observed from the feeds.
    public static func observe(_ graph: Graph, names: Set<String>, feeds: [[String: Value]], histogram: Bool, threads: Int) throws -> [String: RangeObserver] {
        let session = try Session(graph: graph, options: SessionOptions(optimize: false, threads: threads))
        var observers = [String: RangeObserver]()
        for pass in histogram ? [1, 2] : [1] {
            for feed in feeds {
                func see(_ name: String, _ v: Value) {
                    guard names.contains(name), v.type.isFloat else { return }
                    if pass == 1 { observers[name, default: RangeObserver()].observe(v.floats) } else { observers[name]?.accumulate(v.floats) }
                }
                for (k, v) in feed { see(k, v) }
                _ = try session.run(feed, hook: { name, _, value in see(name, value); return nil })
            }
        }
        return observers
    }

    /// SQNR (dB) of each layer's output in `quantized` against the same value in `reference`, over the
    /// feeds: `10 log10(sum y^2 / sum (y - y_q)^2)` (infinite when equal).
    public static func layerSQNR(reference: Session, quantized: Session, outputs: [String], feeds: [[String: Value]]) throws -> [String: Double] {
        let wanted = Set(outputs)
        var signal = [String: Double](), noise = [String: Double]()
        for feed in feeds {
            var ref = [String: [Float]]()
            _ = try reference.run(feed, hook: { name, _, v in if wanted.contains(name) { ref[name] = v.floats }; return nil })
            _ = try quantized.run(feed, hook: { name, _, v in
                if let r = ref[name] {
                    let q = v.floats
                    var s = 0.0, n = 0.0
                    for i in 0..<min(r.count, q.count) {
                        s += Double(r[i]) * Double(r[i])
                        n += (Double(r[i]) - Double(q[i])) * (Double(r[i]) - Double(q[i]))
                    }
                    signal[name, default: 0] += s
                    noise[name, default: 0] += n
                }
                return nil
            })
        }
        var out = [String: Double]()
        for name in outputs where signal[name] != nil {
            out[name] = noise[name]! == 0 ? .infinity : 10 * log10(signal[name]! / noise[name]!)
        }
        return out
    }
}
