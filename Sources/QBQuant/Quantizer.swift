import Foundation
import QBEngine

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

    public init(
        name: String, op: String, output: String, weights: Int, payloadBytes: Int, zeros: Double, detail: String,
        sqnr: Double?
    ) {
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
    var payloads: [String: any WeightPayload]
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
    public static func quantize(
        _ graph: Graph, method: QuantMethod, calibration: [[String: Value]], integer: Bool = true,
        perLayer: [String: QuantMethod] = [:], skip: Set<String> = [], ranges: [String: RangeObserver]? = nil,
        threads: Int = 1
    ) throws -> QuantizedModel {
        let start = DispatchTime.now().uptimeNanoseconds
        let specs = LayerSpec.find(in: graph).filter { !skip.contains($0.name) }
        guard !specs.isEmpty else {
            throw QuantError(
                file: graph.file, "the model has no Conv, Gemm or MatMul layer with constant weights to quantize")
        }
        for name in perLayer.keys where !specs.contains(where: { $0.name == name }) {
            throw QuantError(
                file: graph.file, layer: name,
                "no such quantizable layer (layers: \(specs.prefix(5).map(\.name).joined(separator: ", "))...)")
        }
        func methodOf(_ spec: LayerSpec) -> QuantMethod { perLayer[spec.name] ?? method }
        for candidate in [method] + Array(perLayer.values) {
            guard (2...8).contains(candidate.activationBits) else {
                throw QuantError(
                    .badSetting, file: graph.file, "activation bits must be 2...8, got \(candidate.activationBits)")
            }
            try candidate.method.validate(file: graph.file)
        }
        // What calibration must observe: each layer's method names the values it quantizes.
        var names = Set<String>(), histogram = false
        for spec in specs {
            let layerMethod = methodOf(spec)
            let values = layerMethod.method.calibratedValues(of: spec)
            guard !values.isEmpty else { continue }
            names.formUnion(values)
            histogram = histogram || layerMethod.calibration != .max
        }
        var observed = [String: RangeObserver]()
        if let ranges, names.isSubset(of: Set(ranges.keys)), !histogram || ranges.values.allSatisfy(\.hasHistogram) {
            observed = ranges
        } else if !names.isEmpty {
            guard !calibration.isEmpty else { throw QuantError(file: graph.file, "no calibration samples") }
            observed = try observe(graph, names: names, feeds: calibration, histogram: histogram, threads: threads)
        }
        var g = graph
        var layers = [LayerReport](), payloads = [String: any WeightPayload]()
        var used = Set<String>()
        for spec in specs {
            guard spec.weights.allSatisfy(\.isFinite), spec.bias?.allSatisfy(\.isFinite) ?? true else {
                throw QuantError(
                    file: graph.file, layer: spec.name, "the weights or the bias hold NaN or infinite values")
            }
            let layerMethod = methodOf(spec)
            func quantizer(_ name: String, bits: Int) throws -> AffineQuant {
                guard let observer = observed[name] else {
                    throw QuantError(
                        file: graph.file, layer: spec.name, "value '\(name)' was never observed during calibration")
                }
                let range = observer.range(layerMethod.calibration, bits: bits)
                return AffineQuant(lo: range.lo, hi: range.hi, bits: bits)
            }
            let quantized = try layerMethod.quantizeLayer(
                spec, quantizer: quantizer, integer: integer, file: graph.file)
            // Replace the node; its weight and bias initializers go unless something else reads them.
            guard let i = g.nodes.firstIndex(where: { $0.outputs == spec.node.outputs }) else { continue }
            let name = "qb:" + spec.output
            g.nodes[i] = LayerKernels.node(name: name, input: spec.input, output: spec.output)
            g.kernels[name] = quantized.layer
            used.formUnion(spec.constants)
            payloads[spec.output] = quantized.payload
            layers.append(
                LayerReport(
                    name: spec.name, op: spec.opType, output: spec.output, weights: spec.weights.count,
                    payloadBytes: quantized.payload.encoded().count, zeros: quantized.zeroFraction,
                    detail: quantized.detail, sqnr: nil))
        }
        let read = Set(g.nodes.flatMap(\.inputs))
        for c in used where !read.contains(c) && !g.outputs.contains(where: { $0.name == c }) {
            g.initializers[c] = nil
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return QuantizedModel(graph: g, layers: layers, calibrationSeconds: seconds, payloads: payloads)
    }

    /// The ranges of every quantizable layer's input and output on the FP32 graph, with the histograms
    /// `methods` need: one observation that quantizations with any of them (any layer subset) can share.
    public static func observeLayers(_ graph: Graph, feeds: [[String: Value]], methods: [QuantMethod], threads: Int)
        throws -> [String: RangeObserver]
    {
        let names = Set(LayerSpec.find(in: graph).flatMap { [$0.input, $0.output] })
        return try observe(
            graph, names: names, feeds: feeds, histogram: methods.contains { $0.calibration != .max }, threads: threads)
    }

    /// Runs the FP32 graph on the calibration feeds and collects the ranges of `names` (two passes when a
    /// histogram is needed). Graph inputs are observed from the feeds.
    public static func observe(
        _ graph: Graph, names: Set<String>, feeds: [[String: Value]], histogram: Bool, threads: Int
    ) throws -> [String: RangeObserver] {
        let session = try Session(graph: graph, options: SessionOptions(optimize: false, threads: threads))
        var observers = [String: RangeObserver]()
        for pass in histogram ? [1, 2] : [1] {
            for feed in feeds {
                func see(_ name: String, _ v: Value) {
                    guard names.contains(name), v.type.isFloat else { return }
                    if pass == 1 {
                        observers[name, default: RangeObserver()].observe(v.floats)
                    } else {
                        observers[name]?.accumulate(v.floats)
                    }
                }
                for (k, v) in feed { see(k, v) }
                _ = try session.run(
                    feed,
                    hook: { name, _, value in
                        see(name, value)
                        return nil
                    })
            }
        }
        return observers
    }

    /// SQNR (dB) of each layer's output in `quantized` against the same value in `reference`, over the
    /// feeds: `10 log10(sum y^2 / sum (y - y_q)^2)` (infinite when equal).
    public static func layerSQNR(reference: Session, quantized: Session, outputs: [String], feeds: [[String: Value]])
        throws -> [String: Double]
    {
        let wanted = Set(outputs)
        var signal = [String: Double](), noise = [String: Double]()
        for feed in feeds {
            var ref = [String: [Float]]()
            _ = try reference.run(
                feed,
                hook: { name, _, v in
                    if wanted.contains(name) { ref[name] = v.floats }
                    return nil
                })
            _ = try quantized.run(
                feed,
                hook: { name, _, v in
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
