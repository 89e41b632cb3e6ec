import Foundation
import QBEngine

/// The speed of a quantized model's layers on their real inputs: each quantized layer (input quantization,
/// patches, integer kernel, epilogue) against the same layer's FP32 operator with the original weights,
/// timed in the same run on the layer's input from one calibration batch, medians of `reps`, layers summed.
public enum LayerTiming {
    public struct Result: Sendable {
        /// Dense-equivalent GOP/s of the quantized layers (2 ops per multiply-accumulate).
        public var gops: Double
        /// FP32 time / quantized time over all quantized layers.
        public var speedup: Double
    }

    /// One quantized layer timed against its FP32 operator (compensation layers have no FP32 twin: 0).
    public struct Layer: Sendable, Codable {
        public var name: String
        public var op: String
        /// The layer's input and output shapes, its weight shape as in the ONNX model, and its attributes
        /// (Conv: strides, pads, dilations, group), so a peer can build the same operator.
        public var input: [Int]
        public var output: [Int]
        public var weight: [Int]
        public var strides: [Int]
        public var pads: [Int]
        public var dilations: [Int]
        public var group: Int
        public var fp32Seconds: Double
        public var quantizedSeconds: Double
        /// Dense-equivalent operations (2 per multiply-accumulate).
        public var ops: Double
    }

    /// Layer times already measured in this process, by `TimingKey`: the variants of a model that share a
    /// layer's kernel (int8 with each calibration, the int8 layers of a mixed-precision model) reuse its
    /// (quantized, FP32) seconds instead of drawing a new noisy sample, so they report one figure.
    public final class Cache: @unchecked Sendable {
        var seconds: [TimingKey: (quantized: Double, fp32: Double)] = [:]

        public init() {}

        func times(_ key: TimingKey, _ measure: () throws -> (Double, Double)) rethrows -> (Double, Double) {
            if let hit = seconds[key] { return hit }
            let value = try measure()
            seconds[key] = value
            return value
        }
    }

    public static func measure(
        _ model: QuantizedModel, reference: Graph, feed: [String: Value], threads: Int,
        cache: Cache = Cache()
    ) throws -> Result {
        let rows = try layers(model, reference: reference, feed: feed, threads: threads, cache: cache)
        let quantized = rows.reduce(0) { $0 + $1.quantizedSeconds }, fp32 = rows.reduce(0) { $0 + $1.fp32Seconds }
        let ops = rows.reduce(0) { $0 + $1.ops }
        guard quantized > 0 else { return Result(gops: 0, speedup: 1) }
        return Result(gops: ops / quantized / 1e9, speedup: fp32 / quantized)
    }

    /// Every quantized layer and QwT compensation layer of `model`, timed on its input from `feed`.
    /// `reps`: at least this many runs per layer (default `minimumReps`, then up to the time budget).
    public static func layers(
        _ model: QuantizedModel, reference: Graph, feed: [String: Value], threads: Int,
        reps: Int = minimumReps, cache: Cache = Cache()
    ) throws -> [Layer] {
        let session = try Session(graph: reference, options: SessionOptions(optimize: false, threads: threads))
        let specs = Dictionary(LayerSpec.find(in: reference).map { ($0.output, $0) }, uniquingKeysWith: { a, _ in a })
        var inputs = [String: Value](), outputs = [String: [Int]]()
        // QwT's compensation layers read block inputs, which the FP32 graph computes too.
        let compensations = model.graph.nodes.filter {
            $0.name.hasPrefix("qwt") && ($0.opType == "Conv" || $0.opType == "MatMul")
        }
        let wanted = Set(specs.values.map(\.input)).union(compensations.map { $0.inputs[0] }), outs = Set(specs.keys)
        for (k, v) in feed where wanted.contains(k) { inputs[k] = v }
        _ = try session.run(
            feed,
            hook: { name, _, v in
                if wanted.contains(name) { inputs[name] = v }
                if outs.contains(name) { outputs[name] = v.shape }
                return nil
            })
        func ints(_ n: Node, _ key: String) -> [Int] {
            if case .ints(let v)? = n.attributes[key] { return v }
            return []
        }
        var rows = [Layer]()
        for n in model.graph.nodes where n.isKernelLayer {
            guard let layer = model.graph.kernels[n.name] as? QuantLayer, let spec = specs[n.outputs[0]],
                let x = inputs[spec.input], let shape = outputs[spec.output]
            else { continue }
            let float = try FloatLayer(spec, weights: spec.weights, bias: spec.bias, file: reference.file)
            let (q, f) = try cache.times(layer.timingKey(input: x.shape)) {
                try interleavedMedians(
                    minimum: reps, { _ = try layer.run(x, threads: threads) },
                    { _ = try float.run(x, threads: threads) })
            }
            let weight = reference.initializers[spec.node.inputs[1]]?.shape ?? [spec.rows, spec.depth]
            rows.append(
                Layer(
                    name: spec.name, op: spec.node.opType, input: x.shape, output: shape, weight: weight,
                    strides: ints(spec.node, "strides"),
                    pads: ints(spec.node, "pads"), dilations: ints(spec.node, "dilations"), group: spec.group,
                    fp32Seconds: f,
                    quantizedSeconds: q,
                    ops: 2 * Double(spec.rows) * Double(spec.columns(outputShape: shape)) * Double(spec.depth)))
        }
        // The compensations are extra work of the quantized model: their time and operations count.
        for n in compensations {
            guard let x = inputs[n.inputs[0]] else { continue }
            var constants = [String: Value]()
            for name in n.inputs.dropFirst() { constants[name] = model.graph.initializers[name] }
            let g = Graph(
                nodes: [n], initializers: constants, inputs: [ValueInfo(name: n.inputs[0], type: .float, shape: nil)],
                outputs: [ValueInfo(name: n.outputs[0], type: .float, shape: nil)], opset: reference.opset,
                file: reference.file)
            let s = try Session(graph: g, options: SessionOptions(optimize: false, threads: threads))
            let y = try s.run([n.inputs[0]: x])[n.outputs[0]]!
            let w = constants[n.inputs[1]]!
            let outChannels = n.opType == "Conv" ? w.shape[0] : w.shape[1]
            let key = TimingKey(
                form: "compensation " + n.name + " " + n.opType, shape: x.shape + [-1] + w.shape, structure: [])
            let (q, _) = try cache.times(key) {
                (try median(minimum: reps) { _ = try s.run([n.inputs[0]: x], threads: threads) }, 0)
            }
            rows.append(
                Layer(
                    name: n.name, op: n.opType, input: x.shape, output: y.shape, weight: w.shape,
                    strides: ints(n, "strides"), pads: ints(n, "pads"),
                    dilations: ints(n, "dilations"),
                    group: {
                        if case .int(let g)? = n.attributes["group"] { return g }
                        return 1
                    }(),
                    fp32Seconds: 0, quantizedSeconds: q,
                    ops: 2 * Double(w.count) * Double(y.count / max(outChannels, 1))))
        }
        return rows
    }

    /// Repetitions: at least `minimumReps`, then more until `budget` seconds have passed (at most `maximumReps`),
    /// so that a fast layer's median rests on hundreds of runs, not five.
    public static let minimumReps = 7, maximumReps = 400, budget = 0.03

    /// Median seconds of runs of `a` and of `b`, alternated (a, b, a, b, ...) after one warm-up run of each, so
    /// that a slow phase of the machine (another process, frequency changes) hits both alike.
    public static func interleavedMedians(
        minimum: Int = minimumReps, budget: Double = budget, _ a: () throws -> Void,
        _ b: () throws -> Void
    ) rethrows -> (Double, Double) {
        try a()
        try b()
        var ta = [Double](), tb = [Double](), total = 0.0
        while ta.count < minimum || (total < budget && ta.count < maximumReps) {
            var start = DispatchTime.now().uptimeNanoseconds
            try a()
            ta.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            start = DispatchTime.now().uptimeNanoseconds
            try b()
            tb.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            total += ta[ta.count - 1] + tb[tb.count - 1]
        }
        return (ta.sorted()[ta.count / 2], tb.sorted()[tb.count / 2])
    }

    /// Median seconds of runs of `body` after one warm-up run (as many as `interleavedMedians` makes).
    static func median(minimum: Int = minimumReps, budget: Double = budget, _ body: () throws -> Void) rethrows
        -> Double
    {
        try body()
        var t = [Double](), total = 0.0
        while t.count < minimum || (total < budget && t.count < maximumReps) {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            t.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            total += t[t.count - 1]
        }
        return t.sorted()[t.count / 2]
    }
}
