import Foundation
import QBEngine
import QBIngest
import QBQuant

/// What mixed precision chose and how its front looks, for the report.
public struct MixedReport: Codable, Sendable, Equatable {
    public struct FrontPoint: Codable, Sendable, Equatable {
        /// Cost in the budget's unit; predicted noise (sum of the layers' sensitivities) and the noise
        /// measured on the sensitivity samples with all layers quantized together, greedy and optimum.
        public var cost: Double
        public var greedyPredicted: Double
        public var greedyMeasured: Double
        public var optimalPredicted: Double?
        public var optimalMeasured: Double?
    }
    public var budget: String
    public var limit: Double
    public var metric: String
    public var candidates: [String]
    public var layers: [String]
    public var weights: [Int]
    public var greedy: [String]
    public var optimal: [String]?
    public var optimalExact: Bool
    public var deployed: String
    public var front: [FrontPoint]
    public var sensitivitySeconds: Double
    public var cached: Bool
}

/// Builds a quantized variant of a model: the single-method quantizers, mixed precision (sensitivities
/// cached on disk), and QwT on top.
public struct VariantBuilder {
    public var threads: Int
    /// Where sensitivities are cached (keyed by model bytes, calibration tensors, candidates, metric); nil: no cache.
    public var cacheFolder: String?
    public var log: (String) -> Void
    /// Variants prepared earlier (`quantbench prepare`): a build whose key is there loads it instead of quantizing.
    public var prepared: PreparedVariants? = nil
    /// Write each variant built into `prepared` (what `quantbench prepare` does).
    public var writePrepared = false

    public init(threads: Int, cacheFolder: String?, log: @escaping (String) -> Void = { _ in }) {
        self.threads = threads
        self.cacheFolder = cacheFolder
        self.log = log
    }

    public struct Built {
        public var model: QuantizedModel
        public var mixed: MixedReport?
    }

    /// Quantizes `reference` (an optimized FP32 session of `modelFile`) as `variant`; `qwtFeeds` is asked
    /// for QwT's calibration samples only when the variant needs them.
    public func build(
        _ variant: VariantDef, reference: Session, modelFile: String, calibration: [[String: Value]],
        qwtFeeds: (Int) throws -> [[String: Value]]
    ) throws -> Built {
        var key: String? = nil
        // The key (hashes of the model, the feeds and the executable) only when there is a folder to look in.
        if let prepared, writePrepared || FileManager.default.fileExists(atPath: prepared.folder) {
            let qwt = try variant.qwt.map { try qwtFeeds($0.samples) }
            key = PreparedVariants.key(variant, modelFile: modelFile, calibration: calibration, qwtFeeds: qwt)
            if !writePrepared, let found = try prepared.load(key!) {
                log("prepared: \(prepared.folder)/\(key!).qbqm")
                return found
            }
        }
        let built = try quantize(
            variant, reference: reference, modelFile: modelFile, calibration: calibration, qwtFeeds: qwtFeeds)
        if writePrepared, let prepared, let key {
            log("prepared -> \(try prepared.store(built, variant: variant.name, key: key))")
        }
        return built
    }

    /// The quantization itself: the method, or mixed precision, then QwT.
    func quantize(
        _ variant: VariantDef, reference: Session, modelFile: String, calibration: [[String: Value]],
        qwtFeeds: (Int) throws -> [[String: Value]]
    ) throws -> Built {
        var built: Built
        if let method = variant.method {
            built = Built(
                model: try Quantizer.quantize(
                    reference.graph, method: method, calibration: calibration, integer: true, threads: threads))
        } else if let mixed = variant.mixed {
            built = try buildMixed(mixed, reference: reference, modelFile: modelFile, calibration: calibration)
        } else {
            throw HarnessError(.badVariant, file: modelFile, "\(variant.name) is not a quantized variant")
        }
        if let qwt = variant.qwt {
            let feeds = try qwtFeeds(qwt.samples)
            log("QwT: fitting the blocks on \(qwt.samples) samples")
            built.model = try QwT.compensate(
                built.model, reference: reference.graph, feeds: feeds, settings: qwt, threads: threads)
            for b in built.model.blocks {
                log(
                    String(
                        format: "  block %@ -> %@: R^2 %.3f, error %.4g -> %.4g%@", b.input, b.output, b.r2,
                        b.errorBefore, b.errorAfter, b.gated ? " (gated)" : ""))
            }
        }
        return built
    }

    func candidates(_ mixed: MixedDef, file: String) throws -> [Candidate] {
        try mixed.candidates.map { name in
            guard let v = Variants.named(name), let m = v.method, v.qwt == nil else {
                throw HarnessError(
                    .badVariant, file: file, "mixed-precision candidate \(name) is not a single-method variant")
            }
            return Candidate(name: name, method: m)
        }
    }

    func buildMixed(_ mixed: MixedDef, reference: Session, modelFile: String, calibration: [[String: Value]]) throws
        -> Built
    {
        let graph = reference.graph
        let cands = try candidates(mixed, file: modelFile)
        // The first feeds holding at least `samples` samples.
        var feeds = [[String: Value]](), n = 0
        let input = graph.inputs[0].name
        for f in calibration where n < mixed.samples {
            feeds.append(f)
            n += f[input]?.shape.first ?? 1
        }
        // One observation of the ranges on the whole calibration set: the sensitivities, the front and the
        // deployed model all quantize with them.
        let ranges = try Quantizer.observeLayers(
            graph, feeds: calibration, methods: cands.map(\.method), threads: threads)
        let (sens, cached) = try sensitivity(
            graph, candidates: cands, feeds: feeds, calibration: calibration, ranges: ranges, metric: mixed.metric,
            modelFile: modelFile)
        let bits = cands.map(\.bits)
        let limit = MixedPrecision.limit(mixed.budget)
        let front = MixedPrecision.greedyFront(sens, bits: bits, budget: mixed.budget)
        guard let chosen = MixedPrecision.greedy(front, limit: limit) else {
            throw HarnessError(
                .badVariant, file: modelFile,
                "mixed precision: the budget \(mixed.budget) is below the cheapest allocation "
                    + "(\(front.last.map { String(format: "%.4g", $0.cost) } ?? "?"))"
            )
        }
        let optimum = MixedPrecision.optimum(sens, bits: bits, budget: mixed.budget, limit: limit)
        // A bucketed (inexact) optimum can be worse than the greedy point: deploy the better prediction.
        var deployed = chosen
        if mixed.optimal, let o = optimum, o.exact || o.point.predicted < chosen.predicted { deployed = o.point }
        func model(_ choice: [Int]) throws -> QuantizedModel {
            var per = [String: QuantMethod]()
            for (l, c) in choice.enumerated() { per[sens.layers[l]] = cands[c].method }
            return try Quantizer.quantize(
                graph, method: cands[0].method, calibration: calibration, integer: true, perLayer: per, ranges: ranges,
                threads: threads)
        }
        // The front measured: up to 8 points of the greedy front and the optimum at the same cost.
        let out = reference.outputs[0].name
        var refs = [[Float]]()
        for f in feeds { refs.append(try reference.run(f)[out]!.floats) }
        func measured(_ choice: [Int]) throws -> Double {
            let s = try Session(
                graph: try model(choice).graph, options: SessionOptions(optimize: false, threads: threads))
            return try Sensitivity.score(s, output: out, feeds: feeds, reference: refs, metric: mixed.metric)
        }
        var picks = Set((0..<8).map { $0 * (front.count - 1) / 7 })
        picks.insert(front.firstIndex(of: chosen) ?? 0)
        var points = [MixedReport.FrontPoint]()
        for i in picks.sorted() {
            let p = front[i]
            let opt = MixedPrecision.optimum(sens, bits: bits, budget: mixed.budget, limit: p.cost)
            points.append(
                .init(
                    cost: p.cost, greedyPredicted: p.predicted, greedyMeasured: try measured(p.choice),
                    optimalPredicted: opt?.point.predicted,
                    optimalMeasured: try opt.map { try measured($0.point.choice) }))
        }
        let start = DispatchTime.now().uptimeNanoseconds
        var q = try model(deployed.choice)
        q.calibrationSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 + sens.seconds
        let report = MixedReport(
            budget: mixed.budget.description, limit: limit, metric: mixed.metric.rawValue, candidates: sens.candidates,
            layers: sens.layers,
            weights: sens.weights, greedy: chosen.choice.map { sens.candidates[$0] },
            optimal: optimum?.point.choice.map { sens.candidates[$0] },
            optimalExact: optimum?.exact ?? false, deployed: deployed == chosen ? "greedy" : "optimal", front: points,
            sensitivitySeconds: sens.seconds, cached: cached)
        log(
            String(
                format: "mixed precision: %@, greedy cost %.3f (predicted %.3g), optimum %.3g; %d layers",
                mixed.budget.description, chosen.cost, chosen.predicted,
                optimum?.point.predicted ?? .nan, sens.layers.count))
        return Built(model: q, mixed: report)
    }

    /// The sensitivities, from the cache when the model, the samples, the candidates and the metric are the
    /// same; measured and written (atomically) otherwise.
    func sensitivity(
        _ graph: Graph, candidates: [Candidate], feeds: [[String: Value]], calibration: [[String: Value]],
        ranges: [String: RangeObserver],
        metric: Sensitivity.Metric, modelFile: String
    ) throws -> (Sensitivity, Bool) {
        struct Key: Encodable {
            var candidates: [String]
            var methods: [String]
            var metric: String
            var samples: Int
            var version: Int
        }
        // Version: raise it when a quantizer's arithmetic changes (the cached noise would be stale).
        var f = Fingerprint(
            domain: "sensitivity",
            settings: Key(
                candidates: candidates.map(\.name), methods: candidates.map { "\($0.method)" },
                metric: metric.rawValue, samples: feeds.count, version: 2))
        if let data = FileManager.default.contents(atPath: modelFile) { f.addBytes(data) }
        PreparedVariants.addFeeds(calibration, to: &f)
        let key = f.finalize()
        let path = cacheFolder.map { $0 + "/sensitivity-\(key.prefix(32)).json" }
        let specs = LayerSpec.find(in: graph)
        if let path, let data = FileManager.default.contents(atPath: path),
            let s = try? JSONDecoder().decode(Sensitivity.self, from: data),
            s.candidates == candidates.map(\.name), s.metric == metric, s.layers == specs.map(\.name),
            s.weights == specs.map(\.weights.count),
            s.noise.count == s.layers.count, s.noise.allSatisfy({ $0.count == candidates.count }),
            s.bytes.count == s.layers.count
        {
            log("mixed precision: sensitivities from \(path)")
            return (s, true)
        }
        log("mixed precision: measuring \(candidates.count) candidates per layer on \(feeds.count) calibration batches")
        let s = try Sensitivity.measure(
            graph, candidates: candidates, feeds: feeds, metric: metric, ranges: ranges, threads: threads)
        if let path, let folder = cacheFolder {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try AtomicFile.write(try JSONEncoder().encode(s), to: path)
        }
        return (s, false)
    }
}
