import Foundation
import QBEngine

/// A candidate of mixed precision: a name (the variant table's) and its method.
public struct Candidate: Sendable, Equatable {
    public var name: String
    public var method: QuantMethod

    public init(name: String, method: QuantMethod) {
        self.name = name
        self.method = method
    }

    /// Weight and activation bits (ternary: 2 bits per weight, its packed width).
    public var bits: (weights: Double, activations: Double) { method.bits }
}

/// How far the network's output moves when one layer alone is quantized at a candidate: the label-free
/// sensitivity of Pandey et al. 2023 (AIMET's mixed-precision algorithm).
public struct Sensitivity: Sendable, Codable, Equatable {
    public enum Metric: String, Sendable, Codable {
        /// Output noise power over signal power, `sum (y - y_q)^2 / sum y^2` (reported as SQNR in dB).
        case sqnr
        /// Mean KL divergence of the softmax of the output rows, KL(FP32 || quantized).
        case kl
    }

    public var metric: Metric
    public var candidates: [String]
    /// Quantizable layers in graph order, their weights and multiply-accumulates per sample.
    public var layers: [String]
    public var weights: [Int]
    public var macs: [Int]
    /// `noise[l][c]`: the metric's value (lower is better) with layer l alone at candidate c.
    public var noise: [[Double]]
    /// `bytes[l][c]`: the layer's serialized payload at candidate c.
    public var bytes: [[Int]]
    public var samples: Int
    public var seconds: Double

    /// Scores every layer at every candidate on `feeds` (all other layers FP32), reusing one observation
    /// of the FP32 graph's ranges for every quantization.
    /// `ranges` (from `Quantizer.observe`) are the activation ranges the deployed model will use; nil
    /// observes them on `feeds`.
    public static func measure(
        _ graph: Graph, candidates: [Candidate], feeds: [[String: Value]], metric: Metric = .sqnr,
        ranges given: [String: RangeObserver]? = nil,
        threads: Int = 1, progress: ((Int, Int) -> Void)? = nil
    ) throws -> Sensitivity {
        let start = DispatchTime.now().uptimeNanoseconds
        guard !candidates.isEmpty else {
            throw QuantError(file: graph.file, "mixed precision needs at least one candidate")
        }
        guard !feeds.isEmpty else { throw QuantError(file: graph.file, "mixed precision: no calibration samples") }
        let specs = LayerSpec.find(in: graph)
        guard !specs.isEmpty else { throw QuantError(file: graph.file, "the model has no quantizable layer") }
        let fp = try Session(graph: graph, options: SessionOptions(optimize: false, threads: threads))
        let out = fp.outputs[0].name
        var reference = [[Float]](), shapes = [String: [Int]]()
        let outputsOfLayers = Set(specs.map(\.output))
        var batch = 1
        let input = graph.inputs[0].name
        for (i, feed) in feeds.enumerated() {
            reference.append(
                try fp.run(
                    feed,
                    hook: { name, _, v in
                        if i == 0 && outputsOfLayers.contains(name) { shapes[name] = v.shape }
                        return nil
                    })[out]!.floats)
            if i == 0 { batch = max(feed[input]?.shape.first ?? 1, 1) }
        }
        let ranges =
            try given
            ?? Quantizer.observeLayers(graph, feeds: feeds, methods: candidates.map(\.method), threads: threads)
        var noise = [[Double]](), bytes = [[Int]]()
        let all = Set(specs.map(\.name))
        for (l, spec) in specs.enumerated() {
            progress?(l, specs.count)
            var row = [Double](), sizes = [Int]()
            for c in candidates {
                let q = try Quantizer.quantize(
                    graph, method: c.method, calibration: feeds, skip: all.subtracting([spec.name]), ranges: ranges,
                    threads: threads)
                let session = try Session(graph: q.graph, options: SessionOptions(optimize: false, threads: threads))
                row.append(try score(session, output: out, feeds: feeds, reference: reference, metric: metric))
                sizes.append(q.payloadBytes)
            }
            noise.append(row)
            bytes.append(sizes)
        }
        progress?(specs.count, specs.count)
        let macs = specs.map { s in shapes[s.output].map { s.weights.count * s.columns(outputShape: $0) / batch } ?? 0 }
        return Sensitivity(
            metric: metric, candidates: candidates.map(\.name), layers: specs.map(\.name),
            weights: specs.map(\.weights.count), macs: macs,
            noise: noise, bytes: bytes, samples: feeds.reduce(0) { $0 + ($1[input]?.shape.first ?? 1) },
            seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    /// The metric of a model's output against the FP32 outputs `reference` (one per feed).
    public static func score(
        _ session: Session, output: String, feeds: [[String: Value]], reference: [[Float]], metric: Metric
    ) throws -> Double {
        var signal = 0.0, error = 0.0, kl = 0.0, rows = 0
        for (feed, y) in zip(feeds, reference) {
            let q = try session.run(feed)[output]!
            let yq = q.floats
            switch metric {
            case .sqnr:
                for i in 0..<y.count {
                    signal += Double(y[i]) * Double(y[i])
                    let d = Double(y[i]) - Double(yq[i])
                    error += d * d
                }
            case .kl:
                let width = q.shape.last ?? y.count
                for r in 0..<(y.count / max(width, 1)) {
                    kl += divergence(y[(r * width)..<((r + 1) * width)], yq[(r * width)..<((r + 1) * width)])
                    rows += 1
                }
            }
        }
        switch metric {
        case .sqnr: return signal > 0 ? error / signal : 0
        case .kl: return kl / Double(max(rows, 1))
        }
    }

    /// KL(softmax(p) || softmax(q)) of two logit rows, in Float64.
    static func divergence(_ p: ArraySlice<Float>, _ q: ArraySlice<Float>) -> Double {
        func logSoftmax(_ x: ArraySlice<Float>) -> [Double] {
            let m = Double(x.max() ?? 0)
            let s = x.reduce(0.0) { $0 + Foundation.exp(Double($1) - m) }
            return x.map { Double($0) - m - Foundation.log(s) }
        }
        let lp = logSoftmax(p), lq = logSoftmax(q)
        var d = 0.0
        for i in 0..<lp.count { d += Foundation.exp(lp[i]) * (lp[i] - lq[i]) }
        return max(d, 0)
    }

    /// Noise as SQNR in dB (`sqnr` metric).
    public static func decibels(_ noise: Double) -> Double { noise > 0 ? -10 * log10(noise) : .infinity }
}
